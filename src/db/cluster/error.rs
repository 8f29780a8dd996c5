//! What making, starting or stopping a cluster can fail with. Each names the file or program and
//! keeps the I/O error as its source; a program that ran and failed gives its exit status and its
//! own complaint (never server log lines, which can quote statements and their data).

use std::path::PathBuf;
use std::process::ExitStatus;

/// A failure of [`super::Cluster`] or of the tool's local cluster ([`crate::db::local`]).
#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    #[error(
        "no PostgreSQL server binaries (initdb, pg_ctl) on PATH or under /usr/lib/postgresql/*/bin; \
         install them, e.g. `apt-get install postgresql`, or pass --database-url"
    )]
    NoServerBinaries,
    #[error("looking up the postgres user")]
    UserLookup(#[source] nix::Error),
    #[error("running as root, and there is no `postgres` user to run the server as")]
    NoPostgresUser,
    #[error("finding a free port")]
    NoFreePort(#[source] std::io::Error),
    /// A file or directory could not be read, written, created or resolved; `action` is the verb
    /// (`reading`, `writing`, ...).
    #[error("{action} {}", path.display())]
    File {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("handing {} to the postgres user", path.display())]
    HandOver {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{} holds no password for {} on 127.0.0.1", path.display(), super::SUPERUSER)]
    NoPassword { path: PathBuf },
    #[error("{} sets no port", path.display())]
    NoPort { path: PathBuf },
    /// A program could not be started; `unreachable` is the cluster's directory when the server
    /// runs as the postgres user and permission was denied (that user may not reach it).
    #[error("cannot run {program}{}", unreachable_hint(unreachable.as_ref()))]
    Spawn {
        program: String,
        unreachable: Option<PathBuf>,
        #[source]
        source: std::io::Error,
    },
    /// A program ran and failed; `stderr` is its standard error, trimmed.
    #[error("{program} failed ({status}): {stderr}")]
    Failed {
        program: String,
        status: ExitStatus,
        stderr: String,
    },
    /// `initdb` failed; `complaint` is the first line of its standard error, `log` holds all of it.
    #[error("initdb failed ({status}): {complaint}; its output is in {}", log.display())]
    Initdb {
        status: ExitStatus,
        complaint: String,
        log: PathBuf,
    },
    /// `pg_ctl start` failed; `complaints` are pg_ctl's own lines (files and processes only).
    #[error(
        "the server in {} did not start{}; its log is {}",
        data.display(),
        complaints_text(complaints),
        log.display()
    )]
    NotStarted {
        data: PathBuf,
        complaints: Vec<String>,
        log: PathBuf,
    },
    #[error("setting a password on the local cluster")]
    PasswordNotSent(#[source] std::io::Error),
    /// The single-user server refused the new password; `complaint` is its FATAL or ERROR line
    /// (never one holding the password).
    #[error(
        "setting a password on the local cluster in {} failed ({status}): {complaint}",
        dir.display()
    )]
    PasswordRefused {
        dir: PathBuf,
        status: ExitStatus,
        complaint: String,
    },
    #[error("starting the clean-up watcher")]
    Watcher(#[source] std::io::Error),
}

impl ClusterError {
    /// Wraps an I/O error on `path` with what was being done to it (`reading`, `writing`, ...).
    pub fn file(
        action: &'static str,
        path: impl Into<PathBuf>,
    ) -> impl FnOnce(std::io::Error) -> ClusterError {
        let path = path.into();
        move |source| ClusterError::File {
            action,
            path,
            source,
        }
    }
}

fn unreachable_hint(dir: Option<&PathBuf>) -> String {
    dir.map_or_else(String::new, |dir| {
        format!(
            " (the server runs as the postgres user, who cannot reach {}: make its parent \
             directories traversable, e.g. chmod o+x, or pass --database-url)",
            dir.display()
        )
    })
}

fn complaints_text(complaints: &[String]) -> String {
    if complaints.is_empty() {
        String::new()
    } else {
        format!(" ({})", complaints.join("; "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::process::ExitStatusExt;

    /// The whole chain, as `main` prints it.
    fn chain(e: ClusterError) -> String {
        format!("{:#}", anyhow::Error::new(crate::error::Error::from(e)))
    }

    #[test]
    fn an_io_failure_names_the_file_and_its_cause_once() {
        let e = ClusterError::file("writing", "/x/port")(std::io::Error::from(
            std::io::ErrorKind::PermissionDenied,
        ));
        assert_eq!(
            chain(e),
            "local PostgreSQL cluster: writing /x/port: permission denied"
        );
    }

    #[test]
    fn a_program_that_cannot_start_gives_the_hint_before_the_cause() {
        let e = ClusterError::Spawn {
            program: "initdb".to_owned(),
            unreachable: Some(PathBuf::from("/root/work/.bellatrix")),
            source: std::io::Error::from(std::io::ErrorKind::PermissionDenied),
        };
        assert_eq!(
            chain(e),
            "local PostgreSQL cluster: cannot run initdb (the server runs as the postgres user, \
             who cannot reach /root/work/.bellatrix: make its parent directories traversable, e.g. \
             chmod o+x, or pass --database-url): permission denied"
        );
    }

    #[test]
    fn a_server_that_did_not_start_names_its_log_and_pg_ctls_complaints() {
        let e = ClusterError::NotStarted {
            data: PathBuf::from("/c/data"),
            complaints: vec!["pg_ctl: a".to_owned(), "pg_ctl: b".to_owned()],
            log: PathBuf::from("/c/server.log"),
        };
        assert_eq!(
            e.to_string(),
            "the server in /c/data did not start (pg_ctl: a; pg_ctl: b); its log is /c/server.log"
        );
        let quiet = ClusterError::NotStarted {
            complaints: Vec::new(),
            data: PathBuf::from("/c/data"),
            log: PathBuf::from("/c/server.log"),
        };
        assert_eq!(
            quiet.to_string(),
            "the server in /c/data did not start; its log is /c/server.log"
        );
    }

    #[test]
    fn a_failed_program_gives_its_status_and_complaint() {
        let e = ClusterError::Failed {
            program: "pg_ctl stop".to_owned(),
            status: ExitStatus::from_raw(1 << 8),
            stderr: "pg_ctl: PID file does not exist".to_owned(),
        };
        assert_eq!(
            chain(e),
            "local PostgreSQL cluster: pg_ctl stop failed (exit status: 1): pg_ctl: PID file does \
             not exist"
        );
    }

    #[test]
    fn every_cluster_error_exits_2() {
        let e = crate::error::Error::from(ClusterError::NoServerBinaries);
        assert_eq!(e.exit_code(), 2);
    }
}
