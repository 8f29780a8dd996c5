//! ① `raw_metrics.csv` and its relatives (`.backup`, `raw_metrics_<ts>.csv` and
//! `cloudwatch_metrics_<ts>.csv` downloads): header variants, row-shape repair (LEGACY_FORMATS.md
//! 2.1.3), value spellings (2.1.4, 2.6) and the doubled-backslash window. Feeds `stage`.

use super::source::TrackingReader;
use super::values::{self, TimestampZone, ValueError};
use crate::model::Reject;
use chrono::{DateTime, TimeZone, Utc};
use chrono_tz::Tz;
use rust_decimal::Decimal;
use std::io::Read;

/// The columns any raw-metrics writer ever produced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Column {
    Timestamp,
    RunId,
    ModelName,
    ModelId,
    PromptId,
    InputTokens,
    OutputTokens,
    LatencyMs,
    JsonValid,
    Error,
    Status,
    CostUsdInput,
    CostUsdOutput,
    CostUsdTotal,
    InputPrompt,
    Response,
    Source,
}

/// The 14 columns every writer version wrote first, in this order.
pub const CANONICAL: [Column; 14] = [
    Column::Timestamp,
    Column::RunId,
    Column::ModelName,
    Column::ModelId,
    Column::PromptId,
    Column::InputTokens,
    Column::OutputTokens,
    Column::LatencyMs,
    Column::JsonValid,
    Column::Error,
    Column::Status,
    Column::CostUsdInput,
    Column::CostUsdOutput,
    Column::CostUsdTotal,
];

impl Column {
    /// The header name the legacy writers used.
    pub fn name(self) -> &'static str {
        match self {
            Column::Timestamp => "timestamp",
            Column::RunId => "run_id",
            Column::ModelName => "model_name",
            Column::ModelId => "model_id",
            Column::PromptId => "prompt_id",
            Column::InputTokens => "input_tokens",
            Column::OutputTokens => "output_tokens",
            Column::LatencyMs => "latency_ms",
            Column::JsonValid => "json_valid",
            Column::Error => "error",
            Column::Status => "status",
            Column::CostUsdInput => "cost_usd_input",
            Column::CostUsdOutput => "cost_usd_output",
            Column::CostUsdTotal => "cost_usd_total",
            Column::InputPrompt => "input_prompt",
            Column::Response => "response",
            Column::Source => "source",
        }
    }

    fn from_name(name: &str) -> Option<Column> {
        CANONICAL
            .iter()
            .chain(&[Column::InputPrompt, Column::Response, Column::Source])
            .copied()
            .find(|c| c.name() == name)
    }
}

/// A recognised raw-metrics header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    pub columns: Vec<Column>,
    /// `R14`, `R15r`, `R15p`, `R16` or `cloudwatch_download`, with ` quoted` for QUOTE_ALL files.
    pub variant: String,
}

impl Header {
    /// Whether the header starts with the 14 canonical columns, so row-shape repair applies.
    fn is_canonical_prefixed(&self) -> bool {
        self.columns.len() >= CANONICAL.len() && self.columns[..CANONICAL.len()] == CANONICAL
    }

    fn extras(&self) -> &[Column] {
        &self.columns[CANONICAL.len()..]
    }

    /// Whether `fields` are this header repeated (a mid-file header line).
    fn is_repeated_by(&self, fields: &[&str]) -> bool {
        fields.len() == self.columns.len()
            && fields
                .iter()
                .zip(&self.columns)
                .all(|(f, c)| *f == c.name())
    }
}

