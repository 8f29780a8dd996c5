//! A PostgreSQL cluster on this machine: `initdb` into a directory, a loopback port, no Unix socket.
//! The tool's own local cluster under `.bellatrix/` ([`super::local`]) requires a password (SCRAM),
//! kept in a 0600 `pgpass` file beside the data; the test suite's clusters (one per test binary)
//! trust every connection. `initdb` refuses to run as root, so as root the server runs as the
//! `postgres` user (or as the owner of an existing data directory).

use crate::error::{Error, Result};
use std::io::Write;
use std::net::TcpListener;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The superuser of clusters made here.
pub const SUPERUSER: &str = "postgres";
/// The server log, in the cluster's directory.
pub const LOG_FILE: &str = "server.log";
/// The password file, in the cluster's directory (clusters that require a password).
pub const PGPASS_FILE: &str = "pgpass";
/// The output of `initdb`, in the cluster's directory.
const INITDB_LOG: &str = "initdb.log";

/// A cluster's data directory and port.
#[derive(Debug, Clone)]
pub struct Cluster {
    pub dir: PathBuf,
    pub port: u16,
    bin: PathBuf,
    run_as: Option<(u32, u32)>,
    password: Option<String>,
}

/// How the server should trade durability for speed, and whom it trusts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    /// Normal settings and password authentication (the tool's own local cluster): a generated
    /// password, kept in `DIR/pgpass`.
    Normal,
    /// fsync off and trust authentication: for test clusters that are deleted afterwards.
    Throwaway,
}

/// Finds `initdb`, `pg_ctl` and `postgres`: from PATH, else the newest `/usr/lib/postgresql/*/bin`.
pub fn find_bin_dir() -> Result<PathBuf> {
    if let Some(dir) = std::env::var_os("PATH")
        .iter()
        .flat_map(std::env::split_paths)
        .find(|d| d.join("initdb").is_file() && d.join("pg_ctl").is_file())
    {
        return Ok(dir);
    }
    let mut candidates: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let version = e.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").is_file().then_some((version, bin))
        })
        .collect();
    candidates.sort();
    candidates.pop().map(|(_, bin)| bin).ok_or_else(|| {
        Error::Cluster(
            "no PostgreSQL server binaries (initdb, pg_ctl) on PATH or under /usr/lib/postgresql/*/bin; \
             install them, e.g. `apt-get install postgresql`, or pass --database-url"
                .to_owned(),
        )
    })
}

/// The uid/gid to run the server as: none when not root; else the owner of the existing data
/// directory `data` (unless that is root), else the `postgres` user.
fn unprivileged_user(data: &Path) -> Result<Option<(u32, u32)>> {
    if !nix::unistd::geteuid().is_root() {
        return Ok(None);
    }
    if let Ok(meta) = std::fs::metadata(data) {
        if meta.uid() != 0 {
            return Ok(Some((meta.uid(), meta.gid())));
        }
    }
    let user = nix::unistd::User::from_name(SUPERUSER)
        .map_err(|e| Error::Cluster(format!("looking up the postgres user: {e}")))?
        .ok_or_else(|| {
            Error::Cluster(
                "running as root, and there is no `postgres` user to run the server as".to_owned(),
            )
        })?;
    Ok(Some((user.uid.as_raw(), user.gid.as_raw())))
}

/// A port that was free a moment ago on 127.0.0.1.
pub fn free_port() -> Result<u16> {
    let listener = TcpListener::bind("127.0.0.1:0")
        .map_err(|e| Error::Cluster(format!("finding a free port: {e}")))?;
    listener
        .local_addr()
        .map(|a| a.port())
        .map_err(|e| Error::Cluster(format!("finding a free port: {e}")))
}

/// Whether nothing listens on `port` of 127.0.0.1 (binding it succeeds).
pub fn port_is_free(port: u16) -> bool {
    TcpListener::bind(("127.0.0.1", port)).is_ok()
}

