//! ⑤ Report: the one structure every run produces (DECISIONS.md: "The report"), its renderings as
//! aligned text for the terminal and JSON for machines, the rejects CSV, and the progress bars. The
//! only module that writes to the terminal.

pub mod progress;

use crate::read::{FileSummary, Kind, Reject};
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Write;
use std::path::Path;

/// What kind of run produced the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Mode {
    Import,
    DryRun,
    Verify,
}

/// Whether a file's exact bytes were imported before.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FileStatus {
    New,
    AlreadyImported,
}

/// One input file as the report lists it.
#[derive(Debug, Clone, Serialize)]
pub struct FileReport {
    #[serde(skip)]
    pub file_no: i32,
    pub path: String,
    pub kind: Kind,
    pub variant: Option<String>,
    pub records: u64,
    pub sha256: String,
    pub status: FileStatus,
    /// For an already-imported file: the import that last read these bytes.
    pub previous_import: Option<i64>,
    pub inserted: u64,
    pub duplicate: u64,
    pub rejected: u64,
}

/// Outcome counts for one production table.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct TableCounts {
    pub inserted: u64,
    pub duplicate: u64,
    pub rejected: u64,
    /// Rows recomputed in place (run counters, aggregates).
    pub updated: u64,
}

/// How every source record ended; sums to `source_records`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Accounted {
    pub inserted: u64,
    pub duplicate: u64,
    pub rejected: u64,
}

impl Accounted {
    /// The sum, which must equal the number of source records.
    pub fn total(&self) -> u64 {
        self.inserted + self.duplicate + self.rejected
    }
}

/// A row that duplicates another, and which.
#[derive(Debug, Clone, Serialize)]
pub struct Duplicate {
    pub file: String,
    pub line: u64,
    pub of_file: String,
    pub of_line: u64,
    /// The earlier import that wrote the original, when it was not this one.
    pub of_import: Option<i64>,
}

/// An integrity check's result.
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    pub name: String,
    pub ok: bool,
    pub detail: String,
    /// Whether a failure rolls the import back. Informational checks (legacy aggregate files agree
    /// with the recomputation) report differences the legacy data is known to have.
    pub blocking: bool,
}

/// Wall time of each phase, in seconds.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Timings {
    pub read_and_stage: f64,
    pub transform: f64,
    pub total: f64,
}

/// The report of one run.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub mode: Mode,
    /// Where the data went, without credentials.
    pub database: String,
    pub import_id: Option<i64>,
    pub legacy_timezone: String,
    pub files: Vec<FileReport>,
    pub tables: BTreeMap<String, TableCounts>,
    pub source_records: u64,
    pub accounted: Accounted,
    pub rejects: Vec<Reject>,
    pub rejects_total: u64,
    pub duplicates: Vec<Duplicate>,
    pub duplicates_total: u64,
    /// Rows imported with a tie-break decision (row shape or backslashes), for the reviewer.
    pub ambiguous_rows: u64,
    pub checks: Vec<Check>,
    pub timings: Timings,
    /// Every record the transform rejected, for `--rejects` (the readers' are in the summaries).
    #[serde(skip)]
    pub transform_rejects: Vec<Reject>,
}

/// The production tables, all of which the report lists.
pub const PRODUCTION_TABLES: [&str; 13] = [
    "users",
    "model_providers",
    "models",
    "model_pricing",
    "model_generation_params",
    "prompts",
    "evaluation_runs",
    "evaluation_metrics",
    "model_aggregated_metrics",
    "master_model_evaluations",
    "similarity_scores",
    "cloudwatch_log_entries",
    "audit_log",
];

/// How many rejects and duplicates the report lists individually (all are counted).
pub const LISTED_LIMIT: usize = 1000;

impl Report {
    /// An empty report for `mode`, with every production table at zero.
    pub fn new(mode: Mode, database: String, legacy_timezone: String) -> Self {
        Self {
            mode,
            database,
            import_id: None,
            legacy_timezone,
            files: Vec::new(),
            tables: PRODUCTION_TABLES
                .iter()
                .map(|t| ((*t).to_owned(), TableCounts::default()))
                .collect(),
            source_records: 0,
            accounted: Accounted::default(),
            rejects: Vec::new(),
            rejects_total: 0,
            duplicates: Vec::new(),
            duplicates_total: 0,
            ambiguous_rows: 0,
            checks: Vec::new(),
            timings: Timings::default(),
            transform_rejects: Vec::new(),
        }
    }

