//! Test support: one throwaway PostgreSQL cluster per test binary (initdb into a temp dir, a free
//! port, torn down by a watcher when the binary exits), a fresh database per test so tests run in
//! parallel, and a way to run the real `bellatrix-migrate` binary against it.
#![allow(dead_code)]

pub mod bounded;
pub mod content;
pub mod expected;
pub mod legacy_files;
pub mod pgbouncer;

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
        let cluster = Cluster::at(&dir, free_port().expect("a free port"))
            .unwrap_or_else(|e| panic!("{:#}", anyhow::Error::new(e)));
        cluster
            .init(Durability::Throwaway)
            .unwrap_or_else(|e| panic!("{:#}", anyhow::Error::new(e)));
        cluster
            .remove_when_gone(std::process::id())
            .unwrap_or_else(|e| panic!("{:#}", anyhow::Error::new(e)));
        cluster
            .start()
            .unwrap_or_else(|e| panic!("{:#}", anyhow::Error::new(e)));
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
        scrub_connection_env(&mut cmd);
        cmd.arg("--database-url").arg(&self.url).args(args);
        let out = cmd.output().expect("running bellatrix-migrate");
        RunOutput {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// Imports `paths` (relative to the crate root) and returns the run and its JSON report.
    pub fn import(&self, paths: &[&str], extra: &[&str]) -> (RunOutput, serde_json::Value) {
        let full: Vec<PathBuf> = paths.iter().map(|p| fixture(p)).collect();
        let refs: Vec<&Path> = full.iter().map(PathBuf::as_path).collect();
        self.import_paths(&refs, extra)
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
        scrub_connection_env(&mut cmd);
        cmd.current_dir(dir)
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

    /// The rows of `audit_log` imported from sources (login events), not the migrator's own
    /// action rows (whose resource is a table of its ledger).
    pub async fn imported_audit_rows(&self) -> i64 {
        self.client()
            .await
            .query_one(
                "SELECT count(*) FROM audit_log WHERE COALESCE(resource_type, '') NOT IN \
                 ('bellatrix_migrate.imports', 'bellatrix_migrate.schema_migrations')",
                &[],
            )
            .await
            .expect("counting imported audit rows")
            .get(0)
    }
}

/// Every variable that could point the binary at another server or password: the tests name
/// their server themselves.
pub const CONNECTION_VARS: &[&str] = &[
    "DATABASE_URL",
    "PGHOST",
    "PGHOSTADDR",
    "PGPORT",
    "PGUSER",
    "PGDATABASE",
    "PGPASSWORD",
    "PGPASSFILE",
    "PGSERVICE",
    "PGSSLMODE",
    "PGSSLROOTCERT",
    "PGSSLCERT",
    "PGSSLKEY",
    "PGCONNECT_TIMEOUT",
    "PGAPPNAME",
];

/// Removes `CONNECTION_VARS` from a command's environment.
pub fn scrub_connection_env(cmd: &mut assert_cmd::Command) {
    for var in CONNECTION_VARS {
        cmd.env_remove(var);
    }
}

/// The real binary as a `std::process::Command` (for spawning), its environment scrubbed of
/// `CONNECTION_VARS`.
pub fn bellatrix_command() -> std::process::Command {
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("bellatrix-migrate"));
    for var in CONNECTION_VARS {
        cmd.env_remove(var);
    }
    cmd
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

/// Row counts of every production table, to compare a database before and after. Of `audit_log`
/// only the rows imported from sources (login events) count: each run adds its own action row
/// (tests/audit.rs counts those).
pub async fn production_counts(db: &TestDb) -> Vec<(String, i64)> {
    let mut counts = Vec::new();
    for table in bellatrix_migrate::model::report::PRODUCTION_TABLES {
        let n = if table == "audit_log" {
            db.imported_audit_rows().await
        } else {
            db.count(table).await
        };
        counts.push((table.to_owned(), n));
    }
    counts
}

/// A digest of every production table's content, without generated ids and wall-clock timestamps,
/// with foreign keys replaced by the natural keys they point at. Two databases with the same digest
/// hold the same data.
pub async fn fingerprint(db: &TestDb) -> Vec<(String, String)> {
    let client = db.client().await;
    let mut out = Vec::new();
    for (table, projection) in FINGERPRINTS {
        let query = format!(
            "SELECT count(*)::text || ':' || COALESCE(md5(string_agg(x, E'\\n' ORDER BY x)), '') FROM ({projection}) p(x)"
        );
        let digest: String = client
            .query_one(&query, &[])
            .await
            .unwrap_or_else(|e| panic!("fingerprinting {table}: {e}"))
            .get(0);
        out.push(((*table).to_owned(), digest));
    }
    out
}

const FINGERPRINTS: &[(&str, &str)] = &[
    ("model_providers", "SELECT name || '|' || display_name FROM model_providers"),
    (
        "models",
        "SELECT m.name || '|' || p.name || '|' || COALESCE(m.bedrock_model_id, '') || '|' || m.is_active || '|' \
         || m.is_master_model || '|' || (m.metadata - 'source')::text FROM models m JOIN model_providers p ON p.id = m.provider_id",
    ),
    (
        "prompts",
        "SELECT prompt_hash || '|' || prompt_text || '|' || source_type || '|' || expected_json || '|' || created_at::text \
         || '|' || metadata::text FROM prompts",
    ),
    (
        "evaluation_runs",
        "SELECT run_id || '|' || name || '|' || status || '|' || started_at::text || '|' || COALESCE(completed_at::text, '') \
         || '|' || total_prompts || '|' || total_models || '|' || total_evaluations || '|' || successful_evaluations \
         || '|' || failed_evaluations || '|' || metadata::text FROM evaluation_runs",
    ),
    (
        "evaluation_metrics",
        "SELECT r.run_id || '|' || m.name || '|' || p.prompt_hash || '|' || (to_jsonb(e) - 'id' - 'run_id' - 'model_id' \
         - 'prompt_id' - 'created_at')::text FROM evaluation_metrics e JOIN evaluation_runs r ON r.id = e.run_id \
         JOIN models m ON m.id = e.model_id JOIN prompts p ON p.id = e.prompt_id",
    ),
    (
        "master_model_evaluations",
        "SELECT COALESCE(r.run_id, '') || '|' || m.name || '|' || p.prompt_hash || '|' || (to_jsonb(e) - 'id' - 'run_id' \
         - 'model_id' - 'prompt_id' - 'created_at')::text FROM master_model_evaluations e LEFT JOIN evaluation_runs r \
         ON r.id = e.run_id JOIN models m ON m.id = e.model_id JOIN prompts p ON p.id = e.prompt_id",
    ),
    (
        "model_aggregated_metrics",
        "SELECT r.run_id || '|' || m.name || '|' || (to_jsonb(a) - 'id' - 'run_id' - 'model_id' - 'calculated_at')::text \
         FROM model_aggregated_metrics a JOIN evaluation_runs r ON r.id = a.run_id JOIN models m ON m.id = a.model_id",
    ),
    ("users", "SELECT username || '|' || email FROM users"),
    ("model_pricing", "SELECT (to_jsonb(x) - 'id' - 'model_id' - 'created_at')::text FROM model_pricing x"),
    ("model_generation_params", "SELECT (to_jsonb(x) - 'id' - 'model_id' - 'created_at')::text FROM model_generation_params x"),
    ("similarity_scores", "SELECT id::text FROM similarity_scores"),
    ("cloudwatch_log_entries", "SELECT (to_jsonb(x) - 'id' - 'uploaded_at' - 'parsed_at')::text FROM cloudwatch_log_entries x"),
    (
        "audit_log",
        "SELECT x.action || '|' || COALESCE((SELECT u.username FROM users u WHERE u.id = x.user_id), '') || '|' \
         || x.created_at::text FROM audit_log x WHERE COALESCE(x.resource_type, '') NOT IN \
         ('bellatrix_migrate.imports', 'bellatrix_migrate.schema_migrations')",
    ),
];

/// Writes a synthetic R16 `raw_metrics.csv` of `rows` records (unique timestamps, 2 runs per 100 rows,
/// 3 models, 2 KB responses, every 13th row an error), big enough that COPY and the transform take a
/// moment. Text is ours and harmless.
pub fn write_synthetic_raw_metrics(path: &Path, rows: usize) {
    use std::io::Write;
    let header = "\"timestamp\",\"run_id\",\"model_name\",\"model_id\",\"prompt_id\",\"input_tokens\",\"output_tokens\",\
                  \"latency_ms\",\"json_valid\",\"error\",\"status\",\"cost_usd_input\",\"cost_usd_output\",\"cost_usd_total\",\
                  \"input_prompt\",\"response\"\n";
    let models = [
        (
            "Claude 3.7 Sonnet",
            "us.anthropic.claude-3-7-sonnet-20250219-v1:0",
        ),
        (
            "Llama 3.3 70B Instruct",
            "us.meta.llama3-3-70b-instruct-v1:0",
        ),
        ("Nova Pro", "us.amazon.nova-pro-v1:0"),
    ];
    let filler = "pump pressure nominal, valve V-3 closed, ".repeat(50);
    let mut out =
        std::io::BufWriter::new(std::fs::File::create(path).expect("creating a synthetic file"));
    out.write_all(header.as_bytes()).unwrap();
    for i in 0..rows {
        let (name, id) = models[i % 3];
        let error = i % 13 == 0;
        let seconds = i % 60;
        let minutes = (i / 60) % 60;
        let hours = (i / 3600) % 24;
        writeln!(
            out,
            "\"2025-11-{:02}T{hours:02}:{minutes:02}:{seconds:02}.{:06}Z\",\"run_20251120_{:06}\",\"{name}\",\"{id}\",\"{}\",\"{}\",\"{}\",\"{}\",\"{}\",\"{}\",\"{}\",\"0.0003\",\"3.3e-05\",\"0.000333\",\"Summarise pump log {} as JSON.\",\"{}\"",
            10 + i / 86400,
            i % 1_000_000,
            i / 100,
            i % 40 + 1,
            100 + i % 50,
            if error { 0 } else { 40 + i % 30 },
            800 + i % 700,
            if error { "False" } else { "True" },
            if error { "An error occurred (ThrottlingException): rate exceeded" } else { "" },
            if error { "error" } else { "success" },
            i % 40 + 1,
            if error { String::new() } else { format!("{{\"\"log\"\": \"\"{filler}\"\"}}") },
        )
        .unwrap();
    }
    out.flush().unwrap();
}

impl TestDb {
    /// Users already in the database whose username or email `fixtures/users_json` also has (the
    /// import rejects the conflicting ones).
    pub async fn insert_users_that_conflict_with_the_fixture(&self) {
        self.client()
            .await
            .batch_execute(
                "INSERT INTO users (username, email, password_hash) VALUES \
                 ('bob', 'robert@example.test', 'db-era-hash'), ('annie', 'ANN@example.test', 'db-era-hash')",
            )
            .await
            .unwrap();
    }

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

/// The bytes of fixture `relative` through the end of its first `records` CSV records (the header
/// is record 1), with the last one's line ending: the file as it was before the rest was appended.
pub fn first_csv_records(relative: &str, records: usize) -> Vec<u8> {
    let bytes = std::fs::read(fixture(relative)).unwrap();
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(&bytes[..]);
    let mut record = csv::ByteRecord::new();
    for _ in 0..records {
        assert!(
            rdr.read_byte_record(&mut record).unwrap(),
            "{relative} has fewer than {records} records"
        );
    }
    let mut end = usize::try_from(rdr.position().byte()).unwrap();
    // The parser stops after the \r of a CRLF; the record's line ending includes the \n.
    if bytes.get(end) == Some(&b'\n') {
        end += 1;
    }
    bytes[..end].to_vec()
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

/// The entry of the report's `files` whose path ends with `suffix`.
pub fn report_file<'a>(report: &'a serde_json::Value, suffix: &str) -> &'a serde_json::Value {
    report["files"]
        .as_array()
        .and_then(|files| {
            files
                .iter()
                .find(|f| f["path"].as_str().is_some_and(|p| p.ends_with(suffix)))
        })
        .unwrap_or_else(|| panic!("{suffix} is not in the report"))
}

/// Whether another session of this database waits for a heavyweight lock on a relation: the
/// import has reached the table the test locked. (Two COPY streams into one staging table briefly
/// wait for each other's relation-extension lock, which is also a `Lock` wait but not this one.)
pub const IMPORT_WAITS_FOR_LOCK: &str =
    "SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE datname = current_database() \
     AND pid <> pg_backend_pid() AND wait_event_type = 'Lock' AND wait_event = 'relation')";

/// A copy of the complete legacy folder with its undated versions dated: the HEAD models.yaml on
/// 2025-11-19 and the root-era config.py on 2025-10-31 (their modification times).
pub fn legacy_app_copy() -> tempfile::TempDir {
    let dir = copy_fixture("fixtures/legacy_app");
    set_mtime(
        &dir.path().join("configs/models.yaml"),
        "2025-11-19T20:44:00Z",
    );
    set_mtime(&dir.path().join("config.py"), "2025-10-31T20:52:00Z");
    dir
}

/// Polls `query` (one boolean) on `client` until it is true; fails the test when `running` says the
/// import ended first, or after a minute.
pub async fn wait_until(client: &Client, query: &str, mut running: impl FnMut() -> bool) {
    let start = std::time::Instant::now();
    loop {
        if client
            .query_one(query, &[])
            .await
            .unwrap()
            .get::<_, bool>(0)
        {
            return;
        }
        assert!(running(), "the import ended before: {query}");
        assert!(
            start.elapsed() < std::time::Duration::from_secs(60),
            "timed out waiting for: {query}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
}
