//! ① Legacy aggregate files: `model_comparison.csv` and its `aggregated_metrics*.csv` copies
//! (docs/formats.md#model_comparison-and-results_summary, tuple-string model names, success rows only) and root-era
//! `summary_<ts>.csv` (2.4). They are derived data: parsed and compared with the recomputed
//! `model_aggregated_metrics` in the report, never loaded. Feeds `stage_aggregates`.

use super::context::{FileCtx, Parsed};
use super::csv_rows::csv_rows;
use super::values::{parse_count, parse_decimal};
use crate::model::AggregateRecord;
use crate::model::Kind;
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;

/// The model name inside pandas' tuple key: `('Llama 3 70B Instruct',)`, `("O'Brien",)`,
/// `('X')`; `(nan,)` and an empty field are no name. Anything else is taken as written.
pub fn clean_tuple_name(raw: &str) -> Option<String> {
    let t = raw.trim();
    let inner = t
        .strip_prefix('(')
        .and_then(|s| s.strip_suffix(')'))
        .map(|s| s.strip_suffix(',').unwrap_or(s).trim());
    let name = match inner {
        Some("nan") => return None,
        Some(i)
            if i.len() >= 2
                && ((i.starts_with('\'') && i.ends_with('\''))
                    || (i.starts_with('"') && i.ends_with('"'))) =>
        {
            i[1..i.len() - 1].to_owned()
        }
        _ => t.to_owned(),
    };
    (!name.is_empty()).then_some(name)
}

/// `legacy_results_<ts>` from `summary_<ts>.csv` / `detailed_results_<ts>.csv`: the run the
/// root-era files of one evaluation share (they have no run id of their own).
pub fn results_run_id(file_name: &str) -> Option<String> {
    let stem = file_name.strip_suffix(".csv").unwrap_or(file_name);
    let ts = stem
        .strip_prefix("detailed_results_")
        .or_else(|| stem.strip_prefix("summary_"))
        .or_else(|| stem.strip_prefix("comparison_"))?;
    let ok = ts.len() == 15
        && ts.as_bytes()[8] == b'_'
        && ts
            .bytes()
            .enumerate()
            .all(|(i, c)| i == 8 || c.is_ascii_digit());
    ok.then(|| format!("legacy_results_{ts}"))
}

type Field<'a> = (usize, &'a str);

/// One data record with its header, for lookups by column name.
struct Row<'a> {
    header: &'a [String],
    fields: &'a [String],
}

impl<'a> Row<'a> {
    fn get(&self, name: &str) -> Field<'a> {
        self.header
            .iter()
            .position(|h| h == name)
            .map_or((0, ""), |i| {
                (i, self.fields.get(i).map_or("", String::as_str))
            })
    }
}

/// Reads a model_comparison or summary file.
pub fn read(bytes: &[u8], ctx: &FileCtx, kind: Kind) -> Parsed<AggregateRecord> {
    let csv = csv_rows(bytes);
    let mut out = Parsed::default();
    let run_id = results_run_id(ctx.name);
    for (line, fields) in csv.rows {
        out.records += 1;
        let fields = match fields {
            Ok(f) => f,
            Err(bad) => {
                out.rejects.push(bad.reject(ctx, line, &csv.header));
                continue;
            }
        };
        let row = Row {
            header: &csv.header,
            fields: &fields,
        };
        let result = if kind == Kind::ModelComparison {
            comparison_row(&row)
        } else {
            summary_row(&row, run_id.clone())
        };
        match result {
            Ok(mut r) => {
                r.file_no = ctx.file_no;
                r.line = i64::try_from(line).unwrap_or(i64::MAX);
                out.rows.push(r);
            }
            Err((i, name, reason)) => {
                out.rejects
                    .push(ctx.reject(line, Some(i + 1), Some(name), reason))
            }
        }
    }
    out
}

