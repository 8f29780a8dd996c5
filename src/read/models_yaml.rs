//! ① `configs/models.yaml` versions (docs/formats.md#models_yaml): `region_name` and a `models:` list of
//! {name, provider, bedrock_model_id, use_inference_profile, tokenizer, pricing, generation_params}.
//! Each model entry is a source record, stamped with its version's effective date: the one given
//! with `--config-date`, else a date in the file name (`models.2025-11-03.yaml`), else a leading
//! `# version: DATE` comment, else the file's modification time (`config_values::version_date`,
//! docs/decisions.md "Configuration history"). Parsed with `yaml_serde`, the YAML organisation's maintained fork of the archived
//! serde_yaml. Feeds `stage_models`.

use super::config_values::{check_widths, decimal, version_date, whole, NOT_UTF8, NUL};
use super::context::{FileCtx, Parsed};
use crate::model::identity;
use crate::model::{Kind, ModelEntryRecord, Staged};
use chrono::{DateTime, Utc};
use serde_json::{json, Map, Value as Json};
use yaml_serde::Value;

/// The lines at which each item of the top-level `models:` list starts (YAML parsers drop
/// positions). Commented-out entries are comments and do not count.
pub fn entry_lines(text: &str) -> Vec<u64> {
    let mut lines = Vec::new();
    let mut in_models = false;
    let mut indent: Option<usize> = None;
    for (i, l) in text.lines().enumerate() {
        let line = u64::try_from(i).unwrap_or(0) + 1;
        let content = l.trim_start();
        if content.is_empty() || content.starts_with('#') {
            continue;
        }
        let at = l.len() - content.len();
        if !in_models {
            in_models = at == 0 && content.starts_with("models:");
            continue;
        }
        if at == 0 && !content.starts_with('-') {
            break;
        }
        if content.starts_with("- ") || content == "-" {
            let item_indent = *indent.get_or_insert(at);
            if at == item_indent {
                lines.push(line);
            }
        }
    }
    lines
}