/// A password for a new cluster: 32 random letters and digits (no character that `.pgpass` or a
/// URL would have to escape).
pub fn generate_password() -> String {
    use rand::Rng;
    rand::rng()
        .sample_iter(&rand::distr::Alphanumeric)
        .take(32)
        .map(char::from)
        .collect()
}

/// The `.pgpass` line for the superuser of a cluster on `port` of 127.0.0.1.
pub fn pgpass_line(port: u16, password: &str) -> String {
    format!("127.0.0.1:{port}:*:{SUPERUSER}:{password}\n")
}

/// The superuser's password in `.pgpass` text, from the first line for 127.0.0.1 and that user
/// (any port: the port may have moved since).
pub fn password_in_pgpass(text: &str) -> Option<String> {
    text.lines().find_map(|line| {
        let fields: Vec<&str> = line.splitn(5, ':').collect();
        match fields.as_slice() {
            ["127.0.0.1", _, _, SUPERUSER, password] if !password.is_empty() => {
                Some((*password).to_owned())
            }
            _ => None,
        }
    })
}

/// Writes `text` to `path` readable by its owner only (0600, created so, never wider), through a
/// temporary file renamed into place.
pub(crate) fn write_private(path: &Path, text: &str, owner: Option<(u32, u32)>) -> Result<()> {
    let failed = |e: std::io::Error| Error::Cluster(format!("writing {}: {e}", path.display()));
    let temporary = path.with_extension("tmp");
    let _ = std::fs::remove_file(&temporary);
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&temporary)
        .map_err(failed)?;
    file.set_permissions(std::fs::Permissions::from_mode(0o600))
        .and_then(|()| file.write_all(text.as_bytes()))
        .and_then(|()| file.sync_all())
        .map_err(failed)?;
    if let Some((uid, gid)) = owner {
        std::os::unix::fs::chown(&temporary, Some(uid), Some(gid)).map_err(failed)?;
    }
    std::fs::rename(&temporary, path).map_err(failed)
}

/// The port `postgresql.conf` text sets (its last uncommented `port` line), if any.
pub fn configured_port(conf: &str) -> Option<u16> {
    conf.lines()
        .rev()
        .find_map(port_setting)
        .and_then(|value| value.parse().ok())
}

/// The value of a `port = N` line (`port N` and a trailing comment allowed).
fn port_setting(line: &str) -> Option<&str> {
    let rest = line.trim_start().strip_prefix("port")?;
    if !rest.starts_with([' ', '\t', '=']) {
        return None;
    }
    let value = rest.trim_start().trim_start_matches('=').trim_start();
    let value = value.split('#').next().unwrap_or("").trim();
    Some(value.trim_matches('\''))
}

/// `postgresql.conf` text with every uncommented `port` line set to `port` (one added when none).
pub fn with_port(conf: &str, port: u16) -> String {
    let mut found = false;
    let mut out = String::with_capacity(conf.len() + 16);
    for line in conf.lines() {
        if port_setting(line).is_some() {
            found = true;
            out.push_str(&format!("port = {port}"));
        } else {
            out.push_str(line);
        }
        out.push('\n');
    }
    if !found {
        out.push_str(&format!("port = {port}\n"));
    }
    out
}

impl Cluster {
    /// Describes the cluster in `dir` (data in `dir/data`) without touching it.
    pub fn at(dir: &Path, port: u16) -> Result<Self> {
        Ok(Self {
            dir: dir.to_path_buf(),
            port,
            bin: find_bin_dir()?,
            run_as: unprivileged_user(&dir.join("data"))?,
            password: None,
        })
    }

    pub(crate) fn data(&self) -> PathBuf {
        self.dir.join("data")
    }

    /// The server log, `DIR/server.log`.
    pub fn log_path(&self) -> PathBuf {
        self.dir.join(LOG_FILE)
    }

