//! End-to-end: the similarity step (docs/decisions.md#similarity) against real PostgreSQL, on the
//! two-part synthetic drop `fixtures/similarity/`. The score rows stored after each import equal
//! what fixtures/similarity/EXPECTED.md derives by hand (pair, method, percent, note counts, the
//! ledger naming the candidate's line), with the report's `similarity` counts; either order of the
//! two parts, or one import of both, stores the same scores; importing again changes nothing; an
//! import with a zero window followed by `bellatrix-migrate similarity` (and its dry run first)
//! gives what the default import gives; reverting the second import gives back the first's scores,
//! and reverting a `similarity` run takes its scores back; and no report shows a prompt or
//! response text.

mod support;

use serde_json::{json, Value};
use support::content::{content_rows, differences};
use support::TestDb;

const FIRST: &str = "fixtures/similarity/first";
const SECOND: &str = "fixtures/similarity/second";

/// The score rows both parts give (EXPECTED.md, "after both parts"), as [`stored`] spells them:
/// candidate line, master line (`F:` the first part, `S:` the second), run, master model >
/// candidate model, method, percent, matching/total notes.
const AFTER_BOTH: [&str; 13] = [
    "F:4 F:3 dashboard_20251120_143003 gpt-4o > Claude 3.7 Sonnet combined 55.80 -",
    "F:8 F:5 dashboard_20251120_143504 gpt-4o > Claude 3.7 Sonnet json_aware 100.00 -",
    "F:14 F:11 dashboard_20251120_144002 gpt-4o > Llama 3.2 11B Instruct json_aware 64.50 -",
    "F:20 F:17 dashboard_20251120_144503 gpt-4o > Claude 3.7 Sonnet noteaudit_exact_match 100.00 2/2",
    "F:23 F:17 dashboard_20251120_144506 gpt-4o > Llama 3.2 11B Instruct noteaudit_exact_match 50.00 1/2",
    "F:27 F:26 dashboard_20251120_145004 gpt-4o > Claude 3.7 Sonnet combined 100.00 -",
    "F:29 F:28 dashboard_20251120_145502 gpt-4o > Llama 3.2 11B Instruct combined 100.00 -",
    "F:36 F:34 dashboard_20251120_151025 gpt-4o > Claude 3.7 Sonnet combined 85.10 -",
    "F:39 F:37 dashboard_20251120_151503 gpt-4o > Claude 3.7 Sonnet combined 100.00 -",
    "F:41 S:2 dashboard_20251120_153030 gpt-4o > Claude 3.7 Sonnet combined 38.07 -",
    "F:45 S:3 dashboard_20251120_154030 gpt-4o-mini > Llama 3.2 11B Instruct json_aware 82.15 -",
    "S:6 F:48 dashboard_20251120_155020 gpt-4o > Claude 3.7 Sonnet combined 75.83 -",
    "F:50 S:7 dashboard_20251120_160002 gpt-4o-mini > Claude 3.7 Sonnet combined 59.73 -",
];

/// The first part alone: the nine rows it shares with both parts, and F:41, F:45 and F:50 with
/// the first part's masters (100: identical; 100: keys reordered; 88.80).
fn after_first() -> Vec<&'static str> {
    let mut rows: Vec<&str> = AFTER_BOTH[..9].to_vec();
    rows.push("F:41 F:40 dashboard_20251120_153030 gpt-4o > Claude 3.7 Sonnet combined 100.00 -");
    rows.push(
        "F:45 F:42 dashboard_20251120_154030 gpt-4o > Llama 3.2 11B Instruct json_aware 100.00 -",
    );
    rows.push("F:50 F:49 dashboard_20251120_160002 gpt-4o > Claude 3.7 Sonnet combined 88.80 -");
    rows
}

