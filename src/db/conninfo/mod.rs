//! Connection settings the way libpq (and so psql) resolves them: a connection string (a
//! `postgresql://` URI or `key=value` pairs) from `--database-url` or `DATABASE_URL`; what it leaves
//! out comes from the `PG*` environment variables, then libpq's defaults; a missing password comes
//! from `PGPASSWORD`, then the password file. tokio-postgres parses the connection string itself but
//! knows none of libpq's TLS files, `passfile` or the `allow`/`verify-*` modes, so those parameters
//! are taken out here (the TLS ones resolved in `ssl.rs`) and handled by `tls` and `connect`. Pure
//! but for reading the password file and looking for the default certificate files; the
//! environment is passed in, so tests give their own.

mod ssl;
mod syntax;

pub use crate::model::connection::{Origin, SslMode};
pub use ssl::{RootCerts, TlsSettings};

use super::pgpass;
use ssl::tls_settings;
use std::path::{Path, PathBuf};
use std::time::Duration;
use syntax::{split, uri_without_port, without_ports, SUPPORTED};
use tokio_postgres::config::Host;

/// Where the password came from, for the authentication hint (never the password itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PasswordSource {
    ConnectionString,
    Environment,
    File(PathBuf),
    /// No password; the password file was missing, had no matching line, or was refused (reason).
    None {
        file: Option<PathBuf>,
        refused: Option<String>,
    },
}

/// TCP keepalive settings (libpq's `keepalives*`): on by default, so a connection whose peer
/// vanished during a long transform is noticed in minutes, not the kernel's two hours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Keepalives {
    pub enabled: bool,
    pub idle: Duration,
    pub interval: Duration,
    pub retries: u32,
}

/// Everything needed to connect.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Hosts, ports, user, password, database, application name (TLS mode set per attempt).
    pub pg: tokio_postgres::Config,
    pub tls: TlsSettings,
    /// Bound on each whole connection attempt (resolve, TCP, TLS, authentication); `None` waits.
    pub connect_timeout: Option<Duration>,
    pub keepalives: Keepalives,
    pub origin: Origin,
    pub password: PasswordSource,
}

/// The default `connect_timeout`: libpq waits for ever; a migration tool should not.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(30);

/// The default `application_name`, so the DBA sees who is connected in `pg_stat_activity`.
pub const APPLICATION_NAME: &str = "bellatrix-migrate";

/// A connection string or environment that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("invalid connection string: {0}")]
    Syntax(String),
    #[error("connection parameter `{0}` is not supported (supported: {SUPPORTED})")]
    Unsupported(String),
    #[error("invalid value for connection parameter `{name}`: expected {expected}")]
    Value {
        name: String,
        expected: &'static str,
    },
    #[error("{0}")]
    Tls(String),
}

/// The environment: a variable's value, `None` when unset or empty.
pub type Env<'a> = &'a dyn Fn(&str) -> Option<String>;

/// The process environment, with empty variables treated as unset (as libpq does).
pub fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// The `PG*` variables that name a server: when one is set, the user means that server, never the
/// local throwaway cluster.
pub const TARGET_VARIABLES: &[&str] = &[
    "PGHOST",
    "PGHOSTADDR",
    "PGPORT",
    "PGDATABASE",
    "PGUSER",
    "PGPASSWORD",
    "PGSERVICE",
];

/// Resolves `conninfo` (possibly empty) with `env` as libpq would.
pub fn resolve(conninfo: &str, origin: Origin, env: Env<'_>) -> Result<Settings, SettingsError> {
    if env("PGSERVICE").is_some() {
        return Err(SettingsError::Unsupported("service (PGSERVICE)".to_owned()));
    }
    let (rest, handled) = split(conninfo)?;
    let mut pg: tokio_postgres::Config = rest
        .parse()
        .map_err(|e: tokio_postgres::Error| SettingsError::Syntax(e.to_string()))?;
    if uri_without_port(&rest) {
        // tokio-postgres writes 5432 for a URI host without a port; libpq lets PGPORT fill it.
        pg = without_ports(&pg);
    }
    let param = |name: &str, var: Option<&str>| -> Option<String> {
        handled
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .or_else(|| var.and_then(env))
    };
    fill_target(&mut pg, env)?;
    let home = home_dir(env);
    let password = fill_password(
        &mut pg,
        param("passfile", Some("PGPASSFILE")),
        home.as_deref(),
        env,
    );
    let application_name = param("application_name", Some("PGAPPNAME"))
        .or_else(|| param("fallback_application_name", None))
        .unwrap_or_else(|| APPLICATION_NAME.to_owned());
    pg.application_name(application_name);
    Ok(Settings {
        pg,
        tls: tls_settings(&param, home.as_deref())?,
        connect_timeout: connect_timeout(param("connect_timeout", Some("PGCONNECT_TIMEOUT")))?,
        keepalives: keepalives(&param)?,
        origin,
        password,
    })
}

/// The tool's own local cluster: loopback TCP, no TLS, its superuser, and (when the cluster has
/// one) its generated password.
pub fn local(port: u16, dbname: &str, user: &str, password: Option<String>) -> Settings {
    let mut pg = tokio_postgres::Config::new();
    pg.host("127.0.0.1")
        .port(port)
        .user(user)
        .dbname(dbname)
        .application_name(APPLICATION_NAME);
    let source = match password {
        Some(p) => {
            pg.password(p);
            PasswordSource::ConnectionString
        }
        None => PasswordSource::None {
            file: None,
            refused: None,
        },
    };
    Settings {
        pg,
        tls: TlsSettings {
            mode: SslMode::Disable,
            root: RootCerts::None,
            client: None,
        },
        connect_timeout: Some(DEFAULT_CONNECT_TIMEOUT),
        keepalives: Keepalives {
            enabled: true,
            idle: Duration::from_secs(60),
            interval: Duration::from_secs(15),
            retries: 4,
        },
        origin: Origin::Local,
        password: source,
    }
}

