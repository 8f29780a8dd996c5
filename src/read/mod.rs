//! ① Read: discovers the legacy files under the given paths, classifies each by its content (the name
//! is only a hint), and parses them in parallel on rayon. Rows go to the stage through a bounded
//! channel, so memory does not grow with the input; rejects and per-file facts come back here.

pub mod aggregates;
pub mod bedrock_log;
pub mod classify;
pub mod config_py;
pub mod config_values;
mod context;
pub mod csv_rows;
mod discover;
pub mod json_sniff;
pub mod json_text;
pub mod models_yaml;
pub mod positions;
pub mod prefix;
pub mod prompts_csv;
pub mod prompts_json;
pub mod pyliteral;
pub mod raw_metrics;
pub mod results_detailed;
pub mod source;
pub mod users_json;
pub mod values;

pub use context::{FileCtx, Parsed, ReadOptions};
pub use discover::{discover, nothing_to_import};

use crate::error::InputError;
use crate::model::{Disposition, FileSummary, InputFile, Kind, Reject, Sinks, VersionDate};
use chrono::{DateTime, Utc};
use rayon::prelude::*;
use source::TrackingReader;
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

/// How much of a file the classifier sees: enough for any header, and the whole of every
/// configuration, users or prompt file the app wrote.
const HEAD_BYTES: u64 = 1024 * 1024;

/// Reads the head of a file and classifies it by content.
fn sniff(
    path: &Path,
    name: &str,
) -> Result<(classify::Classified, Option<raw_metrics::Header>), InputError> {
    let mut file = File::open(path).map_err(|e| InputError::io(path, e))?;
    let mut head = Vec::new();
    file.by_ref()
        .take(HEAD_BYTES)
        .read_to_end(&mut head)
        .map_err(|e| InputError::io(path, e))?;
    let complete = u64::try_from(head.len()).unwrap_or(u64::MAX) < HEAD_BYTES;
    // JSON is classified by streaming its first items from the head and, past it, the file.
    let rest = BufReader::with_capacity(64 * 1024, file);
    let classified = classify::classify(name, &head, complete, rest);
    let header = if classified.kind == Kind::RawMetrics {
        raw_header(&head)
    } else {
        None
    };
    Ok((classified, header))
}

/// Opens a raw-metrics file again to read its records one by one, exactly as the import read it
/// (verify's text fidelity compares them with the database): classified and its header found as
/// the import found them, then opened by `raw_metrics::open`. `Ok(None)` when the file's header is
/// no longer a raw-metrics header.
pub fn reopen_raw_metrics(
    path: &Path,
    display: &str,
    legacy_tz: chrono_tz::Tz,
) -> Result<Option<raw_metrics::RawMetricsReader<File>>, InputError> {
    let Some(header) = raw_metrics_header(path)? else {
        return Ok(None);
    };
    raw_metrics::open(path, header, display, legacy_tz).map(Some)
}

/// The raw-metrics header of a file, classified and found as the import found it; `None` when the
/// file's header is no longer a raw-metrics header.
pub fn raw_metrics_header(path: &Path) -> Result<Option<raw_metrics::Header>, InputError> {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    Ok(sniff(path, name)?.1)
}

/// The raw-metrics header of a file already classified as raw metrics.
fn raw_header(head: &[u8]) -> Option<raw_metrics::Header> {
    let body = head.strip_prefix(source::BOM).unwrap_or(head);
    let quoted = body.first() == Some(&b'"');
    let mut rdr = csv_rows::csv_reader(body);
    let mut record = csv::ByteRecord::new();
    if !matches!(rdr.read_byte_record(&mut record), Ok(true)) {
        return None;
    }
    let fields = record
        .iter()
        .map(std::str::from_utf8)
        .collect::<Result<Vec<_>, _>>()
        .ok()?;
    raw_metrics::detect_header(&fields, quoted)
}

