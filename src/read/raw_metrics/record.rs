//! The staging record of a raw-metrics row: everything the set-based transform needs, derived from a
//! `RawRow` on the reader threads (hashing is CPU work). Pure functions; the reader and verify's
//! fidelity re-read both call `from_row`, so a row is staged and compared the same way.

use super::era::{Era, V06_FROM};
use super::{BackslashDecision, RawRow};
use crate::model::identity;
use crate::model::prompt::{self, PromptHash};
use crate::model::{natural_key, MetricRecord, MISSING_RUN_ID};
use crate::read::values::TimestampZone;
use chrono::SecondsFormat;
use rust_decimal::Decimal;
use serde_json::{json, Map, Value};

/// Where a run id says a run came from (docs/formats.md#columns-and-value-spellings).
pub fn run_origin(run_id: Option<&str>) -> &'static str {
    match run_id {
        None => "none",
        Some(r) if r.starts_with("run_") => "cli",
        Some(r) if r.starts_with("dashboard_") => "dashboard",
        Some(r) if r.starts_with("cloudwatch_") => "cloudwatch",
        Some(r) if r.starts_with("legacy_results_") => "root_results",
        Some(_) => "custom",
    }
}

/// The natural key of a raw-metrics row: its content, not its position, so the same row from a
/// backup, a download or a file that grew by appends is recognised (README: "Natural keys").
pub fn source_key(row: &RawRow, input_prompt_hash: Option<&PromptHash>) -> String {
    natural_key(&[
        "raw_metrics",
        &row.evaluated_at
            .to_rfc3339_opts(SecondsFormat::Micros, true),
        row.run_id.as_deref().unwrap_or(""),
        &row.model_id,
        &row.model_name,
        row.legacy_prompt_id.as_deref().unwrap_or(""),
        input_prompt_hash.map_or("", PromptHash::as_str),
    ])
}

/// Derives the staging record of `row`, read from file number `file_no` shown as `file`.
pub fn from_row(file_no: i32, file: &str, row: &RawRow) -> MetricRecord {
    let origin = run_origin(row.run_id.as_deref());
    let model = identity::model_ref(&row.model_id, &row.model_name, origin == "cloudwatch");
    let model_name_derived = !model.is_master && model.name != row.model_name;
    let run_id = match (&row.run_id, model.is_master) {
        (Some(r), _) => Some(r.clone()),
        (None, true) => None,
        (None, false) => Some(MISSING_RUN_ID.to_owned()),
    };
    let input_hash = row.input_prompt.as_deref().map(PromptHash::of);
    let source_key = source_key(row, input_hash.as_ref());
    let (prompt_text, prompt_is_placeholder) = match &row.input_prompt {
        Some(text) => (text.clone(), false),
        None => (
            prompt::placeholder_text(row.run_id.as_deref(), row.legacy_prompt_id.as_deref()),
            true,
        ),
    };
    let prompt_hash = input_hash.unwrap_or_else(|| PromptHash::of(&prompt_text));
    let prompt_source_type = match (prompt_is_placeholder, origin) {
        (true, _) => "legacy_placeholder",
        (false, "cloudwatch") => "cloudwatch",
        (false, "cli") => "csv",
        (false, _) => "manual",
    };
    MetricRecord {
        file_no,
        line: i64::try_from(row.line).unwrap_or(i64::MAX),
        byte_offset: i64::try_from(row.byte_offset).ok(),
        source_key,
        evaluated_at: row.evaluated_at,
        run_id,
        run_origin: origin,
        model_name_derived,
        input_tokens: row.input_tokens,
        output_tokens: row.output_tokens,
        latency_ms: row.latency_ms,
        json_valid: row.json_valid,
        error_message: row.error.clone(),
        status: row.status.clone(),
        cost_usd_input: row.cost_usd_input,
        cost_usd_output: row.cost_usd_output,
        cost_usd_total: row.cost_usd_total,
        prompt_normalized_hash: (!prompt_is_placeholder)
            .then(|| PromptHash::normalized_of(&prompt_text).to_string()),
        expected_json: !prompt_is_placeholder && prompt::looks_like_json_request(&prompt_text),
        prompt_hash: prompt_hash.to_string(),
        prompt_text,
        prompt_is_placeholder,
        prompt_source_type,
        response_text: row.response.clone(),
        metadata: row_metadata(file, row, origin),
        model,
        request_id: None,
        prompt_metadata: None,
    }
}

