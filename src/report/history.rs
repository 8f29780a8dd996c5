//! ⑤ The history of imports (`bellatrix-migrate history`), as the ledger gave it (`crate::history`):
//! two aligned tables for the terminal, the imports and the files each was given, or one JSON
//! array for machines (`--json`). Paths, kinds, counts, roles and times only, never legacy text.

use super::layout::Table;
use super::text::aligned;
use crate::error::{Error, Result};
use crate::model::history::{utc, ImportEntry};
use std::fmt::Write as _;

/// What the history says where the ledger does not know (imports recorded before it kept who ran
/// them, a count a stored report lacks).
const UNKNOWN: &str = "unknown";

/// The history as JSON: an array of imports, newest first, ending with a newline.
pub fn to_json(entries: &[ImportEntry]) -> Result<String> {
    let mut text = serde_json::to_string_pretty(entries)
        .map_err(Error::report_json("encoding the history"))?;
    text.push('\n');
    Ok(text)
}

/// The history for the terminal: a line saying how many imports, the table of imports and the
/// table of their files.
pub fn to_text(entries: &[ImportEntry]) -> String {
    if entries.is_empty() {
        return "bellatrix-migrate history: no import is recorded in this database\n".to_owned();
    }
    let mut s = format!(
        "bellatrix-migrate history: {} import(s), newest first\n\n",
        entries.len()
    );
    for table in [imports(entries), files(entries)] {
        for line in aligned(&table).lines() {
            let _ = writeln!(s, " {}", line.trim_end());
        }
        s.push('\n');
    }
    for entry in entries {
        if let Some(reverted) = &entry.reverted {
            let _ = writeln!(
                s,
                "import {} was reverted at {} by {}",
                entry.id,
                utc(&reverted.at),
                reverted.by
            );
        }
    }
    s
}

/// One row per import.
fn imports(entries: &[ImportEntry]) -> Table {
    let count = |n: Option<i64>| n.map_or_else(|| UNKNOWN.to_owned(), |n| n.to_string());
    let rows = entries
        .iter()
        .map(|e| {
            vec![
                e.id.to_string(),
                utc(&e.started_at),
                utc(&e.finished_at),
                e.outcome.label().to_owned(),
                e.tool_version.clone(),
                e.files.len().to_string(),
                count(e.records.inserted),
                count(e.records.duplicate),
                count(e.records.rejected),
                count(e.records.updated),
                e.run_by.clone().unwrap_or_else(|| UNKNOWN.to_owned()),
                application(e.application_name.as_deref()),
            ]
        })
        .collect();
    Table {
        header: vec![
            "id",
            "started (UTC)",
            "finished (UTC)",
            "outcome",
            "version",
            "files",
            "inserted",
            "duplicate",
            "rejected",
            "updated",
            "run by",
            "application",
        ],
        rows,
        numeric: vec![0, 5, 6, 7, 8, 9],
    }
}

/// One row per file of each import, in the imports' order.
fn files(entries: &[ImportEntry]) -> Table {
    let rows = entries
        .iter()
        .flat_map(|e| {
            e.files.iter().map(|f| {
                vec![
                    e.id.to_string(),
                    f.kind.clone(),
                    f.state().to_owned(),
                    f.path.clone(),
                ]
            })
        })
        .collect();
    Table {
        header: vec!["import", "kind", "file", "path"],
        rows,
        numeric: vec![0],
    }
}

