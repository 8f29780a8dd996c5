//! End-to-end: damaged and hostile records are rejects, never a failed import, a partial row or a
//! crash (issue 11, cases 4 to 6). A NUL byte in a text field, a record cut inside its quoted field,
//! a YAML cut short, a config.py or YAML nested thousands deep: each is a reject naming its file,
//! line and column, and every other row lands. Numeric flags out of range are usage errors. The
//! files are written by each test into a temp dir; a marker word planted in their text must never
//! show up in the output, the reports, the rejects file or the server's log.

mod support;

use serde_json::Value;
use std::path::Path;
use support::{check, cluster, TestDb};

/// Planted in every text field of these tests; never to be seen outside the database.
const MARKER: &str = "QUOKKAMARKER";

const RAW_HEADER: &str = "timestamp,run_id,model_name,model_id,prompt_id,input_tokens,output_tokens,\
latency_ms,json_valid,error,status,cost_usd_input,cost_usd_output,cost_usd_total,input_prompt,response\n";

/// A raw-metrics (R16) record `i` with `response` as its quoted last field and `end` after it.
fn raw_row(i: usize, response: &str, end: &str) -> String {
    format!(
        "2025-11-20T04:4{i}:10.250000Z,run_20251120_101500,Claude 3.7 Sonnet,\
         us.anthropic.claude-3-7-sonnet-20250219-v1:0,{i},64,71,3120,True,,success,0.000512,\
         0.001704,0.002216,\"Summarise pump log {i} for {MARKER} as JSON.\",\"{response}{end}"
    )
}

fn good_response(i: usize) -> String {
    format!("{{\"\"pump\"\": \"\"P-{i}\"\", \"\"note\"\": \"\"{MARKER} nominal\"\"}}")
}

/// A good prompt CSV beside the damaged files: its rows must land whatever happens to the others.
fn write_prompts(dir: &Path) {
    let text = format!(
        "prompt_id,prompt,expected_json,category\n\
         1,\"List the valves of line 3 ({MARKER}).\",False,converse\n\
         2,\"Check chiller H-4 for {MARKER}.\",True,converse\n"
    );
    std::fs::write(dir.join("prompts.csv"), text).unwrap();
}

/// Runs an import of `dir` with every output written, returning the run, the JSON report and
/// everything the run wrote (stdout, stderr, both reports, the rejects file).
fn import_all(db: &TestDb, dir: &Path, extra: &[&str]) -> (support::RunOutput, Value, String) {
    let out_dir = tempfile::tempdir().unwrap();
    let report = out_dir.path().join("report.json");
    let md = out_dir.path().join("report.md");
    let rejects = out_dir.path().join("rejects.csv");
    let mut args = vec![
        "import".to_owned(),
        "--quiet".to_owned(),
        "--report".to_owned(),
        report.display().to_string(),
        "--report-md".to_owned(),
        md.display().to_string(),
        "--rejects".to_owned(),
        rejects.display().to_string(),
        dir.display().to_string(),
    ];
    args.extend(extra.iter().map(|s| (*s).to_owned()));
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = db.run(&refs);
    let read = |p: &Path| std::fs::read_to_string(p).unwrap_or_default();
    let json: Value = serde_json::from_str(&read(&report)).unwrap_or(Value::Null);
    let everything = format!(
        "{}\n{}\n{}\n{}\n{}",
        out.stdout,
        out.stderr,
        read(&report),
        read(&md),
        read(&rejects)
    );
    (out, json, everything)
}

/// The marker appears nowhere the run wrote, nor in the test cluster's server log.
fn assert_no_marker(everything: &str) {
    assert!(
        !everything.contains(MARKER),
        "legacy text leaked into the output:\n{everything}"
    );
    let log = std::fs::read(cluster().log_path()).unwrap_or_default();
    assert!(
        !log.is_empty(),
        "the test cluster writes its log to server.log"
    );
    assert!(
        !String::from_utf8_lossy(&log).contains(MARKER),
        "legacy text reached the server's log"
    );
}

