//! End-to-end through a real PgBouncer (started by the test, in front of the test cluster): session
//! and transaction pooling both import exactly what a direct connection imports; a pool too small for
//! the connections an import uses at once ends quickly with exit 2 and nothing written instead of
//! hanging; an import killed while its transaction is open leaves no lock behind on a pooled server
//! connection; history, show and revert work through both.

mod support;

use serde_json::Value;
use std::path::Path;
use std::time::Duration;
use support::bounded;
use support::pgbouncer::{PgBouncer, PoolMode};
use support::{
    fingerprint, fixture, production_counts, write_synthetic_raw_metrics, RunOutput, TestDb,
};

/// No run of the binary in these tests may take longer (a hang fails the test instead).
const LIMIT: Duration = Duration::from_secs(120);

/// Pool size that leaves room for an import's connections (8 at most).
const ROOMY: u32 = 20;

/// `import --quiet --report FILE path extra...` against `url`, bounded by `LIMIT`.
fn import(url: &str, path: &Path, extra: &[&str]) -> (RunOutput, Value) {
    let report = tempfile::NamedTempFile::new().expect("a temp report file");
    let report_path = report.path().display().to_string();
    let path = path.display().to_string();
    let mut args = vec!["import", "--quiet", "--report", &report_path, &path];
    args.extend_from_slice(extra);
    let (out, _) = bounded::run(url, &args, LIMIT);
    let json = std::fs::read_to_string(report.path())
        .ok()
        .and_then(|s| serde_json::from_str(&s).ok())
        .unwrap_or(Value::Null);
    (out, json)
}

/// A fresh database, initialised through `url_of` (a URL for the database's name).
async fn initialised_through(url_of: impl Fn(&str) -> String) -> (TestDb, String) {
    let db = TestDb::new().await;
    let url = url_of(&db.name);
    let (out, _) = bounded::run(&url, &["init"], LIMIT);
    assert_eq!(out.code, 0, "init: {}", out.stderr);
    (db, url)
}

/// Imports through PgBouncer in `mode` and compares with direct imports: the complete legacy folder
/// (the same rows in every table; a re-import inserts nothing; `verify` passes) and two drops whose
/// content does not depend on the clock (the same data, by `fingerprint`).
async fn imports_like_a_direct_connection(mode: PoolMode) {
    let bouncer = PgBouncer::start(mode, ROOMY);
    let dir = support::legacy_app_copy();
    let tz = ["--legacy-timezone", "Asia/Kolkata"];
    let reference = TestDb::initialised().await;
    let (out, _) = import(&reference.url, dir.path(), &tz);
    assert_eq!(out.code, 0, "direct import: {}", out.stderr);

    let (db, url) = initialised_through(|name| bouncer.url(name)).await;
    let (out, report) = import(&url, dir.path(), &tz);
    assert_eq!(
        out.code,
        0,
        "import through {mode:?} pooling: {}\npgbouncer log:\n{}",
        out.stderr,
        bouncer.log()
    );
    assert_eq!(report["outcome"], "committed", "{report}");
    assert_eq!(
        production_counts(&db).await,
        production_counts(&reference).await,
        "{mode:?} pooling imports what a direct connection imports"
    );
    let (again, report) = import(&url, dir.path(), &tz);
    assert_eq!(again.code, 0, "re-import: {}", again.stderr);
    for (table, counts) in report["tables"].as_object().expect("tables in the report") {
        assert_eq!(
            counts["inserted"], 0,
            "{table} inserted rows on a re-import"
        );
    }
    assert_eq!(
        production_counts(&db).await,
        production_counts(&reference).await
    );
    let (verified, _) = bounded::run(&url, &["verify", "--quiet"], LIMIT);
    assert_eq!(
        verified.code, 0,
        "verify through {mode:?} pooling: {}",
        verified.stderr
    );
    let (history, _) = bounded::run(&url, &["history", "--json"], LIMIT);
    assert_eq!(
        history.code, 0,
        "history through {mode:?} pooling: {}",
        history.stderr
    );
    let id = report["import_id"].to_string();
    let (shown, _) = bounded::run(&url, &["show", &id], LIMIT);
    assert_eq!(
        shown.code, 0,
        "show through {mode:?} pooling: {}",
        shown.stderr
    );
    assert!(shown.stdout.contains(&format!("import id: {id}")));
    assert_eq!(
        db.count("bellatrix_migrate.stage_raw_metrics").await,
        0,
        "staging is emptied"
    );

    let drops = [fixture("fixtures/drop"), fixture("fixtures/raw_metrics")];
    let reference = TestDb::initialised().await;
    let (db, url) = initialised_through(|name| bouncer.url(name)).await;
    let first_only = fingerprint(&{
        let first = TestDb::initialised().await;
        let (out, _) = import(&first.url, &drops[0], &[]);
        assert_eq!(out.code, 0, "direct import: {}", out.stderr);
        first
    })
    .await;
    let mut last = String::new();
    for drop in &drops {
        let (out, _) = import(&reference.url, drop, &[]);
        assert_eq!(out.code, 0, "direct import: {}", out.stderr);
        let (out, report) = import(&url, drop, &[]);
        assert_eq!(
            out.code, 0,
            "import through {mode:?} pooling: {}",
            out.stderr
        );
        last = report["import_id"].to_string();
    }
    assert_eq!(
        fingerprint(&db).await,
        fingerprint(&reference).await,
        "{mode:?} pooling imports the same data as a direct connection"
    );
    // revert, a dry run first, through the pooler: the database of the first drop alone.
    for extra in [&["--dry-run"][..], &[]] {
        let mut args = vec!["revert", "--quiet", "--json", &last];
        args.extend_from_slice(extra);
        let (out, _) = bounded::run(&url, &args, LIMIT);
        assert_eq!(
            out.code,
            0,
            "revert {extra:?} through {mode:?} pooling: {}\npgbouncer log:\n{}",
            out.stderr,
            bouncer.log()
        );
    }
    assert_eq!(
        fingerprint(&db).await,
        first_only,
        "a revert through {mode:?} pooling leaves the first drop alone"
    );
}