/// The parts stored in similarity_scores after both parts (EXPECTED.md, "The derivations"):
/// candidate line, cosine, jaccard, fuzzy_ratio (`-`: NULL).
const PARTS_AFTER_BOTH: [&str; 13] = [
    "F:4 0.5369 0.4118 84.47",
    "F:8 1.0000 - -",
    "F:14 0.7071 - -",
    "F:20 - - -",
    "F:23 - - -",
    "F:27 - - -",
    "F:29 - - -",
    "F:36 0.8750 0.7778 98.04",
    "F:39 - - -",
    "F:41 0.3873 0.2308 65.42",
    "F:45 0.8165 - -",
    "S:6 0.8000 0.6667 92.80",
    "F:50 0.6864 0.5000 71.11",
];

/// Where each row came from, `F:line` / `S:line`, by target row (the ledger's live rows).
const SOURCES: &str = "WITH src AS ( \
     SELECT target_table, target_id, string_agg(CASE \
         WHEN file LIKE '%/fixtures/similarity/first/%' THEN 'F:' \
         WHEN file LIKE '%/fixtures/similarity/second/%' THEN 'S:' ELSE file || ':' END || line, ',' \
         ORDER BY file, line) AS at \
     FROM bellatrix_migrate.row_sources WHERE removed_by IS NULL GROUP BY 1, 2)";

/// The stored score rows in the spelling of [`AFTER_BOTH`], sorted.
async fn stored(db: &TestDb) -> Vec<String> {
    let query = format!(
        "{SOURCES} SELECT COALESCE(c.at, '?') || ' ' || COALESCE(m.at, '?') || ' ' || r.run_id || ' ' \
         || ma.name || ' > ' || mb.name || ' ' || s.comparison_method || ' ' || x.similarity_percent || ' ' \
         || COALESCE(x.matching_notes || '/' || x.total_notes, '-') \
         FROM similarity_scores s JOIN bellatrix_migrate.similarity x ON x.id = s.id \
         JOIN evaluation_runs r ON r.id = s.run_id \
         JOIN models ma ON ma.id = s.model_a_id JOIN models mb ON mb.id = s.model_b_id \
         LEFT JOIN src c ON c.target_table = 'evaluation_metrics' AND c.target_id = x.candidate_id \
         LEFT JOIN src m ON m.target_table = 'master_model_evaluations' AND m.target_id = x.master_id"
    );
    sorted(db, &query).await
}

/// The stored parts in the spelling of [`PARTS_AFTER_BOTH`], sorted.
async fn parts(db: &TestDb) -> Vec<String> {
    let query = format!(
        "{SOURCES} SELECT COALESCE(c.at, '?') || ' ' || COALESCE(s.cosine_similarity::text, '-') || ' ' \
         || COALESCE(s.jaccard_similarity::text, '-') || ' ' || COALESCE(s.fuzzy_ratio::text, '-') \
         FROM similarity_scores s JOIN bellatrix_migrate.similarity x ON x.id = s.id \
         LEFT JOIN src c ON c.target_table = 'evaluation_metrics' AND c.target_id = x.candidate_id"
    );
    sorted(db, &query).await
}

