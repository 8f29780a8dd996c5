//! The staging record of a raw-metrics row: everything the set-based transform needs, computed on the
//! reader threads (hashing is CPU work), in the column order of `stage_raw_metrics`.

use super::Staged;
use crate::identity::{self, ModelRef};
use crate::prompt::{self, PromptHash};
use crate::read::raw_metrics::{BackslashDecision, Era, RawRow, V06_FROM};
use crate::read::values::TimestampZone;
use chrono::{DateTime, SecondsFormat, Utc};
use rust_decimal::Decimal;
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};
use tokio_postgres::types::{ToSql, Type};

/// The run a non-master row without a `run_id` is filed under (evaluation_metrics.run_id is NOT NULL).
pub const MISSING_RUN_ID: &str = "legacy_missing_run_id";

/// Column list of the COPY; must match `COPY_TYPES` and `MetricRecord::values` one to one.
const COPY_STATEMENT: &str = "COPY bellatrix_migrate.stage_raw_metrics (\
    file_no, line, source_key, evaluated_at, run_id, run_origin, model_key, model_name, \
    model_name_derived, provider, bedrock_model_id, is_master, input_tokens, output_tokens, latency_ms, \
    json_valid, error_message, status, cost_usd_input, cost_usd_output, cost_usd_total, prompt_text, \
    prompt_hash, prompt_normalized_hash, prompt_is_placeholder, prompt_source_type, expected_json, \
    response_text, metadata, request_id, prompt_metadata) FROM STDIN BINARY";

/// PostgreSQL types of the COPY columns.
const COPY_TYPES: &[Type] = &[
    Type::INT4,
    Type::INT8,
    Type::TEXT,
    Type::TIMESTAMPTZ,
    Type::TEXT,
    Type::TEXT,
    Type::TEXT,
    Type::TEXT,
    Type::BOOL,
    Type::TEXT,
    Type::TEXT,
    Type::BOOL,
    Type::INT4,
    Type::INT4,
    Type::NUMERIC,
    Type::BOOL,
    Type::TEXT,
    Type::TEXT,
    Type::NUMERIC,
    Type::NUMERIC,
    Type::NUMERIC,
    Type::TEXT,
    Type::TEXT,
    Type::TEXT,
    Type::BOOL,
    Type::TEXT,
    Type::BOOL,
    Type::TEXT,
    Type::JSONB,
    Type::TEXT,
    Type::JSONB,
];

/// One staged raw-metrics row.
#[derive(Debug, Clone)]
pub struct MetricRecord {
    pub file_no: i32,
    pub line: i64,
    /// The natural key (hex SHA-256) that recognises this row in a backup, a download or a grown file.
    pub source_key: String,
    pub evaluated_at: DateTime<Utc>,
    pub run_id: Option<String>,
    pub run_origin: &'static str,
    pub model: ModelRef,
    pub model_name_derived: bool,
    pub input_tokens: i32,
    pub output_tokens: i32,
    pub latency_ms: Decimal,
    pub json_valid: Option<bool>,
    pub error_message: Option<String>,
    pub status: String,
    pub cost_usd_input: Decimal,
    pub cost_usd_output: Decimal,
    pub cost_usd_total: Decimal,
    pub prompt_text: String,
    /// `PromptHash` of `prompt_text`, as stored.
    pub prompt_hash: String,
    pub prompt_normalized_hash: Option<String>,
    pub prompt_is_placeholder: bool,
    pub prompt_source_type: &'static str,
    pub expected_json: bool,
    pub response_text: Option<String>,
    pub metadata: Value,
    /// Bedrock requestId (root-era results), to recover the prompt from a log of the same import.
    pub request_id: Option<String>,
    /// Extra metadata for the row's placeholder prompt (root-era `prompt_snippet`).
    pub prompt_metadata: Option<Value>,
}

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

impl Staged for MetricRecord {
    const TABLE: &'static str = "stage_raw_metrics";
    const COPY_STATEMENT: &'static str = COPY_STATEMENT;
    const COPY_TYPES: &'static [Type] = COPY_TYPES;

    fn values(&self) -> Vec<&(dyn ToSql + Sync)> {
        vec![
            &self.file_no,
            &self.line,
            &self.source_key,
            &self.evaluated_at,
            &self.run_id,
            &self.run_origin,
            &self.model.key,
            &self.model.name,
            &self.model_name_derived,
            &self.model.provider,
            &self.model.bedrock_model_id,
            &self.model.is_master,
            &self.input_tokens,
            &self.output_tokens,
            &self.latency_ms,
            &self.json_valid,
            &self.error_message,
            &self.status,
            &self.cost_usd_input,
            &self.cost_usd_output,
            &self.cost_usd_total,
            &self.prompt_text,
            &self.prompt_hash,
            &self.prompt_normalized_hash,
            &self.prompt_is_placeholder,
            &self.prompt_source_type,
            &self.expected_json,
            &self.response_text,
            &self.metadata,
            &self.request_id,
            &self.prompt_metadata,
        ]
    }

    fn origin(&self) -> (i32, i64) {
        (self.file_no, self.line)
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
fn source_cost_mismatch(row: &RawRow) -> bool {
    if row.cost_usd_input.is_zero() && row.cost_usd_output.is_zero() {
        return false;
    }
    row.cost_usd_input
        .checked_add(row.cost_usd_output)
        .and_then(|parts| row.cost_usd_total.checked_sub(parts))
        .is_none_or(|gap| gap.abs() > Decimal::new(1, 6))
}
