//! Classification of JSON files by their shape: JSON Lines or a document, and which legacy kind its
//! first items are (Bedrock log entries, users, prompts), streamed past the head when needed.

use super::Classified;
use crate::model::Kind;
use crate::read::json_sniff::{self, Shape};
use crate::read::json_text::JsonText;
use serde_json::Value;
use std::io::Read;

/// Object keys under which prompt files carry the prompt text (3.2), in the order they are tried.
pub const PROMPT_KEYS: [&str; 7] = [
    "prompt", "text", "input", "question", "query", "message", "Prompt",
];

/// `bytes` split before a UTF-8 character its end cuts short.
fn split_incomplete(bytes: &[u8]) -> (&[u8], &[u8]) {
    let n = bytes.len();
    for back in 1..=n.min(3) {
        let c = bytes[n - back];
        if c & 0xC0 == 0x80 {
            continue;
        }
        let need = match c {
            0xF0.. => 4,
            0xE0.. => 3,
            0xC0.. => 2,
            _ => 1,
        };
        return if need > back {
            bytes.split_at(n - back)
        } else {
            (bytes, &[])
        };
    }
    (bytes, &[])
}

/// A JSON file by its first items, streamed. JSON Lines is told from a document by its first line
/// being a whole value with another after it; a document with text after it, or one that breaks
/// within its first items, is still judged by the items before the break (the reader then rejects
/// it, saying where).
pub(super) fn classify_json(
    name: &str,
    body: &[u8],
    complete: bool,
    rest: impl Read,
) -> Classified {
    // Bad bytes never decide the kind: the head is cleaned as the readers clean it (a character
    // cut at the end of an incomplete head is left to the stream, whole).
    let (head, tail) = if complete {
        (body, &[][..])
    } else {
        split_incomplete(body)
    };
    let clean = JsonText::new(head);
    let sniffed = json_sniff::sniff(clean.text.as_bytes().chain(tail).chain(rest));
    let trimmed = clean.text.as_bytes().trim_ascii();
    let pretty = trimmed.contains(&b'\n');
    let first_line = trimmed
        .split(|b| *b == b'\n')
        .next()
        .and_then(|l| serde_json::from_slice::<Value>(l).ok());
    if sniffed.more_values && first_line.as_ref().is_some_and(Value::is_object) {
        let first = sniffed.value().unwrap_or(Value::Null);
        return if is_log_entry(&first) {
            Classified::of(Kind::BedrockLog, "jsonl")
        } else if prompt_item(&first) {
            Classified::of(Kind::PromptsJson, "jsonl")
        } else {
            Classified::unknown(
                "JSON Lines whose first line is neither a Bedrock log entry nor a prompt",
            )
        };
    }
    if sniffed.broken.is_some() {
        // JSON Lines whose first line is broken: a later line at column 0 is a whole entry.
        let later = trimmed
            .split(|b| *b == b'\n')
            .skip(1)
            .filter(|l| l.first() == Some(&b'{'))
            .take(5)
            .find_map(|l| serde_json::from_slice::<Value>(l.trim_ascii()).ok());
        if let Some(v) = later {
            if is_log_entry(&v) {
                return Classified::of(Kind::BedrockLog, "jsonl");
            } else if prompt_item(&v) {
                return Classified::of(Kind::PromptsJson, "jsonl");
            }
        }
    }
    if let Some(value) = sniffed.value() {
        let c = classify_json_document(name, &value, pretty);
        if c.kind != Kind::Unknown {
            return c;
        }
    }
    if let Some(b) = &sniffed.broken {
        let mut c = Classified::unknown(format!(
            "the JSON does not parse ({} at line {}, column {}) and its first items are of no legacy kind",
            b.what, b.line, b.column
        ));
        c.at = Some((b.line, Some(b.column)));
        return c;
    }
    if sniffed.more_values {
        return Classified::unknown("JSON followed by more text, of no legacy kind");
    }
    Classified::unknown(match sniffed.shape {
        Some(Shape::Array) => {
            "a JSON array whose first items are neither Bedrock log entries nor prompts"
        }
        Some(Shape::Object) => {
            "a JSON object of no legacy shape (not users, a log entry or prompts)"
        }
        Some(Shape::Scalar) | None => "a JSON value that is neither an array nor an object",
    })
}

fn classify_json_document(name: &str, value: &Value, pretty: bool) -> Classified {
    let lower = name.to_ascii_lowercase();
    match value {
        Value::Object(map) => {
            if is_users_map(map) || (map.is_empty() && lower.ends_with("users.json")) {
                return Classified::of(Kind::UsersJson, "auth_v01");
            }
            if let Some(Value::Array(items)) = map.get("Records") {
                if items.iter().any(is_log_entry) {
                    return Classified::of(Kind::BedrockLog, "cloudtrail_records");
                }
            }
            if is_log_entry(value) {
                let shape = if pretty { "pretty_json" } else { "json_object" };
                return Classified::of(Kind::BedrockLog, shape);
            }
            if let Some(Value::Array(items)) = map.get("prompts") {
                if items.iter().all(prompt_item) {
                    return Classified::of(Kind::PromptsJson, "prompts_object");
                }
            }
            if prompt_item(value) {
                return Classified::of(Kind::PromptsJson, "single_object");
            }
            Classified::unknown(
                "a JSON object of no legacy shape (not users, a log entry or prompts)",
            )
        }
        Value::Array(items) if !items.is_empty() => {
            if items.iter().any(is_log_entry) {
                let shape = if pretty { "pretty_json" } else { "json_array" };
                Classified::of(Kind::BedrockLog, shape)
            } else if items.iter().all(prompt_item) {
                Classified::of(Kind::PromptsJson, "json_array")
            } else {
                Classified::unknown(
                    "a JSON array whose first items are neither Bedrock log entries nor prompts",
                )
            }
        }
        Value::Array(_) => Classified::unknown("an empty JSON array"),
        _ => Classified::unknown("a JSON value that is neither an array nor an object"),
    }
}

