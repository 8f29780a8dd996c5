//! Rejects grouped by reason, for the cutover reviewer: one line per kind of problem with its count
//! and first locations, instead of thousands of lines. Fed by the readers' rejects (all of them, not
//! only the listed ones).
//!
//! A reader's reason names the offending value (`"12.5" is not a whole number`); grouping by the
//! literal text would give one group per value, and the value itself should not travel into the
//! terminal or the change ticket. So the group's reason is the reason with quoted values replaced by
//! `<value>` and counts before a word replaced by `N` (`record has N fields; …`); type bounds such as
//! `DECIMAL(10,6)` stay.

use crate::model::Reject;
use regex::Regex;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::OnceLock;

/// How many locations a group lists.
pub const FIRST_LOCATIONS: usize = 5;

/// Where a rejected record is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Location {
    pub file: String,
    pub line: u64,
    pub column: Option<usize>,
}

/// Rejects sharing a field and a reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RejectGroup {
    /// The column blamed, or `None` for a record-level reason.
    pub field: Option<String>,
    /// The reason with the values taken out.
    pub reason: String,
    pub count: u64,
    /// The first few records, in input order.
    pub first: Vec<Location>,
}

fn quoted() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    // A Rust-debug-quoted string: the form readers use to name a value.
    RE.get_or_init(|| Regex::new(r#""(?:[^"\\]|\\.)*""#).expect("a constant, valid regex"))
}

fn counted() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    // A number standing before a word ("10 fields", "60 characters", "12345.5 does not fit", and the
    // "a 36-character value" readers write instead of a value that did not parse).
    RE.get_or_init(|| {
        Regex::new(r"(^|[\s;:(])-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?( |-character)")
            .expect("a constant, valid regex")
    })
}

/// The reason of `reject` without the values it names.
pub fn reason_template(reason: &str) -> String {
    let without_values = quoted().replace_all(reason, "<value>");
    counted()
        .replace_all(&without_values, "${1}N${2}")
        .into_owned()
}

/// Groups rejects by (field, reason template), largest group first, then by first appearance.
pub fn group<'a>(rejects: impl IntoIterator<Item = &'a Reject>) -> Vec<RejectGroup> {
    let mut groups: BTreeMap<(Option<String>, String), (usize, RejectGroup)> = BTreeMap::new();
    for (seen, reject) in rejects.into_iter().enumerate() {
        let reason = reason_template(&reject.reason);
        let key = (reject.field.clone(), reason.clone());
        let (_, group) = groups.entry(key).or_insert_with(|| {
            (
                seen,
                RejectGroup {
                    field: reject.field.clone(),
                    reason,
                    count: 0,
                    first: Vec::new(),
                },
            )
        });
        group.count += 1;
        if group.first.len() < FIRST_LOCATIONS {
            group.first.push(Location {
                file: reject.file.clone(),
                line: reject.line,
                column: reject.column,
            });
        }
    }
    let mut out: Vec<(usize, RejectGroup)> = groups.into_values().collect();
    out.sort_by(|(a_seen, a), (b_seen, b)| b.count.cmp(&a.count).then(a_seen.cmp(b_seen)));
    out.into_iter().map(|(_, g)| g).collect()
}

/// Adds one more reject (one the transform decided) to `groups`, keeping `group`'s order: largest
/// first, then by first appearance.
pub fn add(groups: &mut Vec<RejectGroup>, reject: &Reject) {
    let reason = reason_template(&reject.reason);
    let location = Location {
        file: reject.file.clone(),
        line: reject.line,
        column: reject.column,
    };
    let Some(mut i) = groups
        .iter()
        .position(|g| g.field == reject.field && g.reason == reason)
    else {
        groups.push(RejectGroup {
            field: reject.field.clone(),
            reason,
            count: 1,
            first: vec![location],
        });
        return;
    };
    groups[i].count += 1;
    if groups[i].first.len() < FIRST_LOCATIONS {
        groups[i].first.push(location);
    }
    while i > 0 && groups[i - 1].count < groups[i].count {
        groups.swap(i - 1, i);
        i -= 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reject(line: u64, field: Option<&str>, reason: &str) -> Reject {
        Reject {
            file: "f.csv".into(),
            line,
            column: field.map(|_| 3),
            field: field.map(str::to_owned),
            reason: reason.into(),
        }
    }

    #[test]
    fn a_reject_added_later_lands_in_its_group_and_keeps_the_order() {
        let rejects = [
            reject(2, Some("a"), "x"),
            reject(3, Some("b"), "y"),
            reject(4, Some("b"), "y"),
        ];
        let mut groups = group(&rejects);
        add(&mut groups, &reject(5, Some("a"), "x"));
        add(&mut groups, &reject(6, Some("a"), "x"));
        add(&mut groups, &reject(7, None, "conflict"));
        let shape: Vec<(Option<&str>, u64)> = groups
            .iter()
            .map(|g| (g.field.as_deref(), g.count))
            .collect();
        assert_eq!(shape, [(Some("a"), 3), (Some("b"), 2), (None, 1)]);
        let all: Vec<Reject> = rejects
            .iter()
            .cloned()
            .chain([5, 6].map(|l| reject(l, Some("a"), "x")))
            .chain([reject(7, None, "conflict")])
            .collect();
        assert_eq!(groups, group(&all), "as if grouped at once");
    }

    #[test]
    fn values_are_taken_out_of_reasons() {
        assert_eq!(
            reason_template(r#""maybe" is not a boolean spelling the legacy writers used"#),
            "<value> is not a boolean spelling the legacy writers used"
        );
        assert_eq!(
            reason_template(r#""a \"quoted\" note" is not a number"#),
            "<value> is not a number"
        );
        assert_eq!(
            reason_template(
                "record has 10 fields; every writer wrote at least the 14 canonical columns"
            ),
            "record has N fields; every writer wrote at least the N canonical columns"
        );
        assert_eq!(
            reason_template("12345.5 does not fit cost_usd_total DECIMAL(10,6)"),
            "N does not fit cost_usd_total DECIMAL(10,6)"
        );
        assert_eq!(
            reason_template("60 characters does not fit evaluation_runs.run_id VARCHAR(50)"),
            "N characters does not fit evaluation_runs.run_id VARCHAR(50)"
        );
        assert_eq!(
            reason_template("repeated header line"),
            "repeated header line"
        );
    }

    #[test]
    fn rejects_group_by_field_and_reason_largest_first_with_first_locations() {
        let mut rejects = vec![reject(2, None, "repeated header line")];
        for line in 3..12 {
            rejects.push(reject(
                line,
                Some("input_tokens"),
                &format!("\"{line}.5\" is not a whole number"),
            ));
        }
        rejects.push(reject(
            20,
            Some("latency_ms"),
            "\"x\" is not a whole number",
        ));
        let groups = group(&rejects);
        assert_eq!(groups.len(), 3);
        assert_eq!(groups[0].field.as_deref(), Some("input_tokens"));
        assert_eq!(groups[0].count, 9);
        assert_eq!(groups[0].reason, "<value> is not a whole number");
        let lines: Vec<u64> = groups[0].first.iter().map(|l| l.line).collect();
        assert_eq!(lines, [3, 4, 5, 6, 7]);
        assert_eq!(
            groups[1].reason, "repeated header line",
            "ties keep input order"
        );
        assert_eq!(groups[2].field.as_deref(), Some("latency_ms"));
    }
}