/// `metadata` of the production row: its source and every repair the reader made (docs/decisions.md:
/// "Every production row that the migrator writes carries metadata.source").
pub fn row_metadata(file: &str, row: &RawRow, origin: &str) -> Value {
    let mut m = Map::new();
    m.insert("source".into(), json!({"file": file, "line": row.line}));
    m.insert("origin".into(), json!(origin));
    m.insert("legacy_model_name".into(), json!(row.model_name));
    m.insert("legacy_model_id".into(), json!(row.model_id));
    if let Some(pid) = &row.legacy_prompt_id {
        m.insert("legacy_prompt_id".into(), json!(pid));
    }
    if row.run_id.is_none() {
        m.insert("run_id_missing".into(), json!(true));
    }
    m.insert("writer_era".into(), json!(row.era.label()));
    m.insert(
        "line_ending".into(),
        json!(if row.ended_crlf { "crlf" } else { "lf" }),
    );
    if row.shape_ambiguous {
        m.insert("shape_ambiguous".into(), json!(true));
    }
    if row.backslashes != BackslashDecision::Keep {
        m.insert("backslashes_halved".into(), json!(true));
    }
    if row.backslashes == BackslashDecision::HalveAmbiguous {
        m.insert("backslash_ambiguous".into(), json!(true));
    }
    if row.timestamp_zone == TimestampZone::AssumedLocal {
        m.insert("timestamp_zone_assumed".into(), json!(true));
    }
    if row.era == Era::V01V02
        && row
            .response
            .as_ref()
            .is_some_and(|r| r.chars().count() == 500)
    {
        m.insert("response_truncated".into(), json!(true));
    }
    if source_cost_mismatch(row) {
        m.insert("source_cost_mismatch".into(), json!(true));
    }
    if row.json_valid == Some(false) && row.evaluated_at >= V06_FROM {
        m.insert("json_valid_null_collapsed".into(), json!("possible"));
    }
    Value::Object(m)
}

