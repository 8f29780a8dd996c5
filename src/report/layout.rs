//! ⑤ The report laid out once as headings, lines, bullets and tables, so the terminal and the
//! Markdown renderings show the same content and differ only in how they draw it.

use crate::model::report::{CheckCounts, FileStatus, Mode, Report};
use crate::model::Disposition;

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

fn place(file: Option<&str>, line: Option<u64>) -> String {
    match (file, line) {
        (Some(f), Some(l)) => format!("{f}:{l}"),
        (Some(f), None) => f.to_owned(),
        _ => "-".to_owned(),
    }
}

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
    rejected_files(report, &mut out);
    files(report, &mut out);
    unread_files(report, &mut out);
    tables(report, &mut out);
    if report.mode != Mode::Verify {
        created(report, &mut out);
        time_zones(report, &mut out);
        rejects(report, &mut out);
        duplicates(report, &mut out);
    }
    checks(report, &mut out);
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

/// Files of a legacy kind that could not be read, first of all: their records are rejected.
fn rejected_files(report: &Report, out: &mut Vec<Block>) {
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

/// Unknown and skipped files with the reason each was not read.
fn unread_files(report: &Report, out: &mut Vec<Block>) {
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

fn files(report: &Report, out: &mut Vec<Block>) {
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
            "duplicate",
            "rejected",
            "status",
        ],
        rows,
        numeric: vec![3, 4, 5, 6],
    }));
}

fn tables(report: &Report, out: &mut Vec<Block>) {
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
        "source records: {}  = inserted {} + duplicate {} + rejected {}{}",
        report.source_records,
        a.inserted,
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

fn created(report: &Report, out: &mut Vec<Block>) {
    out.push(Block::Heading("created beside rows".into()));
    let runs = if report.runs_created.is_empty() {
        "runs: none".to_owned()
    } else {
        let by_origin: Vec<String> = report
            .runs_created
            .iter()
            .map(|(origin, n)| format!("{n} {origin}"))
            .collect();
        format!("runs: {}", by_origin.join(", "))
    };
    let providers = if report.providers_created.is_empty() {
        "providers: none".to_owned()
    } else {
        format!("providers: {}", report.providers_created.join(", "))
    };
    let p = &report.placeholders;
    let placeholders = format!(
        "placeholder prompts (rows without prompt text, one per run and legacy prompt_id): {} created, {} new rows link to one",
        p.created, p.rows_linked
    );
    out.push(Block::Bullets(vec![runs, providers, placeholders]));
    if !p.first.is_empty() {
        let rows = p
            .first
            .iter()
            .take(SHOWN)
            .map(|r| {
                vec![
                    r.run_id.clone().unwrap_or_else(|| "-".into()),
                    r.legacy_prompt_id.clone().unwrap_or_else(|| "-".into()),
                    place(r.file.as_deref(), r.line),
                ]
            })
            .collect();
        out.push(Block::Table(Table {
            header: vec!["placeholder for run", "legacy prompt_id", "first seen"],
            rows,
            numeric: vec![],
        }));
        out.extend(more(p.first.len().min(SHOWN), p.created, "placeholders"));
    }
    if report.models_created.is_empty() {
        out.push(Block::Line("models created from data alone: none".into()));
    } else {
        out.push(Block::Line(format!(
            "models created from data alone ({}; inactive until models.yaml names them):",
            report.models_created.len()
        )));
        let rows = report
            .models_created
            .iter()
            .map(|m| {
                vec![
                    m.name.clone(),
                    m.provider.clone(),
                    m.bedrock_model_id.clone().unwrap_or_else(|| "-".into()),
                    if m.is_master { "yes" } else { "no" }.into(),
                    place(m.file.as_deref(), m.line),
                ]
            })
            .collect();
        out.push(Block::Table(Table {
            header: vec!["model", "provider", "model id", "master", "first seen"],
            rows,
            numeric: vec![],
        }));
    }
}

fn time_zones(report: &Report, out: &mut Vec<Block>) {
    out.push(Block::Heading("time zones".into()));
    let n = &report.naive_timestamps;
    out.push(Block::Bullets(vec![
        "stored in UTC; timestamps with Z or an offset are taken as written".into(),
        format!(
            "timestamps without a zone are read in {} (--legacy-timezone): {} rows",
            report.legacy_timezone, n.rows
        ),
        "error stubs that wrote local time tagged Z are kept as written (not corrected in this version)"
            .into(),
    ]));
    if !n.files.is_empty() {
        let rows = n
            .files
            .iter()
            .map(|f| {
                let lines: Vec<String> = f.first_lines.iter().map(u64::to_string).collect();
                vec![f.file.clone(), f.rows.to_string(), lines.join(", ")]
            })
            .collect();
        out.push(Block::Table(Table {
            header: vec!["file", "naive rows", "first lines"],
            rows,
            numeric: vec![1],
        }));
    }
}

fn rejects(report: &Report, out: &mut Vec<Block>) {
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

fn duplicates(report: &Report, out: &mut Vec<Block>) {
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

fn checks(report: &Report, out: &mut Vec<Block>) {
    if report.checks.is_empty() {
        return;
    }
    out.push(Block::Heading(checks_heading(&CheckCounts::of(
        &report.checks,
    ))));
    let rows = report
        .checks
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
    out.push(Block::Table(Table {
        header: vec!["result", "check", "seconds", "detail"],
        rows,
        numeric: vec![2],
    }));
}

/// "checks (13): 11 passed, 0 failed, 1 skipped, 1 informational (1 differs)": every check in
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