    /// The password file of a cluster that requires a password (the tool's local cluster):
    /// `DIR/pgpass`, mode 0600, owned by the user who ran the tool, one line in libpq's `.pgpass`
    /// format, `127.0.0.1:PORT:*:postgres:PASSWORD`, so `PGPASSFILE=DIR/pgpass psql -h 127.0.0.1
    /// -p PORT -U postgres` connects.
    pub fn pgpass_path(&self) -> PathBuf {
        self.dir.join(PGPASS_FILE)
    }

    /// The superuser's password, once [`Cluster::load_password`] found one (none for trust clusters).
    pub fn password(&self) -> Option<&str> {
        self.password.as_deref()
    }

    /// Reads the superuser's password from [`Cluster::pgpass_path`].
    pub fn load_password(&mut self) -> Result<()> {
        let path = self.pgpass_path();
        let text = std::fs::read_to_string(&path)
            .map_err(|e| Error::Cluster(format!("reading {}: {e}", path.display())))?;
        let password = password_in_pgpass(&text).ok_or_else(|| {
            Error::Cluster(format!(
                "{} holds no password for {SUPERUSER} on 127.0.0.1",
                path.display()
            ))
        })?;
        self.password = Some(password);
        Ok(())
    }

    /// Writes [`Cluster::pgpass_path`] for `password` and this port.
    pub(crate) fn write_pgpass(&self, password: &str) -> Result<()> {
        write_private(&self.pgpass_path(), &pgpass_line(self.port, password), None)
    }

    /// Moves the (stopped) server to `port`: `postgresql.conf`, and the password file when there is
    /// one.
    pub(crate) fn set_port(&mut self, port: u16) -> Result<()> {
        let conf = self.data().join("postgresql.conf");
        let text = std::fs::read_to_string(&conf)
            .map_err(|e| Error::Cluster(format!("reading {}: {e}", conf.display())))?;
        std::fs::write(&conf, with_port(&text, port))
            .map_err(|e| Error::Cluster(format!("writing {}: {e}", conf.display())))?;
        self.port = port;
        if let Some(password) = self.password.clone() {
            self.write_pgpass(&password)?;
        }
        Ok(())
    }

    /// The port the existing cluster's `postgresql.conf` sets.
    pub fn configured_port(&self) -> Option<u16> {
        std::fs::read_to_string(self.data().join("postgresql.conf"))
            .ok()
            .as_deref()
            .and_then(configured_port)
    }

    pub(crate) fn command(&self, program: &str) -> Command {
        let mut cmd = Command::new(self.bin.join(program));
        cmd.current_dir(&self.dir).stdin(Stdio::null());
        if let Some((uid, gid)) = self.run_as {
            cmd.uid(uid).gid(gid).env("HOME", &self.dir);
        }
        cmd
    }

    fn run(&self, cmd: Command, what: &str) -> Result<()> {
        let output = self.output(cmd, what)?;
        if output.status.success() {
            Ok(())
        } else {
            Err(Error::Cluster(format!(
                "{what} failed ({}): {}",
                output.status,
                String::from_utf8_lossy(&output.stderr).trim()
            )))
        }
    }

    /// Runs `cmd`, explaining a failure to start it.
    pub(crate) fn output(&self, mut cmd: Command, what: &str) -> Result<std::process::Output> {
        cmd.output().map_err(|e| {
            let hint = if e.kind() == std::io::ErrorKind::PermissionDenied && self.run_as.is_some()
            {
                format!(
                    " (the server runs as the postgres user, who cannot reach {}: make its parent \
                     directories traversable, e.g. chmod o+x, or pass --database-url)",
                    self.dir.display()
                )
            } else {
                String::new()
            };
            Error::Cluster(format!("cannot run {what}: {e}{hint}"))
        })
    }

    /// Whether `initdb` already ran here.
    pub fn exists(&self) -> bool {
        self.data().join("PG_VERSION").is_file()
    }

