//! ① Classification: decides a file's kind and variant from its content (the first bytes: a CSV
//! header, a JSON shape, a YAML mapping, Python assignments). The file name is only a hint, used
//! where content alone cannot decide (an empty `users.json`, a plain-text prompt list). Pure, so
//! every rule is unit-tested here; `read/mod.rs` feeds it the head of each discovered file.
//!
//! The rules by content are beside this file: `csv_header` (CSV headers; the exact ones of the
//! aggregate and summary files are in `headers`), `json` (JSON shapes) and `config` (YAML and
//! Python); this file tries them in order and falls back on the name, by the rules of `marks` (the
//! names the app wrote, and CSV headers close to a legacy one).

mod config;
mod csv_header;
mod headers;
mod json;
mod marks;

use super::source::BOM;
use crate::model::Kind;
use config::{classify_yaml, is_config_py};
use csv_header::classify_csv;
use json::classify_json;
use std::io::Read;

pub use csv_header::{prompt_column, prompts_csv_variant};
pub use headers::{MODEL_COMPARISON_HEADER, SUMMARY_HEADER};
pub use json::{is_log_entry, prompt_item, PROMPT_KEYS};

/// A classification: the kind and, where the kind has several shapes, which one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Classified {
    pub kind: Kind,
    pub variant: Option<String>,
    /// Why a file is `unknown` (never text of the file).
    pub reason: Option<String>,
    /// Set when the name or content marks the file as `kind` but it cannot be read: the file is
    /// then rejected whole, here.
    pub damage: Option<Damage>,
    /// Where an unknown file stopped parsing, for the reject should its name mark it as legacy.
    at: Option<(u64, Option<usize>)>,
}

/// Where and why a file of a legacy kind cannot be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Damage {
    pub line: u64,
    pub column: Option<usize>,
    pub reason: String,
}

impl Classified {
    fn of(kind: Kind, variant: impl Into<String>) -> Self {
        Self {
            kind,
            variant: Some(variant.into()),
            reason: None,
            damage: None,
            at: None,
        }
    }

    /// Kind `unknown`: listed in the report with `reason` and skipped, never guessed at.
    pub fn unknown(reason: impl Into<String>) -> Self {
        Self {
            kind: Kind::Unknown,
            variant: None,
            reason: Some(reason.into()),
            damage: None,
            at: None,
        }
    }

    /// A file of `kind` that cannot be read, rejected whole.
    pub(super) fn damaged(kind: Kind, line: u64, column: Option<usize>, reason: String) -> Self {
        Self {
            kind,
            variant: None,
            reason: None,
            damage: Some(Damage {
                line,
                column,
                reason,
            }),
            at: None,
        }
    }
}
/// Classifies a file from its name and content: `head` is its first bytes (all of them when
/// `complete`), `rest` the bytes after the head. JSON is judged by streaming its first items from
/// `head` then `rest`; everything else by the head. Encoding problems never decide the kind (the
/// readers reject the rows that hold them). A file that its name or content marks as a legacy
/// kind but that cannot be read comes back with `damage`, never as `unknown`.
pub fn classify(name: &str, head: &[u8], complete: bool, rest: impl Read) -> Classified {
    let c = classify_content(name, head, complete, rest);
    if c.kind != Kind::Unknown {
        return c;
    }
    match marks::kind_by_name(&name.to_ascii_lowercase()) {
        Some(kind) => {
            let (line, column) = c.at.unwrap_or((1, None));
            let why = c.reason.unwrap_or_default();
            Classified::damaged(
                kind,
                line,
                column,
                format!("named like a {} file, but {why}", kind.name()),
            )
        }
        None => c,
    }
}

fn classify_content(name: &str, head: &[u8], complete: bool, rest: impl Read) -> Classified {
    let bom = head.starts_with(BOM);
    let body = head.strip_prefix(BOM).unwrap_or(head);
    let Some(start) = body.iter().position(|b| !b.is_ascii_whitespace()) else {
        return Classified::unknown(if body.is_empty() {
            "the file is empty"
        } else {
            "the file holds only white space"
        });
    };
    if matches!(body[start], b'{' | b'[') {
        return classify_json(name, body, complete, rest);
    }
    // A NUL byte in a row is that row's reject, never the file's kind: the header decides first.
    let columns = match classify_csv(body, bom) {
        Ok(c) => return c,
        Err(columns) => columns,
    };
    // Invalid UTF-8 becomes U+FFFD here, so that it never decides the kind.
    let text = String::from_utf8_lossy(body);
    let lower = name.to_ascii_lowercase();
    if let Some(c) = classify_yaml(&lower, &text, complete) {
        return c;
    }
    if is_config_py(&text) {
        return Classified::of(Kind::ConfigPy, "python_dicts");
    }
    if lower.ends_with(".txt") && lower.contains("prompt") {
        return Classified::of(Kind::PromptsJson, "txt");
    }
    if body[..body.len().min(8192)].contains(&0) {
        Classified::unknown("binary content (NUL bytes), not text")
    } else if lower.ends_with(".yaml") || lower.ends_with(".yml") {
        Classified::unknown("YAML with neither a models list nor only settings keys")
    } else if columns > 1 {
        Classified::unknown(format!(
            "CSV header matches no legacy kind: {columns} columns"
        ))
    } else {
        Classified::unknown(
            "plain text of no legacy kind (a prompt list needs \"prompt\" in its name)",
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The kind and variant `classify` gives a whole file `text` named `name`.
    pub(super) fn kind(name: &str, text: &str) -> (Kind, Option<String>) {
        let c = classify(name, text.as_bytes(), true, std::io::empty());
        (c.kind, c.variant)
    }

    #[test]
    fn legacy_names_with_unreadable_content_are_damaged_not_unknown() {
        for (name, text) in [
            ("users.json", "[1, 2]"),
            ("raw_metrics.csv", "a,b,c\n"),
            ("config.py", "print('hello')\n"),
            ("prompts.json", "{\"prom"),
        ] {
            let c = classify(name, text.as_bytes(), true, std::io::empty());
            assert_ne!(c.kind, Kind::Unknown, "{name}");
            assert!(
                c.damage
                    .as_ref()
                    .is_some_and(|d| d.reason.starts_with("named like")),
                "{name}: {c:?}"
            );
        }
        let yaml = classify(
            "models.yaml",
            b"models:\n  - name: A\n   bad: [\n",
            true,
            std::io::empty(),
        );
        assert_eq!(yaml.kind, Kind::ModelsYaml);
        assert!(yaml
            .damage
            .is_some_and(|d| d.reason.contains("does not parse")));
    }

    #[test]
    fn unknown_files_say_why() {
        let reason = |name: &str, text: &str| {
            let c = classify(name, text.as_bytes(), true, std::io::empty());
            assert_eq!(c.kind, Kind::Unknown, "{name}");
            c.reason.unwrap_or_default()
        };
        assert_eq!(
            reason("a.csv", "x,y,z\n1,2,3\n"),
            "CSV header matches no legacy kind: 3 columns"
        );
        assert_eq!(reason("empty.csv", ""), "the file is empty");
        assert!(reason("readme.txt", "A note.\n").starts_with("plain text"));
        assert!(reason("o.json", "{\"a\": 1}").contains("JSON object"));
        assert!(reason("o.json", "{\"a\": ").contains("unexpected end at line 1"));
        assert!(reason("blob", "\u{0}\u{1}").contains("binary"));
    }
}
