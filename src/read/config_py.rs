//! ① Root-era `config.py` (docs/formats.md#config_py): Python dicts `MODELS` (key → name, Bedrock id),
//! `PRICING` (key → input/output per 1K) and `EVAL_SETTINGS` (max_tokens, temperature; no top_p).
//! Each `MODELS` key is a source record, a configuration version dated like models.yaml versions
//! (the transform then never dates it after the earliest models.yaml version: it predates them).
//! Key spellings vary across the three versions, so several are accepted (docs/decisions.md).
//! Feeds `stage_models`.

use super::config_values::{check_widths, decimal, version_date, whole, NOT_UTF8, NUL};
use super::context::{FileCtx, Parsed};
use super::pyliteral::assignment;
use crate::model::identity;
use crate::model::{Kind, ModelEntryRecord, Staged};
use serde_json::{json, Value};

const NAME_KEYS: [&str; 3] = ["name", "display_name", "model_name"];
const ID_KEYS: [&str; 4] = ["model_id", "bedrock_model_id", "id", "modelId"];
const INPUT_KEYS: [&str; 5] = [
    "input_per_1k_tokens_usd",
    "input_per_1k",
    "input",
    "input_cost_per_1k",
    "input_price",
];
const OUTPUT_KEYS: [&str; 5] = [
    "output_per_1k_tokens_usd",
    "output_per_1k",
    "output",
    "output_cost_per_1k",
    "output_price",
];

