//! ① `raw_metrics.csv` and its relatives (`.backup`, `raw_metrics_<ts>.csv` and
//! `cloudwatch_metrics_<ts>.csv` downloads): header variants, row-shape repair (LEGACY_FORMATS.md
//! 2.1.3), value spellings (2.1.4, 2.6) and the doubled-backslash window. Feeds `stage`.
//!
//! This file is the streaming reader; the rules it applies are beside it: `header` (the header
//! variants), `era` (which logger wrote a row), `shape` (the row-shape rule) and `backslash` (the
//! doubled-backslash window).

use super::source::TrackingReader;
use super::values::{self, TimestampZone, ValueError};
use super::{Disposition, FileSummary, InputFile, Kind, ReadOptions, Reject};
use crate::error::InputError;
use crate::stage::MetricRecord;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use rust_decimal::Decimal;
use std::fs::File;
use std::io::Read;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

mod backslash;
mod era;
mod header;
pub mod record;
mod shape;

pub use backslash::{
    backslash_decision, backslash_runs_all_even, halve_backslashes, BackslashDecision,
};
pub use era::Era;
pub use header::{detect_header, Column, Header, CANONICAL};
pub use shape::{layout, Layout, ShapeError, TieBreak};

/// One raw-metrics record after shape repair and value parsing.
#[derive(Debug, Clone, PartialEq)]
pub struct RawRow {
    pub line: u64,
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

/// Length limits of the target columns, checked here so an over-long value is a reject, never a
/// truncation or a failed transform.
const RUN_ID_MAX: usize = 50;
const MODEL_NAME_MAX: usize = 200;
const MODEL_ID_MAX: usize = 255;

/// A streaming reader of one raw-metrics file whose header was already recognised.
pub struct RawMetricsReader<R: Read> {
    csv: csv::Reader<TrackingReader<R>>,
    header: Header,
    file: String,
    legacy_tz: Tz,
    record: csv::ByteRecord,
}

/// What one record became.
pub enum Item {
    Row(Box<RawRow>),
    Reject(Reject),
}

impl<R: Read> RawMetricsReader<R> {
    /// `csv` must be positioned after the header record.
    pub fn new(
        csv: csv::Reader<TrackingReader<R>>,
        header: Header,
        file: String,
        legacy_tz: Tz,
    ) -> Self {
        Self {
            csv,
            header,
            file,
            legacy_tz,
            record: csv::ByteRecord::new(),
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
                let start = self.record.position().map_or(0, |p| p.byte());
                let end = self.csv.position().byte();
                let tracker = self.csv.get_mut();
                let line = tracker.line_at(start);
                let ended_crlf = tracker.ended_with_crlf(end);
                let file_has_crlf = tracker.saw_crlf();
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
                Some(match self.parse(line, ended_crlf, file_has_crlf) {
                    Ok(row) => Item::Row(Box::new(row)),
                    Err(reject) => Item::Reject(reject),
                })
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
        Reject {
            file: self.file.clone(),
            line,
            column: Some(index + 1),
            field: Some(column.name().to_owned()),
            reason,
        }
    }

    fn parse(&self, line: u64, ended_crlf: bool, file_has_crlf: bool) -> Result<RawRow, Reject> {
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
        let owned: Vec<String> = if backslashes == BackslashDecision::Keep {
            fields.iter().map(|f| (*f).to_owned()).collect()
        } else {
            fields.iter().map(|f| halve_backslashes(f)).collect()
        };
        let get = |c: Column| -> Option<(usize, &str)> {
            layout
                .columns
                .iter()
                .position(|x| *x == c)
                .map(|i| (i, owned[i].as_str()))
        };
        let text = |c: Column| get(c).map(|(_, v)| v).unwrap_or("");
        let check = |c: Column, f: &dyn Fn(&str) -> Result<(), ValueError>| -> Result<(), Reject> {
            match get(c) {
                Some((i, v)) => f(v).map_err(|e| self.reject_field(line, i, c, e.to_string())),
                None => Ok(()),
            }
        };
        let fixed = |c: Column, p: u32, s: u32, target: &'static str| -> Result<Decimal, Reject> {
            match get(c) {
                Some((i, v)) => values::parse_fixed(v, p, s, target)
                    .map(|d| d.unwrap_or_default())
                    .map_err(|e| self.reject_field(line, i, c, e.to_string())),
                None => Ok(Decimal::ZERO),
            }
        };
        let count = |c: Column| -> Result<i32, Reject> {
            match get(c) {
                Some((i, v)) => values::parse_count(v)
                    .map(|n| n.unwrap_or(0))
                    .map_err(|e| self.reject_field(line, i, c, e.to_string())),
                None => Ok(0),
            }
        };
        let max_len = |c: Column, max: usize| {
            check(c, &|v| {
                if v.chars().count() > max {
                    Err(ValueError::OutOfRange {
                        value: format!("{} characters", v.chars().count()),
                        target: too_long_target(c),
                    })
                } else {
                    Ok(())
                }
            })
        };
        max_len(Column::RunId, RUN_ID_MAX)?;
        max_len(Column::ModelName, MODEL_NAME_MAX)?;
        max_len(Column::ModelId, MODEL_ID_MAX)?;

        let status = text(Column::Status).to_ascii_lowercase();
        if status != "success" && status != "error" {
            let (i, _) = get(Column::Status).unwrap_or((status_index, ""));
            return Err(self.reject_field(
                line,
                i,
                Column::Status,
                "status is neither success nor error".to_owned(),
            ));
        }
        let model_name = text(Column::ModelName).to_owned();
        let model_id = text(Column::ModelId).to_owned();
        if model_name.is_empty() && model_id.is_empty() {
            let (i, _) = get(Column::ModelName).unwrap_or((2, ""));
            return Err(self.reject_field(
                line,
                i,
                Column::ModelName,
                "record names no model (model_name and model_id are empty)".to_owned(),
            ));
        }
        let json_valid = match get(Column::JsonValid) {
            Some((i, v)) => values::parse_bool(v)
                .map_err(|e| self.reject_field(line, i, Column::JsonValid, e.to_string()))?,
            None => None,
        };
        let optional = |c: Column| {
            Some(text(c))
                .filter(|v| !values::is_null(v))
                .map(str::to_owned)
        };
        // Response and error text is kept byte-exact: only a truly empty field is NULL there.
        let optional_text = |c: Column| Some(text(c)).filter(|v| !v.is_empty()).map(str::to_owned);
        Ok(RawRow {
            line,
            evaluated_at,
            timestamp_zone,
            run_id: optional(Column::RunId),
            model_name,
            model_id,
            legacy_prompt_id: values::normalize_prompt_id(text(Column::PromptId)),
            input_tokens: count(Column::InputTokens)?,
            output_tokens: count(Column::OutputTokens)?,
            latency_ms: fixed(Column::LatencyMs, 10, 2, "latency_ms DECIMAL(10,2)")?,
            json_valid,
            error: optional_text(Column::Error),
            status,
            cost_usd_input: fixed(Column::CostUsdInput, 10, 6, "cost_usd_input DECIMAL(10,6)")?,
            cost_usd_output: fixed(
                Column::CostUsdOutput,
                10,
                6,
                "cost_usd_output DECIMAL(10,6)",
            )?,
            cost_usd_total: fixed(Column::CostUsdTotal, 10, 6, "cost_usd_total DECIMAL(10,6)")?,
            input_prompt: optional_text(Column::InputPrompt),
            response: optional_text(Column::Response),
            era,
            shape_ambiguous: layout.ambiguous,
            backslashes,
            ended_crlf,
        })
    }
}

/// Reads one raw-metrics file whose header was recognised, sending its staging records to `sink` in
/// batches of `options.batch_rows` and its bytes read to `progress`; the rejects and the file's facts
/// come back in the summary.
pub fn read(
    file_no: i32,
    file: &InputFile,
    header: Header,
    options: &ReadOptions,
    sink: &flume::Sender<Vec<MetricRecord>>,
    progress: &AtomicU64,
) -> Result<FileSummary, InputError> {
    let variant = header.variant.clone();
    let mut reader = open(&file.path, header, &file.display, options.legacy_tz)?;
    let mut rejects = Vec::new();
    let mut records = 0u64;
    let mut batch = Vec::with_capacity(options.batch_rows);
    let mut reported = 0u64;
    while let Some(item) = reader.next_item() {
        records += 1;
        match item {
            Item::Row(row) => batch.push(record::from_row(file_no, &file.display, &row)),
            Item::Reject(reject) => rejects.push(reject),
        }
        if batch.len() >= options.batch_rows {
            let full = std::mem::replace(&mut batch, Vec::with_capacity(options.batch_rows));
            sink.send(full).map_err(|_| InputError::StageClosed)?;
            let now = reader.bytes_read();
            progress.fetch_add(now - reported, Ordering::Relaxed);
            reported = now;
        }
    }
    if !batch.is_empty() {
        sink.send(batch).map_err(|_| InputError::StageClosed)?;
    }
    let (sha256, size) = reader.into_source().finish();
    progress.fetch_add(size.saturating_sub(reported), Ordering::Relaxed);
    Ok(FileSummary {
        file_no,
        path: file.display.clone(),
        kind: Kind::RawMetrics,
        variant: Some(variant),
        records,
        sha256,
        size,
        rejects,
        already_imported: None,
        disposition: Disposition::Read,
        reason: None,
    })
}

/// Opens a raw-metrics file whose header was recognised as `header` and reads past that header
/// record, so the reader yields the data records. The import and verify's re-read both open files
/// here, so both see the same records.
pub fn open(
    path: &Path,
    header: Header,
    display: &str,
    legacy_tz: Tz,
) -> Result<RawMetricsReader<File>, InputError> {
    let handle = File::open(path).map_err(|e| InputError::io(path, e))?;
    let mut csv = super::csv_reader(handle);
    let mut header_record = csv::ByteRecord::new();
    csv.read_byte_record(&mut header_record)
        .map_err(|e| InputError::Csv {
            path: path.to_path_buf(),
            message: csv_error_kind(&e),
        })?;
    Ok(RawMetricsReader::new(
        csv,
        header,
        display.to_owned(),
        legacy_tz,
    ))
}

/// Opens a raw-metrics file again to read its records one by one, exactly as the import read it
/// (verify's text fidelity compares them with the database). `Ok(None)` when the file's header is no
/// longer a raw-metrics header.
pub fn reopen(
    path: &Path,
    display: &str,
    legacy_tz: Tz,
) -> Result<Option<RawMetricsReader<File>>, InputError> {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    let Some(header) = super::sniff(path, name)?.1 else {
        return Ok(None);
    };
    open(path, header, display, legacy_tz).map(Some)
}

fn too_long_target(c: Column) -> &'static str {
    match c {
        Column::RunId => "evaluation_runs.run_id VARCHAR(50)",
        Column::ModelName => "models.name VARCHAR(200)",
        _ => "models.bedrock_model_id VARCHAR(255)",
    }
}

/// A CSV error's kind without the record's content (which may be sensitive text).
pub fn csv_error_kind(e: &csv::Error) -> String {
    match e.kind() {
        csv::ErrorKind::Io(io) => format!("i/o error: {io}"),
        csv::ErrorKind::Utf8 { .. } => "invalid UTF-8".to_owned(),
        csv::ErrorKind::UnequalLengths { .. } => "unequal record lengths".to_owned(),
        _ => "malformed CSV".to_owned(),
    }
}
