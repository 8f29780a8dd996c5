//! End-to-end: every raw_metrics fixture is imported by the real binary into a fresh database of a real
//! PostgreSQL, and every record is checked against `fixtures/EXPECTED.md`: its outcome (table,
//! duplicate of which line, or rejected at which column) and its stored values, byte for byte.

mod support;

use serde_json::Value;
use support::expected::{self, FileExpectation, Outcome, Values};
use support::{fixture, TestDb};
use tokio_postgres::Client;

const METRIC_ROW: &str = r#"
SELECT to_char(em.evaluated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'), r.run_id,
       em.metadata->>'legacy_model_name', em.metadata->>'legacy_model_id',
       COALESCE(em.metadata->>'legacy_prompt_id', ''), em.status, em.input_tokens, em.output_tokens,
       em.latency_ms::text, em.json_valid, em.cost_usd_input::text, em.cost_usd_output::text,
       em.cost_usd_total::text,
       CASE WHEN p.source_type = 'legacy_placeholder' THEN NULL ELSE p.prompt_text END,
       em.response_text, em.error_message,
       COALESCE((em.metadata->>'shape_ambiguous')::boolean, false),
       COALESCE((em.metadata->>'backslashes_halved')::boolean, false),
       COALESCE((em.metadata->>'backslash_ambiguous')::boolean, false)
FROM evaluation_metrics em
JOIN evaluation_runs r ON r.id = em.run_id
JOIN prompts p ON p.id = em.prompt_id
WHERE em.metadata->'source'->>'file' = $1 AND (em.metadata->'source'->>'line')::bigint = $2"#;

const MASTER_ROW: &str = r#"
SELECT to_char(mm.evaluated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'), r.run_id,
       mm.metadata->>'legacy_model_name', mm.metadata->>'legacy_model_id',
       COALESCE(mm.metadata->>'legacy_prompt_id', ''), mm.status, mm.input_tokens, mm.output_tokens,
       mm.latency_ms::text, (mm.metadata->>'json_valid')::boolean,
       (mm.metadata->'cost_usd_input')::text, (mm.metadata->'cost_usd_output')::text,
       (mm.metadata->'cost_usd_total')::text,
       CASE WHEN p.source_type = 'legacy_placeholder' THEN NULL ELSE p.prompt_text END,
       mm.response_text, mm.error_message,
       COALESCE((mm.metadata->>'shape_ambiguous')::boolean, false),
       COALESCE((mm.metadata->>'backslashes_halved')::boolean, false),
       COALESCE((mm.metadata->>'backslash_ambiguous')::boolean, false)
FROM master_model_evaluations mm
LEFT JOIN evaluation_runs r ON r.id = mm.run_id
JOIN prompts p ON p.id = mm.prompt_id
WHERE mm.metadata->'source'->>'file' = $1 AND (mm.metadata->'source'->>'line')::bigint = $2"#;

async fn stored(client: &Client, query: &str, file: &str, line: u64) -> Values {
    let line = i64::try_from(line).unwrap();
    let rows = client
        .query(query, &[&file, &line])
        .await
        .expect("querying a stored row");
    assert_eq!(rows.len(), 1, "{file}:{line} should be stored exactly once");
    let r = &rows[0];
    Values {
        evaluated_at: r.get(0),
        run_id: r.get(1),
        model_name: r.get(2),
        model_id: r.get(3),
        prompt_id: r.get(4),
        status: r.get(5),
        input_tokens: r.get(6),
        output_tokens: r.get(7),
        latency_ms: r.get(8),
        json_valid: r.get(9),
        costs: [r.get(10), r.get(11), r.get(12)],
        input_prompt: r.get(13),
        response: r.get(14),
        error: r.get(15),
        shape_ambiguous: r.get(16),
        backslashes_halved: r.get(17),
        backslash_ambiguous: r.get(18),
    }
}

fn assert_values(at: &str, expected: &Values, actual: &Values) {
    let pairs: [(&str, String, String); 13] = [
        (
            "evaluated_at",
            expected.evaluated_at.clone(),
            actual.evaluated_at.clone(),
        ),
        (
            "run_id",
            format!("{:?}", expected.run_id),
            format!("{:?}", actual.run_id),
        ),
        (
            "model_name",
            expected.model_name.clone(),
            actual.model_name.clone(),
        ),
        (
            "model_id",
            expected.model_id.clone(),
            actual.model_id.clone(),
        ),
        (
            "prompt_id",
            expected.prompt_id.clone(),
            actual.prompt_id.clone(),
        ),
        ("status", expected.status.clone(), actual.status.clone()),
        (
            "tokens",
            format!("{}/{}", expected.input_tokens, expected.output_tokens),
            format!("{}/{}", actual.input_tokens, actual.output_tokens),
        ),
        (
            "latency_ms",
            expected.latency_ms.clone(),
            actual.latency_ms.clone(),
        ),
        (
            "json_valid",
            format!("{:?}", expected.json_valid),
            format!("{:?}", actual.json_valid),
        ),
        (
            "costs",
            expected.costs.join(" / "),
            actual.costs.join(" / "),
        ),
        (
            "input_prompt",
            format!("{:?}", expected.input_prompt),
            format!("{:?}", actual.input_prompt),
        ),
        (
            "response",
            format!("{:?}", expected.response),
            format!("{:?}", actual.response),
        ),
        (
            "error",
            format!("{:?}", expected.error),
            format!("{:?}", actual.error),
        ),
    ];
    for (name, want, got) in pairs {
        assert_eq!(
            want, got,
            "{at}: {name}\n  expected: {want}\n  actual:   {got}"
        );
    }
    assert_eq!(
        expected.shape_ambiguous, actual.shape_ambiguous,
        "{at}: shape_ambiguous"
    );
    assert_eq!(
        expected.backslashes_halved, actual.backslashes_halved,
        "{at}: backslashes_halved"
    );
    assert_eq!(
        expected.backslash_ambiguous, actual.backslash_ambiguous,
        "{at}: backslash_ambiguous"
    );
}

fn has(list: &Value, pred: impl Fn(&Value) -> bool) -> bool {
    list.as_array().is_some_and(|items| items.iter().any(pred))
}

/// Checks every record of `key` (a path under fixtures/) against the database and the report.
async fn check_records(db: &TestDb, report: &Value, key: &str, expectation: &FileExpectation) {
    let client = db.client().await;
    let file = fixture(&format!("fixtures/{key}")).display().to_string();
    let dir = key.rsplit_once('/').map_or("", |(d, _)| d);
    for rec in &expectation.records {
        let at = format!("{key}:{}", rec.line);
        match &rec.outcome {
            Outcome::Metrics | Outcome::Master => {
                let query = if rec.outcome == Outcome::Metrics {
                    METRIC_ROW
                } else {
                    MASTER_ROW
                };
                let actual = stored(&client, query, &file, rec.line).await;
                let expected = rec
                    .values
                    .as_ref()
                    .unwrap_or_else(|| panic!("{at}: EXPECTED.md gives no values"));
                assert_values(&at, expected, &actual);
            }
            Outcome::Duplicate {
                file: of_file,
                line,
            } => {
                let of = match of_file {
                    Some(f) => fixture(&format!(
                        "fixtures/{}/{f}",
                        dir.split('/').next().unwrap_or(dir)
                    ))
                    .display()
                    .to_string(),
                    None => file.clone(),
                };
                assert!(
                    has(&report["duplicates"], |d| d["file"] == file.as_str()
                        && d["line"] == rec.line
                        && d["of_file"] == of.as_str()
                        && d["of_line"] == *line),
                    "{at}: expected a duplicate of {of}:{line}; report duplicates: {}",
                    report["duplicates"]
                );
            }
            Outcome::Rejected { column, field } => {
                assert!(
                    has(&report["rejects"], |r| r["file"] == file.as_str()
                        && r["line"] == rec.line
                        && r["column"] == serde_json::json!(column)
                        && (field.is_none()
                            || r["field"] == serde_json::json!(field))),
                    "{at}: expected a reject at column {column:?} ({field:?}); report rejects: {}",
                    report["rejects"]
                );
            }
        }
    }
}

/// Run counters and per-(run, model) aggregates recomputed from the records EXPECTED.md lists.
async fn check_aggregates(db: &TestDb, expectation: &FileExpectation) {
    use rust_decimal::Decimal;
    use std::collections::BTreeMap;
    let mut runs: BTreeMap<String, (i32, i32)> = BTreeMap::new();
    let mut groups: BTreeMap<(String, String), (i32, i32, Decimal)> = BTreeMap::new();
    for v in expectation
        .records
        .iter()
        .filter(|r| r.outcome == Outcome::Metrics)
        .filter_map(|r| r.values.as_ref())
    {
        let run = v
            .run_id
            .clone()
            .unwrap_or_else(|| "legacy_missing_run_id".to_owned());
        let ok = i32::from(v.status == "success");
        let r = runs.entry(run.clone()).or_default();
        r.0 += 1;
        r.1 += ok;
        let model = if v.model_id.is_empty() || v.model_id == "unknown" {
            v.model_name.clone()
        } else {
            v.model_id.clone()
        };
        let g = groups.entry((run, model)).or_insert((0, 0, Decimal::ZERO));
        g.0 += 1;
        g.1 += ok;
        g.2 += v.costs[2].parse::<Decimal>().unwrap();
    }
    let client = db.client().await;
    for (run, (total, ok)) in &runs {
        let row = client
            .query_one("SELECT total_evaluations, successful_evaluations, failed_evaluations FROM evaluation_runs WHERE run_id = $1", &[run])
            .await
            .unwrap_or_else(|e| panic!("run {run}: {e}"));
        assert_eq!(
            (
                row.get::<_, i32>(0),
                row.get::<_, i32>(1),
                row.get::<_, i32>(2)
            ),
            (*total, *ok, total - ok),
            "counters of run {run}"
        );
    }
    let rows = client
        .query(
            "SELECT r.run_id, \
                    CASE WHEN em.metadata->>'legacy_model_id' IN ('', 'unknown') THEN em.metadata->>'legacy_model_name' \
                         ELSE em.metadata->>'legacy_model_id' END, \
                    a.total_count, a.success_count, a.total_cost_usd \
             FROM model_aggregated_metrics a JOIN evaluation_runs r ON r.id = a.run_id \
             JOIN LATERAL (SELECT metadata FROM evaluation_metrics x WHERE x.run_id = a.run_id AND x.model_id = a.model_id LIMIT 1) em ON true",
            &[],
        )
        .await
        .expect("reading aggregates");
    assert_eq!(rows.len(), groups.len(), "one aggregate per (run, model)");
    for row in rows {
        let key = (row.get::<_, String>(0), row.get::<_, String>(1));
        let expected = groups
            .get(&key)
            .unwrap_or_else(|| panic!("unexpected aggregate {key:?}"));
        let actual = (
            row.get::<_, i32>(2),
            row.get::<_, i32>(3),
            row.get::<_, Decimal>(4),
        );
        assert_eq!(actual.0, expected.0, "{key:?} total_count");
        assert_eq!(actual.1, expected.1, "{key:?} success_count");
        assert_eq!(
            actual.2.normalize(),
            expected.2.normalize(),
            "{key:?} total_cost_usd"
        );
    }
}

async fn count_where(db: &TestDb, query: &str) -> u64 {
    let n: i64 = db
        .client()
        .await
        .query_one(query, &[])
        .await
        .expect("counting")
        .get(0);
    u64::try_from(n).unwrap()
}

/// Imports one fixture alone and checks its counts and every record.
async fn import_and_check(key: &str) {
    let all = expected::load();
    let expectation = all
        .get(key)
        .unwrap_or_else(|| panic!("{key} is not in fixtures/EXPECTED.md"));
    let db = TestDb::initialised().await;
    let (out, report) = db.import(&[&format!("fixtures/{key}")], &[]);
    assert_eq!(out.code, 0, "import failed: {}\n{}", out.stderr, out.stdout);
    let c = &expectation.counts;
    assert_eq!(report["source_records"], c.records, "source_records");
    assert_eq!(report["accounted"]["inserted"], c.inserted, "inserted");
    assert_eq!(report["accounted"]["duplicate"], c.duplicate, "duplicate");
    assert_eq!(report["accounted"]["rejected"], c.rejected, "rejected");
    assert_eq!(
        db.count("evaluation_metrics").await,
        i64::try_from(c.metrics).unwrap(),
        "evaluation_metrics rows"
    );
    assert_eq!(
        db.count("master_model_evaluations").await,
        i64::try_from(c.master).unwrap(),
        "master rows"
    );
    assert_eq!(
        db.count("evaluation_runs").await,
        i64::try_from(c.runs).unwrap(),
        "runs"
    );
    let real = count_where(
        &db,
        "SELECT count(*) FROM prompts WHERE source_type <> 'legacy_placeholder'",
    )
    .await;
    let placeholders = count_where(
        &db,
        "SELECT count(*) FROM prompts WHERE source_type = 'legacy_placeholder'",
    )
    .await;
    assert_eq!(real, c.prompts, "real prompts");
    assert_eq!(placeholders, c.placeholders, "placeholder prompts");
    assert!(
        report["checks"]
            .as_array()
            .is_some_and(|a| a.iter().all(|c| c["ok"] == true)),
        "checks: {}",
        report["checks"]
    );
    check_records(&db, &report, key, expectation).await;
    check_aggregates(&db, expectation).await;
}

macro_rules! fixture_tests {
    ($($name:ident => $key:literal,)*) => {$(
        #[tokio::test]
        async fn $name() {
            import_and_check($key).await;
        }
    )*};
}

fixture_tests! {
    r14_header_with_only_error_rows_imports_every_row => "raw_metrics/r14_header_all_errors.csv",
    r15r_file_with_later_union_rows_recovers_the_rows_the_app_skipped => "raw_metrics/r15r_committed_then_union_rows.csv",
    quoted_r15p_file_with_union_rows_imports_prompts_and_responses => "raw_metrics/r15p_quoted_errors_then_union.csv",
    quoted_r16_multiline_json_responses_are_byte_exact => "raw_metrics/r16_quoted_normal.csv",
    r14_rows_with_extra_fields_follow_the_era_rule => "raw_metrics/r14_with_extra_fields.csv",
    v03_window_rows_use_canonical_order_and_the_tie_break => "raw_metrics/v03_window_rows.csv",
    every_value_spelling_is_read => "raw_metrics/value_spellings.csv",
    mixed_crlf_and_lf_records_keep_their_embedded_line_breaks => "raw_metrics/mixed_crlf_lf.csv",
    a_byte_order_mark_before_the_header_is_ignored => "raw_metrics/utf8_bom.csv",
    doubled_backslashes_are_halved_only_in_the_v04_window => "raw_metrics/doubled_backslashes.csv",
    doubled_backslashes_without_crlf_evidence_are_halved_and_marked => "raw_metrics/doubled_backslashes_lf_only.csv",
    master_rows_go_to_master_model_evaluations => "raw_metrics/master_rows.csv",
    bad_rows_are_rejected_with_line_and_column_and_the_rest_lands => "raw_metrics/bad_rows.csv",
    repeated_rows_are_duplicates_of_the_first => "raw_metrics/duplicate_rows.csv",
    the_cloudwatch_download_header_is_read_by_name => "raw_metrics/cloudwatch_metrics_20251110_120000.csv",
}

#[tokio::test]
async fn a_whole_drop_imports_each_row_once_and_lists_unknown_files() {
    let all = expected::load();
    let db = TestDb::initialised().await;
    let (out, report) = db.import(&["fixtures/drop"], &[]);
    assert_eq!(out.code, 0, "import failed: {}", out.stderr);
    assert_eq!(report["source_records"], 13);
    assert_eq!(
        report["accounted"],
        serde_json::json!({"inserted": 8, "duplicate": 5, "rejected": 0, "updated": 0})
    );
    assert_eq!(db.count("evaluation_metrics").await, 7);
    assert_eq!(db.count("master_model_evaluations").await, 1);
    assert_eq!(db.count("evaluation_runs").await, 6);
    assert_eq!(db.count("prompts").await, 4);
    let unknown = fixture("fixtures/drop/notes/readme.txt")
        .display()
        .to_string();
    assert!(has(&report["files"], |f| f["path"] == unknown.as_str()
        && f["kind"] == "unknown"
        && f["records"] == 0));
    for key in [
        "drop/data/runs/raw_metrics.csv",
        "drop/data/runs/raw_metrics.csv.backup",
        "drop/Downloads/raw_metrics_20251112_093000.csv",
    ] {
        check_records(&db, &report, key, &all[key]).await;
    }
}
