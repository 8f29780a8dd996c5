//! The staging record of one prompt from a prompt file (CSV, JSON, JSONL, TXT): its exact text, the
//! hashes computed on the reader threads, and what the file said about it. Copied into
//! `stage_prompts`; the transform deduplicates it with every other prompt source by `prompt_hash`.

use super::staged;
use crate::model::prompt::{self, PromptHash};
use crate::model::Kind;
use serde_json::Value;

/// One staged prompt-file record.
#[derive(Debug, Clone, PartialEq)]
pub struct PromptRecord {
    pub file_no: i32,
    pub line: i64,
    /// `prompts_csv` or `prompts_json`.
    pub kind: Kind,
    pub prompt_text: String,
    pub prompt_hash: String,
    pub prompt_normalized_hash: String,
    /// `csv` or `json` (`prompts.source_type`).
    pub source_type: &'static str,
    pub expected_json: bool,
    pub expected_json_inferred: bool,
    pub tags: Option<Vec<String>>,
    pub legacy_prompt_id: Option<String>,
    pub metadata: Value,
}

impl PromptRecord {
    /// A record for `text`; `expected_json` is the file's own flag, or `None` to apply the app's
    /// heuristic (then marked inferred).
    pub fn new(
        file_no: i32,
        line: u64,
        kind: Kind,
        text: String,
        expected_json: Option<bool>,
        metadata: Value,
    ) -> Self {
        let inferred = expected_json.is_none();
        PromptRecord {
            file_no,
            line: i64::try_from(line).unwrap_or(i64::MAX),
            kind,
            prompt_hash: PromptHash::of(&text).to_string(),
            prompt_normalized_hash: PromptHash::normalized_of(&text).to_string(),
            source_type: if kind == Kind::PromptsCsv {
                "csv"
            } else {
                "json"
            },
            expected_json: expected_json.unwrap_or_else(|| prompt::looks_like_json_request(&text)),
            expected_json_inferred: inferred,
            tags: None,
            legacy_prompt_id: None,
            metadata,
            prompt_text: text,
        }
    }
}

staged! {
    PromptRecord as r => "stage_prompts" {
        file_no: INT4,
        line: INT8,
        kind: TEXT,
        prompt_text: TEXT,
        prompt_hash: TEXT,
        prompt_normalized_hash: TEXT,
        source_type: TEXT,
        expected_json: BOOL,
        expected_json_inferred: BOOL,
        tags: TEXT_ARRAY,
        legacy_prompt_id: TEXT,
        metadata: JSONB,
    }
}
