//! Similarity of a candidate's response to the master model's, computed the way the legacy
//! dashboard computed it (docs/decisions.md, "Similarity"); fed the two raw responses of a pair.
//!
//! The dashboard showed this score and never stored it, so it is recomputed from the two stored
//! responses. The steps, each in its own file:
//! - [`value`], [`parse`]: the responses parsed as Python's `json.loads` would (key order, int
//!   versus float, floats to the last bit);
//! - [`notes`]: if both are note audits, the score is note matching;
//! - [`text`]: otherwise each is reduced to text (Python `str()` of JSON values);
//! - [`json_aware`]: two texts that both parse as JSON score by content and structure;
//! - [`combined`]: any other two texts by cosine, jaccard, bigrams and the rapidfuzz ratio.
//!
//! Everything here is a pure function of the two texts: no I/O, no shared state, no randomness,
//! so pairs can be scored on any rayon thread and always score the same.

pub mod combined;
pub mod json_aware;
pub mod notes;
pub mod parse;
pub mod text;
pub mod value;

use combined::Combined;
use json_aware::JsonAware;
use notes::{Inspection, NoteMatch};
use value::Value;

/// How a pair was scored: the values of `similarity_scores.comparison_method`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method {
    /// Both responses are note audits: the share of common notes with equal results.
    NoteAuditExactMatch,
    /// Both reduced texts parse as JSON: content and structure.
    JsonAware,
    /// Any other texts: the weighted text measures.
    Combined,
}

impl Method {
    /// The name stored in `similarity_scores.comparison_method`.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::NoteAuditExactMatch => "noteaudit_exact_match",
            Method::JsonAware => "json_aware",
            Method::Combined => "combined",
        }
    }
}

/// What the method computed besides the headline score.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Parts {
    /// Note matching's counts.
    Notes(NoteMatch),
    /// A reduced text was empty: the score is 0 and the dashboard computed nothing else.
    Empty,
    /// The reduced texts were byte-identical: the score is 1 and the dashboard computed nothing
    /// else.
    Identical,
    /// Content and structure of two JSON documents.
    JsonAware(JsonAware),
    /// The parts of the combined score.
    Combined(Combined),
}

/// The similarity of one candidate response to its master response.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Similarity {
    /// The method, as stored.
    pub method: Method,
    /// The headline score, in [0, 1].
    pub score: f64,
    /// What the method computed on the way.
    pub parts: Parts,
    /// The method could differ under the legacy lenient note scan, which is reconstructed, not
    /// known: one side's note-audit verdict came from that scan of a text that mentions `linkId`
    /// and the other side is or could be a note audit. Such pairs are marked for review.
    pub lenient_scan: bool,
}

impl Similarity {
    /// What the dashboard showed as "similarity %": `round(score × 100, 2)`.
    pub fn percent(&self) -> f64 {
        round_2(self.score * 100.0)
    }

    /// `similarity_scores.cosine_similarity`: the combined cosine, or the JSON-aware content
    /// (itself a cosine); `None` where the method computed none.
    pub fn cosine_similarity(&self) -> Option<f64> {
        match self.parts {
            Parts::Combined(c) => Some(c.cosine),
            Parts::JsonAware(j) => Some(j.content),
            Parts::Notes(_) | Parts::Empty | Parts::Identical => None,
        }
    }

    /// `similarity_scores.jaccard_similarity`: only the combined method computes one.
    pub fn jaccard_similarity(&self) -> Option<f64> {
        match self.parts {
            Parts::Combined(c) => Some(c.jaccard),
            _ => None,
        }
    }

    /// `similarity_scores.fuzzy_ratio` (0 to 100): only the combined method computes one.
    pub fn fuzzy_ratio(&self) -> Option<f64> {
        match self.parts {
            Parts::Combined(c) => Some(c.fuzzy_ratio),
            _ => None,
        }
    }

    /// Note matching's counts: common linkIds with equal results, and all common linkIds.
    pub fn note_counts(&self) -> Option<NoteMatch> {
        match self.parts {
            Parts::Notes(n) => Some(n),
            _ => None,
        }
    }
}