    /// Adds the files of the run: those read, with their records and rejects, and those skipped as
    /// already imported, whose records count as the duplicates (or rejects) they were last time.
    pub fn add_files(&mut self, summaries: &[FileSummary]) {
        for s in summaries {
            let (rejected, duplicate, status) = match s.already_imported {
                Some(known) => (
                    known.rejected,
                    s.records.saturating_sub(known.rejected),
                    FileStatus::AlreadyImported,
                ),
                None => (s.rejects.len() as u64, 0, FileStatus::New),
            };
            self.source_records += s.records;
            self.accounted.rejected += rejected;
            self.rejects_total += rejected;
            if let Some(table) = s.kind.table().filter(|_| s.already_imported.is_none()) {
                self.tables.entry(table.into()).or_default().rejected += rejected;
            }
            let room = LISTED_LIMIT.saturating_sub(self.rejects.len());
            self.rejects.extend(s.rejects.iter().take(room).cloned());
            self.files.push(FileReport {
                file_no: s.file_no,
                path: s.path.clone(),
                kind: s.kind,
                variant: s.variant.clone(),
                records: s.records,
                sha256: s.sha256.clone(),
                status,
                previous_import: s.already_imported.map(|k| k.import_id),
                inserted: 0,
                duplicate,
                rejected,
            });
        }
    }

    /// Adds a record the transform rejected (a user conflict) to its file, its table and the totals.
    pub fn add_transform_reject(&mut self, file_no: usize, reject: Reject, table: &str) {
        if let Some(f) = self.files.get_mut(file_no) {
            f.rejected += 1;
        }
        self.tables.entry(table.to_owned()).or_default().rejected += 1;
        self.accounted.rejected += 1;
        self.rejects_total += 1;
        if self.rejects.len() < LISTED_LIMIT {
            self.rejects.push(reject.clone());
        }
        self.transform_rejects.push(reject);
    }

    /// Whether every blocking check passed.
    pub fn checks_ok(&self) -> bool {
        self.checks.iter().all(|c| c.ok || !c.blocking)
    }

    /// Writes the JSON rendering to `path`.
    pub fn write_json(&self, path: &Path) -> std::io::Result<()> {
        let file = std::fs::File::create(path)?;
        let mut out = std::io::BufWriter::new(file);
        serde_json::to_writer_pretty(&mut out, self)?;
        out.write_all(b"\n")?;
        out.flush()
    }