/// Every score row and migrator row by natural keys and values, not ids: the candidate's and the
/// master's source lines and times, run id, prompt hash, the three models, every column, the
/// headline score and notes, and the ledger row's line; then the row counts of the three tables.
async fn scores(db: &TestDb) -> Vec<String> {
    let query = format!(
        "{SOURCES} SELECT COALESCE(c.at, '?') || '|' || COALESCE(m.at, '?') || '|' || r.run_id || '|' \
         || p.prompt_hash || '|' || ma.name || '|' || mb.name || '|' || COALESCE(mm.name, '') || '|' \
         || (to_jsonb(s) - 'id' - 'run_id' - 'prompt_id' - 'model_a_id' - 'model_b_id' - 'master_model_id' \
             - 'calculated_at')::text || '|' \
         || to_char(s.calculated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') || '|' \
         || COALESCE(x.score::text || '|' || x.similarity_percent || '|' || COALESCE(x.matching_notes::text, '') \
                     || '/' || COALESCE(x.total_notes::text, '') || '|' || x.lenient_scan, 'application') || '|' \
         || COALESCE(to_char(e.evaluated_at AT TIME ZONE 'UTC', 'HH24:MI:SS.US'), '') || '|' \
         || COALESCE(to_char(me.evaluated_at AT TIME ZONE 'UTC', 'HH24:MI:SS.US'), '') || '|' \
         || COALESCE(l.at, 'no ledger row') \
         FROM similarity_scores s LEFT JOIN bellatrix_migrate.similarity x ON x.id = s.id \
         JOIN evaluation_runs r ON r.id = s.run_id JOIN prompts p ON p.id = s.prompt_id \
         JOIN models ma ON ma.id = s.model_a_id JOIN models mb ON mb.id = s.model_b_id \
         LEFT JOIN models mm ON mm.id = s.master_model_id \
         LEFT JOIN evaluation_metrics e ON e.id = x.candidate_id \
         LEFT JOIN master_model_evaluations me ON me.id = x.master_id \
         LEFT JOIN src c ON c.target_table = 'evaluation_metrics' AND c.target_id = x.candidate_id \
         LEFT JOIN src m ON m.target_table = 'master_model_evaluations' AND m.target_id = x.master_id \
         LEFT JOIN src l ON l.target_table = 'similarity_scores' AND l.target_id = s.id"
    );
    let mut rows = sorted(db, &query).await;
    for (name, query) in [
        (
            "similarity_scores",
            "SELECT count(*)::text FROM similarity_scores",
        ),
        (
            "bellatrix_migrate.similarity",
            "SELECT count(*)::text FROM bellatrix_migrate.similarity",
        ),
        (
            "live ledger rows",
            "SELECT count(*)::text FROM bellatrix_migrate.row_sources \
             WHERE kind = 'similarity' AND removed_by IS NULL",
        ),
    ] {
        rows.push(format!(
            "{name}: {}",
            db.text(query).await.unwrap_or_default()
        ));
    }
    rows
}

/// Asserts that two [`scores`] are equal, printing the rows only one has.
fn same_scores(what: &str, expected: &[String], actual: &[String]) {
    let only = |a: &[String], b: &[String]| -> Vec<String> {
        a.iter().filter(|r| !b.contains(r)).cloned().collect()
    };
    assert!(
        expected == actual,
        "{what}: the scores differ\n  expected only: {:#?}\n  actual only: {:#?}",
        only(expected, actual),
        only(actual, expected)
    );
}

/// Runs `query` (one text column) and returns its rows sorted.
async fn sorted(db: &TestDb, query: &str) -> Vec<String> {
    let mut rows: Vec<String> = db
        .client()
        .await
        .query(query, &[])
        .await
        .unwrap_or_else(|e| panic!("{query}: {e}"))
        .iter()
        .map(|r| {
            r.get::<_, Option<String>>(0)
                .unwrap_or_else(|| "<null>".into())
        })
        .collect();
    rows.sort();
    rows
}

fn sorted_literal(rows: &[&str]) -> Vec<String> {
    let mut rows: Vec<String> = rows.iter().map(|r| (*r).to_owned()).collect();
    rows.sort();
    rows
}

