//! ① What a reader is given (`ReadOptions`, the settings of the run; `FileCtx`, which file a
//! whole-file reader reads and how a reject names it) and what a whole-file reader gives back
//! (`Parsed`: rows and rejects). Below every reader, so the readers and the helpers they share take
//! these from here; `read/mod.rs` builds the one and sends on the other.

use super::config_values::{DatedBy, GivenDate};
use crate::model::Reject;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use std::path::PathBuf;

/// Settings every reader needs.
#[derive(Debug, Clone)]
pub struct ReadOptions {
    pub legacy_tz: Tz,
    /// Rows per batch sent to the stage.
    pub batch_rows: usize,
    /// Version dates the user gave configuration files (`--config-date`).
    pub config_dates: Vec<GivenDate>,
    /// The paths the import was given, against which a `--config-date` FILE may be relative.
    pub roots: Vec<PathBuf>,
}

/// What a reader of a whole-file kind needs to know about the file.
#[derive(Debug, Clone)]
pub struct FileCtx<'a> {
    pub file_no: i32,
    /// The path as the report shows it.
    pub display: &'a str,
    /// The file name alone (version dates, run ids and log names come from it).
    pub name: &'a str,
    pub legacy_tz: Tz,
    /// Modification time: a configuration version's date when nothing else dates it.
    pub modified: Option<DateTime<Utc>>,
    /// The version date the user gave this file (`--config-date`), which wins over any other.
    pub given: Option<DateTime<Utc>>,
}

impl FileCtx<'_> {
    /// A reject at `line` of this file.
    pub fn reject(
        &self,
        line: u64,
        column: Option<usize>,
        field: Option<&str>,
        reason: impl Into<String>,
    ) -> Reject {
        Reject {
            file: self.display.to_owned(),
            line,
            column,
            field: field.map(str::to_owned),
            reason: reason.into(),
        }
    }

    /// A context for unit tests: file 0, UTC, no modification time.
    #[cfg(test)]
    pub fn for_tests(name: &'static str) -> FileCtx<'static> {
        FileCtx {
            file_no: 0,
            display: name,
            name,
            legacy_tz: chrono_tz::UTC,
            modified: None,
            given: None,
        }
    }
}

/// What a whole-file reader produced: every source record is either in `rows` or in `rejects`.
#[derive(Debug, Clone)]
pub struct Parsed<T> {
    pub records: u64,
    pub rows: Vec<T>,
    pub rejects: Vec<Reject>,
    /// Set when the file as a whole could not be read (a document cut short or broken): every
    /// record is then in `rejects`, and this says why, for the file's line in the report.
    pub file_rejected: Option<String>,
    /// A configuration version's date and how it was found (models.yaml, config.py).
    pub version: Option<(DateTime<Utc>, DatedBy)>,
}

impl<T> Default for Parsed<T> {
    fn default() -> Self {
        Self {
            records: 0,
            rows: Vec::new(),
            rejects: Vec::new(),
            file_rejected: None,
            version: None,
        }
    }
}
