//! Value spellings of the legacy CSV writers (docs/formats.md#columns-and-value-spellings): pure parsers used by every
//! CSV reader, so each spelling is decided once and tested here.

use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};

/// Why a field could not be read; the reader turns it into a `Reject` with file, line and column.
/// A value that did not parse is never quoted (a shifted field may hold prompt or response text, which
/// is PHI): the message gives its length. Values that parsed as numbers are shown.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValueError {
    #[error("a {}-character value is not a boolean spelling the legacy writers used", .0.chars().count())]
    NotBoolean(String),
    #[error("a {}-character value is not a number", .0.chars().count())]
    NotNumber(String),
    #[error("{0} is not a whole number")]
    NotInteger(String),
    #[error("{value} does not fit {target}")]
    OutOfRange { value: String, target: &'static str },
    #[error("a {}-character value is not an ISO-8601 timestamp", .0.chars().count())]
    NotTimestamp(String),
    #[error("value is empty")]
    Empty,
}

/// The spellings that mean "no value": an empty field (pandas writes None as empty, `""` under
/// QUOTE_ALL) and, defensively, what hand-edited files contain.
pub fn is_null(field: &str) -> bool {
    matches!(field, "" | "nan" | "NaN" | "None" | "null" | "NULL")
}

/// Python booleans plus the spellings of the documented examples and spreadsheet re-saves.
/// `Ok(None)` is a NULL.
pub fn parse_bool(field: &str) -> Result<Option<bool>, ValueError> {
    if is_null(field) {
        return Ok(None);
    }
    match field {
        "True" | "true" | "TRUE" | "1" => Ok(Some(true)),
        "False" | "false" | "FALSE" | "0" => Ok(Some(false)),
        other => Err(ValueError::NotBoolean(other.to_owned())),
    }
}

/// A decimal in Python's repr, including scientific notation (`3.3e-05`), rejecting NaN/infinity.
pub fn parse_decimal(field: &str) -> Result<Option<Decimal>, ValueError> {
    if is_null(field) {
        return Ok(None);
    }
    let parsed = if field.contains(['e', 'E']) {
        Decimal::from_scientific(field)
    } else {
        field.parse::<Decimal>()
    };
    parsed
        .map(Some)
        .map_err(|_| ValueError::NotNumber(field.to_owned()))
}

/// A decimal that must fit PostgreSQL `DECIMAL(precision, scale)`: rounded half away from zero to
/// `scale` places like PostgreSQL does, and rejected (never clipped) when the integer part overflows.
pub fn parse_fixed(
    field: &str,
    precision: u32,
    scale: u32,
    target: &'static str,
) -> Result<Option<Decimal>, ValueError> {
    let Some(value) = parse_decimal(field)? else {
        return Ok(None);
    };
    let rounded = value.round_dp_with_strategy(scale, RoundingStrategy::MidpointAwayFromZero);
    let limit = Decimal::from(10u64.pow(precision - scale));
    if rounded.abs() >= limit {
        return Err(ValueError::OutOfRange {
            value: field.to_owned(),
            target,
        });
    }
    Ok(Some(rounded))
}

/// A token count: an integer, possibly written as `1650.0` by a pandas float column.
pub fn parse_count(field: &str) -> Result<Option<i32>, ValueError> {
    let Some(value) = parse_decimal(field)? else {
        return Ok(None);
    };
    if !value.fract().is_zero() {
        return Err(ValueError::NotInteger(field.to_owned()));
    }
    value
        .to_i64()
        .and_then(|n| i32::try_from(n).ok())
        .filter(|n| *n >= 0)
        .map(Some)
        .ok_or_else(|| ValueError::OutOfRange {
            value: field.to_owned(),
            target: "a non-negative INTEGER",
        })
}

/// A legacy prompt id: `1`, `1.0` (pandas float column) and `prompt_3` name the same things the app
/// meant, so a float-int is written back as an int.
pub fn normalize_prompt_id(field: &str) -> Option<String> {
    if is_null(field) {
        return None;
    }
    if let Some(int_part) = field.strip_suffix(".0") {
        if !int_part.is_empty() && int_part.bytes().all(|b| b.is_ascii_digit()) {
            return Some(int_part.to_owned());
        }
    }
    Some(field.to_owned())
}

/// How a timestamp was written: with a zone (trusted as written) or naive (read in the legacy zone).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimestampZone {
    Explicit,
    AssumedLocal,
}

