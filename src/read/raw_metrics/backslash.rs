//! The doubled-backslash window (docs/formats.md#the-doubled-backslash-window): logger v04 wrote every backslash twice;
//! which rows to halve, and the exact inverse of the doubling. Fed by the reader.

use super::era::{V04_FROM, V04_LATEST, V05_EARLIEST};
use chrono::{DateTime, Utc};

/// Whether every run of backslashes in `s` has even length (a field logger v04 could have written).
pub fn backslash_runs_all_even(s: &str) -> bool {
    let mut run = 0usize;
    for b in s.bytes() {
        if b == b'\\' {
            run += 1;
        } else {
            if run % 2 == 1 {
                return false;
            }
            run = 0;
        }
    }
    run % 2 == 0
}

/// The exact inverse of logger v04's `escapechar='\\'`: halves each run of backslashes.
pub fn halve_backslashes(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut run = 0usize;
    for c in s.chars() {
        if c == '\\' {
            run += 1;
            if run % 2 == 0 {
                out.push('\\');
            }
        } else {
            run = 0;
            out.push(c);
        }
    }
    out
}

/// How the doubled-backslash rule (2.6 #4) applies to a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BackslashDecision {
    Keep,
    Halve,
    /// Halved although a v05 writer may have written the row (no line ending to tell them apart).
    HalveAmbiguous,
}

/// Decides whether a row's backslashes were doubled by logger v04.
pub fn backslash_decision(
    ts: DateTime<Utc>,
    all_runs_even: bool,
    has_backslash: bool,
    ended_crlf: bool,
    file_has_crlf: bool,
) -> BackslashDecision {
    if !has_backslash || !all_runs_even || ts < V04_FROM || ts > V04_LATEST {
        return BackslashDecision::Keep;
    }
    if ts < V05_EARLIEST || ended_crlf {
        return BackslashDecision::Halve;
    }
    if file_has_crlf {
        // A Windows file: v04 rows end CRLF, so an LF row here is v05+ and was not doubled.
        BackslashDecision::Keep
    } else {
        BackslashDecision::HalveAmbiguous
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ts(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn backslashes_are_halved_only_inside_the_v04_window() {
        let inside = ts("2025-11-04T10:00:00Z");
        assert_eq!(
            backslash_decision(inside, true, true, false, false),
            BackslashDecision::Halve
        );
        assert_eq!(
            backslash_decision(inside, false, true, false, false),
            BackslashDecision::Keep
        );
        assert_eq!(
            backslash_decision(ts("2025-11-06T10:00:00Z"), true, true, true, true),
            BackslashDecision::Keep
        );
        let overlap = ts("2025-11-05T18:00:00Z");
        assert_eq!(
            backslash_decision(overlap, true, true, true, true),
            BackslashDecision::Halve
        );
        assert_eq!(
            backslash_decision(overlap, true, true, false, true),
            BackslashDecision::Keep
        );
        assert_eq!(
            backslash_decision(overlap, true, true, false, false),
            BackslashDecision::HalveAmbiguous
        );
    }

    #[test]
    fn halving_examples() {
        assert_eq!(
            halve_backslashes(r#"{\\"a\\": \\"x\\\\ny\\"}"#),
            r#"{\"a\": \"x\\ny\"}"#
        );
        assert!(backslash_runs_all_even(r"a\\b\\\\c"));
        assert!(!backslash_runs_all_even(r"a\b"));
    }

    proptest! {
        #[test]
        fn halving_is_the_exact_inverse_of_doubling(s in "[a-z\\\\\"\n]{0,40}") {
            let doubled = s.replace('\\', "\\\\");
            prop_assert!(backslash_runs_all_even(&doubled));
            prop_assert_eq!(halve_backslashes(&doubled), s);
        }
    }
}
