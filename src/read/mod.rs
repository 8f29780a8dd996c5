//! ① Read: discovers the legacy files under the given paths, classifies each by its content (the name
//! is only a hint), and parses them in parallel on rayon. Rows go to the stage through a bounded
//! channel, so memory does not grow with the input; rejects and per-file facts come back here.

pub mod raw_metrics;
pub mod source;
pub mod values;

use crate::error::InputError;
use crate::stage::{MetricRecord, Sinks};
use chrono_tz::Tz;
use rayon::prelude::*;
use serde::Serialize;
use source::TrackingReader;
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// A record that could not be imported: where it is and why, never its content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reject {
    pub file: String,
    pub line: u64,
    /// 1-based field number, when one field is to blame.
    pub column: Option<usize>,
    /// The column's name under the repaired layout, when known.
    pub field: Option<String>,
    pub reason: String,
}

/// The kinds of DECISIONS.md; this version reads `raw_metrics` and lists the rest as `unknown`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    RawMetrics,
    Unknown,
}

/// One discovered file, in the order its rows take precedence when they duplicate each other.
#[derive(Debug, Clone)]
pub struct InputFile {
    /// Position in precedence order; orders duplicate rows in the transform.
    pub file_no: i32,
    pub path: PathBuf,
    /// The path as the report shows it.
    pub display: String,
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
}

/// What the ledger knows of a file whose bytes an earlier import read completely.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct AlreadyImported {
    /// The last import that saw these bytes.
    pub import_id: i64,
    /// How many of its records that import rejected.
    pub rejected: u64,
}

/// Walks files and folders, returning regular files ordered by precedence (originals before backups
/// before browser downloads, then by path) so that, among duplicate rows, the highest-fidelity copy
/// is the one imported.
pub fn discover(paths: &[PathBuf]) -> Result<Vec<InputFile>, InputError> {
    let mut found = Vec::new();
    for root in paths {
        if !root.exists() {
            return Err(InputError::Missing(root.clone()));
        }
        for entry in walkdir::WalkDir::new(root)
            .follow_links(true)
            .sort_by_file_name()
        {
            let entry = entry.map_err(|e| InputError::Walk {
                path: e.path().map_or_else(|| root.clone(), Path::to_path_buf),
                message: e.to_string(),
            })?;
            if entry.file_type().is_file() {
                found.push(InputFile {
                    file_no: 0,
                    display: entry.path().display().to_string(),
                    path: entry.into_path(),
                });
            }
        }
    }
    found.sort_by_key(|f| (precedence(&f.path), f.display.clone()));
    found.dedup_by(|a, b| a.path == b.path);
    for (i, f) in found.iter_mut().enumerate() {
        f.file_no = i32::try_from(i).map_err(|_| InputError::TooManyFiles)?;
    }
    Ok(found)
}

/// Lower is better: the file the app wrote, its backup, then re-serialised downloads.
fn precedence(path: &Path) -> u8 {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    if name.ends_with(".backup") {
        1
    } else if name.starts_with("raw_metrics_") || name.starts_with("cloudwatch_metrics_") {
        2
    } else {
        0
    }
}

/// The UTF-8 byte-order mark some tools put before a CSV header.
const BOM: &[u8] = b"\xEF\xBB\xBF";

fn csv_reader<R: Read>(inner: R) -> csv::Reader<TrackingReader<R>> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .buffer_capacity(256 * 1024)
        .flexible(true)
        .from_reader(TrackingReader::new(inner))
}

/// Reads the first record of a CSV file and recognises a raw-metrics header.
fn sniff_raw_metrics(path: &Path) -> Result<Option<raw_metrics::Header>, InputError> {
    let file = File::open(path).map_err(|e| InputError::io(path, e))?;
    let mut head = Vec::new();
    file.take(64 * 1024)
        .read_to_end(&mut head)
        .map_err(|e| InputError::io(path, e))?;
    let body = head.strip_prefix(BOM).unwrap_or(&head);
    let quoted = body.first() == Some(&b'"');
    let mut rdr = csv_reader(body);
    let mut record = csv::ByteRecord::new();
    if !matches!(rdr.read_byte_record(&mut record), Ok(true)) {
        return Ok(None);
    }
    let Ok(fields) = record
        .iter()
        .map(std::str::from_utf8)
        .collect::<Result<Vec<_>, _>>()
    else {
        return Ok(None);
    };
    Ok(raw_metrics::detect_header(&fields, quoted))
}

/// The SHA-256 (hex) and size of a file's bytes.
pub fn hash_file(path: &Path) -> Result<(String, u64), InputError> {
    let file = File::open(path).map_err(|e| InputError::io(path, e))?;
    let mut tracker = TrackingReader::new(BufReader::with_capacity(256 * 1024, file));
    std::io::copy(&mut tracker, &mut std::io::sink()).map_err(|e| InputError::io(path, e))?;
    Ok(tracker.finish())
}

/// Settings every reader needs.
#[derive(Debug, Clone)]
pub struct ReadOptions {
    pub legacy_tz: Tz,
    /// Rows per batch sent to the stage.
    pub batch_rows: usize,
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
    match sniff_raw_metrics(path)? {
        Some(header) => read_raw_metrics(file_no, file, header, options, &sinks.metrics, progress),
        None => {
            let (sha256, size) = hash_file(path)?;
            progress.fetch_add(size, Ordering::Relaxed);
            Ok(FileSummary {
                file_no,
                path: file.display.clone(),
                kind: Kind::Unknown,
                variant: None,
                records: 0,
                sha256,
                size,
                rejects: Vec::new(),
                already_imported: None,
            })
        }
    }
}

fn read_raw_metrics(
    file_no: i32,
    file: &InputFile,
    header: raw_metrics::Header,
    options: &ReadOptions,
    sink: &flume::Sender<Vec<MetricRecord>>,
    progress: &AtomicU64,
) -> Result<FileSummary, InputError> {
    let path = &file.path;
    let handle = File::open(path).map_err(|e| InputError::io(path, e))?;
    let mut csv = csv_reader(handle);
    let mut header_record = csv::ByteRecord::new();
    csv.read_byte_record(&mut header_record)
        .map_err(|e| InputError::Csv {
            path: path.clone(),
            message: raw_metrics::csv_error_kind(&e),
        })?;
    let variant = header.variant.clone();
    let mut reader =
        raw_metrics::RawMetricsReader::new(csv, header, file.display.clone(), options.legacy_tz);
    let mut rejects = Vec::new();
    let mut records = 0u64;
    let mut batch = Vec::with_capacity(options.batch_rows);
    let mut reported = 0u64;
    while let Some(item) = reader.next_item() {
        records += 1;
        match item {
            raw_metrics::Item::Row(row) => {
                batch.push(MetricRecord::from_raw(file_no, &file.display, &row))
            }
            raw_metrics::Item::Reject(reject) => rejects.push(reject),
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
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn originals_come_before_backups_and_downloads() {
        let mut names = [
            PathBuf::from("Downloads/raw_metrics_20251112_093000.csv"),
            PathBuf::from("data/runs/raw_metrics.csv.backup"),
            PathBuf::from("data/runs/raw_metrics.csv"),
        ];
        names.sort_by_key(|p| (precedence(p), p.display().to_string()));
        assert_eq!(names[0], PathBuf::from("data/runs/raw_metrics.csv"));
        assert_eq!(
            names[2],
            PathBuf::from("Downloads/raw_metrics_20251112_093000.csv")
        );
    }
}