/// Fills hosts, ports, user and database from the environment, then libpq's defaults.
fn fill_target(pg: &mut tokio_postgres::Config, env: Env<'_>) -> Result<(), SettingsError> {
    if pg.get_hosts().is_empty() && pg.get_hostaddrs().is_empty() {
        if let Some(hosts) = env("PGHOST") {
            for host in hosts.split(',') {
                pg.host(host);
            }
        } else if let Some(addr) = env("PGHOSTADDR") {
            let addr = addr.parse().map_err(|_| SettingsError::Value {
                name: "hostaddr (PGHOSTADDR)".to_owned(),
                expected: "an IP address",
            })?;
            pg.hostaddr(addr);
        } else {
            pg.host(default_socket_dir());
        }
    }
    if pg.get_ports().is_empty() {
        for port in env("PGPORT").as_deref().unwrap_or("5432").split(',') {
            pg.port(port.trim().parse().map_err(|_| SettingsError::Value {
                name: "port (PGPORT)".to_owned(),
                expected: "a port number",
            })?);
        }
    }
    if pg.get_user().is_none() {
        pg.user(env("PGUSER").unwrap_or_else(os_user));
    }
    if pg.get_dbname().is_none() {
        let db = env("PGDATABASE").unwrap_or_else(|| pg.get_user().unwrap_or_default().to_owned());
        pg.dbname(db);
    }
    Ok(())
}

/// libpq's default host: the Unix-socket directory (Debian's, else the upstream `/tmp`).
fn default_socket_dir() -> &'static str {
    if Path::new("/var/run/postgresql").is_dir() {
        "/var/run/postgresql"
    } else {
        "/tmp"
    }
}

fn os_user() -> String {
    nix::unistd::User::from_uid(nix::unistd::getuid())
        .ok()
        .flatten()
        .map(|u| u.name)
        .unwrap_or_else(|| "postgres".to_owned())
}

fn home_dir(env: Env<'_>) -> Option<PathBuf> {
    env("HOME").map(PathBuf::from).or_else(|| {
        nix::unistd::User::from_uid(nix::unistd::getuid())
            .ok()
            .flatten()
            .map(|u| u.dir)
    })
}

/// The password: given, else `PGPASSWORD`, else the password file's first matching line.
fn fill_password(
    pg: &mut tokio_postgres::Config,
    passfile: Option<String>,
    home: Option<&Path>,
    env: Env<'_>,
) -> PasswordSource {
    if pg.get_password().is_some() {
        return PasswordSource::ConnectionString;
    }
    if let Some(password) = env("PGPASSWORD") {
        pg.password(password);
        return PasswordSource::Environment;
    }
    let Some(file) = passfile
        .map(PathBuf::from)
        .or_else(|| pgpass::default_path(home))
    else {
        return PasswordSource::None {
            file: None,
            refused: None,
        };
    };
    let ports = pg.get_ports().to_vec();
    let hosts: Vec<String> = pg.get_hosts().iter().map(host_name).collect();
    let (user, database) = (
        pg.get_user().unwrap_or_default().to_owned(),
        pg.get_dbname().unwrap_or_default().to_owned(),
    );
    for (i, host) in hosts.iter().enumerate() {
        let port = ports.get(i).or(ports.first()).copied().unwrap_or(5432);
        let key = pgpass::Key {
            host,
            port,
            database: &database,
            user: &user,
        };
        match pgpass::lookup(&file, key) {
            pgpass::Lookup::Found(password) => {
                pg.password(password);
                return PasswordSource::File(file);
            }
            pgpass::Lookup::Refused(reason) => {
                return PasswordSource::None {
                    file: Some(file),
                    refused: Some(reason),
                }
            }
            pgpass::Lookup::NoMatch | pgpass::Lookup::Missing => {}
        }
    }
    PasswordSource::None {
        file: Some(file),
        refused: None,
    }
}

/// A host as text: a name, or a Unix-socket directory.
pub fn host_name(host: &Host) -> String {
    match host {
        Host::Tcp(name) => name.clone(),
        Host::Unix(path) => path.display().to_string(),
    }
}

/// libpq's `connect_timeout`: whole seconds, at least 2; 0 waits for ever. Default 30 s.
fn connect_timeout(value: Option<String>) -> Result<Option<Duration>, SettingsError> {
    let Some(value) = value else {
        return Ok(Some(DEFAULT_CONNECT_TIMEOUT));
    };
    let seconds: i64 = value.trim().parse().map_err(|_| SettingsError::Value {
        name: "connect_timeout".to_owned(),
        expected: "whole seconds",
    })?;
    Ok(match u64::try_from(seconds) {
        Ok(0) | Err(_) => None,
        Ok(s) => Some(Duration::from_secs(s.max(2))),
    })
}

fn keepalives(
    param: &dyn Fn(&str, Option<&str>) -> Option<String>,
) -> Result<Keepalives, SettingsError> {
    let number = |name: &str, default: u64| -> Result<u64, SettingsError> {
        param(name, None).map_or(Ok(default), |v| {
            v.trim().parse().map_err(|_| SettingsError::Value {
                name: name.to_owned(),
                expected: "a whole number",
            })
        })
    };
    Ok(Keepalives {
        enabled: number("keepalives", 1)? != 0,
        idle: Duration::from_secs(number("keepalives_idle", 60)?.max(1)),
        interval: Duration::from_secs(number("keepalives_interval", 15)?.max(1)),
        retries: u32::try_from(number("keepalives_retries", 4)?).unwrap_or(u32::MAX),
    })
}

#[cfg(test)]
mod tests;