fn text(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Why the last entry of a file that looks cut short is rejected.
pub const CUT_SHORT: &str = "the file ends inside this entry (no final newline, or a key with no \
     value on its last line): the entry may be cut short";

/// Whether a YAML text looks cut short, as a file the app wrote never does: it does not end with a
/// newline, or its last line (comments aside) is a key still waiting for its value (`pricing:`).
/// A cut at any other place parses as a shorter, valid document, so these two are what can be told.
pub fn looks_cut(text: &str) -> bool {
    if text.trim().is_empty() {
        return false;
    }
    if !text.ends_with('\n') {
        return true;
    }
    text.lines()
        .rev()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#'))
        .is_some_and(|l| l.ends_with(':'))
}

/// Whether the `models:` list runs to the end of the file (no top-level key after it), so a cut at
/// the end falls inside its last entry.
fn models_list_ends_the_file(text: &str) -> bool {
    let mut in_models = false;
    for l in text.lines() {
        let content = l.trim_start();
        if content.is_empty() || content.starts_with('#') {
            continue;
        }
        let top = l.len() == content.len();
        if top && content.starts_with("models:") {
            in_models = true;
        } else if top && !content.starts_with('-') {
            in_models = false;
        }
    }
    in_models
}

/// Whether a YAML value holds U+FFFD anywhere (in a file that was not UTF-8: a replaced byte).
fn holds_replacement(v: &Value) -> bool {
    serde_json::to_string(v).is_ok_and(|t| t.contains('\u{FFFD}'))
}

/// Reads one models.yaml version. Damage is a reject, never a partial row: a file cut short
/// rejects its last entry (every entry when the cut is outside the `models:` list), an entry with
/// bytes that are not UTF-8 or a NUL is rejected, and a document nested deeper than the parser's
/// limit (128) or broken is one reject for the file.
pub fn read(bytes: &[u8], ctx: &FileCtx) -> Parsed<ModelEntryRecord> {
    let mut out = Parsed::default();
    let source = String::from_utf8_lossy(bytes);
    let replaced = std::str::from_utf8(bytes).is_err();
    let lines = entry_lines(&source);
    let cut = looks_cut(&source);
    // A file cut inside its last entry often no longer parses: without that entry it may, and the
    // entries before it are whole.
    let mut cut_entry_dropped = None;
    let parsed = yaml_serde::from_str::<Value>(&source).or_else(|e| {
        let last = lines
            .last()
            .copied()
            .filter(|_| cut && models_list_ends_the_file(&source));
        let Some(last) = last else { return Err(e) };
        let keep = usize::try_from(last - 1).unwrap_or(usize::MAX);
        let prefix: String = source.split_inclusive('\n').take(keep).collect();
        let doc = yaml_serde::from_str::<Value>(&prefix).map_err(|_| e)?;
        cut_entry_dropped = Some(last);
        Ok(doc)
    });
    let doc: Value = match parsed {
        Ok(v) => v,
        Err(e) => {
            out.records = 1;
            let line = e
                .location()
                .map_or(1, |l| u64::try_from(l.line()).unwrap_or(1));
            out.rejects
                .push(ctx.reject(line, None, None, "file is not valid YAML"));
            out.file_rejected = Some(format!("not valid YAML from line {line}"));
            return out;
        }
    };
    let region = text(doc.get("region_name"));
    let items = doc
        .get("models")
        .and_then(Value::as_sequence)
        .cloned()
        .unwrap_or_default();
    out.version = version_date(ctx, &source);
    let Some((effective_from, dated_by)) = out.version else {
        out.records = u64::try_from(items.len()).unwrap_or(0);
        for (i, _) in items.iter().enumerate() {
            let line = super::positions::line_of(&lines, i);
            out.rejects
                .push(ctx.reject(line, None, None, super::config_values::UNDATED));
        }
        return out;
    };
    // Once the cut entry is dropped, what is left is whole.
    let cut = cut && cut_entry_dropped.is_none();
    let cut_all = cut && !models_list_ends_the_file(&source);
    let region_damaged = replaced && region.as_deref().is_some_and(|r| r.contains('\u{FFFD}'));
    for (i, item) in items.iter().enumerate() {
        out.records += 1;
        let line = super::positions::line_of(&lines, i);
        if cut_all || (cut && i + 1 == items.len()) {
            out.rejects.push(ctx.reject(line, None, None, CUT_SHORT));
            continue;
        }
        if region_damaged || (replaced && holds_replacement(item)) {
            out.rejects.push(ctx.reject(line, None, None, NOT_UTF8));
            continue;
        }
        match entry(item, region.as_deref(), effective_from, ctx, line) {
            Ok(mut r) => {
                r.metadata["version_dated_by"] = json!(dated_by.name());
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
    if let Some(line) = cut_entry_dropped {
        out.records += 1;
        out.rejects.push(ctx.reject(line, None, None, CUT_SHORT));
    }
    out
}

fn entry(
    item: &Value,
    region: Option<&str>,
    effective_from: DateTime<Utc>,
    ctx: &FileCtx,
    line: u64,
) -> Result<ModelEntryRecord, (&'static str, String)> {
    let name = text(item.get("name"))
        .filter(|n| !n.is_empty())
        .ok_or(("name", "model entry has no name".to_owned()))?;
    if name.chars().count() > 200 {
        return Err(("name", "name is longer than 200 characters".to_owned()));
    }
    let bedrock_model_id = text(item.get("bedrock_model_id")).filter(|s| !s.is_empty());
    let provider = text(item.get("provider"))
        .filter(|p| !p.is_empty())
        .map(|p| p.to_lowercase())
        .unwrap_or_else(|| identity::provider_of(bedrock_model_id.as_deref().unwrap_or(""), &name));
    let pricing = item.get("pricing");
    let price = |k: &str, t: &'static str| {
        decimal(text(pricing.and_then(|p| p.get(k))), 10, 6, t).map_err(|e| ("pricing", e))
    };
    let mut price_in = price("input_per_1k_tokens_usd", "model_pricing DECIMAL(10,6)")?;
    let mut price_out = price("output_per_1k_tokens_usd", "model_pricing DECIMAL(10,6)")?;
    let mut metadata = Map::new();
    metadata.insert("source".into(), json!({"file": ctx.display, "line": line}));
    if price_in.is_none() || price_out.is_none() {
        // Half a price is no price: the legacy loader invented 0 here; this project records none.
        metadata.insert("pricing_incomplete".into(), json!(true));
        price_in = None;
        price_out = None;
    }
    let params = item.get("generation_params");
    let param = |k: &str| text(params.and_then(|p| p.get(k)));
    let use_inference_profile = match item.get("use_inference_profile") {
        Some(Value::Bool(b)) => *b,
        _ => bedrock_model_id
            .as_deref()
            .is_some_and(identity::is_region_prefixed),
    };
    let known = [
        "name",
        "provider",
        "bedrock_model_id",
        "use_inference_profile",
        "tokenizer",
        "pricing",
        "generation_params",
    ];
    let extra: Map<String, Json> = item
        .as_mapping()
        .into_iter()
        .flatten()
        .filter_map(|(k, v)| Some((k.as_str()?.to_owned(), v)))
        .filter(|(k, _)| !known.contains(&k.as_str()))
        .map(|(k, v)| (k, serde_json::to_value(v).unwrap_or(Json::Null)))
        .collect();
    if !extra.is_empty() {
        metadata.insert("extra_keys".into(), Json::Object(extra));
    }
    let mut r = ModelEntryRecord {
        file_no: ctx.file_no,
        line: i64::try_from(line).unwrap_or(i64::MAX),
        source_key: String::new(),
        kind: Kind::ModelsYaml,
        effective_from,
        name,
        provider,
        bedrock_model_id,
        tokenizer_type: text(item.get("tokenizer")),
        region_name: region.map(str::to_owned),
        use_inference_profile,
        config_key: None,
        price_in,
        price_out,
        max_tokens: whole(param("max_tokens")).map_err(|e| ("generation_params", e))?,
        temperature: decimal(param("temperature"), 4, 2, "temperature DECIMAL(4,2)")
            .map_err(|e| ("generation_params", e))?,
        top_p: decimal(param("top_p"), 4, 2, "top_p DECIMAL(4,2)")
            .map_err(|e| ("generation_params", e))?,
        metadata: Json::Object(metadata),
    };
    check_widths(&r)?;
    r.source_key = r.key();
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    const V3: &str = "region_name: us-east-2\nmodels:\n  - name: Claude 3.5 Sonnet  # renamed id\n    provider: anthropic\n    bedrock_model_id: us.anthropic.claude-3-5-sonnet-20241022-v2:0\n    tokenizer: anthropic\n    pricing:\n      input_per_1k_tokens_usd: 0.003\n      output_per_1k_tokens_usd: 0.015\n    generation_params: {max_tokens: 1500, temperature: 0.7, top_p: 0.95}\n  # - name: Claude 3.5 Haiku\n  - name: Llama 3.1 70B Instruct\n    provider: meta\n    bedrock_model_id: us.meta.llama3-1-70b-instruct-v1:0\n    pricing:\n      input_per_1k_tokens_usd: 0.00065\n      output_per_1k_tokens_usd: 0.00085\n";

    #[test]
    fn a_file_that_is_not_yaml_rejects_the_file() {
        let parsed = read(
            b"models:\n  - name: [unclosed\n    provider: x\n",
            &FileCtx::for_tests("models.2025-11-03.yaml"),
        );
        assert_eq!((parsed.records, parsed.rejects.len()), (1, 1));
        assert!(parsed.file_rejected.is_some());
    }

    #[test]
    fn entries_with_lines_prices_params_and_inferred_flags() {
        assert_eq!(entry_lines(V3), vec![3, 12]);
        let parsed = read(V3.as_bytes(), &FileCtx::for_tests("models.2025-11-05.yaml"));
        assert_eq!((parsed.records, parsed.rows.len()), (2, 2));
        let claude = &parsed.rows[0];
        assert_eq!(claude.name, "Claude 3.5 Sonnet");
        assert_eq!(
            claude.effective_from.to_rfc3339(),
            "2025-11-05T00:00:00+00:00"
        );
        assert_eq!(
            claude.price_out.map(|d| d.to_string()).as_deref(),
            Some("0.015000")
        );
        assert_eq!(
            claude.temperature.map(|d| d.to_string()).as_deref(),
            Some("0.70")
        );
        assert!(
            claude.use_inference_profile,
            "us. ids are inference profiles"
        );
        assert_eq!(claude.region_name.as_deref(), Some("us-east-2"));
        let llama = &parsed.rows[1];
        assert_eq!(llama.line, 12);
        assert_eq!(llama.max_tokens, None);
        assert_eq!(
            llama.price_in.map(|d| d.to_string()).as_deref(),
            Some("0.000650")
        );
        assert_ne!(claude.source_key, llama.source_key);
    }

    #[test]
    fn broken_entries_are_rejected_and_undated_versions_too() {
        let bad = "models:\n  - provider: meta\n  - name: X\n    pricing: {input_per_1k_tokens_usd: 99999}\n";
        let parsed = read(
            bad.as_bytes(),
            &FileCtx::for_tests("models.2025-11-05.yaml"),
        );
        assert_eq!(parsed.rejects.len(), 2);
        assert_eq!(parsed.rejects[0].line, 2);
        let wide = format!("models:\n  - name: X\n    provider: {}\n", "p".repeat(51));
        let parsed = read(
            wide.as_bytes(),
            &FileCtx::for_tests("models.2025-11-05.yaml"),
        );
        assert_eq!(parsed.rejects[0].field.as_deref(), Some("provider"));
        let undated = read(V3.as_bytes(), &FileCtx::for_tests("models.yaml"));
        assert_eq!(undated.rejects.len(), 2);
    }

    fn read_dated(text: &[u8]) -> Parsed<ModelEntryRecord> {
        read(text, &FileCtx::for_tests("models.2025-11-05.yaml"))
    }

    #[test]
    fn a_file_cut_short_rejects_its_last_entry_and_keeps_the_others() {
        // Cut inside a key, after a key waiting for its value, and before the final newline.
        let at_key = V3.find("      output_per_1k_tokens_usd: 0.00085").unwrap();
        let pricing = V3.rfind("    pricing:\n").unwrap() + "    pricing:\n".len();
        for cut in [&V3[..at_key + 10], &V3[..pricing], &V3[..V3.len() - 1]] {
            let parsed = read_dated(cut.as_bytes());
            assert_eq!((parsed.records, parsed.rows.len()), (2, 1), "{cut:?}");
            assert_eq!(parsed.rows[0].name, "Claude 3.5 Sonnet");
            assert_eq!(parsed.rejects[0].line, 12);
            assert_eq!(parsed.rejects[0].reason, CUT_SHORT);
        }
        assert!(read_dated(V3.as_bytes()).rejects.is_empty());
        // Cut in a key after the list: nothing in the file can be trusted.
        let after = format!("{V3}defaults:");
        let parsed = read_dated(after.as_bytes());
        assert_eq!((parsed.rows.len(), parsed.rejects.len()), (0, 2));
    }

    #[test]
    fn bad_bytes_reject_their_entry_only() {
        let nul = V3.replace("name: Llama 3.1 70B Instruct", "name: \"Llama\\0\"");
        let parsed = read_dated(nul.as_bytes());
        assert_eq!((parsed.rows.len(), parsed.rejects.len()), (1, 1));
        assert_eq!(parsed.rejects[0].reason, NUL);
        assert_eq!(parsed.rejects[0].field.as_deref(), Some("name"));
        let mut bytes = V3
            .replace("tokenizer: anthropic", "tokenizer: anthr#pic")
            .into_bytes();
        let at = bytes.iter().position(|&b| b == b'#').unwrap();
        bytes[at] = 0xff;
        let parsed = read_dated(&bytes);
        assert_eq!((parsed.rows.len(), parsed.rejects.len()), (1, 1));
        assert_eq!(parsed.rejects[0].reason, NOT_UTF8);
        assert_eq!(parsed.rejects[0].line, 3);
        let in_comment = V3
            .replace("# renamed id", "# renamed \u{fffd}")
            .into_bytes();
        assert!(read_dated(&in_comment).rejects.is_empty());
    }

    #[test]
    fn nesting_beyond_the_parser_limit_is_one_reject_not_a_crash() {
        let deep = format!(
            "models:\n  - name: X\n    deep: {}{}\n",
            "[".repeat(10_000),
            "]".repeat(10_000)
        );
        let parsed = read_dated(deep.as_bytes());
        assert_eq!((parsed.records, parsed.rows.len()), (1, 0));
        assert_eq!(parsed.rejects[0].reason, "file is not valid YAML");
        let mut block = String::from("models:\n  - name: X\n    deep:\n");
        for depth in 0..2_000 {
            block.push_str(&" ".repeat(6 + 2 * depth));
            block.push_str("k:\n");
        }
        block.push_str(&" ".repeat(6 + 2 * 2_000));
        block.push_str("v\n");
        let parsed = read_dated(block.as_bytes());
        assert_eq!(parsed.rows.len(), 0);
        assert_eq!(parsed.rejects.len(), 1);
    }
}
