//! ⑤ Report: the one structure every run produces (DECISIONS.md: "The report") and its three
//! renderings: aligned text for the terminal (`text.rs`), JSON for machines (`--report`, the keys of
//! DECISIONS.md are a contract), and a self-contained Markdown file for the change ticket
//! (`--report-md`, `markdown.rs`). Also the rejects CSV and the progress bars. The only module that
//! writes to the terminal. No rendering carries legacy prompt or response text: the structure holds
//! none (files, lines, columns, counts, names of models and runs).

pub mod collect;
pub mod groups;
mod layout;
mod markdown;
pub mod output;
pub mod progress;
mod text;

pub use groups::{Location, RejectGroup};

use crate::model::{Disposition, FileSummary, Kind, Reject};
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::Write;

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
    /// `read`, `rejected` (a legacy file that cannot be read: its records are rejected),
    /// `unknown` (nothing marks it as legacy) or `skipped` (not a regular file, never opened).
    pub disposition: Disposition,
    /// Why the file is rejected, unknown or skipped; never text of the file.
    pub reason: Option<String>,
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
    /// True when the check had nothing it could look at (no legacy aggregate file, every source file
    /// gone); `ok` is then true and `detail` says why.
    pub skipped: bool,
    /// Wall time the check took (the two source-fidelity checks share one pass and one time).
    pub seconds: f64,
    /// Whether a failure rolls the import back and fails `verify`. Informational checks (legacy
    /// aggregate files agree with the recomputation) report differences the legacy data is known to
    /// have, without blocking.
    pub blocking: bool,
}

impl Check {
    /// A check that ran.
    pub fn new(name: &str, ok: bool, detail: String) -> Self {
        Self {
            name: name.to_owned(),
            ok,
            detail,
            skipped: false,
            seconds: 0.0,
            blocking: true,
        }
    }

    /// A check whose failure is reported but blocks nothing.
    pub fn informational(name: &str, ok: bool, detail: String) -> Self {
        Self {
            blocking: false,
            ..Self::new(name, ok, detail)
        }
    }

    /// A check that had nothing to look at.
    pub fn skipped(name: &str, detail: &str) -> Self {
        Self {
            name: name.to_owned(),
            ok: true,
            detail: detail.to_owned(),
            skipped: true,
            seconds: 0.0,
            blocking: true,
        }
    }
}

/// The checks of a run counted by how each ended; the four counts sum to `total`. A skipped check
/// counts as skipped whatever its kind; an informational check that ran counts as informational,
/// agreeing or not (`informational_differs` of them did not).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct CheckCounts {
    pub total: u64,
    pub passed: u64,
    pub failed: u64,
    pub skipped: u64,
    pub informational: u64,
    pub informational_differs: u64,
}

impl CheckCounts {
    /// Counts `checks`.
    pub fn of(checks: &[Check]) -> Self {
        let mut n = Self::default();
        for c in checks {
            n.total += 1;
            if c.skipped {
                n.skipped += 1;
            } else if !c.blocking {
                n.informational += 1;
                n.informational_differs += u64::from(!c.ok);
            } else if c.ok {
                n.passed += 1;
            } else {
                n.failed += 1;
            }
        }
        n
    }
}

/// Duplicates of one file that repeat rows of one other file (of this import or an earlier one), or
/// the records of a file whose exact bytes an earlier import read (`whole_file`). Every duplicate
/// is in one group: the counts sum to `duplicates_total`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DuplicateGroup {
    #[serde(skip)]
    pub file_no: i32,
    pub file: String,
    pub of_file: String,
    pub of_import: Option<i64>,
    pub count: u64,
    /// The file was skipped as already imported (`of_import` read the same bytes): its records
    /// are not read again, so they are counted here but not paired in `duplicates`.
    pub whole_file: bool,
}

/// A placeholder prompt: one per (run, legacy prompt_id) whose rows carry no prompt text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct PlaceholderRef {
    pub run_id: Option<String>,
    pub legacy_prompt_id: Option<String>,
    pub file: Option<String>,
    pub line: Option<u64>,
}

