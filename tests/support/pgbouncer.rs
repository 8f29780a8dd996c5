//! Test support: a real PgBouncer (the `pgbouncer` Debian package) in front of the test cluster, as a
//! child process of the test with its own generated configuration in a temp dir (never the system
//! service), killed when dropped (or, should the test binary die first, by a watcher). As root it
//! runs as the `postgres` user, like the cluster, since PgBouncer refuses to run as root.

use super::cluster;
use bellatrix_migrate::db::cluster::{free_port, SUPERUSER};
use std::net::TcpStream;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How PgBouncer hands server connections to clients.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PoolMode {
    /// One server connection per client connection, for the client's whole life.
    Session,
    /// A server connection per transaction; between transactions it goes back to the pool.
    Transaction,
    /// A server connection per statement; transactions are refused.
    Statement,
}

impl PoolMode {
    fn name(self) -> &'static str {
        match self {
            PoolMode::Session => "session",
            PoolMode::Transaction => "transaction",
            PoolMode::Statement => "statement",
        }
    }
}

/// A running PgBouncer; killed on drop.
pub struct PgBouncer {
    child: Child,
    dir: tempfile::TempDir,
    pub port: u16,
}

/// The PgBouncer binary: from PATH, else where the Debian package puts it. Panics (failing the test)
/// with how to install it when missing.
fn binary() -> PathBuf {
    let on_path = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join("pgbouncer"))
            .find(|p| p.is_file())
    });
    on_path
        .or_else(|| Some(PathBuf::from("/usr/sbin/pgbouncer")).filter(|p| p.is_file()))
        .unwrap_or_else(|| {
            panic!("no pgbouncer binary on PATH or in /usr/sbin: install it with `apt-get install pgbouncer`")
        })
}

impl PgBouncer {
    /// Starts PgBouncer in `mode` with at most `pool_size` server connections per database and user,
    /// in front of the test cluster, and waits until it accepts connections.
    pub fn start(mode: PoolMode, pool_size: u32) -> PgBouncer {
        PgBouncer::start_with(mode, pool_size, "")
    }

    /// `start` with `extra` lines for the `[pgbouncer]` section (e.g. `idle_transaction_timeout = 1`).
    pub fn start_with(mode: PoolMode, pool_size: u32, extra: &str) -> PgBouncer {
        let server = cluster();
        let dir = tempfile::Builder::new()
            .prefix("bellatrix-pgbouncer-")
            .tempdir()
            .expect("a temp dir for pgbouncer");
        let port = free_port().expect("a free port for pgbouncer");
        let path = |name: &str| dir.path().join(name);
        std::fs::write(path("userlist.txt"), format!("\"{SUPERUSER}\" \"\"\n"))
            .expect("writing pgbouncer's auth file");
        let ini = format!(
            "[databases]\n\
             * = host=127.0.0.1 port={server_port}\n\
             [pgbouncer]\n\
             listen_addr = 127.0.0.1\n\
             listen_port = {port}\n\
             unix_socket_dir =\n\
             auth_type = trust\n\
             auth_file = {auth}\n\
             pool_mode = {mode}\n\
             default_pool_size = {pool_size}\n\
             max_client_conn = 200\n\
             logfile = {log}\n\
             pidfile = {pid}\n\
             {extra}\n",
            server_port = server.port,
            auth = path("userlist.txt").display(),
            mode = mode.name(),
            log = path("pgbouncer.log").display(),
            pid = path("pgbouncer.pid").display(),
        );
        std::fs::write(path("pgbouncer.ini"), ini).expect("writing pgbouncer.ini");
        let mut cmd = Command::new(binary());
        let running_as_root = nix::unistd::geteuid().is_root();
        if running_as_root {
            let user = nix::unistd::User::from_name(SUPERUSER)
                .ok()
                .flatten()
                .expect("a postgres user to run pgbouncer as (it refuses to run as root)");
            std::os::unix::fs::chown(dir.path(), Some(user.uid.as_raw()), None)
                .expect("handing pgbouncer's dir to the postgres user");
            for name in ["pgbouncer.ini", "userlist.txt"] {
                std::fs::set_permissions(path(name), std::fs::Permissions::from_mode(0o644))
                    .expect("making pgbouncer's files readable");
            }
            cmd.args(["-u", SUPERUSER]);
        }
        cmd.arg(path("pgbouncer.ini"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let child = cmd.spawn().expect("starting pgbouncer");
        // Should the test binary die without dropping it, PgBouncer goes with it (the pid only if
        // it is still this PgBouncer, with this configuration file).
        Command::new("sh")
            .arg("-c")
            .arg(
                "while [ -d /proc/$0 ]; do sleep 1; done; \
                 tr '\\0' ' ' < /proc/$1/cmdline 2>/dev/null | grep -qF \"$2\" && kill $1",
            )
            .arg(std::process::id().to_string())
            .arg(child.id().to_string())
            .arg(path("pgbouncer.ini"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map(drop)
            .expect("starting pgbouncer's clean-up watcher");
        let mut bouncer = PgBouncer { child, dir, port };
        bouncer.wait_until_listening();
        bouncer
    }

    fn wait_until_listening(&mut self) {
        let started = Instant::now();
        while TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("pgbouncer exited ({status}): {}", self.log());
            }
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "pgbouncer did not listen within 20 s: {}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// A URL for `database` of the test cluster, through this PgBouncer.
    pub fn url(&self, database: &str) -> String {
        format!(
            "postgresql://{SUPERUSER}@127.0.0.1:{}/{database}",
            self.port
        )
    }

    /// PgBouncer's log so far (for failure messages).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("pgbouncer.log")).unwrap_or_default()
    }

    /// The directory of its configuration and log.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for PgBouncer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