#[tokio::test]
async fn an_import_through_pgbouncer_in_session_mode_lands_what_a_direct_one_does() {
    imports_like_a_direct_connection(PoolMode::Session).await;
}

#[tokio::test]
async fn an_import_through_pgbouncer_in_transaction_mode_lands_what_a_direct_one_does() {
    imports_like_a_direct_connection(PoolMode::Transaction).await;
}

#[tokio::test]
async fn a_pool_of_one_server_connection_ends_with_exit_2_and_nothing_written_instead_of_hanging() {
    let dir = support::legacy_app_copy();
    let input = dir.path().display().to_string();
    for mode in [PoolMode::Session, PoolMode::Transaction] {
        let bouncer = PgBouncer::start(mode, 1);
        let (db, url) = initialised_through(|name| bouncer.url(name)).await;
        let before = production_counts(&db).await;
        let (out, elapsed) =
            bounded::run(&url, &["import", "--quiet", "--jobs", "2", &input], LIMIT);
        assert_eq!(out.code, 2, "{mode:?}: {}\n{}", out.stderr, out.stdout);
        for part in [
            "gave 1 of the 8 connections",
            "default_pool_size",
            "--jobs 1, which uses 7",
            "nothing was written",
        ] {
            assert!(
                out.stderr.contains(part),
                "{mode:?}: {part:?} in {}",
                out.stderr
            );
        }
        assert!(
            elapsed < Duration::from_secs(30),
            "{mode:?}: the refusal took {elapsed:?}"
        );
        assert_eq!(
            production_counts(&db).await,
            before,
            "{mode:?}: production changed"
        );
        assert_eq!(db.count("bellatrix_migrate.imports").await, 0);
        assert_eq!(db.count("bellatrix_migrate.stage_raw_metrics").await, 0);
    }
}