/// What the similarity step stores of one pair, column by column, before the server rounds the
/// components to their numeric columns: the one mapping of a [`Similarity`] to stored values, used
/// by the step that writes them and by the check that recomputes them.
#[derive(Debug, Clone, PartialEq)]
pub struct Stored {
    /// `similarity_scores.comparison_method`.
    pub method: &'static str,
    /// `bellatrix_migrate.similarity.score`, the exact double.
    pub score: f64,
    /// `similarity_percent`, as the text of [`Similarity::percent`] with two decimals.
    pub percent: String,
    /// `cosine_similarity`, `jaccard_similarity` and `fuzzy_ratio`, unrounded.
    pub cosine: Option<f64>,
    pub jaccard: Option<f64>,
    pub fuzzy: Option<f64>,
    /// `matching_notes` and `total_notes` of a note audit.
    pub matching: Option<u32>,
    pub total: Option<u32>,
    pub lenient_scan: bool,
}

impl Similarity {
    /// The values the similarity step stores for this pair.
    pub fn stored(&self) -> Stored {
        let notes = self.note_counts();
        Stored {
            method: self.method.as_str(),
            score: self.score,
            percent: format!("{:.2}", self.percent()),
            cosine: self.cosine_similarity(),
            jaccard: self.jaccard_similarity(),
            fuzzy: self.fuzzy_ratio(),
            matching: notes.map(|n| n.matching),
            total: notes.map(|n| n.common),
            lenient_scan: self.lenient_scan,
        }
    }
}

/// Scores a candidate's raw response against the master's raw response to the same prompt.
pub fn score(master: &str, candidate: &str) -> Similarity {
    let parsed_master = Value::parse(master);
    let parsed_candidate = Value::parse(candidate);
    let seen_master = Inspection::of(master, parsed_master.as_ref());
    let seen_candidate = Inspection::of(candidate, parsed_candidate.as_ref());
    let lenient_scan = notes::lenient_decides(&seen_master, &seen_candidate);
    if seen_master.is_audit() && seen_candidate.is_audit() {
        let counts = NoteMatch::of(parsed_master.as_ref(), parsed_candidate.as_ref());
        return Similarity {
            method: Method::NoteAuditExactMatch,
            score: counts.score(),
            parts: Parts::Notes(counts),
            lenient_scan,
        };
    }
    let a = text::reduce(master, parsed_master.as_ref());
    let b = text::reduce(candidate, parsed_candidate.as_ref());
    let (method, score, parts) = score_texts(&a, &b);
    Similarity {
        method,
        score,
        parts,
        lenient_scan,
    }
}

/// Scores two reduced texts: empty, identical, both JSON, or neither.
fn score_texts(a: &str, b: &str) -> (Method, f64, Parts) {
    if a.is_empty() || b.is_empty() {
        return (Method::Combined, 0.0, Parts::Empty);
    }
    let json_a = Value::parse(a);
    if a == b {
        let method = if json_a.is_some() {
            Method::JsonAware
        } else {
            Method::Combined
        };
        return (method, 1.0, Parts::Identical);
    }
    if let (Some(x), Some(y)) = (json_a.as_ref(), Value::parse(b).as_ref()) {
        let parts = JsonAware::of(x, y);
        return (Method::JsonAware, parts.score(), Parts::JsonAware(parts));
    }
    let parts = Combined::of(a, b);
    (Method::Combined, parts.score(), Parts::Combined(parts))
}

/// Python's `round(x, 2)`: to the nearest hundredth of the float's exact value, ties to even.
/// Rust's fixed-precision formatting rounds the exact binary value the same way, and parsing
/// the digits back gives the float nearest them, as Python returns.
fn round_2(x: f64) -> f64 {
    if !x.is_finite() {
        return x;
    }
    format!("{x:.2}").parse().unwrap_or(x)
}

/// Asserts that two scores agree to within 1e-12 (the tests' expected values are arithmetic on
/// floats, which may differ from the code's order of operations in the last bits).
#[cfg(test)]
pub(crate) fn assert_close(actual: f64, expected: f64) {
    assert!(
        (actual - expected).abs() < 1e-12,
        "expected {expected}, got {actual}"
    );
}

#[cfg(test)]
mod tests;
