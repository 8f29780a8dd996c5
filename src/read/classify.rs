//! ① Classification: decides a file's kind and variant from its content (the first bytes: a CSV
//! header, a JSON shape, a YAML mapping, Python assignments). The file name is only a hint, used
//! where content alone cannot decide (an empty `users.json`, a plain-text prompt list). Pure, so
//! every rule is unit-tested here; `read/mod.rs` feeds it the head of each discovered file.

use super::raw_metrics;
use super::Kind;
use serde_json::Value;

/// The UTF-8 byte-order mark some tools put before a CSV header.
pub const BOM: &[u8] = b"\xEF\xBB\xBF";

/// A classification: the kind and, where the kind has several shapes, which one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Classified {
    pub kind: Kind,
    pub variant: Option<String>,
}

impl Classified {
    fn of(kind: Kind, variant: impl Into<String>) -> Self {
        Self {
            kind,
            variant: Some(variant.into()),
        }
    }

    /// Kind `unknown`: listed in the report and skipped, never guessed at.
    pub fn unknown() -> Self {
        Self {
            kind: Kind::Unknown,
            variant: None,
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

/// Classifies a file from its name and the first bytes of its content. `complete` says whether
/// `head` is the whole file (whole-document JSON can then be parsed).
pub fn classify(name: &str, head: &[u8], complete: bool) -> Classified {
    let bom = head.starts_with(BOM);
    let body = head.strip_prefix(BOM).unwrap_or(head);
    let Some(text) = utf8_prefix(body, complete) else {
        return Classified::unknown();
    };
    let trimmed = text.trim_start();
    if trimmed.is_empty() {
        return Classified::unknown();
    }
    if trimmed.starts_with('{') || trimmed.starts_with('[') {
        return classify_json(name, text, complete);
    }
    if let Some(c) = classify_csv(body, bom) {
        return c;
    }
    let lower = name.to_ascii_lowercase();
    if let Some(c) = classify_yaml(&lower, text) {
        return c;
    }
    if is_config_py(text) {
        return Classified::of(Kind::ConfigPy, "python_dicts");
    }
    if lower.ends_with(".txt") && lower.contains("prompt") {
        return Classified::of(Kind::PromptsJson, "txt");
    }
    Classified::unknown()
}

/// The longest valid UTF-8 prefix, tolerating a multi-byte character cut at the end of an
/// incomplete head; `None` for binary content.
fn utf8_prefix(bytes: &[u8], complete: bool) -> Option<&str> {
    match std::str::from_utf8(bytes) {
        Ok(s) => Some(s),
        Err(e) if !complete && e.error_len().is_none() => {
            std::str::from_utf8(&bytes[..e.valid_up_to()]).ok()
        }
        Err(_) => None,
    }
}

fn classify_csv(body: &[u8], bom: bool) -> Option<Classified> {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(body);
    let mut record = csv::StringRecord::new();
    if !matches!(rdr.read_record(&mut record), Ok(true)) {
        return None;
    }
    let fields: Vec<&str> = record.iter().collect();
    let quoted = body.first() == Some(&b'"');
    if let Some(h) = raw_metrics::detect_header(&fields, quoted) {
        return Some(Classified::of(Kind::RawMetrics, h.variant));
    }
    if fields == MODEL_COMPARISON_HEADER {
        return Some(Classified::of(Kind::ModelComparison, "tuple_names"));
    }
    if fields == SUMMARY_HEADER {
        return Some(Classified::of(Kind::ResultsSummary, "root_era"));
    }
    let has = |n: &str| fields.contains(&n);
    if has("prompt_index") && has("model_key") && has("output") && has("prompt_snippet") {
        let variant = if has("metadata") {
            "root_era"
        } else {
            "root_era_no_metadata"
        };
        return Some(Classified::of(Kind::ResultsDetailed, variant));
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
        return Some(Classified::of(Kind::ResultsComparison, "root_era"));
    }
    if fields.len() > 1 || fields.iter().any(|f| prompt_column(f)) {
        if let Some(variant) = prompts_csv_variant(&fields, bom) {
            return Some(Classified::of(Kind::PromptsCsv, variant));
        }
    }
    None
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

fn classify_json(name: &str, text: &str, complete: bool) -> Classified {
    if complete {
        if let Ok(value) = serde_json::from_str::<Value>(text) {
            let pretty = text.trim().lines().count() > 1;
            return classify_json_document(name, &value, pretty);
        }
    }
    // JSON Lines: judge by the first non-blank line.
    let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    match serde_json::from_str::<Value>(first) {
        Ok(value) if is_log_entry(&value) => Classified::of(Kind::BedrockLog, "jsonl"),
        Ok(value) if prompt_item(&value) => Classified::of(Kind::PromptsJson, "jsonl"),
        _ => Classified::unknown(),
    }
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
            Classified::unknown()
        }
        Value::Array(items) if !items.is_empty() => {
            if items.iter().any(is_log_entry) {
                let shape = if pretty { "pretty_json" } else { "json_array" };
                Classified::of(Kind::BedrockLog, shape)
            } else if items.iter().all(prompt_item) {
                Classified::of(Kind::PromptsJson, "json_array")
            } else {
                Classified::unknown()
            }
        }
        _ => Classified::unknown(),
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

fn classify_yaml(lower_name: &str, text: &str) -> Option<Classified> {
    let yaml_name = lower_name.ends_with(".yaml") || lower_name.ends_with(".yml");
    let has_models_key = text.lines().any(|l| l.starts_with("models:"));
    if !yaml_name && !has_models_key {
        return None;
    }
    let value: yaml_serde::Value = yaml_serde::from_str(text).ok()?;
    let map = value.as_mapping()?;
    if map
        .get("models")
        .is_some_and(yaml_serde::Value::is_sequence)
    {
        let variant = if super::models_yaml::date_in_name(lower_name).is_some() {
            "dated_version"
        } else if lower_name.starts_with("model_configuration") {
            "dashboard_download"
        } else {
            "current"
        };
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
        let c = classify(name, text.as_bytes(), true);
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
        assert_eq!(classify("bin", b"\xff\xfe\x00", true).kind, Kind::Unknown);
    }
}
