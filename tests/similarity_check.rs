//! The check `similarity_recomputed` against real PostgreSQL: the score row a full import of
//! `fixtures/legacy_app` stores (its dashboard row paired with the master row) is scored again from
//! its two responses and passes, in the import and in `verify`; a stored score, a component or a
//! provenance column changed by hand fails `verify` naming the score id, and never shows the
//! responses.

mod support;

use support::{check, failed_detail, TestDb};

const NAME: &str = "similarity_recomputed";

/// A database holding the legacy folder, and the id of its one score row.
async fn imported() -> (TestDb, String) {
    let db = TestDb::initialised().await;
    let dir = support::legacy_app_copy();
    let (out, report) = db.import_paths(&[dir.path()], &[]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let recomputed = check(&report, NAME);
    assert_eq!(recomputed["ok"], true, "{recomputed}");
    assert_eq!(recomputed["skipped"], false, "{recomputed}");
    assert!(
        recomputed["detail"].as_str().unwrap().starts_with(
            "1 rows scored again from their two responses (all 1 score rows this import computed)"
        ),
        "{recomputed}"
    );
    assert_eq!(db.count("similarity_scores").await, 1);
    let id = db
        .text("SELECT id::text FROM bellatrix_migrate.similarity")
        .await
        .unwrap();
    (db, id)
}

/// The two responses of the score row: what no detail may show.
async fn responses(db: &TestDb) -> Vec<String> {
    let row = db
        .client()
        .await
        .query_one(
            "SELECT m.response_text, e.response_text FROM bellatrix_migrate.similarity x \
             JOIN master_model_evaluations m ON m.id = x.master_id \
             JOIN evaluation_metrics e ON e.id = x.candidate_id",
            &[],
        )
        .await
        .unwrap();
    let texts: Vec<String> = vec![row.get(0), row.get(1)];
    assert!(
        texts.iter().all(|t| !t.is_empty()),
        "not vacuous: {texts:?}"
    );
    texts
}

/// Changes the database with `sql` as its owner, runs verify, expects exit 1 and returns the
/// detail of the failed check, asserting that neither response, nor any word of theirs, shows.
async fn broken(db: &TestDb, sql: &str) -> String {
    let texts = responses(db).await;
    db.client().await.batch_execute(sql).await.unwrap();
    let (out, report) = db.verify(&[]);
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    let detail = failed_detail(&report, NAME);
    for text in &texts {
        assert!(
            !out.stdout.contains(text.as_str()) && !out.stderr.contains(text.as_str()),
            "a response of {} bytes leaked into the output",
            text.len()
        );
        let words = text
            .split(|c: char| !c.is_alphanumeric() && c != '-')
            .filter(|w| w.len() >= 3);
        for word in words {
            assert!(
                !detail.contains(word),
                "{word:?} of a response in: {detail}"
            );
        }
    }
    detail
}

#[tokio::test]
async fn the_score_row_of_a_full_import_is_recomputed_in_the_import_and_in_verify() {
    let (db, _) = imported().await;
    for extra in [&[][..], &["--full"][..]] {
        let (out, report) = db.verify(extra);
        assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
        let recomputed = check(&report, NAME);
        assert_eq!(recomputed["ok"], true, "{recomputed}");
        assert!(
            recomputed["detail"]
                .as_str()
                .unwrap()
                .contains("(all 1 score rows the migrator stored)"),
            "{recomputed}"
        );
        let last = report["checks"].as_array().unwrap().last().unwrap();
        assert_eq!(last["name"], NAME, "the last check of verify");
    }
    // A re-import computes no score: nothing to recompute, and said so.
    let dir = support::legacy_app_copy();
    let (again, report) = db.import_paths(&[dir.path()], &[]);
    assert_eq!(again.code, 0, "{}", again.stderr);
    let recomputed = check(&report, NAME);
    assert_eq!(recomputed["skipped"], true, "{recomputed}");
    assert_eq!(
        recomputed["detail"],
        "no score rows this import computed to recompute"
    );
}

#[tokio::test]
async fn verify_on_a_database_without_scores_skips_the_check() {
    let db = TestDb::initialised().await;
    let (out, report) = db.verify(&[]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    let recomputed = check(&report, NAME);
    assert_eq!(recomputed["skipped"], true, "{recomputed}");
    assert_eq!(
        recomputed["detail"],
        "no score rows the migrator stored to recompute"
    );
}

#[tokio::test]
async fn a_stored_score_changed_in_its_last_digits_fails_verify_naming_the_score_id() {
    let (db, id) = imported().await;
    // A few units in the last place towards 0.5: any change of the stored f64 is a difference.
    let detail = broken(
        &db,
        "UPDATE bellatrix_migrate.similarity \
         SET score = CASE WHEN score < 0.5 THEN score + 1e-15 ELSE score - 1e-15 END",
    )
    .await;
    assert_eq!(
        detail,
        format!(
            "1 of 1 rows scored again (all 1 score rows the migrator stored) differ from what is \
             stored: score id {id} (score)"
        )
    );
}

#[tokio::test]
async fn a_changed_component_percentage_or_method_fails_verify_naming_each_column() {
    let (db, id) = imported().await;
    let detail = broken(
        &db,
        "UPDATE similarity_scores SET cosine_similarity = COALESCE(cosine_similarity, 0) + 0.0001, \
                                      comparison_method = 'cosine', semantic_similarity = 0.5; \
         UPDATE bellatrix_migrate.similarity SET similarity_percent = similarity_percent + 0.01 \
         WHERE similarity_percent < 100; \
         UPDATE bellatrix_migrate.similarity SET similarity_percent = 99.99 \
         WHERE similarity_percent = 100",
    )
    .await;
    assert!(detail.contains(&format!("score id {id} (")), "{detail}");
    for column in [
        "comparison_method",
        "similarity_percent",
        "cosine_similarity",
        "semantic_similarity",
    ] {
        assert!(detail.contains(column), "{column}: {detail}");
    }
    assert!(!detail.contains("fuzzy_ratio"), "{detail}");
}

#[tokio::test]
async fn a_score_row_that_names_another_model_fails_its_provenance() {
    let (db, id) = imported().await;
    let detail = broken(
        &db,
        "UPDATE similarity_scores s SET model_a_id = (SELECT m.id FROM models m \
                                                     WHERE m.id <> s.model_a_id ORDER BY m.id LIMIT 1), \
                                       calculated_at = calculated_at + interval '1 second'",
    )
    .await;
    assert_eq!(
        detail,
        format!(
            "1 of 1 score rows disagree with their candidate and master rows: score id {id} \
             (model_a_id, calculated_at)"
        )
    );
}

/// Prompts of the drop [`paired_drop`] writes, and candidates per prompt.
const PROMPTS: usize = 40;
const CANDIDATES: usize = 30;

/// One field of a QUOTE_ALL CSV row.
fn quoted(field: &str) -> String {
    format!("\"{}\"", field.replace('"', "\"\""))
}

/// The master's response to prompt `p`: a note audit, a wrapped JSON document or plain text.
fn master_response(p: usize) -> String {
    match p % 3 {
        0 => format!(
            r#"[{{"linkId": "1", "result": "Yes"}}, {{"linkId": "2", "result": "No"}}, {{"linkId": "{p}", "result": "Partial"}}]"#
        ),
        // Wrapped: the text it reduces to is itself JSON, so it scores JSON-aware.
        1 => format!(
            r#"{{"response": "{{\"pump\": \"P-{p}\", \"fault\": \"seal\", \"hours\": 2.5}}"}}"#
        ),
        _ => format!("The pump P-{p} was inspected; the seal was worn and has been replaced."),
    }
}

/// Candidate `c`'s response to prompt `p`: every kind, so every method and every component scores.
fn candidate_response(p: usize, c: usize) -> String {
    match c % 6 {
        0 => master_response(p),
        1 => format!(
            r#"[{{"linkId": "1", "result": "yes"}}, {{"linkId": "2", "result": "Yes"}}, {{"linkId": "{c}", "result": "No"}}]"#
        ),
        2 => format!(
            r#"{{"output": "{{\"pump\": \"P-{p}\", \"fault\": \"bearing\", \"hours\": {c}}}"}}"#
        ),
        3 => format!("The pump P-{p} was checked {c} times and the seal looked fine."),
        4 => format!(r#"{{"response": "Seal of pump P-{p} replaced after {c} hours."}}"#),
        _ => format!("Inspection {c}: pump P-{p} seal worn, replaced;\n  no further action."),
    }
}

/// A raw_metrics drop (R16, QUOTE_ALL) of [`PROMPTS`] prompts, each asked of the master model and
/// then, a second apart, of [`CANDIDATES`] candidates, each in its own dashboard run.
fn paired_drop() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let runs = dir.path().join("data/runs");
    std::fs::create_dir_all(&runs).unwrap();
    let header = [
        "timestamp",
        "run_id",
        "model_name",
        "model_id",
        "prompt_id",
        "input_tokens",
        "output_tokens",
        "latency_ms",
        "json_valid",
        "error",
        "status",
        "cost_usd_input",
        "cost_usd_output",
        "cost_usd_total",
        "input_prompt",
        "response",
    ];
    let models = [
        (
            "Claude 3.7 Sonnet",
            "us.anthropic.claude-3-7-sonnet-20250219-v1:0",
        ),
        (
            "Llama 3.2 11B Instruct",
            "us.meta.llama3-2-11b-instruct-v1:0",
        ),
        ("Nova Pro", "amazon.nova-pro-v1:0"),
    ];
    let mut csv = String::new();
    let mut row = |fields: &[&str]| {
        let line: Vec<String> = fields.iter().map(|f| quoted(f)).collect();
        csv.push_str(&line.join(","));
        csv.push('\n');
    };
    row(&header);
    for p in 0..PROMPTS {
        let prompt = format!("Audit the maintenance log of pump P-{p} and answer as JSON.");
        let at = format!("2025-11-14T10:{p:02}:00Z");
        let master = master_response(p);
        row(&[
            &at,
            "",
            "Master: gpt-4o",
            "gpt-4o",
            "",
            "120",
            "30",
            "900",
            "True",
            "",
            "success",
            "0.0",
            "0.0",
            "0.00105",
            &prompt,
            &master,
        ]);
        for c in 0..CANDIDATES {
            let (name, id) = models[c % models.len()];
            let at = format!("2025-11-14T10:{p:02}:{:02}Z", c + 1);
            let run = format!("dashboard_20251114_15{p:02}{:02}", c + 1);
            let response = candidate_response(p, c);
            row(&[
                &at, &run, name, id, "", "58", "12", "1310", "True", "", "success", "0.000464",
                "0.000288", "0.000752", &prompt, &response,
            ]);
        }
    }
    std::fs::write(runs.join("raw_metrics.csv"), csv).unwrap();
    dir
}

#[tokio::test]
async fn every_method_is_recomputed_in_batches_a_sample_in_the_import_and_all_with_full() {
    let db = TestDb::initialised().await;
    let dir = paired_drop();
    let (out, report) = db.import_paths(&[dir.path()], &[]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let pairs = PROMPTS * CANDIDATES;
    let similarity = &report["similarity"];
    assert_eq!(similarity["inserted"], pairs, "{similarity}");
    for method in ["combined", "json_aware", "noteaudit_exact_match"] {
        assert!(
            similarity["by_method"][method].as_u64() > Some(100),
            "{method}: {similarity}"
        );
    }
    let recomputed = check(&report, NAME);
    assert_eq!(recomputed["ok"], true, "{recomputed}");
    let detail = recomputed["detail"].as_str().unwrap();
    assert!(
        detail.contains(&format!(
            "(a random sample of about 1000 of {pairs} score rows this import computed)"
        )),
        "{detail}"
    );
    let scored: usize = detail.split(' ').next().unwrap().parse().unwrap();
    assert!(
        (1..=1000).contains(&scored),
        "never more than the sample: {detail}"
    );

    let (out, report) = db.verify(&["--full"]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    let detail = check(&report, NAME)["detail"].as_str().unwrap().to_owned();
    assert!(
        detail.starts_with(&format!(
            "{pairs} rows scored again from their two responses (all {pairs} score rows the \
             migrator stored)"
        )),
        "{detail}"
    );

    // One combined row's fuzzy ratio off by a hundredth: only that row, only that column.
    let id = db
        .text(
            "SELECT id::text FROM similarity_scores WHERE comparison_method = 'combined' \
             AND fuzzy_ratio BETWEEN 1 AND 99 ORDER BY id LIMIT 1",
        )
        .await
        .unwrap();
    db.client()
        .await
        .batch_execute(&format!(
            "UPDATE similarity_scores SET fuzzy_ratio = fuzzy_ratio + 0.01 WHERE id = '{id}'"
        ))
        .await
        .unwrap();
    let (out, report) = db.verify(&["--full"]);
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    assert_eq!(
        failed_detail(&report, NAME),
        format!(
            "1 of {pairs} rows scored again (all {pairs} score rows the migrator stored) differ \
             from what is stored: score id {id} (fuzzy_ratio)"
        )
    );
}