#[tokio::test]
async fn an_import_killed_through_transaction_pooling_leaves_no_lock_and_a_rerun_completes_it() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("raw_metrics.csv");
    write_synthetic_raw_metrics(&input, 6000);
    let reference = TestDb::initialised().await;
    let (out, _) = import(&reference.url, &input, &[]);
    assert_eq!(out.code, 0, "direct import: {}", out.stderr);

    let bouncer = PgBouncer::start(PoolMode::Transaction, ROOMY);
    let (db, url) = initialised_through(|name| bouncer.url(name)).await;
    let before = production_counts(&db).await;
    let watcher = db.client().await;
    // Hold the transform back so the import is surely killed with its transaction open.
    let mut blocker = db.client().await;
    let hold = blocker.transaction().await.unwrap();
    hold.batch_execute("LOCK TABLE evaluation_metrics IN ACCESS EXCLUSIVE MODE")
        .await
        .unwrap();
    let path = input.display().to_string();
    let mut running = bounded::spawn(&url, &["import", "--quiet", &path], LIMIT);
    support::wait_until(&watcher, support::IMPORT_WAITS_FOR_LOCK, || {
        running.is_running()
    })
    .await;
    running.kill();
    hold.rollback().await.unwrap();
    assert_eq!(
        production_counts(&db).await,
        before,
        "a killed import changed production"
    );

    // The next import through the same pool must get the lock: nothing of the killed one stays
    // behind on a pooled server connection.
    let (out, _) = import(&url, &input, &["--lock-timeout", "60s"]);
    assert_eq!(
        out.code,
        0,
        "the rerun: {}\npgbouncer log:\n{}",
        out.stderr,
        bouncer.log()
    );
    assert_eq!(fingerprint(&db).await, fingerprint(&reference).await);
    let locks: i64 = watcher
        .query_one(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' \
             AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(locks, 0, "no advisory lock outlives its import");
}

#[tokio::test]
async fn statement_pooling_is_refused_with_exit_2_and_nothing_written() {
    let bouncer = PgBouncer::start(PoolMode::Statement, ROOMY);
    let db = TestDb::initialised().await;
    let before = production_counts(&db).await;
    let drop_dir = fixture("fixtures/drop").display().to_string();
    let (out, _) = bounded::run(
        &bouncer.url(&db.name),
        &["import", "--quiet", &drop_dir],
        LIMIT,
    );
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("transaction blocks not allowed in statement pooling mode"),
        "{}",
        out.stderr
    );
    assert_eq!(production_counts(&db).await, before);
    assert_eq!(db.count("bellatrix_migrate.imports").await, 0);
}

#[tokio::test]
async fn pgbouncers_idle_transaction_timeout_shorter_than_staging_fails_the_import_cleanly() {
    // A client cannot change PgBouncer's idle_transaction_timeout: the import's transaction, idle
    // while staging, is ended by PgBouncer. Exit 2, nothing committed, and no lock is left.
    let bouncer = PgBouncer::start_with(
        PoolMode::Transaction,
        ROOMY,
        "idle_transaction_timeout = 0.2",
    );
    let (db, url) = initialised_through(|name| bouncer.url(name)).await;
    let before = production_counts(&db).await;
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("raw_metrics.csv");
    write_synthetic_raw_metrics(&input, 6000);
    let (out, _) = import(&url, &input, &[]);
    assert_eq!(out.code, 2, "{}\n{}", out.stderr, out.stdout);
    assert!(
        out.stderr.contains(
            "the connection of the import's transaction closed while the files were read and staged"
        ),
        "{}",
        out.stderr
    );
    assert_eq!(production_counts(&db).await, before);
    assert_eq!(db.count("bellatrix_migrate.imports").await, 0);
    // The next import, direct, is not kept waiting by a lock of the failed one.
    let (out, _) = import(&db.url, &input, &["--lock-timeout", "30s"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
}

#[tokio::test]
async fn an_import_waiting_for_the_lock_holds_one_server_connection_then_checks_the_rest() {
    // Session mode, a pool of 2: the waiting import's control connection takes one server
    // connection and waits for the lock (saying so) without asking for more; once the lock is free
    // it asks for the other 7 and ends: 2 of 8, exit 2.
    let bouncer = PgBouncer::start(PoolMode::Session, 2);
    let db = TestDb::initialised().await;
    let holder = db.client().await;
    holder
        .batch_execute(&format!(
            "BEGIN; SELECT pg_advisory_xact_lock({})",
            bellatrix_migrate::db::lock::LOCK_KEY
        ))
        .await
        .unwrap();
    let drop_dir = fixture("fixtures/drop").display().to_string();
    let mut running = bounded::spawn(
        &bouncer.url(&db.name),
        &["import", "--quiet", &drop_dir],
        LIMIT,
    );
    running.wait_for_stderr("the import lock is held by");
    let servers: i64 = holder
        .query_one(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() \
             AND pid <> pg_backend_pid() AND backend_type = 'client backend'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(servers, 1, "the waiting import holds one server connection");
    holder.batch_execute("COMMIT").await.unwrap();
    let (out, _) = running.wait();
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr.contains("gave 2 of the 8 connections"),
        "{}",
        out.stderr
    );
    assert_eq!(db.count("bellatrix_migrate.imports").await, 0);
}
