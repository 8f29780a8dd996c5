//! ① Bedrock model-invocation logs (docs/formats.md#bedrock_log) in every shape the app accepted and the
//! ones it could not: JSON Lines, a single-line JSON array or object, a pretty-printed document,
//! the CloudWatch Logs export wrapper (`message` holds the entry as a JSON string), CloudTrail
//! events, bodies given as JSON strings, InvokeModel bodies. Every entry becomes a staged
//! `cloudwatch_log_entries` row with the log's real token counts and latency (not the legacy
//! parser's len/4 estimates and 0.0), and its user prompt. A line that is not JSON is kept with
//! `parsed = false` and the kind of parse error (never its text in the report). Feeds
//! `stage_log_entries`.
//!
//! This file reads a whole file (a document or JSON Lines); `entry` turns one entry into its row.

mod entry;

pub use entry::user_prompt;

use super::context::{FileCtx, Parsed};
use super::json_text::{json_error_kind, nul_field, JsonText};
use super::positions::{item_lines, line_of};
use crate::model::{LogEntryRecord, Reject};
use entry::{entry, unparsed};
use serde::de::{self, DeserializeSeed};
use serde_json::Value;

/// Reads a log file: a whole document (array, object, a CloudTrail `Records` file) when the
/// classifier says so, else JSON Lines. Blank lines count in line numbers, as the app counted.
pub fn read(bytes: &[u8], ctx: &FileCtx, document: bool) -> Parsed<LogEntryRecord> {
    let mut rows = Vec::new();
    let (records, rejects, file_rejected) = read_with(bytes, ctx, document, &mut |r| {
        rows.push(r);
        true
    });
    Parsed {
        records,
        rows,
        rejects,
        file_rejected,
        version: None,
    }
}

/// Like `read`, but hands each entry to `sink` as soon as it is read, so a large JSON Lines log
/// never sits in memory as records; `sink` returns false to stop (the stage closed). Returns the
/// record count, the rejects, and why the file was rejected whole (a document that does not
/// parse: never read as lines, never a partial entry). An entry holding a NUL character, invalid
/// UTF-8 or a lone surrogate is rejected (jsonb and text cannot store them).
pub fn read_with(
    bytes: &[u8],
    ctx: &FileCtx,
    document: bool,
    sink: &mut dyn FnMut(LogEntryRecord) -> bool,
) -> (u64, Vec<Reject>, Option<String>) {
    let mut records = 0u64;
    let mut rejects = Vec::new();
    let prepared = JsonText::new(bytes.strip_prefix(super::source::BOM).unwrap_or(bytes));
    let text: &str = &prepared.text;
    let mut emit = |r: Result<LogEntryRecord, (u64, String)>,
                    next: Option<u64>,
                    rejects: &mut Vec<Reject>| match r {
        Ok(record) => match record_nul(&record) {
            Some(field) => {
                let line = u64::try_from(record.line).unwrap_or(1);
                let reason = prepared.reason(line, next, &field);
                rejects.push(ctx.reject(line, None, Some(field.as_str()), reason));
                true
            }
            None => sink(record),
        },
        Err((line, reason)) => {
            rejects.push(ctx.reject(line, None, None, reason));
            true
        }
    };
    if document && text.trim_start().starts_with('[') {
        // A log array can be large: checked whole first (a cut document keeps no partial entry),
        // then parsed one entry at a time, so memory holds the text and one entry, not a tree of
        // every entry.
        if let Err(e) = serde_json::from_str::<de::IgnoredAny>(text) {
            let p: Parsed<LogEntryRecord> =
                super::json_text::broken_document(text, 1, &e, ctx, "the log document");
            return (p.records, p.rejects, p.file_rejected);
        }
        let lines = item_lines(text, 1);
        let mut i = 0usize;
        let mut stopped = false;
        let mut each = |v: Value| {
            records += 1;
            let next = lines.get(i + 1).copied();
            let go = emit(entry(v, line_of(&lines, i), ctx), next, &mut rejects);
            i += 1;
            stopped = !go;
            go
        };
        let streamed =
            Elements { each: &mut each }.deserialize(&mut serde_json::Deserializer::from_str(text));
        if streamed.is_err() && !stopped {
            // Never expected once the whole document parsed; the entries not reached are rejects.
            for line in lines.iter().skip(i) {
                records += 1;
                rejects.push(ctx.reject(*line, None, None, "the log entry could not be parsed"));
            }
        }
        return (records, rejects, None);
    }
    if document {
        let (items, depth) = match serde_json::from_str::<Value>(text) {
            Ok(Value::Array(items)) => (items, 1),
            Ok(Value::Object(mut map)) if map.get("Records").is_some_and(Value::is_array) => {
                match map.remove("Records") {
                    Some(Value::Array(items)) => (items, 2),
                    _ => (Vec::new(), 2),
                }
            }
            Ok(other) => (vec![other], 0),
            Err(e) => {
                let trimmed = text.trim_start();
                let depth = if trimmed.starts_with('[') {
                    1
                } else if trimmed.contains("\"Records\"") {
                    2
                } else {
                    0
                };
                let p: Parsed<LogEntryRecord> =
                    super::json_text::broken_document(text, depth, &e, ctx, "the log document");
                return (p.records, p.rejects, p.file_rejected);
            }
        };
        let lines = if depth == 0 {
            vec![1]
        } else {
            item_lines(text, depth)
        };
        for (i, v) in items.into_iter().enumerate() {
            records += 1;
            let next = lines.get(i + 1).copied();
            if !emit(entry(v, line_of(&lines, i), ctx), next, &mut rejects) {
                break;
            }
        }
        return (records, rejects, None);
    }
    for (i, l) in text.lines().enumerate() {
        let line = u64::try_from(i).unwrap_or(0) + 1;
        if l.trim().is_empty() {
            continue;
        }
        records += 1;
        let record = match serde_json::from_str::<Value>(l) {
            Ok(v) => entry(v, line, ctx),
            // Kept as text, unless the text itself cannot be stored as it was.
            Err(_) if prepared.marked(line) || l.contains('\0') => Err((
                line,
                "line is not JSON and holds invalid UTF-8 or a NUL byte, which PostgreSQL text cannot store"
                    .to_owned(),
            )),
            Err(e) => Ok(unparsed(
                l,
                line,
                ctx,
                format!(
                    "line is not JSON: {} at column {}",
                    json_error_kind(&e),
                    e.column()
                ),
            )),
        };
        if !emit(record, Some(line + 1), &mut rejects) {
            break;
        }
    }
    (records, rejects, None)
}

