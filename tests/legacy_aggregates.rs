//! The hook a legacy aggregate reader (model_comparison.csv) will plug into, tested against real
//! PostgreSQL with lines built the way the legacy report generator computed them: successful rows
//! of one model in one run. No reader exists yet, so `verify` reports the check as skipped.

mod support;

use bellatrix_migrate::verify::legacy_aggregates::{compare, Figures, LegacyAggregate};
use rust_decimal::Decimal;
use support::{check, TestDb};

/// A legacy line for a (run, model) whose rows all succeeded: there model_aggregated_metrics (over all
/// rows) and model_comparison.csv (over successes) must agree, so the stored aggregate gives the
/// figures a correct legacy file would hold.
async fn legacy_line(db: &TestDb) -> LegacyAggregate {
    let row = db
        .client()
        .await
        .query_one(
            "SELECT r.run_id, m.name, a.total_count::numeric, a.success_count::numeric, a.avg_input_tokens, \
                    a.avg_output_tokens, a.p50_latency_ms, a.p95_latency_ms, a.p99_latency_ms, \
                    a.min_latency_ms, a.max_latency_ms, a.json_valid_percentage, \
                    a.avg_cost_usd_per_request, a.total_cost_usd \
             FROM model_aggregated_metrics a \
             JOIN evaluation_runs r ON r.id = a.run_id JOIN models m ON m.id = a.model_id \
             WHERE a.error_count = 0 AND a.total_count >= 2 ORDER BY r.run_id, m.name LIMIT 1",
            &[],
        )
        .await
        .expect("a (run, model) with only successful rows in the fixtures");
    let d = |i: usize| -> Option<Decimal> { row.get(i) };
    LegacyAggregate {
        file: "data/runs/model_comparison.csv".into(),
        line: 2,
        model_name: row.get(1),
        run_id: Some(row.get(0)),
        success_only: true,
        figures: Figures {
            count: d(2),
            success_count: d(3),
            avg_input_tokens: d(4),
            avg_output_tokens: d(5),
            p50_latency_ms: d(6),
            p95_latency_ms: d(7),
            p99_latency_ms: d(8),
            min_latency_ms: d(9),
            max_latency_ms: d(10),
            json_valid_pct: d(11),
            avg_cost_usd_per_request: d(12),
            total_cost_usd: d(13),
        },
    }
}

async fn imported() -> TestDb {
    let db = TestDb::initialised().await;
    let (out, _) = db.import(&["fixtures/raw_metrics", "fixtures/drop"], &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    db
}

#[tokio::test]
async fn a_legacy_line_that_matches_the_imported_rows_passes() {
    let db = imported().await;
    let line = legacy_line(&db).await;
    let client = db.client().await;
    let c = compare(&client, Some(&[line])).await.unwrap();
    assert!(c.ok, "{}", c.detail);
    assert!(!c.skipped);
    assert_eq!(
        c.detail,
        "1 legacy aggregate lines agree with a recomputation from the imported rows"
    );
}

#[tokio::test]
async fn a_legacy_figure_that_differs_fails_naming_file_line_model_and_figure() {
    let db = imported().await;
    let mut line = legacy_line(&db).await;
    let model = line.model_name.clone();
    line.figures.p95_latency_ms = line.figures.p95_latency_ms.map(|p| p + Decimal::ONE);
    line.figures.count = line.figures.count.map(|n| n + Decimal::ONE);
    let client = db.client().await;
    let c = compare(&client, Some(&[line])).await.unwrap();
    assert!(!c.ok);
    assert!(
        c.detail.starts_with("2 legacy figures differ"),
        "{}",
        c.detail
    );
    assert!(
        c.detail.contains(&format!(
            "data/runs/model_comparison.csv:2 model {model}: p95_latency_ms"
        )),
        "{}",
        c.detail
    );
    assert!(c.detail.contains(": count "), "{}", c.detail);
}

#[tokio::test]
async fn a_legacy_line_for_a_model_without_rows_fails() {
    let db = imported().await;
    let line = LegacyAggregate {
        file: "model_comparison.csv".into(),
        line: 3,
        model_name: "Claude 9 Imaginary".into(),
        run_id: None,
        success_only: true,
        figures: Figures {
            count: Some(Decimal::from(4)),
            ..Figures::default()
        },
    };
    let client = db.client().await;
    let c = compare(&client, Some(&[line])).await.unwrap();
    assert!(!c.ok);
    assert!(
        c.detail
            .contains("model_comparison.csv:3 model Claude 9 Imaginary: count 4 (recomputed 0)"),
        "{}",
        c.detail
    );
}

#[tokio::test]
async fn without_a_reader_the_check_is_reported_as_skipped_and_says_why() {
    let db = imported().await;
    let (out, report) = db.verify(&[]);
    assert_eq!(out.code, 0, "{}", out.stdout);
    let c = check(&report, "legacy_aggregates_match");
    assert_eq!(c["skipped"], true);
    assert!(
        c["detail"]
            .as_str()
            .unwrap()
            .contains("no reader for legacy aggregate files"),
        "{c}"
    );
    assert!(out.stdout.contains("skipped"), "{}", out.stdout);
}
