//! The raw-metrics writer history (LEGACY_FORMATS.md 2.1.1): which logger version wrote a row,
//! placed by the row's timestamp. The row-shape rule and the metadata of a staged row read it.

use chrono::{DateTime, TimeZone, Utc};

/// The logger version that wrote a row, placed by the row's timestamp (2.1.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Era {
    /// Loggers v01–v02: a 15th field is always `response`.
    V01V02,
    /// Logger v03 (3 minutes on 2025-11-03): extras in canonical order, no union.
    V03,
    /// Loggers v04+: the header union.
    V04Plus,
}

impl Era {
    /// The era of a row stamped `ts`.
    pub fn of(ts: DateTime<Utc>) -> Era {
        let v03 = Utc.with_ymd_and_hms(2025, 11, 3, 15, 30, 0).unwrap();
        let v04 = Utc.with_ymd_and_hms(2025, 11, 3, 15, 33, 0).unwrap();
        if ts < v03 {
            Era::V01V02
        } else if ts < v04 {
            Era::V03
        } else {
            Era::V04Plus
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Era::V01V02 => "v01-v02",
            Era::V03 => "v03",
            Era::V04Plus => "v04+",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn eras_follow_the_logger_history() {
        assert_eq!(Era::of(ts("2025-11-03T15:29:59Z")), Era::V01V02);
        assert_eq!(Era::of(ts("2025-11-03T15:31:00Z")), Era::V03);
        assert_eq!(Era::of(ts("2025-11-03T15:33:00Z")), Era::V04Plus);
    }
}