/// Placeholder prompts the import creates.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Placeholders {
    pub created: u64,
    /// New rows that link to a placeholder (new or earlier).
    pub rows_linked: u64,
    pub first: Vec<PlaceholderRef>,
}

/// A model the import creates from data alone (no models.yaml names it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct CreatedModel {
    pub name: String,
    pub provider: String,
    pub bedrock_model_id: Option<String>,
    pub is_master: bool,
    /// Where it was first seen.
    pub file: Option<String>,
    pub line: Option<u64>,
}

/// Rows of one file whose timestamps had no zone and were read in `--legacy-timezone`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NaiveFile {
    pub file: String,
    pub rows: u64,
    pub first_lines: Vec<u64>,
}

/// The time-zone assumptions of the run.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct NaiveTimestamps {
    pub rows: u64,
    pub files: Vec<NaiveFile>,
}

/// Wall time of each phase, in seconds.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Timings {
    pub read_and_stage: f64,
    pub transform: f64,
    pub total: f64,
    /// Each transform step (sql/transform file) and its seconds, where the transform's time goes.
    pub transform_steps: Vec<(String, f64)>,
}

/// Whether an import took the bulk path of a first load (indexes and foreign keys rebuilt once,
/// `--bulk-threshold`), and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BulkPath {
    pub taken: bool,
    pub reason: String,
}