/// What must hold of every score row whatever the import order: model_a is the master model, no
/// semantic score, calculated_at is the candidate's evaluated_at, and its ledger row names the
/// candidate's source line. Returns the rows that break one, as text.
async fn broken_rows(db: &TestDb) -> Vec<String> {
    let query = "SELECT s.id::text || ': ' || concat_ws(', ', \
         CASE WHEN s.model_a_id IS DISTINCT FROM s.master_model_id THEN 'model_a is not the master model' END, \
         CASE WHEN s.semantic_similarity IS NOT NULL THEN 'semantic_similarity is set' END, \
         CASE WHEN s.calculated_at IS DISTINCT FROM e.evaluated_at THEN 'calculated_at is not the candidate''s time' END, \
         CASE WHEN s.model_a_id IS DISTINCT FROM me.model_id THEN 'model_a is not the scored master''s model' END, \
         CASE WHEN s.model_b_id IS DISTINCT FROM e.model_id OR s.run_id IS DISTINCT FROM e.run_id \
                   OR s.prompt_id IS DISTINCT FROM e.prompt_id THEN 'the key is not the candidate''s' END, \
         CASE WHEN NOT EXISTS (SELECT 1 FROM bellatrix_migrate.row_sources l \
                               JOIN bellatrix_migrate.row_sources rc ON rc.target_table = 'evaluation_metrics' \
                                AND rc.target_id = x.candidate_id AND rc.file = l.file AND rc.line = l.line \
                               WHERE l.source_key = 'similarity:' || s.id AND l.kind = 'similarity' \
                                 AND l.target_table = 'similarity_scores' AND l.target_id = s.id \
                                 AND l.removed_by IS NULL) \
              THEN 'no ledger row naming the candidate''s line' END) \
         FROM similarity_scores s JOIN bellatrix_migrate.similarity x ON x.id = s.id \
         JOIN evaluation_metrics e ON e.id = x.candidate_id \
         JOIN master_model_evaluations me ON me.id = x.master_id";
    sorted(db, query)
        .await
        .into_iter()
        .filter(|r| !r.ends_with(": "))
        .collect()
}

/// The report's `similarity` counts, without the timing, the window and the scope (asserted where
/// they matter: an import looks at the prompts it touched, `similarity` at every prompt).
fn counts(report: &Value) -> Value {
    let mut s = report["similarity"].clone();
    let all_prompts = s["all_prompts"].as_bool();
    let command = report["files"].as_array().is_some_and(Vec::is_empty)
        && report["tables"]["evaluation_metrics"]["inserted"] == 0
        && all_prompts == Some(true);
    assert!(
        all_prompts == Some(false) || command,
        "all_prompts only for `similarity`: {s}"
    );
    if let Some(object) = s.as_object_mut() {
        object.remove("seconds");
        object.remove("window_seconds");
        object.remove("all_prompts");
    }
    s
}

/// The counts EXPECTED.md gives an import ("Counts of the report's `similarity`").
#[allow(clippy::too_many_arguments)]
fn expected(
    prompts: u64,
    candidates: u64,
    paired: u64,
    without_master: u64,
    key_shared: u64,
    by_method: Value,
    inserted: u64,
    updated: u64,
    deleted: u64,
) -> Value {
    let scored: u64 = by_method
        .as_object()
        .map_or(0, |m| m.values().filter_map(Value::as_u64).sum());
    json!({
        "prompts": prompts,
        "candidates": candidates,
        "without_prompt_text": 0,
        "paired": paired,
        "without_master": without_master,
        "key_shared": key_shared,
        "application_rows": 0,
        "scored": scored,
        "by_method": by_method,
        "lenient_scan": 0,
        "inserted": inserted,
        "updated": updated,
        "deleted": deleted,
    })
}

/// Both parts' counts in one run over every prompt (both in one import, the first after the
/// second, the `similarity` command after a zero-window import).
fn every_pair() -> Value {
    expected(
        14,
        15,
        14,
        1,
        1,
        json!({"combined": 8, "json_aware": 3, "noteaudit_exact_match": 2}),
        13,
        0,
        0,
    )
}

/// A run that finds every pair stored already.
fn nothing_to_do(prompts: u64, candidates: u64, paired: u64, without: u64, shared: u64) -> Value {
    expected(
        prompts,
        candidates,
        paired,
        without,
        shared,
        json!({}),
        0,
        0,
        0,
    )
}

