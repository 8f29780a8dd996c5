//! The staging record of a raw-metrics row: everything the set-based transform needs, in the column
//! order of `stage_raw_metrics`. The reader derives it from a row (`read::raw_metrics::record`).

use super::Staged;
use crate::identity::ModelRef;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde_json::Value;
use tokio_postgres::types::{ToSql, Type};

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
