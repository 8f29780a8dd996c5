//! Why a connection failed, in words a person can act on: the stage, the server's own message
//! without tokio-postgres's "db error" wrapping, and a hint chosen from the SQLSTATE or the TLS
//! and I/O error; also for the pool's further connections, whose errors speak of "objects".

use crate::db::conninfo::{PasswordSource, RootCerts, Settings};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use tokio_postgres::error::SqlState;

/// The stage a connection attempt failed in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    Resolve,
    Tcp,
    Tls,
    Authentication,
    Database,
    Server,
}

impl std::fmt::Display for Stage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Stage::Resolve => "resolving the host name",
            Stage::Tcp => "opening the connection",
            Stage::Tls => "TLS",
            Stage::Authentication => "authentication",
            Stage::Database => "opening the database",
            Stage::Server => "server start-up",
        })
    }
}

/// A connection that could not be opened: where, at which stage, why, and what to try.
#[derive(Debug, thiserror::Error)]
#[error("cannot connect to {target} ({stage}): {cause}{}", hint.as_ref().map(|h| format!("\nhint: {h}")).unwrap_or_default())]
pub struct ConnectError {
    pub target: String,
    pub stage: Stage,
    pub cause: String,
    pub hint: Option<String>,
}

/// Why a start-up failed: the server's error, or the time running out.
pub(super) enum StartupError {
    Pg(tokio_postgres::Error),
    Setup(String),
    TimedOut,
}

pub(super) fn socket_hint(path: &std::path::Path) -> String {
    format!(
        "is the server running locally and accepting connections on the Unix socket {}? (give \
         host=HOST for TCP)",
        path.display()
    )
}

pub(super) fn tcp_hint(e: &std::io::Error, port: u16) -> String {
    match e.kind() {
        std::io::ErrorKind::ConnectionRefused => {
            format!("is the server running on that host and accepting TCP/IP connections on port {port}?")
        }
        _ => "check the host, the port and the network path to the server".to_owned(),
    }
}

/// Turns a start-up failure into a stage, a cause without "db error" noise, and a hint.
pub(super) fn classify(
    e: StartupError,
    settings: &Settings,
    target: &str,
    used_tls: &AtomicBool,
    timed_out: &dyn Fn(Stage) -> ConnectError,
) -> ConnectError {
    let encrypted = used_tls.load(Ordering::SeqCst);
    let e = match e {
        StartupError::TimedOut => {
            return timed_out(if encrypted {
                Stage::Authentication
            } else {
                Stage::Server
            })
        }
        StartupError::Setup(cause) => {
            return ConnectError {
                target: target.to_owned(),
                stage: Stage::Tls,
                cause,
                hint: None,
            }
        }
        StartupError::Pg(e) => e,
    };
    let (stage, cause, hint) = describe(&e, settings, encrypted);
    ConnectError {
        target: target.to_owned(),
        stage,
        cause,
        hint,
    }
}

