//! End-to-end: the complete synthetic legacy folder `fixtures/legacy_app/` (every kind of
//! docs/decisions.md) imported by the real binary into a real PostgreSQL, every table counted exactly,
//! key values checked. The numbers come from reading the fixtures by hand (tools/make_source_fixtures.py
//! and docs/decisions.md explain each); they are not copied from a run.

mod support;

use support::report_file as file;

use serde_json::{json, Value};
use support::{production_counts, TestDb};

const P1: &str = "Summarise the maintenance log for pump P-7 as JSON.\nInclude the date, the fault and the action taken.";
const P3: &str = "Describe the bearing noise reported on compressor C-2.";

async fn imported() -> (TestDb, tempfile::TempDir, Value) {
    let db = TestDb::initialised().await;
    let dir = support::legacy_app_copy();
    let (out, report) = db.import_paths(&[dir.path()], &["--legacy-timezone", "Asia/Kolkata"]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    (db, dir, report)
}

#[tokio::test]
async fn a_complete_legacy_folder_fills_every_table_with_exact_counts() {
    let (db, _dir, report) = imported().await;
    let expected = [
        ("users", 2),
        ("model_providers", 5),
        ("models", 11),
        ("model_pricing", 11),
        ("model_generation_params", 13),
        // The CSV's three (P1, its CRLF variant, the valves prompt), P3 from the log and the
        // upload's coolant prompt. No placeholder: the root-era error row shares P3 with the row of
        // the same run and prompt_index that its requestId links (docs/decisions.md#prompts).
        ("prompts", 5),
        ("evaluation_runs", 4),
        ("evaluation_metrics", 6),
        ("model_aggregated_metrics", 6),
        ("master_model_evaluations", 1),
        // The dashboard row of P1 (raw_metrics.csv:4) and the master row 12 s before it (:6).
        ("similarity_scores", 1),
        ("cloudwatch_log_entries", 4),
        // ann's login (users.json last_login); the migrator's own rows are not counted here.
        ("audit_log", 1),
    ];
    let actual = production_counts(&db).await;
    for (table, n) in expected {
        let got = actual.iter().find(|(t, _)| t == table).map(|(_, n)| *n);
        assert_eq!(got, Some(n), "{table}: expected {n}, got {got:?}");
        let inserted = report["tables"][table]["inserted"].as_i64();
        let seeded = if table == "model_providers" { 5 } else { 0 };
        assert_eq!(
            inserted,
            Some(n - seeded),
            "{table}: the report's inserted count"
        );
    }
    assert_eq!(report["source_records"], 36);
    // Duplicates: the upload's P2 (already in the prompt CSV) and the four aggregate rows (derived
    // data); 36 - 5 = 31 inserted.
    assert_eq!(
        report["accounted"],
        json!({"inserted": 31, "duplicate": 5, "rejected": 0, "updated": 0})
    );
    let kinds = [
        (
            "Downloads/aggregated_metrics_20251112_093000.csv",
            "model_comparison",
            "tuple_names",
            1,
        ),
        (
            "Downloads/prompt_upload.json",
            "prompts_json",
            "json_array",
            2,
        ),
        ("config.py", "config_py", "python_dicts", 2),
        (
            "configs/models.2025-10-31.yaml",
            "models_yaml",
            "dated_version",
            3,
        ),
        ("configs/models.yaml", "models_yaml", "current", 3),
        ("configs/settings.yaml", "settings_yaml", "app_settings", 0),
        (
            "data/20251001T000153731Z_e9c5e90710a8738a.json",
            "bedrock_log",
            "jsonl",
            4,
        ),
        (
            "data/runs/model_comparison.csv",
            "model_comparison",
            "tuple_names",
            1,
        ),
        ("data/runs/raw_metrics.csv", "raw_metrics", "R15r", 5),
        ("data/test_prompts.csv", "prompts_csv", "standard", 3),
        ("data/users.json", "users_json", "auth_v01", 2),
        (
            "results/comparison_20251031_204500.csv",
            "results_comparison",
            "root_era",
            0,
        ),
        (
            "results/detailed_results_20251031_204500.csv",
            "results_detailed",
            "root_era",
            2,
        ),
        (
            "results/summary_20251031_204500.csv",
            "results_summary",
            "root_era",
            2,
        ),
    ];
    for (path, kind, variant, records) in kinds {
        let f = file(&report, path);
        assert_eq!(f["kind"], kind, "{path}");
        assert_eq!(f["variant"], variant, "{path}");
        assert_eq!(f["records"], records, "{path}");
    }
    let readme = file(&report, "notes/readme.txt");
    assert_eq!(
        (readme["kind"].as_str(), readme["records"].as_i64()),
        (Some("unknown"), Some(0))
    );
    assert_eq!(report["files"].as_array().map(Vec::len), Some(18));
}

#[tokio::test]
async fn the_dashboard_row_is_scored_against_the_master_row_before_it() {
    let (db, _dir, report) = imported().await;
    // raw_metrics.csv:4 (Claude, 2025-11-14T09:00:12.345678Z, `{"pump": "P-7"}`) and :6 (gpt-4o,
    // 09:00:00, `{"reference": true}`): reduced to `P-7` and `True`, plain texts with no word in
    // common, so combined; cosine, jaccard, both bigram sets and the Indel ratio are all 0.
    let pair = db
        .text(
            "SELECT rc.line || ' ' || rm.line || ' ' || r.run_id || ' ' || ma.name || ' > ' || mb.name \
             || ' ' || s.comparison_method || ' ' || x.similarity_percent || ' ' || s.fuzzy_ratio \
             || ' ' || (rc.file = l.file AND rc.line = l.line) \
             FROM similarity_scores s JOIN bellatrix_migrate.similarity x ON x.id = s.id \
             JOIN evaluation_runs r ON r.id = s.run_id \
             JOIN models ma ON ma.id = s.model_a_id JOIN models mb ON mb.id = s.model_b_id \
             JOIN bellatrix_migrate.row_sources rc ON rc.target_table = 'evaluation_metrics' \
                  AND rc.target_id = x.candidate_id \
             JOIN bellatrix_migrate.row_sources rm ON rm.target_table = 'master_model_evaluations' \
                  AND rm.target_id = x.master_id \
             JOIN bellatrix_migrate.row_sources l ON l.source_key = 'similarity:' || s.id \
             WHERE rc.file LIKE '%/data/runs/raw_metrics.csv' AND rm.file LIKE '%/data/runs/raw_metrics.csv'",
        )
        .await;
    assert_eq!(
        pair.as_deref(),
        Some("4 6 dashboard_20251114_143012 gpt-4o > Claude 3.7 Sonnet combined 0.00 0.00 true")
    );
    let s = &report["similarity"];
    assert_eq!(
        (
            s["paired"].as_u64(),
            s["inserted"].as_u64(),
            s["by_method"].clone()
        ),
        (Some(1), Some(1), json!({"combined": 1})),
        "{s}"
    );
}

#[tokio::test]
async fn legacy_aggregate_files_are_compared_not_loaded_and_differences_do_not_block() {
    let (_db, _dir, report) = imported().await;
    let check = report["checks"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["name"] == "legacy_aggregates_agree"))
        .cloned()
        .expect("the aggregate check is reported");
    assert_eq!(check["ok"], false, "{check}");
    assert_eq!(check["blocking"], false);
    let detail = check["detail"].as_str().unwrap_or("");
    assert!(
        detail.starts_with("4 legacy aggregate rows compared, 2 differences"),
        "{detail}"
    );
    assert!(detail.contains("aggregated_metrics_20251112_093000.csv:2 Llama 3 70B Instruct success_count file=2 recomputed=1"), "{detail}");
    assert!(
        !detail.contains("data/runs/model_comparison.csv"),
        "the CLI file agrees with its run: {detail}"
    );
    assert!(
        !detail.contains("summary_"),
        "the summary agrees with the detailed rows: {detail}"
    );
    assert_eq!(
        file(&report, "data/runs/model_comparison.csv")["duplicate"],
        1
    );
}

