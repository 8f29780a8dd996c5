//! The tool's own local cluster under `./.bellatrix/`, used when no database is named: created on first
//! use, started when stopped, moved to a free port when its port was taken meanwhile, and stopped by
//! `bellatrix-migrate local stop`. It listens on 127.0.0.1 only and requires the superuser's
//! password, which is generated at `initdb` and kept in `.bellatrix/pgpass` (0600); see
//! [`Cluster::pgpass_path`]. A directory made by an older version (trust, no password file) is given
//! a password the first time it is used.

use super::cluster::{self, free_port, port_is_free, Cluster, ClusterError, Durability, SUPERUSER};
use crate::error::Result;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Stdio;

/// The database the tool uses in its local cluster.
pub const DATABASE: &str = "bellatrix";

/// A started local cluster and what happened to it on the way, for the terminal.
#[derive(Debug)]
pub struct Local {
    /// The running cluster, its password loaded (for `conninfo::local`, in memory only).
    pub cluster: Cluster,
    /// Things the user should hear about: a moved port, a cluster given a password.
    pub notes: Vec<String>,
}

/// The local cluster under `base` and whether it runs, without starting or creating anything.
#[derive(Debug)]
pub enum State {
    /// No cluster was ever made there.
    Missing,
    Stopped(Cluster),
    Running(Cluster),
}

/// The file remembering the port (kept for scripts; `postgresql.conf` is what the server obeys).
fn port_file(base: &Path) -> std::path::PathBuf {
    base.join("port")
}

fn absolute(base: &Path) -> Result<std::path::PathBuf, ClusterError> {
    std::path::absolute(base).map_err(ClusterError::file("resolving", base))
}

fn remember_port(cluster: &Cluster) -> Result<(), ClusterError> {
    let path = port_file(&cluster.dir);
    std::fs::write(&path, cluster.port.to_string()).map_err(ClusterError::file("writing", path))
}

/// Describes the cluster under `base`, with the port its `postgresql.conf` sets.
fn existing(base: &Path) -> Result<Option<Cluster>, ClusterError> {
    let base = absolute(base)?;
    let mut cluster = Cluster::at(&base, 0)?;
    if !cluster.exists() {
        return Ok(None);
    }
    let remembered = std::fs::read_to_string(port_file(&base))
        .ok()
        .and_then(|p| p.trim().parse::<u16>().ok());
    cluster.port =
        cluster
            .configured_port()
            .or(remembered)
            .ok_or_else(|| ClusterError::NoPort {
                path: cluster.data().join("postgresql.conf"),
            })?;
    Ok(Some(cluster))
}

/// The local cluster under `base` (normally `./.bellatrix`): created on first use, given a password
/// if an older version made it without one, moved to a free port if its own is taken, started if
/// stopped.
pub fn start(base: &Path) -> Result<Local> {
    let mut notes = Vec::new();
    let mut cluster = match existing(base)? {
        Some(cluster) => cluster,
        None => {
            let cluster = Cluster::at(&absolute(base)?, free_port()?)?;
            cluster.init(Durability::Normal)?;
            remember_port(&cluster)?;
            cluster
        }
    };
    if !cluster.pgpass_path().is_file() {
        require_password(&cluster)?;
        notes.push(format!(
            "the local cluster in {} accepted connections without a password (it was made by an \
             older bellatrix-migrate); it now requires the password kept in {}",
            base.display(),
            base.join(cluster::PGPASS_FILE).display()
        ));
    }
    cluster.load_password()?;
    if !cluster.is_running() {
        if !port_is_free(cluster.port) {
            let taken = cluster.port;
            cluster.set_port(free_port()?)?;
            remember_port(&cluster)?;
            notes.push(format!(
                "port {taken} of the local cluster is taken by another program; it now uses port {}",
                cluster.port
            ));
        }
        cluster.start()?;
    }
    refresh_pgpass(&cluster)?;
    Ok(Local { cluster, notes })
}

/// Rewrites the password file when it names another port than the server's (`postgresql.conf` was
/// edited) or became readable by others (libpq would then refuse it).
fn refresh_pgpass(cluster: &Cluster) -> Result<(), ClusterError> {
    let Some(password) = cluster.password() else {
        return Ok(());
    };
    let path = cluster.pgpass_path();
    let current = std::fs::read_to_string(&path).ok();
    let private = std::fs::metadata(&path).is_ok_and(|m| m.permissions().mode() & 0o077 == 0);
    if private && current.as_deref() == Some(cluster::pgpass_line(cluster.port, password).as_str())
    {
        return Ok(());
    }
    cluster.write_pgpass(password)
}

/// Whether there is a local cluster under `base`, and whether it runs.
pub fn state(base: &Path) -> Result<State> {
    Ok(match existing(base)? {
        None => State::Missing,
        Some(cluster) if cluster.is_running() => State::Running(cluster),
        Some(cluster) => State::Stopped(cluster),
    })
}