/// The innermost message of an error chain (the one that says what happened).
pub fn innermost(e: &(dyn std::error::Error + 'static)) -> String {
    let mut current = e;
    while let Some(next) = current.source() {
        current = next;
    }
    current.to_string()
}

fn describe(
    e: &tokio_postgres::Error,
    settings: &Settings,
    encrypted: bool,
) -> (Stage, String, Option<String>) {
    if let Some(db) = e.as_db_error() {
        let message = db.message().to_owned();
        let code = db.code();
        if *code == SqlState::INVALID_PASSWORD {
            return (
                Stage::Authentication,
                message,
                Some(password_hint(&settings.password)),
            );
        }
        if *code == SqlState::INVALID_AUTHORIZATION_SPECIFICATION {
            let hint = if !encrypted && message.contains("no encryption") {
                "the server accepts this user here only over TLS: connect with sslmode=require \
                 (better: sslmode=verify-full with sslrootcert=FILE)"
            } else {
                "the server's pg_hba.conf has no line that lets this user in from this host to this \
                 database: ask the DBA to add one"
            };
            return (Stage::Authentication, message, Some(hint.to_owned()));
        }
        if *code == SqlState::INVALID_CATALOG_NAME {
            return (
                Stage::Database,
                message,
                Some("check the database name, or create it (createdb) and run `bellatrix-migrate init`".to_owned()),
            );
        }
        if *code == SqlState::TOO_MANY_CONNECTIONS {
            return (
                Stage::Server,
                message,
                Some("the server (or pooler) allows no more connections: wait for others to end, or raise max_connections".to_owned()),
            );
        }
        if *code == SqlState::CANNOT_CONNECT_NOW {
            return (
                Stage::Server,
                message,
                Some("the server is starting or stopping: try again shortly".to_owned()),
            );
        }
        return (Stage::Server, message, None);
    }
    let top = e.to_string();
    let cause = innermost(e);
    if top.starts_with("error performing TLS handshake") {
        let hint = tls_hint(&cause, settings);
        return (Stage::Tls, cause, Some(hint));
    }
    if cause.contains("password missing") {
        return (
            Stage::Authentication,
            "the server asks for a password and none was given".to_owned(),
            Some(password_hint(&settings.password)),
        );
    }
    if top.starts_with("authentication error") {
        return (Stage::Authentication, cause, None);
    }
    (
        Stage::Server,
        cause,
        Some(
            "the server closed the connection during start-up: is this a PostgreSQL server (or \
             PgBouncer) on that port? Its log may say why"
                .to_owned(),
        ),
    )
}

fn tls_hint(cause: &str, settings: &Settings) -> String {
    let lower = cause.to_lowercase();
    if lower.contains("does not support tls") {
        "the server does not offer TLS: ask the DBA to enable ssl on the server; only on a trusted \
         network use sslmode=prefer or disable"
            .to_owned()
    } else if lower.contains("not valid for name") || lower.contains("notvalidforname") {
        "the server's certificate was issued for another host name: connect with a name the \
         certificate lists, or use sslmode=verify-ca to check only the signing chain"
            .to_owned()
    } else if lower.contains("unknown issuer") || lower.contains("unknownissuer") {
        format!(
            "the server's certificate is not signed by a trusted authority{}: give the CA that \
             signed it with sslrootcert=FILE (for Amazon RDS, the region's certificate bundle)",
            match &settings.tls.root {
                RootCerts::File(f) => format!(" in {}", f.display()),
                RootCerts::System => " of this machine".to_owned(),
                RootCerts::None => String::new(),
            }
        )
    } else if lower.contains("expired") {
        "the server's certificate has expired (or this machine's clock is wrong)".to_owned()
    } else {
        "the TLS handshake failed: check sslmode, sslrootcert and the server's ssl settings"
            .to_owned()
    }
}

fn password_hint(source: &PasswordSource) -> String {
    match source {
        PasswordSource::ConnectionString => {
            "check the password given in the connection string".to_owned()
        }
        PasswordSource::Environment => "check the password in PGPASSWORD".to_owned(),
        PasswordSource::File(file) => {
            format!("check the password for this server in {}", file.display())
        }
        PasswordSource::None {
            refused: Some(reason),
            ..
        } => format!("{reason}; until then no password was sent"),
        PasswordSource::None { file, .. } => format!(
            "no password was found: set PGPASSWORD, or add a line \
             host:port:database:user:password to {} (mode 0600); never put it in --database-url, \
             where other users see it in the process list",
            file.as_ref()
                .map_or_else(|| PathBuf::from("~/.pgpass"), PathBuf::clone)
                .display()
        ),
    }
}

/// What a failed `pool.get()` means, in words (the pool's own wording talks about "objects").
pub fn describe_pool_error(e: &deadpool_postgres::PoolError) -> String {
    use deadpool_postgres::PoolError;
    match e {
        PoolError::Backend(pg) => {
            let (cause, hint) = describe_further(pg);
            match hint {
                Some(h) => format!("{cause}\nhint: {h}"),
                None => cause,
            }
        }
        PoolError::Timeout(_) => {
            "no answer within connect_timeout while opening another connection\n\
             hint: a pooler whose pool is smaller than the connections this import needs at once \
             makes them wait; raise its pool size or use --jobs 1"
                .to_owned()
        }
        PoolError::Closed => "the connection pool was closed".to_owned(),
        PoolError::NoRuntimeSpecified => "no async runtime for connection timeouts".to_owned(),
        PoolError::PostCreateHook(e) => e.to_string(),
    }
}

/// The cause and hint of a failed further connection: the server's message, or the innermost
/// error; a hint when the server allows no more connections.
fn describe_further(e: &tokio_postgres::Error) -> (String, Option<String>) {
    let db = e.as_db_error();
    let message = db
        .map(|d| d.message().to_owned())
        .unwrap_or_else(|| innermost(e));
    let hint = db
        .filter(|d| *d.code() == SqlState::TOO_MANY_CONNECTIONS)
        .map(|_| {
            "the server (or pooler) allows fewer connections than this import opens at once: \
             raise max_connections (or the pool size), or use --jobs 1"
                .to_owned()
        });
    (message, hint)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_connect_error_names_target_stage_and_hint_once() {
        let e = ConnectError {
            target: "postgresql://u@h:5432/d".to_owned(),
            stage: Stage::Tls,
            cause: "server does not support TLS".to_owned(),
            hint: Some("enable ssl".to_owned()),
        };
        let text = e.to_string();
        assert_eq!(
            text,
            "cannot connect to postgresql://u@h:5432/d (TLS): server does not support TLS\nhint: enable ssl"
        );
    }

    #[test]
    fn a_missing_password_hint_points_at_the_password_file_never_the_url() {
        let hint = password_hint(&PasswordSource::None {
            file: Some(PathBuf::from("/home/u/.pgpass")),
            refused: None,
        });
        assert!(
            hint.contains("/home/u/.pgpass") && hint.contains("PGPASSWORD"),
            "{hint}"
        );
    }
}