/// The SHA-256 (hex) and size of a file's bytes.
pub fn hash_file(path: &Path) -> Result<(String, u64), InputError> {
    let file = File::open(path).map_err(|e| InputError::io(path, e))?;
    let mut tracker = TrackingReader::hash_only(BufReader::with_capacity(256 * 1024, file));
    std::io::copy(&mut tracker, &mut std::io::sink()).map_err(|e| InputError::io(path, e))?;
    Ok(tracker.finish())
}

/// Reads every file in parallel, sending rows in batches to `sinks`; returns one summary per file in
/// input order. `progress` counts bytes read across all files.
pub fn read_all(
    files: &[InputFile],
    options: &ReadOptions,
    sinks: &Sinks,
    progress: &AtomicU64,
) -> Result<Vec<FileSummary>, InputError> {
    files
        .par_iter()
        .map(|file| read_file(file.file_no, file, options, sinks, progress))
        .collect()
}

fn read_file(
    file_no: i32,
    file: &InputFile,
    options: &ReadOptions,
    sinks: &Sinks,
    progress: &AtomicU64,
) -> Result<FileSummary, InputError> {
    let path = &file.path;
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    let summary = |kind, variant, disposition, reason| FileSummary {
        file_no,
        path: file.display.clone(),
        kind,
        variant,
        records: 0,
        sha256: String::new(),
        size: 0,
        rejects: Vec::new(),
        already_imported: None,
        disposition,
        reason,
        version: None,
        resumed: None,
        resume_point: None,
    };
    if let Some(reason) = &file.skip {
        return Ok(summary(
            Kind::Unknown,
            None,
            Disposition::Skipped,
            Some(reason.clone()),
        ));
    }
    let (mut classified, header) = sniff(path, name)?;
    if classified.kind == Kind::RawMetrics && header.is_none() && classified.damage.is_none() {
        classified.damage = Some(classify::Damage {
            line: 1,
            column: None,
            reason: "the raw_metrics header cannot be read".to_owned(),
        });
    }
    if let Some(damage) = classified.damage.clone() {
        // Named or shaped like a legacy kind but unreadable: one rejected record, never silence.
        let (sha256, size) = hash_file(path)?;
        progress.fetch_add(size, Ordering::Relaxed);
        let mut s = summary(
            classified.kind,
            classified.variant,
            Disposition::Rejected,
            Some(damage.reason.clone()),
        );
        s.records = 1;
        s.sha256 = sha256;
        s.size = size;
        s.rejects.push(Reject {
            file: file.display.clone(),
            line: damage.line,
            column: damage.column,
            field: None,
            reason: damage.reason,
        });
        return Ok(s);
    }
    if let Some(header) = header {
        return raw_metrics::read(file_no, file, header, options, &sinks.metrics, progress);
    }
    if matches!(
        classified.kind,
        Kind::ResultsComparison | Kind::SettingsYaml | Kind::Unknown
    ) {
        // Recognised and skipped (derived tables, settings nothing reads, unknown files): hashed
        // while streamed, never held in memory, whatever their size.
        let (sha256, size) = hash_file(path)?;
        progress.fetch_add(size, Ordering::Relaxed);
        let disposition = if classified.kind == Kind::Unknown {
            Disposition::Unknown
        } else {
            Disposition::Read
        };
        let mut s = summary(
            classified.kind,
            classified.variant,
            disposition,
            classified.reason,
        );
        s.sha256 = sha256;
        s.size = size;
        return Ok(s);
    }
    let mut tracker = TrackingReader::hash_only(BufReader::new(
        File::open(path).map_err(|e| InputError::io(path, e))?,
    ));
    let mut bytes = Vec::new();
    tracker
        .read_to_end(&mut bytes)
        .map_err(|e| InputError::io(path, e))?;
    let (sha256, size) = tracker.finish();
    progress.fetch_add(size, Ordering::Relaxed);
    let modified = std::fs::metadata(path)
        .and_then(|m| m.modified())
        .ok()
        .map(DateTime::<Utc>::from);
    let ctx = FileCtx {
        file_no,
        display: &file.display,
        name,
        legacy_tz: options.legacy_tz,
        modified,
        given: matches!(classified.kind, Kind::ModelsYaml | Kind::ConfigPy)
            .then(|| config_values::given_date(&options.config_dates, path, &options.roots))
            .flatten(),
    };
    let mut version = None;
    let variant = classified.variant.clone().unwrap_or_default();
    let batch = options.batch_rows;
    let (records, rejects, file_rejected) = match classified.kind {
        Kind::PromptsCsv => send(prompts_csv::read(&bytes, &ctx), &sinks.prompts, batch)?,
        Kind::PromptsJson => send(
            prompts_json::read(&bytes, &ctx, &variant),
            &sinks.prompts,
            batch,
        )?,
        Kind::BedrockLog => stream_log(&bytes, &ctx, &variant, &sinks.log_entries, batch)?,
        Kind::ModelsYaml | Kind::ConfigPy => {
            let parsed = if classified.kind == Kind::ModelsYaml {
                models_yaml::read(&bytes, &ctx)
            } else {
                config_py::read(&bytes, &ctx)
            };
            version = parsed.version.map(|(at, by)| VersionDate {
                at: at.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
                dated_by: by.name(),
            });
            send(parsed, &sinks.models, batch)?
        }
        Kind::UsersJson => send(users_json::read(&bytes, &ctx), &sinks.users, batch)?,
        Kind::ModelComparison | Kind::ResultsSummary => send(
            aggregates::read(&bytes, &ctx, classified.kind),
            &sinks.aggregates,
            batch,
        )?,
        Kind::ResultsDetailed => send(results_detailed::read(&bytes, &ctx), &sinks.metrics, batch)?,
        // Handled above: raw metrics stream, skipped kinds are only hashed.
        Kind::RawMetrics | Kind::ResultsComparison | Kind::SettingsYaml | Kind::Unknown => {
            (0, Vec::new(), None)
        }
    };
    let disposition = if file_rejected.is_some() {
        Disposition::Rejected
    } else {
        Disposition::Read
    };
    Ok(FileSummary {
        file_no,
        path: file.display.clone(),
        kind: classified.kind,
        variant: classified.variant,
        records,
        sha256,
        size,
        rejects,
        already_imported: None,
        disposition,
        reason: file_rejected,
        version,
        resumed: None,
        resume_point: None,
    })
}

