//! The staging record of one Bedrock invocation-log entry: the columns of `cloudwatch_log_entries`
//! (real token counts and latency, not the legacy parser's estimates), the entry's user prompt with
//! its hashes, and the natural key. Copied into `stage_log_entries`.

use super::Staged;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde_json::Value;
use tokio_postgres::types::{ToSql, Type};

/// One staged log entry.
#[derive(Debug, Clone, PartialEq)]
pub struct LogEntryRecord {
    pub file_no: i32,
    /// 1-based line (JSON Lines) or entry number (arrays); blank lines count, as the app counted.
    pub line: i64,
    pub source_key: String,
    pub log_file_name: String,
    pub raw_log_data: Value,
    pub event_name: Option<String>,
    pub event_time: Option<DateTime<Utc>>,
    pub model_id: Option<String>,
    /// The name and provider a model created from this id gets (derived from the id, never the
    /// legacy parser's heuristic name).
    pub model_name: Option<String>,
    pub provider: Option<String>,
    pub region: Option<String>,
    pub input_tokens: Option<i32>,
    pub output_tokens: Option<i32>,
    pub latency_ms: Option<Decimal>,
    pub parsed: bool,
    pub parse_error: Option<String>,
    pub request_id: Option<String>,
    pub prompt_text: Option<String>,
    pub prompt_hash: Option<String>,
    pub prompt_normalized_hash: Option<String>,
    pub expected_json: Option<bool>,
    pub metadata: Value,
}

impl Staged for LogEntryRecord {
    const TABLE: &'static str = "stage_log_entries";
    const COPY_STATEMENT: &'static str =
        "COPY bellatrix_migrate.stage_log_entries (file_no, line, \
        source_key, log_file_name, raw_log_data, event_name, event_time, model_id, model_name, \
        provider, region, \
        input_tokens, output_tokens, latency_ms, parsed, parse_error, request_id, prompt_text, \
        prompt_hash, prompt_normalized_hash, expected_json, metadata) FROM STDIN BINARY";
    const COPY_TYPES: &'static [Type] = &[
        Type::INT4,
        Type::INT8,
        Type::TEXT,
        Type::TEXT,
        Type::JSONB,
        Type::TEXT,
        Type::TIMESTAMPTZ,
        Type::TEXT,
        Type::TEXT,
        Type::TEXT,
        Type::TEXT,
        Type::INT4,
        Type::INT4,
        Type::NUMERIC,
        Type::BOOL,
        Type::TEXT,
        Type::TEXT,
        Type::TEXT,
        Type::TEXT,
        Type::TEXT,
        Type::BOOL,
        Type::JSONB,
    ];

    fn values(&self) -> Vec<&(dyn ToSql + Sync)> {
        vec![
            &self.file_no,
            &self.line,
            &self.source_key,
            &self.log_file_name,
            &self.raw_log_data,
            &self.event_name,
            &self.event_time,
            &self.model_id,
            &self.model_name,
            &self.provider,
            &self.region,
            &self.input_tokens,
            &self.output_tokens,
            &self.latency_ms,
            &self.parsed,
            &self.parse_error,
            &self.request_id,
            &self.prompt_text,
            &self.prompt_hash,
            &self.prompt_normalized_hash,
            &self.expected_json,
            &self.metadata,
        ]
    }

    fn origin(&self) -> (i32, i64) {
        (self.file_no, self.line)
    }
}
