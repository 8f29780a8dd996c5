//! End-to-end: repeatable imports land every source row exactly once, whatever is re-run: the same
//! drop, a file that grew by appends, overlapping copies, or two imports started at once.

mod support;

use support::{bellatrix_command, fingerprint, fixture, production_counts, TestDb};

/// The bytes of `relative` up to the start of its `n`-th data record (header = record 0).
fn prefix_before_record(relative: &str, n: usize) -> Vec<u8> {
    support::first_csv_records(relative, n)
}

#[tokio::test]
async fn reimporting_the_same_drop_changes_no_table() {
    let db = TestDb::initialised().await;
    let (first, _) = db.import(&["fixtures/drop"], &[]);
    assert_eq!(first.code, 0, "{}", first.stderr);
    let once = fingerprint(&db).await;
    let (second, report) = db.import(&["fixtures/drop"], &[]);
    assert_eq!(second.code, 0, "{}", second.stderr);
    assert_eq!(
        fingerprint(&db).await,
        once,
        "every table is unchanged by the re-import"
    );
    for (table, counts) in report["tables"].as_object().unwrap() {
        assert_eq!(
            counts["inserted"], 0,
            "{table} inserted rows on a re-import"
        );
    }
    let checks = report["checks"].as_array().unwrap();
    let views = checks
        .iter()
        .find(|c| c["name"] == "views_match_base_tables")
        .unwrap();
    assert_eq!(
        views["skipped"], true,
        "a re-import that wrote nothing skips whole-table scans"
    );
    let reconciliation = checks
        .iter()
        .find(|c| c["name"] == "reconciliation")
        .unwrap();
    assert_eq!(
        reconciliation["skipped"], false,
        "the import's own accounting is still checked"
    );
}

