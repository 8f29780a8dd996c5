//! ① `raw_metrics.csv` and its relatives (`.backup`, `raw_metrics_<ts>.csv` and
//! `cloudwatch_metrics_<ts>.csv` downloads): header variants, row-shape repair, value
//! spellings and the doubled-backslash window (docs/formats.md#raw_metrics). Feeds `stage`.
//!
//! This file is the streaming reader; the rules it applies are beside it: `header` (the header
//! variants), `era` (which logger wrote a row), `shape` (the row-shape rule), `backslash` (the
//! doubled-backslash window), `fields` (value parsing by column) and `record` (a row's staging
//! record); `open` opens a file from its start, from where an imported prefix ends, or at a record.

use super::csv_rows::csv_error_kind;
use super::source::TrackingReader;
use super::values::{self, TimestampZone};
use crate::model::Reject;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use fields::{field_reject, Named, MODEL_ID_MAX, MODEL_NAME_MAX, RUN_ID_MAX};
use rust_decimal::Decimal;
use std::io::Read;

mod backslash;
mod era;
mod fields;
mod header;
mod open;
pub mod record;
mod shape;

pub use backslash::{
    backslash_decision, backslash_runs_all_even, halve_backslashes, BackslashDecision,
};
pub use era::Era;
pub use header::{detect_header, Column, Header, CANONICAL};
pub use open::{open, open_at, read};
pub use shape::{layout, Layout, ShapeError, TieBreak};

/// One raw-metrics record after shape repair and value parsing.
#[derive(Debug, Clone, PartialEq)]
pub struct RawRow {
    pub line: u64,
    /// Where the record starts in the file (the parser's position before it, which may be the
    /// `\n` of the CRLF that ended the record before).
    pub byte_offset: u64,
    pub evaluated_at: DateTime<Utc>,
    pub timestamp_zone: TimestampZone,
    pub run_id: Option<String>,
    pub model_name: String,
    pub model_id: String,
    pub legacy_prompt_id: Option<String>,
    pub input_tokens: i32,
    pub output_tokens: i32,
    pub latency_ms: Decimal,
    pub json_valid: Option<bool>,
    pub error: Option<String>,
    pub status: String,
    pub cost_usd_input: Decimal,
    pub cost_usd_output: Decimal,
    pub cost_usd_total: Decimal,
    pub input_prompt: Option<String>,
    pub response: Option<String>,
    pub era: Era,
    pub shape_ambiguous: bool,
    pub backslashes: BackslashDecision,
    pub ended_crlf: bool,
}

/// Why a raw-metrics file's last record without a line ending is rejected.
pub const CUT_NO_LINE_END: &str =
    "the file ends inside this record, without the line ending every \
     raw-metrics writer put after each record: the record was cut short";

/// A streaming reader of one raw-metrics file whose header was already recognised.
pub struct RawMetricsReader<R: Read> {
    csv: csv::Reader<TrackingReader<R>>,
    header: Header,
    file: String,
    legacy_tz: Tz,
    record: csv::ByteRecord,
    /// The file offset the parser started at (its positions count from there).
    base: u64,
}

/// What one record became.
pub enum Item {
    Row(Box<RawRow>),
    Reject(Reject),
}

impl<R: Read> RawMetricsReader<R> {
    /// `csv` must be positioned after the header record, or at a record's start; `base` is the
    /// file offset it started parsing at (its positions count from there, the tracker's from the
    /// file's start).
    pub fn new(
        csv: csv::Reader<TrackingReader<R>>,
        header: Header,
        file: String,
        legacy_tz: Tz,
        base: u64,
    ) -> Self {
        Self {
            csv,
            header,
            file,
            legacy_tz,
            record: csv::ByteRecord::new(),
            base,
        }
    }

    /// The underlying byte tracker (bytes read, SHA-256).
    pub fn into_source(self) -> TrackingReader<R> {
        self.csv.into_inner()
    }

    /// Bytes consumed so far, for progress.
    pub fn bytes_read(&self) -> u64 {
        self.csv.get_ref().bytes_read()
    }

