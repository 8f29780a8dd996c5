//! The fields of one raw-metrics record by column name, after the row-shape rule: value parsing
//! and the target columns' length limits, each bad value a reject naming its field. Fed by the reader.

use super::header::Column;
use crate::model::Reject;
use crate::read::values::{self, ValueError};
use rust_decimal::Decimal;

/// Length limits of the target columns, checked here so an over-long value is a reject, never a
/// truncation or a failed transform.
pub(super) const RUN_ID_MAX: usize = 50;
pub(super) const MODEL_NAME_MAX: usize = 200;
pub(super) const MODEL_ID_MAX: usize = 255;

/// The fields of one record by column name; a bad value is a reject naming its field.
pub(super) struct Named<'a> {
    pub file: &'a str,
    pub line: u64,
    pub columns: &'a [Column],
    pub values: &'a [String],
}

impl Named<'_> {
    /// The field of column `c` and its index, when the record has one.
    pub fn get(&self, c: Column) -> Option<(usize, &str)> {
        self.columns
            .iter()
            .position(|x| *x == c)
            .map(|i| (i, self.values[i].as_str()))
    }

    /// The text of column `c`, empty when the record has no such field.
    pub fn text(&self, c: Column) -> &str {
        self.get(c).map(|(_, v)| v).unwrap_or("")
    }

    pub fn reject(&self, index: usize, c: Column, reason: String) -> Reject {
        field_reject(self.file, self.line, index, c, reason)
    }

    /// Rejects a field longer than its target column (`max` characters).
    pub fn max_len(&self, c: Column, max: usize) -> Result<(), Reject> {
        match self.get(c) {
            Some((i, v)) if v.chars().count() > max => {
                let e = ValueError::OutOfRange {
                    value: format!("{} characters", v.chars().count()),
                    target: too_long_target(c),
                };
                Err(self.reject(i, c, e.to_string()))
            }
            _ => Ok(()),
        }
    }

    /// A fixed-point value of precision `p` and scale `s` for `target`; zero when null or absent.
    pub fn fixed(
        &self,
        c: Column,
        p: u32,
        s: u32,
        target: &'static str,
    ) -> Result<Decimal, Reject> {
        match self.get(c) {
            Some((i, v)) => values::parse_fixed(v, p, s, target)
                .map(|d| d.unwrap_or_default())
                .map_err(|e| self.reject(i, c, e.to_string())),
            None => Ok(Decimal::ZERO),
        }
    }

    /// A token count; zero when null or absent.
    pub fn count(&self, c: Column) -> Result<i32, Reject> {
        match self.get(c) {
            Some((i, v)) => values::parse_count(v)
                .map(|n| n.unwrap_or(0))
                .map_err(|e| self.reject(i, c, e.to_string())),
            None => Ok(0),
        }
    }

    /// The field, or `None` for any of the writers' NULL spellings.
    pub fn optional(&self, c: Column) -> Option<String> {
        Some(self.text(c))
            .filter(|v| !values::is_null(v))
            .map(str::to_owned)
    }

    /// Response and error text is kept byte-exact: only a truly empty field is NULL there.
    pub fn optional_text(&self, c: Column) -> Option<String> {
        Some(self.text(c))
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    }
}

pub(super) fn field_reject(
    file: &str,
    line: u64,
    index: usize,
    column: Column,
    reason: String,
) -> Reject {
    Reject {
        file: file.to_owned(),
        line,
        column: Some(index + 1),
        field: Some(column.name().to_owned()),
        reason,
    }
}

fn too_long_target(c: Column) -> &'static str {
    match c {
        Column::RunId => "evaluation_runs.run_id VARCHAR(50)",
        Column::ModelName => "models.name VARCHAR(200)",
        _ => "models.bedrock_model_id VARCHAR(255)",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn named<'a>(columns: &'a [Column], values: &'a [String]) -> Named<'a> {
        Named {
            file: "raw_metrics.csv",
            line: 4,
            columns,
            values,
        }
    }

    #[test]
    fn a_bad_value_is_a_reject_naming_its_field_and_column() {
        let columns = [Column::Timestamp, Column::RunId, Column::LatencyMs];
        let values = ["t".to_owned(), "r".repeat(51), "fast".to_owned()];
        let fields = named(&columns, &values);
        let long = fields.max_len(Column::RunId, RUN_ID_MAX).unwrap_err();
        assert_eq!((long.line, long.column), (4, Some(2)));
        assert_eq!(long.field.as_deref(), Some("run_id"));
        assert!(long.reason.contains("51 characters"), "{}", long.reason);
        assert!(!long.reason.contains("rrr"), "never the value itself");
        let bad = fields
            .fixed(Column::LatencyMs, 10, 2, "latency_ms DECIMAL(10,2)")
            .unwrap_err();
        assert_eq!(bad.column, Some(3));
        assert_eq!(bad.field.as_deref(), Some("latency_ms"));
    }

    #[test]
    fn absent_and_null_fields_have_their_defaults() {
        let columns = [Column::RunId, Column::Error, Column::InputTokens];
        let values = ["None".to_owned(), "None".to_owned(), String::new()];
        let fields = named(&columns, &values);
        assert_eq!(fields.optional(Column::RunId), None);
        assert_eq!(fields.optional_text(Column::Error).as_deref(), Some("None"));
        assert_eq!(fields.count(Column::InputTokens), Ok(0));
        assert_eq!(fields.count(Column::OutputTokens), Ok(0));
        assert_eq!(
            fields.fixed(Column::CostUsdTotal, 10, 6, "cost_usd_total DECIMAL(10,6)"),
            Ok(Decimal::ZERO)
        );
        assert_eq!(fields.text(Column::Response), "");
        assert!(fields.max_len(Column::ModelId, MODEL_ID_MAX).is_ok());
    }
}