#[tokio::test]
async fn the_same_prompt_from_csv_raw_row_and_log_is_one_prompt_and_crlf_is_a_near_duplicate() {
    let (db, _dir, _) = imported().await;
    let client = db.client().await;
    let rows = client
        .query(
            "SELECT id, source_type, expected_json, metadata FROM prompts WHERE prompt_text = $1",
            &[&P1],
        )
        .await
        .unwrap();
    assert_eq!(
        rows.len(),
        1,
        "one prompt for the CSV row, the raw rows and the log entry"
    );
    let id: uuid::Uuid = rows[0].get(0);
    assert_eq!(
        rows[0].get::<_, String>(1),
        "csv",
        "the prompt CSV is the most authoritative source"
    );
    assert!(
        rows[0].get::<_, bool>(2),
        "the CSV's own expected_json flag"
    );
    let meta: Value = rows[0].get(3);
    assert_eq!(meta["legacy_prompt_id"], "1");
    assert_eq!(meta["request_ids"], json!(["r-0001"]));
    let users_of_p1: i64 = client
        .query_one(
            "SELECT (SELECT count(*) FROM evaluation_metrics WHERE prompt_id = $1) \
                  + (SELECT count(*) FROM master_model_evaluations WHERE prompt_id = $1) \
                  + (SELECT count(*) FROM cloudwatch_log_entries WHERE metadata->>'prompt_id' = $1::text)",
            &[&id],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(
        users_of_p1, 4,
        "CLI row (by prompt_id), dashboard row, master row, log line 1"
    );
    let crlf = P1.replace('\n', "\r\n");
    let pair = client
        .query(
            "SELECT metadata->>'normalized_sha256', prompt_hash FROM prompts WHERE prompt_text IN ($1, $2)",
            &[&P1, &crlf],
        )
        .await
        .unwrap();
    assert_eq!(pair.len(), 2, "CRLF and LF variants are two prompts");
    assert_eq!(
        pair[0].get::<_, String>(0),
        pair[1].get::<_, String>(0),
        "marked near-duplicates"
    );
    assert_ne!(pair[0].get::<_, String>(1), pair[1].get::<_, String>(1));
}

#[tokio::test]
async fn price_history_from_several_versions_reads_right_through_v_current_model_pricing() {
    let (db, _dir, _) = imported().await;
    let client = db.client().await;
    let current: Vec<(String, String, String)> = client
        .query(
            "SELECT model_name, input_per_1k_tokens_usd::text, output_per_1k_tokens_usd::text FROM v_current_model_pricing ORDER BY model_name",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect();
    // Only the models the latest models.yaml (HEAD) lists have an open price, and gpt-4o, priced
    // from the app's fixed master table (never in models.yaml); the six an earlier version listed
    // and a later one dropped are closed at the version that dropped them.
    let expected = [
        ("Claude 3.7 Sonnet", "0.008000", "0.024000"),
        ("Llama 3.3 70B Instruct", "0.000720", "0.000720"),
        ("Nova Pro", "0.002000", "0.006000"),
        ("gpt-4o", "0.005000", "0.015000"),
    ];
    let expected: Vec<(String, String, String)> = expected
        .iter()
        .map(|(a, b, c)| ((*a).to_owned(), (*b).to_owned(), (*c).to_owned()))
        .collect();
    assert_eq!(current, expected);
    let history = db
        .text(
            "SELECT string_agg(input_per_1k_tokens_usd || ' ' || to_char(effective_from AT TIME ZONE 'UTC', 'MM-DD') \
             || '..' || COALESCE(to_char(effective_to AT TIME ZONE 'UTC', 'MM-DD'), 'now'), ', ' ORDER BY effective_from) \
             FROM model_pricing p JOIN models m ON m.id = p.model_id WHERE m.name = 'Llama 3.1 70B Instruct'",
        )
        .await;
    assert_eq!(
        history.as_deref(),
        Some("0.002000 11-03..11-05, 0.000650 11-05..11-06"),
        "closed by 11-06, the first version that no longer lists it"
    );
    let params = db
        .text(
            "SELECT string_agg(max_tokens || '/' || temperature || '/' || COALESCE(top_p::text, 'null'), ', ' ORDER BY effective_from) \
             FROM model_generation_params g JOIN models m ON m.id = g.model_id WHERE m.name = 'Claude 3.7 Sonnet'",
        )
        .await;
    assert_eq!(
        params.as_deref(),
        Some("1500/0.70/null, 1500/0.70/0.95"),
        "config.py had no top_p"
    );
    let active = db
        .text("SELECT string_agg(name, ', ' ORDER BY name) FROM models WHERE is_active")
        .await;
    assert_eq!(
        active.as_deref(),
        Some("Claude 3.7 Sonnet, Llama 3.3 70B Instruct, Nova Pro")
    );
    let ids = db
        .text("SELECT bedrock_model_id || ' ' || (metadata->'bedrock_model_id_history')::text FROM models WHERE name = 'Claude 3.5 Sonnet'")
        .await;
    assert_eq!(
        ids.as_deref(),
        Some("us.anthropic.claude-3-5-sonnet-20241022-v2:0 [\"us.anthropic.claude-3-5-sonnet-20240620-v1:0\", \"us.anthropic.claude-3-5-sonnet-20241022-v2:0\"]")
    );
}

#[tokio::test]
async fn users_keep_bcrypt_hashes_verbatim_and_local_times_in_the_legacy_zone() {
    let (db, _dir, _) = imported().await;
    let ann = db
        .text(
            "SELECT password_hash || ' ' || to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US') || ' ' \
             || to_char(last_login AT TIME ZONE 'UTC', 'HH24:MI:SS.US') || ' ' || is_active || is_admin || ' ' \
             || (metadata->'source'->>'line') FROM users WHERE username = 'ann'",
        )
        .await;
    assert_eq!(
        ann.as_deref(),
        Some("$2b$12$abcdefghijklmnopqrstuuABCDEFGHIJKLMNOPQRSTUVWXYZ01234 2025-11-21T12:32:11.123456 03:45:00.000001 truefalse 2")
    );
    let bob = db
        .text("SELECT COALESCE(last_login::text, 'null') FROM users WHERE username = 'bob'")
        .await;
    assert_eq!(bob.as_deref(), Some("null"));
}

#[tokio::test]
async fn root_era_results_become_runs_with_prompts_recovered_from_the_log() {
    let (db, _dir, _) = imported().await;
    let client = db.client().await;
    let rows = client
        .query(
            "SELECT em.status, p.prompt_text, p.source_type, p.metadata->>'prompt_snippet', \
                    to_char(em.evaluated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US'), m.name, em.response_text IS NULL \
             FROM evaluation_metrics em JOIN evaluation_runs r ON r.id = em.run_id \
             JOIN prompts p ON p.id = em.prompt_id JOIN models m ON m.id = em.model_id \
             WHERE r.run_id = 'legacy_results_20251031_204500' ORDER BY em.evaluated_at",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].get::<_, String>(0), "success");
    assert_eq!(
        rows[0].get::<_, String>(1),
        P3,
        "recovered through metadata.requestId r-0002"
    );
    assert_eq!(
        rows[0].get::<_, String>(4),
        "2025-10-31T15:15:10.123456",
        "naive IST time"
    );
    assert_eq!(rows[0].get::<_, String>(5), "Nova Pro");
    assert_eq!(rows[1].get::<_, String>(0), "error", "[SKIPPED…] output");
    assert_eq!(
        rows[1].get::<_, String>(1),
        P3,
        "the same run and prompt_index 0 as the row recovered through its requestId"
    );
    assert_eq!(rows[1].get::<_, String>(2), "cloudwatch");
    assert!(rows[1].get::<_, bool>(6), "an error has no response");
    let run = db
        .text("SELECT name || ' ' || status || ' ' || total_evaluations || '/' || successful_evaluations FROM evaluation_runs WHERE run_id = 'legacy_results_20251031_204500'")
        .await;
    assert_eq!(
        run.as_deref(),
        Some("Legacy results file (root-era evaluate.py) completed 2/1")
    );
}

#[tokio::test]
async fn log_entries_keep_real_counts_and_unparsable_lines() {
    let (db, _dir, _) = imported().await;
    let entries = db
        .text(
            "SELECT string_agg(log_entry_number || ':' || parsed || ':' || COALESCE(input_tokens::text, '-') || '/' \
             || COALESCE(output_tokens::text, '-') || ':' || COALESCE(latency_ms::text, '-') || ':' || COALESCE(model_name, '-'), ', ' \
             ORDER BY log_entry_number) FROM cloudwatch_log_entries",
        )
        .await;
    assert_eq!(
        entries.as_deref(),
        Some("1:true:120/40:812.00:Claude 3.7 Sonnet, 2:true:25/10:400.00:llama4-maverick-17b-instruct, 4:false:-/-:-:-, 5:true:121/41:900.00:Claude 3.7 Sonnet")
    );
    let broken = db
        .text("SELECT raw_log_data::text || ' ' || (parse_error LIKE 'line is not JSON%') FROM cloudwatch_log_entries WHERE NOT parsed")
        .await;
    assert_eq!(broken.as_deref(), Some("{} true"));
}

#[tokio::test]
async fn cli_rows_without_prompt_text_link_to_the_prompt_csv_by_legacy_prompt_id() {
    let (db, _dir, _) = imported().await;
    let linked = db
        .text(
            "SELECT string_agg(em.metadata->>'legacy_prompt_id' || '=' || p.source_type || ':' || (p.metadata->>'legacy_prompt_id'), ', ' \
             ORDER BY em.metadata->>'legacy_prompt_id') FROM evaluation_metrics em JOIN evaluation_runs r ON r.id = em.run_id \
             JOIN prompts p ON p.id = em.prompt_id WHERE r.run_id = 'run_20251031_204240'",
        )
        .await;
    assert_eq!(linked.as_deref(), Some("1=csv:1, 2=csv:2"));
}

#[tokio::test]
async fn reimporting_the_complete_folder_inserts_nothing() {
    let (db, dir, _) = imported().await;
    let before = production_counts(&db).await;
    let (out, report) = db.import_paths(&[dir.path()], &["--legacy-timezone", "Asia/Kolkata"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(production_counts(&db).await, before);
    assert_eq!(
        report["accounted"],
        json!({"inserted": 0, "duplicate": 36, "rejected": 0, "updated": 0})
    );
    for t in ["model_pricing", "model_generation_params", "models"] {
        assert_eq!(report["tables"][t]["updated"], 0, "{t} unchanged");
    }
}

#[tokio::test]
async fn no_legacy_text_email_or_hash_reaches_the_terminal_or_the_report() {
    let db = TestDb::initialised().await;
    let dir = support::legacy_app_copy();
    let (out, report) = db.import_paths(&[dir.path()], &["--legacy-timezone", "Asia/Kolkata"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let shown = [
        out.stdout.as_str(),
        out.stderr.as_str(),
        &report.to_string(),
    ]
    .join("\n");
    let client = db.client().await;
    let texts = client
        .query(
            "SELECT prompt_text FROM prompts WHERE source_type <> 'legacy_placeholder' \
             UNION ALL SELECT response_text FROM evaluation_metrics WHERE response_text IS NOT NULL \
             UNION ALL SELECT error_message FROM evaluation_metrics WHERE error_message IS NOT NULL \
             UNION ALL SELECT metadata->>'raw_text' FROM cloudwatch_log_entries WHERE metadata ? 'raw_text' \
             UNION ALL SELECT email FROM users UNION ALL SELECT password_hash FROM users",
            &[],
        )
        .await
        .unwrap();
    assert!(texts.len() >= 10, "the query found the texts to look for");
    for row in texts {
        let text: String = row.get(0);
        assert!(
            !shown.contains(&text),
            "{} bytes of legacy text leaked into the output",
            text.len()
        );
    }
}

#[tokio::test]
async fn every_row_written_carries_its_source_file_and_line() {
    let (db, _dir, _) = imported().await;
    for table in [
        "users",
        "models",
        "prompts",
        "evaluation_runs",
        "evaluation_metrics",
        "master_model_evaluations",
        "cloudwatch_log_entries",
    ] {
        let missing = db
            .text(&format!(
                "SELECT count(*)::text FROM {table} WHERE NOT (metadata->'source' ? 'file' AND metadata->'source' ? 'line')"
            ))
            .await;
        assert_eq!(
            missing.as_deref(),
            Some("0"),
            "{table} rows without metadata.source"
        );
    }
    let observed = db
        .text("SELECT count(DISTINCT model_id)::text FROM bellatrix_migrate.config_observations WHERE file <> '' AND line > 0")
        .await;
    assert_eq!(
        observed.as_deref(),
        Some("9"),
        "priced models are traced through config_observations"
    );
}
