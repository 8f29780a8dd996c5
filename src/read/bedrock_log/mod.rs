//! ① Bedrock model-invocation logs (LEGACY_FORMATS.md 3.1) in every shape the app accepted and the
//! ones it could not: JSON Lines, a single-line JSON array or object, a pretty-printed document,
//! the CloudWatch Logs export wrapper (`message` holds the entry as a JSON string), CloudTrail
//! events, bodies given as JSON strings, InvokeModel bodies. Every entry becomes a staged
//! `cloudwatch_log_entries` row with the log's real token counts and latency (not the legacy
//! parser's len/4 estimates and 0.0), and its user prompt. A line that is not JSON is kept with
//! `parsed = false` and the kind of parse error (never its text in the report). Feeds
//! `stage_log_entries`.

use super::json_text::{nul_field, JsonText};
use super::positions::{item_lines, line_of};
use super::prompts_json::json_error_kind;
use super::values::{self, parse_fixed};
use super::{FileCtx, Parsed, Reject};
use crate::prompt::{self, PromptHash};
use crate::stage::{natural_key, LogEntryRecord};
use chrono::{DateTime, TimeZone, Utc};
use serde::de::{self, DeserializeSeed};
use serde_json::{json, Map, Value};

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
    let prepared = JsonText::new(bytes.strip_prefix(super::classify::BOM).unwrap_or(bytes));
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

fn base(line: u64, ctx: &FileCtx, key: String, raw: Value) -> LogEntryRecord {
    LogEntryRecord {
        file_no: ctx.file_no,
        line: i64::try_from(line).unwrap_or(i64::MAX),
        source_key: key,
        log_file_name: ctx.name.to_owned(),
        raw_log_data: raw,
        event_name: None,
        event_time: None,
        model_id: None,
        model_name: None,
        provider: None,
        region: None,
        input_tokens: None,
        output_tokens: None,
        latency_ms: None,
        parsed: false,
        parse_error: None,
        request_id: None,
        prompt_text: None,
        prompt_hash: None,
        prompt_normalized_hash: None,
        expected_json: None,
        metadata: json!({"source": {"file": ctx.display, "line": line}}),
    }
}

/// A line that is not JSON: kept, with the raw text in metadata (the database may hold it; the
/// report only names the line) and `raw_log_data = {}` (the column is NOT NULL).
fn unparsed(text: &str, line: u64, ctx: &FileCtx, error: String) -> LogEntryRecord {
    let mut r = base(
        line,
        ctx,
        natural_key(&["bedrock_log_unparsed", text]),
        json!({}),
    );
    r.parse_error = Some(error);
    r.metadata["raw_text"] = json!(text);
    r
}

