//! ⑤ The checks' heading and table, laid out as blocks (see `mod.rs`).

use super::{Block, Table};
use crate::model::report::{CheckCounts, Report};
use crate::model::Check;

/// The checks, each with how it ended.
pub(super) fn checks(report: &Report, out: &mut Vec<Block>) {
    if report.checks.is_empty() {
        return;
    }
    out.push(Block::Heading(checks_heading(&CheckCounts::of(
        &report.checks,
    ))));
    out.push(Block::Table(table(&report.checks)));
}

/// The checks as a table: result, name, seconds, detail (also the table of a revert's report).
pub(crate) fn table(checks: &[Check]) -> Table {
    let rows = checks
        .iter()
        .map(|c| {
            // The same order as CheckCounts::of, so the table's words add up to the heading.
            let result = if c.skipped {
                "skipped"
            } else if !c.blocking {
                if c.ok {
                    "agrees"
                } else {
                    "differs"
                }
            } else if c.ok {
                "ok"
            } else {
                "FAILED"
            };
            vec![
                result.to_owned(),
                c.name.clone(),
                format!("{:.2}", c.seconds),
                c.detail.clone(),
            ]
        })
        .collect();
    Table {
        header: vec!["result", "check", "seconds", "detail"],
        rows,
        numeric: vec![2],
    }
}

/// "checks (14): 12 passed, 0 failed, 1 skipped, 1 informational (1 differs)": every check in
/// exactly one count, the failures in capitals when there are any.
pub(crate) fn checks_heading(n: &CheckCounts) -> String {
    let failed = if n.failed == 0 {
        "0 failed".to_owned()
    } else {
        format!("{} FAILED", n.failed)
    };
    let informational = match n.informational_differs {
        0 if n.informational == 0 => "0 informational".to_owned(),
        0 => format!("{} informational (all agree)", n.informational),
        d => format!("{} informational ({d} differs)", n.informational),
    };
    format!(
        "checks ({}): {} passed, {failed}, {} skipped, {informational}",
        n.total, n.passed, n.skipped
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Check;

    #[test]
    fn the_checks_heading_counts_each_check_once_by_how_it_ended() {
        let checks = vec![
            Check::new("a", true, String::new()),
            Check::new("b", true, String::new()),
            Check::new("c", false, String::new()),
            Check::skipped("d", ""),
            Check::informational("e", false, String::new()),
            Check::informational("f", true, String::new()),
        ];
        let n = CheckCounts::of(&checks);
        assert_eq!(
            (n.total, n.passed, n.failed, n.skipped, n.informational),
            (6, 2, 1, 1, 2)
        );
        assert_eq!(n.informational_differs, 1);
        assert_eq!(
            checks_heading(&n),
            "checks (6): 2 passed, 1 FAILED, 1 skipped, 2 informational (1 differs)"
        );
        let passing = CheckCounts::of(&checks[..2]);
        assert_eq!(
            checks_heading(&passing),
            "checks (2): 2 passed, 0 failed, 0 skipped, 0 informational"
        );
    }
}
