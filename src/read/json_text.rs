//! ① Bad bytes of JSON files made into record rejects. PostgreSQL text and jsonb cannot hold a NUL
//! character, and a Rust string cannot hold invalid UTF-8 or a lone surrogate (`\uD800`), which
//! would otherwise fail the whole document, or the whole import at COPY (the server then logs the
//! row's text). Before a JSON file is parsed, every invalid UTF-8 sequence and every lone surrogate
//! escape becomes the escape `\u0000` and its line is remembered; after parsing, a record holding a
//! NUL anywhere is rejected, the reason saying which of the three it was. Outside a string such a
//! byte stays a syntax error. Used by the JSON readers (prompts, users, Bedrock logs), which, like
//! the sniffer, also name a serde_json error by its category here (`json_error_kind`).

use super::context::{FileCtx, Parsed};
use super::positions::item_lines;
use serde_json::Value;
use std::borrow::Cow;

/// What was found on a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mark {
    InvalidUtf8,
    LoneSurrogate,
    /// A raw control character (other than a line break) inside a string, which JSON forbids.
    ControlByte,
}

/// A JSON file's text, bad bytes replaced, and the lines they were on. Borrowed from the file's
/// bytes when nothing needed replacing (the common case: no copy of a large log).
#[derive(Debug, Clone)]
pub struct JsonText<'a> {
    pub text: Cow<'a, str>,
    marks: Vec<(u64, Mark)>,
}

const NUL_ESCAPE: &str = "\\u0000";