    /// The readable summary: aligned tables of files, tables, accounting, rejects and checks. Names
    /// files, lines, columns and counts only, never legacy text.
    pub fn to_text(&self) -> String {
        let mut s = String::new();
        let mode = match self.mode {
            Mode::Import => "import",
            Mode::DryRun => "dry run (nothing was changed)",
            Mode::Verify => "verify",
        };
        let _ = writeln!(s, "bellatrix-migrate {mode}");
        let _ = writeln!(s, "database: {}", self.database);
        if let Some(id) = self.import_id {
            let _ = writeln!(s, "import id: {id}");
        }
        let _ = writeln!(s, "naive timestamps read in: {}", self.legacy_timezone);
        if !self.files.is_empty() {
            let width = self
                .files
                .iter()
                .map(|f| f.path.len())
                .max()
                .unwrap_or(4)
                .max(4);
            let _ = writeln!(s, "\nfiles");
            let _ = writeln!(
                s,
                "  {:<width$}  {:<18}  {:<24}  {:>8}  {:>8}  {:>9}  {:>8}  status",
                "path", "kind", "variant", "records", "inserted", "duplicate", "rejected"
            );
            for f in &self.files {
                let kind = f.kind.name();
                let status = match f.status {
                    FileStatus::New => "new",
                    FileStatus::AlreadyImported => "already-imported",
                };
                let _ = writeln!(
                    s,
                    "  {:<width$}  {:<18}  {:<24}  {:>8}  {:>8}  {:>9}  {:>8}  {status}",
                    f.path,
                    kind,
                    f.variant.as_deref().unwrap_or("-"),
                    f.records,
                    f.inserted,
                    f.duplicate,
                    f.rejected
                );
            }
        }
        let _ = writeln!(s, "\ntables");
        let _ = writeln!(
            s,
            "  {:<26}  {:>8}  {:>9}  {:>8}  {:>7}",
            "table", "inserted", "duplicate", "rejected", "updated"
        );
        for (name, c) in &self.tables {
            let _ = writeln!(
                s,
                "  {:<26}  {:>8}  {:>9}  {:>8}  {:>7}",
                name, c.inserted, c.duplicate, c.rejected, c.updated
            );
        }
        let a = &self.accounted;
        let _ = writeln!(
            s,
            "\nsource records: {}  = inserted {} + duplicate {} + rejected {}{}",
            self.source_records,
            a.inserted,
            a.duplicate,
            a.rejected,
            if a.total() == self.source_records {
                ""
            } else {
                "  (DOES NOT RECONCILE)"
            }
        );
        if self.ambiguous_rows > 0 {
            let _ = writeln!(s, "rows imported with a tie-break (metadata.shape_ambiguous or backslash_ambiguous): {}", self.ambiguous_rows);
        }
        if self.rejects_total > 0 {
            let _ = writeln!(s, "\nrejected records ({})", self.rejects_total);
            for r in self.rejects.iter().take(20) {
                let column = match (&r.column, &r.field) {
                    (Some(c), Some(f)) => format!(" column {c} ({f})"),
                    (Some(c), None) => format!(" column {c}"),
                    _ => String::new(),
                };
                let _ = writeln!(s, "  {}:{}{}: {}", r.file, r.line, column, r.reason);
            }
            if self.rejects_total > 20 {
                let _ = writeln!(
                    s,
                    "  … {} more (see --report or --rejects)",
                    self.rejects_total - 20
                );
            }
        }
        if self.duplicates_total > 0 {
            let _ = writeln!(s, "\nduplicate records ({})", self.duplicates_total);
            for d in self.duplicates.iter().take(10) {
                let of = match d.of_import {
                    Some(id) => format!("{}:{} (import {id})", d.of_file, d.of_line),
                    None => format!("{}:{}", d.of_file, d.of_line),
                };
                let _ = writeln!(s, "  {}:{} duplicates {of}", d.file, d.line);
            }
            if self.duplicates_total > 10 {
                let _ = writeln!(s, "  … {} more (see --report)", self.duplicates_total - 10);
            }
        }
        if !self.checks.is_empty() {
            let _ = writeln!(s, "\nchecks");
            for c in &self.checks {
                let state = match (c.ok, c.blocking) {
                    (true, _) => "ok",
                    (false, true) => "FAILED",
                    (false, false) => "differs",
                };
                let _ = writeln!(s, "  [{state}] {}: {}", c.name, c.detail);
            }
        }
        let t = &self.timings;
        let _ = writeln!(
            s,
            "\ntime: read+stage {:.2}s, transform {:.2}s, total {:.2}s",
            t.read_and_stage, t.transform, t.total
        );
        s
    }
}

/// Writes every reject (not only the listed ones) as CSV: file, line, column, field, reason.
pub fn write_rejects_csv(
    path: &Path,
    summaries: &[FileSummary],
    transform_rejects: &[Reject],
) -> Result<(), csv::Error> {
    let mut out = csv::Writer::from_path(path)?;
    out.write_record(["file", "line", "column", "field", "reason"])?;
    for r in summaries
        .iter()
        .flat_map(|s| &s.rejects)
        .chain(transform_rejects)
    {
        out.write_record([
            r.file.as_str(),
            &r.line.to_string(),
            &r.column.map(|c| c.to_string()).unwrap_or_default(),
            r.field.as_deref().unwrap_or(""),
            &r.reason,
        ])?;
    }
    out.flush()?;
    Ok(())
}
