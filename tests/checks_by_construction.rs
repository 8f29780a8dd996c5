//! The import checks that prove by construction what recomputing would prove again, against real
//! PostgreSQL: references enforced by the database's own foreign keys are not queried again (unless
//! the keys did not fire), the views are compared with the schema's definitions (and by their totals
//! once a view differs), and a first load recomputes a sample of its runs and (run, model) pairs, a
//! sample that still catches a wrong figure.

mod support;

use support::{check, write_synthetic_raw_metrics, TestDb};

const DROP: &str = "fixtures/drop";

fn detail(report: &serde_json::Value, name: &str) -> String {
    let c = check(report, name);
    assert_eq!(c["ok"], true, "{name}: {c}");
    c["detail"].as_str().unwrap_or_default().to_owned()
}

/// How many foreign keys the orphan check says PostgreSQL enforced, 0 when it names none.
fn enforced(detail: &str) -> u64 {
    detail
        .split_once("resolves (")
        .and_then(|(_, rest)| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

#[tokio::test]
async fn references_the_constraints_enforced_are_not_queried_again_unless_they_did_not_fire() {
    let fired = TestDb::initialised().await;
    let (out, report) = fired.import(&[DROP], &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let all = enforced(&detail(&report, "no_orphans"));
    assert!(all >= 17, "{}", detail(&report, "no_orphans"));

    // Triggers off on one table: its four references are queried row by row.
    let one_off = TestDb::initialised().await;
    one_off
        .client()
        .await
        .batch_execute("ALTER TABLE evaluation_metrics DISABLE TRIGGER ALL")
        .await
        .unwrap();
    let (out, report) = one_off.import(&[DROP], &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(enforced(&detail(&report, "no_orphans")), all - 4);

    // A session that fires no foreign-key trigger (as bulk loaders set it): nothing is enforced.
    let replica = TestDb::initialised().await;
    replica
        .client()
        .await
        .batch_execute(&format!(
            "ALTER DATABASE {} SET session_replication_role = replica",
            replica.name
        ))
        .await
        .unwrap();
    let (out, report) = replica.import(&[DROP], &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(detail(&report, "no_orphans"), "every foreign key resolves");
}

#[tokio::test]
async fn views_are_compared_with_the_schema_and_by_their_totals_once_one_differs() {
    let db = TestDb::initialised().await;
    let (out, report) = db.import(&[DROP], &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        detail(&report, "views_match_base_tables").contains("exactly the schema's definitions"),
        "{}",
        detail(&report, "views_match_base_tables")
    );

    // The same rows, written differently: no longer the schema's definition, so the totals are
    // compared (and agree).
    db.client()
        .await
        .batch_execute(
            "CREATE OR REPLACE VIEW v_current_model_params AS \
             SELECT DISTINCT ON (gp.model_id) gp.id, gp.model_id, m.name AS model_name, gp.max_tokens, \
                    gp.temperature, gp.top_p, gp.effective_from, gp.effective_to \
             FROM model_generation_params gp JOIN models m ON m.id = gp.model_id \
             WHERE (gp.effective_to IS NULL OR gp.effective_to > CURRENT_TIMESTAMP) AND gp.max_tokens IS NOT NULL \
             ORDER BY gp.model_id, gp.effective_from DESC NULLS LAST, gp.id",
        )
        .await
        .unwrap();
    let (out, report) = db.import(&["fixtures/raw_metrics/bad_rows.csv"], &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let compared = detail(&report, "views_match_base_tables");
    assert!(
        compared.contains("answer and their totals equal the base tables"),
        "{compared}"
    );
}

#[tokio::test]
async fn a_first_load_recomputes_a_sample_that_still_catches_a_wrong_figure() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("raw_metrics.csv");
    write_synthetic_raw_metrics(&path, 8000);
    let db = TestDb::initialised().await;
    let (out, report) = db.import_paths(&[&path], &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    for name in ["run_counters", "aggregates_match_recomputation"] {
        assert!(
            detail(&report, name).contains("a first load: the rows of a random 25.00%"),
            "{name}: {}",
            detail(&report, name)
        );
    }

    // Every aggregate and every counter one off: any sample sees it.
    let client = db.client().await;
    client
        .batch_execute(
            "UPDATE model_aggregated_metrics SET total_count = total_count + 1; \
             UPDATE evaluation_runs SET total_evaluations = total_evaluations + 1",
        )
        .await
        .unwrap();
    let import: i64 = client
        .query_one("SELECT max(id) FROM bellatrix_migrate.imports", &[])
        .await
        .unwrap()
        .get(0);
    for sql in [
        include_str!("../sql/verify/aggregates.sql"),
        include_str!("../sql/verify/run_counters.sql"),
    ] {
        let row = client
            .query_one(sql, &[&Some(import), &Some(25.0f64)])
            .await
            .unwrap();
        assert!(!row.get::<_, bool>(0), "{:?}", row.get::<_, String>(1));
    }
}
