//! The "combined" text score and its parts: cosine and jaccard of the words, character and word
//! bigrams, and the rapidfuzz ratio, on the normalised texts.
//!
//! Sets and counts borrow the texts' words and characters, so a pair costs a few hash tables and
//! no string per word. Counts are integers, so the cosine's sums are exact whatever the order the
//! tables are walked in, and the result is the same on every run and thread.

use super::text::py_words;
// FxHash (rustc-hash): these maps and sets hold words and bigrams of one pair and are dropped with
// it; SipHash's protection against crafted keys buys nothing here and cost half of a pair's time.
// Nothing sums over their order: the counts are integers.
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use std::hash::Hash;

/// The legacy weights of cosine, jaccard, ngram and fuzzy before normalisation. The dashboard
/// divided each by their sum, and so does this code, to get the same last bits (0.3 / 0.8 is
/// 0.37499999999999994, not 0.375).
const RAW_WEIGHTS: [f64; 4] = [0.30, 0.20, 0.15, 0.15];

/// The parts of a combined score.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Combined {
    /// Cosine of the word-count vectors, in [0, 1].
    pub cosine: f64,
    /// Jaccard of the word sets, in [0, 1].
    pub jaccard: f64,
    /// 0.6 × character-bigram jaccard + 0.4 × word-bigram jaccard, in [0, 1].
    pub ngram: f64,
    /// rapidfuzz `fuzz.ratio`, 0 to 100.
    pub fuzzy_ratio: f64,
}

impl Combined {
    /// Scores two texts that are neither empty nor identical and do not both parse as JSON.
    pub fn of(a: &str, b: &str) -> Combined {
        let a = normalise(a);
        let b = normalise(b);
        Combined {
            cosine: cosine(&a, &b),
            jaccard: jaccard(&a, &b),
            ngram: ngram(&a, &b),
            fuzzy_ratio: fuzzy_ratio(&a, &b),
        }
    }

    /// The weighted sum, summed in the legacy order.
    pub fn score(&self) -> f64 {
        let total: f64 = RAW_WEIGHTS.iter().sum();
        let parts = [
            self.cosine,
            self.jaccard,
            self.ngram,
            self.fuzzy_ratio / 100.0,
        ];
        RAW_WEIGHTS
            .iter()
            .zip(parts)
            .map(|(w, part)| part * (w / total))
            .sum()
    }
}

/// Lower case, every whitespace run to one space, trimmed.
pub fn normalise(text: &str) -> String {
    let lower = text.to_lowercase();
    let mut out = String::with_capacity(lower.len());
    for word in py_words(&lower) {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// 1 − scipy's cosine distance of the word-count vectors, floored at 0. scipy divides by zero
/// when a text has no words and answers NaN; the dashboard floored with `max(0, …)`, which turns
/// NaN into 0, so a text without words has cosine 0 here (also when both have none).
pub fn cosine(a: &str, b: &str) -> f64 {
    let mut counts: HashMap<&str, (u64, u64)> = HashMap::default();
    for word in py_words(a) {
        counts.entry(word).or_default().0 += 1;
    }
    for word in py_words(b) {
        counts.entry(word).or_default().1 += 1;
    }
    let (mut uv, mut uu, mut vv) = (0u64, 0u64, 0u64);
    for (x, y) in counts.values() {
        uv += x * y;
        uu += x * x;
        vv += y * y;
    }
    if uu == 0 || vv == 0 {
        return 0.0;
    }
    // scipy: clip(1 − uv / sqrt(uu·vv), 0, 2), with the integer sums as floats.
    let distance = (1.0 - to_f64(uv) / to_f64(uu.saturating_mul(vv)).sqrt()).clamp(0.0, 2.0);
    (1.0 - distance).max(0.0)
}

/// |A ∩ B| / |A ∪ B| of the word sets; 1 when both are empty.
pub fn jaccard(a: &str, b: &str) -> f64 {
    let a: HashSet<&str> = py_words(a).collect();
    let b: HashSet<&str> = py_words(b).collect();
    set_jaccard(&a, &b).unwrap_or(1.0)
}

/// 0.6 × jaccard of the character bigram sets (1 when both are empty) + 0.4 × jaccard of the word
/// bigram sets (0 when both are empty).
pub fn ngram(a: &str, b: &str) -> f64 {
    let chars_a = char_bigrams(a);
    let chars_b = char_bigrams(b);
    let words_a = word_bigrams(a);
    let words_b = word_bigrams(b);
    0.6 * set_jaccard(&chars_a, &chars_b).unwrap_or(1.0)
        + 0.4 * set_jaccard(&words_a, &words_b).unwrap_or(0.0)
}

/// rapidfuzz's `fuzz.ratio` (0 to 100): the normalised Indel similarity over characters, as
/// Python's `fuzz.ratio`, which runs no processor by default.
pub fn fuzzy_ratio(a: &str, b: &str) -> f64 {
    rapidfuzz::fuzz::ratio(a.chars(), b.chars()) * 100.0
}

/// The jaccard index of two sets, `None` when both are empty (each caller says what that means).
fn set_jaccard<T: Eq + Hash>(a: &HashSet<T>, b: &HashSet<T>) -> Option<f64> {
    let shared = a.intersection(b).count();
    let union = a.len() + b.len() - shared;
    (union > 0).then(|| ratio(shared, union))
}

/// The set of consecutive character pairs (Python's `text[i:i+2]`, by code point).
fn char_bigrams(text: &str) -> HashSet<(char, char)> {
    text.chars().zip(text.chars().skip(1)).collect()
}

/// The set of consecutive word pairs of `str.split()`.
fn word_bigrams(text: &str) -> HashSet<(&str, &str)> {
    py_words(text).zip(py_words(text).skip(1)).collect()
}

/// A count as a float, rounded to nearest as NumPy's conversion is (exact below 2^53, which word
/// counts never reach); there is no `From` for this, so `as` is the conversion meant.
fn to_f64(n: u64) -> f64 {
    n as f64
}

/// `num / den` of two sizes as floats.
pub(super) fn ratio(num: usize, den: usize) -> f64 {
    count(num) / count(den)
}

/// A size as a float, as Python's `len()` becomes one in a division (exact below 2^53); there is
/// no `From<usize>` for `f64`, so `as` is the conversion meant.
pub(super) fn count(n: usize) -> f64 {
    n as f64
}

#[cfg(test)]
#[path = "combined_tests.rs"]
mod tests;
