//! End-to-end: configuration history (models.yaml versions and the root-era config.py) is dated by
//! the data, not by how the folder was copied or the order its files were imported in
//! (docs/decisions.md, "Configuration history"). Expected rows come from reading
//! fixtures/legacy_app/configs by hand.

mod support;

use std::path::Path;
use support::{copy_fixture, legacy_app_copy, set_mtime, TestDb};

/// Every price and parameter row with its model and exact dates, and every configured model's
/// attributes and metadata (without the provenance keys `source` and `created_from`), sorted.
async fn history(db: &TestDb) -> Vec<String> {
    db.client()
        .await
        .query(
            "SELECT m.name || ' price ' || p.input_per_1k_tokens_usd || '/' || p.output_per_1k_tokens_usd || ' ' \
                    || p.effective_from || '..' || COALESCE(p.effective_to::text, 'now') \
             FROM model_pricing p JOIN models m ON m.id = p.model_id \
             UNION ALL \
             SELECT m.name || ' params ' || COALESCE(g.max_tokens::text, 'null') || '/' \
                    || COALESCE(g.temperature::text, 'null') || '/' || COALESCE(g.top_p::text, 'null') || ' ' \
                    || g.effective_from || '..' || COALESCE(g.effective_to::text, 'now') \
             FROM model_generation_params g JOIN models m ON m.id = g.model_id \
             UNION ALL \
             SELECT m.name || ' model ' || pr.name || ' ' || COALESCE(m.bedrock_model_id, '-') || ' ' \
                    || COALESCE(m.tokenizer_type, '-') || ' ' || COALESCE(m.region_name, '-') || ' ' \
                    || m.use_inference_profile || ' active=' || m.is_active || ' ' \
                    || (m.metadata - 'source' - 'created_from')::text \
             FROM models m JOIN model_providers pr ON pr.id = m.provider_id \
             ORDER BY 1",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect()
}

fn imported(db: &TestDb, paths: &[&Path], extra: &[&str]) -> serde_json::Value {
    let (out, report) = db.import_paths(paths, extra);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    report
}

/// The entry of the report's files whose path ends with `suffix`.
fn file<'a>(report: &'a serde_json::Value, suffix: &str) -> &'a serde_json::Value {
    support::report_file(report, suffix)
}

#[tokio::test]
async fn models_yaml_versions_imported_one_by_one_newest_first_equal_importing_them_together() {
    let dir = legacy_app_copy();
    let configs = dir.path().join("configs");
    let together = TestDb::initialised().await;
    imported(&together, &[&configs], &[]);
    let expected = history(&together).await;

    let apart = TestDb::initialised().await;
    for name in [
        "models.yaml",
        "models.2025-11-06.yaml",
        "models.2025-11-05.yaml",
        "models.2025-11-03.yaml",
        "models.2025-10-31.yaml",
    ] {
        imported(&apart, &[&configs.join(name)], &[]);
    }
    assert_eq!(history(&apart).await, expected);
    // Re-running the folder changes nothing.
    let again = imported(&apart, &[&configs], &[]);
    for t in ["models", "model_pricing", "model_generation_params"] {
        assert_eq!(again["tables"][t]["updated"], 0, "{t}");
        assert_eq!(again["tables"][t]["inserted"], 0, "{t}");
    }
    assert_eq!(history(&apart).await, expected);
}

