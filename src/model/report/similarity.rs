//! What the similarity step of a run found and did (README: "Similarity to the master model").

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The similarity step's counts, over the prompts the run touched (every prompt for
/// `bellatrix-migrate similarity`). Each candidate of those prompts is paired, without a master,
/// or without prompt text; each pair is held by a score row or shares its key with the pair that
/// holds it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SimilarityCounts {
    /// How far before its candidate a master row may be, in seconds (`--similarity-window`).
    #[serde(default)]
    pub window_seconds: u64,
    /// Every prompt was looked at (`bellatrix-migrate similarity`), not only those the run touched.
    #[serde(default)]
    pub all_prompts: bool,
    /// Prompts looked at (placeholders aside).
    #[serde(default)]
    pub prompts: u64,
    /// Successful metric rows with a non-empty response, of those prompts.
    #[serde(default)]
    pub candidates: u64,
    /// Candidates whose prompt is a placeholder (no text recorded): never paired.
    #[serde(default)]
    pub without_prompt_text: u64,
    /// Candidates with a successful master row of their prompt within the window before them.
    #[serde(default)]
    pub paired: u64,
    /// Candidates with no such master row.
    #[serde(default)]
    pub without_master: u64,
    /// Pairs whose run, prompt and models are those of a later pair, which holds the one score row
    /// the key allows.
    #[serde(default)]
    pub key_shared: u64,
    /// Keys held by a score row the application wrote, left as it is.
    #[serde(default)]
    pub application_rows: u64,
    /// Pairs scored in this run: new keys and keys whose pair changed (the rest were stored).
    #[serde(default)]
    pub scored: u64,
    /// Scored pairs by `comparison_method`.
    #[serde(default)]
    pub by_method: BTreeMap<String, u64>,
    /// Scored pairs the reconstructed lenient note scan could have decided (marked for review).
    #[serde(default)]
    pub lenient_scan: u64,
    /// Score rows written, rewritten for a changed pair, and removed.
    #[serde(default)]
    pub inserted: u64,
    #[serde(default)]
    pub updated: u64,
    #[serde(default)]
    pub deleted: u64,
    /// Seconds the step took, scoring included.
    #[serde(default)]
    pub seconds: f64,
}
