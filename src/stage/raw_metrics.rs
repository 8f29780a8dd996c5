//! The staging record of a raw-metrics row: everything the set-based transform needs, computed on the
//! reader threads (hashing is CPU work), in the column order of `stage_raw_metrics`.

use crate::model::identity;
use crate::model::prompt::{self, PromptHash};
use crate::model::{MetricRecord, MISSING_RUN_ID};
use crate::read::raw_metrics::{BackslashDecision, RawRow};
use crate::read::values::TimestampZone;
use chrono::{DateTime, SecondsFormat, Utc};
use rust_decimal::Decimal;
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

/// Where a run id says a run came from (LEGACY_FORMATS.md 2.1.4).
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
    let mut h = Sha256::new();
    for part in [
        "raw_metrics",
        &row.evaluated_at
            .to_rfc3339_opts(SecondsFormat::Micros, true),
        row.run_id.as_deref().unwrap_or(""),
        &row.model_id,
        &row.model_name,
        row.legacy_prompt_id.as_deref().unwrap_or(""),
        input_prompt_hash.map_or("", PromptHash::as_str),
    ] {
        h.update(part.as_bytes());
        h.update([0x1f]);
    }
    hex::encode(h.finalize())
}

impl MetricRecord {
    /// Derives the staging record of `row`, read from file number `file_no` shown as `file`.
    pub fn from_raw(file_no: i32, file: &str, row: &RawRow) -> Self {
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
}

/// `metadata` of the production row: its source and every repair the reader made (DECISIONS.md:
/// "Every production row that the migrator writes carries metadata.source").
fn row_metadata(file: &str, row: &RawRow, origin: &str) -> Value {
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
    m.insert("writer_era".into(), json!(row.era));
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
    if row.era == "v01-v02"
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
    if row.json_valid == Some(false) && row.evaluated_at >= json_valid_collapse_start() {
        m.insert("json_valid_null_collapsed".into(), json!("possible"));
    }
    Value::Object(m)
}

/// Whether the source record's own cost_usd_total differs from its input + output (beyond the 6th
/// place the writer rounded each to), where a part was given. Kept as written and marked, so the
/// cost-arithmetic check tells an inconsistency of the legacy file from one the migration made.
fn source_cost_mismatch(row: &RawRow) -> bool {
    if row.cost_usd_input.is_zero() && row.cost_usd_output.is_zero() {
        return false;
    }
    row.cost_usd_input
        .checked_add(row.cost_usd_output)
        .and_then(|parts| row.cost_usd_total.checked_sub(parts))
        .is_none_or(|gap| gap.abs() > Decimal::new(1, 6))
}

/// Logger v06 (2025-11-06 →) wrote NULL `json_valid` as False, so False may stand for "n/a".
fn json_valid_collapse_start() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2025-11-06T02:47:00Z")
        .map(|d| d.with_timezone(&Utc))
        .unwrap_or_default()
}
