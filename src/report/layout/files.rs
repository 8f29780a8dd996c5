//! ⑤ The report's files (the rejected, the read, the unread) and its tables with how the source
//! records add up, laid out as blocks (see `mod.rs`).

use super::{Block, Table};
use crate::model::report::{FileStatus, Mode, Report};
use crate::model::Disposition;

/// Files of a legacy kind that could not be read, first of all: their records are rejected.
pub(super) fn rejected_files(report: &Report, out: &mut Vec<Block>) {
    let rows: Vec<Vec<String>> = report
        .files
        .iter()
        .filter(|f| f.disposition == Disposition::Rejected)
        .map(|f| {
            vec![
                f.path.clone(),
                f.kind.name().to_owned(),
                f.rejected.to_string(),
                f.reason.clone().unwrap_or_default(),
            ]
        })
        .collect();
    if rows.is_empty() {
        return;
    }
    out.push(Block::Heading(format!(
        "REJECTED FILES ({}): of a legacy kind but unreadable, none of their records imported",
        rows.len()
    )));
    out.push(Block::Table(Table {
        header: vec!["path", "kind", "rejected records", "reason"],
        rows,
        numeric: vec![2],
    }));
}

/// Configuration versions dated by their modification time, which a copy changes: the user is
/// told how to give the right date.
pub(super) fn undated_configs(report: &Report, out: &mut Vec<Block>) {
    let rows: Vec<Vec<String>> = report
        .dated_by_modification_time()
        .map(|f| {
            vec![
                f.path.clone(),
                f.version.as_ref().map(|v| v.at.clone()).unwrap_or_default(),
            ]
        })
        .collect();
    let Some(first) = rows.first() else {
        return;
    };
    out.push(Block::Heading(format!(
        "configuration versions dated by their modification time ({}): nothing else dates them, and a copy changes that time",
        rows.len()
    )));
    let example = format!("--config-date {}=DATE", first[0]);
    out.push(Block::Table(Table {
        header: vec!["path", "dated"],
        rows,
        numeric: vec![],
    }));
    out.push(Block::Line(format!(
        "if a date is not the version's, give it: {example} (DATE = YYYY-MM-DD or RFC 3339), once per file"
    )));
}

/// Unknown and skipped files with the reason each was not read.
pub(super) fn unread_files(report: &Report, out: &mut Vec<Block>) {
    let rows: Vec<Vec<String>> = report
        .files
        .iter()
        .filter(|f| matches!(f.disposition, Disposition::Unknown | Disposition::Skipped))
        .map(|f| {
            let what = if f.disposition == Disposition::Skipped {
                "skipped"
            } else {
                "unknown"
            };
            vec![
                f.path.clone(),
                what.to_owned(),
                f.reason.clone().unwrap_or_else(|| "-".into()),
            ]
        })
        .collect();
    if rows.is_empty() {
        return;
    }
    out.push(Block::Heading(format!(
        "files not read ({}: {} unknown, {} skipped)",
        rows.len(),
        report.files_unknown,
        report.files_skipped
    )));
    out.push(Block::Table(Table {
        header: vec!["path", "as", "why"],
        rows,
        numeric: vec![],
    }));
}

/// Every file read, with its kind, variant and counts.
pub(super) fn files(report: &Report, out: &mut Vec<Block>) {
    if report.files.is_empty() {
        return;
    }
    out.push(Block::Heading("files".into()));
    let rows = report
        .files
        .iter()
        .map(|f| {
            vec![
                f.path.clone(),
                serde_json::to_value(f.kind)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default(),
                f.variant.clone().unwrap_or_else(|| "-".into()),
                f.records.to_string(),
                f.inserted.to_string(),
                f.updated.to_string(),
                f.duplicate.to_string(),
                f.rejected.to_string(),
                match f.status {
                    FileStatus::New => "new".into(),
                    FileStatus::AlreadyImported => "already-imported".into(),
                },
            ]
        })
        .collect();
    out.push(Block::Table(Table {
        header: vec![
            "path",
            "kind",
            "variant",
            "records",
            "inserted",
            "updated",
            "duplicate",
            "rejected",
            "status",
        ],
        rows,
        numeric: vec![3, 4, 5, 6, 7],
    }));
    for f in &report.files {
        if let Some(r) = &f.resumed {
            out.push(Block::Line(format!(
                "{}: grew by appends; read from byte {} on, where the content import {} read ends \
                 (its {} records not read again, not counted here)",
                f.path, r.bytes, r.import_id, r.records
            )));
        }
    }
}

/// The rows per target table (in a verify run, how many each holds), and whether the source
/// records reconcile.
pub(super) fn tables(report: &Report, out: &mut Vec<Block>) {
    out.push(Block::Heading("tables".into()));
    if report.mode == Mode::Verify {
        let rows = report
            .table_rows
            .iter()
            .map(|(name, n)| vec![name.clone(), n.to_string()])
            .collect();
        out.push(Block::Table(Table {
            header: vec!["table", "rows"],
            rows,
            numeric: vec![1],
        }));
        return;
    }
    let rows = report
        .tables
        .iter()
        .map(|(name, c)| {
            vec![
                name.clone(),
                c.inserted.to_string(),
                c.duplicate.to_string(),
                c.rejected.to_string(),
                c.updated.to_string(),
            ]
        })
        .collect();
    out.push(Block::Table(Table {
        header: vec!["table", "inserted", "duplicate", "rejected", "updated"],
        rows,
        numeric: vec![1, 2, 3, 4],
    }));
    let a = &report.accounted;
    out.push(Block::Line(format!(
        "source records: {}  = inserted {} + updated {} + duplicate {} + rejected {}{}",
        report.source_records,
        a.inserted,
        a.updated,
        a.duplicate,
        a.rejected,
        if a.total() == report.source_records {
            ""
        } else {
            "  (DOES NOT RECONCILE)"
        }
    )));
    if report.ambiguous_rows > 0 {
        out.push(Block::Line(format!(
            "rows imported with a tie-break (metadata.shape_ambiguous or backslash_ambiguous): {}",
            report.ambiguous_rows
        )));
    }
}
