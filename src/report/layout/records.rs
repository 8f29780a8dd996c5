//! ⑤ The records not inserted: the rejected, grouped by reason, and the duplicate, grouped by what
//! they repeat, laid out as blocks (see `mod.rs`).

use super::{Block, Table, SHOWN};
use crate::model::report::{FileStatus, Report};

/// The rejected records, grouped by field and reason.
pub(super) fn rejects(report: &Report, out: &mut Vec<Block>) {
    if report.rejects_total == 0 {
        return;
    }
    out.push(Block::Heading(format!(
        "rejected records ({})",
        report.rejects_total
    )));
    let rows = report
        .reject_groups
        .iter()
        .take(SHOWN)
        .map(|g| {
            let first: Vec<String> = g
                .first
                .iter()
                .map(|l| format!("{}:{}", l.file, l.line))
                .collect();
            vec![
                g.count.to_string(),
                g.field.clone().unwrap_or_else(|| "(record)".into()),
                g.reason.clone(),
                first.join(", "),
            ]
        })
        .collect();
    out.push(Block::Table(Table {
        header: vec!["count", "field", "reason", "first at"],
        rows,
        numeric: vec![0],
    }));
    if report.reject_groups.len() > SHOWN {
        let rest = &report.reject_groups[SHOWN..];
        let records: u64 = rest.iter().map(|g| g.count).sum();
        out.push(Block::Line(format!(
            "… {} more reasons of {records} records (see the JSON report)",
            rest.len()
        )));
    }
    // Rejects of files skipped as already imported were counted when they were read; they are in
    // the total but in no group (the file is not read again).
    let earlier: u64 = report
        .files
        .iter()
        .filter(|f| f.status == FileStatus::AlreadyImported)
        .map(|f| f.rejected)
        .sum();
    if earlier > 0 {
        out.push(Block::Line(format!(
            "and {earlier} records rejected when an earlier import read the files skipped now as \
             already imported (listed in that import's report)"
        )));
    }
}

/// The duplicate records, grouped by file and what they repeat, with one example pair.
pub(super) fn duplicates(report: &Report, out: &mut Vec<Block>) {
    if report.duplicates_total == 0 {
        return;
    }
    out.push(Block::Heading(format!(
        "duplicate records ({})",
        report.duplicates_total
    )));
    let rows = report
        .duplicate_groups
        .iter()
        .take(SHOWN)
        .map(|g| {
            let of = match (g.whole_file, g.of_import) {
                (true, Some(id)) => {
                    format!("itself: the same bytes as import {id} read (not read again)")
                }
                (true, None) => {
                    "itself: the same bytes as an earlier import read (not read again)".to_owned()
                }
                // Not a file: what duplicate_rows.sql says the records repeat.
                (false, _) if is_description(&g.of_file) => g.of_file.clone(),
                (false, Some(id)) => format!("{} (import {id})", g.of_file),
                (false, None) => format!("{} (this import)", g.of_file),
            };
            vec![g.file.clone(), g.count.to_string(), of]
        })
        .collect();
    out.push(Block::Table(Table {
        header: vec!["file", "rows", "repeat rows of"],
        rows,
        numeric: vec![1],
    }));
    if report.duplicate_groups.len() > SHOWN {
        let rest = &report.duplicate_groups[SHOWN..];
        let records: u64 = rest.iter().map(|g| g.count).sum();
        out.push(Block::Line(format!(
            "… {} more groups of {records} records (see the JSON report)",
            rest.len()
        )));
    }
    // Records of files skipped whole are not read, so they have no pair; every other one has.
    let read_again = report.duplicates_total
        - report
            .duplicate_groups
            .iter()
            .filter(|g| g.whole_file)
            .map(|g| g.count)
            .sum::<u64>()
            .min(report.duplicates_total);
    let listed = u64::try_from(report.duplicates.len()).unwrap_or(u64::MAX);
    if let Some(d) = report.duplicates.first() {
        let which = if listed < read_again {
            format!("the JSON report pairs the first {listed} of the {read_again} read again")
        } else {
            format!("the JSON report pairs each of the {read_again} read again")
        };
        let of = if d.of_line == 0 && is_description(&d.of_file) {
            d.of_file.clone()
        } else {
            format!("{}:{}", d.of_file, d.of_line)
        };
        out.push(Block::Line(format!(
            "e.g. {}:{} repeats {of} ({which})",
            d.file, d.line
        )));
    }
}

/// Whether a duplicate's `of_file` describes what it repeats ("(prompt already in the database)")
/// instead of naming a file.
fn is_description(of_file: &str) -> bool {
    of_file.starts_with('(') && of_file.ends_with(')')
}
