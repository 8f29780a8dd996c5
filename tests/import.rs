//! End-to-end behaviour of `import` against real PostgreSQL: rejects and exit codes, the reject limit,
//! a failure midway, dry runs, re-imports, and that no legacy text reaches the terminal or the report.

mod support;

use support::{production_counts, TestDb};

const BAD_ROWS: &str = "fixtures/raw_metrics/bad_rows.csv";
const DROP: &str = "fixtures/drop";

#[tokio::test]
async fn bad_rows_are_reported_and_written_to_the_rejects_file_and_the_run_succeeds() {
    let db = TestDb::initialised().await;
    let rejects = tempfile::NamedTempFile::new().unwrap();
    let rejects_path = rejects.path().display().to_string();
    let (out, report) = db.import(&[BAD_ROWS], &["--rejects", &rejects_path]);
    assert_eq!(
        out.code, 0,
        "rejects alone do not fail a run: {}",
        out.stderr
    );
    assert_eq!(report["rejects_total"], 12);
    assert!(
        out.stdout.contains("rejected records (12)"),
        "{}",
        out.stdout
    );
    let mut csv = csv::Reader::from_path(rejects.path()).unwrap();
    assert_eq!(
        csv.headers().unwrap(),
        vec!["file", "line", "column", "field", "reason"]
    );
    let lines: Vec<String> = csv.records().map(|r| r.unwrap()[1].to_owned()).collect();
    assert_eq!(
        lines,
        ["3", "4", "6", "7", "8", "9", "10", "11", "12", "13", "14", "15"]
    );
}

