//! ① Prompt JSON, JSONL and TXT files (docs/formats.md#prompts_json): a JSON array of strings or of
//! objects (`prompt`/`text`/`input`/`question`/`query`/`message`), `{"prompts": [...]}`, a single
//! object, JSON Lines, or plain text (prompts separated by blank lines, else one per line, as the
//! root loader read them). Other object keys are kept as metadata. Feeds `stage_prompts`.

use super::classify::PROMPT_KEYS;
use super::context::{FileCtx, Parsed};
use super::json_text::{broken_document, json_error_kind, nul_field, JsonText};
use super::positions::{item_lines, line_of};
use super::prompts_csv::parse_expected_json;
use super::values::normalize_prompt_id;
use crate::model::{Kind, PromptRecord};
use serde_json::{json, Map, Value};

/// Reads a prompt file of any of the shapes above; `variant` is the classifier's. Invalid UTF-8,
/// NUL characters and lone surrogates reject the record that holds them; a document that does not
/// parse rejects every record it began.
pub fn read(bytes: &[u8], ctx: &FileCtx, variant: &str) -> Parsed<PromptRecord> {
    let mut out = Parsed::default();
    let body = bytes.strip_prefix(super::source::BOM).unwrap_or(bytes);
    if variant == "txt" {
        let text = nul_for_bad_bytes(body);
        for (line, prompt) in text_prompts(&text) {
            out.records += 1;
            if prompt.contains('\0') {
                out.rejects.push(ctx.reject(
                    line,
                    None,
                    Some("prompt"),
                    "prompt holds invalid UTF-8 or a NUL byte, which PostgreSQL text cannot store",
                ));
                continue;
            }
            out.rows.push(PromptRecord::new(
                ctx.file_no,
                line,
                Kind::PromptsJson,
                prompt,
                None,
                json!({"source": {"file": ctx.display, "line": line}, "format": "txt"}),
            ));
        }
        return out;
    }
    let prepared = JsonText::new(body);
    let text: &str = &prepared.text;
    let take = |v: &Value, line: u64, next: Option<u64>, out: &mut Parsed<PromptRecord>| {
        out.records += 1;
        match nul_field(v) {
            Some(field) => {
                let reason = prepared.reason(line, next, &field);
                out.rejects
                    .push(ctx.reject(line, None, Some(field.as_str()), reason));
            }
            None => item(v, line, ctx, out),
        }
    };
    if variant == "jsonl" {
        for (i, l) in text.lines().enumerate() {
            let line = u64::try_from(i).unwrap_or(0) + 1;
            if l.trim().is_empty() {
                continue;
            }
            match serde_json::from_str::<Value>(l) {
                Ok(v) => take(&v, line, Some(line + 1), &mut out),
                Err(e) => {
                    out.records += 1;
                    out.rejects.push(ctx.reject(
                        line,
                        Some(e.column()),
                        None,
                        format!("line is not JSON ({})", json_error_kind(&e)),
                    ));
                }
            }
        }
        return out;
    }
    let (items, depth) = match serde_json::from_str::<Value>(text) {
        Ok(Value::Array(items)) => (items, 1),
        Ok(Value::Object(mut map)) if map.get("prompts").is_some_and(Value::is_array) => {
            match map.remove("prompts") {
                Some(Value::Array(items)) => (items, 2),
                _ => (Vec::new(), 2),
            }
        }
        Ok(v) => {
            take(&v, 1, None, &mut out);
            return out;
        }
        Err(e) => {
            let depth = match variant {
                "json_array" => 1,
                "prompts_object" => 2,
                _ => 0,
            };
            return broken_document(text, depth, &e, ctx, "the prompt file");
        }
    };
    let lines = item_lines(text, depth);
    for (i, v) in items.iter().enumerate() {
        take(v, line_of(&lines, i), lines.get(i + 1).copied(), &mut out);
    }
    out
}

/// Text whose invalid UTF-8 sequences became NUL characters, which a reader then rejects.
pub fn nul_for_bad_bytes(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        out.push_str(chunk.valid());
        if !chunk.invalid().is_empty() {
            out.push('\0');
        }
    }
    out
}

