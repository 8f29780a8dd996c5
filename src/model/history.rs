//! The history of imports (`bellatrix-migrate history`): one entry per row of the ledger's
//! `bellatrix_migrate.imports`, as `history.rs` reads it and `report/history.rs` renders it. Paths,
//! kinds, counts, roles and times only: never legacy text. Its JSON keys are a contract (README,
//! "history").

use chrono::{DateTime, Utc};
use serde::Serialize;

/// How an import ended, as the ledger's `outcome` column says it (and its JSON, `label`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImportOutcome {
    Committed,
    DryRun,
    RolledBack,
    /// A committed import taken back later by `revert`.
    Reverted,
    /// A word this version does not know (written by a newer one).
    Other(String),
}

impl ImportOutcome {
    /// The outcome the ledger's column `label` names.
    pub fn from_label(label: &str) -> Self {
        match label {
            "committed" => Self::Committed,
            "dry-run" => Self::DryRun,
            "rolled-back" => Self::RolledBack,
            "reverted" => Self::Reverted,
            other => Self::Other(other.to_owned()),
        }
    }

    /// The ledger's word for it.
    pub fn label(&self) -> &str {
        match self {
            Self::Committed => "committed",
            Self::DryRun => "dry-run",
            Self::RolledBack => "rolled-back",
            Self::Reverted => "reverted",
            Self::Other(other) => other,
        }
    }
}

impl Serialize for ImportOutcome {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.label())
    }
}

/// A time as the history shows it: RFC 3339 in UTC, to the second (`2026-12-01T17:05:09Z`).
pub fn utc(at: &DateTime<Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn serialize_utc<S: serde::Serializer>(at: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&utc(at))
}

/// One file an import was given, as its stored report lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct HistoryFile {
    pub path: String,
    /// The legacy kind (`raw_metrics`, `users_json`, …) or `unknown`.
    pub kind: String,
    /// `new` or `already-imported` (its exact bytes were read before).
    pub status: Option<String>,
    /// `read`, `rejected`, `unknown` or `skipped`.
    pub disposition: Option<String>,
}

impl HistoryFile {
    /// One word for what became of the file: its disposition unless it was read, else whether its
    /// bytes were new.
    pub fn state(&self) -> &str {
        match (self.disposition.as_deref(), self.status.as_deref()) {
            (Some(d), _) if d != "read" => d,
            (_, Some(status)) => status,
            _ => "unknown",
        }
    }
}

/// How an import's source records ended, from its stored report (`None`: the report does not say).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct HistoryCounts {
    pub inserted: Option<i64>,
    pub duplicate: Option<i64>,
    pub rejected: Option<i64>,
    /// Records that changed a row an earlier import wrote (a later version of a user).
    pub updated: Option<i64>,
}

/// One import of the ledger.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImportEntry {
    pub id: i64,
    #[serde(serialize_with = "serialize_utc")]
    pub started_at: DateTime<Utc>,
    #[serde(serialize_with = "serialize_utc")]
    pub finished_at: DateTime<Utc>,
    pub outcome: ImportOutcome,
    pub tool_version: String,
    pub files: Vec<HistoryFile>,
    /// For a dry run or a rolled-back import: what it would have done.
    pub records: HistoryCounts,
    /// The role that ran it (`current_user`); `None` for imports recorded before the ledger kept it.
    pub run_by: Option<String>,
    /// The session's `application_name`; `None` as for `run_by`.
    pub application_name: Option<String>,
    /// When and by which role `revert` took the import back; `None` unless it did.
    pub reverted: Option<Reverted>,
}

/// When and by whom an import was reverted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reverted {
    #[serde(serialize_with = "serialize_utc")]
    pub at: DateTime<Utc>,
    pub by: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcomes_read_back_as_the_ledger_wrote_them_and_unknown_words_survive() {
        for label in [
            "committed",
            "dry-run",
            "rolled-back",
            "reverted",
            "archived",
        ] {
            let outcome = ImportOutcome::from_label(label);
            assert_eq!(outcome.label(), label);
            assert_eq!(
                serde_json::to_value(&outcome).ok(),
                Some(serde_json::Value::from(label))
            );
        }
        assert_eq!(
            ImportOutcome::from_label("archived"),
            ImportOutcome::Other("archived".to_owned())
        );
    }

    #[test]
    fn a_file_says_its_disposition_unless_it_was_read() {
        let file = |status: Option<&str>, disposition: Option<&str>| HistoryFile {
            path: "a.csv".to_owned(),
            kind: "raw_metrics".to_owned(),
            status: status.map(str::to_owned),
            disposition: disposition.map(str::to_owned),
        };
        assert_eq!(file(Some("new"), Some("read")).state(), "new");
        assert_eq!(
            file(Some("already-imported"), Some("read")).state(),
            "already-imported"
        );
        assert_eq!(file(Some("new"), Some("unknown")).state(), "unknown");
        assert_eq!(file(None, Some("skipped")).state(), "skipped");
        assert_eq!(file(None, None).state(), "unknown");
    }
}