/// The application name as the history shows it: `unknown` when the ledger did not keep it, `-`
/// when the session had none.
fn application(name: Option<&str>) -> String {
    match name {
        None => UNKNOWN.to_owned(),
        Some("") => "-".to_owned(),
        Some(name) => name.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::history::{HistoryCounts, HistoryFile, ImportOutcome};
    use chrono::{TimeZone, Utc};

    fn entry(id: i64, outcome: &str, run_by: Option<&str>) -> ImportEntry {
        let at = |s| Utc.with_ymd_and_hms(2026, 12, 1, 17, 5, s).single();
        ImportEntry {
            id,
            started_at: at(0).expect("a valid time"),
            finished_at: at(9).expect("a valid time"),
            outcome: ImportOutcome::from_label(outcome),
            tool_version: "0.1.0".to_owned(),
            files: vec![HistoryFile {
                path: format!("drop{id}/raw_metrics.csv"),
                kind: "raw_metrics".to_owned(),
                status: Some("new".to_owned()),
                disposition: Some("read".to_owned()),
            }],
            records: HistoryCounts {
                inserted: Some(12),
                duplicate: Some(3),
                rejected: None,
                updated: Some(0),
            },
            run_by: run_by.map(str::to_owned),
            application_name: run_by.map(|_| "bellatrix-migrate".to_owned()),
            reverted: (outcome == "reverted").then(|| crate::model::history::Reverted {
                at: at(30).expect("a valid time"),
                by: "owner".to_owned(),
            }),
        }
    }

    #[test]
    fn a_reverted_import_says_when_and_by_whom() {
        let entries = [
            entry(2, "reverted", Some("importer")),
            entry(1, "committed", None),
        ];
        let text = to_text(&entries);
        assert!(
            text.contains("import 2 was reverted at 2026-12-01T17:05:30Z by owner"),
            "{text}"
        );
        assert!(!text.contains("import 1 was reverted"), "{text}");
        let json: serde_json::Value = serde_json::from_str(&to_json(&entries).unwrap()).unwrap();
        assert_eq!(json[0]["reverted"]["by"], "owner");
        assert_eq!(json[0]["reverted"]["at"], "2026-12-01T17:05:30Z");
        assert!(json[1]["reverted"].is_null());
    }

    #[test]
    fn the_text_lists_each_import_and_names_its_files() {
        let text = to_text(&[
            entry(2, "dry-run", Some("importer")),
            entry(1, "committed", None),
        ]);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[0],
            "bellatrix-migrate history: 2 import(s), newest first"
        );
        let header = lines[2].split_whitespace().collect::<Vec<_>>().join(" ");
        assert_eq!(
            header,
            "id started (UTC) finished (UTC) outcome version files inserted duplicate rejected \
             updated run by application"
        );
        let words = |line: &str| {
            line.split_whitespace()
                .map(str::to_owned)
                .collect::<Vec<_>>()
        };
        assert_eq!(
            words(lines[3]),
            [
                "2",
                "2026-12-01T17:05:00Z",
                "2026-12-01T17:05:09Z",
                "dry-run",
                "0.1.0",
                "1",
                "12",
                "3",
                "unknown",
                "0",
                "importer",
                "bellatrix-migrate"
            ]
        );
        assert!(
            words(lines[4]).ends_with(&["unknown".to_owned(), "unknown".to_owned()]),
            "who ran an import recorded before the ledger kept it: {}",
            lines[4]
        );
        assert!(text.contains("drop2/raw_metrics.csv"), "{text}");
        let file_row = text
            .lines()
            .find(|l| l.contains("drop1/raw_metrics.csv"))
            .unwrap_or_default();
        assert_eq!(
            words(file_row),
            ["1", "raw_metrics", "new", "drop1/raw_metrics.csv"]
        );
    }

    #[test]
    fn an_empty_ledger_says_so_in_one_line() {
        assert_eq!(
            to_text(&[]),
            "bellatrix-migrate history: no import is recorded in this database\n"
        );
        assert_eq!(to_json(&[]).ok().as_deref(), Some("[]\n"));
    }

    #[test]
    fn the_json_is_an_array_with_utc_times_outcome_words_and_nulls_for_what_is_unknown() {
        let json = to_json(&[entry(1, "committed", None)]).unwrap_or_default();
        let value: serde_json::Value = serde_json::from_str(&json).unwrap_or_default();
        assert_eq!(
            value,
            serde_json::json!([{
                "id": 1,
                "started_at": "2026-12-01T17:05:00Z",
                "finished_at": "2026-12-01T17:05:09Z",
                "outcome": "committed",
                "tool_version": "0.1.0",
                "files": [{
                    "path": "drop1/raw_metrics.csv",
                    "kind": "raw_metrics",
                    "status": "new",
                    "disposition": "read"
                }],
                "records": {"inserted": 12, "duplicate": 3, "rejected": null, "updated": 0},
                "run_by": null,
                "application_name": null,
                "reverted": null
            }])
        );
    }

    #[test]
    fn an_empty_application_name_is_a_dash_and_a_missing_one_unknown() {
        assert_eq!(application(None), "unknown");
        assert_eq!(application(Some("")), "-");
        assert_eq!(application(Some("cutover")), "cutover");
    }
}