/// Reads a Bedrock log, sending entries in batches while it reads (logs are the one non-CSV kind
/// that can be large), so memory holds one batch of records, not the file's.
fn stream_log(
    bytes: &[u8],
    ctx: &FileCtx,
    variant: &str,
    sink: &flume::Sender<Vec<crate::model::LogEntryRecord>>,
    batch: usize,
) -> Result<Read3, InputError> {
    let mut pending = Vec::with_capacity(batch);
    let mut closed = false;
    let document = variant != "jsonl";
    let (records, rejects, file_rejected) =
        bedrock_log::read_with(bytes, ctx, document, &mut |r| {
            pending.push(r);
            if pending.len() >= batch.max(1) {
                let full = std::mem::replace(&mut pending, Vec::with_capacity(batch));
                closed = sink.send(full).is_err();
            }
            !closed
        });
    if closed || (!pending.is_empty() && sink.send(pending).is_err()) {
        return Err(InputError::StageClosed);
    }
    Ok((records, rejects, file_rejected))
}

/// A reader's record count, rejects, and why the file was rejected whole, if it was.
type Read3 = (u64, Vec<Reject>, Option<String>);

/// Sends a whole-file reader's rows to their staging channel in batches; returns the record count
/// and the rejects.
fn send<T>(
    parsed: Parsed<T>,
    sink: &flume::Sender<Vec<T>>,
    batch: usize,
) -> Result<Read3, InputError> {
    let mut rows = parsed.rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<T> = rows.by_ref().take(batch.max(1)).collect();
        sink.send(chunk).map_err(|_| InputError::StageClosed)?;
    }
    Ok((parsed.records, parsed.rejects, parsed.file_rejected))
}