#[tokio::test]
async fn a_copy_with_fresh_modification_times_is_named_and_a_given_date_restores_the_history() {
    let reference = TestDb::initialised().await;
    let dated = legacy_app_copy();
    imported(&reference, &[dated.path()], &[]);
    let expected = history(&reference).await;

    // A plain copy: the undated files carry the copy's time.
    let copy = copy_fixture("fixtures/legacy_app");
    let db = TestDb::initialised().await;
    let (out, report) = db.import_paths(&[copy.path()], &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    for suffix in ["configs/models.yaml", "config.py"] {
        assert_eq!(
            file(&report, suffix)["version"]["dated_by"],
            "modification_time",
            "{suffix}"
        );
    }
    assert_eq!(
        file(&report, "models.2025-11-06.yaml")["version"],
        serde_json::json!({"at": "2025-11-06T00:00:00Z", "dated_by": "file_name"})
    );
    assert!(
        out.stdout
            .contains("configuration versions dated by their modification time (2)"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("--config-date "), "{}", out.stdout);
    // Even so, config.py (root era) is never newer than a models.yaml version.
    let newer = db
        .text(
            "SELECT count(*)::text FROM model_generation_params \
             WHERE top_p IS NULL AND (effective_to IS NULL OR effective_to > '2025-11-06T00:00:00Z')",
        )
        .await;
    assert_eq!(newer.as_deref(), Some("0"), "config.py params end at 11-06");

    // The same copy, with the HEAD's date given (relative to the folder imported).
    let fresh = copy_fixture("fixtures/legacy_app");
    let given = TestDb::initialised().await;
    let (out, report) = given.import_paths(
        &[fresh.path()],
        &["--config-date", "configs/models.yaml=2025-11-19T20:44:00Z"],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        file(&report, "configs/models.yaml")["version"],
        serde_json::json!({"at": "2025-11-19T20:44:00Z", "dated_by": "given"})
    );
    assert_eq!(history(&given).await, expected);
    let config_py_start = given
        .text(
            "SELECT min(g.effective_from)::text FROM model_generation_params g \
             JOIN models m ON m.id = g.model_id WHERE m.name = 'Claude 3.7 Sonnet'",
        )
        .await;
    assert_eq!(
        config_py_start.as_deref(),
        Some("2025-10-31 00:00:00+00"),
        "config.py's era begins no later than the earliest models.yaml version"
    );
}

#[tokio::test]
async fn a_config_date_for_a_file_that_is_not_a_configuration_file_is_a_usage_error() {
    let dir = legacy_app_copy();
    let db = TestDb::initialised().await;
    let (out, _) = db.import_paths(
        &[&dir.path().join("configs")],
        &["--config-date", "configs/model.yaml=2025-11-19"],
    );
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr.contains("--config-date configs/model.yaml"),
        "{}",
        out.stderr
    );
    assert_eq!(db.count("models").await, 0, "nothing committed");
    let (bad, _) = db.import_paths(&[dir.path()], &["--config-date", "config.py=31.10.2025"]);
    assert_eq!(bad.code, 2, "{}", bad.stderr);
    let head = dir.path().join("configs/models.yaml").display().to_string();
    let (twice, _) = db.import_paths(
        &[&dir.path().join("configs")],
        &[
            "--config-date",
            "models.yaml=2025-11-19",
            "--config-date",
            &format!("{head}=2025-11-20"),
        ],
    );
    assert_eq!(twice.code, 2, "{}", twice.stderr);
    assert!(twice.stderr.contains("different dates"), "{}", twice.stderr);
    assert_eq!(db.count("models").await, 0, "nothing committed");
}

#[tokio::test]
async fn a_model_the_newest_models_yaml_drops_has_no_open_price_and_is_inactive() {
    let dir = legacy_app_copy();
    let db = TestDb::initialised().await;
    imported(&db, &[dir.path()], &[]);
    // Llama 3.2 11B: config.py and 11-06 list it, the HEAD (2025-11-19T20:44Z) does not.
    let current = db
        .text(
            "SELECT (SELECT count(*) FROM v_current_model_pricing WHERE model_name = 'Llama 3.2 11B Instruct') \
             || ' ' || (SELECT count(*) FROM v_current_model_params WHERE model_name = 'Llama 3.2 11B Instruct') \
             || ' ' || (SELECT is_active FROM models WHERE name = 'Llama 3.2 11B Instruct')",
        )
        .await;
    assert_eq!(current.as_deref(), Some("0 0 false"));
    let closed = db
        .text(
            "SELECT string_agg(DISTINCT p.effective_to::text, ',') FROM model_pricing p \
             JOIN models m ON m.id = p.model_id WHERE m.name = 'Llama 3.2 11B Instruct'",
        )
        .await;
    assert_eq!(closed.as_deref(), Some("2025-11-19 20:44:00+00"));
}

#[tokio::test]
async fn a_version_that_lists_a_dropped_model_again_reopens_it() {
    let dir = tempfile::tempdir().unwrap();
    let version = |price: &str, with_b: bool| {
        let b = if with_b {
            "  - name: Model B\n    provider: meta\n    bedrock_model_id: meta.b-v1:0\n    tokenizer: llama\n    pricing: {input_per_1k_tokens_usd: 0.002, output_per_1k_tokens_usd: 0.003}\n"
        } else {
            ""
        };
        format!(
            "region_name: us-east-1\nmodels:\n  - name: Model A\n    provider: meta\n    bedrock_model_id: meta.a-v1:0\n    tokenizer: llama\n    pricing: {{input_per_1k_tokens_usd: {price}, output_per_1k_tokens_usd: 0.001}}\n{b}"
        )
    };
    std::fs::write(
        dir.path().join("models.2025-11-01.yaml"),
        version("0.001", true),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("models.2025-11-02.yaml"),
        version("0.001", false),
    )
    .unwrap();
    // The undated HEAD is dated by a leading comment, not by its modification time.
    let head = format!("# version: 2025-11-03\n{}", version("0.001", true));
    std::fs::write(dir.path().join("models.yaml"), head).unwrap();
    set_mtime(&dir.path().join("models.yaml"), "2026-01-01T00:00:00Z");
    let together = TestDb::initialised().await;
    let report = imported(&together, &[dir.path()], &[]);
    assert_eq!(
        file(&report, "/models.yaml")["version"]["dated_by"],
        "content"
    );
    let expected = vec![
        "Model A model meta meta.a-v1:0 llama us-east-1 false active=true {\"yaml_versions\": [\"2025-11-01T00:00:00Z\", \"2025-11-02T00:00:00Z\", \"2025-11-03T00:00:00Z\"], \"bedrock_model_id_history\": [\"meta.a-v1:0\"]}",
        "Model A price 0.001000/0.001000 2025-11-01 00:00:00+00..now",
        "Model B model meta meta.b-v1:0 llama us-east-1 false active=true {\"yaml_versions\": [\"2025-11-01T00:00:00Z\", \"2025-11-03T00:00:00Z\"], \"bedrock_model_id_history\": [\"meta.b-v1:0\"]}",
        "Model B price 0.002000/0.003000 2025-11-01 00:00:00+00..2025-11-02 00:00:00+00",
        "Model B price 0.002000/0.003000 2025-11-03 00:00:00+00..now",
    ];
    assert_eq!(history(&together).await, expected);

    // Newest first, one by one: the same rows.
    let apart = TestDb::initialised().await;
    for name in [
        "models.yaml",
        "models.2025-11-02.yaml",
        "models.2025-11-01.yaml",
    ] {
        imported(&apart, &[&dir.path().join(name)], &[]);
    }
    assert_eq!(history(&apart).await, expected);
}

#[tokio::test]
async fn config_py_imported_alone_first_then_the_configs_folder_equals_all_at_once() {
    let dir = legacy_app_copy();
    let config_py = dir.path().join("config.py");
    let configs = dir.path().join("configs");
    let together = TestDb::initialised().await;
    imported(&together, &[&config_py, &configs], &[]);
    let expected = history(&together).await;

    let apart = TestDb::initialised().await;
    imported(&apart, &[&config_py], &[]);
    let first = history(&apart).await;
    assert!(
        first.iter().any(|r| r
            .starts_with("Claude 3.7 Sonnet params 1500/0.70/null 2025-10-31 20:52:00+00..now")),
        "alone, config.py is dated by its modification time: {first:#?}"
    );
    imported(&apart, &[&configs], &[]);
    assert_eq!(history(&apart).await, expected);
    assert!(
        expected.iter().any(|r| {
            r.starts_with(
            "Claude 3.7 Sonnet params 1500/0.70/null 2025-10-31 00:00:00+00..2025-11-06 00:00:00+00"
        )
        }),
        "then it moves back to the earliest models.yaml version: {expected:#?}"
    );
}

#[tokio::test]
async fn models_first_seen_in_data_take_the_configuration_when_it_arrives_later() {
    // Their tokenizer, region, flag and activity come from the configuration, as when it arrives
    // with the rows.
    let dir = legacy_app_copy();
    let together = TestDb::initialised().await;
    imported(&together, &[dir.path()], &[]);
    let expected = history(&together).await;

    let apart = TestDb::initialised().await;
    let data: Vec<_> = ["data", "Downloads", "results"]
        .iter()
        .map(|d| dir.path().join(d))
        .collect();
    let data: Vec<&Path> = data.iter().map(|p| p.as_path()).collect();
    imported(&apart, &data, &[]);
    let from_data = apart
        .text("SELECT string_agg(name || ' ' || tokenizer_type, ', ' ORDER BY name) FROM models")
        .await;
    assert_eq!(
        from_data.as_deref(),
        Some("Claude 3 Sonnet heuristic, Claude 3.7 Sonnet heuristic, Llama 3 70B Instruct heuristic, \
              Nova Pro heuristic, gpt-4o gpt2, llama4-maverick-17b-instruct heuristic"),
        "the rows name these models before any configuration does"
    );
    imported(&apart, &[dir.path()], &[]);
    assert_eq!(history(&apart).await, expected);
}
