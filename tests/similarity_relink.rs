//! End-to-end: a candidate row that had no prompt text pairs with its master row once a later import
//! re-links it to its real prompt (docs/decisions.md#similarity: the prompts an import touched
//! include those of the rows it changed). A CLI run's row names only a legacy prompt_id; the prompt
//! CSV that gives the id its text arrives in a second import. Either order, or one import of both,
//! stores the same score row.

mod support;

use serde_json::Value;
use support::content::{content_rows, differences};
use support::TestDb;

const HEADER: &str = "\"timestamp\",\"run_id\",\"model_name\",\"model_id\",\"prompt_id\",\"input_tokens\",\
\"output_tokens\",\"latency_ms\",\"json_valid\",\"error\",\"status\",\"cost_usd_input\",\"cost_usd_output\",\
\"cost_usd_total\",\"input_prompt\",\"response\"";

/// The synthetic prompt both files name (never real data).
const PROMPT: &str = "List the checks done on conveyor C-4 today.";

/// The master row (with the prompt's text), then a CLI run's row 30 s later that names the prompt
/// only by its legacy prompt_id 7 (so it links to a placeholder until the prompt CSV arrives).
fn raw_metrics() -> String {
    format!(
        "{HEADER}\n\
         \"2025-11-20T10:00:00Z\",\"\",\"Master: gpt-4o\",\"gpt-4o\",\"\",\"12\",\"9\",\"800\",\"False\",\"\",\
         \"success\",\"0.0\",\"0.0\",\"0.0004\",\"{PROMPT}\",\"belt tension checked, rollers greased\"\n\
         \"2025-11-20T10:00:30Z\",\"run_20251120_153000\",\"Claude 3.7 Sonnet\",\
         \"us.anthropic.claude-3-7-sonnet-20250219-v1:0\",\"7\",\"12\",\"8\",\"900\",\"False\",\"\",\"success\",\
         \"0.000096\",\"0.000192\",\"0.000288\",\"\",\"rollers greased, belt tension checked\"\n"
    )
}

fn prompts_csv() -> String {
    format!("prompt_id,prompt,expected_json,category\n7,\"{PROMPT}\",False,maintenance\n")
}

/// The two files in a temporary directory: (dir, raw metrics path, prompt CSV path).
fn files() -> (tempfile::TempDir, String, String) {
    let dir = tempfile::tempdir().expect("a temp dir");
    let raw = dir.path().join("raw_metrics.csv");
    let prompts = dir.path().join("test_prompts.csv");
    std::fs::write(&raw, raw_metrics()).expect("writing raw_metrics.csv");
    std::fs::write(&prompts, prompts_csv()).expect("writing test_prompts.csv");
    let path = |p: &std::path::Path| p.display().to_string();
    (dir, path(&raw), path(&prompts))
}

fn import(db: &TestDb, paths: &[&str]) -> Value {
    let (out, report) = db.import(paths, &[]);
    assert_eq!(out.code, 0, "importing {paths:?}: {}", out.stderr);
    assert_eq!(report["outcome"], "committed", "{report}");
    report
}

/// The score rows: method, percent and the candidate's run.
async fn scores(db: &TestDb) -> Vec<String> {
    let client = db.client().await;
    client
        .query(
            "SELECT s.comparison_method || ' ' || x.similarity_percent || ' ' || r.run_id \
             FROM similarity_scores s JOIN bellatrix_migrate.similarity x ON x.id = s.id \
             JOIN evaluation_runs r ON r.id = s.run_id ORDER BY 1",
            &[],
        )
        .await
        .expect("reading the score rows")
        .iter()
        .map(|r| r.get(0))
        .collect()
}

#[tokio::test]
async fn a_row_relinked_to_its_real_prompt_pairs_with_the_master_row_of_that_prompt() {
    let (_dir, raw, prompts) = files();
    let db = TestDb::initialised().await;
    let first = import(&db, &[&raw]);
    assert_eq!(first["similarity"]["without_prompt_text"], 1, "{first}");
    assert_eq!(first["similarity"]["inserted"], 0, "{first}");
    assert!(scores(&db).await.is_empty());

    let second = import(&db, &[&prompts]);
    assert_eq!(second["relinked"]["rows"], 1, "{second}");
    assert_eq!(second["similarity"]["paired"], 1, "{second}");
    assert_eq!(second["similarity"]["inserted"], 1, "{second}");
    let relinked = scores(&db).await;
    assert_eq!(relinked.len(), 1, "{relinked:?}");
    assert!(
        relinked[0].starts_with("combined ") && relinked[0].ends_with(" run_20251120_153000"),
        "{relinked:?}"
    );
    let (out, report) = db.verify(&[]);
    assert_eq!(out.code, 0, "verify: {}\n{report}", out.stderr);

    // The prompt file first, or both at once: the row never needs re-linking, and the same score
    // row is stored.
    let reversed = TestDb::initialised().await;
    import(&reversed, &[&prompts]);
    import(&reversed, &[&raw]);
    let together = TestDb::initialised().await;
    import(&together, &[&raw, &prompts]);
    let expected = content_rows(&db).await;
    for (what, other) in [("prompts first", &reversed), ("one import", &together)] {
        assert_eq!(scores(other).await, relinked, "{what}");
        let diff = differences(&expected, &content_rows(other).await);
        assert!(diff.is_empty(), "{what}:\n{diff}");
    }
}