    /// Runs `initdb` and writes the connection settings into `postgresql.conf`. With
    /// [`Durability::Normal`] the superuser gets a generated password (SCRAM for every connection),
    /// written to [`Cluster::pgpass_path`]; [`Durability::Throwaway`] trusts every connection.
    pub fn init(&self, durability: Durability) -> Result<()> {
        std::fs::create_dir_all(&self.dir)
            .map_err(|e| Error::Cluster(format!("creating {}: {e}", self.dir.display())))?;
        if let Some((uid, gid)) = self.run_as {
            std::os::unix::fs::chown(&self.dir, Some(uid), Some(gid)).map_err(|e| {
                Error::Cluster(format!(
                    "handing {} to the postgres user: {e}",
                    self.dir.display()
                ))
            })?;
        }
        let mut initdb = self.command("initdb");
        initdb
            .arg("-D")
            .arg(self.data())
            .args(["-U", SUPERUSER, "-E", "UTF8", "--locale=C.UTF-8"]);
        let password = (durability == Durability::Normal).then(generate_password);
        let pwfile = self.dir.join("initdb.pw");
        if let Some(password) = &password {
            // initdb reads the password from a file (never an argument, which `ps` would show).
            write_private(&pwfile, &format!("{password}\n"), self.run_as)?;
            initdb
                .arg("--auth=scram-sha-256")
                .arg(format!("--pwfile={}", pwfile.display()));
        } else {
            initdb.arg("--auth=trust");
        }
        let done = self.run_initdb(initdb);
        if password.is_some() {
            let _ = std::fs::remove_file(&pwfile);
        }
        done?;
        let mut settings = format!(
            "\n# written by bellatrix-migrate\nport = {}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = ''\n",
            self.port
        );
        if durability == Durability::Throwaway {
            settings.push_str("fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n");
        }
        let conf = self.data().join("postgresql.conf");
        let mut text = std::fs::read_to_string(&conf)
            .map_err(|e| Error::Cluster(format!("reading postgresql.conf: {e}")))?;
        text.push_str(&settings);
        std::fs::write(&conf, text)
            .map_err(|e| Error::Cluster(format!("writing postgresql.conf: {e}")))?;
        match &password {
            Some(password) => self.write_pgpass(password),
            None => Ok(()),
        }
    }

    /// Runs `initdb`, its output kept in `DIR/initdb.log`; a failure names that file and initdb's
    /// first complaint (a new cluster holds no data yet, so its output cannot either).
    fn run_initdb(&self, initdb: Command) -> Result<()> {
        let output = self.output(initdb, "initdb")?;
        let log = self.dir.join(INITDB_LOG);
        let mut text = output.stdout.clone();
        text.extend_from_slice(&output.stderr);
        let _ = std::fs::write(&log, &text);
        if output.status.success() {
            return Ok(());
        }
        let stderr = String::from_utf8_lossy(&output.stderr);
        let first = stderr.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
        Err(Error::Cluster(format!(
            "initdb failed ({}): {}; its output is in {}",
            output.status,
            first.trim(),
            log.display()
        )))
    }

    /// Whether the server is running (`pg_ctl status`).
    pub fn is_running(&self) -> bool {
        let mut status = self.command("pg_ctl");
        status
            .arg("status")
            .arg("-D")
            .arg(self.data())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        status.status().is_ok_and(|s| s.success())
    }

    /// Starts the server and waits until it accepts connections. A failure names the server log
    /// and copies none of it (earlier lines of a used cluster's log can quote statements and their
    /// data); pg_ctl's own complaints, which name only files and processes, are kept.
    pub fn start(&self) -> Result<()> {
        let mut start = self.command("pg_ctl");
        start
            .arg("start")
            .arg("-w")
            .args(["-t", "60"])
            .arg("-D")
            .arg(self.data())
            .arg("-l")
            .arg(self.log_path())
            .stdout(Stdio::null());
        let output = self.output(start, "pg_ctl start")?;
        if output.status.success() {
            return Ok(());
        }
        let stderr = String::from_utf8_lossy(&output.stderr);
        let complaints: Vec<&str> = stderr
            .lines()
            .map(str::trim)
            .filter(|l| l.starts_with("pg_ctl:") && !l.contains("could not start server"))
            .collect();
        let complaints = if complaints.is_empty() {
            String::new()
        } else {
            format!(" ({})", complaints.join("; "))
        };
        Err(Error::Cluster(format!(
            "the server in {} did not start{complaints}; its log is {}",
            self.data().display(),
            self.log_path().display()
        )))
    }