/// Imports `paths` (fixture paths) with `extra`; the import must succeed. Its JSON report.
fn import(db: &TestDb, paths: &[&str], extra: &[&str]) -> Value {
    let (out, report) = db.import(paths, extra);
    assert_eq!(out.code, 0, "importing {paths:?}: {}", out.stderr);
    assert_eq!(report["outcome"], "committed", "{report}");
    report
}

/// `bellatrix-migrate similarity --quiet --report FILE` plus `extra`: the run and its JSON report.
fn similarity(db: &TestDb, extra: &[&str]) -> (support::RunOutput, Value) {
    let report = tempfile::NamedTempFile::new().expect("a temp report file");
    let path = report.path().display().to_string();
    let mut args = vec!["similarity", "--quiet", "--report", &path];
    args.extend_from_slice(extra);
    let out = db.run(&args);
    assert_eq!(
        out.code, 0,
        "similarity {extra:?}: {}{}",
        out.stdout, out.stderr
    );
    let json = std::fs::read_to_string(report.path())
        .ok()
        .and_then(|s| serde_json::from_str(&s).ok())
        .unwrap_or(Value::Null);
    (out, json)
}

/// A fresh database with `groups` imported one after the other (default window).
async fn imported(groups: &[&[&str]]) -> (TestDb, Vec<Value>) {
    let db = TestDb::initialised().await;
    let reports = groups.iter().map(|g| import(&db, g, &[])).collect();
    (db, reports)
}

fn assert_verifies(db: &TestDb) {
    let (out, report) = db.verify(&[]);
    assert_eq!(out.code, 0, "verify: {}\n{report}", out.stderr);
}