fn text(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn first(map: &Value, keys: &[&str]) -> Option<String> {
    keys.iter()
        .find_map(|k| text(map.get(*k)))
        .filter(|s| !s.is_empty())
}

/// A price pair from a dict (any accepted spelling) or an `(input, output)` tuple.
fn prices(v: Option<&Value>) -> (Option<String>, Option<String>) {
    match v {
        Some(Value::Array(pair)) if pair.len() == 2 => (text(pair.first()), text(pair.get(1))),
        Some(map @ Value::Object(_)) => (first(map, &INPUT_KEYS), first(map, &OUTPUT_KEYS)),
        _ => (None, None),
    }
}

/// Reads config.py.
pub fn read(bytes: &[u8], ctx: &FileCtx) -> Parsed<ModelEntryRecord> {
    let mut out = Parsed::default();
    let source = String::from_utf8_lossy(bytes);
    let get = |name: &str| assignment(&source, name);
    let (models, pricing, settings) = match (get("MODELS"), get("PRICING"), get("EVAL_SETTINGS")) {
        (Ok(m), Ok(p), Ok(s)) => (m, p, s),
        (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => {
            let reason = format!(
                "cannot read the Python literal at column {}: {}",
                e.column, e.reason
            );
            out.records = 1;
            out.rejects
                .push(ctx.reject(e.line, None, None, reason.clone()));
            out.file_rejected = Some(format!("line {}: {reason}", e.line));
            return out;
        }
    };
    let Some(models) = models else {
        return out;
    };
    let Some(entries) = models.value.as_object() else {
        out.records = 1;
        out.rejects
            .push(ctx.reject(models.line, None, Some("MODELS"), "MODELS is not a dict"));
        out.file_rejected = Some(format!("line {}: MODELS is not a dict", models.line));
        return out;
    };
    let settings = settings.map(|s| s.value).unwrap_or(Value::Null);
    let pricing = pricing.map(|p| p.value).unwrap_or(Value::Null);
    out.version = version_date(ctx, &source);
    let dated = out.version;
    // In a file that is not UTF-8, a replaced byte in what an entry is made of rejects the entry
    // (one in a comment or elsewhere harms nothing).
    let replaced = std::str::from_utf8(bytes).is_err();
    let damaged = |v: Option<&Value>| v.is_some_and(|v| v.to_string().contains('\u{FFFD}'));
    let settings_damaged = replaced && damaged(Some(&settings));
    for (key, spec) in entries {
        out.records += 1;
        let line = models
            .key_lines
            .iter()
            .find(|(k, _)| k == key)
            .map_or(models.line, |(_, l)| *l);
        if replaced
            && (settings_damaged
                || key.contains('\u{FFFD}')
                || damaged(Some(spec))
                || damaged(pricing.get(key)))
        {
            out.rejects.push(ctx.reject(line, None, None, NOT_UTF8));
            continue;
        }
        let Some((effective_from, dated_by)) = dated else {
            out.rejects
                .push(ctx.reject(line, None, None, super::config_values::UNDATED));
            continue;
        };
        match entry(key, spec, &pricing, &settings, ctx, line)
            .and_then(|r| check_widths(&r).map(|()| r))
        {
            Ok(mut r) => {
                r.effective_from = effective_from;
                r.metadata["version_dated_by"] = json!(dated_by.name());
                r.source_key = r.key();
                match r.nul_column() {
                    Some(column) => out.rejects.push(ctx.reject(line, None, Some(column), NUL)),
                    None => out.rows.push(r),
                }
            }
            Err((field, reason)) => out
                .rejects
                .push(ctx.reject(line, None, Some(field), reason)),
        }
    }
    out
}

fn entry(
    key: &str,
    spec: &Value,
    pricing: &Value,
    settings: &Value,
    ctx: &FileCtx,
    line: u64,
) -> Result<ModelEntryRecord, (&'static str, String)> {
    let name = first(spec, &NAME_KEYS).ok_or(("name", "MODELS entry has no name".to_owned()))?;
    if name.chars().count() > 200 {
        return Err(("name", "name is longer than 200 characters".to_owned()));
    }
    let id = first(spec, &ID_KEYS);
    let provider = first(spec, &["provider"])
        .map(|p| p.to_lowercase())
        .unwrap_or_else(|| identity::provider_of(id.as_deref().unwrap_or(""), &name));
    let (mut pin, mut pout) = prices(spec.get("pricing"));
    if pin.is_none() {
        (pin, pout) = prices(pricing.get(key));
    }
    if pin.is_none() {
        (pin, pout) = (first(spec, &INPUT_KEYS), first(spec, &OUTPUT_KEYS));
    }
    let (pin, pout) = if pin.is_some() && pout.is_some() {
        (pin, pout)
    } else {
        (None, None)
    };
    let target = "model_pricing DECIMAL(10,6)";
    let setting = |k: &str| text(spec.get(k)).or_else(|| text(settings.get(k)));
    Ok(ModelEntryRecord {
        file_no: ctx.file_no,
        line: i64::try_from(line).unwrap_or(i64::MAX),
        source_key: String::new(),
        kind: Kind::ConfigPy,
        effective_from: chrono::DateTime::UNIX_EPOCH,
        use_inference_profile: id.as_deref().is_some_and(identity::is_region_prefixed),
        name,
        provider,
        bedrock_model_id: id,
        tokenizer_type: first(spec, &["tokenizer", "tokenizer_type"]),
        region_name: first(spec, &["region", "region_name"]),
        config_key: Some(key.to_owned()),
        price_in: decimal(pin, 10, 6, target).map_err(|e| ("PRICING", e))?,
        price_out: decimal(pout, 10, 6, target).map_err(|e| ("PRICING", e))?,
        max_tokens: whole(setting("max_tokens")).map_err(|e| ("EVAL_SETTINGS", e))?,
        temperature: decimal(setting("temperature"), 4, 2, "temperature DECIMAL(4,2)")
            .map_err(|e| ("EVAL_SETTINGS", e))?,
        top_p: decimal(setting("top_p"), 4, 2, "top_p DECIMAL(4,2)")
            .map_err(|e| ("EVAL_SETTINGS", e))?,
        metadata: json!({"source": {"file": ctx.display, "line": line}, "config_py_key": key}),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONFIG: &str = "import os\n\nAWS_REGION = os.getenv('AWS_REGION', 'us-east-2')\n\nMODELS = {\n    'claude-sonnet': {\n        'model_id': 'us.anthropic.claude-3-7-sonnet-20250219-v1:0',\n        'name': 'Claude 3.7 Sonnet',\n    },\n    'llama-3-2-11b': {'model_id': 'us.meta.llama3-2-11b-instruct-v1:0', 'name': 'Llama 3.2 11B Instruct'},\n}\n\nPRICING = {\n    'claude-sonnet': {'input': 0.008, 'output': 0.024},\n    'llama-3-2-11b': (0.0006, 0.0008),\n}\n\nEVAL_SETTINGS = {'max_tokens': 1500, 'temperature': 0.7}\n";

    #[test]
    fn a_literal_that_cannot_be_read_rejects_the_file() {
        let parsed = read(
            b"MODELS = {'a': {'model_id': 'x',\n",
            &FileCtx::for_tests("config.py"),
        );
        assert_eq!((parsed.records, parsed.rejects.len()), (1, 1));
        let reason = parsed.file_rejected.unwrap_or_default();
        assert!(reason.starts_with("line "), "{reason}");
    }

    #[test]
    fn models_prices_and_settings_are_joined_by_key() {
        let parsed = read(
            CONFIG.as_bytes(),
            &FileCtx::for_tests("config.2025-10-31.py"),
        );
        assert_eq!((parsed.records, parsed.rows.len()), (2, 2));
        let c = &parsed.rows[0];
        assert_eq!(
            (c.name.as_str(), c.provider.as_str(), c.line),
            ("Claude 3.7 Sonnet", "anthropic", 6)
        );
        assert_eq!(
            c.price_in.map(|d| d.to_string()).as_deref(),
            Some("0.008000")
        );
        assert_eq!(c.max_tokens, Some(1500));
        assert_eq!(c.top_p, None, "config.py had no top_p");
        let l = &parsed.rows[1];
        assert_eq!(
            l.price_out.map(|d| d.to_string()).as_deref(),
            Some("0.000800")
        );
        assert_eq!(l.config_key.as_deref(), Some("llama-3-2-11b"));
        assert_eq!(l.line, 10);
    }

    #[test]
    fn bad_bytes_and_nuls_reject_their_entry_only() {
        let ctx = FileCtx::for_tests("config.2025-10-31.py");
        let with = |from: &str, to: &[u8]| -> Vec<u8> {
            let at = CONFIG.find(from).unwrap();
            let mut bytes = CONFIG.as_bytes()[..at].to_vec();
            bytes.extend_from_slice(to);
            bytes.extend_from_slice(&CONFIG.as_bytes()[at + from.len()..]);
            bytes
        };
        let parsed = read(&with("Llama 3.2", b"\xffLlama 3.2"), &ctx);
        assert_eq!((parsed.rows.len(), parsed.rejects.len()), (1, 1));
        assert_eq!(parsed.rows[0].name, "Claude 3.7 Sonnet");
        assert_eq!(
            (parsed.rejects[0].line, parsed.rejects[0].reason.as_str()),
            (10, NOT_UTF8)
        );
        let parsed = read(&with("import os", b"import os  # caf\xff"), &ctx);
        assert_eq!((parsed.rows.len(), parsed.rejects.len()), (2, 0));
        let parsed = read(&with("Claude 3.7", b"Claude\x003.7"), &ctx);
        assert_eq!((parsed.rows.len(), parsed.rejects.len()), (1, 1));
        assert_eq!(parsed.rejects[0].field.as_deref(), Some("name"));
        assert_eq!(parsed.rejects[0].reason, NUL);
    }

    #[test]
    fn nesting_thousands_deep_is_one_reject_with_its_line_and_column() {
        let deep = CONFIG.replace(
            "'temperature': 0.7}",
            &format!(
                "'temperature': 0.7, 'x': {}{}}}",
                "(".repeat(5_000),
                ")".repeat(5_000)
            ),
        );
        let parsed = read(deep.as_bytes(), &FileCtx::for_tests("config.2025-10-31.py"));
        assert_eq!((parsed.records, parsed.rows.len()), (1, 0));
        assert_eq!(parsed.rejects[0].line, 18);
        assert!(
            parsed.rejects[0]
                .reason
                .ends_with("nested deeper than 100 levels"),
            "{}",
            parsed.rejects[0].reason
        );
    }

    #[test]
    fn a_broken_literal_is_one_reject() {
        let parsed = read(
            b"MODELS = {'a': {\nPRICING = {}\n",
            &FileCtx::for_tests("config.2025-10-31.py"),
        );
        assert_eq!((parsed.records, parsed.rejects.len()), (1, 1));
    }
}
