//! Staging records of the configuration sources: model entries of `models.yaml` versions and of
//! root-era `config.py` (→ `stage_models`), `users.json` keys (→ `stage_users`) and rows of legacy
//! aggregate files (→ `stage_aggregates`, compared, never loaded).

use super::Staged;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde_json::Value;
use sha2::{Digest, Sha256};
use tokio_postgres::types::{ToSql, Type};

/// SHA-256 (hex) of `parts` separated by a unit separator: the natural keys of source records.
pub fn natural_key(parts: &[&str]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p.as_bytes());
        h.update([0x1f]);
    }
    hex::encode(h.finalize())
}

/// One model entry of a configuration version.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelEntryRecord {
    pub file_no: i32,
    pub line: i64,
    pub source_key: String,
    /// `models_yaml` or `config_py`.
    pub kind: &'static str,
    pub effective_from: DateTime<Utc>,
    pub name: String,
    pub provider: String,
    pub bedrock_model_id: Option<String>,
    pub tokenizer_type: Option<String>,
    pub region_name: Option<String>,
    pub use_inference_profile: bool,
    pub config_key: Option<String>,
    pub price_in: Option<Decimal>,
    pub price_out: Option<Decimal>,
    pub max_tokens: Option<i32>,
    pub temperature: Option<Decimal>,
    pub top_p: Option<Decimal>,
    pub metadata: Value,
}

impl ModelEntryRecord {
    /// The natural key: what the entry says and the version it belongs to, not where it sits.
    pub fn key(&self) -> String {
        let opt = |d: &Option<Decimal>| d.map(|v| v.normalize().to_string()).unwrap_or_default();
        natural_key(&[
            self.kind,
            &self.effective_from.to_rfc3339(),
            &self.name,
            &self.provider,
            self.bedrock_model_id.as_deref().unwrap_or(""),
            self.tokenizer_type.as_deref().unwrap_or(""),
            self.region_name.as_deref().unwrap_or(""),
            if self.use_inference_profile { "1" } else { "0" },
            self.config_key.as_deref().unwrap_or(""),
            &opt(&self.price_in),
            &opt(&self.price_out),
            &self.max_tokens.map(|n| n.to_string()).unwrap_or_default(),
            &opt(&self.temperature),
            &opt(&self.top_p),
        ])
    }
}

impl Staged for ModelEntryRecord {
    const TABLE: &'static str = "stage_models";
    const COPY_STATEMENT: &'static str = "COPY bellatrix_migrate.stage_models (file_no, line, \
        source_key, kind, effective_from, name, provider, bedrock_model_id, tokenizer_type, \
        region_name, use_inference_profile, config_key, price_in, price_out, max_tokens, \
        temperature, top_p, metadata) FROM STDIN BINARY";
    const COPY_TYPES: &'static [Type] = &[
        Type::INT4,
        Type::INT8,
        Type::TEXT,
        Type::TEXT,
        Type::TIMESTAMPTZ,
        Type::TEXT,
        Type::TEXT,
        Type::TEXT,
        Type::TEXT,
        Type::TEXT,
        Type::BOOL,
        Type::TEXT,
        Type::NUMERIC,
        Type::NUMERIC,
        Type::INT4,
        Type::NUMERIC,
        Type::NUMERIC,
        Type::JSONB,
    ];

    fn values(&self) -> Vec<&(dyn ToSql + Sync)> {
        vec![
            &self.file_no,
            &self.line,
            &self.source_key,
            &self.kind,
            &self.effective_from,
            &self.name,
            &self.provider,
            &self.bedrock_model_id,
            &self.tokenizer_type,
            &self.region_name,
            &self.use_inference_profile,
            &self.config_key,
            &self.price_in,
            &self.price_out,
            &self.max_tokens,
            &self.temperature,
            &self.top_p,
            &self.metadata,
        ]
    }

    fn origin(&self) -> (i32, i64) {
        (self.file_no, self.line)
    }
}

/// One `users.json` user.
#[derive(Debug, Clone, PartialEq)]
pub struct UserRecord {
    pub file_no: i32,
    pub line: i64,
    pub source_key: String,
    pub username: String,
    pub email: String,
    pub password_hash: String,
    pub created_at: Option<DateTime<Utc>>,
    pub last_login: Option<DateTime<Utc>>,
    pub metadata: Value,
}

impl Staged for UserRecord {
    const TABLE: &'static str = "stage_users";
    const COPY_STATEMENT: &'static str = "COPY bellatrix_migrate.stage_users (file_no, line, \
        source_key, username, email, password_hash, created_at, last_login, metadata) FROM STDIN BINARY";
    const COPY_TYPES: &'static [Type] = &[
        Type::INT4,
        Type::INT8,
        Type::TEXT,
        Type::TEXT,
        Type::TEXT,
        Type::TEXT,
        Type::TIMESTAMPTZ,
        Type::TIMESTAMPTZ,
        Type::JSONB,
    ];

    fn values(&self) -> Vec<&(dyn ToSql + Sync)> {
        vec![
            &self.file_no,
            &self.line,
            &self.source_key,
            &self.username,
            &self.email,
            &self.password_hash,
            &self.created_at,
            &self.last_login,
            &self.metadata,
        ]
    }

    fn origin(&self) -> (i32, i64) {
        (self.file_no, self.line)
    }
}

/// One row of a legacy aggregate file, in the terms of `model_aggregated_metrics`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AggregateRecord {
    pub file_no: i32,
    pub line: i64,
    /// `model_comparison` or `results_summary`.
    pub kind: &'static str,
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

impl Staged for AggregateRecord {
    const TABLE: &'static str = "stage_aggregates";
    const COPY_STATEMENT: &'static str = "COPY bellatrix_migrate.stage_aggregates (file_no, line, \
        kind, model_name, model_key, run_id, total_count, success_count, avg_input_tokens, \
        avg_output_tokens, min_latency_ms, max_latency_ms, json_valid_count, total_cost_usd, \
        total_input_tokens, total_output_tokens) FROM STDIN BINARY";
    const COPY_TYPES: &'static [Type] = &[
        Type::INT4,
        Type::INT8,
        Type::TEXT,
        Type::TEXT,
        Type::TEXT,
        Type::TEXT,
        Type::INT8,
        Type::INT8,
        Type::NUMERIC,
        Type::NUMERIC,
        Type::NUMERIC,
        Type::NUMERIC,
        Type::INT8,
        Type::NUMERIC,
        Type::INT8,
        Type::INT8,
    ];

    fn values(&self) -> Vec<&(dyn ToSql + Sync)> {
        vec![
            &self.file_no,
            &self.line,
            &self.kind,
            &self.model_name,
            &self.model_key,
            &self.run_id,
            &self.total_count,
            &self.success_count,
            &self.avg_input_tokens,
            &self.avg_output_tokens,
            &self.min_latency_ms,
            &self.max_latency_ms,
            &self.json_valid_count,
            &self.total_cost_usd,
            &self.total_input_tokens,
            &self.total_output_tokens,
        ]
    }

    fn origin(&self) -> (i32, i64) {
        (self.file_no, self.line)
    }
}
