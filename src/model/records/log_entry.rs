//! The staging record of one Bedrock invocation-log entry: the columns of `cloudwatch_log_entries`
//! (real token counts and latency, not the legacy parser's estimates), the entry's user prompt with
//! its hashes, and the natural key. Copied into `stage_log_entries`.

use super::staged;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde_json::Value;

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

staged! {
    LogEntryRecord as r => "stage_log_entries" {
        file_no: INT4,
        line: INT8,
        source_key: TEXT,
        log_file_name: TEXT,
        raw_log_data: JSONB,
        event_name: TEXT,
        event_time: TIMESTAMPTZ,
        model_id: TEXT,
        model_name: TEXT,
        provider: TEXT,
        region: TEXT,
        input_tokens: INT4,
        output_tokens: INT4,
        latency_ms: NUMERIC,
        parsed: BOOL,
        parse_error: TEXT,
        request_id: TEXT,
        prompt_text: TEXT,
        prompt_hash: TEXT,
        prompt_normalized_hash: TEXT,
        expected_json: BOOL,
        metadata: JSONB,
    }
}