    /// Stops the server (fast shutdown).
    pub fn stop(&self) -> Result<()> {
        let mut stop = self.command("pg_ctl");
        stop.arg("stop")
            .args(["-m", "fast", "-w"])
            .arg("-D")
            .arg(self.data())
            .stdout(Stdio::null());
        self.run(stop, "pg_ctl stop")
    }

    /// A URL for `database` as the superuser, without a password: for the trust clusters of the
    /// tests. The tool connects to its own cluster with `conninfo::local` and the password.
    pub fn url(&self, database: &str) -> String {
        format!(
            "postgresql://{SUPERUSER}@127.0.0.1:{}/{database}",
            self.port
        )
    }

    /// Spawns a watcher that stops the server and deletes the directory once process `pid` is gone, so
    /// a test binary's cluster is torn down however the binary ends.
    pub fn remove_when_gone(&self, pid: u32) -> Result<()> {
        let script = format!(
            "while [ -d /proc/{pid} ]; do sleep 1; done; \"$0\" stop -m immediate -D \"$1\" >/dev/null 2>&1; rm -rf \"$2\""
        );
        let mut cmd = Command::new("sh");
        cmd.arg("-c")
            .arg(script)
            .arg(self.bin.join("pg_ctl"))
            .arg(self.data())
            .arg(&self.dir)
            .current_dir("/")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        if let Some((uid, gid)) = self.run_as {
            cmd.uid(uid).gid(gid);
        }
        cmd.process_group(0);
        cmd.spawn()
            .map(drop)
            .map_err(|e| Error::Cluster(format!("starting the clean-up watcher: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pgpass_line_gives_back_its_password() {
        let line = pgpass_line(5433, "Ab3dE");
        assert_eq!(line, "127.0.0.1:5433:*:postgres:Ab3dE\n");
        assert_eq!(password_in_pgpass(&line).as_deref(), Some("Ab3dE"));
        assert_eq!(password_in_pgpass("localhost:5433:*:postgres:x\n"), None);
        assert_eq!(password_in_pgpass("127.0.0.1:5433:*:alice:x\n"), None);
    }

    #[test]
    fn generated_passwords_are_long_plain_and_different() {
        let (a, b) = (generate_password(), generate_password());
        assert_eq!(a.len(), 32);
        assert!(a.chars().all(|c| c.is_ascii_alphanumeric()), "{a}");
        assert_ne!(a, b);
    }

    #[test]
    fn the_last_port_line_of_postgresql_conf_counts() {
        let conf = "#port = 5432\t\t# (change requires restart)\nport = 5433\nportal = 1\nport=5434 # ours\n";
        assert_eq!(configured_port(conf), Some(5434));
        assert_eq!(configured_port("#port = 5432\n"), None);
        assert_eq!(configured_port("port '6000'\n"), Some(6000));
    }

    #[test]
    fn moving_the_port_rewrites_every_port_line_and_keeps_the_rest() {
        let conf = "#port = 5432\nport = 5433\nlisten_addresses = '127.0.0.1'\nport=5434\n";
        let moved = with_port(conf, 6000);
        assert_eq!(
            moved,
            "#port = 5432\nport = 6000\nlisten_addresses = '127.0.0.1'\nport = 6000\n"
        );
        assert_eq!(configured_port(&moved), Some(6000));
        assert_eq!(
            with_port("fsync = off\n", 7000),
            "fsync = off\nport = 7000\n"
        );
    }
}
