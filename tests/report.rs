//! The cutover report against real PostgreSQL: a dry run predicts exactly what the import then does
//! (per file, per table, rejects by reason, duplicates and what they repeat, placeholders, models,
//! runs, time zones, checks) and `verify` passes after it; the Markdown file for the change ticket
//! is self-contained; no rendering carries legacy prompt or response text.

mod support;

use support::{production_counts, TestDb};

const DROP: &str = "fixtures/drop";
const ALL_RAW: &str = "fixtures/raw_metrics";
const R16: &str = "fixtures/raw_metrics/r16_quoted_normal.csv";
const BAD_ROWS: &str = "fixtures/raw_metrics/bad_rows.csv";

/// The report keys a dry run must predict exactly.
const PREDICTED: [&str; 14] = [
    "files",
    "tables",
    "source_records",
    "accounted",
    "rejects",
    "rejects_total",
    "reject_groups",
    "duplicates_total",
    "duplicate_groups",
    "placeholders",
    "models_created",
    "providers_created",
    "runs_created",
    "naive_timestamps",
];

fn checks_without_timing(report: &serde_json::Value) -> Vec<(String, bool, String)> {
    report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["name"].as_str().unwrap().to_owned(),
                c["ok"].as_bool().unwrap(),
                c["detail"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_dry_run_predicts_the_import_exactly_and_verify_passes_after_it() {
    let db = TestDb::initialised().await;
    // An earlier import of the drop's backup, so the dry run also predicts duplicates of rows already
    // in the database (the live file repeats them) and a file skipped as already imported.
    let (first, _) = db.import(&["fixtures/drop/data/runs/raw_metrics.csv.backup"], &[]);
    assert_eq!(first.code, 0, "{}", first.stderr);
    let before = production_counts(&db).await;
    let committed = "bellatrix_migrate.imports WHERE outcome = 'committed'";
    let imports_before = db.count(committed).await;
    let ledger_before = db.count("bellatrix_migrate.row_sources").await;

    let (dry, predicted) = db.import(&[ALL_RAW, DROP], &["--dry-run"]);
    assert_eq!(dry.code, 0, "{}{}", dry.stdout, dry.stderr);
    assert_eq!(predicted["mode"], "dry-run");
    assert_eq!(
        production_counts(&db).await,
        before,
        "a dry run changes no production table"
    );
    assert_eq!(
        db.count(committed).await,
        imports_before,
        "a dry run commits no import"
    );
    assert_eq!(
        db.count("bellatrix_migrate.row_sources").await,
        ledger_before
    );

    let (real, done) = db.import(&[ALL_RAW, DROP], &[]);
    assert_eq!(real.code, 0, "{}{}", real.stdout, real.stderr);
    for key in PREDICTED {
        assert_eq!(predicted[key], done[key], "the dry run predicted {key}");
    }
    assert_eq!(
        checks_without_timing(&predicted),
        checks_without_timing(&done)
    );
    // The prediction is not vacuous: this drop has something in every section.
    assert_eq!(done["rejects_total"], 12);
    assert!(
        done["duplicate_groups"]
            .as_array()
            .unwrap()
            .iter()
            .any(|g| g["of_import"] == 1),
        "duplicates of the earlier import: {}",
        done["duplicate_groups"]
    );
    assert!(
        done["files"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["status"] == "already-imported" && f["previous_import"] == 1),
        "the backup is skipped as already imported: {}",
        done["files"]
    );
    assert!(done["placeholders"]["created"].as_u64().unwrap() > 0);
    assert!(!done["models_created"].as_array().unwrap().is_empty());
    let after = production_counts(&db).await;
    for (table, n) in &after {
        let inserted = done["tables"][table]["inserted"].as_i64().unwrap();
        let was = before.iter().find(|(t, _)| t == table).unwrap().1;
        assert_eq!(*n, was + inserted, "{table}: inserted as predicted");
    }

    let (verify, report) = db.verify(&["--full"]);
    assert_eq!(verify.code, 0, "{}", verify.stdout);
    assert!(report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .all(|c| c["ok"] == true));
}

#[tokio::test]
async fn rejects_are_grouped_by_reason_without_their_values() {
    let db = TestDb::initialised().await;
    let (out, report) = db.import(&[BAD_ROWS], &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let groups = report["reject_groups"].as_array().unwrap();
    let total: u64 = groups.iter().map(|g| g["count"].as_u64().unwrap()).sum();
    assert_eq!(total, 12, "every reject is in one group");
    let json_valid = groups.iter().find(|g| g["field"] == "json_valid").unwrap();
    assert_eq!(
        json_valid["reason"],
        "a N-character value is not a boolean spelling the legacy writers used"
    );
    assert_eq!(json_valid["first"][0]["line"], 7);
    // A value that did not parse is never quoted, not even in the JSON: it could be shifted text.
    assert!(!report["rejects"].to_string().contains("maybe"));
    assert!(report["rejects"]
        .to_string()
        .contains("a 5-character value is not a boolean"));
    assert!(
        out.stdout
            .contains("a N-character value is not a boolean spelling"),
        "{}",
        out.stdout
    );
    assert!(!out.stdout.contains("maybe"), "{}", out.stdout);
    assert!(out.stdout.contains("bad_rows.csv:7"), "{}", out.stdout);
}

/// Prompt, response and error texts stored from the fixtures (long enough that a match is a leak,
/// not a coincidence like "{}").
async fn legacy_texts(db: &TestDb) -> Vec<String> {
    let rows = db
        .client()
        .await
        .query(
            "SELECT prompt_text FROM prompts WHERE source_type <> 'legacy_placeholder' \
             UNION ALL SELECT response_text FROM evaluation_metrics WHERE response_text IS NOT NULL \
             UNION ALL SELECT error_message FROM evaluation_metrics WHERE error_message IS NOT NULL \
             UNION ALL SELECT response_text FROM master_model_evaluations \
             UNION ALL SELECT error_message FROM master_model_evaluations WHERE error_message IS NOT NULL",
            &[],
        )
        .await
        .unwrap();
    let texts: Vec<String> = rows
        .iter()
        .map(|r| r.get::<_, String>(0))
        .filter(|t| t.len() >= 8)
        .collect();
    assert!(
        texts.len() > 10,
        "the fixtures hold legacy text to look for"
    );
    texts
}

#[tokio::test]
async fn the_markdown_report_is_self_contained_and_holds_no_legacy_text() {
    let db = TestDb::initialised().await;
    let dir = tempfile::tempdir().unwrap();
    let md = dir.path().join("import.md").display().to_string();
    let (out, _) = db.import(&[ALL_RAW, DROP], &["--report-md", &md]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let text = std::fs::read_to_string(&md).unwrap();
    for heading in [
        "# bellatrix-migrate: Import report",
        "## Files",
        "## Tables",
        "## Created beside rows",
        "## Time zones",
        "## Rejected records (12)",
        "## Duplicate records (7)",
        "## Checks (14): 12 passed, 0 failed, 1 skipped, 1 informational (all agree)",
        "## Sign-off",
    ] {
        assert!(text.contains(heading), "{heading} missing:\n{text}");
    }
    assert!(
        text.contains("| count | field"),
        "rejects are a Markdown table:\n{text}"
    );
    assert!(text.contains("outcome: committed"), "{text}");
    assert!(text.contains(r"prompt\_hash\_matches\_postgres"), "{text}");

    let verify_md = dir.path().join("verify.md").display().to_string();
    let (verify, _) = db.verify(&["--report-md", &verify_md]);
    assert_eq!(verify.code, 0, "{}", verify.stdout);
    let verified = std::fs::read_to_string(&verify_md).unwrap();
    assert!(verified.starts_with("# bellatrix-migrate: Verification report"));
    assert!(verified.contains("outcome: passed"), "{verified}");

    for legacy in legacy_texts(&db).await {
        for (what, shown) in [
            ("import markdown", &text),
            ("verify markdown", &verified),
            ("import terminal", &out.stdout),
            ("verify terminal", &verify.stdout),
        ] {
            assert!(
                !shown.contains(&legacy),
                "legacy text of {} bytes leaked into the {what}",
                legacy.len()
            );
        }
    }
}

#[tokio::test]
async fn a_failed_check_is_named_in_the_markdown_sign_off() {
    let db = TestDb::initialised().await;
    let (out, _) = db.import(&[R16], &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    db.client()
        .await
        .batch_execute("UPDATE evaluation_runs SET total_models = 7")
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let md = dir.path().join("verify.md").display().to_string();
    let (verify, _) = db.verify(&["--report-md", &md]);
    assert_eq!(verify.code, 1);
    let text = std::fs::read_to_string(&md).unwrap();
    assert!(
        text.contains("## Checks (14): 11 passed, 1 FAILED, 2 skipped, 0 informational"),
        "{text}"
    );
    assert!(
        text.contains("AT LEAST ONE INTEGRITY CHECK FAILED"),
        "{text}"
    );
    assert!(text.contains("outcome: failed"), "{text}");
}
