//! ⑤ Report: renders the [`Report`] that every run produces, and never queries: its facts are
//! collected before (by the stages, `account` and the checks, into `model::report`). Three
//! renderings: aligned text for the terminal (`text.rs`), JSON for machines (`--report`, its keys
//! are a contract: README, "The report"), and a self-contained Markdown file for the change ticket
//! (`--report-md`, `markdown.rs`); also the rejects CSV, and writing them all (`output.rs`), to
//! files or stdout (`-`, `output_path.rs`); and the history of imports, as tables or JSON
//! (`history.rs`). No rendering carries legacy prompt or
//! response text: the report holds none.

pub mod history;
mod layout;
mod markdown;
pub mod output;
pub mod output_path;
pub mod revert;
mod text;

use crate::model::{FileSummary, Reject, Report};
use std::io::Write;

impl Report {
    /// Writes the JSON rendering to `out`.
    pub fn write_json(&self, out: &mut dyn Write) -> std::io::Result<()> {
        serde_json::to_writer_pretty(&mut *out, self)?;
        out.write_all(b"\n")
    }

    /// Writes the Markdown rendering to `out`.
    pub fn write_markdown(&self, out: &mut dyn Write) -> std::io::Result<()> {
        out.write_all(self.to_markdown().as_bytes())
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

#[cfg(test)]
mod tests {
    use crate::model::report::{FileReport, FileStatus, Mode, Report};
    use crate::model::{Check, Disposition, Kind, Reject, VersionDate};

    /// A report with something in most sections, as an import leaves it.
    fn filled() -> Report {
        let mut report = Report::new(
            Mode::DryRun,
            "postgresql://u@h:5432/db".to_owned(),
            "UTC".to_owned(),
        );
        report.outcome = Some("dry run: rolled back, production tables unchanged".to_owned());
        report.files.push(FileReport {
            file_no: 1,
            path: "drop/models.yaml".to_owned(),
            kind: Kind::default(),
            variant: None,
            records: 4,
            sha256: "ab".repeat(32),
            status: FileStatus::New,
            previous_import: None,
            inserted: 3,
            duplicate: 0,
            rejected: 1,
            updated: 0,
            disposition: Disposition::Read,
            reason: None,
            version: Some(VersionDate {
                at: "2025-11-19T00:00:00Z".to_owned(),
                dated_by: "modification_time",
            }),
            resumed: None,
        });
        let reject = Reject {
            file: "drop/models.yaml".to_owned(),
            line: 7,
            column: Some(2),
            field: Some("input_cost".to_owned()),
            reason: "\"x\" is not a number".to_owned(),
        };
        report.add_transform_reject(1, reject, "models");
        report.set_checks(vec![
            Check::new("reconciliation", true, "ok".to_owned()),
            Check::informational("legacy_aggregates_agree", false, "differs".to_owned()),
        ]);
        report
    }

    #[test]
    fn a_stored_report_renders_as_the_run_rendered_it() {
        let report = filled();
        let stored = serde_json::to_value(&report).unwrap_or_default();
        let back: Report = serde_json::from_value(stored.clone()).expect("a stored report reads");
        assert_eq!(back.to_text(), report.to_text());
        assert_eq!(back.to_markdown(), report.to_markdown());
        assert_eq!(serde_json::to_value(&back).unwrap_or_default(), stored);
    }

    #[test]
    fn a_report_stored_by_an_older_version_reads_with_its_missing_keys_empty() {
        let mut stored = serde_json::to_value(filled()).unwrap_or_default();
        if let Some(keys) = stored.as_object_mut() {
            keys.retain(|k, _| {
                ["mode", "tool_version", "generated_at", "checks"].contains(&k.as_str())
            });
        }
        if let Some(check) = stored["checks"][1].as_object_mut() {
            check.remove("blocking");
            check.remove("skipped");
        }
        let back: Report = serde_json::from_value(stored).expect("an older report reads");
        assert_eq!(back.mode, Mode::DryRun);
        assert!(back.files.is_empty() && back.outcome.is_none());
        assert!(back.checks[1].blocking, "checks were all blocking then");
        assert!(back.to_text().contains("reconciliation"));
    }
}
