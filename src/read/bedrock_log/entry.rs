//! One Bedrock log entry, whatever its shape (docs/formats.md#bedrock_log): the CloudWatch export
//! wrapper unwrapped, bodies given as JSON strings parsed, and the log's own token counts, latency,
//! time and user prompt taken into the staged row. Fed by the file reading in `mod.rs`.

use crate::model::prompt::{self, PromptHash};
use crate::model::{natural_key, LogEntryRecord};
use crate::read::context::FileCtx;
use crate::read::values::{self, parse_fixed};
use chrono::{DateTime, TimeZone, Utc};
use serde_json::{json, Map, Value};

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
pub(super) fn unparsed(text: &str, line: u64, ctx: &FileCtx, error: String) -> LogEntryRecord {
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
pub(super) fn entry(
    value: Value,
    line: u64,
    ctx: &FileCtx,
) -> Result<LogEntryRecord, (u64, String)> {
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
        let m = crate::model::identity::model_ref(id, "", true);
        r.model_name = Some(m.name);
        r.provider = Some(m.provider);
    }
    r.region = s(raw.get("region")).or_else(|| s(raw.get("awsRegion")));
    r.request_id = s(raw.get("requestId")).or_else(|| s(raw.get("requestID")));
    let time = ["timestamp", "eventTime", "requestTime", "startTime"]
        .iter()
        .find_map(|k| {
            raw.get(*k)
                .and_then(|v| event_time(v, ctx))
                .map(|t| (*k, t))
        });
    if let Some((field, (_, true))) = time {
        // Counted in the report's naive_timestamps, like the metric rows' and users' times.
        metadata.insert("timestamp_zone_assumed".into(), json!([field]));
    }
    r.event_time = time.map(|(_, (t, _))| t);
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

/// An entry's time and whether it was naive: RFC 3339, a naive time (read in the legacy zone), or
/// epoch seconds or milliseconds (the legacy parser failed on milliseconds and dropped those
/// entries).
fn event_time(v: &Value, ctx: &FileCtx) -> Option<(DateTime<Utc>, bool)> {
    match v {
        Value::String(s) => values::parse_timestamp(s, &ctx.legacy_tz)
            .ok()
            .map(|(t, zone)| (t, zone == values::TimestampZone::AssumedLocal)),
        Value::Number(n) => {
            let f = n.as_f64()?;
            let millis = if f.abs() < 1e11 { f * 1000.0 } else { f };
            let ms = format!("{millis:.0}").parse::<i64>().ok()?;
            Utc.timestamp_millis_opt(ms).single().map(|t| (t, false))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::super::read;
    use super::super::tests::{ctx, CONVERSE};
    use super::*;

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
            event_time(&json!(1_759_276_831), &c).map(|t| t.0.timestamp()),
            Some(1_759_276_831)
        );
        assert_eq!(
            event_time(&json!(1_759_276_831_000_i64), &c).map(|t| t.0.timestamp()),
            Some(1_759_276_831)
        );
        assert_eq!(
            event_time(&json!("2025-10-01T00:00:31"), &c).map(|t| t.1),
            Some(true),
            "a naive time is read in the legacy zone and said to be"
        );
        assert_eq!(
            event_time(&json!("2025-10-01T00:00:31Z"), &c).map(|t| t.1),
            Some(false)
        );
    }
}
