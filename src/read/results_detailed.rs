//! ① Root-era `results/detailed_results_<ts>.csv` (docs/formats.md#results_detailed-and-results_comparison, written by
//! `results_aggregator.py`, CRLF, naive local timestamps): each row becomes an evaluation of the run
//! `legacy_results_<ts>`. There is no status column: a row is an error when its output starts with
//! `Error:`, `❌` or `[SKIPPED`. The full prompt is not in the file; its `metadata.requestId` lets
//! the transform recover it from a Bedrock log of the same import, else the row links to a
//! placeholder that keeps the `prompt_snippet` in its metadata. Feeds `stage_raw_metrics`.

use super::aggregates::results_run_id;
use super::context::{FileCtx, Parsed};
use super::csv_rows::csv_rows;
use super::values::{self, parse_fixed, TimestampZone};
use crate::model::identity;
use crate::model::prompt::{self, PromptHash};
use crate::model::{natural_key, Kind, MetricRecord};
use serde_json::{json, Map, Value};

/// Whether a root-era output text records a failure (the writer had no status column).
pub fn is_error_output(output: &str) -> bool {
    output.starts_with("Error:") || output.starts_with('❌') || output.starts_with("[SKIPPED")
}

/// Reads a detailed results file.
pub fn read(bytes: &[u8], ctx: &FileCtx) -> Parsed<MetricRecord> {
    let mut csv = csv_rows(bytes);
    let mut out = Parsed::default();
    let run_id = results_run_id(ctx.name).unwrap_or_else(|| {
        let stem: String = ctx.name.chars().take(35).collect();
        format!("legacy_results_{stem}")
    });
    for (line, fields) in csv.take_checked_rows() {
        out.records += 1;
        let fields = match fields {
            Ok(f) => f,
            Err(bad) => {
                out.rejects.push(bad.reject(ctx, line, &csv.header));
                continue;
            }
        };
        let get = |name: &'static str| -> (usize, &'static str, &str) {
            csv.header
                .iter()
                .position(|h| h == name)
                .map_or((0, name, ""), |i| {
                    (i, name, fields.get(i).map_or("", String::as_str))
                })
        };
        match row(&get, &run_id, line, ctx) {
            Ok(r) => out.rows.push(r),
            Err((i, name, reason)) => {
                out.rejects
                    .push(ctx.reject(line, Some(i + 1), Some(name), reason))
            }
        }
    }
    out
}

