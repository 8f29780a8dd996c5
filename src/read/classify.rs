//! ① Classification: decides a file's kind and variant from its content (the first bytes: a CSV
//! header, a JSON shape, a YAML mapping, Python assignments). The file name is only a hint, used
//! where content alone cannot decide (an empty `users.json`, a plain-text prompt list). Pure, so
//! every rule is unit-tested here; `read/mod.rs` feeds it the head of each discovered file.

use super::json_sniff::{self, Shape};
use super::json_text::JsonText;
use super::marks;
use super::raw_metrics;
use crate::model::Kind;
use serde_json::Value;
use std::io::Read;

/// The UTF-8 byte-order mark some tools put before a CSV header.
pub const BOM: &[u8] = b"\xEF\xBB\xBF";

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

/// The header of `model_comparison.csv` and of its download copies (LEGACY_FORMATS.md 2.2).
pub const MODEL_COMPARISON_HEADER: [&str; 14] = [
    "model_name",
    "count",
    "success_count",
    "error_count",
    "avg_input_tokens",
    "avg_output_tokens",
    "p50_latency_ms",
    "p95_latency_ms",
    "p99_latency_ms",
    "min_latency_ms",
    "max_latency_ms",
    "json_valid_pct",
    "avg_cost_usd_per_request",
    "total_cost_usd",
];

/// The fixed header of root-era `summary_<ts>.csv` (2.4).
pub const SUMMARY_HEADER: [&str; 16] = [
    "model_key",
    "model_name",
    "total_prompts",
    "avg_latency_ms",
    "p50_latency_ms",
    "p95_latency_ms",
    "min_latency_ms",
    "max_latency_ms",
    "total_cost_usd",
    "avg_cost_usd",
    "valid_json_rate",
    "valid_json_count",
    "total_input_tokens",
    "total_output_tokens",
    "avg_input_tokens",
    "avg_output_tokens",
];

/// Keys of `configs/settings.yaml`, which nothing ever read (3.4).
const SETTINGS_KEYS: [&str; 6] = [
    "region_name",
    "output_dir",
    "use_sqlite",
    "cache_enabled",
    "concurrency",
    "logging_level",
];

/// Object keys under which prompt files carry the prompt text (3.2), in the order they are tried.
pub const PROMPT_KEYS: [&str; 7] = [
    "prompt", "text", "input", "question", "query", "message", "Prompt",
];

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

/// A CSV kind from the header, or the number of header columns when none matches. A header that
/// is close to a legacy one (most of its columns are that kind's) is that kind, damaged.
fn classify_csv(body: &[u8], bom: bool) -> Result<Classified, usize> {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(body);
    let mut record = csv::ByteRecord::new();
    if !matches!(rdr.read_byte_record(&mut record), Ok(true)) {
        return Err(0);
    }
    let owned: Vec<String> = record
        .iter()
        .map(|f| String::from_utf8_lossy(f).into_owned())
        .collect();
    let fields: Vec<&str> = owned.iter().map(String::as_str).collect();
    let quoted = body.first() == Some(&b'"');
    if let Some(h) = raw_metrics::detect_header(&fields, quoted) {
        return Ok(Classified::of(Kind::RawMetrics, h.variant));
    }
    if fields == MODEL_COMPARISON_HEADER {
        return Ok(Classified::of(Kind::ModelComparison, "tuple_names"));
    }
    if fields == SUMMARY_HEADER {
        return Ok(Classified::of(Kind::ResultsSummary, "root_era"));
    }
    let has = |n: &str| fields.contains(&n);
    let detailed = ["prompt_index", "model_key", "output", "prompt_snippet"];
    if detailed.iter().all(|n| has(n)) {
        let variant = if has("metadata") {
            "root_era"
        } else {
            "root_era_no_metadata"
        };
        return Ok(Classified::of(Kind::ResultsDetailed, variant));
    }
    if fields.len() > 2
        && fields[..2] == ["prompt_index", "prompt_snippet"]
        && fields[2..].iter().all(|f| {
            [
                "_latency_ms",
                "_cost_usd",
                "_valid_json",
                "_input_tokens",
                "_output_tokens",
            ]
            .iter()
            .any(|s| f.ends_with(s))
        })
    {
        return Ok(Classified::of(Kind::ResultsComparison, "root_era"));
    }
    if fields.len() > 1 || fields.iter().any(|f| prompt_column(f)) {
        if let Some(variant) = prompts_csv_variant(&fields, bom) {
            return Ok(Classified::of(Kind::PromptsCsv, variant));
        }
    }
    if let Some(damaged) = marks::near_miss(&fields) {
        return Ok(damaged);
    }
    Err(fields.len())
}