/// Turns one JSON value into a staged entry; `Err` (a reject) only for values no column can hold.
fn entry(value: Value, line: u64, ctx: &FileCtx) -> Result<LogEntryRecord, (u64, String)> {
    let mut metadata = Map::new();
    metadata.insert("source".into(), json!({"file": ctx.display, "line": line}));
    let mut shape = "invocation_log";
    let raw = match unwrap_cloudwatch(value) {
        Unwrapped::Plain(v) => v,
        Unwrapped::Wrapped { entry, wrapper } => {
            shape = "cloudwatch_export";
            metadata.insert("cloudwatch_wrapper".into(), wrapper);
            entry
        }
        Unwrapped::Broken { wrapper, message } => {
            let mut r = unparsed(
                &message,
                line,
                ctx,
                "the CloudWatch message is not JSON".into(),
            );
            r.raw_log_data = wrapper;
            return Ok(r);
        }
    };
    if !raw.is_object() {
        let text = raw.to_string();
        return Ok(unparsed(
            &text,
            line,
            ctx,
            "entry is not a JSON object".into(),
        ));
    }
    if raw.get("eventSource").is_some() || raw.get("eventName").is_some() {
        shape = "cloudtrail";
    }
    metadata.insert("shape".into(), json!(shape));
    let key = natural_key(&["bedrock_log", &raw.to_string()]);
    let mut r = base(line, ctx, key, Value::Null);
    let s = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_owned);
    let req = raw.get("requestParameters");
    let input_body =
        body(raw.pointer("/input/inputBodyJson")).or_else(|| body(req.and_then(|p| p.get("body"))));
    let output_body = body(raw.pointer("/output/outputBodyJson"))
        .or_else(|| body(raw.pointer("/output/outputBody")))
        .or_else(|| body(raw.get("responseElements")));
    if [
        raw.pointer("/input/inputBodyJson"),
        raw.pointer("/output/outputBodyJson"),
        raw.pointer("/output/outputBody"),
    ]
    .iter()
    .any(|v| v.is_some_and(Value::is_string))
    {
        metadata.insert("bodies_as_strings".into(), json!(true));
    }
    r.event_name = s(raw.get("operation")).or_else(|| s(raw.get("eventName")));
    r.model_id = s(raw.get("modelId"))
        .or_else(|| s(req.and_then(|p| p.get("modelId"))))
        .or_else(|| s(req.and_then(|p| p.get("modelIdentifier"))));
    if let Some(id) = &r.model_id {
        let m = crate::identity::model_ref(id, "", true);
        r.model_name = Some(m.name);
        r.provider = Some(m.provider);
    }
    r.region = s(raw.get("region")).or_else(|| s(raw.get("awsRegion")));
    r.request_id = s(raw.get("requestId")).or_else(|| s(raw.get("requestID")));
    r.event_time = ["timestamp", "eventTime", "requestTime", "startTime"]
        .iter()
        .find_map(|k| raw.get(*k).and_then(|v| event_time(v, ctx)));
    let ob = output_body.as_ref();
    r.input_tokens = first_count(&[
        raw.pointer("/input/inputTokenCount"),
        ob.and_then(|b| b.pointer("/usage/inputTokens")),
        ob.and_then(|b| b.pointer("/usage/input_tokens")),
        ob.and_then(|b| b.get("prompt_token_count")),
        ob.and_then(|b| b.get("inputTextTokenCount")),
        raw.pointer("/usage/inputTokens"),
        raw.pointer("/usage/input_tokens"),
    ]);
    r.output_tokens = first_count(&[
        raw.pointer("/output/outputTokenCount"),
        ob.and_then(|b| b.pointer("/usage/outputTokens")),
        ob.and_then(|b| b.pointer("/usage/output_tokens")),
        ob.and_then(|b| b.get("generation_token_count")),
        ob.and_then(|b| b.get("generationTokenCount")),
        ob.and_then(|b| b.pointer("/results/0/tokenCount")),
        raw.pointer("/usage/outputTokens"),
        raw.pointer("/usage/output_tokens"),
    ]);
    r.latency_ms = [
        ob.and_then(|b| b.pointer("/metrics/latencyMs")),
        raw.pointer("/metrics/latencyMs"),
        raw.get("latencyMs"),
    ]
    .into_iter()
    .flatten()
    .find_map(|v| number_text(v).and_then(|t| parse_fixed(&t, 10, 2, "latency_ms").ok().flatten()));
    if let Some(text) = input_body.as_ref().and_then(user_prompt) {
        r.prompt_hash = Some(PromptHash::of(&text).to_string());
        r.prompt_normalized_hash = Some(PromptHash::normalized_of(&text).to_string());
        r.expected_json = Some(prompt::looks_like_json_request(&text));
        r.prompt_text = Some(text);
    }
    for (name, v) in [
        (
            "requestId",
            raw.get("requestId").or_else(|| raw.get("requestID")),
        ),
        (
            "accountId",
            raw.get("accountId")
                .or_else(|| raw.get("recipientAccountId")),
        ),
        (
            "identity_arn",
            raw.pointer("/identity/arn")
                .or_else(|| raw.pointer("/userIdentity/arn")),
        ),
        ("inferenceRegion", raw.get("inferenceRegion")),
        ("schemaType", raw.get("schemaType")),
        ("schemaVersion", raw.get("schemaVersion")),
        (
            "stopReason",
            ob.and_then(|b| b.get("stopReason").or_else(|| b.get("stop_reason"))),
        ),
        (
            "cacheReadInputTokenCount",
            raw.pointer("/input/cacheReadInputTokenCount"),
        ),
        (
            "cacheWriteInputTokenCount",
            raw.pointer("/input/cacheWriteInputTokenCount"),
        ),
        ("errorCode", raw.get("errorCode")),
    ] {
        if let Some(v) = v.filter(|v| !v.is_null()) {
            metadata.insert(name.into(), v.clone());
        }
    }
    for (value, max, column) in [
        (&r.event_name, 100, "event_name"),
        (&r.model_id, 255, "model_id"),
        (&r.region, 50, "region"),
    ] {
        if value.as_ref().is_some_and(|v| v.chars().count() > max) {
            return Err((line, format!("{column} is longer than {max} characters")));
        }
    }
    r.parsed = true;
    r.metadata = Value::Object(metadata);
    r.raw_log_data = raw;
    Ok(r)
}