impl<'a> JsonText<'a> {
    /// Prepares `bytes` (a BOM already stripped).
    pub fn new(bytes: &'a [u8]) -> JsonText<'a> {
        let mut marks = Vec::new();
        let text = match std::str::from_utf8(bytes) {
            Ok(valid) => Cow::Borrowed(valid),
            Err(_) => Cow::Owned(replace_bad_bytes(bytes, &mut marks)),
        };
        let text = match replace_lone_surrogates(&text, &mut marks) {
            Some(replaced) => Cow::Owned(replaced),
            None => text,
        };
        marks.sort_by_key(|(l, _)| *l);
        JsonText { text, marks }
    }

    /// Whether anything was replaced on lines `from..to` (`to` exclusive; `None`: to the end).
    fn mark_between(&self, from: u64, to: Option<u64>) -> Option<Mark> {
        self.marks
            .iter()
            .find(|(l, _)| *l >= from && to.is_none_or(|t| *l < t))
            .map(|(_, m)| *m)
    }

    /// Whether line `line` held a replaced byte or escape.
    pub fn marked(&self, line: u64) -> bool {
        self.mark_between(line, Some(line + 1)).is_some()
    }

    /// The reject reason for a record on lines `from..to` whose value holds a NUL at `field`.
    pub fn reason(&self, from: u64, to: Option<u64>, field: &str) -> String {
        let what = match self.mark_between(from, to) {
            Some(Mark::InvalidUtf8) => "invalid UTF-8",
            Some(Mark::LoneSurrogate) => "a lone surrogate escape (\\uD800-\\uDFFF)",
            Some(Mark::ControlByte) => "a raw control character",
            None => "a NUL character (\\u0000)",
        };
        format!("{field} holds {what}, which PostgreSQL text cannot store")
    }
}

/// The text with every invalid UTF-8 sequence replaced by `\u0000`, each line remembered.
fn replace_bad_bytes(bytes: &[u8], marks: &mut Vec<(u64, Mark)>) -> String {
    let mut text = String::with_capacity(bytes.len() + 16);
    let mut line = 1u64;
    for chunk in bytes.utf8_chunks() {
        line += count_newlines(chunk.valid());
        text.push_str(chunk.valid());
        if !chunk.invalid().is_empty() {
            text.push_str(NUL_ESCAPE);
            marks.push((line, Mark::InvalidUtf8));
        }
    }
    text
}

fn count_newlines(s: &str) -> u64 {
    u64::try_from(s.bytes().filter(|b| *b == b'\n').count()).unwrap_or(0)
}

/// Replaces, inside strings, `\uD800`–`\uDFFF` escapes that are not a high-low pair and raw
/// control characters (other than line breaks, which keep line numbers) with `\u0000`; `None` when
/// there were none.
fn replace_lone_surrogates(text: &str, marks: &mut Vec<(u64, Mark)>) -> Option<String> {
    let control = |c: u8| c < 0x20 && c != b'\n' && c != b'\r';
    if !text.contains("\\u") && !text.bytes().any(control) {
        return None;
    }
    let mut replaced = false;
    let b = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut line = 1u64;
    let mut in_string = false;
    let mut i = 0;
    let mut copied = 0;
    let surrogate = |at: usize| -> Option<u16> {
        let hex = b.get(at..at + 6)?;
        if hex[0] != b'\\' || hex[1] != b'u' {
            return None;
        }
        let s = std::str::from_utf8(&hex[2..]).ok()?;
        u16::from_str_radix(s, 16)
            .ok()
            .filter(|v| (0xD800..=0xDFFF).contains(v))
    };
    while i < b.len() {
        let c = b[i];
        if c == b'\n' {
            line += 1;
        }
        if !in_string {
            if c == b'"' {
                in_string = true;
            }
            i += 1;
            continue;
        }
        // A byte to replace, with how long it is and why; a paired surrogate escape is kept.
        let bad = match c {
            b'"' => {
                in_string = false;
                None
            }
            b'\\' => match surrogate(i) {
                Some(high)
                    if (0xD800..=0xDBFF).contains(&high)
                        && surrogate(i + 6).is_some_and(|low| (0xDC00..=0xDFFF).contains(&low)) =>
                {
                    i += 12;
                    continue;
                }
                Some(_) => Some((6, Mark::LoneSurrogate)),
                None => {
                    i += 2;
                    continue;
                }
            },
            c if control(c) => Some((1, Mark::ControlByte)),
            _ => None,
        };
        match bad {
            Some((len, mark)) => {
                out.push_str(&text[copied..i]);
                out.push_str(NUL_ESCAPE);
                marks.push((line, mark));
                replaced = true;
                i += len;
                copied = i;
            }
            None => i += 1,
        }
    }
    if !replaced {
        return None;
    }
    out.push_str(&text[copied.min(text.len())..]);
    Some(out)
}

/// A JSON document that does not parse (cut short, or broken by a bad byte): no partial record is
/// kept. Every item begun at `depth` (1: the top-level container's, 2: one level down; 0: the
/// document is one record) is a rejected record at its line; when none began, the file is one
/// rejected record at the place parsing failed. `what` names the document in the reason.
pub fn broken_document<T>(
    text: &str,
    depth: usize,
    e: &serde_json::Error,
    ctx: &FileCtx,
    what: &str,
) -> Parsed<T> {
    let line = u64::try_from(e.line()).unwrap_or(1).max(1);
    let reason = format!(
        "{what} does not parse ({} at line {line}, column {}): none of its records is imported",
        json_error_kind(e),
        e.column()
    );
    let items = if depth == 0 {
        Vec::new()
    } else {
        item_lines(text, depth)
    };
    let rejects = if items.is_empty() {
        vec![ctx.reject(line, Some(e.column()), None, reason.clone())]
    } else {
        items
            .iter()
            .map(|l| ctx.reject(*l, None, None, reason.clone()))
            .collect()
    };
    Parsed {
        records: u64::try_from(rejects.len()).unwrap_or(u64::MAX),
        rows: Vec::new(),
        rejects,
        file_rejected: Some(reason),
        version: None,
    }
}

/// The first place in `v` that holds a NUL: a top-level key's name when it is a plain identifier
/// (never text that could be legacy data), else `a key` or `a value`.
pub fn nul_field(v: &Value) -> Option<String> {
    fn has(v: &Value) -> bool {
        match v {
            Value::String(s) => s.contains('\0'),
            Value::Array(items) => items.iter().any(has),
            Value::Object(map) => map.iter().any(|(k, v)| k.contains('\0') || has(v)),
            _ => false,
        }
    }
    match v {
        Value::Object(map) => map.iter().find_map(|(k, v)| {
            if k.contains('\0') {
                Some("a key".to_owned())
            } else if has(v) {
                Some(plain_name(k))
            } else {
                None
            }
        }),
        other if has(other) => Some("a value".to_owned()),
        _ => None,
    }
}

/// A key's name when it is a short identifier (a schema word), else `a key`.
pub fn plain_name(k: &str) -> String {
    if !k.is_empty() && k.len() <= 40 && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        k.to_owned()
    } else {
        "a field".to_owned()
    }
}