type Get<'a> = dyn Fn(&'static str) -> (usize, &'static str, &'a str) + 'a;
type RowError = (usize, &'static str, String);

fn fail(f: (usize, &'static str, &str), e: impl ToString) -> RowError {
    (f.0, f.1, e.to_string())
}

fn row(get: &Get, run_id: &str, line: u64, ctx: &FileCtx) -> Result<MetricRecord, RowError> {
    let ts = get("timestamp");
    let (evaluated_at, zone) =
        values::parse_timestamp(ts.2, &ctx.legacy_tz).map_err(|e| fail(ts, e))?;
    let key = get("model_key").2;
    let name = get("model_name").2;
    if key.is_empty() && name.is_empty() {
        return Err(fail(get("model_name"), "record names no model"));
    }
    let model = identity::model_ref("", if name.is_empty() { key } else { name }, false);
    let count = |n: &'static str| {
        let f = get(n);
        values::parse_count(f.2)
            .map(|v| v.unwrap_or(0))
            .map_err(|e| fail(f, e))
    };
    let fixed = |n: &'static str, p, s, t| {
        let f = get(n);
        parse_fixed(f.2, p, s, t)
            .map(Option::unwrap_or_default)
            .map_err(|e| fail(f, e))
    };
    let valid = get("valid_json");
    let json_valid = values::parse_bool(valid.2).map_err(|e| fail(valid, e))?;
    let output = get("output").2;
    let failed = is_error_output(output);
    let legacy_id = values::normalize_prompt_id(get("prompt_index").2);
    let placeholder = prompt::placeholder_text(Some(run_id), legacy_id.as_deref());
    let legacy_meta = get("metadata").2;
    let parsed_meta = (!legacy_meta.is_empty())
        .then(|| serde_json::from_str::<Value>(legacy_meta).unwrap_or_else(|_| json!(legacy_meta)));
    let request_id = parsed_meta
        .as_ref()
        .and_then(|m| m.get("requestId"))
        .and_then(Value::as_str)
        .map(str::to_owned);
    let mut metadata = Map::new();
    metadata.insert("source".into(), json!({"file": ctx.display, "line": line}));
    metadata.insert("origin".into(), json!("root_results"));
    metadata.insert("legacy_model_name".into(), json!(name));
    metadata.insert("legacy_model_key".into(), json!(key));
    if let Some(id) = &legacy_id {
        metadata.insert("legacy_prompt_id".into(), json!(id));
    }
    for (k, v) in [
        ("retries", get("retries").2),
        ("json_was_cleaned", get("json_was_cleaned").2),
    ] {
        if !v.is_empty() {
            metadata.insert(k.into(), json!(v));
        }
    }
    if let Some(m) = parsed_meta {
        metadata.insert("legacy_metadata".into(), m);
    }
    if output.chars().count() == 500 {
        metadata.insert("response_truncated".into(), json!(true));
    }
    if zone == TimestampZone::AssumedLocal {
        metadata.insert("timestamp_zone_assumed".into(), json!(true));
    }
    metadata.insert("tokens_estimated".into(), json!(true));
    let snippet = get("prompt_snippet").2;
    Ok(MetricRecord {
        file_no: ctx.file_no,
        line: i64::try_from(line).unwrap_or(i64::MAX),
        byte_offset: None,
        source_key: natural_key(&[
            Kind::ResultsDetailed.name(),
            run_id,
            legacy_id.as_deref().unwrap_or(""),
            key,
            name,
            ts.2,
        ]),
        evaluated_at,
        run_id: Some(run_id.to_owned()),
        run_origin: "root_results",
        model_name_derived: false,
        model,
        input_tokens: count("input_tokens")?,
        output_tokens: count("output_tokens")?,
        latency_ms: fixed("latency_ms", 10, 2, "latency_ms DECIMAL(10,2)")?,
        json_valid,
        error_message: failed.then(|| output.to_owned()),
        status: if failed { "error" } else { "success" }.to_owned(),
        cost_usd_input: rust_decimal::Decimal::ZERO,
        cost_usd_output: rust_decimal::Decimal::ZERO,
        cost_usd_total: fixed("cost_usd", 10, 6, "cost_usd_total DECIMAL(10,6)")?,
        prompt_hash: PromptHash::of(&placeholder).to_string(),
        prompt_text: placeholder,
        prompt_normalized_hash: None,
        prompt_is_placeholder: true,
        prompt_source_type: "legacy_placeholder",
        expected_json: false,
        response_text: (!failed && !output.is_empty()).then(|| output.to_owned()),
        metadata: Value::Object(metadata),
        request_id,
        prompt_metadata: (!snippet.is_empty()).then(|| json!({"prompt_snippet": snippet})),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "prompt_index,model_key,model_name,input_tokens,output_tokens,latency_ms,cost_usd,valid_json,retries,json_was_cleaned,metadata,output,prompt_snippet,timestamp\r\n";

    #[test]
    fn error_outputs() {
        assert!(is_error_output("Error: throttled"));
        assert!(is_error_output(
            "❌ Bedrock API error (ValidationException)"
        ));
        assert!(is_error_output(
            "[SKIPPED: Anthropic model access not enabled.]"
        ));
        assert!(!is_error_output("{\"ok\": true}"));
    }

    #[test]
    fn rows_become_runs_metrics_and_placeholders_with_request_ids() {
        let body = format!("{HEADER}0,nova-pro,Nova Pro,13,26,812.5,0.000182,True,0,False,\"{{\"\"requestId\"\": \"\"r-9\"\"}}\",\"{{\r\n}}\",Check the pump,2025-10-31T20:45:10.123456\r\n1,claude-sonnet,Claude 3.7 Sonnet,13,0,,0.0,False,0,False,,[SKIPPED: Anthropic model access not enabled.],[SKIPPED - Anthropic access not enabled],2025-10-31T20:45:11\r\n");
        let mut ctx = FileCtx::for_tests("detailed_results_20251031_204500.csv");
        ctx.legacy_tz = chrono_tz::Asia::Kolkata;
        let parsed = read(body.as_bytes(), &ctx);
        assert_eq!(
            (parsed.records, parsed.rows.len()),
            (2, 2),
            "{:?}",
            parsed.rejects
        );
        let a = &parsed.rows[0];
        assert_eq!(a.run_id.as_deref(), Some("legacy_results_20251031_204500"));
        assert_eq!(a.request_id.as_deref(), Some("r-9"));
        assert_eq!(
            a.evaluated_at.to_rfc3339(),
            "2025-10-31T15:15:10.123456+00:00"
        );
        assert_eq!(a.response_text.as_deref(), Some("{\r\n}"));
        assert_eq!(a.model.provider, "amazon");
        let b = &parsed.rows[1];
        assert_eq!((b.status.as_str(), b.line), ("error", 4));
        assert_eq!(b.latency_ms, rust_decimal::Decimal::ZERO);
        assert!(b.response_text.is_none() && b.error_message.is_some());
        assert_ne!(a.source_key, b.source_key);
    }
}