    /// The next record, or `None` at the end. A CSV-level error (bad I/O) ends the file with a reject.
    pub fn next_item(&mut self) -> Option<Item> {
        match self.csv.read_byte_record(&mut self.record) {
            Ok(false) => None,
            Ok(true) => {
                let start = self.base + self.record.position().map_or(0, |p| p.byte());
                let end = self.base + self.csv.position().byte();
                let tracker = self.csv.get_mut();
                let line = tracker.line_at(start);
                let byte_offset = tracker.record_start(start);
                let ended_crlf = tracker.ended_with_crlf(end);
                let file_has_crlf = tracker.crlf_by(end);
                if end == tracker.bytes_read() {
                    // The last record. Every raw-metrics writer (the loggers' csv module, the
                    // dashboard's pandas download) ended each record with a line ending, so one
                    // without is as cut as one that ends inside quotes.
                    let cut = if tracker.ended_inside_quotes() {
                        Some(super::csv_rows::CUT_INSIDE_QUOTES)
                    } else if tracker.ended_without_line_end() {
                        Some(CUT_NO_LINE_END)
                    } else {
                        None
                    };
                    if let Some(reason) = cut {
                        return Some(Item::Reject(self.reject(
                            line,
                            Some(self.record.len()),
                            reason.to_owned(),
                        )));
                    }
                }
                Some(
                    match self.parse(line, byte_offset, ended_crlf, file_has_crlf) {
                        Ok(row) => Item::Row(Box::new(row)),
                        Err(reject) => Item::Reject(reject),
                    },
                )
            }
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                Some(Item::Reject(self.reject(
                    line,
                    None,
                    format!("unreadable CSV: {}", csv_error_kind(&e)),
                )))
            }
        }
    }

    fn reject(&self, line: u64, column: Option<usize>, reason: String) -> Reject {
        Reject {
            file: self.file.clone(),
            line,
            column,
            field: None,
            reason,
        }
    }

    fn reject_field(&self, line: u64, index: usize, column: Column, reason: String) -> Reject {
        field_reject(&self.file, line, index, column, reason)
    }

    /// The record as a row, or the reject of its first bad field.
    fn parse(
        &self,
        line: u64,
        byte_offset: u64,
        ended_crlf: bool,
        file_has_crlf: bool,
    ) -> Result<RawRow, Reject> {
        let shaped = self.shape(line, ended_crlf, file_has_crlf)?;
        let fields = Named {
            file: &self.file,
            line,
            columns: &shaped.layout.columns,
            values: &shaped.values,
        };
        fields.max_len(Column::RunId, RUN_ID_MAX)?;
        fields.max_len(Column::ModelName, MODEL_NAME_MAX)?;
        fields.max_len(Column::ModelId, MODEL_ID_MAX)?;

        let status = fields.text(Column::Status).to_ascii_lowercase();
        if status != "success" && status != "error" {
            let (i, _) = fields
                .get(Column::Status)
                .unwrap_or((shaped.status_index, ""));
            return Err(fields.reject(
                i,
                Column::Status,
                "status is neither success nor error".to_owned(),
            ));
        }
        let model_name = fields.text(Column::ModelName).to_owned();
        let model_id = fields.text(Column::ModelId).to_owned();
        if model_name.is_empty() && model_id.is_empty() {
            let (i, _) = fields.get(Column::ModelName).unwrap_or((2, ""));
            return Err(fields.reject(
                i,
                Column::ModelName,
                "record names no model (model_name and model_id are empty)".to_owned(),
            ));
        }
        let json_valid = match fields.get(Column::JsonValid) {
            Some((i, v)) => values::parse_bool(v)
                .map_err(|e| fields.reject(i, Column::JsonValid, e.to_string()))?,
            None => None,
        };
        Ok(RawRow {
            line,
            byte_offset,
            evaluated_at: shaped.evaluated_at,
            timestamp_zone: shaped.timestamp_zone,
            run_id: fields.optional(Column::RunId),
            model_name,
            model_id,
            legacy_prompt_id: values::normalize_prompt_id(fields.text(Column::PromptId)),
            input_tokens: fields.count(Column::InputTokens)?,
            output_tokens: fields.count(Column::OutputTokens)?,
            latency_ms: fields.fixed(Column::LatencyMs, 10, 2, "latency_ms DECIMAL(10,2)")?,
            json_valid,
            error: fields.optional_text(Column::Error),
            status,
            cost_usd_input: fields.fixed(
                Column::CostUsdInput,
                10,
                6,
                "cost_usd_input DECIMAL(10,6)",
            )?,
            cost_usd_output: fields.fixed(
                Column::CostUsdOutput,
                10,
                6,
                "cost_usd_output DECIMAL(10,6)",
            )?,
            cost_usd_total: fields.fixed(
                Column::CostUsdTotal,
                10,
                6,
                "cost_usd_total DECIMAL(10,6)",
            )?,
            input_prompt: fields.optional_text(Column::InputPrompt),
            response: fields.optional_text(Column::Response),
            era: shaped.era,
            shape_ambiguous: shaped.layout.ambiguous,
            backslashes: shaped.backslashes,
            ended_crlf,
        })
    }

    /// The record's time, writer era and layout (which column each field is), with the fields'
    /// backslashes halved where the doubled-backslash window says so.
    fn shape(&self, line: u64, ended_crlf: bool, file_has_crlf: bool) -> Result<Shaped, Reject> {
        let mut fields = Vec::with_capacity(self.record.len());
        for (i, raw) in self.record.iter().enumerate() {
            let text = super::csv_rows::field_text(raw)
                .map_err(|reason| self.reject(line, Some(i + 1), reason.to_owned()))?;
            fields.push(text);
        }
        if self.header.is_repeated_by(&fields) {
            return Err(self.reject(line, None, "repeated header line".to_owned()));
        }
        let ts_index = self
            .header
            .columns
            .iter()
            .position(|c| *c == Column::Timestamp)
            .unwrap_or(0);
        let ts_field = fields.get(ts_index).copied().unwrap_or("");
        let (evaluated_at, timestamp_zone) = values::parse_timestamp(ts_field, &self.legacy_tz)
            .map_err(|e| self.reject_field(line, ts_index, Column::Timestamp, e.to_string()))?;
        let era = Era::of(evaluated_at);
        let status_index = self
            .header
            .columns
            .iter()
            .position(|c| *c == Column::Status)
            .unwrap_or(10);
        let tie = TieBreak {
            is_error: fields
                .get(status_index)
                .is_some_and(|s| s.eq_ignore_ascii_case("error")),
            extra_is_empty: fields.get(CANONICAL.len()).is_none_or(|s| s.is_empty()),
        };
        let layout = layout(&self.header, fields.len(), era, tie)
            .map_err(|e| self.reject(line, None, e.to_string()))?;

        let has_backslash = fields.iter().any(|f| f.contains('\\'));
        let all_even = fields.iter().all(|f| backslash_runs_all_even(f));
        let backslashes = backslash_decision(
            evaluated_at,
            all_even,
            has_backslash,
            ended_crlf,
            file_has_crlf,
        );
        let values: Vec<String> = if backslashes == BackslashDecision::Keep {
            fields.iter().map(|f| (*f).to_owned()).collect()
        } else {
            fields.iter().map(|f| halve_backslashes(f)).collect()
        };
        Ok(Shaped {
            evaluated_at,
            timestamp_zone,
            era,
            status_index,
            layout,
            backslashes,
            values,
        })
    }
}

/// A record after the row-shape rule and the backslash window, before its values are parsed.
struct Shaped {
    evaluated_at: DateTime<Utc>,
    timestamp_zone: TimestampZone,
    era: Era,
    /// Where the header puts `status`, for a reject when the layout has no status field.
    status_index: usize,
    layout: Layout,
    backslashes: BackslashDecision,
    values: Vec<String>,
}