/// Recognises a raw-metrics header from its field names (BOM already stripped). `quoted` tells
/// whether the header line's first byte was a double quote (files created by logger v04+).
pub fn detect_header(fields: &[&str], quoted: bool) -> Option<Header> {
    let columns: Vec<Column> = fields
        .iter()
        .map(|f| Column::from_name(f))
        .collect::<Option<_>>()?;
    let has_all_canonical = CANONICAL.iter().all(|c| columns.contains(c));
    let unique = columns
        .iter()
        .enumerate()
        .all(|(i, c)| !columns[..i].contains(c));
    if !has_all_canonical || !unique {
        return None;
    }
    let base = if columns[..CANONICAL.len().min(columns.len())] == CANONICAL {
        match &columns[CANONICAL.len()..] {
            [] => "R14",
            [Column::Response] => "R15r",
            [Column::InputPrompt] => "R15p",
            [Column::InputPrompt, Column::Response] => "R16",
            _ => "custom",
        }
    } else if columns.contains(&Column::Source) {
        "cloudwatch_download"
    } else {
        "custom"
    };
    let variant = if quoted {
        format!("{base} quoted")
    } else {
        base.to_owned()
    };
    Some(Header { columns, variant })
}

/// The logger version that wrote a row, placed by the row's timestamp (2.1.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Era {
    /// Loggers v01–v02: a 15th field is always `response`.
    V01V02,
    /// Logger v03 (3 minutes on 2025-11-03): extras in canonical order, no union.
    V03,
    /// Loggers v04+: the header union.
    V04Plus,
}

impl Era {
    /// The era of a row stamped `ts`.
    pub fn of(ts: DateTime<Utc>) -> Era {
        let v03 = Utc.with_ymd_and_hms(2025, 11, 3, 15, 30, 0).unwrap();
        let v04 = Utc.with_ymd_and_hms(2025, 11, 3, 15, 33, 0).unwrap();
        if ts < v03 {
            Era::V01V02
        } else if ts < v04 {
            Era::V03
        } else {
            Era::V04Plus
        }
    }

    fn label(self) -> &'static str {
        match self {
            Era::V01V02 => "v01-v02",
            Era::V03 => "v03",
            Era::V04Plus => "v04+",
        }
    }
}

/// What a single extra field is taken to be when the writers leave it ambiguous (2.1.3 tie-break): the
/// prompt when the row is an error and the field is not empty (errors have no response), else the
/// response.
#[derive(Debug, Clone, Copy)]
pub struct TieBreak {
    pub is_error: bool,
    pub extra_is_empty: bool,
}

impl TieBreak {
    fn pick(self) -> Column {
        if self.is_error && !self.extra_is_empty {
            Column::InputPrompt
        } else {
            Column::Response
        }
    }
}

/// The meaning of each field of one record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    pub columns: Vec<Column>,
    /// True when a tie-break decided the layout (reported, and marked in metadata).
    pub ambiguous: bool,
}

/// Why a record's shape fits no writer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ShapeError {
    #[error("record has {fields} fields; every writer wrote at least the 14 canonical columns")]
    TooFew { fields: usize },
    #[error("record has {fields} fields; under this header no writer wrote more than {max}")]
    TooMany { fields: usize, max: usize },
    #[error("record has {fields} fields but the {header}-column header is not in canonical order")]
    Mismatch { fields: usize, header: usize },
}

