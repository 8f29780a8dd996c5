//! ⑤ Report: renders the [`Report`] that every run produces, and never queries: its facts are
//! collected before (by the stages, `account` and the checks, into `model::report`). Three
//! renderings: aligned text for the terminal (`text.rs`), JSON for machines (`--report`, its keys
//! are a contract: README, "The report"), and a self-contained Markdown file for the change ticket
//! (`--report-md`, `markdown.rs`); also the rejects CSV, and writing them all (`output.rs`). No
//! rendering carries legacy prompt or response text: the report holds none.

mod layout;
mod markdown;
pub mod output;
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
