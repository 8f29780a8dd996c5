//! The raw-metrics writer history (docs/formats.md#the-row-shape-rule): which logger version wrote a row,
//! placed by the row's timestamp. The row-shape rule and the metadata of a staged row read it.

use chrono::{DateTime, NaiveDate, Utc};

/// The first row logger v03 wrote (docs/formats.md#the-row-shape-rule: the v03 era).
pub const V03_FROM: DateTime<Utc> = utc(2025, 11, 3, 15, 30);
/// The first row logger v04 wrote: the header union, and the start of the doubled backslashes.
pub const V04_FROM: DateTime<Utc> = utc(2025, 11, 3, 15, 33);
/// The earliest a machine can have replaced logger v04 by v05 (2.6 #4).
pub const V05_EARLIEST: DateTime<Utc> = utc(2025, 11, 5, 17, 12);
/// The latest a machine can have written with logger v04 (2.6 #4): the end of the backslash window.
pub const V04_LATEST: DateTime<Utc> = utc(2025, 11, 5, 21, 17);
/// The first row logger v06 wrote: from here a NULL `json_valid` was written as False (2.1.1).
pub const V06_FROM: DateTime<Utc> = utc(2025, 11, 6, 2, 47);

/// A UTC minute, checked when the constants above are compiled: an impossible date stops the build,
/// so no cutoff can fall back to another instant at run time.
const fn utc(year: i32, month: u32, day: u32, hour: u32, minute: u32) -> DateTime<Utc> {
    match NaiveDate::from_ymd_opt(year, month, day) {
        Some(date) => match date.and_hms_opt(hour, minute, 0) {
            Some(time) => time.and_utc(),
            None => panic!("a cutoff's time of day does not exist"),
        },
        None => panic!("a cutoff's date does not exist"),
    }
}

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
        if ts < V03_FROM {
            Era::V01V02
        } else if ts < V04_FROM {
            Era::V03
        } else {
            Era::V04Plus
        }
    }

    /// The era's name in a staged row's metadata (`writer_era`).
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

    #[test]
    fn the_cutoffs_are_the_minutes_of_the_logger_history() {
        assert_eq!(V03_FROM, ts("2025-11-03T15:30:00Z"));
        assert_eq!(V04_FROM, ts("2025-11-03T15:33:00Z"));
        assert_eq!(V05_EARLIEST, ts("2025-11-05T17:12:00Z"));
        assert_eq!(V04_LATEST, ts("2025-11-05T21:17:00Z"));
        assert_eq!(V06_FROM, ts("2025-11-06T02:47:00Z"));
    }
}
