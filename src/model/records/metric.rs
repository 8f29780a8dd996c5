//! The staging record of a raw-metrics row: everything the set-based transform needs, computed on the
//! reader threads (hashing is CPU work), in the column order of `stage_raw_metrics`.

use super::staged;
use crate::model::identity::ModelRef;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde_json::Value;

/// The run a non-master row without a `run_id` is filed under (evaluation_metrics.run_id is NOT NULL).
pub const MISSING_RUN_ID: &str = "legacy_missing_run_id";

/// One staged raw-metrics row.
#[derive(Debug, Clone)]
pub struct MetricRecord {
    pub file_no: i32,
    pub line: i64,
    /// Where the source record starts in its file (raw_metrics), so verify can seek to it.
    pub byte_offset: Option<i64>,
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

staged! {
    MetricRecord as r => "stage_raw_metrics" {
        file_no: INT4,
        line: INT8,
        byte_offset: INT8,
        source_key: TEXT,
        evaluated_at: TIMESTAMPTZ,
        run_id: TEXT,
        run_origin: TEXT,
        model_key: TEXT = r.model.key,
        model_name: TEXT = r.model.name,
        model_name_derived: BOOL,
        provider: TEXT = r.model.provider,
        bedrock_model_id: TEXT = r.model.bedrock_model_id,
        is_master: BOOL = r.model.is_master,
        input_tokens: INT4,
        output_tokens: INT4,
        latency_ms: NUMERIC,
        json_valid: BOOL,
        error_message: TEXT,
        status: TEXT,
        cost_usd_input: NUMERIC,
        cost_usd_output: NUMERIC,
        cost_usd_total: NUMERIC,
        prompt_text: TEXT,
        prompt_hash: TEXT,
        prompt_normalized_hash: TEXT,
        prompt_is_placeholder: BOOL,
        prompt_source_type: TEXT,
        expected_json: BOOL,
        response_text: TEXT,
        metadata: JSONB,
        request_id: TEXT,
        prompt_metadata: JSONB,
    }
}