/// The report of one run.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub mode: Mode,
    pub tool_version: String,
    /// When the run started (UTC, RFC 3339).
    pub generated_at: String,
    /// How the run ended: `committed`, `dry-run (rolled back)`, `rolled back: <why>`, `passed`,
    /// `failed`. Set when the run is over.
    pub outcome: Option<String>,
    /// Where the data went, without credentials.
    pub database: String,
    /// How the connection was made: where the settings came from, TLS, server version.
    pub connection: Option<crate::db::ConnectionInfo>,
    pub import_id: Option<i64>,
    pub legacy_timezone: String,
    pub files: Vec<FileReport>,
    /// Files of a legacy kind that could not be read (their records are among the rejects).
    pub files_rejected: u64,
    /// Files nothing marks as legacy, listed with their reason and skipped.
    pub files_unknown: u64,
    /// Files that are not regular files (named pipes, sockets, devices), never opened.
    pub files_skipped: u64,
    pub tables: BTreeMap<String, TableCounts>,
    pub source_records: u64,
    pub accounted: Accounted,
    pub rejects: Vec<Reject>,
    pub rejects_total: u64,
    /// Every reject, grouped by field and reason.
    pub reject_groups: Vec<RejectGroup>,
    pub duplicates: Vec<Duplicate>,
    pub duplicates_total: u64,
    /// Every duplicate, grouped by its file and the file it repeats.
    pub duplicate_groups: Vec<DuplicateGroup>,
    pub placeholders: Placeholders,
    pub models_created: Vec<CreatedModel>,
    pub providers_created: Vec<String>,
    /// New runs by origin (`cli`, `dashboard`, `cloudwatch`, `custom`, `none`).
    pub runs_created: BTreeMap<String, u64>,
    pub naive_timestamps: NaiveTimestamps,
    /// Rows imported with a tie-break decision (row shape or backslashes), for the reviewer.
    pub ambiguous_rows: u64,
    pub checks: Vec<Check>,
    /// `checks` counted by how each ended (set with `set_checks`).
    pub check_counts: CheckCounts,
    /// Import and dry run: which path the transform took (27_bulk_prepare.sql) and why.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bulk_path: Option<BulkPath>,
    /// `verify` only: rows in each production table.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub table_rows: BTreeMap<String, u64>,
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
            tool_version: env!("CARGO_PKG_VERSION").to_owned(),
            generated_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            outcome: None,
            database,
            connection: None,
            import_id: None,
            legacy_timezone,
            files: Vec::new(),
            files_rejected: 0,
            files_unknown: 0,
            files_skipped: 0,
            tables: PRODUCTION_TABLES
                .iter()
                .map(|t| ((*t).to_owned(), TableCounts::default()))
                .collect(),
            source_records: 0,
            accounted: Accounted::default(),
            rejects: Vec::new(),
            rejects_total: 0,
            reject_groups: Vec::new(),
            duplicates: Vec::new(),
            duplicates_total: 0,
            duplicate_groups: Vec::new(),
            placeholders: Placeholders::default(),
            models_created: Vec::new(),
            providers_created: Vec::new(),
            runs_created: BTreeMap::new(),
            naive_timestamps: NaiveTimestamps::default(),
            ambiguous_rows: 0,
            checks: Vec::new(),
            check_counts: CheckCounts::default(),
            bulk_path: None,
            table_rows: BTreeMap::new(),
            timings: Timings::default(),
            transform_rejects: Vec::new(),
        }
    }

    /// Adds the files read, their records and rejects.
    pub fn add_files(&mut self, summaries: &[FileSummary]) {
        for s in summaries {
            // A file skipped as already imported counts its records as the duplicates (or rejects)
            // they were when its bytes were read.
            let (rejected, duplicate, status) = match s.already_imported {
                Some(known) => (
                    known.rejected,
                    s.records.saturating_sub(known.rejected),
                    FileStatus::AlreadyImported,
                ),
                None => (
                    u64::try_from(s.rejects.len()).unwrap_or(u64::MAX),
                    0,
                    FileStatus::New,
                ),
            };
            self.source_records += s.records;
            self.accounted.rejected += rejected;
            self.rejects_total += rejected;
            if let Some(table) = s.kind.table().filter(|_| s.already_imported.is_none()) {
                self.tables.entry(table.into()).or_default().rejected += rejected;
            }
            match s.disposition {
                Disposition::Read => {}
                Disposition::Rejected => self.files_rejected += 1,
                Disposition::Unknown => self.files_unknown += 1,
                Disposition::Skipped => self.files_skipped += 1,
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
                disposition: s.disposition,
                reason: s.reason.clone(),
            });
        }
        self.reject_groups = groups::group(summaries.iter().flat_map(|s| &s.rejects));
    }

    /// Adds a record the transform rejected (a user conflict) to its file, its table and the totals.
    pub fn add_transform_reject(&mut self, file_no: i32, reject: Reject, table: &str) {
        if let Some(f) = self.files.iter_mut().find(|f| f.file_no == file_no) {
            f.rejected += 1;
        }
        self.tables.entry(table.to_owned()).or_default().rejected += 1;
        self.accounted.rejected += 1;
        self.rejects_total += 1;
        if self.rejects.len() < LISTED_LIMIT {
            self.rejects.push(reject.clone());
        }
        groups::add(&mut self.reject_groups, &reject);
        self.transform_rejects.push(reject);
    }

    /// Sets the checks and their counts.
    pub fn set_checks(&mut self, checks: Vec<Check>) {
        self.check_counts = CheckCounts::of(&checks);
        self.checks = checks;
    }

    /// Whether every blocking check passed.
    pub fn checks_ok(&self) -> bool {
        self.failed_checks() == 0
    }

    /// Writes the JSON rendering to `out`.
    pub fn write_json(&self, out: &mut dyn Write) -> std::io::Result<()> {
        serde_json::to_writer_pretty(&mut *out, self)?;
        out.write_all(b"\n")
    }

    /// Writes the Markdown rendering to `out`.
    pub fn write_markdown(&self, out: &mut dyn Write) -> std::io::Result<()> {
        out.write_all(self.to_markdown().as_bytes())
    }

    /// How many checks failed.
    pub fn failed_checks(&self) -> usize {
        self.checks.iter().filter(|c| !c.ok && c.blocking).count()
    }
}

/// Writes every reject (not only the listed ones) as CSV: file, line, column, field, reason.
pub fn write_rejects_csv(
    out: &mut dyn Write,
    summaries: &[FileSummary],
    transform_rejects: &[Reject],
) -> Result<(), csv::Error> {
    let mut out = csv::Writer::from_writer(out);
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
