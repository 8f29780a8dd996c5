//! ① Opening a raw-metrics file whose header was recognised: from its start (the import, verify's
//! sequential re-read), from where an imported prefix of it ends (a file grown by appends, whose
//! prefix the ledger's SHA-256 proves unchanged), or at one record (verify seeking to a sampled
//! row). Each yields the records at the lines and offsets a read from the start gives them, because
//! the tracker starts with what is known of the bytes before (line ends, first CRLF, hash state).

use super::{record, Header, Item, RawMetricsReader};
use crate::error::InputError;
use crate::model::{
    Disposition, FileSummary, InputFile, Kind, MetricRecord, Prefix, ResumePoint, Resumed,
};
use crate::read::context::ReadOptions;
use crate::read::csv_rows::{csv_error_kind, csv_reader, csv_reader_from};
use crate::read::prefix::{self, Candidate};
use crate::read::source::{Start, TrackingReader};
use chrono_tz::Tz;
use std::fs::File;
use std::io::{Seek, SeekFrom};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

/// The parser's buffer when it reads one record at an offset and moves on.
const AT_RECORD_BUFFER: usize = 16 * 1024;

/// Reads one raw-metrics file whose header was recognised, sending its staging records to `sink` in
/// batches of `options.batch_rows` and its bytes read to `progress`; the rejects and the file's facts
/// come back in the summary. A file that begins with a content the ledger offers (`file.prefixes`)
/// is read from where that content ends, and its summary says so.
pub fn read(
    file_no: i32,
    file: &InputFile,
    header: Header,
    options: &ReadOptions,
    sink: &flume::Sender<Vec<MetricRecord>>,
    progress: &AtomicU64,
) -> Result<FileSummary, InputError> {
    let variant = header.variant.clone();
    let (mut reader, resumed) = open_for_import(file, header, options.legacy_tz)?;
    let mut reported = resumed.as_ref().map_or(0, |r| r.bytes);
    progress.fetch_add(reported, Ordering::Relaxed);
    let mut rejects = Vec::new();
    let mut records = 0u64;
    let mut batch = Vec::with_capacity(options.batch_rows);
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
            progress.fetch_add(now.saturating_sub(reported), Ordering::Relaxed);
            reported = now;
        }
    }
    if !batch.is_empty() {
        sink.send(batch).map_err(|_| InputError::StageClosed)?;
    }
    let source = reader.into_source();
    let resume_point = source.end_as_start().map(|start| ResumePoint {
        line_ends: start.line_ends,
        first_crlf: start.first_crlf,
    });
    let (sha256, size) = source.finish();
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
        version: None,
        resumed,
        resume_point,
    })
}

/// Opens `file` from where the longest of its offered prefixes (same kind and header variant) ends,
/// when one is proven; else from its start.
fn open_for_import(
    file: &InputFile,
    header: Header,
    legacy_tz: Tz,
) -> Result<(RawMetricsReader<File>, Option<Resumed>), InputError> {
    let path = &file.path;
    let offered: Vec<&Prefix> = file
        .prefixes
        .iter()
        .filter(|p| p.kind == Kind::RawMetrics && p.variant.as_deref() == Some(&header.variant))
        .collect();
    if !offered.is_empty() {
        let mut handle = File::open(path).map_err(|e| InputError::io(path, e))?;
        let candidates: Vec<Candidate> = offered
            .iter()
            .map(|p| Candidate {
                size: p.size,
                sha256: &p.sha256,
            })
            .collect();
        let proven = prefix::longest_proven(&mut handle, &candidates)
            .map_err(|e| InputError::io(path, e))?;
        if let Some(proven) = proven {
            let prefix = offered[proven.index];
            handle
                .seek(SeekFrom::Start(prefix.size))
                .map_err(|e| InputError::io(path, e))?;
            let start = Start {
                offset: prefix.size,
                line_ends: prefix.point.line_ends,
                first_crlf: prefix.point.first_crlf,
                hasher: proven.state,
                after_cr: false,
            };
            let csv = csv_reader_from(TrackingReader::starting(handle, start), 256 * 1024);
            let reader =
                RawMetricsReader::new(csv, header, file.display.clone(), legacy_tz, prefix.size);
            let resumed = Resumed {
                import_id: prefix.import_id,
                sha256: prefix.sha256.clone(),
                bytes: prefix.size,
                records: prefix.records,
                rejected: prefix.rejected,
            };
            return Ok((reader, Some(resumed)));
        }
    }
    Ok((open(path, header, &file.display, legacy_tz)?, None))
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
    let mut csv = csv_reader(handle);
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
        0,
    ))
}

/// Opens a raw-metrics file whose header was recognised as `header` at `start`, the offset of a
/// record (verify seeking to a sampled row), reading a few KB at a time. What `start` says of the
/// bytes before it (line ends, first CRLF) is taken as given; its hash state is not needed.
pub fn open_at(
    path: &Path,
    header: Header,
    display: &str,
    legacy_tz: Tz,
    start: Start,
) -> Result<RawMetricsReader<File>, InputError> {
    let mut handle = File::open(path).map_err(|e| InputError::io(path, e))?;
    handle
        .seek(SeekFrom::Start(start.offset))
        .map_err(|e| InputError::io(path, e))?;
    let offset = start.offset;
    let csv = csv_reader_from(TrackingReader::starting(handle, start), AT_RECORD_BUFFER);
    Ok(RawMetricsReader::new(
        csv,
        header,
        display.to_owned(),
        legacy_tz,
        offset,
    ))
}