#[tokio::test]
async fn the_first_part_then_the_second_store_the_scores_expected_md_derives() {
    let db = TestDb::initialised().await;
    let report = import(&db, &[FIRST], &[]);
    assert_eq!(report["similarity"]["window_seconds"], 3600, "{report}");
    assert_eq!(
        counts(&report),
        expected(
            14,
            14,
            13,
            1,
            1,
            json!({"combined": 7, "json_aware": 3, "noteaudit_exact_match": 2}),
            12,
            0,
            0
        ),
        "the first part's counts"
    );
    assert_eq!(stored(&db).await, sorted_literal(&after_first()));
    assert_eq!(broken_rows(&db).await, Vec::<String>::new());

    // The second part's masters re-pair F:41 (same master model: its row is rewritten), F:45
    // (another master model: its row goes, a new key comes) and F:50 (S:7 shares F:49's instant
    // and comes after it by model name: another key again); its candidate S:6 pairs with F:48.
    // A dry run of the second part says what it would do and changes nothing.
    let before = scores(&db).await;
    let (out, dry) = db.import(&[SECOND], &["--dry-run"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(dry["mode"], "dry-run", "{dry}");
    same_scores("a dry run", &before, &scores(&db).await);

    let report = import(&db, &[SECOND], &[]);
    assert_eq!(
        counts(&report),
        counts(&dry),
        "the dry run predicted other counts"
    );
    assert_eq!(
        counts(&report),
        expected(
            4,
            4,
            4,
            0,
            0,
            json!({"combined": 3, "json_aware": 1}),
            3,
            1,
            2
        ),
        "the second part's counts"
    );
    assert_eq!(stored(&db).await, sorted_literal(&AFTER_BOTH));
    assert_eq!(parts(&db).await, sorted_literal(&PARTS_AFTER_BOTH));
    assert_eq!(broken_rows(&db).await, Vec::<String>::new());
    let removed = db
        .text(
            "SELECT count(*)::text FROM bellatrix_migrate.row_sources \
             WHERE kind = 'similarity' AND removed_by IS NOT NULL",
        )
        .await;
    assert_eq!(
        removed.as_deref(),
        Some("2"),
        "the ledger marks the gpt-4o rows of F:45 and F:50 removed"
    );
    assert_verifies(&db);
}

#[tokio::test]
async fn either_order_of_the_parts_and_one_import_of_both_store_the_same_scores() {
    let (in_order, _) = imported(&[&[FIRST], &[SECOND]]).await;
    let reference = scores(&in_order).await;
    assert_eq!(reference.len(), 13 + 3, "{reference:#?}");

    let (reversed, reports) = imported(&[&[SECOND], &[FIRST]]).await;
    // Alone, the second part's candidate S:6 has no master yet.
    assert_eq!(counts(&reports[0]), nothing_to_do(4, 1, 0, 1, 0));
    assert_eq!(counts(&reports[1]), every_pair());
    let (together, reports) = imported(&[&[FIRST, SECOND]]).await;
    assert_eq!(counts(&reports[0]), every_pair());

    for (name, db) in [("second, then first", &reversed), ("one import", &together)] {
        same_scores(name, &reference, &scores(db).await);
        assert_eq!(stored(db).await, sorted_literal(&AFTER_BOTH), "{name}");
        let (a, b) = (
            content_but_prompt_file_names(&in_order).await,
            content_but_prompt_file_names(db).await,
        );
        assert!(a == b, "{name}:\n{}", differences(&a, &b));
        assert_verifies(db);
    }
}

/// Every production table's content (support::content), but for the file a prompt names: both
/// parts hold the same prompt texts (K, L, M), and the raw rows' file that tells first across
/// imports keeps `source_file_name`, where one import of both takes the live file (file
/// precedence). That is the prompts step's, not the scores'.
async fn content_but_prompt_file_names(db: &TestDb) -> Vec<(String, Vec<String>)> {
    let mut content = content_rows(db).await;
    for (table, rows) in &mut content {
        if table == "prompts" {
            for row in rows.iter_mut() {
                let mut fields: Vec<&str> = row.split('|').collect();
                if let Some(file) = fields.get_mut(3) {
                    *file = "<file>";
                }
                *row = fields.join("|");
            }
            rows.sort();
        }
    }
    content
}

#[tokio::test]
async fn importing_either_part_again_changes_no_score() {
    let (db, _) = imported(&[&[FIRST], &[SECOND]]).await;
    let before = scores(&db).await;
    // A re-run creates and changes no row, so it touches no prompt.
    for paths in [&[FIRST][..], &[SECOND], &[FIRST, SECOND]] {
        let report = import(&db, paths, &[]);
        assert_eq!(
            counts(&report),
            nothing_to_do(0, 0, 0, 0, 0),
            "importing {paths:?} again"
        );
        same_scores(
            &format!("importing {paths:?} again"),
            &before,
            &scores(&db).await,
        );
    }
    let (_, again) = similarity(&db, &[]);
    assert_eq!(counts(&again), nothing_to_do(14, 15, 14, 1, 1));
    assert_eq!(
        scores(&db).await,
        before,
        "the similarity command after both"
    );
}

#[tokio::test]
async fn a_zero_window_import_then_the_similarity_command_give_the_default_imports_scores() {
    let (reference, _) = imported(&[&[FIRST, SECOND]]).await;
    let db = TestDb::initialised().await;
    let report = import(&db, &[FIRST, SECOND], &["--similarity-window", "0"]);
    assert_eq!(report["similarity"]["window_seconds"], 0, "{report}");
    // No master row of the drop shares its candidate's instant.
    assert_eq!(counts(&report), nothing_to_do(14, 15, 0, 15, 0));
    assert_eq!(db.count("similarity_scores").await, 0);

    let content = content_rows(&db).await;
    let imports = db
        .text("SELECT count(*)::text FROM bellatrix_migrate.imports WHERE outcome = 'committed'")
        .await;
    let (out, dry) = similarity(&db, &["--dry-run"]);
    assert!(
        out.stderr.contains("dry run") || out.stdout.contains("dry run"),
        "{}{}",
        out.stdout,
        out.stderr
    );
    assert_eq!(dry["mode"], "dry-run", "{dry}");
    assert_eq!(counts(&dry), every_pair(), "the dry run's counts");
    let after = content_rows(&db).await;
    assert!(
        content == after,
        "the dry run changed the database:\n{}",
        differences(&content, &after)
    );
    assert_eq!(
        db.text("SELECT count(*)::text FROM bellatrix_migrate.imports WHERE outcome = 'committed'")
            .await,
        imports,
        "the dry run committed"
    );

    let (_, real) = similarity(&db, &[]);
    assert_eq!(real["similarity"]["window_seconds"], 3600);
    assert_eq!(
        counts(&real),
        counts(&dry),
        "the dry run predicted other counts"
    );
    same_scores(
        "after `similarity`",
        &scores(&reference).await,
        &scores(&db).await,
    );
    assert_eq!(stored(&db).await, sorted_literal(&AFTER_BOTH));
    assert_eq!(broken_rows(&db).await, Vec::<String>::new());
    let (a, b) = (content_rows(&reference).await, content_rows(&db).await);
    assert!(a == b, "{}", differences(&a, &b));
    assert_verifies(&db);

    let (_, again) = similarity(&db, &[]);
    assert_eq!(counts(&again), nothing_to_do(14, 15, 14, 1, 1));
}

#[tokio::test]
async fn reverting_a_similarity_run_takes_its_scores_back() {
    let (reference, _) = imported(&[&[FIRST, SECOND]]).await;
    let db = TestDb::initialised().await;
    import(&db, &[FIRST, SECOND], &["--similarity-window", "0"]);
    let before = content_rows(&db).await;
    let (_, run) = similarity(&db, &[]);
    assert_eq!(counts(&run), every_pair());
    let id = run["import_id"].as_i64().expect("the run's import id");

    let out = db.run(&["revert", "--quiet", "--json", &id.to_string()]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert_eq!(db.count("similarity_scores").await, 0);
    assert_eq!(db.count("bellatrix_migrate.similarity").await, 0);
    let after = content_rows(&db).await;
    assert!(
        before == after,
        "after reverting the similarity run:\n{}",
        differences(&before, &after)
    );
    assert_verifies(&db);

    let (_, again) = similarity(&db, &[]);
    assert_eq!(counts(&again), every_pair());
    same_scores(
        "`similarity` after its revert",
        &scores(&reference).await,
        &scores(&db).await,
    );
}

#[tokio::test]
async fn reverting_the_second_import_gives_back_the_first_imports_scores() {
    let (first_alone, _) = imported(&[&[FIRST]]).await;
    let (both, _) = imported(&[&[FIRST], &[SECOND]]).await;
    let (db, reports) = imported(&[&[FIRST], &[SECOND]]).await;
    let id = reports[1]["import_id"].as_i64().expect("an import id");

    let out = db.run(&["revert", "--quiet", "--json", &id.to_string()]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    let report: Value = serde_json::from_str(&out.stdout).unwrap_or(Value::Null);
    assert_eq!(report["outcome"], "reverted", "{report}");
    same_scores(
        "after the revert",
        &scores(&first_alone).await,
        &scores(&db).await,
    );
    assert_eq!(stored(&db).await, sorted_literal(&after_first()));
    let (a, b) = (content_rows(&first_alone).await, content_rows(&db).await);
    assert!(
        a == b,
        "after the revert, the database differs from the first import alone:\n{}",
        differences(&a, &b)
    );
    assert_verifies(&db);

    // Importing the second part again re-pairs as before.
    import(&db, &[SECOND], &[]);
    same_scores(
        "importing the second part again",
        &scores(&both).await,
        &scores(&db).await,
    );
}

/// Every prompt and response text of the drop, and its pieces of 24 characters (a report that
/// showed part of a text would show one of them).
fn fixture_texts() -> Vec<String> {
    let mut texts = Vec::new();
    for file in [
        "fixtures/similarity/first/data/runs/raw_metrics.csv",
        "fixtures/similarity/second/data/runs/raw_metrics_20251121_101500.csv",
    ] {
        let mut reader = csv::Reader::from_path(support::fixture(file)).expect("reading a fixture");
        for record in reader.records() {
            let record = record.expect("a fixture record");
            for column in [14, 15] {
                let text = record.get(column).unwrap_or_default();
                let chars: Vec<char> = text.chars().collect();
                if chars.len() <= 24 {
                    if !text.is_empty() {
                        texts.push(text.to_owned());
                    }
                    continue;
                }
                for window in chars.windows(24) {
                    texts.push(window.iter().collect());
                }
            }
        }
    }
    texts.sort();
    texts.dedup();
    texts
}

/// The first piece of a fixture text in `output`, if any.
fn shown_text<'a>(output: &str, texts: &'a [String]) -> Option<&'a String> {
    texts.iter().find(|t| output.contains(t.as_str()))
}

#[tokio::test]
async fn no_report_shows_a_prompt_or_response_text() {
    let texts = fixture_texts();
    assert!(texts.len() > 100, "{}", texts.len());
    let file = std::fs::read_to_string(support::fixture(
        "fixtures/similarity/second/data/runs/raw_metrics_20251121_101500.csv",
    ))
    .expect("reading a fixture");
    assert!(
        shown_text(&file, &texts).is_some(),
        "the search finds the texts where they are"
    );
    let db = TestDb::initialised().await;
    let dir = tempfile::tempdir().expect("a temp dir");
    let mut outputs = Vec::new();
    for (name, args) in [
        ("import of the first part", vec!["import", FIRST]),
        ("import of the second part", vec!["import", SECOND]),
        ("similarity --dry-run", vec!["similarity", "--dry-run"]),
        ("similarity", vec!["similarity"]),
    ] {
        let json = dir.path().join(format!("{name}.json"));
        let md = dir.path().join(format!("{name}.md"));
        let mut args: Vec<String> = args
            .iter()
            .map(|a| {
                if a.starts_with("fixtures/") {
                    support::fixture(a).display().to_string()
                } else {
                    (*a).to_owned()
                }
            })
            .collect();
        args.extend([
            "--report".into(),
            json.display().to_string(),
            "--report-md".into(),
            md.display().to_string(),
        ]);
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = db.run(&refs);
        assert_eq!(out.code, 0, "{name}: {}{}", out.stdout, out.stderr);
        let json = std::fs::read_to_string(&json).expect("the JSON report");
        let report: Value = serde_json::from_str(&json).expect("a JSON report");
        assert!(
            report["similarity"]["candidates"].as_u64() > Some(0),
            "{name}: {json}"
        );
        outputs.push((format!("{name}: stdout"), out.stdout));
        outputs.push((format!("{name}: stderr"), out.stderr));
        // The JSON's strings as they are, not escaped.
        outputs.push((format!("{name}: JSON report"), strings(&report).join("\n")));
        outputs.push((format!("{name}: JSON report text"), json));
        let md = std::fs::read_to_string(&md).expect("the Markdown report");
        outputs.push((format!("{name}: Markdown report"), md));
    }
    for id in ["1", "2"] {
        let out = db.run(&["show", id]);
        assert_eq!(out.code, 0, "show {id}: {}", out.stderr);
        outputs.push((format!("show {id}"), out.stdout));
    }
    for (name, output) in &outputs {
        assert_eq!(
            shown_text(output, &texts),
            None,
            "{name} shows a fixture text"
        );
    }
}

/// Every string of a JSON value (keys and values), unescaped.
fn strings(value: &Value) -> Vec<String> {
    match value {
        Value::String(s) => vec![s.clone()],
        Value::Array(items) => items.iter().flat_map(strings).collect(),
        Value::Object(map) => map
            .iter()
            .flat_map(|(k, v)| std::iter::once(k.clone()).chain(strings(v)))
            .collect(),
        _ => Vec::new(),
    }
}