/// The decision rule of 2.1.3 that reproduces every writer: which column each of `n` fields is.
pub fn layout(header: &Header, n: usize, era: Era, tie: TieBreak) -> Result<Layout, ShapeError> {
    let exact = |columns: Vec<Column>| {
        Ok(Layout {
            columns,
            ambiguous: false,
        })
    };
    if !header.is_canonical_prefixed() {
        return if n == header.columns.len() {
            exact(header.columns.clone())
        } else {
            Err(ShapeError::Mismatch {
                fields: n,
                header: header.columns.len(),
            })
        };
    }
    if n < CANONICAL.len() {
        return Err(ShapeError::TooFew { fields: n });
    }
    let with = |extras: &[Column], ambiguous: bool| {
        let mut columns = CANONICAL.to_vec();
        columns.extend_from_slice(extras);
        Ok(Layout { columns, ambiguous })
    };
    let k = n - CANONICAL.len();
    let header_extras: Vec<Column> = header
        .extras()
        .iter()
        .copied()
        .filter(|c| matches!(c, Column::InputPrompt | Column::Response))
        .collect();
    match era {
        Era::V01V02 | Era::V03 => match k {
            0 => with(&[], false),
            1 if era == Era::V01V02 => with(&[Column::Response], false),
            1 => with(&[tie.pick()], true),
            2 => with(&[Column::InputPrompt, Column::Response], era == Era::V01V02),
            _ => Err(ShapeError::TooMany {
                fields: n,
                max: CANONICAL.len() + 2,
            }),
        },
        Era::V04Plus => {
            let mut union = header_extras.clone();
            for c in [Column::InputPrompt, Column::Response] {
                if !union.contains(&c) {
                    union.push(c);
                }
            }
            if k <= header_extras.len() {
                with(&header_extras[..k], false)
            } else if k == union.len() {
                with(&union, false)
            } else if k < union.len() {
                // Under R14 one extra field: the batch had either the prompt or the response.
                let mut extras = header_extras.clone();
                extras.push(tie.pick());
                with(&extras, true)
            } else {
                Err(ShapeError::TooMany {
                    fields: n,
                    max: CANONICAL.len() + union.len(),
                })
            }
        }
    }
}

/// Whether every run of backslashes in `s` has even length (a field logger v04 could have written).
pub fn backslash_runs_all_even(s: &str) -> bool {
    let mut run = 0usize;
    for b in s.bytes() {
        if b == b'\\' {
            run += 1;
        } else {
            if run % 2 == 1 {
                return false;
            }
            run = 0;
        }
    }
    run % 2 == 0
}

/// The exact inverse of logger v04's `escapechar='\\'`: halves each run of backslashes.
pub fn halve_backslashes(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut run = 0usize;
    for c in s.chars() {
        if c == '\\' {
            run += 1;
            if run % 2 == 0 {
                out.push('\\');
            }
        } else {
            run = 0;
            out.push(c);
        }
    }
    out
}

/// How the doubled-backslash rule (2.6 #4) applies to a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BackslashDecision {
    Keep,
    Halve,
    /// Halved although a v05 writer may have written the row (no line ending to tell them apart).
    HalveAmbiguous,
}

/// Decides whether a row's backslashes were doubled by logger v04.
pub fn backslash_decision(
    ts: DateTime<Utc>,
    all_runs_even: bool,
    has_backslash: bool,
    ended_crlf: bool,
    file_has_crlf: bool,
) -> BackslashDecision {
    let start = Utc.with_ymd_and_hms(2025, 11, 3, 15, 33, 0).unwrap();
    let overlap = Utc.with_ymd_and_hms(2025, 11, 5, 17, 12, 0).unwrap();
    let end = Utc.with_ymd_and_hms(2025, 11, 5, 21, 17, 0).unwrap();
    if !has_backslash || !all_runs_even || ts < start || ts > end {
        return BackslashDecision::Keep;
    }
    if ts < overlap || ended_crlf {
        return BackslashDecision::Halve;
    }
    if file_has_crlf {
        // A Windows file: v04 rows end CRLF, so an LF row here is v05+ and was not doubled.
        BackslashDecision::Keep
    } else {
        BackslashDecision::HalveAmbiguous
    }
}

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
    pub era: &'static str,
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
            era: era.label(),
            shape_ambiguous: layout.ambiguous,
            backslashes,
            ended_crlf,
        })
    }
}