/// The rejects of `file_name`, as (line, column, field, reason).
fn rejects_of(report: &Value, file_name: &str) -> Vec<(u64, Option<u64>, String, String)> {
    report["rejects"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["file"].as_str().is_some_and(|f| f.ends_with(file_name)))
        .map(|r| {
            (
                r["line"].as_u64().unwrap(),
                r["column"].as_u64(),
                r["field"].as_str().unwrap_or_default().to_owned(),
                r["reason"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

fn assert_accounted(report: &Value) {
    let a = &report["accounted"];
    let total: u64 = ["inserted", "duplicate", "rejected"]
        .iter()
        .map(|k| a[k].as_u64().unwrap())
        .sum();
    assert_eq!(total, report["source_records"].as_u64().unwrap(), "{a}");
}

async fn count(db: &TestDb, query: &str) -> i64 {
    db.client()
        .await
        .query_one(query, &[])
        .await
        .unwrap()
        .get(0)
}

#[tokio::test]
async fn a_nul_byte_in_a_text_field_rejects_its_row_and_every_other_row_lands() {
    let db = TestDb::initialised().await;
    let dir = tempfile::tempdir().unwrap();
    let raw = format!(
        "{RAW_HEADER}{}\n{}\n{}\n",
        raw_row(1, &good_response(1), "\""),
        raw_row(2, &format!("the {MARKER} reply\0 went on"), "\""),
        raw_row(3, &good_response(3), "\""),
    );
    std::fs::write(dir.path().join("raw_metrics.csv"), raw).unwrap();
    write_prompts(dir.path());
    // A NUL in a prompt CSV's prompt and one in its category: two rejects. (Invalid UTF-8 in the
    // first MiB decides how a CSV is classified, issue 11 case 2; the readers' rejects of it are
    // unit-tested in src/read/csv_rows.rs.)
    std::fs::write(
        dir.path().join("more_prompts.csv"),
        format!(
            "prompt_id,prompt,expected_json,category\n\
             7,\"Inspect {MARKER}\0 valve.\",False,x\n\
             8,Read gauge G-1.,True,conv\0rse\n\
             9,Read gauge G-2 for {MARKER}.,True,converse\n"
        ),
    )
    .unwrap();
    let (out, report, everything) = import_all(&db, dir.path(), &[]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    let raw_rejects = rejects_of(&report, "raw_metrics.csv");
    assert_eq!(raw_rejects.len(), 1, "{raw_rejects:?}");
    let (line, column, _, reason) = &raw_rejects[0];
    assert_eq!((*line, *column), (3, Some(16)));
    assert!(reason.contains("NUL byte"), "{reason}");
    let prompt_rejects = rejects_of(&report, "more_prompts.csv");
    assert_eq!(prompt_rejects.len(), 2, "{prompt_rejects:?}");
    assert_eq!(
        (prompt_rejects[0].0, prompt_rejects[0].1),
        (2, Some(2)),
        "{prompt_rejects:?}"
    );
    assert_eq!(prompt_rejects[0].2, "prompt");
    assert!(prompt_rejects[0].3.contains("NUL byte"));
    assert_eq!((prompt_rejects[1].0, prompt_rejects[1].1), (3, Some(4)));
    assert_eq!(prompt_rejects[1].2, "category");
    assert_eq!(
        count(&db, "SELECT count(*) FROM evaluation_metrics").await,
        2
    );
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM prompts WHERE prompt_text IN \
             ('List the valves of line 3 (QUOKKAMARKER).', 'Check chiller H-4 for QUOKKAMARKER.', \
              'Read gauge G-2 for QUOKKAMARKER.')"
        )
        .await,
        3
    );
    assert_accounted(&report);
    assert_no_marker(&everything);
}

#[tokio::test]
async fn the_stage_refuses_a_nul_that_a_reader_let_through_naming_file_line_and_column() {
    use bellatrix_migrate::error::Error;
    use bellatrix_migrate::model::PromptRecord;
    use bellatrix_migrate::stage::{copy_rows, FileNames};
    let db = TestDb::initialised().await;
    let config: tokio_postgres::Config = db.url.parse().unwrap();
    let manager = deadpool_postgres::Manager::new(config, tokio_postgres::NoTls);
    let pool = deadpool_postgres::Pool::builder(manager)
        .max_size(1)
        .build()
        .unwrap();
    let (tx, rx) = flume::bounded(2);
    let record = |line, text: String| {
        PromptRecord::new(
            7,
            line,
            bellatrix_migrate::model::Kind::PromptsJson,
            text,
            None,
            serde_json::json!({}),
        )
    };
    tx.send(vec![
        record(2, format!("a whole prompt about {MARKER}")),
        record(5, format!("a prompt with {MARKER}\0 inside")),
    ])
    .unwrap();
    drop(tx);
    let names: FileNames = std::sync::Arc::new([(7, "in/prompts.json".to_owned())].into());
    let err = copy_rows(pool, rx, names).await.unwrap_err();
    assert!(matches!(err, Error::NulInText { line: 5, .. }), "{err:?}");
    let message = format!("{err:#}");
    assert!(
        message.starts_with(
            "in/prompts.json line 5: the prompt_text value for stage_prompts holds a NUL byte"
        ),
        "{message}"
    );
    assert_eq!(
        count(&db, "SELECT count(*) FROM bellatrix_migrate.stage_prompts").await,
        0,
        "the abandoned COPY left no row"
    );
    assert_no_marker(&message);
}

#[tokio::test]
async fn a_record_cut_inside_its_quoted_field_is_a_reject_and_the_rows_before_it_land() {
    let db = TestDb::initialised().await;
    let dir = tempfile::tempdir().unwrap();
    // The file ends inside the last record's quoted response: one byte short of its closing quote.
    let raw = format!(
        "{RAW_HEADER}{}\n{}\n{}",
        raw_row(1, &good_response(1), "\""),
        raw_row(2, &good_response(2), "\""),
        raw_row(3, &good_response(3), ""),
    );
    std::fs::write(dir.path().join("raw_metrics.csv"), raw).unwrap();
    // A download whose last record ends with its line ending is whole.
    let other_run = |row: String| row.replace("run_20251120_101500", "run_20251120_111500");
    let whole = format!(
        "{RAW_HEADER}{}\n",
        other_run(raw_row(5, &good_response(5), "\""))
    );
    std::fs::write(dir.path().join("raw_metrics_20251121_000000.csv"), whole).unwrap();
    // Unquoted, cut inside its last field: no quote tells, but every raw-metrics writer ended each
    // record with a line ending, so the missing one does.
    let unquoted = format!(
        "{RAW_HEADER}{}\n{}",
        other_run(raw_row(6, &good_response(6), "\"")),
        other_run(raw_row(7, "", "\"")).replace(",\"\"", &format!(",the {MARKER} repl"))
    );
    std::fs::write(dir.path().join("raw_metrics_20251122_000000.csv"), unquoted).unwrap();
    write_prompts(dir.path());
    std::fs::write(
        dir.path().join("cut_prompts.csv"),
        format!("prompt_id,prompt,expected_json,category\n5,\"Drain tank T-2 ({MARKER}).\",False,x\n6,\"Vent the {MARKER} li"),
    )
    .unwrap();
    let models = format!(
        "region_name: us-east-2\nmodels:\n  - name: Claude 3.5 Sonnet\n    provider: anthropic\n    \
         bedrock_model_id: us.anthropic.claude-3-5-sonnet-20241022-v2:0\n  - name: Llama {MARKER}\n    \
         provider: meta\n    pricing:\n"
    );
    std::fs::write(dir.path().join("models.2025-11-05.yaml"), models).unwrap();
    let (out, report, everything) = import_all(&db, dir.path(), &[]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    let cut = rejects_of(&report, "/raw_metrics.csv");
    assert_eq!(cut.len(), 1, "{cut:?}");
    assert_eq!((cut[0].0, cut[0].1), (4, Some(16)));
    assert!(cut[0].3.contains("cut short"), "{}", cut[0].3);
    assert!(rejects_of(&report, "raw_metrics_20251121_000000.csv").is_empty());
    let unquoted = rejects_of(&report, "raw_metrics_20251122_000000.csv");
    assert_eq!(unquoted.len(), 1, "{unquoted:?}");
    assert_eq!((unquoted[0].0, unquoted[0].1), (3, Some(16)));
    assert!(
        unquoted[0].3.contains("without the line ending"),
        "{}",
        unquoted[0].3
    );
    let prompts = rejects_of(&report, "cut_prompts.csv");
    assert_eq!(prompts.len(), 1, "{prompts:?}");
    assert_eq!((prompts[0].0, prompts[0].1), (3, Some(2)));
    let yaml = rejects_of(&report, "models.2025-11-05.yaml");
    assert_eq!(yaml.len(), 1, "{yaml:?}");
    assert_eq!(yaml[0].0, 6);
    assert!(yaml[0].3.contains("cut short"), "{}", yaml[0].3);
    assert_eq!(
        count(&db, "SELECT count(*) FROM evaluation_metrics").await,
        4,
        "the two whole rows of raw_metrics.csv and one of each download"
    );
    assert_eq!(
        count(&db, "SELECT count(*) FROM models WHERE name LIKE 'Llama%'").await,
        0
    );
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM models WHERE name = 'Claude 3.5 Sonnet'"
        )
        .await,
        1
    );
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM prompts WHERE prompt_text LIKE 'Vent the%'"
        )
        .await,
        0
    );
    assert_eq!(check(&report, "text_fidelity")["ok"], true, "{report}");
    assert_accounted(&report);
    assert_no_marker(&everything);
}

#[tokio::test]
async fn nesting_thousands_deep_is_a_reject_with_a_report_not_a_crash() {
    let db = TestDb::initialised().await;
    let dir = tempfile::tempdir().unwrap();
    let deep = 10_000;
    std::fs::write(
        dir.path().join("config.py"),
        format!(
            "MODELS = {{\n    'claude': {{'model_id': 'x', 'name': '{MARKER}', 'deep': {}{}}},\n}}\n\
             EVAL_SETTINGS = {{'max_tokens': 100}}\n",
            "[".repeat(deep),
            "]".repeat(deep)
        ),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("models.2025-11-05.yaml"),
        format!(
            "models:\n  - name: {MARKER}\n    deep: {}{}\n",
            "[".repeat(deep),
            "]".repeat(deep)
        ),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("prompts.json"),
        format!(
            "{{\"prompts\": [\"{MARKER}\", {}{}]}}",
            "[".repeat(deep),
            "]".repeat(deep)
        ),
    )
    .unwrap();
    write_prompts(dir.path());
    let (out, report, everything) = import_all(&db, dir.path(), &[]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    let py = rejects_of(&report, "config.py");
    assert_eq!(py.len(), 1, "{py:?}");
    assert_eq!(py[0].0, 2);
    assert!(
        py[0].3.contains("nested deeper than 100 levels"),
        "{}",
        py[0].3
    );
    // Dicts count: MODELS and its entry are 2 of the 100 levels, so the 99th bracket is refused.
    assert!(py[0].3.contains("column 163"), "{}", py[0].3);
    // The YAML and JSON files are read or skipped, never a crash: yaml_serde and serde_json stop
    // at 128 levels. A models.yaml the reader got is one reject.
    let listed = |name: &str| {
        report["files"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["path"].as_str().is_some_and(|p| p.ends_with(name)))
            .cloned()
            .unwrap_or_else(|| panic!("{name} is not in the report"))
    };
    assert_eq!(listed("config.py")["kind"], "config_py");
    if listed("models.2025-11-05.yaml")["kind"] == "models_yaml" {
        assert_eq!(rejects_of(&report, "models.2025-11-05.yaml").len(), 1);
    }
    listed("prompts.json");
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM prompts WHERE prompt_text IN \
             ('List the valves of line 3 (QUOKKAMARKER).', 'Check chiller H-4 for QUOKKAMARKER.')"
        )
        .await,
        2
    );
    assert_accounted(&report);
    assert_no_marker(&everything);

    let again = TestDb::initialised().await;
    let (out, report, everything) = import_all(&again, dir.path(), &["--max-rejects", "0"]);
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    assert!(report["outcome"]
        .as_str()
        .is_some_and(|o| o.starts_with("rolled back")));
    assert_no_marker(&everything);
}

