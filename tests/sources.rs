//! End-to-end, one kind at a time: the one-quirk fixtures of prompt CSVs, prompt JSON/JSONL/TXT
//! files, Bedrock log shapes, models.yaml versions, config.py and users.json, each imported by the
//! real binary into a fresh database of a real PostgreSQL. Expected numbers are derived by hand from
//! the fixtures (tools/make_source_fixtures.py writes them).

mod support;

use support::report_file as file;

use serde_json::{json, Value};
use support::TestDb;

/// (variant, records, inserted, duplicate, rejected) of a file in the report.
fn outcome(report: &Value, suffix: &str) -> (String, i64, i64, i64, i64) {
    let f = file(report, suffix);
    let n = |k: &str| f[k].as_i64().unwrap_or(-1);
    (
        f["variant"].as_str().unwrap_or("").to_owned(),
        n("records"),
        n("inserted"),
        n("duplicate"),
        n("rejected"),
    )
}

fn o(variant: &str, r: i64, i: i64, d: i64, x: i64) -> (String, i64, i64, i64, i64) {
    (variant.to_owned(), r, i, d, x)
}

#[tokio::test]
async fn prompt_csv_variants_are_read_and_deduplicated_by_exact_text() {
    let db = TestDb::initialised().await;
    let (out, report) = db.import(&["fixtures/prompts_csv"], &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        outcome(&report, "bom_crlf_inside_prompt.csv"),
        o("standard bom", 1, 1, 0, 0)
    );
    assert_eq!(
        outcome(&report, "expected_json_spellings.csv"),
        o("standard", 6, 4, 0, 2)
    );
    assert_eq!(
        outcome(&report, "no_prompt_id.csv"),
        o("no_prompt_id", 2, 2, 0, 0)
    );
    // P1 is new; P2 repeats no_prompt_id.csv, the CRLF prompt repeats the BOM file.
    assert_eq!(outcome(&report, "standard.csv"), o("standard", 3, 1, 2, 0));
    assert_eq!(
        outcome(&report, "upper_header_extra_columns.csv"),
        o("no_prompt_id PROMPT_header extra_columns", 1, 1, 0, 0)
    );
    assert_eq!(db.count("prompts").await, 9);
    let rejects: Vec<(i64, i64, &str)> = report["rejects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["line"].as_i64().unwrap(),
                r["column"].as_i64().unwrap(),
                r["field"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(rejects, vec![(6, 3, "expected_json"), (7, 2, "prompt")]);
    let flags = db
        .text(
            "SELECT string_agg(prompt_text || '=' || expected_json || '/' || (metadata->>'expected_json_inferred'), ', ' ORDER BY prompt_text) \
             FROM prompts WHERE prompt_text LIKE 'Valve %'",
        )
        .await;
    assert_eq!(
        flags.as_deref(),
        Some("Valve A=true/false, Valve B=false/false, Valve C=true/false, Valve D=false/false"),
        "a blank is FALSE"
    );
    let crlf = db
        .text("SELECT (strpos(prompt_text, E'\\r\\n') > 0)::text || ' ' || (tags::text) FROM prompts WHERE source_file_name = 'bom_crlf_inside_prompt.csv'")
        .await;
    assert_eq!(
        crlf.as_deref(),
        Some("true {converse}"),
        "CRLF inside the prompt kept, BOM stripped"
    );
    let assigned = db
        .text("SELECT metadata->>'legacy_prompt_id' || ' ' || (metadata->>'legacy_prompt_id_assigned') FROM prompts WHERE prompt_text LIKE 'Check the coolant%'")
        .await;
    assert_eq!(
        assigned.as_deref(),
        Some("2 true"),
        "ids 1..N like load_prompts"
    );
    let extras = db
        .text("SELECT (metadata->'extra_columns')::text FROM prompts WHERE prompt_text LIKE 'Grease%'")
        .await;
    assert_eq!(
        extras.as_deref(),
        Some(r#"{"site": "plant 2", "owner": "night shift"}"#)
    );
}

#[tokio::test]
async fn prompt_json_jsonl_and_text_files_become_prompts() {
    let db = TestDb::initialised().await;
    let (out, report) = db.import(&["fixtures/prompts_json"], &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(outcome(&report, "array.json"), o("json_array", 2, 2, 0, 0));
    assert_eq!(
        outcome(&report, "maintenance_prompts.txt"),
        o("txt", 2, 2, 0, 0)
    );
    assert_eq!(outcome(&report, "prompts.jsonl"), o("jsonl", 2, 1, 1, 0));
    assert_eq!(
        outcome(&report, "prompts_object.json"),
        o("prompts_object", 2, 0, 1, 1)
    );
    assert_eq!(db.count("prompts").await, 5);
    let coolant = db
        .text("SELECT source_type || ' ' || expected_json || ' ' || (metadata->>'expected_json_inferred') || ' ' || (metadata->>'legacy_prompt_id') FROM prompts WHERE prompt_text = 'Check the coolant level of chiller H-4.'")
        .await;
    assert_eq!(coolant.as_deref(), Some("json false false 7"));
    let txt = db
        .text("SELECT metadata->'source'->>'line' FROM prompts WHERE prompt_text = E'Inspect the conveyor belt tension.\\nRecord the reading.'")
        .await;
    assert_eq!(
        txt.as_deref(),
        Some("4"),
        "blank-line separated blocks, each starting where it starts"
    );
}

#[tokio::test]
async fn every_bedrock_log_shape_becomes_log_entries_with_real_counts() {
    let db = TestDb::initialised().await;
    let (out, report) = db.import(&["fixtures/bedrock_log"], &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        outcome(&report, "cloudtrail_events.json"),
        o("cloudtrail_records", 2, 2, 0, 0)
    );
    assert_eq!(
        outcome(&report, "cloudwatch_export.jsonl"),
        o("jsonl", 3, 3, 0, 0)
    );
    assert_eq!(
        outcome(&report, "pretty_printed.json"),
        o("pretty_json", 1, 1, 0, 0)
    );
    assert_eq!(
        outcome(&report, "single_line_array.json"),
        o("json_array", 2, 2, 0, 0)
    );
    assert_eq!(
        outcome(&report, "single_object.json"),
        o("json_object", 1, 1, 0, 0)
    );
    assert_eq!(
        outcome(&report, "string_bodies.jsonl"),
        o("json_object", 1, 1, 0, 0)
    );
    assert_eq!(db.count("cloudwatch_log_entries").await, 10);
    assert_eq!(db.count("prompts").await, 3, "P2, P3 and P4, each once");
    assert_eq!(
        db.count("models").await,
        5,
        "one model per Bedrock id, named from the id"
    );
    let client = db.client().await;
    let rows = client
        .query(
            "SELECT log_file_name || '#' || log_entry_number, event_name, to_char(event_time AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS'), \
                    model_id, model_name, region, input_tokens, output_tokens, latency_ms::text, parsed, metadata->>'shape' \
             FROM cloudwatch_log_entries ORDER BY log_file_name, log_entry_number, event_time",
            &[],
        )
        .await
        .unwrap();
    let got: Vec<String> = rows
        .iter()
        .map(|r| {
            format!(
                "{} {:?} {:?} {:?} {:?} {:?} {:?}/{:?} {:?} {} {:?}",
                r.get::<_, String>(0),
                r.get::<_, Option<String>>(1),
                r.get::<_, Option<String>>(2),
                r.get::<_, Option<String>>(3),
                r.get::<_, Option<String>>(4),
                r.get::<_, Option<String>>(5),
                r.get::<_, Option<i32>>(6),
                r.get::<_, Option<i32>>(7),
                r.get::<_, Option<String>>(8),
                r.get::<_, bool>(9),
                r.get::<_, Option<String>>(10),
            )
        })
        .collect();
    assert_eq!(got.len(), 10);
    assert_eq!(
        got[0],
        r#"cloudtrail_events.json#1 Some("InvokeModel") Some("2025-11-09T11:00:00") Some("amazon.titan-text-premier-v1") Some("titan-text-premier") Some("us-east-1") Some(9)/Some(14) None true Some("cloudtrail")"#
    );
    assert_eq!(
        got[1],
        r#"cloudtrail_events.json#1 Some("Converse") Some("2025-11-09T11:05:00") Some("anthropic.claude-3-sonnet-20240229-v1:0") Some("claude-3-sonnet-20240229") Some("us-east-1") None/None None true Some("cloudtrail")"#
    );
    assert_eq!(
        got[2],
        r#"cloudwatch_export.jsonl#1 Some("Converse") Some("2025-11-09T10:00:00") Some("us.meta.llama4-maverick-17b-instruct-v1:0") Some("llama4-maverick-17b-instruct") Some("us-east-2") Some(30)/Some(12) Some("500.00") true Some("cloudwatch_export")"#
    );
    assert_eq!(
        got[4],
        r#"cloudwatch_export.jsonl#3 None None None None None None/None None false None"#
    );
    assert_eq!(
        got[8],
        r#"single_object.json#1 Some("InvokeModel") Some("2025-11-09T14:00:00") Some("meta.llama3-70b-instruct-v1:0") Some("llama3-70b-instruct") Some("us-east-1") Some(15)/Some(6) None true Some("invocation_log")"#
    );
    assert_eq!(
        got[9],
        r#"string_bodies.jsonl#1 Some("Converse") Some("2025-11-09T12:00:00") Some("us.anthropic.claude-3-7-sonnet-20250219-v1:0") Some("claude-3-7-sonnet-20250219") Some("us-east-2") Some(50)/Some(20) Some("700.00") true Some("invocation_log")"#
    );
    let broken = db
        .text("SELECT (raw_log_data ? 'logStreamName')::text || ' ' || (raw_log_data ? 'message')::text || ' ' || parse_error FROM cloudwatch_log_entries WHERE NOT parsed")
        .await;
    assert_eq!(
        broken.as_deref(),
        Some("true false the CloudWatch message is not JSON"),
        "the wrapper is kept, the text only in metadata"
    );
    let linked = db
        .text("SELECT count(*)::text FROM cloudwatch_log_entries c JOIN prompts p ON p.id::text = c.metadata->>'prompt_id'")
        .await;
    assert_eq!(
        linked.as_deref(),
        Some("8"),
        "every entry with a user prompt names it"
    );
}

async fn pricing_rows(db: &TestDb) -> Vec<String> {
    db.client()
        .await
        .query(
            "SELECT m.name || ' ' || p.input_per_1k_tokens_usd || '/' || p.output_per_1k_tokens_usd || ' ' \
                    || to_char(p.effective_from AT TIME ZONE 'UTC', 'MM-DD') || '..' \
                    || COALESCE(to_char(p.effective_to AT TIME ZONE 'UTC', 'MM-DD'), 'now') \
             FROM model_pricing p JOIN models m ON m.id = p.model_id \
             UNION ALL \
             SELECT m.name || ' params ' || g.max_tokens || '/' || g.temperature || '/' || COALESCE(g.top_p::text, 'null') || ' ' \
                    || to_char(g.effective_from AT TIME ZONE 'UTC', 'MM-DD') || '..' \
                    || COALESCE(to_char(g.effective_to AT TIME ZONE 'UTC', 'MM-DD'), 'now') \
             FROM model_generation_params g JOIN models m ON m.id = g.model_id ORDER BY 1",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect()
}

#[tokio::test]
async fn price_history_is_the_same_whichever_order_the_versions_arrive_in() {
    let expected = vec![
        "Claude 3.5 Sonnet 0.003000/0.015000 11-03..now",
        "Claude 3.5 Sonnet params 1500/0.70/0.95 11-05..now",
        "Claude 3.5 Sonnet params 512/0.20/0.95 11-03..11-05",
        "Llama 3.1 70B Instruct 0.000650/0.000850 11-05..now",
        "Llama 3.1 70B Instruct 0.002000/0.002500 11-03..11-05",
        "Llama 3.1 70B Instruct params 1500/0.70/0.95 11-05..now",
        "Llama 3.1 70B Instruct params 512/0.20/0.90 11-03..11-05",
    ];
    let together = TestDb::initialised().await;
    let (out, _) = together.import(&["fixtures/models_yaml"], &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(pricing_rows(&together).await, expected);

    let apart = TestDb::initialised().await;
    let (first, _) = apart.import(&["fixtures/models_yaml/models.2025-11-05.yaml"], &[]);
    assert_eq!(first.code, 0, "{}", first.stderr);
    let (second, report) = apart.import(&["fixtures/models_yaml/models.2025-11-03.yaml"], &[]);
    assert_eq!(second.code, 0, "{}", second.stderr);
    assert_eq!(pricing_rows(&apart).await, expected);
    // The older version adds Llama's first price and Claude's first params; Claude's price row from
    // 11-05 (same price) is moved back to 11-03 instead of duplicated.
    assert_eq!(
        report["tables"]["model_pricing"],
        json!({"inserted": 1, "duplicate": 0, "rejected": 0, "updated": 1})
    );
    let current = apart
        .text("SELECT input_per_1k_tokens_usd::text FROM v_current_model_pricing WHERE model_name = 'Llama 3.1 70B Instruct'")
        .await;
    assert_eq!(current.as_deref(), Some("0.000650"));
    let claude = apart
        .text("SELECT bedrock_model_id || ' ' || jsonb_array_length(metadata->'bedrock_model_id_history') FROM models WHERE name = 'Claude 3.5 Sonnet'")
        .await;
    assert_eq!(
        claude.as_deref(),
        Some("us.anthropic.claude-3-5-sonnet-20241022-v2:0 2"),
        "the latest version's id wins"
    );
    assert_eq!(apart.count("models").await, 2);
}

#[tokio::test]
async fn config_py_models_prices_and_settings_are_loaded() {
    let db = TestDb::initialised().await;
    let (out, report) = db.import(&["fixtures/config_py"], &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        outcome(&report, "config.2025-10-31.py"),
        o("python_dicts", 2, 2, 0, 0)
    );
    assert_eq!(
        pricing_rows(&db).await,
        vec![
            "Claude 3.7 Sonnet 0.008000/0.024000 10-31..now",
            "Claude 3.7 Sonnet params 1500/0.70/null 10-31..now",
            "Llama 3.2 11B Instruct 0.000600/0.000800 10-31..now",
            "Llama 3.2 11B Instruct params 1500/0.70/null 10-31..now",
        ],
        "prices from PRICING and EVAL_SETTINGS (no top_p), dated by the file name"
    );
    let models = db
        .text("SELECT string_agg(m.name || ' ' || p.name || ' ' || (m.metadata->>'config_py_keys') || ' ' || m.is_active, ', ' ORDER BY m.name) FROM models m JOIN model_providers p ON p.id = m.provider_id")
        .await;
    assert_eq!(
        models.as_deref(),
        Some(
            r#"Claude 3.7 Sonnet anthropic ["claude-sonnet"] false, Llama 3.2 11B Instruct meta ["llama-3-2-11b"] false"#
        )
    );
}

#[tokio::test]
async fn users_that_conflict_with_existing_ones_are_reported_not_overwritten() {
    let db = TestDb::initialised().await;
    db.insert_users_that_conflict_with_the_fixture().await;
    let rejects = tempfile::NamedTempFile::new().unwrap();
    let rejects_path = rejects.path().display().to_string();
    let (out, report) = db.import(&["fixtures/users_json"], &["--rejects", &rejects_path]);
    assert_eq!(
        out.code, 0,
        "conflicts alone do not fail a run: {}",
        out.stderr
    );
    assert_eq!(outcome(&report, "users.json"), o("auth_v01", 2, 0, 0, 2));
    assert_eq!(report["tables"]["users"]["rejected"], 2);
    let reasons: Vec<(i64, String)> = report["rejects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["line"].as_i64().unwrap(),
                r["field"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        reasons,
        vec![(2, "email".to_owned()), (8, "username".to_owned())]
    );
    let mut csv = csv::Reader::from_path(rejects.path()).unwrap();
    assert_eq!(
        csv.records().count(),
        2,
        "the --rejects file lists transform rejects too"
    );
    let kept = db
        .text("SELECT string_agg(username || ':' || password_hash, ', ' ORDER BY username) FROM users")
        .await;
    assert_eq!(kept.as_deref(), Some("annie:db-era-hash, bob:db-era-hash"));
}

#[tokio::test]
async fn reimporting_users_finds_them_as_duplicates() {
    let db = TestDb::initialised().await;
    let (first, report) = db.import(&["fixtures/users_json"], &[]);
    assert_eq!(first.code, 0, "{}", first.stderr);
    assert_eq!(outcome(&report, "users.json"), o("auth_v01", 2, 2, 0, 0));
    let utc = db
        .text("SELECT to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US') FROM users WHERE username = 'ann'")
        .await;
    assert_eq!(
        utc.as_deref(),
        Some("2025-11-21T18:02:11.123456"),
        "naive times read in the default UTC"
    );
    let (second, report) = db.import(&["fixtures/users_json"], &[]);
    assert_eq!(second.code, 0, "{}", second.stderr);
    assert_eq!(outcome(&report, "users.json"), o("auth_v01", 2, 0, 2, 0));
    assert_eq!(db.count("users").await, 2);
}