fn item(v: &Value, line: u64, ctx: &FileCtx, out: &mut Parsed<PromptRecord>) {
    match prompt_of(v) {
        Ok((text, expected, legacy_id, category, extra)) => {
            let mut metadata = Map::new();
            metadata.insert("source".into(), json!({"file": ctx.display, "line": line}));
            if let Some(id) = &legacy_id {
                metadata.insert("legacy_prompt_id".into(), json!(id));
            }
            if let Some(c) = &category {
                metadata.insert("category".into(), json!(c));
            }
            if !extra.is_empty() {
                metadata.insert("extra_keys".into(), Value::Object(extra));
            }
            let mut r = PromptRecord::new(
                ctx.file_no,
                line,
                Kind::PromptsJson,
                text,
                expected,
                Value::Object(metadata),
            );
            r.legacy_prompt_id = legacy_id;
            r.tags = category.map(|c| vec![c.to_lowercase()]);
            out.rows.push(r);
        }
        Err(reason) => out.rejects.push(ctx.reject(line, None, None, reason)),
    }
}

type PromptParts = (
    String,
    Option<bool>,
    Option<String>,
    Option<String>,
    Map<String, Value>,
);

/// The prompt of one item: text, its `expected_json` flag if the item has one, legacy id, category
/// and the remaining keys.
pub fn prompt_of(v: &Value) -> Result<PromptParts, String> {
    match v {
        Value::String(s) if !s.is_empty() => Ok((s.clone(), None, None, None, Map::new())),
        Value::Object(map) => {
            let key = PROMPT_KEYS
                .iter()
                .find(|k| {
                    map.get(**k)
                        .and_then(Value::as_str)
                        .is_some_and(|s| !s.is_empty())
                })
                .ok_or("item has no non-empty prompt text")?;
            let text = map
                .get(*key)
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned();
            let expected = match map.get("expected_json") {
                None | Some(Value::Null) => None,
                Some(Value::Bool(b)) => Some(*b),
                Some(Value::String(s)) => {
                    Some(parse_expected_json(s).map_err(|e| format!("expected_json: {e}"))?)
                }
                Some(_) => return Err("expected_json is not a boolean".to_owned()),
            };
            let id = ["prompt_id", "id"].iter().find_map(|k| match map.get(*k) {
                Some(Value::String(s)) => normalize_prompt_id(s),
                Some(Value::Number(n)) => normalize_prompt_id(&n.to_string()),
                _ => None,
            });
            let category = map
                .get("category")
                .and_then(Value::as_str)
                .map(str::to_owned);
            let extra = map
                .iter()
                .filter(|(k, _)| {
                    k.as_str() != *key
                        && !["expected_json", "prompt_id", "id", "category"].contains(&k.as_str())
                })
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            Ok((text, expected, id, category, extra))
        }
        _ => Err("item is neither a prompt string nor an object with prompt text".to_owned()),
    }
}