type RowError = (usize, &'static str, String);

fn dec(f: Field, name: &'static str) -> Result<Option<Decimal>, RowError> {
    parse_decimal(f.1).map_err(|e| (f.0, name, e.to_string()))
}

fn int(f: Field, name: &'static str) -> Result<Option<i64>, RowError> {
    parse_count(f.1)
        .map(|n| n.map(i64::from))
        .map_err(|e| (f.0, name, e.to_string()))
}

fn comparison_row(row: &Row) -> Result<AggregateRecord, RowError> {
    let get = |n: &str| row.get(n);
    let count = int(get("count"), "count")?;
    let pct = dec(get("json_valid_pct"), "json_valid_pct")?;
    let json_valid_count = match (pct, count) {
        (Some(p), Some(n)) => (p * Decimal::from(n) / Decimal::from(100)).round().to_i64(),
        _ => None,
    };
    Ok(AggregateRecord {
        kind: Kind::ModelComparison,
        model_name: clean_tuple_name(get("model_name").1),
        total_count: count,
        success_count: int(get("success_count"), "success_count")?,
        avg_input_tokens: dec(get("avg_input_tokens"), "avg_input_tokens")?,
        avg_output_tokens: dec(get("avg_output_tokens"), "avg_output_tokens")?,
        min_latency_ms: dec(get("min_latency_ms"), "min_latency_ms")?,
        max_latency_ms: dec(get("max_latency_ms"), "max_latency_ms")?,
        json_valid_count,
        total_cost_usd: dec(get("total_cost_usd"), "total_cost_usd")?,
        ..AggregateRecord::default()
    })
}

fn summary_row(row: &Row, run_id: Option<String>) -> Result<AggregateRecord, RowError> {
    let get = |n: &str| row.get(n);
    let text = |n: &str| Some(get(n).1.to_owned()).filter(|s| !s.is_empty());
    Ok(AggregateRecord {
        kind: Kind::ResultsSummary,
        model_name: text("model_name"),
        model_key: text("model_key"),
        run_id,
        total_count: int(get("total_prompts"), "total_prompts")?,
        avg_input_tokens: dec(get("avg_input_tokens"), "avg_input_tokens")?,
        avg_output_tokens: dec(get("avg_output_tokens"), "avg_output_tokens")?,
        min_latency_ms: dec(get("min_latency_ms"), "min_latency_ms")?,
        max_latency_ms: dec(get("max_latency_ms"), "max_latency_ms")?,
        json_valid_count: int(get("valid_json_count"), "valid_json_count")?,
        total_cost_usd: dec(get("total_cost_usd"), "total_cost_usd")?,
        total_input_tokens: int(get("total_input_tokens"), "total_input_tokens")?,
        total_output_tokens: int(get("total_output_tokens"), "total_output_tokens")?,
        ..AggregateRecord::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn tuple_names_are_unwrapped() {
        assert_eq!(
            clean_tuple_name("('Llama 3 70B Instruct',)").as_deref(),
            Some("Llama 3 70B Instruct")
        );
        assert_eq!(
            clean_tuple_name("(\"O'Brien\",)").as_deref(),
            Some("O'Brien")
        );
        assert_eq!(
            clean_tuple_name("('Nova Pro')").as_deref(),
            Some("Nova Pro")
        );
        assert_eq!(clean_tuple_name("(nan,)"), None);
        assert_eq!(clean_tuple_name("Plain"), Some("Plain".to_owned()));
    }

    #[test]
    fn run_ids_from_root_era_file_names() {
        assert_eq!(
            results_run_id("summary_20251031_204500.csv").as_deref(),
            Some("legacy_results_20251031_204500")
        );
        assert_eq!(
            results_run_id("detailed_results_20251031_204500.csv").as_deref(),
            Some("legacy_results_20251031_204500")
        );
        assert_eq!(results_run_id("summary.csv"), None);
    }

    proptest! {
        #[test]
        fn any_single_quoted_name_round_trips(name in "[A-Za-z0-9 .]{1,30}") {
            prop_assume!(name.trim() == name && name != "nan");
            prop_assert_eq!(clean_tuple_name(&format!("('{name}',)")), Some(name));
        }
    }
}