#[tokio::test]
async fn more_rejects_than_max_rejects_exits_1_and_commits_nothing() {
    let db = TestDb::initialised().await;
    let before = production_counts(&db).await;
    let (out, report) = db.import(&[BAD_ROWS], &["--max-rejects", "5"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains("--max-rejects 5"), "{}", out.stderr);
    assert_eq!(report["rejects_total"], 12, "the report is still written");
    assert_eq!(production_counts(&db).await, before);
    assert_eq!(db.count("bellatrix_migrate.row_sources").await, 0);
    let outcome: String = db
        .client()
        .await
        .query_one("SELECT outcome FROM bellatrix_migrate.imports", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(
        outcome, "rolled-back",
        "the ledger keeps the attempt, without rows"
    );
}

#[tokio::test]
async fn an_import_that_fails_midway_leaves_production_tables_as_they_were() {
    let db = TestDb::initialised().await;
    let (first, _) = db.import(&["fixtures/raw_metrics/r16_quoted_normal.csv"], &[]);
    assert_eq!(first.code, 0, "{}", first.stderr);
    // A trigger that fails the metrics insert: runs, models and prompts were already written in the
    // same transaction when it fires.
    db.client()
        .await
        .batch_execute(
            "CREATE FUNCTION fail_insert() RETURNS trigger LANGUAGE plpgsql AS $$ \
             BEGIN RAISE EXCEPTION 'injected failure'; END $$; \
             CREATE TRIGGER fail_metrics BEFORE INSERT ON evaluation_metrics FOR EACH ROW EXECUTE FUNCTION fail_insert();",
        )
        .await
        .unwrap();
    let before = production_counts(&db).await;
    let ledger_before = db.count("bellatrix_migrate.row_sources").await;
    let (out, _) = db.import(&[DROP], &[]);
    assert_eq!(out.code, 2, "a database error is exit 2: {}", out.stderr);
    assert!(
        out.stderr.contains("transform step: inserting metrics"),
        "{}",
        out.stderr
    );
    assert_eq!(production_counts(&db).await, before);
    assert_eq!(
        db.count("bellatrix_migrate.row_sources").await,
        ledger_before
    );
    assert_eq!(
        db.count("bellatrix_migrate.stage_raw_metrics").await,
        0,
        "staging is emptied after a failed run"
    );
}

#[tokio::test]
async fn a_dry_run_changes_nothing_and_predicts_the_import_exactly() {
    let db = TestDb::initialised().await;
    let before = production_counts(&db).await;
    let (dry, dry_report) = db.import(&[DROP], &["--dry-run"]);
    assert_eq!(dry.code, 0, "{}", dry.stderr);
    assert_eq!(dry_report["mode"], "dry-run");
    assert!(dry.stdout.contains("dry run"), "{}", dry.stdout);
    assert_eq!(production_counts(&db).await, before);
    let (real, report) = db.import(&[DROP], &[]);
    assert_eq!(real.code, 0, "{}", real.stderr);
    assert_eq!(dry_report["tables"], report["tables"]);
    assert_eq!(dry_report["accounted"], report["accounted"]);
    let after = production_counts(&db).await;
    for (table, n) in &after {
        let inserted = report["tables"][table]["inserted"].as_i64().unwrap();
        let before_n = before.iter().find(|(t, _)| t == table).unwrap().1;
        assert_eq!(
            *n,
            before_n + inserted,
            "{table}: the report's inserted count matches the database"
        );
    }
}

#[tokio::test]
async fn reimporting_the_same_drop_inserts_nothing() {
    let db = TestDb::initialised().await;
    let (first, _) = db.import(&[DROP], &[]);
    assert_eq!(first.code, 0, "{}", first.stderr);
    let after_first = production_counts(&db).await;
    let (second, report) = db.import(&[DROP], &[]);
    assert_eq!(second.code, 0, "{}", second.stderr);
    assert_eq!(production_counts(&db).await, after_first);
    assert_eq!(
        report["accounted"],
        serde_json::json!({"inserted": 0, "duplicate": 13, "rejected": 0, "updated": 0})
    );
    let files = report["files"].as_array().unwrap();
    assert!(
        files.iter().all(|f| f["status"] == "already-imported"),
        "{files:?}"
    );
}

#[tokio::test]
async fn terminal_output_and_report_never_contain_legacy_text() {
    let db = TestDb::initialised().await;
    let (out, report) = db.import(
        &["fixtures/raw_metrics/r16_quoted_normal.csv", BAD_ROWS],
        &[],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let report_text = report.to_string();
    let client = db.client().await;
    let texts = client
        .query(
            "SELECT prompt_text FROM prompts WHERE source_type <> 'legacy_placeholder' \
             UNION ALL SELECT response_text FROM evaluation_metrics WHERE response_text IS NOT NULL \
             UNION ALL SELECT error_message FROM evaluation_metrics WHERE error_message IS NOT NULL",
            &[],
        )
        .await
        .unwrap();
    assert!(!texts.is_empty());
    for row in texts {
        let text: String = row.get(0);
        for shown in [&out.stdout, &out.stderr, &report_text] {
            assert!(
                !shown.contains(&text),
                "legacy text of {} bytes leaked into output",
                text.len()
            );
        }
    }
}

#[tokio::test]
async fn a_missing_input_path_is_exit_2_with_the_path_named() {
    let db = TestDb::initialised().await;
    let out = db.run(&["import", "--quiet", "fixtures/does-not-exist"]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("does-not-exist"), "{}", out.stderr);
}

#[test]
fn help_explains_commands_and_exit_statuses() {
    let out = assert_cmd::Command::cargo_bin("bellatrix-migrate")
        .unwrap()
        .arg("--help")
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    for needle in ["init", "import", "Exit status", "--database-url"] {
        assert!(help.contains(needle), "--help lacks {needle}: {help}");
    }
    let out = assert_cmd::Command::cargo_bin("bellatrix-migrate")
        .unwrap()
        .args(["import", "--help"])
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    for needle in [
        "--dry-run",
        "--report",
        "--rejects",
        "--max-rejects",
        "--jobs",
        "--legacy-timezone",
    ] {
        assert!(help.contains(needle), "import --help lacks {needle}");
    }
}

#[test]
fn a_password_in_the_database_url_is_never_printed() {
    let out = assert_cmd::Command::cargo_bin("bellatrix-migrate")
        .unwrap()
        .args([
            "--database-url",
            "postgresql://alice:hunter2@127.0.0.1:1/nowhere",
            "init",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!all.contains("hunter2"), "{all}");
}