/// Plain-text prompts: blocks separated by blank lines; a single block of several lines is one
/// prompt per line. Each prompt is trimmed (the root loader stripped them) and paired with the
/// line it starts on.
pub fn text_prompts(text: &str) -> Vec<(u64, String)> {
    let mut blocks: Vec<(u64, Vec<&str>)> = Vec::new();
    let mut current: Option<(u64, Vec<&str>)> = None;
    for (i, l) in text.lines().enumerate() {
        let line = u64::try_from(i).unwrap_or(0) + 1;
        if l.trim().is_empty() {
            blocks.extend(current.take());
        } else {
            current.get_or_insert_with(|| (line, Vec::new())).1.push(l);
        }
    }
    blocks.extend(current);
    if blocks.len() == 1 && blocks[0].1.len() > 1 {
        let (start, lines) = blocks.remove(0);
        return lines
            .iter()
            .zip(start..)
            .map(|(l, n)| (n, l.trim().to_owned()))
            .collect();
    }
    blocks
        .into_iter()
        .map(|(n, lines)| (n, lines.join("\n").trim().to_owned()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_blocks_then_one_per_line() {
        assert_eq!(
            text_prompts("a\nb\n\n\nc\n"),
            vec![(1, "a\nb".to_owned()), (5, "c".to_owned())]
        );
        assert_eq!(
            text_prompts(" x \ny\n"),
            vec![(1, "x".to_owned()), (2, "y".to_owned())]
        );
        assert!(text_prompts("\n\n").is_empty());
    }

    #[test]
    fn object_items_keep_other_keys() {
        let (text, expected, id, cat, extra) =
            prompt_of(&json!({"question": "q", "id": 3, "expected_json": "true", "owner": "ops"}))
                .unwrap();
        assert_eq!(
            (text.as_str(), expected, id.as_deref(), cat),
            ("q", Some(true), Some("3"), None)
        );
        assert_eq!(extra["owner"], "ops");
        assert!(prompt_of(&json!({"other": 1})).is_err());
        assert!(prompt_of(&json!(7)).is_err());
    }

    #[test]
    fn arrays_objects_and_jsonl_are_read_with_lines() {
        let ctx = FileCtx::for_tests("p.json");
        let arr = read(
            b"[\n  \"one\",\n  {\"text\": \"two\"},\n  {\"nope\": 1}\n]",
            &ctx,
            "json_array",
        );
        assert_eq!((arr.records, arr.rows.len(), arr.rejects.len()), (3, 2, 1));
        assert_eq!(arr.rows[1].line, 3);
        assert_eq!(arr.rejects[0].line, 4);
        let wrapped = read(b"{\"prompts\": [\"a\", \"b\"]}", &ctx, "prompts_object");
        assert_eq!(wrapped.rows.len(), 2);
        let lines = read(b"{\"prompt\": \"a\"}\n\nnot json\n", &ctx, "jsonl");
        assert_eq!((lines.records, lines.rows.len()), (2, 1));
        assert_eq!(lines.rejects[0].line, 3);
    }

    #[test]
    fn a_document_cut_short_rejects_every_record_it_began() {
        let ctx = FileCtx::for_tests("p.json");
        let cut = read(b"[\n  \"one\",\n  \"two\",\n  \"thr", &ctx, "json_array");
        assert_eq!((cut.records, cut.rows.len(), cut.rejects.len()), (3, 0, 3));
        assert_eq!(cut.rejects[2].line, 4);
        assert!(cut
            .file_rejected
            .is_some_and(|r| r.contains("unexpected end at line 4")));
    }

    #[test]
    fn nul_lone_surrogates_and_bad_bytes_reject_their_record_only() {
        let ctx = FileCtx::for_tests("p.json");
        let doc = b"[\n\"ok\",\n\"a\\u0000b\",\n\"\\udc00\",\n\"bad \xff\"\n]";
        let p = read(doc, &ctx, "json_array");
        assert_eq!((p.records, p.rows.len()), (4, 1));
        let reasons: Vec<&str> = p.rejects.iter().map(|r| r.reason.as_str()).collect();
        assert!(reasons[0].contains("NUL"), "{reasons:?}");
        assert!(reasons[1].contains("lone surrogate"), "{reasons:?}");
        assert!(reasons[2].contains("invalid UTF-8"), "{reasons:?}");
        assert_eq!(p.rejects[1].line, 4);
        let txt = read(b"one\n\ntw\xffo\n", &ctx, "txt");
        assert_eq!(
            (txt.records, txt.rows.len(), txt.rejects[0].line),
            (2, 1, 3)
        );
    }

    #[test]
    fn nesting_beyond_the_limit_is_a_reject_that_says_so() {
        let ctx = FileCtx::for_tests("p.json");
        let deep = format!("[\"ok\", {}{}]", "[".repeat(200), "]".repeat(200));
        let p = read(deep.as_bytes(), &ctx, "json_array");
        assert_eq!((p.records, p.rows.len()), (2, 0));
        assert!(p.rejects[0]
            .reason
            .contains("nested deeper than 128 levels"));
    }
}
