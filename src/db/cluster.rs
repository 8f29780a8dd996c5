//! A PostgreSQL cluster on this machine: `initdb` into a directory, a loopback port, no Unix socket.
//! The tool's own local cluster under `.bellatrix/` ([`super::local`]) requires a password (SCRAM),
//! kept in a 0600 `pgpass` file beside the data; the test suite's clusters (one per test binary)
//! trust every connection. `initdb` refuses to run as root, so as root the server runs as the
//! `postgres` user (or as the owner of an existing data directory).

mod conf;
mod error;

pub(crate) use conf::write_private;
pub use conf::{configured_port, generate_password, password_in_pgpass, pgpass_line, with_port};
pub use error::ClusterError;

use std::net::TcpListener;
use std::os::unix::fs::MetadataExt;
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
pub fn find_bin_dir() -> Result<PathBuf, ClusterError> {
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
    candidates
        .pop()
        .map(|(_, bin)| bin)
        .ok_or(ClusterError::NoServerBinaries)
}

/// The uid/gid to run the server as: none when not root; else the owner of the existing data
/// directory `data` (unless that is root), else the `postgres` user.
fn unprivileged_user(data: &Path) -> Result<Option<(u32, u32)>, ClusterError> {
    if !nix::unistd::geteuid().is_root() {
        return Ok(None);
    }
    if let Ok(meta) = std::fs::metadata(data) {
        if meta.uid() != 0 {
            return Ok(Some((meta.uid(), meta.gid())));
        }
    }
    let user = nix::unistd::User::from_name(SUPERUSER)
        .map_err(ClusterError::UserLookup)?
        .ok_or(ClusterError::NoPostgresUser)?;
    Ok(Some((user.uid.as_raw(), user.gid.as_raw())))
}

/// A port that was free a moment ago on 127.0.0.1.
pub fn free_port() -> Result<u16, ClusterError> {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|a| a.port())
        .map_err(ClusterError::NoFreePort)
}

/// Whether nothing listens on `port` of 127.0.0.1 (binding it succeeds).
pub fn port_is_free(port: u16) -> bool {
    TcpListener::bind(("127.0.0.1", port)).is_ok()
}

impl Cluster {
    /// Describes the cluster in `dir` (data in `dir/data`) without touching it.
    pub fn at(dir: &Path, port: u16) -> Result<Self, ClusterError> {
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
    pub fn load_password(&mut self) -> Result<(), ClusterError> {
        let path = self.pgpass_path();
        let text =
            std::fs::read_to_string(&path).map_err(ClusterError::file("reading", path.clone()))?;
        let password =
            password_in_pgpass(&text).ok_or(ClusterError::NoPassword { path: path.clone() })?;
        self.password = Some(password);
        Ok(())
    }

    /// Writes [`Cluster::pgpass_path`] for `password` and this port.
    pub(crate) fn write_pgpass(&self, password: &str) -> Result<(), ClusterError> {
        write_private(&self.pgpass_path(), &pgpass_line(self.port, password), None)
    }

    /// Moves the (stopped) server to `port`: `postgresql.conf`, and the password file when there is
    /// one.
    pub(crate) fn set_port(&mut self, port: u16) -> Result<(), ClusterError> {
        let conf = self.data().join("postgresql.conf");
        let text =
            std::fs::read_to_string(&conf).map_err(ClusterError::file("reading", conf.clone()))?;
        std::fs::write(&conf, with_port(&text, port))
            .map_err(ClusterError::file("writing", conf))?;
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

    fn run(&self, cmd: Command, what: &str) -> Result<(), ClusterError> {
        let output = self.output(cmd, what)?;
        if output.status.success() {
            Ok(())
        } else {
            Err(ClusterError::Failed {
                program: what.to_owned(),
                status: output.status,
                stderr: String::from_utf8_lossy(&output.stderr).trim().to_owned(),
            })
        }
    }

    /// Runs `cmd`, explaining a failure to start it.
    pub(crate) fn output(
        &self,
        mut cmd: Command,
        what: &str,
    ) -> Result<std::process::Output, ClusterError> {
        cmd.output().map_err(|source| {
            let unreachable = (source.kind() == std::io::ErrorKind::PermissionDenied
                && self.run_as.is_some())
            .then(|| self.dir.clone());
            ClusterError::Spawn {
                program: what.to_owned(),
                unreachable,
                source,
            }
        })
    }

    /// Whether `initdb` already ran here.
    pub fn exists(&self) -> bool {
        self.data().join("PG_VERSION").is_file()
    }

    /// Runs `initdb` and writes the connection settings into `postgresql.conf`. With
    /// [`Durability::Normal`] the superuser gets a generated password (SCRAM for every connection),
    /// written to [`Cluster::pgpass_path`]; [`Durability::Throwaway`] trusts every connection.
    pub fn init(&self, durability: Durability) -> Result<(), ClusterError> {
        std::fs::create_dir_all(&self.dir)
            .map_err(ClusterError::file("creating", self.dir.clone()))?;
        if let Some((uid, gid)) = self.run_as {
            std::os::unix::fs::chown(&self.dir, Some(uid), Some(gid)).map_err(|source| {
                ClusterError::HandOver {
                    path: self.dir.clone(),
                    source,
                }
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
        let mut text =
            std::fs::read_to_string(&conf).map_err(ClusterError::file("reading", conf.clone()))?;
        text.push_str(&settings);
        std::fs::write(&conf, text).map_err(ClusterError::file("writing", conf))?;
        match &password {
            Some(password) => self.write_pgpass(password),
            None => Ok(()),
        }
    }

    /// Runs `initdb`, its output kept in `DIR/initdb.log`; a failure names that file and initdb's
    /// first complaint (a new cluster holds no data yet, so its output cannot either).
    fn run_initdb(&self, initdb: Command) -> Result<(), ClusterError> {
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
        Err(ClusterError::Initdb {
            status: output.status,
            complaint: first.trim().to_owned(),
            log,
        })
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
    pub fn start(&self) -> Result<(), ClusterError> {
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
        let complaints = stderr
            .lines()
            .map(str::trim)
            .filter(|l| l.starts_with("pg_ctl:") && !l.contains("could not start server"))
            .map(str::to_owned)
            .collect();
        Err(ClusterError::NotStarted {
            data: self.data(),
            complaints,
            log: self.log_path(),
        })
    }

    /// Stops the server (fast shutdown).
    pub fn stop(&self) -> Result<(), ClusterError> {
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
    pub fn remove_when_gone(&self, pid: u32) -> Result<(), ClusterError> {
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
        cmd.spawn().map(drop).map_err(ClusterError::Watcher)
    }
}
