//! End-to-end: the tool's own local cluster under `./.bellatrix/` (no database named), run by the real
//! binary in a temp working directory with every database variable removed: it requires the password
//! kept in `.bellatrix/pgpass` (0600), `local stop` stops it (also as root, where the server runs as
//! the postgres user), a taken port is replaced, an older password-less cluster is given a password,
//! and a server that does not start is reported with its log's path and none of its lines.

use bellatrix_migrate::db::cluster::{configured_port, free_port, Cluster, Durability};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use tokio_postgres::NoTls;

/// A temp working directory for one local cluster, whose server is stopped when the test ends
/// (passing or not) and, as a last resort, when the test binary exits.
struct Workdir {
    dir: tempfile::TempDir,
}

/// What a run of the binary printed and returned.
#[derive(Debug)]
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Workdir {
    fn new() -> Self {
        let dir = tempfile::Builder::new()
            .prefix("bellatrix-local-")
            .tempdir()
            .expect("a temp dir");
        // As root the server runs as the postgres user, who must reach the directory.
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755))
            .expect("opening the temp dir");
        Cluster::at(&dir.path().join(".bellatrix"), 0)
            .and_then(|c| c.remove_when_gone(std::process::id()))
            .unwrap_or_else(|e| panic!("{:#}", anyhow::Error::new(e)));
        Workdir { dir }
    }

    fn base(&self) -> PathBuf {
        self.dir.path().join(".bellatrix")
    }

    /// Runs the binary here with no database named: no DATABASE_URL and no PG* variable.
    fn run(&self, args: &[&str]) -> Run {
        let mut cmd =
            assert_cmd::Command::cargo_bin("bellatrix-migrate").expect("the binary is built");
        cmd.current_dir(self.dir.path()).env_remove("DATABASE_URL");
        for (name, _) in std::env::vars_os() {
            if name.to_string_lossy().starts_with("PG") {
                cmd.env_remove(name);
            }
        }
        let out = cmd.args(args).output().expect("running bellatrix-migrate");
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    fn ok(&self, args: &[&str]) -> Run {
        let run = self.run(args);
        assert_eq!(run.code, 0, "{args:?}: {run:?}");
        run
    }

    fn port(&self) -> u16 {
        std::fs::read_to_string(self.base().join("port"))
            .expect("reading .bellatrix/port")
            .trim()
            .parse()
            .expect("a port number")
    }

    fn pgpass(&self) -> String {
        std::fs::read_to_string(self.base().join("pgpass")).expect("reading .bellatrix/pgpass")
    }

    fn password(&self) -> String {
        self.pgpass()
            .trim_end()
            .rsplit(':')
            .next()
            .expect("a password field")
            .to_owned()
    }
}

impl Drop for Workdir {
    fn drop(&mut self) {
        let _ = self.run(&["local", "stop"]);
    }
}

async fn connect(url: &str) -> Result<tokio_postgres::Client, tokio_postgres::Error> {
    let (client, connection) = tokio_postgres::connect(url, NoTls).await?;
    tokio::spawn(async move {
        let _ = connection.await;
    });
    Ok(client)
}

fn url(port: u16, password: Option<&str>) -> String {
    match password {
        Some(p) => format!("postgresql://postgres:{p}@127.0.0.1:{port}/bellatrix"),
        None => format!("postgresql://postgres@127.0.0.1:{port}/bellatrix"),
    }
}

/// Asserts that the server on `port` refuses the superuser without a password and with a wrong one.
async fn assert_password_required(port: u16) {
    let without = connect(&url(port, None)).await;
    assert!(
        without.is_err(),
        "a connection without a password was accepted"
    );
    let Err(wrong) = connect(&url(port, Some("not-the-password"))).await else {
        panic!("a connection with a wrong password was accepted");
    };
    assert_eq!(
        wrong.as_db_error().map(|e| e.code().clone()),
        Some(tokio_postgres::error::SqlState::INVALID_PASSWORD),
        "{wrong}"
    );
}