/// An ISO-8601 timestamp as the legacy writers produced it: `…Z` with or without a fraction, an offset,
/// or a naive local time that is read in `legacy_tz`.
pub fn parse_timestamp<Tz: TimeZone>(
    field: &str,
    legacy_tz: &Tz,
) -> Result<(DateTime<Utc>, TimestampZone), ValueError> {
    if field.is_empty() {
        return Err(ValueError::Empty);
    }
    if let Ok(ts) = DateTime::parse_from_rfc3339(field) {
        return Ok((ts.with_timezone(&Utc), TimestampZone::Explicit));
    }
    let naive = NaiveDateTime::parse_from_str(field, "%Y-%m-%dT%H:%M:%S%.f")
        .or_else(|_| NaiveDateTime::parse_from_str(field, "%Y-%m-%d %H:%M:%S%.f"))
        .map_err(|_| ValueError::NotTimestamp(field.to_owned()))?;
    let local = legacy_tz
        .from_local_datetime(&naive)
        .earliest()
        .ok_or_else(|| ValueError::NotTimestamp(field.to_owned()))?;
    Ok((local.with_timezone(&Utc), TimestampZone::AssumedLocal))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::str::FromStr;

    #[test]
    fn values_that_do_not_parse_are_never_quoted_in_messages() {
        let secret = "client reports low mood since Monday";
        for e in [
            parse_bool(secret).unwrap_err(),
            parse_decimal(secret).unwrap_err(),
            parse_timestamp(secret, &Utc).unwrap_err(),
        ] {
            let message = e.to_string();
            assert!(!message.contains("mood"), "{message}");
            assert!(message.contains("36-character"), "{message}");
        }
    }

    #[test]
    fn python_and_spreadsheet_booleans_are_read() {
        assert_eq!(parse_bool("True"), Ok(Some(true)));
        assert_eq!(parse_bool("FALSE"), Ok(Some(false)));
        assert_eq!(parse_bool("1"), Ok(Some(true)));
        assert_eq!(parse_bool(""), Ok(None));
        assert_eq!(parse_bool("NaN"), Ok(None));
        assert!(matches!(
            parse_bool("maybe"),
            Err(ValueError::NotBoolean(_))
        ));
    }

    #[test]
    fn scientific_costs_are_exact() {
        assert_eq!(
            parse_fixed("3.3e-05", 10, 6, "DECIMAL(10,6)"),
            Ok(Some(Decimal::from_str("0.000033").unwrap()))
        );
        assert_eq!(
            parse_fixed("1e-05", 10, 6, "DECIMAL(10,6)"),
            Ok(Some(Decimal::from_str("0.00001").unwrap()))
        );
    }

    #[test]
    fn overflowing_costs_are_rejected_not_clipped() {
        assert!(parse_fixed("12345.5", 10, 6, "DECIMAL(10,6)").is_err());
        assert!(parse_fixed("9999.9999995", 10, 6, "DECIMAL(10,6)").is_err());
        assert!(parse_fixed("9999.999999", 10, 6, "DECIMAL(10,6)").is_ok());
    }

    #[test]
    fn float_integers_are_counts_but_fractions_are_not() {
        assert_eq!(parse_count("1650.0"), Ok(Some(1650)));
        assert_eq!(parse_count("12"), Ok(Some(12)));
        assert!(matches!(
            parse_count("12.5"),
            Err(ValueError::NotInteger(_))
        ));
        assert!(parse_count("-3").is_err());
        assert!(parse_count("3000000000").is_err());
    }

    #[test]
    fn float_prompt_ids_become_ints() {
        assert_eq!(normalize_prompt_id("1.0").as_deref(), Some("1"));
        assert_eq!(normalize_prompt_id("prompt_3").as_deref(), Some("prompt_3"));
        assert_eq!(normalize_prompt_id(""), None);
    }

    #[test]
    fn timestamps_with_and_without_fraction_or_zone() {
        let (a, za) = parse_timestamp("2025-11-03T15:31:00.123456Z", &Utc).unwrap();
        assert_eq!(a.to_rfc3339(), "2025-11-03T15:31:00.123456+00:00");
        assert_eq!(za, TimestampZone::Explicit);
        let (b, _) = parse_timestamp("2025-10-01T00:00:31Z", &Utc).unwrap();
        assert_eq!(b.timestamp(), 1759276831);
        let kolkata = chrono_tz::Asia::Kolkata;
        let (c, zc) = parse_timestamp("2025-11-21T18:02:11.123456", &kolkata).unwrap();
        assert_eq!(c.to_rfc3339(), "2025-11-21T12:32:11.123456+00:00");
        assert_eq!(zc, TimestampZone::AssumedLocal);
        assert!(parse_timestamp("yesterday", &Utc).is_err());
    }

    proptest! {
        #[test]
        fn any_integer_written_as_float_reads_back(n in 0i32..i32::MAX) {
            prop_assert_eq!(parse_count(&format!("{n}.0")), Ok(Some(n)));
        }

        #[test]
        fn python_repr_of_small_costs_reads_back(micros in 0u32..4_000_000_000u32) {
            let value = f64::from(micros) / 1e6;
            let repr = format!("{value:e}");
            let parsed = parse_fixed(&repr, 10, 6, "DECIMAL(10,6)").unwrap().unwrap();
            prop_assert_eq!(parsed, Decimal::new(i64::from(micros), 6));
        }

        #[test]
        fn parsers_never_panic(s in "\\PC*") {
            let _ = parse_bool(&s);
            let _ = parse_fixed(&s, 10, 2, "DECIMAL(10,2)");
            let _ = parse_count(&s);
            let _ = parse_timestamp(&s, &Utc);
        }
    }
}
