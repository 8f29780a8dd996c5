//! libpq's TLS parameters (`sslmode`, `sslrootcert`, `sslcert`, `sslkey` and their `PG*`
//! variables, and the default files under `~/.postgresql/`), resolved into the `TlsSettings` that
//! `db::tls` builds its client configuration from. Part of `conninfo::resolve`.

use super::{SettingsError, SslMode};
use std::path::{Path, PathBuf};

// `SslMode` is plain data of the report (model::connection); reading libpq's spelling of it is
// this module's job.
impl SslMode {
    pub(super) fn parse(value: &str) -> Option<Self> {
        Some(match value {
            "disable" => Self::Disable,
            "allow" => Self::Allow,
            "prefer" => Self::Prefer,
            "require" => Self::Require,
            "verify-ca" => Self::VerifyCa,
            "verify-full" => Self::VerifyFull,
            _ => return None,
        })
    }
}

/// Which certificate authorities the server's certificate is checked against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RootCerts {
    /// None given and no `~/.postgresql/root.crt`: the chain is not checked (`require`, `prefer`).
    None,
    /// A PEM file (`sslrootcert`, or `~/.postgresql/root.crt` when it exists).
    File(PathBuf),
    /// `sslrootcert=system`: the platform's trusted roots.
    System,
}

/// How to use TLS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsSettings {
    pub mode: SslMode,
    pub root: RootCerts,
    /// Client certificate and key (`sslcert`/`sslkey`, or `~/.postgresql/postgresql.{crt,key}`).
    pub client: Option<(PathBuf, PathBuf)>,
}

/// The TLS settings from `param` (a connection parameter, else its variable), with the default
/// files under `home`'s `.postgresql/`.
pub(super) fn tls_settings(
    param: &dyn Fn(&str, Option<&str>) -> Option<String>,
    home: Option<&Path>,
) -> Result<TlsSettings, SettingsError> {
    let explicit_mode = match param("sslmode", Some("PGSSLMODE")) {
        Some(value) => Some(SslMode::parse(&value).ok_or(SettingsError::Value {
            name: "sslmode".to_owned(),
            expected: "disable, allow, prefer, require, verify-ca or verify-full",
        })?),
        None => None,
    };
    let pg_dir = home.map(|h| h.join(".postgresql"));
    let root = match param("sslrootcert", Some("PGSSLROOTCERT")) {
        Some(value) if value == "system" => RootCerts::System,
        Some(file) => RootCerts::File(PathBuf::from(file)),
        None => pg_dir
            .as_ref()
            .map(|d| d.join("root.crt"))
            .filter(|p| p.is_file())
            .map_or(RootCerts::None, RootCerts::File),
    };
    let mode = match (explicit_mode, &root) {
        (None, RootCerts::System) => SslMode::VerifyFull,
        (Some(mode), RootCerts::System)
            if mode != SslMode::VerifyFull && mode != SslMode::Disable =>
        {
            return Err(SettingsError::Tls(format!(
                "weak sslmode \"{}\" may not be used with sslrootcert=system (use \"verify-full\")",
                mode.as_str()
            )))
        }
        (mode, _) => mode.unwrap_or(SslMode::Prefer),
    };
    if mode >= SslMode::VerifyCa && root == RootCerts::None {
        return Err(SettingsError::Tls(format!(
            "sslmode={} needs the certificate authority that signed the server's certificate: set \
             sslrootcert=FILE (or sslrootcert=system for the platform's roots), or put it in \
             ~/.postgresql/root.crt",
            mode.as_str()
        )));
    }
    if let RootCerts::File(file) = &root {
        if mode != SslMode::Disable && !file.is_file() {
            return Err(SettingsError::Tls(format!(
                "root certificate file {} does not exist",
                file.display()
            )));
        }
    }
    let default_file = |name: &str| {
        pg_dir
            .as_ref()
            .map(|d| d.join(name))
            .filter(|p| p.is_file())
    };
    let cert = param("sslcert", Some("PGSSLCERT"))
        .map(PathBuf::from)
        .or_else(|| default_file("postgresql.crt"));
    let key = param("sslkey", Some("PGSSLKEY"))
        .map(PathBuf::from)
        .or_else(|| default_file("postgresql.key"));
    let client = match (cert, key) {
        (Some(cert), Some(key)) => Some((cert, key)),
        (None, None) => None,
        (Some(cert), None) => {
            return Err(SettingsError::Tls(format!(
                "client certificate {} given without its key: set sslkey",
                cert.display()
            )))
        }
        (None, Some(_)) => {
            return Err(SettingsError::Tls(
                "sslkey given without a client certificate: set sslcert".to_owned(),
            ))
        }
    };
    Ok(TlsSettings { mode, root, client })
}