/// Whether the source record's own cost_usd_total differs from its input + output (beyond the 6th
/// place the writer rounded each to), where a part was given. Kept as written and marked, so the
/// cost-arithmetic check tells an inconsistency of the legacy file from one the migration made.
pub fn source_cost_mismatch(row: &RawRow) -> bool {
    if row.cost_usd_input.is_zero() && row.cost_usd_output.is_zero() {
        return false;
    }
    row.cost_usd_input
        .checked_add(row.cost_usd_output)
        .and_then(|parts| row.cost_usd_total.checked_sub(parts))
        .is_none_or(|gap| gap.abs() > Decimal::new(1, 6))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{DateTime, Utc};

    fn ts(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    /// A v04+ row with every field given and nothing repaired.
    fn row() -> RawRow {
        RawRow {
            line: 7,
            byte_offset: 700,
            evaluated_at: ts("2025-11-04T10:00:00.123456Z"),
            timestamp_zone: TimestampZone::Explicit,
            run_id: Some("run_20251104_110000".to_owned()),
            model_name: "Claude 3 Haiku".to_owned(),
            model_id: "anthropic.claude-3-haiku-20240307-v1:0".to_owned(),
            legacy_prompt_id: Some("p1".to_owned()),
            input_tokens: 10,
            output_tokens: 20,
            latency_ms: Decimal::new(12345, 2),
            json_valid: Some(true),
            error: None,
            status: "success".to_owned(),
            cost_usd_input: Decimal::new(1, 6),
            cost_usd_output: Decimal::new(2, 6),
            cost_usd_total: Decimal::new(3, 6),
            input_prompt: Some("Say hello".to_owned()),
            response: Some("hello".to_owned()),
            era: Era::V04Plus,
            shape_ambiguous: false,
            backslashes: BackslashDecision::Keep,
            ended_crlf: false,
        }
    }

    #[test]
    fn run_ids_name_the_origin_of_their_run() {
        assert_eq!(run_origin(None), "none");
        assert_eq!(run_origin(Some("run_20251104_110000")), "cli");
        assert_eq!(run_origin(Some("dashboard_20251104")), "dashboard");
        assert_eq!(run_origin(Some("cloudwatch_20251104")), "cloudwatch");
        assert_eq!(run_origin(Some("legacy_results_1")), "root_results");
        assert_eq!(run_origin(Some("my_run")), "custom");
        assert_eq!(run_origin(Some("")), "custom");
    }

    #[test]
    fn the_source_key_of_a_row_is_pinned() {
        // Values computed by the key function before it called `natural_key`: a change here
        // would stop a re-import from recognising the rows it already imported.
        let full = row();
        let hash = PromptHash::of("Say hello");
        assert_eq!(
            source_key(&full, Some(&hash)),
            "a6c69c735c829c45a8e348390de0847f50cfab2a3fd164d0c870d1f3b632eff1"
        );
        let mut bare = row();
        bare.run_id = None;
        bare.legacy_prompt_id = None;
        bare.input_prompt = None;
        assert_eq!(
            source_key(&bare, None),
            "6a533a5d19d9b032709305626d38f92beb3af7fed5902f38f2f906ae9f833277"
        );
    }

    #[test]
    fn the_source_key_ignores_position_and_values_but_not_identity() {
        let hash = PromptHash::of("Say hello");
        let key = source_key(&row(), Some(&hash));
        let mut moved = row();
        moved.line = 9000;
        moved.latency_ms = Decimal::new(1, 0);
        moved.response = None;
        moved.ended_crlf = true;
        assert_eq!(source_key(&moved, Some(&hash)), key);
        let mut other = row();
        other.evaluated_at = ts("2025-11-04T10:00:00.123457Z");
        assert_ne!(source_key(&other, Some(&hash)), key);
        assert_ne!(source_key(&row(), None), key);
    }

    #[test]
    fn a_clean_row_has_only_its_source_in_metadata() {
        let m = row_metadata("data/runs/raw_metrics.csv", &row(), "cli");
        assert_eq!(
            m,
            json!({
                "source": {"file": "data/runs/raw_metrics.csv", "line": 7},
                "origin": "cli",
                "legacy_model_name": "Claude 3 Haiku",
                "legacy_model_id": "anthropic.claude-3-haiku-20240307-v1:0",
                "legacy_prompt_id": "p1",
                "writer_era": "v04+",
                "line_ending": "lf",
            })
        );
    }

    #[test]
    fn every_repair_of_a_row_is_marked_in_its_metadata() {
        let mut r = row();
        r.run_id = None;
        r.legacy_prompt_id = None;
        r.era = Era::V01V02;
        r.ended_crlf = true;
        r.shape_ambiguous = true;
        r.backslashes = BackslashDecision::HalveAmbiguous;
        r.timestamp_zone = TimestampZone::AssumedLocal;
        r.response = Some("x".repeat(500));
        r.cost_usd_total = Decimal::new(5, 6);
        let m = row_metadata("f.csv", &r, "none");
        for flag in [
            "run_id_missing",
            "shape_ambiguous",
            "backslashes_halved",
            "backslash_ambiguous",
            "timestamp_zone_assumed",
            "response_truncated",
            "source_cost_mismatch",
        ] {
            assert_eq!(m[flag], json!(true), "{flag}");
        }
        assert_eq!(m["writer_era"], json!("v01-v02"));
        assert_eq!(m["line_ending"], json!("crlf"));
        assert!(m.get("legacy_prompt_id").is_none());
        assert!(m.get("json_valid_null_collapsed").is_none());
    }

    #[test]
    fn a_500_character_response_is_truncated_only_before_v03() {
        let mut r = row();
        r.response = Some("x".repeat(500));
        assert!(row_metadata("f", &r, "cli")
            .get("response_truncated")
            .is_none());
        r.era = Era::V01V02;
        r.response = Some("x".repeat(499));
        assert!(row_metadata("f", &r, "cli")
            .get("response_truncated")
            .is_none());
    }

    #[test]
    fn a_false_json_valid_may_be_a_collapsed_null_from_logger_v06_on() {
        let mut r = row();
        r.json_valid = Some(false);
        r.evaluated_at = ts("2025-11-06T02:46:59.999999Z");
        assert!(row_metadata("f", &r, "cli")
            .get("json_valid_null_collapsed")
            .is_none());
        r.evaluated_at = V06_FROM;
        assert_eq!(
            row_metadata("f", &r, "cli")["json_valid_null_collapsed"],
            json!("possible")
        );
        r.json_valid = None;
        assert!(row_metadata("f", &r, "cli")
            .get("json_valid_null_collapsed")
            .is_none());
    }

    #[test]
    fn a_total_that_is_not_input_plus_output_is_a_source_cost_mismatch() {
        let mut r = row();
        assert!(!source_cost_mismatch(&r));
        // Within the writer's rounding of each part to the 6th place.
        r.cost_usd_total = Decimal::new(4, 6);
        assert!(!source_cost_mismatch(&r));
        r.cost_usd_total = Decimal::new(5, 6);
        assert!(source_cost_mismatch(&r));
        r.cost_usd_total = Decimal::new(1, 6);
        assert!(source_cost_mismatch(&r));
        // No part given: the total stands alone, nothing to compare with.
        r.cost_usd_input = Decimal::ZERO;
        r.cost_usd_output = Decimal::ZERO;
        r.cost_usd_total = Decimal::new(7, 2);
        assert!(!source_cost_mismatch(&r));
    }

    #[test]
    fn a_non_master_row_without_a_run_id_is_filed_under_the_missing_run() {
        let mut r = row();
        r.run_id = None;
        r.input_prompt = None;
        let record = from_row(3, "f.csv", &r);
        assert_eq!(record.run_id.as_deref(), Some(MISSING_RUN_ID));
        assert_eq!(record.run_origin, "none");
        assert!(record.prompt_is_placeholder);
        assert_eq!(record.prompt_source_type, "legacy_placeholder");
        assert_eq!(record.source_key, source_key(&r, None));
        let record = from_row(3, "f.csv", &row());
        assert_eq!(record.prompt_source_type, "csv");
        assert_eq!(record.prompt_hash, PromptHash::of("Say hello").to_string());
        assert_eq!((record.file_no, record.line), (3, 7));
    }
}
