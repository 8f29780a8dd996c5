//! `bellatrix-migrate verify` against real PostgreSQL: after an import every check passes; then each
//! check is broken on purpose (a changed prompt text, an orphan, a wrong counter, an overlapping
//! price, a wrong aggregate, a broken view, …) and must fail with exit 1 and a detail naming the row.

mod support;

use support::{check, failed_detail, TestDb};

const DROP: &str = "fixtures/drop";
const BAD_ROWS: &str = "fixtures/raw_metrics/bad_rows.csv";

/// Every check `verify` reports, in order.
const CHECKS: [&str; 14] = [
    "reconciliation",
    "ledger_rows_exist",
    "prompt_hash_matches_postgres",
    "prompt_hash_unique",
    "no_orphans",
    "run_counters",
    "cost_arithmetic",
    "aggregates_match_recomputation",
    "pricing_history",
    "views_match_base_tables",
    "legacy_aggregates_agree",
    "no_clipped_values",
    "text_fidelity",
    "similarity_recomputed",
];

/// A database holding the fixture drop and the bad-rows fixture (limits, an inconsistent total).
async fn imported() -> TestDb {
    let db = TestDb::initialised().await;
    let (out, report) = db.import(&[DROP, BAD_ROWS], &[]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(
        report["checks"]
            .as_array()
            .is_some_and(|c| c.iter().all(|c| c["ok"] == true)),
        "the import's own checks pass: {}",
        report["checks"]
    );
    db
}

/// Breaks the database with `sql`, runs verify, expects exit 1, returns the failed check's detail.
async fn broken(db: &TestDb, sql: &str, name: &str) -> String {
    db.client().await.batch_execute(sql).await.unwrap();
    let (out, report) = db.verify(&[]);
    assert_eq!(
        out.code, 1,
        "a failed check exits 1: {}{}",
        out.stdout, out.stderr
    );
    assert!(
        out.stderr.contains("integrity check(s) failed"),
        "{}",
        out.stderr
    );
    assert!(out.stdout.contains("FAILED"), "{}", out.stdout);
    failed_detail(&report, name)
}

/// `file:line` and id of one evaluation_metrics row chosen by `filter`.
async fn metric_row(db: &TestDb, filter: &str) -> (String, String) {
    let row = db
        .client()
        .await
        .query_one(
            &format!(
                "SELECT id::text, (metadata #>> '{{source,file}}') || ':' || (metadata #>> '{{source,line}}') \
                 FROM evaluation_metrics WHERE {filter} ORDER BY 2 LIMIT 1"
            ),
            &[],
        )
        .await
        .unwrap();
    (row.get(0), row.get(1))
}

#[tokio::test]
async fn verify_after_an_import_passes_every_check_and_names_them_all() {
    let db = imported().await;
    let (out, report) = db.verify(&[]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert_eq!(report["mode"], "verify");
    let names: Vec<&str> = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, CHECKS);
    for name in CHECKS {
        assert_eq!(
            check(&report, name)["ok"],
            true,
            "{name}: {}",
            check(&report, name)
        );
    }
    let reconciliation = check(&report, "reconciliation")["detail"].as_str().unwrap();
    assert!(
        reconciliation
            .contains("raw_metrics: 28 records = 11 inserted + 5 duplicate + 12 rejected"),
        "{reconciliation}"
    );
    let costs = check(&report, "cost_arithmetic")["detail"]
        .as_str()
        .unwrap();
    assert!(
        costs.contains("bad_rows.csv:5"),
        "the source's own inconsistent total is named, not failed: {costs}"
    );
    let clipped = check(&report, "no_clipped_values")["detail"]
        .as_str()
        .unwrap();
    assert!(
        clipped.starts_with("2 rows hold a value at the limit of its DECIMAL type, 2 confirmed"),
        "{clipped}"
    );
    assert_eq!(check(&report, "legacy_aggregates_agree")["skipped"], true);
    assert_eq!(report["table_rows"]["evaluation_metrics"], 10);
    assert_eq!(report["table_rows"]["master_model_evaluations"], 1);
}

#[tokio::test]
async fn verify_on_a_database_without_the_schema_is_exit_2() {
    let db = TestDb::new().await;
    let (out, _) = db.verify(&[]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr.contains("bellatrix-migrate init"),
        "{}",
        out.stderr
    );
}

#[tokio::test]
async fn verify_on_an_empty_database_passes_with_nothing_to_compare() {
    let db = TestDb::initialised().await;
    let (out, report) = db.verify(&[]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert_eq!(check(&report, "text_fidelity")["skipped"], true);
}

#[tokio::test]
async fn a_ledger_row_removed_fails_reconciliation_naming_the_file() {
    let db = imported().await;
    let detail = broken(
        &db,
        "DELETE FROM bellatrix_migrate.row_sources WHERE file LIKE '%/data/runs/raw_metrics.csv' AND line = 2 \
         AND target_table = 'evaluation_metrics'",
        "reconciliation",
    )
    .await;
    assert!(detail.starts_with("2 discrepancies"), "{detail}");
    assert!(
        detail.contains(
            "data/runs/raw_metrics.csv: the report says 8 inserted, the ledger holds 7 rows"
        ),
        "{detail}"
    );
    assert!(
        detail.contains(
            "table evaluation_metrics: the report says 10 inserted, the ledger holds 9 rows"
        ),
        "{detail}"
    );
}

#[tokio::test]
async fn a_report_that_does_not_add_up_fails_reconciliation() {
    let db = imported().await;
    let detail = broken(
        &db,
        "UPDATE bellatrix_migrate.imports SET report = jsonb_set(report, '{files,0,duplicate}', '1')",
        "reconciliation",
    )
    .await;
    assert!(detail.contains("records but"), "{detail}");
}

#[tokio::test]
async fn dry_runs_and_rolled_back_imports_kept_for_the_history_are_not_reconciled() {
    let db = imported().await;
    // The ledger may keep uncommitted runs for the history (with an `outcome` where it has one):
    // their reports list inserted rows that were never written.
    let report = r#"{"mode": "MODE", "source_records": 5,
        "accounted": {"inserted": 5, "duplicate": 0, "rejected": 0},
        "tables": {"evaluation_metrics": {"inserted": 5}},
        "files": [{"path": "gone.csv", "kind": "raw_metrics", "records": 5,
                   "inserted": 5, "duplicate": 0, "rejected": 0}]}"#;
    db.client()
        .await
        .batch_execute(&format!(
            "ALTER TABLE bellatrix_migrate.imports ADD COLUMN IF NOT EXISTS outcome text; \
             INSERT INTO bellatrix_migrate.imports (started_at, tool_version, outcome, report) VALUES \
               (now(), 'test', 'dry-run', '{}'), (now(), 'test', 'rolled-back', '{}')",
            report.replace("MODE", "dry-run"),
            report.replace("MODE", "import")
        ))
        .await
        .unwrap();
    let (out, report) = db.verify(&[]);
    assert_eq!(out.code, 0, "{}", out.stdout);
    let detail = check(&report, "reconciliation")["detail"].as_str().unwrap();
    assert!(detail.starts_with("1 import(s)"), "{detail}");
}

#[tokio::test]
async fn a_deleted_row_fails_ledger_rows_exist_naming_its_source() {
    let db = imported().await;
    let (id, place) = metric_row(&db, "status = 'success'").await;
    let detail = broken(
        &db,
        &format!("DELETE FROM evaluation_metrics WHERE id = '{id}'"),
        "ledger_rows_exist",
    )
    .await;
    assert!(
        detail.contains(&format!("evaluation_metrics id {id} from {place}")),
        "{detail}"
    );
}

#[tokio::test]
async fn a_changed_prompt_text_fails_the_hash_check_naming_the_prompt() {
    let db = imported().await;
    let id: String = db
        .client()
        .await
        .query_one(
            "SELECT id::text FROM prompts WHERE source_type <> 'legacy_placeholder' ORDER BY id LIMIT 1",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    let detail = broken(
        &db,
        &format!("UPDATE prompts SET prompt_text = prompt_text || ' (edited)' WHERE id = '{id}'"),
        "prompt_hash_matches_postgres",
    )
    .await;
    assert!(
        detail.starts_with("1 prompts have a prompt_hash"),
        "{detail}"
    );
    assert!(detail.contains(&format!("id {id}")), "{detail}");
}

#[tokio::test]
async fn two_prompts_with_one_hash_fail_the_uniqueness_check() {
    let db = imported().await;
    let hash: String = db
        .client()
        .await
        .query_one("SELECT prompt_hash FROM prompts ORDER BY id LIMIT 1", &[])
        .await
        .unwrap()
        .get(0);
    let detail = broken(
        &db,
        &format!(
            "INSERT INTO prompts (prompt_text, prompt_hash) SELECT prompt_text, prompt_hash FROM prompts WHERE prompt_hash = '{hash}'"
        ),
        "prompt_hash_unique",
    )
    .await;
    assert!(detail.contains(&format!("{hash} by 2 prompts")), "{detail}");
}

#[tokio::test]
async fn a_row_pointing_at_a_missing_prompt_fails_no_orphans() {
    let db = imported().await;
    let (id, place) = metric_row(&db, "status = 'success'").await;
    // With replication role `replica` PostgreSQL skips foreign-key triggers, as bulk loaders do.
    let detail = broken(
        &db,
        &format!(
            "SET session_replication_role = replica; \
             UPDATE evaluation_metrics SET prompt_id = uuid_generate_v4() WHERE id = '{id}'; \
             SET session_replication_role = origin;"
        ),
        "no_orphans",
    )
    .await;
    assert!(
        detail.contains(&format!(
            "evaluation_metrics.prompt_id of id {id} ({place})"
        )),
        "{detail}"
    );
}

#[tokio::test]
async fn a_wrong_run_counter_fails_run_counters_naming_the_run() {
    let db = imported().await;
    let detail = broken(
        &db,
        "UPDATE evaluation_runs SET successful_evaluations = successful_evaluations + 1 WHERE run_id = 'run_20251110_183000'",
        "run_counters",
    )
    .await;
    assert!(detail.starts_with("1 runs have counters"), "{detail}");
    assert!(detail.contains("run run_20251110_183000"), "{detail}");
    assert!(detail.contains("successful_evaluations"), "{detail}");
}

#[tokio::test]
async fn a_total_that_is_not_input_plus_output_fails_cost_arithmetic() {
    let db = imported().await;
    let (id, place) = metric_row(
        &db,
        "cost_usd_input > 0 AND NOT metadata ? 'source_cost_mismatch'",
    )
    .await;
    let detail = broken(
        &db,
        &format!("UPDATE evaluation_metrics SET cost_usd_total = cost_usd_total + 0.01 WHERE id = '{id}'"),
        "cost_arithmetic",
    )
    .await;
    assert!(
        detail.starts_with("1 rows have cost_usd_total <> input + output"),
        "{detail}"
    );
    assert!(detail.contains(&place), "{detail}");
}

#[tokio::test]
async fn a_wrong_aggregate_fails_the_recomputation_check_naming_run_model_and_figure() {
    let db = imported().await;
    let row = db
        .client()
        .await
        .query_one(
            "SELECT r.run_id, m.name, a.id::text FROM model_aggregated_metrics a \
             JOIN evaluation_runs r ON r.id = a.run_id JOIN models m ON m.id = a.model_id \
             ORDER BY r.run_id, m.name LIMIT 1",
            &[],
        )
        .await
        .unwrap();
    let (run, model, id): (String, String, String) = (row.get(0), row.get(1), row.get(2));
    let detail = broken(
        &db,
        &format!("UPDATE model_aggregated_metrics SET total_cost_usd = total_cost_usd + 1 WHERE id = '{id}'"),
        "aggregates_match_recomputation",
    )
    .await;
    assert!(
        detail.contains(&format!("run {run}, model {model}: total_cost_usd")),
        "{detail}"
    );
}

#[tokio::test]
async fn a_missing_aggregate_row_fails_the_recomputation_check() {
    let db = imported().await;
    let detail = broken(
        &db,
        "DELETE FROM model_aggregated_metrics WHERE id = (SELECT id FROM model_aggregated_metrics ORDER BY id LIMIT 1)",
        "aggregates_match_recomputation",
    )
    .await;
    assert!(
        detail.contains("no aggregate row although it has"),
        "{detail}"
    );
}

/// Inserts a price row for the first model: `from`/`to` are SQL expressions.
fn price(from: &str, to: &str) -> String {
    format!(
        "INSERT INTO model_pricing (model_id, input_per_1k_tokens_usd, output_per_1k_tokens_usd, effective_from, effective_to) \
         SELECT id, 0.003, 0.015, {from}, {to} FROM models WHERE name = 'Claude 3.7 Sonnet';"
    )
}

#[tokio::test]
async fn a_closed_then_open_price_history_passes() {
    let db = imported().await;
    let sql = price("'2025-11-01Z'", "'2025-11-05Z'") + &price("'2025-11-05Z'", "NULL");
    db.client().await.batch_execute(&sql).await.unwrap();
    let (out, report) = db.verify(&[]);
    assert_eq!(out.code, 0, "{}", out.stdout);
    let detail = check(&report, "pricing_history")["detail"]
        .as_str()
        .unwrap();
    assert!(
        // The two rows above plus the master model's price the import set from the app's table.
        detail.contains("(3 pricing and parameter rows)"),
        "{detail}"
    );
}

#[tokio::test]
async fn an_overlapping_price_fails_pricing_history_naming_model_and_ranges() {
    let db = imported().await;
    let sql = price("'2025-11-01Z'", "'2025-11-05Z'") + &price("'2025-11-03Z'", "NULL");
    let detail = broken(&db, &sql, "pricing_history").await;
    assert!(
        detail.contains(
            "model Claude 3.7 Sonnet, model_pricing: [2025-11-01T00:00:00Z, 2025-11-05T00:00:00Z) overlaps [2025-11-03T00:00:00Z, open)"
        ),
        "{detail}"
    );
}

#[tokio::test]
async fn two_open_prices_fail_pricing_history() {
    let db = imported().await;
    let sql = price("'2025-11-01Z'", "NULL") + &price("'2025-11-03Z'", "NULL");
    let detail = broken(&db, &sql, "pricing_history").await;
    assert!(
        detail.contains("2 open rows (effective_to NULL)"),
        "{detail}"
    );
}

#[tokio::test]
async fn a_dropped_view_fails_the_view_check_naming_it() {
    let db = imported().await;
    let detail = broken(
        &db,
        "DROP VIEW v_model_performance",
        "views_match_base_tables",
    )
    .await;
    assert!(detail.contains("v_model_performance"), "{detail}");
    assert!(detail.contains("does not exist"), "{detail}");
}

#[tokio::test]
async fn a_view_whose_totals_drift_from_the_tables_fails_the_view_check() {
    let db = imported().await;
    // The schema's definition with one change: the cost total is off by one dollar.
    let sql = "CREATE OR REPLACE VIEW v_evaluation_summary AS \
        SELECT er.id, er.run_id, er.name, er.status, er.started_at, er.completed_at, er.total_prompts, \
               er.total_models, er.total_evaluations, er.successful_evaluations, er.failed_evaluations, \
               u.username, COUNT(DISTINCT em.model_id) AS models_evaluated, \
               COUNT(DISTINCT em.prompt_id) AS prompts_evaluated, \
               SUM(em.cost_usd_total) + 1 AS total_cost_usd, AVG(em.latency_ms) AS avg_latency_ms, \
               COUNT(*) FILTER (WHERE em.status = 'success') AS success_count, \
               COUNT(*) FILTER (WHERE em.status = 'error') AS error_count \
        FROM evaluation_runs er LEFT JOIN users u ON u.id = er.user_id \
        LEFT JOIN evaluation_metrics em ON em.run_id = er.id GROUP BY er.id, u.username";
    let detail = broken(&db, sql, "views_match_base_tables").await;
    assert!(
        detail.contains("v_evaluation_summary sum of total_cost_usd"),
        "{detail}"
    );
}

#[test]
fn help_lists_verify_and_its_options() {
    let help = |args: &[&str]| {
        let out = assert_cmd::Command::cargo_bin("bellatrix-migrate")
            .unwrap()
            .args(args)
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    assert!(help(&["--help"]).contains("verify"));
    let verify = help(&["verify", "--help"]);
    for option in [
        "--full",
        "--sample",
        "--source-root",
        "--report",
        "--report-md",
    ] {
        assert!(
            verify.contains(option),
            "verify --help lacks {option}: {verify}"
        );
    }
    assert!(help(&["import", "--help"]).contains("--report-md"));
    let both = assert_cmd::Command::cargo_bin("bellatrix-migrate")
        .unwrap()
        .args(["verify", "--full", "--sample", "3"])
        .output()
        .unwrap();
    assert_eq!(
        both.status.code(),
        Some(2),
        "--full and --sample exclude each other"
    );
}