#[tokio::test]
async fn a_file_that_grew_by_appends_adds_only_the_appended_rows() {
    let db = TestDb::initialised().await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("raw_metrics.csv");
    let source = "fixtures/raw_metrics/value_spellings.csv";
    std::fs::write(&path, prefix_before_record(source, 6)).unwrap();
    let path_arg = path.display().to_string();
    let out = db.run(&["import", "--quiet", &path_arg]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(db.count("evaluation_metrics").await, 5);

    std::fs::copy(fixture(source), &path).unwrap();
    let report_file = dir.path().join("report.json");
    let report_arg = report_file.display().to_string();
    let out = db.run(&["import", "--quiet", "--report", &report_arg, &path_arg]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report_file).unwrap()).unwrap();
    // The file grew by appends: it is read from where the imported content ends, so the 5 rows of
    // that content are not source records of this import (they were of the first).
    assert_eq!(
        report["accounted"],
        serde_json::json!({"inserted": 9, "duplicate": 0, "rejected": 0, "updated": 0})
    );
    assert_eq!(report["files"][0]["resumed"]["records"], 5, "{report:#}");
    assert_eq!(db.count("evaluation_metrics").await, 14);

    let reference = TestDb::initialised().await;
    let (out, _) = reference.import(&[source], &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let (grown, whole) = (fingerprint(&db).await, fingerprint(&reference).await);
    // Prompt and run metadata name the source file, which differs between the two databases.
    for ((table, a), (_, b)) in grown.iter().zip(&whole) {
        if [
            "evaluation_metrics",
            "model_aggregated_metrics",
            "model_providers",
            "users",
        ]
        .contains(&table.as_str())
        {
            continue;
        }
        assert_eq!(
            a.split(':').next(),
            b.split(':').next(),
            "{table}: same row count as one import of the whole file"
        );
    }
    let sums = "SELECT sum(input_tokens), sum(output_tokens), sum(cost_usd_total)::text, count(*) FILTER (WHERE json_valid IS NULL) FROM evaluation_metrics";
    let a = db.client().await.query_one(sums, &[]).await.unwrap();
    let b = reference.client().await.query_one(sums, &[]).await.unwrap();
    assert_eq!(
        (
            a.get::<_, i64>(0),
            a.get::<_, i64>(1),
            a.get::<_, String>(2),
            a.get::<_, i64>(3)
        ),
        (
            b.get::<_, i64>(0),
            b.get::<_, i64>(1),
            b.get::<_, String>(2),
            b.get::<_, i64>(3)
        )
    );
}

#[tokio::test]
async fn a_drop_its_backup_and_a_download_imported_separately_insert_each_row_once() {
    let together = TestDb::initialised().await;
    let (out, _) = together.import(&["fixtures/drop"], &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);

    let apart = TestDb::initialised().await;
    for part in [
        "fixtures/drop/data/runs/raw_metrics.csv",
        "fixtures/drop/data/runs/raw_metrics.csv.backup",
        "fixtures/drop/Downloads/raw_metrics_20251112_093000.csv",
    ] {
        let (out, _) = apart.import(&[part], &[]);
        assert_eq!(out.code, 0, "{part}: {}", out.stderr);
    }
    assert_eq!(
        production_counts(&apart).await,
        production_counts(&together).await
    );
    assert_eq!(fingerprint(&apart).await, fingerprint(&together).await);
}

#[tokio::test]
async fn two_imports_started_at_once_end_with_the_database_of_one() {
    let reference = TestDb::initialised().await;
    let (out, _) = reference.import(&["fixtures/drop", "fixtures/raw_metrics"], &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);

    let db = TestDb::initialised().await;
    let spawn = || {
        bellatrix_command()
            .args(["--database-url", &db.url, "import", "--quiet"])
            .arg(fixture("fixtures/drop"))
            .arg(fixture("fixtures/raw_metrics"))
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap()
    };
    let (mut a, mut b) = (spawn(), spawn());
    assert!(a.wait().unwrap().success());
    assert!(b.wait().unwrap().success());
    assert_eq!(fingerprint(&db).await, fingerprint(&reference).await);
}

#[tokio::test]
async fn a_dry_run_on_a_populated_database_predicts_what_is_new_and_what_is_present() {
    let db = TestDb::initialised().await;
    let (out, _) = db.import(&["fixtures/drop/data/runs/raw_metrics.csv"], &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let before = fingerprint(&db).await;
    let inputs = [
        "fixtures/drop",
        "fixtures/raw_metrics/r16_quoted_normal.csv",
    ];
    let (dry, predicted) = db.import(&inputs, &["--dry-run"]);
    assert_eq!(dry.code, 0, "{}", dry.stderr);
    assert_eq!(
        fingerprint(&db).await,
        before,
        "a dry run changes no production table"
    );
    assert_eq!(predicted["tables"]["evaluation_metrics"]["inserted"], 3);
    assert_eq!(
        predicted["tables"]["evaluation_metrics"]["duplicate"], 5,
        "the backup and download rows"
    );
    assert_eq!(predicted["files"][0]["status"], "already-imported");
    let (real, actual) = db.import(&inputs, &[]);
    assert_eq!(real.code, 0, "{}", real.stderr);
    assert_eq!(predicted["tables"], actual["tables"]);
    assert_eq!(predicted["accounted"], actual["accounted"]);
    assert_eq!(predicted["files"], actual["files"]);
}

#[tokio::test]
async fn a_bulk_first_load_rebuilds_indexes_and_keys_and_lands_the_same_rows() {
    let shape = "SELECT (SELECT string_agg(indexdef, '; ' ORDER BY indexname) FROM pg_indexes \
                 WHERE tablename IN ('evaluation_runs', 'evaluation_metrics', 'master_model_evaluations', \
                 'model_aggregated_metrics', 'row_sources')) || '/' || \
                 (SELECT string_agg(conname || ' ' || pg_get_constraintdef(oid), '; ' ORDER BY conname) \
                  FROM pg_constraint WHERE contype = 'f')";
    let ordinary = TestDb::initialised().await;
    let before: String = ordinary
        .client()
        .await
        .query_one(shape, &[])
        .await
        .unwrap()
        .get(0);
    let (out, _) = ordinary.import(&["fixtures/drop"], &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);

    let bulk = TestDb::initialised().await;
    let (out, report) = bulk.import(&["fixtures/drop"], &["--bulk-threshold", "1"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let steps = report["timings"]["transform_steps"].to_string();
    assert!(
        steps.contains("rebuilding indexes and keys after a bulk load"),
        "{steps}"
    );
    let after: String = bulk
        .client()
        .await
        .query_one(shape, &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(
        after, before,
        "the same indexes and foreign keys exist after a bulk load"
    );
    assert_eq!(fingerprint(&bulk).await, fingerprint(&ordinary).await);
    // The rebuilt foreign keys are enforced.
    let orphan = bulk
        .client()
        .await
        .execute(
            "UPDATE evaluation_metrics SET run_id = uuid_generate_v4() WHERE true",
            &[],
        )
        .await;
    assert!(
        orphan.is_err(),
        "a rebuilt foreign key must reject an orphan"
    );
}
