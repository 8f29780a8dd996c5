//! The staging record of one model entry of a configuration version: `models.yaml` versions and the
//! root-era `config.py` (→ `stage_models`).

use super::staged;
use crate::model::{natural_key, Kind};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde_json::Value;

/// One model entry of a configuration version.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelEntryRecord {
    pub file_no: i32,
    pub line: i64,
    pub source_key: String,
    /// `models_yaml` or `config_py`.
    pub kind: Kind,
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
            self.kind.name(),
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

staged! {
    ModelEntryRecord as r => "stage_models" {
        file_no: INT4,
        line: INT8,
        source_key: TEXT,
        kind: TEXT,
        effective_from: TIMESTAMPTZ,
        name: TEXT,
        provider: TEXT,
        bedrock_model_id: TEXT,
        tokenizer_type: TEXT,
        region_name: TEXT,
        use_inference_profile: BOOL,
        config_key: TEXT,
        price_in: NUMERIC,
        price_out: NUMERIC,
        max_tokens: INT4,
        temperature: NUMERIC,
        top_p: NUMERIC,
        metadata: JSONB,
    }
}