/// Opens a raw-metrics file again to read its records one by one, exactly as the import read it
/// (verify's text fidelity compares them with the database). `Ok(None)` when the file's header is no
/// longer a raw-metrics header.
pub fn reopen(
    path: &std::path::Path,
    display: &str,
    legacy_tz: Tz,
) -> Result<Option<RawMetricsReader<std::fs::File>>, crate::error::InputError> {
    use crate::error::InputError;
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    let Some(header) = super::sniff(path, name)?.1 else {
        return Ok(None);
    };
    let handle = std::fs::File::open(path).map_err(|e| InputError::io(path, e))?;
    let mut csv = super::csv_reader(handle);
    let mut header_record = csv::ByteRecord::new();
    csv.read_byte_record(&mut header_record)
        .map_err(|e| InputError::Csv {
            path: path.to_path_buf(),
            message: csv_error_kind(&e),
        })?;
    Ok(Some(RawMetricsReader::new(
        csv,
        header,
        display.to_owned(),
        legacy_tz,
    )))
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

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn names(extra: &[&str]) -> Vec<&'static str> {
        let mut v: Vec<&'static str> = CANONICAL.iter().map(|c| c.name()).collect();
        for e in extra {
            v.push(Column::from_name(e).unwrap().name());
        }
        v
    }

    fn header(extra: &[&str]) -> Header {
        detect_header(&names(extra), false).unwrap()
    }

    fn ts(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    const NO_TIE: TieBreak = TieBreak {
        is_error: false,
        extra_is_empty: false,
    };
    const ERROR_WITH_TEXT: TieBreak = TieBreak {
        is_error: true,
        extra_is_empty: false,
    };

    #[test]
    fn the_four_headers_are_recognised_quoted_or_not() {
        assert_eq!(header(&[]).variant, "R14");
        assert_eq!(header(&["response"]).variant, "R15r");
        assert_eq!(header(&["input_prompt"]).variant, "R15p");
        assert_eq!(
            detect_header(&names(&["input_prompt", "response"]), true)
                .unwrap()
                .variant,
            "R16 quoted"
        );
        assert!(
            detect_header(&["prompt_id", "prompt", "expected_json", "category"], false).is_none()
        );
    }

    #[test]
    fn the_cloudwatch_download_header_is_a_variant() {
        let h = [
            "timestamp",
            "run_id",
            "model_name",
            "model_id",
            "prompt_id",
            "input_prompt",
            "input_tokens",
            "output_tokens",
            "latency_ms",
            "json_valid",
            "error",
            "status",
            "cost_usd_input",
            "cost_usd_output",
            "cost_usd_total",
            "response",
            "source",
        ];
        let header = detect_header(&h, false).unwrap();
        assert_eq!(header.variant, "cloudwatch_download");
        assert_eq!(
            layout(&header, 17, Era::V04Plus, NO_TIE).unwrap().columns,
            header.columns
        );
        assert!(layout(&header, 16, Era::V04Plus, NO_TIE).is_err());
    }

    #[test]
    fn union_rows_under_r15r_end_response_then_input_prompt() {
        let l = layout(&header(&["response"]), 16, Era::V04Plus, NO_TIE).unwrap();
        assert_eq!(&l.columns[14..], &[Column::Response, Column::InputPrompt]);
        assert!(!l.ambiguous);
    }

    #[test]
    fn union_rows_under_r15p_and_r14_end_input_prompt_then_response() {
        let l = layout(&header(&["input_prompt"]), 16, Era::V04Plus, NO_TIE).unwrap();
        assert_eq!(&l.columns[14..], &[Column::InputPrompt, Column::Response]);
        let l = layout(&header(&[]), 16, Era::V04Plus, NO_TIE).unwrap();
        assert_eq!(&l.columns[14..], &[Column::InputPrompt, Column::Response]);
    }

    #[test]
    fn a_fifteenth_field_before_v03_is_always_the_response() {
        for h in [
            header(&[]),
            header(&["input_prompt"]),
            header(&["input_prompt", "response"]),
        ] {
            let l = layout(&h, 15, Era::V01V02, ERROR_WITH_TEXT).unwrap();
            assert_eq!(&l.columns[14..], &[Column::Response]);
        }
    }

    #[test]
    fn a_lone_extra_in_v03_or_under_r14_is_a_tie_break() {
        let l = layout(&header(&["response"]), 15, Era::V03, ERROR_WITH_TEXT).unwrap();
        assert_eq!(&l.columns[14..], &[Column::InputPrompt]);
        assert!(l.ambiguous);
        let l = layout(&header(&[]), 15, Era::V04Plus, NO_TIE).unwrap();
        assert_eq!(&l.columns[14..], &[Column::Response]);
        assert!(l.ambiguous);
    }

    #[test]
    fn short_rows_leave_trailing_columns_null_and_too_short_rows_are_rejected() {
        let l = layout(
            &header(&["input_prompt", "response"]),
            14,
            Era::V04Plus,
            NO_TIE,
        )
        .unwrap();
        assert_eq!(l.columns.len(), 14);
        assert_eq!(
            layout(&header(&["response"]), 10, Era::V04Plus, NO_TIE),
            Err(ShapeError::TooFew { fields: 10 })
        );
        assert!(matches!(
            layout(&header(&["response"]), 17, Era::V04Plus, NO_TIE),
            Err(ShapeError::TooMany { .. })
        ));
    }

    #[test]
    fn eras_follow_the_logger_history() {
        assert_eq!(Era::of(ts("2025-11-03T15:29:59Z")), Era::V01V02);
        assert_eq!(Era::of(ts("2025-11-03T15:31:00Z")), Era::V03);
        assert_eq!(Era::of(ts("2025-11-03T15:33:00Z")), Era::V04Plus);
    }

    #[test]
    fn backslashes_are_halved_only_inside_the_v04_window() {
        let inside = ts("2025-11-04T10:00:00Z");
        assert_eq!(
            backslash_decision(inside, true, true, false, false),
            BackslashDecision::Halve
        );
        assert_eq!(
            backslash_decision(inside, false, true, false, false),
            BackslashDecision::Keep
        );
        assert_eq!(
            backslash_decision(ts("2025-11-06T10:00:00Z"), true, true, true, true),
            BackslashDecision::Keep
        );
        let overlap = ts("2025-11-05T18:00:00Z");
        assert_eq!(
            backslash_decision(overlap, true, true, true, true),
            BackslashDecision::Halve
        );
        assert_eq!(
            backslash_decision(overlap, true, true, false, true),
            BackslashDecision::Keep
        );
        assert_eq!(
            backslash_decision(overlap, true, true, false, false),
            BackslashDecision::HalveAmbiguous
        );
    }

    #[test]
    fn halving_examples() {
        assert_eq!(
            halve_backslashes(r#"{\\"a\\": \\"x\\\\ny\\"}"#),
            r#"{\"a\": \"x\\ny\"}"#
        );
        assert!(backslash_runs_all_even(r"a\\b\\\\c"));
        assert!(!backslash_runs_all_even(r"a\b"));
    }

    proptest! {
        #[test]
        fn halving_is_the_exact_inverse_of_doubling(s in "[a-z\\\\\"\n]{0,40}") {
            let doubled = s.replace('\\', "\\\\");
            prop_assert!(backslash_runs_all_even(&doubled));
            prop_assert_eq!(halve_backslashes(&doubled), s);
        }

        #[test]
        fn every_field_count_has_a_layout_or_a_reason(n in 0usize..40, extras in 0usize..4, era in 0u8..3, err in any::<bool>(), empty in any::<bool>()) {
            let all = [vec![], vec!["response"], vec!["input_prompt"], vec!["input_prompt", "response"]];
            let h = header(&all[extras]);
            let era = [Era::V01V02, Era::V03, Era::V04Plus][usize::from(era)];
            match layout(&h, n, era, TieBreak { is_error: err, extra_is_empty: empty }) {
                Ok(l) => {
                    prop_assert_eq!(l.columns.len(), n);
                    prop_assert_eq!(&l.columns[..14], &CANONICAL[..]);
                    let mut seen = l.columns.clone();
                    seen.sort_by_key(|c| c.name());
                    seen.dedup();
                    prop_assert_eq!(seen.len(), n, "a column appears twice");
                }
                Err(_) => prop_assert!(!(14..=15).contains(&n)),
            }
        }
    }
}
