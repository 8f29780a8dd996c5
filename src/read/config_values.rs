//! ① The configuration values both model-configuration readers share, `models_yaml` and
//! `config_py` (docs/formats.md#models_yaml): a version's effective date, decimal and whole-number
//! settings that must fit their target columns, the text widths of a model entry, and the reasons
//! an entry with bytes PostgreSQL cannot store is rejected. Classification takes `date_in_name`
//! from here too (a dated models file is the `dated_version` variant).

use super::context::FileCtx;
use super::values::parse_fixed;
use crate::model::ModelEntryRecord;
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;

/// Why an entry with a NUL in a text value (a `"\0"` escape) is rejected.
pub const NUL: &str = "a text value holds a NUL byte, which PostgreSQL text cannot store";

/// Why an entry whose text held bytes that are not UTF-8 is rejected.
pub const NOT_UTF8: &str = "a text value holds bytes that are not valid UTF-8";

/// A `YYYY-MM-DD` date in a file name, the version date the project's convention puts there.
pub fn date_in_name(name: &str) -> Option<NaiveDate> {
    let b = name.as_bytes();
    (0..b.len().saturating_sub(9)).find_map(|i| {
        let s = name.get(i..i + 10)?;
        let shape = s.bytes().enumerate().all(|(j, c)| {
            if j == 4 || j == 7 {
                c == b'-'
            } else {
                c.is_ascii_digit()
            }
        });
        shape
            .then(|| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok())
            .flatten()
    })
}

/// A version's effective date and where it came from (`file_name` or `modification_time`).
pub fn version_date(ctx: &FileCtx) -> Option<(DateTime<Utc>, &'static str)> {
    if let Some(d) = date_in_name(ctx.name).and_then(|d| d.and_hms_opt(0, 0, 0)) {
        return Some((d.and_utc(), "file_name"));
    }
    ctx.modified.map(|m| (m, "modification_time"))
}

/// A decimal setting that must fit `DECIMAL(p, s)`; `Ok(None)` when absent.
pub fn decimal(
    raw: Option<String>,
    p: u32,
    s: u32,
    target: &'static str,
) -> Result<Option<Decimal>, String> {
    match raw {
        None => Ok(None),
        Some(t) => parse_fixed(&t, p, s, target)
            .map(|d| {
                d.map(|mut v| {
                    v.rescale(s);
                    v
                })
            })
            .map_err(|e| e.to_string()),
    }
}

/// A whole-number setting (`max_tokens`).
pub fn whole(raw: Option<String>) -> Result<Option<i32>, String> {
    match raw {
        None => Ok(None),
        Some(t) => super::values::parse_count(&t).map_err(|e| format!("max_tokens: {e}")),
    }
}

/// Checks the text columns of a model entry against their target widths, so an over-long value is a
/// reject rather than a failed transform.
pub fn check_widths(r: &ModelEntryRecord) -> Result<(), (&'static str, String)> {
    let checks = [
        ("provider", Some(r.provider.as_str()), 50),
        ("bedrock_model_id", r.bedrock_model_id.as_deref(), 255),
        ("tokenizer", r.tokenizer_type.as_deref(), 50),
        ("region_name", r.region_name.as_deref(), 50),
    ];
    for (field, value, max) in checks {
        if value.is_some_and(|v| v.chars().count() > max) {
            return Err((field, format!("{field} is longer than {max} characters")));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_in_names() {
        assert_eq!(
            date_in_name("models.2025-11-03.yaml"),
            NaiveDate::from_ymd_opt(2025, 11, 3)
        );
        assert_eq!(date_in_name("models.yaml"), None);
        assert_eq!(date_in_name("models.2025-13-03.yaml"), None);
    }
}
