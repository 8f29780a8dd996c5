//! Note audits: whether a response is one (its notes, from its JSON or a lenient scan of its
//! text), and the note-matching score of two of them.
//!
//! A note audit answers with notes, each a `linkId` and a `result`. The legacy detector fell back
//! to a lenient scan of the text when the JSON did not have the expected shape; that scan's exact
//! patterns are not known, so this one is a reconstruction (the `{...}` blocks without nested
//! braces that parse as an object holding both keys, and `linkId: … result: …` pairs), and a pair
//! whose method could turn on it is flagged (see `lenient_decides`).

use super::text::{py_strip, write_str};
use super::value::Value;
use std::collections::HashMap;

/// What the note-audit detector made of one raw response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Inspection {
    /// The JSON had the expected shape (a list whose first item is an object holding `linkId` or
    /// `result`, or an object holding both): `audit` says whether a note holds both keys. Exact.
    Json { audit: bool },
    /// The text went to the lenient scan: `audit` says whether it found a note holding both keys,
    /// `mentions_link_id` whether the text holds `linkid` in any case at all. Without that word
    /// no scan can find a note, so only such texts are uncertain.
    Scanned { audit: bool, mentions_link_id: bool },
}

impl Inspection {
    /// Inspects a raw response, given its parse (`None`: not JSON).
    pub fn of(raw: &str, parsed: Option<&Value>) -> Inspection {
        match parsed {
            Some(Value::List(items))
                if items
                    .first()
                    .is_some_and(|first| first.has("linkId") || first.has("result")) =>
            {
                Inspection::Json {
                    audit: items.iter().any(is_note),
                }
            }
            Some(object @ Value::Dict(_)) if is_note(object) => Inspection::Json { audit: true },
            _ => Inspection::Scanned {
                audit: scan(raw),
                mentions_link_id: contains_ignore_ascii_case(raw, "linkid"),
            },
        }
    }

    /// Whether the detector called it a note audit.
    pub fn is_audit(&self) -> bool {
        match self {
            Inspection::Json { audit } | Inspection::Scanned { audit, .. } => *audit,
        }
    }

    /// Whether a scan that differs from the legacy one could have answered otherwise.
    fn uncertain(&self) -> bool {
        matches!(
            self,
            Inspection::Scanned {
                mentions_link_id: true,
                ..
            }
        )
    }

    /// Whether some scan could call it a note audit.
    fn could_be_audit(&self) -> bool {
        self.is_audit() || self.uncertain()
    }
}

/// Whether the method chosen for a pair could differ under the legacy scan: one side's verdict
/// came from the lenient scan of a text mentioning `linkId`, and the other side is or could be a
/// note audit.
pub fn lenient_decides(a: &Inspection, b: &Inspection) -> bool {
    (a.uncertain() || b.uncertain()) && a.could_be_audit() && b.could_be_audit()
}

/// The outcome of note matching.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NoteMatch {
    /// Common linkIds whose results are equal.
    pub matching: u32,
    /// LinkIds both responses have.
    pub common: u32,
}

impl NoteMatch {
    /// Matches the notes of two parsed responses; `None` on a side that is not JSON, which
    /// scores 0 with no common note.
    pub fn of(a: Option<&Value>, b: Option<&Value>) -> NoteMatch {
        let (Some(a), Some(b)) = (a, b) else {
            return NoteMatch {
                matching: 0,
                common: 0,
            };
        };
        let a = results(a);
        let b = results(b);
        let mut matching = 0u32;
        let mut common = 0u32;
        for (link_id, result) in &a {
            if let Some(other) = b.get(link_id) {
                common = common.saturating_add(1);
                if other == result {
                    matching = matching.saturating_add(1);
                }
            }
        }
        NoteMatch { matching, common }
    }

    /// The share of common linkIds whose results agree; 0 without common linkIds.
    pub fn score(&self) -> f64 {
        if self.common == 0 {
            0.0
        } else {
            f64::from(self.matching) / f64::from(self.common)
        }
    }
}

/// `str(linkId)` → `str(result)` trimmed and lower-cased, over the notes holding both (an object
/// is one note, a list its objects); a repeated linkId keeps its last result, as a dict does.
fn results(value: &Value) -> HashMap<String, String> {
    let notes: Vec<&Value> = match value {
        Value::Dict(_) => vec![value],
        Value::List(items) => items
            .iter()
            .filter(|item| matches!(item, Value::Dict(_)))
            .collect(),
        _ => Vec::new(),
    };
    let mut map = HashMap::with_capacity(notes.len());
    let mut text = String::new();
    for note in notes {
        if let (Some(link_id), Some(result)) = (note.get("linkId"), note.get("result")) {
            let mut key = String::new();
            write_str(link_id, &mut key);
            text.clear();
            write_str(result, &mut text);
            map.insert(key, py_strip(&text).to_lowercase());
        }
    }
    map
}

/// Whether a value is an object holding both `linkId` and `result`.
fn is_note(value: &Value) -> bool {
    value.has("linkId") && value.has("result")
}

/// The lenient scan: a `{...}` block without nested braces that parses as an object holding both
/// keys, or `linkId` followed by a colon and, within the same note, `result` followed by a colon.
fn scan(text: &str) -> bool {
    braces_hold_a_note(text) || link_id_then_result(text)
}

/// Whether a `{...}` block (no braces inside) parses as a note.
fn braces_hold_a_note(text: &str) -> bool {
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        let Some(len) = after.find(['{', '}']) else {
            return false;
        };
        if after[len..].starts_with('}') {
            let block = &rest[open..open + 1 + len + 1];
            if Value::parse(block).is_some_and(|v| is_note(&v)) {
                return true;
            }
            rest = &after[len + 1..];
        } else {
            rest = &after[len..];
        }
    }
    false
}

/// Whether `linkId` (as a key: quotes, spaces, then `:` or `=`) is followed by `result` used as
/// a key the same way, with a value, before the next `linkId` or the end of an object.
fn link_id_then_result(text: &str) -> bool {
    let mut rest = text;
    while let Some(at) = rest.find("linkId") {
        let after = &rest[at + "linkId".len()..];
        if let Some(value) = key_value(after) {
            let end = [value.find("linkId"), value.find('}')]
                .into_iter()
                .flatten()
                .min();
            let span = end.map_or(value, |end| &value[..end]);
            let mut search = span;
            while let Some(r) = search.find("result") {
                let tail = &search[r + "result".len()..];
                if key_value(tail).is_some_and(|v| !py_strip(v).is_empty()) {
                    return true;
                }
                search = tail;
            }
        }
        rest = after;
    }
    false
}

/// The text after a key's separator: skips closing quotes (also JSON-escaped ones) and spaces,
/// then needs `:` or `=`.
fn key_value(after_key: &str) -> Option<&str> {
    let trimmed = after_key.trim_start_matches(['"', '\'', '\\', ' ', '\t']);
    trimmed
        .strip_prefix(':')
        .or_else(|| trimmed.strip_prefix('='))
}

/// Whether `haystack` contains `needle` (ASCII), ignoring ASCII case.
fn contains_ignore_ascii_case(haystack: &str, needle: &str) -> bool {
    haystack
        .as_bytes()
        .windows(needle.len())
        .any(|window| window.eq_ignore_ascii_case(needle.as_bytes()))
}

#[cfg(test)]
#[path = "notes_tests.rs"]
mod tests;
