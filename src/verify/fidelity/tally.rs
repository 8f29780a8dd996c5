//! ④ What source fidelity found, and the two checks it turns into. Details name table, file and line,
//! lengths and hash prefixes, never the text.

use crate::model::Check;
use sha2::{Digest, Sha256};

/// How many offending rows a detail names (all are counted).
pub(super) const NAMED: usize = 10;

/// Offending rows: all counted, the first few named.
#[derive(Debug, Default)]
pub(super) struct Findings {
    pub(super) count: u64,
    pub(super) named: Vec<String>,
}

impl Findings {
    pub(super) fn add(&mut self, describe: impl FnOnce() -> String) {
        self.count += 1;
        if self.named.len() < NAMED {
            self.named.push(describe());
        }
    }

    pub(super) fn merge(&mut self, other: Findings) {
        self.count += other.count;
        let room = NAMED.saturating_sub(self.named.len());
        self.named.extend(other.named.into_iter().take(room));
    }
}

/// What comparing rows with their sources found.
#[derive(Debug, Default)]
pub(super) struct Tally {
    pub(super) compared: u64,
    pub(super) text_differs: Findings,
    pub(super) numbers_differ: Findings,
    /// Lines that no longer yield their row although the file is unchanged since its import.
    pub(super) lost: Findings,
    pub(super) at_limit_confirmed: u64,
    /// Why rows were not compared, per file.
    pub(super) skipped: Vec<String>,
    pub(super) skipped_rows: u64,
    pub(super) skipped_at_limit: u64,
}

impl Tally {
    /// Rows of `file` not compared, and why.
    pub(super) fn skip(&mut self, file: &str, rows: u64, at_limit: u64, why: &str) {
        self.skipped.push(format!("{file}: {why} ({rows} rows)"));
        self.skipped_rows += rows;
        self.skipped_at_limit += at_limit;
    }

    pub(super) fn merge(&mut self, other: Tally) {
        self.compared += other.compared;
        self.text_differs.merge(other.text_differs);
        self.numbers_differ.merge(other.numbers_differ);
        self.lost.merge(other.lost);
        self.at_limit_confirmed += other.at_limit_confirmed;
        self.skipped.extend(other.skipped);
        self.skipped_rows += other.skipped_rows;
        self.skipped_at_limit += other.skipped_at_limit;
    }
}

/// How two texts differ, by length, hash prefix and first differing byte: never the text.
pub(super) fn difference(stored: Option<&str>, source: Option<&str>) -> String {
    let describe = |text: Option<&str>| match text {
        None => "NULL".to_owned(),
        Some(t) => {
            let hash = hex::encode(Sha256::digest(t.as_bytes()));
            format!(
                "{} bytes, sha256 {}…",
                t.len(),
                hash.get(..12).unwrap_or(&hash)
            )
        }
    };
    let first = match (stored, source) {
        (Some(a), Some(b)) => {
            let at = a
                .bytes()
                .zip(b.bytes())
                .position(|(x, y)| x != y)
                .unwrap_or(a.len().min(b.len()));
            format!(", first difference at byte {at}")
        }
        _ => String::new(),
    };
    format!(
        "stored {}, source {}{first}",
        describe(stored),
        describe(source)
    )
}

impl Tally {
    /// The two checks. `total` rows were in scope, `at_limit` of them held a value at a limit.
    pub(super) fn into_checks(self, total: u64, at_limit: u64, sample: Option<u64>) -> [Check; 2] {
        if total == 0 {
            let none = "no imported raw_metrics rows to compare with their source";
            return [
                Check::skipped("no_clipped_values", none),
                Check::skipped("text_fidelity", none),
            ];
        }
        let chosen = match sample {
            Some(n) if n < total => {
                format!("a random sample of about {n} of {total} imported rows")
            }
            _ => format!("all {total} imported rows"),
        };
        let not_compared = if self.skipped.is_empty() {
            String::new()
        } else {
            format!("; not compared: {}", self.skipped.join("; "))
        };
        let text_ok = self.text_differs.count == 0 && self.lost.count == 0;
        let text_detail = if text_ok {
            format!(
                "{} rows compared ({chosen}): response_text and error_message equal their source records{not_compared}",
                self.compared
            )
        } else {
            let mut parts = Vec::new();
            if self.text_differs.count > 0 {
                parts.push(format!(
                    "{} texts differ from their source records: {}",
                    self.text_differs.count,
                    self.text_differs.named.join("; ")
                ));
            }
            if self.lost.count > 0 {
                parts.push(format!(
                    "{} rows are not at the line or byte offset the ledger names: {}",
                    self.lost.count,
                    self.lost.named.join("; ")
                ));
            }
            format!(
                "{} ({} rows compared, {chosen}){not_compared}",
                parts.join("; "),
                self.compared
            )
        };
        let numbers_ok = self.numbers_differ.count == 0;
        let unconfirmed = if self.skipped_at_limit > 0 {
            format!(", {} could not be re-read", self.skipped_at_limit)
        } else {
            String::new()
        };
        let numbers_detail = if numbers_ok {
            format!(
                "{at_limit} rows hold a value at the limit of its DECIMAL type, {} confirmed by their source{unconfirmed}; \
                 latency and costs of the {} rows compared ({chosen}) equal their source{not_compared}",
                self.at_limit_confirmed, self.compared
            )
        } else {
            format!(
                "{} values differ from their source records (clipped or altered): {} ({} rows compared, {chosen})",
                self.numbers_differ.count,
                self.numbers_differ.named.join("; "),
                self.compared
            )
        };
        let nothing_compared = self.compared == 0 && text_ok && numbers_ok;
        let make = |name: &str, ok: bool, detail: String| {
            if nothing_compared {
                Check::skipped(name, &detail)
            } else {
                Check::new(name, ok, detail)
            }
        };
        [
            make("no_clipped_values", numbers_ok, numbers_detail),
            make("text_fidelity", text_ok, text_detail),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_difference_names_lengths_hashes_and_the_first_differing_byte_never_the_text() {
        let shown = difference(Some("secret note A"), Some("secret note B"));
        assert!(!shown.contains("secret"), "{shown}");
        assert!(shown.contains("13 bytes"), "{shown}");
        assert!(shown.contains("first difference at byte 12"), "{shown}");
        assert_eq!(
            difference(None, Some("x")),
            format!(
                "stored NULL, source 1 bytes, sha256 {}…",
                &hex::encode(Sha256::digest(b"x"))[..12]
            )
        );
    }

    #[test]
    fn findings_count_everything_and_name_the_first_few() {
        let mut f = Findings::default();
        for i in 0..15 {
            f.add(|| format!("row {i}"));
        }
        let mut g = Findings::default();
        g.add(|| "other".to_owned());
        f.merge(g);
        assert_eq!(f.count, 16);
        assert_eq!(f.named.len(), NAMED);
        assert_eq!(f.named[0], "row 0");
    }
}
