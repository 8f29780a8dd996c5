//! What the pipeline knows of each input file: where it is, what reading it produced, and the
//! records it could not import. Shared by read (which fills them), the ledger, the account of the
//! import and the report.

use super::Kind;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// A record that could not be imported: where it is and why, never its content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reject {
    pub file: String,
    pub line: u64,
    /// 1-based field number, when one field is to blame.
    pub column: Option<usize>,
    /// The column's name under the repaired layout, when known.
    pub field: Option<String>,
    pub reason: String,
}

/// What became of a file as a whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Disposition {
    /// Read: its records are counted as inserted, duplicate or rejected one by one.
    #[default]
    Read,
    /// Its name or content marks it as a legacy kind, but it cannot be read (a damaged header, a
    /// document cut short, a YAML that does not parse): every record it holds is rejected, or the
    /// file counts as one rejected record.
    Rejected,
    /// Nothing marks it as a legacy kind: listed with the reason and skipped.
    Unknown,
    /// Not a regular file (a named pipe, socket or device): listed, never opened.
    Skipped,
}

/// One discovered file, in the order its rows take precedence when they duplicate each other.
#[derive(Debug, Clone)]
pub struct InputFile {
    /// Position in precedence order; orders duplicate rows in the transform.
    pub file_no: i32,
    pub path: PathBuf,
    /// The path as the report shows it.
    pub display: String,
    /// Why the file is not opened at all (it is not a regular file).
    pub skip: Option<String>,
    /// Imported contents this file may have grown from by appends (the ledger's, smaller than the
    /// file, the same path first): the reader proves one a prefix of the file by its SHA-256 and
    /// then reads only what follows it.
    pub prefixes: Vec<Prefix>,
}

/// The ledger's record of an imported content that a later file may continue: it ended with a whole
/// record and its line ending, outside any quoted field (docs/decisions.md, "Grown files").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prefix {
    pub sha256: String,
    pub size: u64,
    /// The last import that saw these bytes.
    pub import_id: i64,
    pub kind: Kind,
    pub variant: Option<String>,
    /// Its data records and how many of them were rejected.
    pub records: u64,
    pub rejected: u64,
    /// Where a continuation starts: the line ends before it and the first CRLF in it.
    pub point: ResumePoint,
    /// The path the ledger last saw these bytes at.
    pub path: String,
}

/// What a reader continuing a content needs to know of it besides its bytes' hash: how many `\n`
/// it holds (the next record starts on the line after) and where its first CRLF is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResumePoint {
    pub line_ends: u64,
    pub first_crlf: Option<u64>,
}

/// A file read from where an imported prefix of it ends: the prefix's records were not read again
/// and are not source records of this import (they were of the import that read them).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resumed {
    /// The last import that saw the prefix's bytes.
    pub import_id: i64,
    /// The prefix's SHA-256, as the ledger holds it.
    pub sha256: String,
    /// Bytes not read again (the prefix's size, which is where reading started).
    pub bytes: u64,
    /// The prefix's data records, and how many of them that import rejected.
    pub records: u64,
    pub rejected: u64,
}

/// What reading one file produced, besides its rows.
#[derive(Debug, Clone, Serialize)]
pub struct FileSummary {
    pub file_no: i32,
    pub path: String,
    pub kind: Kind,
    pub variant: Option<String>,
    /// Data records (excluding the header).
    pub records: u64,
    pub sha256: String,
    pub size: u64,
    pub rejects: Vec<Reject>,
    /// Set when the file's exact bytes were imported before, so it was not read again.
    pub already_imported: Option<AlreadyImported>,
    /// What became of the file as a whole.
    pub disposition: Disposition,
    /// Why a file is rejected, unknown or skipped (never text of the file).
    pub reason: Option<String>,
    /// A configuration version (models.yaml, config.py) read now: its date and how it was found.
    pub version: Option<VersionDate>,
    /// Set when the file was read from where an imported prefix of it ends; `records` and
    /// `rejects` are then those of the bytes after it.
    pub resumed: Option<Resumed>,
    /// Set when the file ended with a whole record and its line ending: a later read of the file
    /// grown by appends may start at its end.
    #[serde(skip)]
    pub resume_point: Option<ResumePoint>,
}

/// The date of a configuration version and how it was found (docs/decisions.md, "Configuration
/// history").
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VersionDate {
    /// RFC 3339, UTC.
    pub at: String,
    /// `given`, `file_name`, `content` or `modification_time`.
    pub dated_by: &'static str,
}

/// The ways a version is dated, as `VersionDate::dated_by` names them.
const DATED_BY: [&str; 4] = ["given", "file_name", "content", "modification_time"];

/// Read back from a stored report: `dated_by` is one of `DATED_BY`, or `unknown` for a name this
/// version does not know.
impl<'de> Deserialize<'de> for VersionDate {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct Stored {
            at: String,
            dated_by: String,
        }
        let stored = Stored::deserialize(d)?;
        Ok(Self {
            at: stored.at,
            dated_by: DATED_BY
                .into_iter()
                .find(|known| *known == stored.dated_by)
                .unwrap_or("unknown"),
        })
    }
}

/// What the ledger knows of a file whose bytes an earlier import read completely.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct AlreadyImported {
    /// The last import that saw these bytes.
    pub import_id: i64,
    /// How many of its records that import rejected.
    pub rejected: u64,
}