#[tokio::test]
async fn numeric_flags_out_of_range_are_usage_errors_naming_the_flag_and_the_range() {
    let db = TestDb::new().await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().display().to_string();
    for (args, flag, range) in [
        (
            vec!["import", "--jobs", "20000", &path],
            "--jobs",
            "1..=256",
        ),
        (vec!["import", "--jobs", "0", &path], "--jobs", "1..=256"),
        (
            vec!["import", "--bulk-threshold", "18446744073709551615", &path],
            "--bulk-threshold",
            "0..=9223372036854775807",
        ),
        (
            vec!["import", "--max-rejects", "18446744073709551615", &path],
            "--max-rejects",
            "0..=9223372036854775807",
        ),
        (
            vec!["import", "--lock-timeout", "30d", &path],
            "--lock-timeout",
            "at most 24days",
        ),
        (
            vec!["verify", "--sample", "18446744073709551615"],
            "--sample",
            "0..=9223372036854775807",
        ),
        (
            vec!["generate", "--out", &path, "--rows", "18446744073709551615"],
            "--rows",
            "0..=1000000000",
        ),
    ] {
        let out = db.run(&args);
        assert_eq!(out.code, 2, "{args:?}: {}{}", out.stdout, out.stderr);
        assert!(
            out.stderr.contains(flag) && out.stderr.contains(range),
            "{args:?}: {}",
            out.stderr
        );
        assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
    }
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "nothing was generated"
    );
}