/// A `users.json` map: every value an object holding a password hash.
fn is_users_map(map: &serde_json::Map<String, Value>) -> bool {
    !map.is_empty()
        && map
            .values()
            .all(|v| v.get("password_hash").is_some_and(Value::is_string))
}

/// Whether a JSON value is one Bedrock invocation-log entry in any of the shapes of 3.1: the
/// invocation log itself, the CloudWatch Logs export wrapper, or a CloudTrail event.
pub fn is_log_entry(value: &Value) -> bool {
    let Some(map) = value.as_object() else {
        return false;
    };
    let wrapper = map.contains_key("message")
        && (map.contains_key("logStreamName") || map.contains_key("logGroup"));
    let invocation = map.contains_key("modelId")
        && (map.contains_key("input")
            || map.contains_key("operation")
            || map.contains_key("schemaType")
            || map.contains_key("output"));
    let cloudtrail = map
        .get("eventSource")
        .and_then(Value::as_str)
        .is_some_and(|s| s.contains("bedrock"));
    wrapper
        || invocation
        || cloudtrail
        || map.get("schemaType").and_then(Value::as_str) == Some("ModelInvocationLog")
}

/// Whether a JSON value is one prompt of a prompt file: a string, or an object with a prompt key.
pub fn prompt_item(value: &Value) -> bool {
    match value {
        Value::String(s) => !s.is_empty(),
        Value::Object(map) => {
            !is_log_entry(value)
                && PROMPT_KEYS
                    .iter()
                    .any(|k| map.get(*k).is_some_and(Value::is_string))
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::super::classify;
    use super::super::tests::kind;
    use super::*;

    #[test]
    fn json_shapes_are_classified_by_content() {
        let log = r#"{"modelId":"us.meta.x-v1:0","operation":"Converse","input":{}}"#;
        assert_eq!(
            kind("any.json", &format!("{log}\n{log}\n")).0,
            Kind::BedrockLog
        );
        assert_eq!(
            kind("any.json", &format!("[{log}]")).1.as_deref(),
            Some("json_array")
        );
        assert_eq!(
            kind(
                "u.json",
                r#"{"ann": {"email": "a@b", "password_hash": "$2b$"}}"#
            )
            .0,
            Kind::UsersJson
        );
        assert_eq!(kind("users.json", "{}").0, Kind::UsersJson);
        assert_eq!(kind("other.json", "{}").0, Kind::Unknown);
        assert_eq!(kind("p.json", r#"["one", "two"]"#).0, Kind::PromptsJson);
        assert_eq!(
            kind("p.json", r#"{"prompts": [{"text": "a"}]}"#)
                .1
                .as_deref(),
            Some("prompts_object")
        );
        assert_eq!(
            kind("p.jsonl", "{\"prompt\": \"a\"}\n{\"prompt\": \"b\"}\n").0,
            Kind::PromptsJson
        );
        let wrapper = r#"{"logStreamName":"bedrock-x","message":"{}"}"#;
        assert_eq!(kind("w.json", wrapper).0, Kind::BedrockLog);
    }

    #[test]
    fn a_truncated_document_is_judged_by_its_first_items() {
        let users = r#"{"ann": {"email": "a@b", "password_hash": "$2b$"}, "bob": {"email": "#;
        let c = classify("backup.json", users.as_bytes(), true, std::io::empty());
        assert_eq!(c.kind, Kind::UsersJson);
        let log = r#"[{"modelId":"m","operation":"Converse","input":{}}, {"modelId":"#;
        let c = classify("x.json", log.as_bytes(), true, std::io::empty());
        assert_eq!(
            (c.kind, c.variant.as_deref()),
            (Kind::BedrockLog, Some("json_array"))
        );
    }

    #[test]
    fn json_lines_with_a_broken_first_line_are_still_json_lines() {
        let log = "{\"modelId\":\"m\",\"operation\":\"Converse\",\"inp\n{\"modelId\":\"m\",\"operation\":\"Converse\",\"input\":{}}\n";
        assert_eq!(
            kind("x.jsonl", log),
            (Kind::BedrockLog, Some("jsonl".to_owned()))
        );
    }

    #[test]
    fn json_larger_than_the_head_is_streamed() {
        let item = "{\"prompt\": \"Check the pump.\"},\n".repeat(40_000);
        let doc = format!("[\n{item}{{\"prompt\": \"last\"}}]\n");
        assert!(doc.len() > 1024 * 1024);
        let (head, rest) = doc.as_bytes().split_at(1024 * 1024);
        let c = classify("anything.json", head, false, rest);
        assert_eq!(
            (c.kind, c.variant.as_deref()),
            (Kind::PromptsJson, Some("json_array"))
        );
    }
}
