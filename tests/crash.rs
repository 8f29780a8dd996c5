//! End-to-end crash safety: an import killed with SIGKILL at different moments (while reading, during
//! COPY, in the middle of the transform, just before commit), or whose connection is cut, leaves the
//! production tables as they were; running the same command again ends with exactly the database one
//! uninterrupted import gives.

mod support;

use std::path::PathBuf;
use std::process::{Child, Stdio};
use support::{
    bellatrix_command, fingerprint, production_counts, write_synthetic_raw_metrics, TestDb,
};

const ROWS: usize = 6000;

struct Input {
    _dir: tempfile::TempDir,
    path: PathBuf,
}

fn synthetic_input() -> Input {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("raw_metrics.csv");
    write_synthetic_raw_metrics(&path, ROWS);
    Input { _dir: dir, path }
}

fn spawn_import(db: &TestDb, input: &Input) -> Child {
    bellatrix_command()
        .args(["--database-url", &db.url, "import", "--quiet"])
        .arg(&input.path)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn run_import(db: &TestDb, input: &Input) {
    let out = spawn_import(db, input).wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    );
}

/// Kills the import at a moment, checks production is untouched, re-runs, and compares with one
/// uninterrupted import. `hold` is a table the test locks so the transform stops there (or none).
async fn kill_at(moment: &str, hold: Option<&str>) {
    let input = synthetic_input();
    let reference = TestDb::initialised().await;
    run_import(&reference, &input);

    let db = TestDb::initialised().await;
    let before = production_counts(&db).await;
    let watcher = db.client().await;
    let mut blocker = db.client().await;
    let tx = blocker.transaction().await.unwrap();
    if let Some(table) = hold {
        tx.batch_execute(&format!("LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE"))
            .await
            .unwrap();
    }
    let mut child = spawn_import(&db, &input);
    match moment {
        "read" => {
            support::wait_until(
                &watcher,
                "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted)",
                || child.try_wait().unwrap().is_none(),
            )
            .await
        }
        "copy" => {
            support::wait_until(
                &watcher,
                "SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE datname = current_database() \
                 AND state = 'active' AND query LIKE 'COPY bellatrix_migrate.stage_raw_metrics%')",
                || child.try_wait().unwrap().is_none(),
            )
            .await
        }
        _ => {
            support::wait_until(&watcher, support::IMPORT_WAITS_FOR_LOCK, || {
                child.try_wait().unwrap().is_none()
            })
            .await
        }
    }
    child.kill().unwrap();
    child.wait().unwrap();
    tx.rollback().await.unwrap();
    // The dead client's backend may still be running its statement; it can never commit, because
    // COMMIT is the client's to send. The rerun waits for its advisory lock to go.
    assert_eq!(
        production_counts(&db).await,
        before,
        "killed during {moment}: production changed"
    );

    run_import(&db, &input);
    assert_eq!(
        fingerprint(&db).await,
        fingerprint(&reference).await,
        "rerun after a kill during {moment}"
    );
}

#[tokio::test]
async fn killed_while_reading_then_rerun_gives_the_database_of_one_import() {
    kill_at("read", None).await;
}

#[tokio::test]
async fn killed_during_copy_then_rerun_gives_the_database_of_one_import() {
    kill_at("copy", None).await;
}

#[tokio::test]
async fn killed_in_the_middle_of_the_transform_then_rerun_gives_the_database_of_one_import() {
    kill_at("transform", Some("evaluation_metrics")).await;
}

#[tokio::test]
async fn killed_just_before_commit_then_rerun_gives_the_database_of_one_import() {
    kill_at("commit", Some("bellatrix_migrate.files")).await;
}

#[tokio::test]
async fn a_lost_connection_fails_the_import_cleanly_and_a_rerun_completes_it() {
    let input = synthetic_input();
    let reference = TestDb::initialised().await;
    run_import(&reference, &input);

    let db = TestDb::initialised().await;
    let before = production_counts(&db).await;
    let watcher = db.client().await;
    let mut blocker = db.client().await;
    let tx = blocker.transaction().await.unwrap();
    tx.batch_execute("LOCK TABLE prompts IN ACCESS EXCLUSIVE MODE")
        .await
        .unwrap();
    let mut child = spawn_import(&db, &input);
    support::wait_until(&watcher, support::IMPORT_WAITS_FOR_LOCK, || {
        child.try_wait().unwrap().is_none()
    })
    .await;
    watcher
        .batch_execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() \
             AND pid <> pg_backend_pid() AND wait_event_type = 'Lock' AND wait_event = 'relation'",
        )
        .await
        .unwrap();
    tx.rollback().await.unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(2), "a lost connection is exit 2");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("database error"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(production_counts(&db).await, before);

    run_import(&db, &input);
    assert_eq!(fingerprint(&db).await, fingerprint(&reference).await);
}
