//! End-to-end: the import lock and the import's one transaction that holds it. An import that finds
//! the lock taken says who holds it (pid, application_name, since when) and goes on once it is free;
//! `--lock-timeout` ends the wait with exit 2 and nothing written. The lock is held here as the tool
//! holds it, by a transaction. The import's transaction, open from the start, survives a server's
//! idle-in-transaction timeout, holds back no vacuum horizon while staging, and leaves staging empty.

mod support;

use bellatrix_migrate::db::lock::LOCK_KEY;
use std::time::Duration;
use support::{bounded, connect, fixture, production_counts, TestDb};
use tokio_postgres::Client;

const LIMIT: Duration = Duration::from_secs(120);

/// A session named `lock-holder-test` that holds the import lock in an open transaction; returns it
/// and its pid.
async fn hold_the_lock(db: &TestDb) -> (Client, i32) {
    let client = connect(&format!("{}?application_name=lock-holder-test", db.url)).await;
    client
        .batch_execute(&format!("BEGIN; SELECT pg_advisory_xact_lock({LOCK_KEY})"))
        .await
        .expect("taking the import lock");
    let pid: i32 = client
        .query_one("SELECT pg_backend_pid()", &[])
        .await
        .unwrap()
        .get(0);
    (client, pid)
}

#[tokio::test]
async fn an_import_waiting_for_the_lock_names_its_holder_and_goes_on_when_it_is_free() {
    let db = TestDb::initialised().await;
    let (holder, pid) = hold_the_lock(&db).await;
    let drop_dir = fixture("fixtures/drop").display().to_string();
    let mut running = bounded::spawn(&db.url, &["import", "--quiet", &drop_dir], LIMIT);
    let line = running.wait_for_stderr("the import lock is held by");
    for part in [
        format!("pid {pid}"),
        "application_name 'lock-holder-test'".to_owned(),
        "in a transaction since".to_owned(),
        "--lock-timeout".to_owned(),
    ] {
        assert!(line.contains(&part), "{part:?} in {line}");
    }
    assert_eq!(
        db.count("bellatrix_migrate.imports").await,
        0,
        "nothing is written while waiting"
    );
    holder.batch_execute("COMMIT").await.unwrap();
    let (out, _) = running.wait();
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(db.count("evaluation_metrics").await > 0);
}

#[tokio::test]
async fn lock_timeout_ends_the_wait_with_exit_2_and_nothing_written() {
    let db = TestDb::initialised().await;
    let before = production_counts(&db).await;
    let (holder, pid) = hold_the_lock(&db).await;
    let drop_dir = fixture("fixtures/drop").display().to_string();
    let (out, elapsed) = bounded::run(
        &db.url,
        &["import", "--quiet", "--lock-timeout", "2s", &drop_dir],
        LIMIT,
    );
    assert_eq!(out.code, 2, "{}\n{}", out.stderr, out.stdout);
    assert!(
        elapsed >= Duration::from_secs(2) && elapsed < Duration::from_secs(15),
        "ended after {elapsed:?}"
    );
    for part in [
        "still held after --lock-timeout 2s".to_owned(),
        format!("by pid {pid}"),
        "nothing was written".to_owned(),
    ] {
        assert!(out.stderr.contains(&part), "{part:?} in {}", out.stderr);
    }
    holder.batch_execute("ROLLBACK").await.unwrap();
    assert_eq!(production_counts(&db).await, before);
    assert_eq!(db.count("bellatrix_migrate.imports").await, 0);
    assert_eq!(db.count("bellatrix_migrate.stage_raw_metrics").await, 0);
}

#[tokio::test]
async fn a_lock_timeout_of_zero_gives_up_at_once_and_a_free_lock_is_taken_without_waiting() {
    let db = TestDb::initialised().await;
    let (holder, _) = hold_the_lock(&db).await;
    let drop_dir = fixture("fixtures/drop").display().to_string();
    let (out, elapsed) = bounded::run(
        &db.url,
        &["import", "--lock-timeout", "0", &drop_dir],
        LIMIT,
    );
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(elapsed < Duration::from_secs(10), "ended after {elapsed:?}");
    assert!(out.stderr.contains("--lock-timeout 0s"), "{}", out.stderr);
    holder.batch_execute("ROLLBACK").await.unwrap();

    let (out, _) = bounded::run(
        &db.url,
        &["import", "--lock-timeout", "0", &drop_dir],
        LIMIT,
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        !out.stderr.contains("the import lock is held"),
        "{}",
        out.stderr
    );
}

#[tokio::test]
async fn init_waits_for_a_running_import_and_names_its_holder() {
    let db = TestDb::initialised().await;
    let (holder, pid) = hold_the_lock(&db).await;
    let mut running = bounded::spawn(&db.url, &["init"], LIMIT);
    let line = running.wait_for_stderr("the import lock is held by");
    assert!(line.contains(&format!("pid {pid}")), "{line}");
    holder.batch_execute("COMMIT").await.unwrap();
    let (out, _) = running.wait();
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains("up to date"), "{}", out.stdout);
}

