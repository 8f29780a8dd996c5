//! ⑤ The report laid out once as headings, lines, bullets and tables, so the terminal and the
//! Markdown renderings show the same content and differ only in how they draw it.
//!
//! The sections live beside this file, one per part of the report: the files and tables
//! (`files.rs`), what the import created beside the rows and how it read times (`created.rs`), the
//! records not inserted, rejected or duplicate (`records.rs`), and the checks (`checks.rs`).

pub(crate) mod checks;
mod created;
mod files;
mod records;
mod similarity;

use crate::model::report::{Mode, Report};

/// How many entries a listed section shows (the JSON report has them all, up to its limit).
const SHOWN: usize = 20;

/// One piece of the laid-out report.
#[derive(Debug, Clone)]
pub(crate) enum Block {
    Heading(String),
    Line(String),
    Bullets(Vec<String>),
    Table(Table),
}

/// A table whose columns from `numeric_from` on are numbers (right-aligned).
#[derive(Debug, Clone)]
pub(crate) struct Table {
    pub header: Vec<&'static str>,
    pub rows: Vec<Vec<String>>,
    pub numeric: Vec<usize>,
}

/// A place as `file:line`, the file alone when the line is unknown, or `-`.
fn place(file: Option<&str>, line: Option<u64>) -> String {
    match (file, line) {
        (Some(f), Some(l)) => format!("{f}:{l}"),
        (Some(f), None) => f.to_owned(),
        _ => "-".to_owned(),
    }
}

/// The line saying how many entries a section left out, if it left any.
fn more(shown: usize, total: u64, what: &str) -> Option<Block> {
    let shown = u64::try_from(shown).unwrap_or(u64::MAX);
    (total > shown).then(|| {
        Block::Line(format!(
            "… {} more {what} (see the JSON report)",
            total - shown
        ))
    })
}

/// Lays out `report`.
pub(crate) fn blocks(report: &Report) -> Vec<Block> {
    let mut out = Vec::new();
    summary(report, &mut out);
    files::rejected_files(report, &mut out);
    files::files(report, &mut out);
    files::undated_configs(report, &mut out);
    files::unread_files(report, &mut out);
    files::tables(report, &mut out);
    if report.mode != Mode::Verify {
        created::created(report, &mut out);
        created::time_zones(report, &mut out);
        similarity::similarity(report, &mut out);
        records::rejects(report, &mut out);
        records::duplicates(report, &mut out);
    }
    checks::checks(report, &mut out);
    let t = &report.timings;
    out.push(Block::Line(if report.mode == Mode::Verify {
        format!("time: {:.2}s", t.total)
    } else {
        format!(
            "time: read+stage {:.2}s, transform and checks {:.2}s, total {:.2}s",
            t.read_and_stage, t.transform, t.total
        )
    }));
    out
}

/// The words for a run's mode.
pub(crate) fn mode_words(mode: Mode) -> &'static str {
    match mode {
        Mode::Import => "import",
        Mode::DryRun => "dry run (nothing was changed)",
        Mode::Verify => "verify",
    }
}

/// The database, the import and its outcome, the load path, and when the run started.
fn summary(report: &Report, out: &mut Vec<Block>) {
    let mut lines = vec![match &report.connection {
        Some(c) => format!("database: {}", c.describe()),
        None => format!("database: {}", report.database),
    }];
    if let Some(id) = report.import_id {
        lines.push(format!("import id: {id}"));
    }
    if let Some(outcome) = &report.outcome {
        lines.push(format!("outcome: {outcome}"));
    }
    if let Some(bulk) = &report.bulk_path {
        let path = if bulk.taken { "bulk" } else { "ordinary" };
        lines.push(format!("load path: {path} ({})", bulk.reason));
    }
    lines.push(format!(
        "started: {} (bellatrix-migrate {})",
        report.generated_at, report.tool_version
    ));
    out.extend(lines.into_iter().map(Block::Line));
}