/// Gives the superuser of a cluster made with trust authentication a generated password and makes
/// every connection require it: the server is stopped, the password set in single-user mode (read
/// from stdin, so no process list or log shows it), `pg_hba.conf` switched from trust to
/// scram-sha-256, and the password file written last (without it, the next run does this again).
fn require_password(cluster: &Cluster) -> Result<(), ClusterError> {
    if cluster.is_running() {
        cluster.stop()?;
    }
    let password = cluster::generate_password();
    let mut single = cluster.command("postgres");
    single
        .arg("--single")
        .arg("-D")
        .arg(cluster.data())
        .args([
            "-c",
            "exit_on_error=on",
            "-c",
            "log_min_error_statement=panic",
            "-c",
            "password_encryption=scram-sha-256",
            "postgres",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let mut child = single.spawn().map_err(|source| ClusterError::Spawn {
        program: "postgres --single to set a password".to_owned(),
        unreachable: None,
        source,
    })?;
    let statement = format!("ALTER ROLE {SUPERUSER} PASSWORD '{password}'\n");
    let written = child
        .stdin
        .take()
        .map(|mut stdin| stdin.write_all(statement.as_bytes()));
    let output = child
        .wait_with_output()
        .map_err(ClusterError::PasswordNotSent)?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let complaint = stderr
            .lines()
            .filter(|l| !l.contains(&password))
            .find(|l| l.contains("FATAL") || l.contains("ERROR"))
            .unwrap_or("")
            .trim()
            .to_owned();
        return Err(ClusterError::PasswordRefused {
            dir: cluster.dir.clone(),
            status: output.status,
            complaint,
        });
    }
    // The server ends without error when its stdin closes early: a password that was not written
    // is no success.
    written
        .unwrap_or_else(|| Err(std::io::ErrorKind::BrokenPipe.into()))
        .map_err(ClusterError::PasswordNotSent)?;
    let hba = cluster.data().join("pg_hba.conf");
    let text = std::fs::read_to_string(&hba).map_err(ClusterError::file("reading", hba.clone()))?;
    std::fs::write(&hba, requiring_passwords(&text)).map_err(ClusterError::file("writing", hba))?;
    cluster.write_pgpass(&password)
}

/// `pg_hba.conf` text with every `trust` method replaced by `scram-sha-256`.
pub fn requiring_passwords(hba: &str) -> String {
    let mut out = String::with_capacity(hba.len() + 64);
    for line in hba.lines() {
        let content = line.split('#').next().unwrap_or("");
        let fields: Vec<&str> = content.split_whitespace().collect();
        // local DATABASE USER METHOD, or host* DATABASE USER ADDRESS [MASK] METHOD [OPTIONS]
        let method_at = match fields.first() {
            Some(&"local") => Some(3),
            Some(kind) if kind.starts_with("host") => fields
                .iter()
                .skip(4)
                .position(|f| *f == "trust")
                .map(|i| i + 4),
            _ => None,
        };
        match method_at {
            Some(at) if fields.get(at) == Some(&"trust") => {
                let mut fields = fields.clone();
                fields[at] = "scram-sha-256";
                out.push_str(&fields.join("\t"));
            }
            _ => out.push_str(line),
        }
        out.push('\n');
    }
    out
}

/// How to reach the running local cluster from a shell, `dir` as the user named it.
pub fn connect_hint(dir: &Path, port: u16) -> String {
    format!(
        "PGPASSFILE={} psql -h 127.0.0.1 -p {port} -U {SUPERUSER} {DATABASE}",
        dir.join(cluster::PGPASS_FILE).display()
    )
}

/// `bellatrix-migrate local stop`: stops the cluster under `dir` (as root, as the user the server
/// runs as) and says what happened.
pub fn stop(dir: &Path) -> Result<String> {
    Ok(match state(dir)? {
        State::Missing => format!("no local cluster in {}: nothing to stop", dir.display()),
        State::Stopped(_) => format!("the local cluster in {} is not running", dir.display()),
        State::Running(cluster) => {
            cluster.stop()?;
            format!("stopped the local cluster in {}", dir.display())
        }
    })
}

/// `bellatrix-migrate local status`: whether the cluster under `dir` exists and runs, and how to
/// connect to it.
pub fn status(dir: &Path) -> Result<String> {
    Ok(match state(dir)? {
        State::Missing => format!(
            "no local cluster in {} (init or import without --database-url creates one)",
            dir.display()
        ),
        State::Stopped(cluster) => format!(
            "the local cluster in {} is stopped (port {}); init or import without --database-url \
             starts it",
            dir.display(),
            cluster.port
        ),
        State::Running(cluster) => format!(
            "the local cluster in {} is running on 127.0.0.1:{}\nconnect with: {}\nstop with: \
             bellatrix-migrate local stop\nserver log: {}",
            dir.display(),
            cluster.port,
            connect_hint(dir, cluster.port),
            dir.join(cluster::LOG_FILE).display()
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trust_lines_of_pg_hba_conf_come_to_require_a_password() {
        let hba = "# TYPE  DATABASE USER ADDRESS METHOD\n\
                   local   all all trust\n\
                   host    all all 127.0.0.1/32 trust\n\
                   host    replication all ::1/128 trust\n\
                   hostssl all all 10.0.0.0 255.0.0.0 md5\n\
                   # host all all 0.0.0.0/0 trust\n";
        let out = requiring_passwords(hba);
        assert_eq!(
            out,
            "# TYPE  DATABASE USER ADDRESS METHOD\n\
             local\tall\tall\tscram-sha-256\n\
             host\tall\tall\t127.0.0.1/32\tscram-sha-256\n\
             host\treplication\tall\t::1/128\tscram-sha-256\n\
             hostssl all all 10.0.0.0 255.0.0.0 md5\n\
             # host all all 0.0.0.0/0 trust\n"
        );
    }

    #[test]
    fn the_hint_names_the_password_file_never_the_password() {
        assert_eq!(
            connect_hint(Path::new(".bellatrix"), 5433),
            "PGPASSFILE=.bellatrix/pgpass psql -h 127.0.0.1 -p 5433 -U postgres bellatrix"
        );
    }
}