#[tokio::test]
async fn an_import_idle_longer_than_the_servers_idle_in_transaction_timeout_still_commits() {
    // The import's transaction is open, and idle, while the files are read and staged on the other
    // connections (and while the checks re-read source files); a server that ends idle
    // transactions after 100 ms must not end this one.
    let db = TestDb::initialised().await;
    db.client()
        .await
        .batch_execute(&format!(
            "ALTER DATABASE {} SET idle_in_transaction_session_timeout = '100ms'",
            db.name
        ))
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("raw_metrics.csv");
    support::write_synthetic_raw_metrics(&input, 6000);
    let path = input.display().to_string();
    let (out, elapsed) = bounded::run(&db.url, &["import", "--quiet", &path], LIMIT);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        elapsed > Duration::from_millis(500),
        "staging was too quick ({elapsed:?}) to outlast the timeout"
    );
    assert_eq!(db.count("evaluation_metrics").await, 6000);
    let setting = db
        .text("SELECT current_setting('idle_in_transaction_session_timeout')")
        .await;
    assert_eq!(
        setting.as_deref(),
        Some("100ms"),
        "the server's setting stays"
    );
}

#[tokio::test]
async fn a_servers_lock_timeout_does_not_cut_the_wait_short_without_lock_timeout() {
    let db = TestDb::initialised().await;
    db.client()
        .await
        .batch_execute(&format!(
            "ALTER DATABASE {} SET lock_timeout = '300ms'",
            db.name
        ))
        .await
        .unwrap();
    let (holder, _) = hold_the_lock(&db).await;
    let drop_dir = fixture("fixtures/drop").display().to_string();
    let mut running = bounded::spawn(&db.url, &["import", "--quiet", &drop_dir], LIMIT);
    running.wait_for_stderr("the import lock is held by");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(
        running.is_running(),
        "the wait ended with the server's lock_timeout"
    );
    holder.batch_execute("COMMIT").await.unwrap();
    let (out, _) = running.wait();
    assert_eq!(out.code, 0, "{}", out.stderr);
}

#[tokio::test]
async fn the_import_transaction_holds_back_no_vacuum_horizon_while_staging() {
    let db = TestDb::initialised().await;
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("raw_metrics.csv");
    support::write_synthetic_raw_metrics(&input, 6000);
    let path = input.display().to_string();
    let watcher = db.client().await;
    let running = bounded::spawn(&db.url, &["import", "--quiet", &path], LIMIT);
    let started = std::time::Instant::now();
    let (xid, xmin) = loop {
        let row = watcher
            .query_opt(
                "SELECT c.backend_xid::text, c.backend_xmin::text FROM pg_stat_activity c \
                 WHERE c.datname = current_database() AND c.state = 'idle in transaction' \
                 AND c.query LIKE 'SET LOCAL idle_in_transaction_session_timeout%' \
                 AND EXISTS (SELECT 1 FROM pg_stat_activity s WHERE s.datname = current_database() \
                             AND s.state = 'active' AND s.query LIKE 'COPY bellatrix_migrate.stage_raw_metrics%')",
                &[],
            )
            .await
            .unwrap();
        if let Some(row) = row {
            break (
                row.get::<_, Option<String>>(0),
                row.get::<_, Option<String>>(1),
            );
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "never saw the import's transaction idle during COPY"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    };
    assert_eq!(
        (xid, xmin),
        (None, None),
        "no transaction id, no snapshot while staging"
    );
    let (out, _) = running.wait();
    assert_eq!(out.code, 0, "{}", out.stderr);
}

#[tokio::test]
async fn staging_is_emptied_by_a_committed_import_and_by_a_dry_run() {
    let db = TestDb::initialised().await;
    let drop_dir = fixture("fixtures/drop").display().to_string();
    let staged = || async {
        let mut n = 0;
        for table in [
            "stage_files",
            "stage_raw_metrics",
            "stage_prompts",
            "stage_log_entries",
            "stage_models",
            "stage_users",
            "stage_aggregates",
        ] {
            n += db.count(&format!("bellatrix_migrate.{table}")).await;
        }
        n
    };
    let (out, _) = bounded::run(
        &db.url,
        &["import", "--quiet", "--dry-run", &drop_dir],
        LIMIT,
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(staged().await, 0, "after a dry run");
    let (out, _) = bounded::run(&db.url, &["import", "--quiet", &drop_dir], LIMIT);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(staged().await, 0, "after a committed import");
    let outcomes: Vec<String> = db
        .client()
        .await
        .query(
            "SELECT outcome FROM bellatrix_migrate.imports ORDER BY id",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(outcomes, ["dry-run", "committed"]);
}
