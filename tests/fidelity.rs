//! Source fidelity against real PostgreSQL and real files: `text_fidelity` and `no_clipped_values`
//! re-read the source record of imported rows (by the file and line of the ledger) and compare. A
//! changed text or number fails naming table, file and line (never the text); a file that is gone,
//! or edited since the import, is skipped; an import whose stored rows differ from their source is
//! rolled back.

mod support;

use support::{check, failed_detail, fixture, production_counts, TestDb};

const R16: &str = "fixtures/raw_metrics/r16_quoted_normal.csv";
const BAD_ROWS: &str = "fixtures/raw_metrics/bad_rows.csv";
const MASTER: &str = "fixtures/raw_metrics/master_rows.csv";

/// Copies fixtures into a fresh directory, so a test may delete or edit them.
fn copied(names: &[&str]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for name in names {
        let from = fixture(name);
        std::fs::copy(&from, dir.path().join(from.file_name().unwrap())).unwrap();
    }
    dir
}

fn detail(report: &serde_json::Value, name: &str) -> String {
    check(report, name)["detail"].as_str().unwrap().to_owned()
}

async fn imported(paths: &[&str]) -> TestDb {
    let db = TestDb::initialised().await;
    let (out, _) = db.import(paths, &[]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    db
}

#[tokio::test]
async fn a_changed_response_fails_text_fidelity_naming_the_row_but_not_the_text() {
    let db = imported(&[R16, MASTER]).await;
    let client = db.client().await;
    let row = client
        .query_one(
            "SELECT id::text, metadata #>> '{source,line}', response_text FROM evaluation_metrics \
             WHERE response_text IS NOT NULL AND metadata #>> '{source,file}' LIKE '%r16_quoted_normal.csv' ORDER BY (metadata #>> '{source,line}')::int LIMIT 1",
            &[],
        )
        .await
        .unwrap();
    let (id, line, response): (String, String, String) = (row.get(0), row.get(1), row.get(2));
    client
        .batch_execute(&format!(
            "UPDATE evaluation_metrics SET response_text = response_text || ' tampered' WHERE id = '{id}'; \
             UPDATE master_model_evaluations SET error_message = 'tampered' \
             WHERE id = (SELECT id FROM master_model_evaluations ORDER BY id LIMIT 1)"
        ))
        .await
        .unwrap();
    let (out, report) = db.verify(&[]);
    assert_eq!(out.code, 1, "{}", out.stdout);
    let d = failed_detail(&report, "text_fidelity");
    assert!(
        d.starts_with("2 texts differ from their source records"),
        "{d}"
    );
    assert!(
        d.contains(&format!(
            "evaluation_metrics {}:{line} (id {id}): response_text differs from the source",
            fixture(R16).display()
        )),
        "{d}"
    );
    assert!(
        d.contains(&format!("first difference at byte {}", response.len())),
        "{d}"
    );
    assert!(d.contains("master_model_evaluations"), "{d}");
    assert!(!d.contains("tampered") && !out.stdout.contains(&response));
    assert_eq!(check(&report, "no_clipped_values")["ok"], true);
}

#[tokio::test]
async fn a_clipped_cost_fails_no_clipped_values_with_stored_and_source_values() {
    let db = imported(&[BAD_ROWS]).await;
    db.client()
        .await
        .batch_execute(
            "UPDATE evaluation_metrics SET cost_usd_input = 9999.999999 \
             WHERE metadata #>> '{source,line}' = '2'",
        )
        .await
        .unwrap();
    let (out, report) = db.verify(&[]);
    assert_eq!(out.code, 1, "{}", out.stdout);
    let d = failed_detail(&report, "no_clipped_values");
    assert!(
        d.contains(&format!("{}:2 (id", fixture(BAD_ROWS).display())),
        "{d}"
    );
    assert!(
        d.contains("cost_usd_input stored 9999.999999, source 0.000112"),
        "{d}"
    );
}

#[tokio::test]
async fn a_changed_latency_fails_no_clipped_values() {
    let db = imported(&[R16]).await;
    db.client()
        .await
        .batch_execute(
            "UPDATE evaluation_metrics SET latency_ms = latency_ms + 1 \
             WHERE id = (SELECT id FROM evaluation_metrics ORDER BY id LIMIT 1)",
        )
        .await
        .unwrap();
    let (out, report) = db.verify(&[]);
    assert_eq!(out.code, 1);
    let d = failed_detail(&report, "no_clipped_values");
    assert!(
        d.starts_with("1 values differ from their source records"),
        "{d}"
    );
    assert!(d.contains("latency_ms stored"), "{d}");
}

#[tokio::test]
async fn a_source_file_that_is_gone_is_skipped_not_failed() {
    let dir = copied(&[R16]);
    let db = TestDb::initialised().await;
    let path = dir
        .path()
        .join("r16_quoted_normal.csv")
        .display()
        .to_string();
    let out = db.run(&["import", "--quiet", &path]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    std::fs::remove_file(&path).unwrap();
    let (out, report) = db.verify(&[]);
    assert_eq!(
        out.code, 0,
        "a missing source is not a failure: {}",
        out.stdout
    );
    let fidelity = check(&report, "text_fidelity");
    assert_eq!(fidelity["skipped"], true, "{fidelity}");
    assert!(
        detail(&report, "text_fidelity").contains(&format!("{path}: not found (3 rows)")),
        "{fidelity}"
    );
    assert_eq!(check(&report, "no_clipped_values")["skipped"], true);
}

#[tokio::test]
async fn relative_source_paths_are_found_with_source_root() {
    let dir = copied(&[R16]);
    let db = TestDb::initialised().await;
    let out = db.run_in(dir.path(), &["import", "--quiet", "r16_quoted_normal.csv"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    // From elsewhere the relative path does not resolve...
    let (out, report) = db.verify(&[]);
    assert_eq!(out.code, 0);
    assert_eq!(check(&report, "text_fidelity")["skipped"], true);
    // ...with --source-root it does.
    let root = dir.path().display().to_string();
    let (out, report) = db.verify(&["--source-root", &root]);
    assert_eq!(out.code, 0, "{}", out.stdout);
    assert_eq!(check(&report, "text_fidelity")["skipped"], false);
    assert!(
        detail(&report, "text_fidelity").starts_with("3 rows compared (all 3 imported rows)"),
        "{}",
        detail(&report, "text_fidelity")
    );
}

#[tokio::test]
async fn a_file_edited_since_the_import_skips_the_rows_no_longer_at_their_line() {
    let dir = copied(&[R16]);
    let db = TestDb::initialised().await;
    let path = dir.path().join("r16_quoted_normal.csv");
    let shown = path.display().to_string();
    let out = db.run(&["import", "--quiet", &shown]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    // Someone fixed a timestamp in the legacy file: that record is another row now.
    let text = std::fs::read_to_string(&path).unwrap();
    let edited = text.replacen(
        "2025-11-20T04:45:10.250000Z",
        "2025-11-20T04:45:11.250000Z",
        1,
    );
    assert_ne!(text, edited);
    std::fs::write(&path, edited).unwrap();
    let (out, report) = db.verify(&[]);
    assert_eq!(out.code, 0, "{}", out.stdout);
    let d = detail(&report, "text_fidelity");
    assert!(d.starts_with("2 rows compared"), "{d}");
    assert!(
        d.contains(&format!(
            "{shown}: changed since import 1 (1 rows no longer at their line)"
        )),
        "{d}"
    );
}

#[tokio::test]
async fn a_ledger_line_that_no_longer_matches_an_unchanged_file_fails_text_fidelity() {
    // Rows with a byte offset are found by seeking to it; the line is what finds a row imported
    // without one (before migration 0007), and what a sequential re-read checks.
    for (what, corrupt) in [
        (
            "line",
            "UPDATE bellatrix_migrate.row_sources SET byte_offset = NULL; \
             UPDATE bellatrix_migrate.row_sources SET line = line + 1 \
             WHERE line = (SELECT min(line) FROM bellatrix_migrate.row_sources)",
        ),
        (
            "byte offset",
            "UPDATE bellatrix_migrate.row_sources SET byte_offset = byte_offset + 1 \
             WHERE line = (SELECT min(line) FROM bellatrix_migrate.row_sources)",
        ),
    ] {
        let db = imported(&[R16]).await;
        db.client().await.batch_execute(corrupt).await.unwrap();
        let (out, report) = db.verify(&[]);
        assert_eq!(out.code, 1, "{what}");
        let d = failed_detail(&report, "text_fidelity");
        assert!(
            d.contains("rows are not at the line or byte offset the ledger names"),
            "{what}: {d}"
        );
        assert!(d.contains("though the file is unchanged"), "{what}: {d}");
    }
}

#[tokio::test]
async fn sample_and_full_choose_how_many_rows_are_compared() {
    let db = imported(&["fixtures/drop", "fixtures/raw_metrics/value_spellings.csv"]).await;
    let (out, report) = db.verify(&["--sample", "3"]);
    assert_eq!(out.code, 0, "{}", out.stdout);
    let d = detail(&report, "text_fidelity");
    assert!(
        d.contains("a random sample of about 3 of 22 imported rows"),
        "{d}"
    );
    let (out, report) = db.verify(&["--full"]);
    assert_eq!(out.code, 0, "{}", out.stdout);
    let d = detail(&report, "text_fidelity");
    assert!(
        d.starts_with("22 rows compared (all 22 imported rows)"),
        "{d}"
    );
}

#[tokio::test]
async fn naive_timestamps_are_re_read_in_the_time_zone_of_their_import() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("raw_metrics.csv");
    std::fs::write(
        &path,
        "timestamp,run_id,model_name,model_id,prompt_id,input_tokens,output_tokens,latency_ms,json_valid,error,status,cost_usd_input,cost_usd_output,cost_usd_total,input_prompt,response\n\
         2025-11-10T18:30:00,run_20251110_183000,Nova Pro,us.amazon.nova-pro-v1:0,1,10,20,900,True,,success,0.00001,0.00002,0.00003,Say hi as JSON.,{}\n\
         2025-11-10T18:31:00,run_20251110_183000,Nova Pro,us.amazon.nova-pro-v1:0,2,10,20,950,True,,success,0.00001,0.00002,0.00003,Say bye as JSON.,{}\n",
    )
    .unwrap();
    let shown = path.display().to_string();
    let db = TestDb::initialised().await;
    let report_file = dir.path().join("report.json");
    let out = db.run(&[
        "import",
        "--quiet",
        "--legacy-timezone",
        "Asia/Kolkata",
        "--report",
        &report_file.display().to_string(),
        &shown,
    ]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report_file).unwrap()).unwrap();
    assert_eq!(report["naive_timestamps"]["rows"], 2);
    assert_eq!(
        report["naive_timestamps"]["files"][0]["file"],
        shown.as_str()
    );
    assert_eq!(
        report["naive_timestamps"]["files"][0]["first_lines"],
        serde_json::json!([2, 3])
    );
    assert!(
        out.stdout.contains("read in Asia/Kolkata"),
        "{}",
        out.stdout
    );
    let (out, report) = db.verify(&[]);
    assert_eq!(out.code, 0, "{}", out.stdout);
    assert!(
        detail(&report, "text_fidelity").starts_with("2 rows compared"),
        "re-read in Asia/Kolkata, the rows keep their natural keys: {}",
        detail(&report, "text_fidelity")
    );
}

#[tokio::test]
async fn an_import_whose_stored_text_differs_from_its_source_is_rolled_back() {
    let db = TestDb::initialised().await;
    // A trigger that alters every response on its way in: the import's own text_fidelity check
    // must catch it before commit.
    db.client()
        .await
        .batch_execute(
            "CREATE FUNCTION pad() RETURNS trigger LANGUAGE plpgsql AS $$ \
             BEGIN NEW.response_text := NEW.response_text || ' '; RETURN NEW; END $$; \
             CREATE TRIGGER pad BEFORE INSERT ON evaluation_metrics FOR EACH ROW EXECUTE FUNCTION pad();",
        )
        .await
        .unwrap();
    let before = production_counts(&db).await;
    let (out, report) = db.import(&[R16], &[]);
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stderr.contains("an integrity check failed"),
        "{}",
        out.stderr
    );
    failed_detail(&report, "text_fidelity");
    assert_eq!(production_counts(&db).await, before);
    assert_eq!(
        db.count("bellatrix_migrate.imports WHERE outcome = 'committed'")
            .await,
        0,
        "only the rolled-back attempt is in the ledger"
    );
}
