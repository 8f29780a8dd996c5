//! Test support: one throwaway PostgreSQL cluster per test binary (initdb into a temp dir, a free
//! port, torn down by a watcher when the binary exits), a fresh database per test so tests run in
//! parallel, and a way to run the real `bellatrix-migrate` binary against it.
#![allow(dead_code)]

pub mod expected;

use bellatrix_migrate::db::cluster::{free_port, Cluster, Durability};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;
use tokio_postgres::{Client, NoTls};

static CLUSTER: OnceLock<Cluster> = OnceLock::new();
static NEXT_DB: AtomicUsize = AtomicUsize::new(0);

/// The binary's cluster, started on first use. Panics (failing the test) with the reason when the
/// PostgreSQL server binaries are missing: install them with `apt-get install postgresql`.
pub fn cluster() -> &'static Cluster {
    CLUSTER.get_or_init(|| {
        let dir = tempfile::Builder::new()
            .prefix("bellatrix-test-")
            .tempdir()
            .expect("creating a temp dir for the test cluster")
            .keep();
        let cluster =
            Cluster::at(&dir, free_port().expect("a free port")).unwrap_or_else(|e| panic!("{e}"));
        cluster
            .init(Durability::Throwaway)
            .unwrap_or_else(|e| panic!("{e}"));
        cluster
            .remove_when_gone(std::process::id())
            .unwrap_or_else(|e| panic!("{e}"));
        cluster.start().unwrap_or_else(|e| panic!("{e}"));
        cluster
    })
}

/// A new, empty database of the test cluster.
pub struct TestDb {
    pub name: String,
    pub url: String,
}

impl TestDb {
    /// Creates a fresh database.
    pub async fn new() -> TestDb {
        let cluster = cluster();
        let name = format!(
            "t{}_{}",
            std::process::id(),
            NEXT_DB.fetch_add(1, Ordering::SeqCst)
        );
        let admin = connect(&cluster.url("postgres")).await;
        admin
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .await
            .expect("creating a test database");
        TestDb {
            url: cluster.url(&name),
            name,
        }
    }

    /// A fresh database with the schema applied by `bellatrix-migrate init`.
    pub async fn initialised() -> TestDb {
        let db = TestDb::new().await;
        let out = db.run(&["init"]);
        assert_eq!(out.code, 0, "init failed: {}", out.stderr);
        db
    }

    /// A client connected to this database.
    pub async fn client(&self) -> Client {
        connect(&self.url).await
    }

    /// Runs the real binary with `--database-url` of this database.
    pub fn run(&self, args: &[&str]) -> RunOutput {
        let mut cmd =
            assert_cmd::Command::cargo_bin("bellatrix-migrate").expect("the binary is built");
        cmd.env_remove("DATABASE_URL")
            .arg("--database-url")
            .arg(&self.url)
            .args(args);
        let out = cmd.output().expect("running bellatrix-migrate");
        RunOutput {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// Imports `paths` (relative to the crate root) and returns the run and its JSON report.
    pub fn import(&self, paths: &[&str], extra: &[&str]) -> (RunOutput, serde_json::Value) {
        let report = tempfile::NamedTempFile::new().expect("a temp report file");
        let report_path = report.path().display().to_string();
        let mut args = vec!["import", "--quiet", "--report", &report_path];
        let full: Vec<String> = paths
            .iter()
            .map(|p| fixture(p).display().to_string())
            .collect();
        args.extend(full.iter().map(String::as_str));
        args.extend_from_slice(extra);
        let out = self.run(&args);
        let json = std::fs::read_to_string(report.path())
            .ok()
            .and_then(|s| serde_json::from_str(&s).ok())
            .unwrap_or(serde_json::Value::Null);
        (out, json)
    }

    /// Runs `verify --quiet --report FILE` plus `extra` and returns the run and its JSON report.
    pub fn verify(&self, extra: &[&str]) -> (RunOutput, serde_json::Value) {
        let report = tempfile::NamedTempFile::new().expect("a temp report file");
        let report_path = report.path().display().to_string();
        let mut args = vec!["verify", "--quiet", "--report", &report_path];
        args.extend_from_slice(extra);
        let out = self.run(&args);
        let json = std::fs::read_to_string(report.path())
            .ok()
            .and_then(|s| serde_json::from_str(&s).ok())
            .unwrap_or(serde_json::Value::Null);
        (out, json)
    }

    /// Runs the real binary in `dir` (for relative source paths).
    pub fn run_in(&self, dir: &Path, args: &[&str]) -> RunOutput {
        let mut cmd =
            assert_cmd::Command::cargo_bin("bellatrix-migrate").expect("the binary is built");
        cmd.current_dir(dir)
            .env_remove("DATABASE_URL")
            .arg("--database-url")
            .arg(&self.url)
            .args(args);
        let out = cmd.output().expect("running bellatrix-migrate");
        RunOutput {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// `SELECT count(*) FROM table`.
    pub async fn count(&self, table: &str) -> i64 {
        self.client()
            .await
            .query_one(&format!("SELECT count(*) FROM {table}"), &[])
            .await
            .expect("counting rows")
            .get(0)
    }
}

/// What a run of the binary printed and returned.
#[derive(Debug)]
pub struct RunOutput {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// The check called `name` in a JSON report (panics, failing the test, when it is missing).
pub fn check<'a>(report: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    report["checks"]
        .as_array()
        .and_then(|checks| checks.iter().find(|c| c["name"] == name))
        .unwrap_or_else(|| panic!("no check {name} in {report}"))
}

/// The detail of check `name`, asserting that it failed.
pub fn failed_detail(report: &serde_json::Value, name: &str) -> String {
    let c = check(report, name);
    assert_eq!(c["ok"], false, "{name} should fail: {c}");
    c["detail"].as_str().unwrap_or_default().to_owned()
}

/// A path under the crate root (fixtures are addressed relative to it).
pub fn fixture(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(relative)
}

/// Connects and drives the connection in the background.
pub async fn connect(url: &str) -> Client {
    let (client, connection) = tokio_postgres::connect(url, NoTls)
        .await
        .unwrap_or_else(|e| panic!("connecting to the test cluster: {e}"));
    tokio::spawn(async move {
        let _ = connection.await;
    });
    client
}

/// Row counts of every production table, to compare a database before and after.
pub async fn production_counts(db: &TestDb) -> Vec<(String, i64)> {
    let mut counts = Vec::new();
    for table in bellatrix_migrate::report::PRODUCTION_TABLES {
        counts.push((table.to_owned(), db.count(table).await));
    }
    counts
}
