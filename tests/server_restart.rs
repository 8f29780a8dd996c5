//! End-to-end crash safety when the PostgreSQL server itself restarts in the middle of an import's
//! transform. In its own test binary because it restarts the binary's shared cluster.

mod support;

use std::process::Stdio;
use support::{
    bellatrix_command, cluster, fingerprint, production_counts, write_synthetic_raw_metrics, TestDb,
};

#[tokio::test]
async fn a_server_restart_mid_import_leaves_production_as_it_was_and_a_rerun_completes() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("raw_metrics.csv");
    write_synthetic_raw_metrics(&input, 3000);
    let import = |db: &TestDb| {
        bellatrix_command()
            .args(["--database-url", &db.url, "import", "--quiet"])
            .arg(&input)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let reference = TestDb::initialised().await;
    assert!(import(&reference).wait().unwrap().success());

    let db = TestDb::initialised().await;
    let before = production_counts(&db).await;
    let watcher = db.client().await;
    let mut blocker = db.client().await;
    let tx = blocker.transaction().await.unwrap();
    tx.batch_execute("LOCK TABLE evaluation_metrics IN ACCESS EXCLUSIVE MODE")
        .await
        .unwrap();
    let mut child = import(&db);
    support::wait_until(&watcher, support::IMPORT_WAITS_FOR_LOCK, || {
        child.try_wait().unwrap().is_none()
    })
    .await;
    drop(tx);
    let server = cluster();
    server.stop().expect("stopping the server");
    server.start().expect("starting the server again");
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(production_counts(&db).await, before);

    assert!(import(&db).wait().unwrap().success());
    assert_eq!(fingerprint(&db).await, fingerprint(&reference).await);
}
