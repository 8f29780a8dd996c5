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

impl TestDb {
    /// Imports absolute `paths` (e.g. a copy in a temp dir) and returns the run and its JSON report.
    pub fn import_paths(&self, paths: &[&Path], extra: &[&str]) -> (RunOutput, serde_json::Value) {
        let report = tempfile::NamedTempFile::new().expect("a temp report file");
        let report_path = report.path().display().to_string();
        let mut args: Vec<String> = vec![
            "import".into(),
            "--quiet".into(),
            "--report".into(),
            report_path,
        ];
        args.extend(paths.iter().map(|p| p.display().to_string()));
        args.extend(extra.iter().map(|s| (*s).to_owned()));
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = self.run(&refs);
        let json = std::fs::read_to_string(report.path())
            .ok()
            .and_then(|s| serde_json::from_str(&s).ok())
            .unwrap_or(serde_json::Value::Null);
        (out, json)
    }

    /// The first column of the first row of `query`, as text (NULL as `None`).
    pub async fn text(&self, query: &str) -> Option<String> {
        self.client()
            .await
            .query_one(query, &[])
            .await
            .unwrap_or_else(|e| panic!("{query}: {e}"))
            .get(0)
    }
}

/// Copies a fixture folder into a temp dir, so a test can set modification times (a models.yaml
/// or config.py version without a date in its name is dated by its mtime).
pub fn copy_fixture(relative: &str) -> tempfile::TempDir {
    fn copy(from: &Path, to: &Path) {
        std::fs::create_dir_all(to).expect("creating a fixture copy dir");
        for entry in std::fs::read_dir(from).expect("reading a fixture dir") {
            let entry = entry.expect("a fixture dir entry");
            let target = to.join(entry.file_name());
            if entry.file_type().expect("a file type").is_dir() {
                copy(&entry.path(), &target);
            } else {
                std::fs::copy(entry.path(), &target).expect("copying a fixture");
            }
        }
    }
    let dir = tempfile::Builder::new()
        .prefix("bellatrix-fixture-")
        .tempdir()
        .expect("a temp dir");
    copy(&fixture(relative), dir.path());
    dir
}

/// Sets a file's modification time to an RFC 3339 instant.
pub fn set_mtime(path: &Path, rfc3339: &str) {
    let at = chrono::DateTime::parse_from_rfc3339(rfc3339).expect("an RFC 3339 time");
    let time = std::time::UNIX_EPOCH
        + std::time::Duration::from_secs(u64::try_from(at.timestamp()).expect("a time after 1970"));
    std::fs::File::options()
        .write(true)
        .open(path)
        .and_then(|f| f.set_modified(time))
        .unwrap_or_else(|e| panic!("setting the mtime of {}: {e}", path.display()));
}