enum Unwrapped {
    Plain(Value),
    Wrapped { entry: Value, wrapper: Value },
    Broken { wrapper: Value, message: String },
}

/// The CloudWatch Logs export wrapper `{"logStreamName": …, "message": "<JSON string>"}`.
fn unwrap_cloudwatch(value: Value) -> Unwrapped {
    let is_wrapper = value.get("message").is_some_and(Value::is_string)
        && (value.get("logStreamName").is_some() || value.get("logGroup").is_some());
    if !is_wrapper {
        return Unwrapped::Plain(value);
    }
    let mut wrapper = value;
    let message = wrapper
        .as_object_mut()
        .and_then(|m| m.remove("message"))
        .and_then(|m| m.as_str().map(str::to_owned))
        .unwrap_or_default();
    match serde_json::from_str::<Value>(&message) {
        Ok(entry) => Unwrapped::Wrapped { entry, wrapper },
        Err(_) => Unwrapped::Broken { wrapper, message },
    }
}

/// A body given as an object, or as a JSON string of one (variant d of 3.1).
fn body(v: Option<&Value>) -> Option<Value> {
    match v? {
        Value::String(s) => serde_json::from_str::<Value>(s)
            .ok()
            .filter(Value::is_object),
        Value::Object(_) => v.cloned(),
        _ => None,
    }
}

