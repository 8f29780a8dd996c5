//! The staging record of one row of a legacy aggregate file (→ `stage_aggregates`), compared with
//! what the transform computes, never loaded.

use super::staged;
use crate::model::Kind;
use rust_decimal::Decimal;

/// One row of a legacy aggregate file, in the terms of `model_aggregated_metrics`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AggregateRecord {
    pub file_no: i32,
    pub line: i64,
    /// `model_comparison` or `results_summary`.
    pub kind: Kind,
    pub model_name: Option<String>,
    pub model_key: Option<String>,
    pub run_id: Option<String>,
    pub total_count: Option<i64>,
    pub success_count: Option<i64>,
    pub avg_input_tokens: Option<Decimal>,
    pub avg_output_tokens: Option<Decimal>,
    pub min_latency_ms: Option<Decimal>,
    pub max_latency_ms: Option<Decimal>,
    pub json_valid_count: Option<i64>,
    pub total_cost_usd: Option<Decimal>,
    pub total_input_tokens: Option<i64>,
    pub total_output_tokens: Option<i64>,
}

staged! {
    AggregateRecord as r => "stage_aggregates" {
        file_no: INT4,
        line: INT8,
        kind: TEXT,
        model_name: TEXT,
        model_key: TEXT,
        run_id: TEXT,
        total_count: INT8,
        success_count: INT8,
        avg_input_tokens: NUMERIC,
        avg_output_tokens: NUMERIC,
        min_latency_ms: NUMERIC,
        max_latency_ms: NUMERIC,
        json_valid_count: INT8,
        total_cost_usd: NUMERIC,
        total_input_tokens: INT8,
        total_output_tokens: INT8,
    }
}