/// A serde_json error's category, never the text around it.
pub fn json_error_kind(e: &serde_json::Error) -> &'static str {
    // The message is serde_json's fixed text for this one code (compared, never shown).
    if e.to_string().starts_with("recursion limit exceeded") {
        return "nested deeper than 128 levels";
    }
    match e.classify() {
        serde_json::error::Category::Io => "i/o error",
        serde_json::error::Category::Syntax => "syntax error",
        serde_json::error::Category::Data => "unexpected data",
        serde_json::error::Category::Eof => "unexpected end",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_bytes_and_lone_surrogates_become_nul_escapes_on_their_lines() {
        let t = JsonText::new(
            b"[\"ok\",\n\"bad \xff byte\",\n\"\\ud800 alone\", \"\\ud83d\\ude00 pair\"]",
        );
        let v: Value = serde_json::from_str(&t.text).expect("still JSON");
        assert_eq!(v[0], "ok");
        assert!(v[1].as_str().is_some_and(|s| s.contains('\0')));
        assert!(v[2].as_str().is_some_and(|s| s.contains('\0')));
        assert_eq!(v[3], "\u{1F600} pair");
        assert!(t.reason(2, Some(3), "prompt").contains("invalid UTF-8"));
        assert!(t.reason(3, None, "prompt").contains("lone surrogate"));
        assert!(t.reason(1, Some(2), "prompt").contains("NUL"));
    }

    #[test]
    fn raw_control_characters_in_strings_reject_their_record_only() {
        let t = JsonText::new(b"[\"a\tb\",\n\"fine\"]");
        let v: Value = serde_json::from_str(&t.text).expect("now JSON");
        assert!(v[0].as_str().is_some_and(|s| s.contains('\0')));
        assert_eq!(v[1], "fine");
        assert!(t.reason(1, Some(2), "prompt").contains("control character"));
    }

    #[test]
    fn escaped_backslashes_are_not_surrogates_and_keys_are_named_safely() {
        let t = JsonText::new(br#"{"a": "\\ud800"}"#);
        assert_eq!(t.text, r#"{"a": "\\ud800"}"#);
        let v = serde_json::json!({"prompt": "x\u{0}y", "n": 1});
        assert_eq!(nul_field(&v).as_deref(), Some("prompt"));
        let v = serde_json::json!({"my secret words": "\u{0}"});
        assert_eq!(nul_field(&v).as_deref(), Some("a field"));
        assert_eq!(
            nul_field(&serde_json::json!("a\u{0}")).as_deref(),
            Some("a value")
        );
        assert_eq!(nul_field(&serde_json::json!({"k": "v"})), None);
    }

    /// Every JSON fixture, cut at many places and with bytes flipped: classification and the
    /// readers never panic, and every record they count is a row or a reject.
    #[test]
    fn damaged_json_fixtures_never_panic_and_every_record_is_accounted() {
        use crate::model::Kind;
        use crate::read::{bedrock_log, classify, prompts_json, users_json, FileCtx};
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
        let files = [
            "bedrock_log/cloudtrail_events.json",
            "bedrock_log/cloudwatch_export.jsonl",
            "bedrock_log/pretty_printed.json",
            "bedrock_log/single_line_array.json",
            "bedrock_log/single_object.json",
            "bedrock_log/string_bodies.jsonl",
            "prompts_json/array.json",
            "prompts_json/prompts.jsonl",
            "prompts_json/prompts_object.json",
            "users_json/users.json",
        ];
        let mut tried = 0;
        for file in files {
            let good = std::fs::read(root.join(file)).expect("a fixture");
            let name = file.rsplit('/').next().unwrap_or(file);
            let mut mutants = Vec::new();
            for k in 1..24 {
                let at = good.len() * k / 24;
                mutants.push(good[..at].to_vec());
                for byte in [0x00, 0xff, b'"', b'{', b'\\', b'\n'] {
                    let mut m = good.clone();
                    m[at] = byte;
                    mutants.push(m);
                }
            }
            for m in mutants {
                tried += 1;
                let c = classify::classify(name, &m, true, std::io::empty());
                let ctx = FileCtx::for_tests("mutant");
                let variant = c.variant.clone().unwrap_or_default();
                let (records, parts) = match c.kind {
                    _ if c.damage.is_some() => continue,
                    Kind::PromptsJson => {
                        let p = prompts_json::read(&m, &ctx, &variant);
                        (p.records, p.rows.len() + p.rejects.len())
                    }
                    Kind::UsersJson => {
                        let p = users_json::read(&m, &ctx);
                        (p.records, p.rows.len() + p.rejects.len())
                    }
                    Kind::BedrockLog => {
                        let p = bedrock_log::read(&m, &ctx, variant != "jsonl");
                        (p.records, p.rows.len() + p.rejects.len())
                    }
                    _ => continue,
                };
                assert_eq!(Some(records), u64::try_from(parts).ok(), "{file}: {c:?}");
            }
        }
        assert!(tried > 1000);
    }
}