/// The user prompt of an input body, as `extract_prompts_from_json.py` built the prompt CSV: the
/// first non-empty text item of each `user` message, unstripped, joined with a blank line, so the
/// same prompt from the log and from the CSV has the same hash. InvokeModel bodies: `prompt` or
/// `inputText`.
pub fn user_prompt(input: &Value) -> Option<String> {
    if let Some(messages) = input.get("messages").and_then(Value::as_array) {
        let parts: Vec<&str> = messages
            .iter()
            .filter(|m| m.get("role").and_then(Value::as_str) == Some("user"))
            .filter_map(|m| match m.get("content") {
                Some(Value::String(s)) if !s.is_empty() => Some(s.as_str()),
                Some(Value::Array(items)) => items
                    .iter()
                    .filter_map(|i| i.get("text").and_then(Value::as_str))
                    .find(|t| !t.is_empty()),
                _ => None,
            })
            .collect();
        return (!parts.is_empty()).then(|| parts.join("\n\n"));
    }
    ["prompt", "inputText"]
        .iter()
        .find_map(|k| input.get(*k).and_then(Value::as_str))
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

fn number_text(v: &Value) -> Option<String> {
    match v {
        Value::Number(n) => Some(n.to_string()),
        Value::String(s) => Some(s.clone()),
        _ => None,
    }
}

fn first_count(candidates: &[Option<&Value>]) -> Option<i32> {
    candidates
        .iter()
        .flatten()
        .find_map(|v| number_text(v).and_then(|t| values::parse_count(&t).ok().flatten()))
}

/// An entry's time: RFC 3339, a naive time (read in the legacy zone), or epoch seconds or
/// milliseconds (the legacy parser failed on milliseconds and dropped those entries).
fn event_time(v: &Value, ctx: &FileCtx) -> Option<DateTime<Utc>> {
    match v {
        Value::String(s) => values::parse_timestamp(s, &ctx.legacy_tz)
            .ok()
            .map(|(t, _)| t),
        Value::Number(n) => {
            let f = n.as_f64()?;
            let millis = if f.abs() < 1e11 { f * 1000.0 } else { f };
            let ms = format!("{millis:.0}").parse::<i64>().ok()?;
            Utc.timestamp_millis_opt(ms).single()
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> FileCtx<'static> {
        FileCtx::for_tests("20251001T000153731Z_e9c5e90710a8738a.json")
    }

    const CONVERSE: &str = r#"{"timestamp":"2025-10-01T00:00:31Z","requestId":"r-1","region":"us-east-2","operation":"Converse","modelId":"us.meta.llama4-maverick-17b-instruct-v1:0","input":{"inputBodyJson":{"messages":[{"role":"user","content":[{"cachePoint":{"type":"default"}},{"text":""},{"text":"Check pump P-7.\r\nReport"},{"text":"ignored"}]},{"role":"user","content":[{"text":"Second"}]}]},"inputTokenCount":120},"output":{"outputBodyJson":{"stopReason":"end_turn","metrics":{"latencyMs":812}},"outputTokenCount":40}}"#;

    #[test]
    fn real_counts_latency_and_the_extractor_prompt() {
        let parsed = read(
            format!("{CONVERSE}\n\n{{not json\n").as_bytes(),
            &ctx(),
            false,
        );
        assert_eq!(parsed.records, 2);
        let r = &parsed.rows[0];
        assert_eq!((r.input_tokens, r.output_tokens), (Some(120), Some(40)));
        assert_eq!(r.latency_ms.map(|d| d.to_string()).as_deref(), Some("812"));
        assert_eq!(
            r.prompt_text.as_deref(),
            Some("Check pump P-7.\r\nReport\n\nSecond")
        );
        assert_eq!(r.event_time.map(|t| t.timestamp()), Some(1_759_276_831));
        assert_eq!(r.metadata["stopReason"], "end_turn");
        let bad = &parsed.rows[1];
        assert!(!bad.parsed);
        assert_eq!(bad.line, 3);
        assert_eq!(bad.raw_log_data, json!({}));
        assert!(bad
            .parse_error
            .as_deref()
            .is_some_and(|e| !e.contains("not json}")));
    }

    #[test]
    fn wrapper_cloudtrail_string_bodies_and_invoke_model() {
        let inner =
            serde_json::to_string(&serde_json::from_str::<Value>(CONVERSE).unwrap()).unwrap();
        let wrapped = json!({"logStreamName": "aws/bedrock/x", "timestamp": 1, "message": inner});
        let trail = json!({"eventSource": "bedrock.amazonaws.com", "eventName": "InvokeModel", "eventTime": "2025-11-09T10:00:00Z",
            "awsRegion": "us-east-1", "requestParameters": {"modelId": "amazon.titan-text-premier-v1", "body": "{\"inputText\": \"Log the valve\"}"},
            "responseElements": {"results": [{"tokenCount": 9, "outputText": "ok"}], "inputTextTokenCount": 4}});
        let doc = serde_json::to_string(&json!([wrapped, trail])).unwrap();
        let parsed = read(doc.as_bytes(), &ctx(), true);
        assert_eq!(parsed.rows.len(), 2);
        let a = &parsed.rows[0];
        assert_eq!(a.metadata["shape"], "cloudwatch_export");
        assert_eq!(a.request_id.as_deref(), Some("r-1"));
        let direct = read(CONVERSE.as_bytes(), &ctx(), true);
        assert_eq!(
            a.source_key, direct.rows[0].source_key,
            "the wrapper does not change identity"
        );
        let b = &parsed.rows[1];
        assert_eq!(b.event_name.as_deref(), Some("InvokeModel"));
        assert_eq!(b.model_id.as_deref(), Some("amazon.titan-text-premier-v1"));
        assert_eq!((b.input_tokens, b.output_tokens), (Some(4), Some(9)));
        assert_eq!(b.prompt_text.as_deref(), Some("Log the valve"));
    }

    #[test]
    fn epoch_times_in_seconds_and_milliseconds() {
        let c = ctx();
        assert_eq!(
            event_time(&json!(1_759_276_831), &c).map(|t| t.timestamp()),
            Some(1_759_276_831)
        );
        assert_eq!(
            event_time(&json!(1_759_276_831_000_i64), &c).map(|t| t.timestamp()),
            Some(1_759_276_831)
        );
    }

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
