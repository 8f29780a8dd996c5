//! A throwaway PostgreSQL cluster on this machine: `initdb` into a directory, a free loopback port, no
//! Unix socket, trust authentication. The tool uses one under `.bellatrix/` when no database URL is
//! given (DECISIONS.md); the test suite uses one per test binary. `initdb` refuses to run as root, so
//! as root the server runs as the `postgres` user.

use crate::error::{Error, Result};
use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The superuser of clusters made here.
pub const SUPERUSER: &str = "postgres";

/// A cluster's data directory and port.
#[derive(Debug, Clone)]
pub struct Cluster {
    pub dir: PathBuf,
    pub port: u16,
    bin: PathBuf,
    run_as: Option<(u32, u32)>,
}

/// How the server should trade durability for speed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    /// Normal settings (the tool's own local cluster).
    Normal,
    /// fsync off: for test clusters that are deleted afterwards.
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

/// The uid/gid to run the server as: none when not root, else the `postgres` user.
fn unprivileged_user() -> Result<Option<(u32, u32)>> {
    if !nix::unistd::geteuid().is_root() {
        return Ok(None);
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

impl Cluster {
    /// Describes the cluster in `dir` (data in `dir/data`) without touching it.
    pub fn at(dir: &Path, port: u16) -> Result<Self> {
        Ok(Self {
            dir: dir.to_path_buf(),
            port,
            bin: find_bin_dir()?,
            run_as: unprivileged_user()?,
        })
    }

    fn data(&self) -> PathBuf {
        self.dir.join("data")
    }

    fn command(&self, program: &str) -> Command {
        let mut cmd = Command::new(self.bin.join(program));
        cmd.current_dir(&self.dir).stdin(Stdio::null());
        if let Some((uid, gid)) = self.run_as {
            cmd.uid(uid).gid(gid).env("HOME", &self.dir);
        }
        cmd
    }

    fn run(&self, mut cmd: Command, what: &str) -> Result<()> {
        let output = cmd.output().map_err(|e| {
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
        })?;
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

    /// Whether `initdb` already ran here.
    pub fn exists(&self) -> bool {
        self.data().join("PG_VERSION").is_file()
    }

    /// Runs `initdb` and writes the connection settings into `postgresql.conf`.
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
        initdb.arg("-D").arg(self.data()).args([
            "-U",
            SUPERUSER,
            "--auth=trust",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
        ]);
        self.run(initdb, "initdb")?;
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
            .map_err(|e| Error::Cluster(format!("writing postgresql.conf: {e}")))
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

    /// Starts the server and waits until it accepts connections.
    pub fn start(&self) -> Result<()> {
        let mut start = self.command("pg_ctl");
        start
            .arg("start")
            .arg("-w")
            .args(["-t", "60"])
            .arg("-D")
            .arg(self.data())
            .arg("-l")
            .arg(self.dir.join("server.log"))
            .stdout(Stdio::null());
        self.run(start, "pg_ctl start")
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

    /// A URL for `database` as the superuser.
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

/// The tool's local cluster under `base` (normally `./.bellatrix`): created on first use, started if
/// stopped, reused otherwise. Its port is remembered in `base/port`.
pub fn local(base: &Path) -> Result<Cluster> {
    let base = std::path::absolute(base)
        .map_err(|e| Error::Cluster(format!("resolving {}: {e}", base.display())))?;
    let port_file = base.join("port");
    let remembered = std::fs::read_to_string(&port_file)
        .ok()
        .and_then(|p| p.trim().parse::<u16>().ok());
    let port = match remembered {
        Some(p) => p,
        None => free_port()?,
    };
    let cluster = Cluster::at(&base, port)?;
    if !cluster.exists() {
        cluster.init(Durability::Normal)?;
        std::fs::write(&port_file, port.to_string())
            .map_err(|e| Error::Cluster(format!("writing {}: {e}", port_file.display())))?;
    }
    if !cluster.is_running() {
        cluster.start()?;
    }
    Ok(cluster)
}
