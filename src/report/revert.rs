//! ⑤ The report of a revert (`bellatrix-migrate revert`): what each step did per table and the
//! checks run in its transaction, as aligned text for the terminal or JSON for machines
//! (`--json`). Tables, counts and ids only, never legacy text.

use super::layout::checks::{checks_heading, table as checks_table};
use super::layout::Table;
use super::text::aligned;
use crate::error::{Error, Result};
use crate::model::report::CheckCounts;
use crate::model::revert::{RevertOutcome, RevertReport};
use std::fmt::Write as _;

/// The report as JSON, ending with a newline.
pub fn to_json(report: &RevertReport) -> Result<String> {
    let mut text = serde_json::to_string_pretty(report)
        .map_err(Error::report_json("encoding the revert report"))?;
    text.push('\n');
    Ok(text)
}

/// The report for the terminal.
pub fn to_text(report: &RevertReport) -> String {
    let verb = match report.outcome {
        RevertOutcome::Reverted => "reverted",
        RevertOutcome::DryRun => "dry run of reverting",
        RevertOutcome::RolledBack => "rolled back the revert of",
    };
    let mut s = format!(
        "bellatrix-migrate revert: {verb} import {} on {} ({:.2} s)\n\n",
        report.import_id, report.database, report.seconds
    );
    let _ = writeln!(
        s,
        "rows deleted {}, put back as they were {}, reinserted {}",
        report.total("deleted"),
        report.total("restored"),
        report.total("reinserted")
    );
    let steps = Table {
        header: vec!["step", "table", "rows"],
        rows: report
            .steps
            .iter()
            .map(|st| vec![st.step.clone(), st.table.clone(), st.rows.to_string()])
            .collect(),
        numeric: vec![2],
    };
    s.push('\n');
    for line in aligned(&steps).lines() {
        let _ = writeln!(s, " {}", line.trim_end());
    }
    let _ = writeln!(s, "\n{}", checks_heading(&CheckCounts::of(&report.checks)));
    for line in aligned(&checks_table(&report.checks)).lines() {
        let _ = writeln!(s, " {}", line.trim_end());
    }
    s.push('\n');
    s.push_str(match report.outcome {
        RevertOutcome::Reverted => {
            "committed: the import is marked reverted; importing its files again inserts their rows again\n"
        }
        RevertOutcome::DryRun => "dry run: rolled back, nothing changed\n",
        RevertOutcome::RolledBack => "a check failed: rolled back, nothing changed\n",
    });
    s
}
