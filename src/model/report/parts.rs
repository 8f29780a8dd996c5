//! The parts of a [`Report`](super::Report): what it says of each file and table, the checks, the
//! duplicates and what the import created. Plain data, serialised with the report's JSON keys.

use crate::model::{Disposition, Kind};
use serde::{Deserialize, Serialize};

/// Whether a file's exact bytes were imported before.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FileStatus {
    New,
    AlreadyImported,
}

/// One input file as the report lists it.
#[derive(Debug, Clone, Serialize, Deserialize)]
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
    #[serde(default)]
    pub previous_import: Option<i64>,
    pub inserted: u64,
    pub duplicate: u64,
    pub rejected: u64,
    /// Records that changed a row an earlier import wrote (a later users.json version of a user).
    #[serde(default)]
    pub updated: u64,
    /// `read`, `rejected` (a legacy file that cannot be read: its records are rejected),
    /// `unknown` (nothing marks it as legacy) or `skipped` (not a regular file, never opened).
    #[serde(default)]
    pub disposition: Disposition,
    /// Why the file is rejected, unknown or skipped; never text of the file.
    #[serde(default)]
    pub reason: Option<String>,
    /// A configuration version read now: its date and how it was found (`modification_time`: the
    /// date a copy changes, which `--config-date FILE=DATE` can correct).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub version: Option<crate::model::VersionDate>,
    /// A file that grew by appends, read from where the content an earlier import read ends: that
    /// import, the bytes and records not read again (not counted in `records`).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub resumed: Option<crate::model::Resumed>,
}

/// Outcome counts for one production table.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableCounts {
    pub inserted: u64,
    pub duplicate: u64,
    pub rejected: u64,
    /// Rows changed in place: recomputed (run counters, aggregates), described by a newer
    /// configuration version (models, price and parameter periods) or by a later users.json
    /// version (users).
    pub updated: u64,
}

/// How every source record ended; sums to `source_records`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Accounted {
    pub inserted: u64,
    pub duplicate: u64,
    pub rejected: u64,
    /// Records that changed a row an earlier import wrote (a later version of a user).
    pub updated: u64,
}

impl Accounted {
    /// The sum, which must equal the number of source records.
    pub fn total(&self) -> u64 {
        self.inserted + self.updated + self.duplicate + self.rejected
    }
}

/// A row that duplicates another, and which.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Duplicate {
    pub file: String,
    pub line: u64,
    pub of_file: String,
    pub of_line: u64,
    /// The earlier import that wrote the original, when it was not this one.
    pub of_import: Option<i64>,
}

/// An integrity check's result.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Check {
    pub name: String,
    pub ok: bool,
    pub detail: String,
    /// True when the check had nothing it could look at (no legacy aggregate file, every source file
    /// gone); `ok` is then true and `detail` says why.
    #[serde(default)]
    pub skipped: bool,
    /// Wall time the check took (the two source-fidelity checks share one pass and one time).
    #[serde(default)]
    pub seconds: f64,
    /// Whether a failure rolls the import back and fails `verify`. Informational checks (legacy
    /// aggregate files agree with the recomputation) report differences the legacy data is known to
    /// have, without blocking. A stored report from before this key read every check as blocking.
    #[serde(default = "blocking")]
    pub blocking: bool,
}

/// Whether a check of a stored report without `blocking` blocked: every check did then.
fn blocking() -> bool {
    true
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
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlaceholderRef {
    pub run_id: Option<String>,
    pub legacy_prompt_id: Option<String>,
    pub file: Option<String>,
    pub line: Option<u64>,
}

/// Placeholder prompts the import creates.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Placeholders {
    pub created: u64,
    /// New rows that link to a placeholder (new or earlier).
    pub rows_linked: u64,
    pub first: Vec<PlaceholderRef>,
}

/// What the import changed in rows earlier imports wrote, because a better source arrived
/// (docs/decisions.md#order-independence).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Relinked {
    /// Rows of earlier imports moved from a placeholder prompt to their real prompt.
    pub rows: u64,
    /// Placeholder prompts removed because no row used them any more.
    pub placeholders_removed: u64,
    /// Prompts of earlier imports that took the attributes of a more authoritative source.
    pub prompts_improved: u64,
    /// Models merged into the one a later source showed them to be.
    pub models_merged: u64,
}

/// A model the import creates from data alone (no models.yaml names it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NaiveFile {
    pub file: String,
    /// Records with at least one such time.
    pub rows: u64,
    /// The times themselves: a users.json user may have two (`created_at`, `last_login`).
    pub values: u64,
    pub first_lines: Vec<u64>,
}

/// The time-zone assumptions of the run.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NaiveTimestamps {
    pub rows: u64,
    pub values: u64,
    pub files: Vec<NaiveFile>,
}

/// Wall time of each phase, in seconds.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Timings {
    pub read_and_stage: f64,
    pub transform: f64,
    pub total: f64,
    /// Each transform step (sql/transform file) and its seconds, where the transform's time goes.
    pub transform_steps: Vec<(String, f64)>,
}

/// Whether an import took the bulk path of a first load (indexes and foreign keys rebuilt once,
/// `--bulk-threshold`), and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BulkPath {
    pub taken: bool,
    pub reason: String,
}
