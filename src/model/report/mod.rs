//! The report of one run (README: "The report"): plain data that every stage fills in turn
//! (the readers' files and rejects, the transform's timings, `account`'s counts and details, the
//! checks, the outcome) and that `report/` renders. Its JSON keys are a contract. It holds no legacy
//! prompt or response text: files, lines, columns, counts, names of models and runs.

pub mod groups;
mod parts;
mod similarity;

pub use groups::{Location, RejectGroup};
pub use parts::{
    Accounted, BulkPath, Check, CheckCounts, CreatedModel, Duplicate, DuplicateGroup, FileReport,
    FileStatus, NaiveFile, NaiveTimestamps, PlaceholderRef, Placeholders, Relinked, TableCounts,
    Timings,
};
pub use similarity::SimilarityCounts;

use crate::model::{Disposition, FileSummary, Reject};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What kind of run produced the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Mode {
    Import,
    DryRun,
    Verify,
}

/// The report of one run.
// Deserialize: `show` renders a report the ledger stored (`history.rs`). A key an older version
// did not write reads as its empty value; `mode`, `tool_version` and `generated_at` every version
// wrote.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Report {
    pub mode: Mode,
    pub tool_version: String,
    /// When the run started (UTC, RFC 3339).
    pub generated_at: String,
    /// How the run ended: `committed`, `dry-run (rolled back)`, `rolled back: <why>`, `passed`,
    /// `failed`. Set when the run is over.
    #[serde(default)]
    pub outcome: Option<String>,
    /// Where the data went, without credentials.
    #[serde(default)]
    pub database: String,
    /// How the connection was made: where the settings came from, TLS, server version.
    #[serde(default)]
    pub connection: Option<crate::model::ConnectionInfo>,
    #[serde(default)]
    pub import_id: Option<i64>,
    #[serde(default)]
    pub legacy_timezone: String,
    #[serde(default)]
    pub files: Vec<FileReport>,
    /// Files of a legacy kind that could not be read (their records are among the rejects).
    #[serde(default)]
    pub files_rejected: u64,
    /// Files nothing marks as legacy, listed with their reason and skipped.
    #[serde(default)]
    pub files_unknown: u64,
    /// Files that are not regular files (named pipes, sockets, devices), never opened.
    #[serde(default)]
    pub files_skipped: u64,
    #[serde(default)]
    pub tables: BTreeMap<String, TableCounts>,
    #[serde(default)]
    pub source_records: u64,
    #[serde(default)]
    pub accounted: Accounted,
    #[serde(default)]
    pub rejects: Vec<Reject>,
    #[serde(default)]
    pub rejects_total: u64,
    /// Every reject, grouped by field and reason.
    #[serde(default)]
    pub reject_groups: Vec<RejectGroup>,
    #[serde(default)]
    pub duplicates: Vec<Duplicate>,
    #[serde(default)]
    pub duplicates_total: u64,
    /// Every duplicate, grouped by its file and the file it repeats.
    #[serde(default)]
    pub duplicate_groups: Vec<DuplicateGroup>,
    #[serde(default)]
    pub placeholders: Placeholders,
    /// Rows and prompts of earlier imports this import repaired.
    #[serde(default)]
    pub relinked: Relinked,
    #[serde(default)]
    pub models_created: Vec<CreatedModel>,
    #[serde(default)]
    pub providers_created: Vec<String>,
    /// New runs by origin (`cli`, `dashboard`, `cloudwatch`, `custom`, `none`).
    #[serde(default)]
    pub runs_created: BTreeMap<String, u64>,
    #[serde(default)]
    pub naive_timestamps: NaiveTimestamps,
    /// Rows imported with a tie-break decision (row shape or backslashes), for the reviewer.
    #[serde(default)]
    pub ambiguous_rows: u64,
    /// The similarity of candidates to the master model (None: the step did not run).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub similarity: Option<SimilarityCounts>,
    #[serde(default)]
    pub checks: Vec<Check>,
    /// `checks` counted by how each ended (set with `set_checks`).
    #[serde(default)]
    pub check_counts: CheckCounts,
    /// Import and dry run: which path the transform took (27_bulk_prepare.sql) and why.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub bulk_path: Option<BulkPath>,
    /// `verify` only: rows in each production table.
    #[serde(skip_serializing_if = "BTreeMap::is_empty", default)]
    pub table_rows: BTreeMap<String, u64>,
    #[serde(default)]
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
    /// Records what the similarity step did, and its score rows among the tables' counts (they are
    /// in the ledger: the reconciliation check counts them there).
    pub fn set_similarity(&mut self, counts: SimilarityCounts) {
        let table = self
            .tables
            .entry("similarity_scores".to_owned())
            .or_default();
        table.inserted = counts.inserted;
        table.updated = counts.updated;
        self.similarity = Some(counts);
    }

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
            relinked: Relinked::default(),
            models_created: Vec::new(),
            providers_created: Vec::new(),
            runs_created: BTreeMap::new(),
            naive_timestamps: NaiveTimestamps::default(),
            ambiguous_rows: 0,
            similarity: None,
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
                updated: 0,
                disposition: s.disposition,
                reason: s.reason.clone(),
                version: s.version.clone(),
                resumed: s.resumed.clone(),
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

    /// The configuration versions read now that only their modification time dates.
    pub fn dated_by_modification_time(&self) -> impl Iterator<Item = &FileReport> {
        self.files.iter().filter(|f| {
            f.version
                .as_ref()
                .is_some_and(|v| v.dated_by == "modification_time")
        })
    }

    /// Whether every blocking check passed.
    pub fn checks_ok(&self) -> bool {
        self.failed_checks() == 0
    }

    /// How many checks failed.
    pub fn failed_checks(&self) -> usize {
        self.checks.iter().filter(|c| !c.ok && c.blocking).count()
    }
}