fn file_text(path: &Path) -> String {
    std::fs::read(path)
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default()
}

#[tokio::test]
async fn an_import_without_a_database_uses_a_local_cluster_that_requires_its_password() {
    let work = Workdir::new();
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/legacy_app");
    let report = work.dir.path().join("report.json");
    let run = work.ok(&[
        "import",
        "--report",
        &report.display().to_string(),
        &fixture.display().to_string(),
    ]);
    let port = work.port();

    let pgpass = work.base().join("pgpass");
    let meta = std::fs::metadata(&pgpass).expect("the password file exists");
    assert_eq!(meta.permissions().mode() & 0o777, 0o600, "pgpass mode");
    assert_eq!(meta.uid(), nix::unistd::geteuid().as_raw(), "pgpass owner");
    let password = work.password();
    assert_eq!(
        work.pgpass(),
        format!("127.0.0.1:{port}:*:postgres:{password}\n")
    );
    assert_eq!(password.len(), 32);
    assert!(password.chars().all(|c| c.is_ascii_alphanumeric()));

    let hint =
        format!("PGPASSFILE=.bellatrix/pgpass psql -h 127.0.0.1 -p {port} -U postgres bellatrix");
    assert!(run.stderr.contains(&hint), "{}", run.stderr);
    assert!(
        run.stderr
            .contains("stop with: bellatrix-migrate local stop"),
        "{}",
        run.stderr
    );
    for (what, text) in [
        ("stdout", run.stdout.clone()),
        ("stderr", run.stderr.clone()),
        ("server.log", file_text(&work.base().join("server.log"))),
        ("initdb.log", file_text(&work.base().join("initdb.log"))),
        ("port", file_text(&work.base().join("port"))),
        ("the report", file_text(&report)),
    ] {
        assert!(!text.contains(&password), "the password is in {what}");
    }
    assert!(
        !work.base().join("initdb.pw").exists(),
        "initdb's password file was left behind"
    );

    assert_password_required(port).await;
    let client = connect(&url(port, Some(&password)))
        .await
        .expect("connecting with the password of .bellatrix/pgpass");
    let prompts: i64 = client
        .query_one("SELECT count(*) FROM prompts", &[])
        .await
        .expect("counting prompts")
        .get(0);
    assert_eq!(
        prompts, 5,
        "the import landed in the local cluster (the prompts of tests/legacy_app.rs)"
    );

    // Even with --quiet, stderr says where the data goes when no server was named.
    let quiet = work.ok(&["--quiet", "verify"]);
    assert!(
        quiet
            .stderr
            .contains("using the local throwaway PostgreSQL"),
        "{}",
        quiet.stderr
    );
}

#[tokio::test]
async fn local_stop_stops_the_server_whoever_it_runs_as() {
    let work = Workdir::new();
    work.ok(&["init"]);
    let port = work.port();
    if nix::unistd::geteuid().is_root() {
        let owner = std::fs::metadata(work.base().join("data"))
            .expect("the data dir")
            .uid();
        assert_ne!(owner, 0, "as root the server must run as another user");
    }
    let status = work.ok(&["local", "status"]);
    assert!(
        status
            .stdout
            .contains(&format!("is running on 127.0.0.1:{port}")),
        "{status:?}"
    );

    let stop = work.ok(&["local", "stop"]);
    assert_eq!(stop.stdout, "stopped the local cluster in .bellatrix\n");
    assert!(
        std::net::TcpStream::connect(("127.0.0.1", port)).is_err(),
        "the server still listens on {port} after local stop"
    );
    let status = work.ok(&["local", "status"]);
    assert!(status.stdout.contains("is stopped"), "{status:?}");
    let again = work.ok(&["local", "stop"]);
    assert_eq!(
        again.stdout,
        "the local cluster in .bellatrix is not running\n"
    );

    let init = work.ok(&["init"]);
    assert!(init.stdout.contains("is up to date"), "{init:?}");
    assert_eq!(work.port(), port, "a free port is kept");
}