/// Hands each element of a JSON array to `each`, which returns false to stop.
struct Elements<'a> {
    each: &'a mut dyn FnMut(Value) -> bool,
}

impl<'de> DeserializeSeed<'de> for Elements<'_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> de::Visitor<'de> for Elements<'_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON array")
    }

    fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(v) = seq.next_element::<Value>()? {
            if !(self.each)(v) {
                return Err(de::Error::custom("the stage closed"));
            }
        }
        Ok(())
    }
}

/// Where a staged entry holds a NUL (its raw entry, metadata or prompt), if anywhere.
fn record_nul(r: &LogEntryRecord) -> Option<String> {
    nul_field(&r.raw_log_data)
        .or_else(|| nul_field(&r.metadata))
        .or_else(|| {
            r.prompt_text
                .as_ref()
                .filter(|t| t.contains('\0'))
                .map(|_| "prompt".to_owned())
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(super) fn ctx() -> FileCtx<'static> {
        FileCtx::for_tests("20251001T000153731Z_e9c5e90710a8738a.json")
    }

    /// One Converse invocation-log entry, as the log wrote it.
    pub(super) const CONVERSE: &str = r#"{"timestamp":"2025-10-01T00:00:31Z","requestId":"r-1","region":"us-east-2","operation":"Converse","modelId":"us.meta.llama4-maverick-17b-instruct-v1:0","input":{"inputBodyJson":{"messages":[{"role":"user","content":[{"cachePoint":{"type":"default"}},{"text":""},{"text":"Check pump P-7.\r\nReport"},{"text":"ignored"}]},{"role":"user","content":[{"text":"Second"}]}]},"inputTokenCount":120},"output":{"outputBodyJson":{"stopReason":"end_turn","metrics":{"latencyMs":812}},"outputTokenCount":40}}"#;

    #[test]
    fn a_log_document_cut_short_is_never_read_as_lines() {
        let doc = format!("[\n{CONVERSE},\n{CONVERSE},\n{{\"modelId\": ");
        let parsed = read(doc.as_bytes(), &ctx(), true);
        assert_eq!((parsed.records, parsed.rows.len()), (3, 0));
        assert!(parsed.file_rejected.is_some());
        assert_eq!(parsed.rejects[1].line, 3);
    }

    #[test]
    fn entries_that_postgres_cannot_store_are_rejected() {
        let nul = CONVERSE.replace("Check pump", "Check\\u0000pump");
        let mut bytes = format!("{nul}\n{CONVERSE}\n").into_bytes();
        bytes.extend_from_slice(b"not json \xff\nnot json\x00 either\nplain not json\n");
        let parsed = read(&bytes, &ctx(), false);
        assert_eq!(parsed.records, 5);
        assert_eq!(
            parsed.rows.len(),
            2,
            "the good entry and the plain unparsed line"
        );
        let lines: Vec<u64> = parsed.rejects.iter().map(|r| r.line).collect();
        assert_eq!(lines, vec![1, 3, 4]);
        assert!(parsed.rejects[0].reason.contains("NUL"));
    }
}
