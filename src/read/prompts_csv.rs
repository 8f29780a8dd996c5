//! ① Prompt CSVs (docs/formats.md#prompts_csv): `prompt_id,prompt,expected_json,category` and its
//! variants: no `prompt_id` (ids 1..N are assigned, as `load_prompts` did), `Prompt`/`PROMPT`
//! headers, extra columns (kept as metadata, as the root loader did), a BOM, LF or CRLF inside
//! prompts (kept byte-exact). Feeds `stage_prompts`.

use super::classify::prompt_column;
use super::context::{FileCtx, Parsed};
use super::csv_rows::csv_rows;
use super::values;
use crate::model::{Kind, PromptRecord};
use serde_json::{json, Map, Value};

/// Reads a prompt CSV. A record whose prompt is empty, whose flag is not a boolean spelling, or
/// that has more fields than the header is rejected; a short record leaves missing columns empty.
pub fn read(bytes: &[u8], ctx: &FileCtx) -> Parsed<PromptRecord> {
    let mut csv = csv_rows(bytes);
    let mut out = Parsed::default();
    let col = |pred: &dyn Fn(&str) -> bool| csv.header.iter().position(|h| pred(h));
    let Some(prompt_at) = col(&prompt_column) else {
        return out;
    };
    let id_at = col(&|h| h == "prompt_id");
    let flag_at = col(&|h| h == "expected_json");
    let category_at = col(&|h| h == "category");
    for (index, (line, fields)) in csv.take_checked_rows().enumerate() {
        out.records += 1;
        let fields = match fields {
            Ok(f) => f,
            Err(bad) => {
                out.rejects.push(bad.reject(ctx, line, &csv.header));
                continue;
            }
        };
        let get = |i: Option<usize>| i.and_then(|i| fields.get(i)).map(String::as_str);
        let text = get(Some(prompt_at)).unwrap_or("");
        if text.is_empty() {
            out.rejects.push(ctx.reject(
                line,
                Some(prompt_at + 1),
                Some(&csv.header[prompt_at]),
                "prompt text is empty",
            ));
            continue;
        }
        let expected = match parse_expected_json(get(flag_at).unwrap_or("")) {
            Ok(b) => b,
            Err(e) => {
                let at = flag_at.unwrap_or(0);
                out.rejects.push(ctx.reject(
                    line,
                    Some(at + 1),
                    Some("expected_json"),
                    e.to_string(),
                ));
                continue;
            }
        };
        let (legacy_id, assigned) = match id_at {
            Some(_) => (get(id_at).and_then(values::normalize_prompt_id), false),
            None => (Some((index + 1).to_string()), true),
        };
        let category = get(category_at).filter(|c| !c.is_empty());
        let mut extra = Map::new();
        for (i, name) in csv.header.iter().enumerate() {
            if Some(i) != id_at && i != prompt_at && Some(i) != flag_at && Some(i) != category_at {
                extra.insert(
                    name.clone(),
                    json!(fields.get(i).map_or("", String::as_str)),
                );
            }
        }
        let mut metadata = Map::new();
        metadata.insert("source".into(), json!({"file": ctx.display, "line": line}));
        if let Some(id) = &legacy_id {
            metadata.insert("legacy_prompt_id".into(), json!(id));
        }
        if assigned {
            metadata.insert("legacy_prompt_id_assigned".into(), json!(true));
        }
        if let Some(c) = category {
            metadata.insert("category".into(), json!(c));
        }
        if !extra.is_empty() {
            metadata.insert("extra_columns".into(), Value::Object(extra));
        }
        let mut record = PromptRecord::new(
            ctx.file_no,
            line,
            Kind::PromptsCsv,
            text.to_owned(),
            Some(expected),
            Value::Object(metadata),
        );
        record.legacy_prompt_id = legacy_id;
        record.tags = category.map(|c| vec![c.to_lowercase()]);
        out.rows.push(record);
    }
    out
}

/// `expected_json` as the files spell it. A blank is FALSE: the app's `bool(NaN)` made it TRUE, a
/// bug this project does not copy (docs/decisions.md, docs/formats.md#prompts_csv). `yes`/`no` come from
/// spreadsheet edits; anything else is rejected rather than guessed.
pub fn parse_expected_json(field: &str) -> Result<bool, values::ValueError> {
    match field.trim().to_ascii_lowercase().as_str() {
        "yes" | "y" => return Ok(true),
        "no" | "n" => return Ok(false),
        _ => {}
    }
    values::parse_bool(field.trim()).map(|b| b.unwrap_or(false))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> FileCtx<'static> {
        FileCtx::for_tests("p.csv")
    }

    #[test]
    fn expected_json_spellings_and_blank_is_false() {
        for (s, b) in [
            ("True", true),
            ("false", false),
            ("TRUE", true),
            ("1", true),
            ("", false),
            ("no", false),
        ] {
            assert_eq!(parse_expected_json(s), Ok(b), "{s:?}");
        }
        assert!(parse_expected_json("perhaps").is_err());
    }

    #[test]
    fn missing_prompt_id_gets_positions_and_extras_are_metadata() {
        let parsed = read(b"PROMPT,owner\r\n\"a\r\nb\",ops\r\n,x\r\nc,y,z\r\n", &ctx());
        assert_eq!(parsed.records, 3);
        assert_eq!(parsed.rows.len(), 1);
        let r = &parsed.rows[0];
        assert_eq!(r.prompt_text, "a\r\nb");
        assert_eq!(r.legacy_prompt_id.as_deref(), Some("1"));
        assert_eq!(r.metadata["extra_columns"]["owner"], "ops");
        assert!(!r.expected_json && !r.expected_json_inferred);
        let lines: Vec<u64> = parsed.rejects.iter().map(|r| r.line).collect();
        assert_eq!(lines, vec![4, 5]);
    }

    #[test]
    fn float_ids_and_categories() {
        let parsed = read(
            b"prompt_id,prompt,expected_json,category\n2.0,x,True,Converse\n",
            &ctx(),
        );
        let r = &parsed.rows[0];
        assert_eq!(r.legacy_prompt_id.as_deref(), Some("2"));
        assert_eq!(r.tags, Some(vec!["converse".to_owned()]));
        assert!(r.expected_json);
    }
}