#[tokio::test]
async fn local_stop_without_a_cluster_says_there_is_none() {
    let work = Workdir::new();
    let stop = work.ok(&["local", "stop"]);
    assert_eq!(
        stop.stdout,
        "no local cluster in .bellatrix: nothing to stop\n"
    );
    let status = work.ok(&["local", "status"]);
    assert!(
        status.stdout.starts_with("no local cluster in .bellatrix"),
        "{status:?}"
    );
    assert!(!work.base().exists(), "local stop created .bellatrix");
}

#[tokio::test]
async fn a_taken_port_is_replaced_and_the_move_is_said() {
    let work = Workdir::new();
    work.ok(&["init"]);
    let old = work.port();
    work.ok(&["local", "stop"]);
    let squatter = std::net::TcpListener::bind(("127.0.0.1", old)).expect("taking the old port");

    let run = work.ok(&["init"]);
    let new = work.port();
    assert_ne!(new, old);
    assert!(
        run.stderr.contains(&format!(
            "port {old} of the local cluster is taken by another program; it now uses port {new}"
        )),
        "{}",
        run.stderr
    );
    let conf = file_text(&work.base().join("data/postgresql.conf"));
    assert_eq!(configured_port(&conf), Some(new));
    let password = work.password();
    assert_eq!(
        work.pgpass(),
        format!("127.0.0.1:{new}:*:postgres:{password}\n")
    );
    connect(&url(new, Some(&password)))
        .await
        .expect("connecting on the new port");
    drop(squatter);
}

#[tokio::test]
async fn a_password_less_cluster_of_an_older_version_is_given_a_password() {
    let work = Workdir::new();
    // What an older bellatrix-migrate left: trust authentication, a port file, no password file,
    // the server running.
    let port = free_port().expect("a free port");
    let older =
        Cluster::at(&work.base(), port).unwrap_or_else(|e| panic!("{:#}", anyhow::Error::new(e)));
    older
        .init(Durability::Throwaway)
        .unwrap_or_else(|e| panic!("{:#}", anyhow::Error::new(e)));
    std::fs::write(work.base().join("port"), port.to_string()).expect("writing the port file");
    older
        .start()
        .unwrap_or_else(|e| panic!("{:#}", anyhow::Error::new(e)));
    connect(&format!("postgresql://postgres@127.0.0.1:{port}/postgres"))
        .await
        .expect("the older cluster trusts every connection");

    let run = work.ok(&["init"]);
    assert!(
        run.stderr
            .contains("accepted connections without a password"),
        "{}",
        run.stderr
    );
    let meta = std::fs::metadata(work.base().join("pgpass")).expect("the password file exists");
    assert_eq!(meta.permissions().mode() & 0o777, 0o600);
    assert_eq!(work.port(), port);
    assert_password_required(port).await;
    let password = work.password();
    connect(&url(port, Some(&password)))
        .await
        .expect("connecting with the new password");
    assert!(!file_text(&work.base().join("server.log")).contains(&password));
}

#[tokio::test]
async fn a_server_that_does_not_start_is_reported_with_its_log_path_only() {
    let work = Workdir::new();
    work.ok(&["init"]);
    work.ok(&["local", "stop"]);
    let conf = work.base().join("data/postgresql.conf");
    let mut text = file_text(&conf);
    text.push_str("no_such_setting_here = 1\n");
    std::fs::write(&conf, text).expect("breaking postgresql.conf");

    let run = work.run(&["init"]);
    assert_eq!(run.code, 2, "{run:?}");
    let log = work.base().join("server.log");
    assert!(
        run.stderr
            .contains(&format!("its log is {}", log.display())),
        "{}",
        run.stderr
    );
    assert!(
        file_text(&log).contains("no_such_setting_here"),
        "the log says why"
    );
    assert!(
        !run.stderr.contains("no_such_setting_here"),
        "log lines were copied into the error: {}",
        run.stderr
    );
}
