//! ④ Legacy aggregate files compared with the imported rows (DECISIONS.md: legacy aggregates are
//! compared in the report, not loaded). This is the hook a reader of `model_comparison.csv` plugs
//! into: it turns each line of the file into a [`LegacyAggregate`] and passes them to [`compare`],
//! which recomputes the same figures from `evaluation_metrics` (sql/verify/legacy_aggregate.sql) and
//! names every figure that differs by file, line and model.
//!
//! No such reader exists in this version (the file kind is listed as `unknown`), so the import and
//! `verify` call [`compare`] with `None` and the check says it was skipped and why.
//! `summary_<ts>.csv` of the root era needs its own percentile rule (the element at index n//2, not
//! interpolation) before it can use this hook; leave its percentiles `None` until then.

use crate::error::{Error, Result};
use crate::report::Check;
use crate::sql;
use rust_decimal::Decimal;
use tokio_postgres::GenericClient;

/// One line of a legacy aggregate file, as its reader hands it over. Figures the file does not carry
/// are `None` and not compared.
#[derive(Debug, Clone, Default)]
pub struct LegacyAggregate {
    pub file: String,
    pub line: u64,
    /// The model name with the tuple wrapping (`('…',)`) already removed.
    pub model_name: String,
    /// The run the file aggregated (a CLI file), or `None` for every run (the dashboard's file).
    pub run_id: Option<String>,
    /// Whether the legacy generator aggregated successful rows only (model_comparison.csv did).
    pub success_only: bool,
    pub figures: Figures,
}

/// The figures of one legacy aggregate line.
#[derive(Debug, Clone, Default)]
pub struct Figures {
    pub count: Option<Decimal>,
    pub success_count: Option<Decimal>,
    pub avg_input_tokens: Option<Decimal>,
    pub avg_output_tokens: Option<Decimal>,
    pub p50_latency_ms: Option<Decimal>,
    pub p95_latency_ms: Option<Decimal>,
    pub p99_latency_ms: Option<Decimal>,
    pub min_latency_ms: Option<Decimal>,
    pub max_latency_ms: Option<Decimal>,
    pub json_valid_pct: Option<Decimal>,
    pub avg_cost_usd_per_request: Option<Decimal>,
    pub total_cost_usd: Option<Decimal>,
}

impl Figures {
    /// (name, legacy value, tolerance) in the column order of legacy_aggregate.sql. Tolerances are the
    /// precision the legacy generator wrote with: counts exact, token averages 2 places, latency
    /// quantiles 1 place, min/max as whole milliseconds, percentages 2 places, costs 6 places (the
    /// total accumulates one rounding per row, so it gets one unit per row).
    fn columns(&self, rows: Decimal) -> [(&'static str, Option<Decimal>, Decimal); 12] {
        let unit = Decimal::new(1, 6);
        [
            ("count", self.count, Decimal::ZERO),
            ("success_count", self.success_count, Decimal::ZERO),
            (
                "avg_input_tokens",
                self.avg_input_tokens,
                Decimal::new(1, 2),
            ),
            (
                "avg_output_tokens",
                self.avg_output_tokens,
                Decimal::new(1, 2),
            ),
            ("p50_latency_ms", self.p50_latency_ms, Decimal::new(1, 1)),
            ("p95_latency_ms", self.p95_latency_ms, Decimal::new(1, 1)),
            ("p99_latency_ms", self.p99_latency_ms, Decimal::new(1, 1)),
            ("min_latency_ms", self.min_latency_ms, Decimal::ONE),
            ("max_latency_ms", self.max_latency_ms, Decimal::ONE),
            ("json_valid_pct", self.json_valid_pct, Decimal::new(1, 2)),
            (
                "avg_cost_usd_per_request",
                self.avg_cost_usd_per_request,
                unit,
            ),
            (
                "total_cost_usd",
                self.total_cost_usd,
                unit * rows.max(Decimal::ONE),
            ),
        ]
    }
}

/// The check's name in the report.
pub const NAME: &str = "legacy_aggregates_match";

/// Compares every legacy aggregate line with a recomputation. `None`: no reader for legacy aggregate
/// files exists (the check is skipped and says so); an empty slice: none was given.
pub async fn compare(
    client: &impl GenericClient,
    legacy: Option<&[LegacyAggregate]>,
) -> Result<Check> {
    let Some(legacy) = legacy else {
        return Ok(Check::skipped(
            NAME,
            "skipped: this version has no reader for legacy aggregate files (model_comparison.csv, \
             summary_*.csv are listed as unknown); model_aggregated_metrics is checked against a \
             fresh recomputation instead",
        ));
    };
    if legacy.is_empty() {
        return Ok(Check::skipped(NAME, "no legacy aggregate file was given"));
    }
    let mut differences = Vec::new();
    for entry in legacy {
        let row = client
            .query_one(
                sql::LEGACY_AGGREGATE,
                &[&entry.model_name, &entry.run_id, &entry.success_only],
            )
            .await
            .map_err(Error::db(format!(
                "recomputing {}:{} for the legacy aggregate check",
                entry.file, entry.line
            )))?;
        let rows: Option<Decimal> = row
            .try_get(0)
            .map_err(Error::db("reading a recomputed aggregate"))?;
        for (i, (name, legacy_value, tolerance)) in entry
            .figures
            .columns(rows.unwrap_or_default())
            .into_iter()
            .enumerate()
        {
            let Some(legacy_value) = legacy_value else {
                continue;
            };
            let fresh: Option<Decimal> = row
                .try_get(i)
                .map_err(Error::db("reading a recomputed aggregate"))?;
            let agrees = fresh.is_some_and(|f| (f - legacy_value).abs() <= tolerance);
            if !agrees {
                let fresh =
                    fresh.map_or_else(|| "nothing".to_owned(), |f| f.round_dp(6).to_string());
                differences.push(format!(
                    "{}:{} model {}: {name} {legacy_value} (recomputed {fresh})",
                    entry.file, entry.line, entry.model_name
                ));
            }
        }
    }
    let ok = differences.is_empty();
    let detail = if ok {
        format!(
            "{} legacy aggregate lines agree with a recomputation from the imported rows",
            legacy.len()
        )
    } else {
        let named: Vec<&str> = differences.iter().take(10).map(String::as_str).collect();
        format!(
            "{} legacy figures differ from a recomputation: {}",
            differences.len(),
            named.join("; ")
        )
    };
    Ok(Check::new(NAME, ok, detail))
}