/// Whether a header names the prompt column (root `prompt_loader.py` accepts these three spellings).
pub fn prompt_column(name: &str) -> bool {
    matches!(name, "prompt" | "Prompt" | "PROMPT")
}

/// The variant of a prompt CSV header, or `None` when it has no prompt column.
pub fn prompts_csv_variant(fields: &[&str], bom: bool) -> Option<String> {
    let prompt = fields.iter().find(|f| prompt_column(f))?;
    let standard = ["prompt_id", "prompt", "expected_json", "category"];
    let mut parts = Vec::new();
    if fields == standard {
        parts.push("standard".to_owned());
    } else {
        if !fields.contains(&"prompt_id") {
            parts.push("no_prompt_id".to_owned());
        }
        if *prompt != "prompt" {
            parts.push(format!("{prompt}_header"));
        }
        if fields
            .iter()
            .any(|f| !standard.contains(f) && !prompt_column(f))
        {
            parts.push("extra_columns".to_owned());
        }
        if parts.is_empty() {
            parts.push("reordered".to_owned());
        }
    }
    if bom {
        parts.push("bom".to_owned());
    }
    Some(parts.join(" "))
}

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
fn classify_json(name: &str, body: &[u8], complete: bool, rest: impl Read) -> Classified {
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

fn classify_yaml(lower_name: &str, text: &str, complete: bool) -> Option<Classified> {
    let yaml_name = lower_name.ends_with(".yaml") || lower_name.ends_with(".yml");
    let has_models_key = text.lines().any(|l| l.starts_with("models:"));
    if !yaml_name && !has_models_key {
        return None;
    }
    let marked = has_models_key || marks::kind_by_name(lower_name) == Some(Kind::ModelsYaml);
    let variant = if super::models_yaml::date_in_name(lower_name).is_some() {
        "dated_version"
    } else if lower_name.starts_with("model_configuration") {
        "dashboard_download"
    } else {
        "current"
    };
    if !complete {
        // Larger than the head: a prefix proves nothing about the document; the reader decides.
        return marked.then(|| Classified::of(Kind::ModelsYaml, variant));
    }
    // Bad bytes are the reader's to reject, row by row: they never make the file unreadable here.
    let control = |c: char| c.is_control() && !matches!(c, '\n' | '\r' | '\t');
    let probe: std::borrow::Cow<str> = if text.chars().any(control) {
        text.chars()
            .map(|c| if control(c) { ' ' } else { c })
            .collect::<String>()
            .into()
    } else {
        text.into()
    };
    let value: yaml_serde::Value = match yaml_serde::from_str(&probe) {
        Ok(value) => value,
        Err(e) if marked => {
            let (line, column) = e.location().map_or((1, None), |l| {
                (u64::try_from(l.line()).unwrap_or(1), Some(l.column()))
            });
            let mut c = Classified::damaged(
                Kind::ModelsYaml,
                line,
                column,
                format!("the YAML does not parse (at line {line}): the file is not read"),
            );
            c.variant = Some(variant.to_owned());
            return Some(c);
        }
        Err(_) => return None,
    };
    let map = value.as_mapping()?;
    if map
        .get("models")
        .is_some_and(yaml_serde::Value::is_sequence)
    {
        return Some(Classified::of(Kind::ModelsYaml, variant));
    }
    let keys: Vec<&str> = map.keys().filter_map(yaml_serde::Value::as_str).collect();
    if !keys.is_empty() && keys.iter().all(|k| SETTINGS_KEYS.contains(k)) {
        return Some(Classified::of(Kind::SettingsYaml, "app_settings"));
    }
    None
}

/// Root-era `config.py`: Python assignments of `MODELS` with `PRICING` or `EVAL_SETTINGS`.
fn is_config_py(text: &str) -> bool {
    let assigns = |name: &str| {
        text.lines().any(|l| {
            l.strip_prefix(name)
                .is_some_and(|rest| rest.trim_start().starts_with('='))
        })
    };
    assigns("MODELS") && (assigns("PRICING") || assigns("EVAL_SETTINGS"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(name: &str, text: &str) -> (Kind, Option<String>) {
        let c = classify(name, text.as_bytes(), true, std::io::empty());
        (c.kind, c.variant)
    }

    #[test]
    fn prompt_csv_headers_and_their_variants() {
        assert_eq!(
            kind(
                "x.csv",
                "prompt_id,prompt,expected_json,category\n1,a,True,converse\n"
            ),
            (Kind::PromptsCsv, Some("standard".into()))
        );
        assert_eq!(
            kind("x.csv", "Prompt,notes\na,b\n").1.as_deref(),
            Some("no_prompt_id Prompt_header extra_columns")
        );
        let bom = classify(
            "x.csv",
            b"\xEF\xBB\xBFprompt_id,prompt,expected_json,category\n",
            true,
            std::io::empty(),
        );
        assert_eq!(bom.variant.as_deref(), Some("standard bom"));
    }

    #[test]
    fn aggregate_and_root_era_csvs_are_told_apart() {
        let comparison = MODEL_COMPARISON_HEADER.join(",");
        assert_eq!(kind("a.csv", &comparison).0, Kind::ModelComparison);
        assert_eq!(
            kind("s.csv", &SUMMARY_HEADER.join(",")).0,
            Kind::ResultsSummary
        );
        let detailed = "prompt_index,model_key,model_name,input_tokens,output_tokens,latency_ms,cost_usd,valid_json,retries,json_was_cleaned,metadata,output,prompt_snippet,timestamp\r\n";
        assert_eq!(kind("d.csv", detailed).0, Kind::ResultsDetailed);
        let side = "prompt_index,prompt_snippet,nova-pro_latency_ms,nova-pro_cost_usd\r\n";
        assert_eq!(kind("c.csv", side).0, Kind::ResultsComparison);
    }

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
    fn yaml_config_and_text_files() {
        let models = "region_name: us-east-2\nmodels:\n  - name: A\n";
        assert_eq!(
            kind("models.yaml", models),
            (Kind::ModelsYaml, Some("current".into()))
        );
        assert_eq!(
            kind("models.2025-11-03.yaml", models).1.as_deref(),
            Some("dated_version")
        );
        assert_eq!(
            kind("settings.yaml", "region_name: us-east-1\nconcurrency: 4\n").0,
            Kind::SettingsYaml
        );
        assert_eq!(kind("other.yaml", "foo: 1\n").0, Kind::Unknown);
        assert_eq!(
            kind("config.py", "MODELS = {}\nPRICING = {}\n").0,
            Kind::ConfigPy
        );
        assert_eq!(kind("prompts.txt", "one\n\ntwo\n").0, Kind::PromptsJson);
        assert_eq!(
            kind("readme.txt", "Copied from the old laptop.\n").0,
            Kind::Unknown
        );
        assert_eq!(
            classify("bin", b"\xff\xfe\x00", true, std::io::empty()).kind,
            Kind::Unknown
        );
    }

    const RAW: &str = "timestamp,run_id,model_name,model_id,prompt_id,input_tokens,output_tokens,latency_ms,json_valid,error,status,cost_usd_input,cost_usd_output,cost_usd_total";

    #[test]
    fn a_flipped_byte_in_a_raw_metrics_header_is_a_damaged_raw_metrics_file() {
        assert_eq!(kind("x.csv", RAW).0, Kind::RawMetrics);
        let flipped = RAW.replacen("run_id", "run_jd", 1);
        let c = classify("export.csv", flipped.as_bytes(), true, std::io::empty());
        assert_eq!(c.kind, Kind::RawMetrics);
        let damage = c.damage.expect("damaged");
        assert!(damage
            .reason
            .contains("column 2 is not a raw_metrics column"));
        assert!(!damage.reason.contains("run_jd"), "never the header's text");
    }

    #[test]
    fn invalid_utf8_never_decides_the_kind() {
        // The one invalid byte in a data row of the head.
        let mut bytes = format!("{RAW}\n2025-11-01T00:00:00Z,r,").into_bytes();
        bytes.extend_from_slice(b"\xff\n");
        let c = classify("raw.csv", &bytes, true, std::io::empty());
        assert_eq!(c.kind, Kind::RawMetrics);
        assert!(c.damage.is_none());
        let mut prompts = b"prompt_id,prompt,expected_json,category\n1,caf".to_vec();
        prompts.extend_from_slice(b"\xe9,True,x\n");
        assert_eq!(
            classify("p.csv", &prompts, true, std::io::empty()).kind,
            Kind::PromptsCsv
        );
    }

    #[test]
    fn a_nul_byte_in_a_row_never_decides_the_kind() {
        let mut bytes = format!("{RAW}\n2025-11-01T00:00:00Z,r,").into_bytes();
        bytes.extend_from_slice(b"a\x00b\n");
        let c = classify("x.csv", &bytes, true, std::io::empty());
        assert_eq!((c.kind, c.damage), (Kind::RawMetrics, None));
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
