//! ④ Source fidelity: re-reads the source records of imported raw_metrics rows and compares them with
//! what the database holds. Two checks come out of one pass: `text_fidelity` (response and error text
//! equal the source, after the documented repairs, byte for byte) and `no_clipped_values` (latency and
//! costs equal the source; every value at the limit of its DECIMAL type, which is what a silently
//! clipped overflow would look like, is confirmed by its source).
//!
//! The ledger names each row's file and line, and (rows imported since migration 0007) the byte
//! offset of its source record. Rows are fetched per file in line order. When a file has a few
//! thousand rows to compare at most (a sample, or the rows an import appended), each is found by
//! seeking to its offset and parsing just that record with the import's own reader (`seek.rs`), a
//! few KB per row whatever the file's size; rows without an offset, and the rows of a file compared
//! in bulk (`--full`), are found by reading the file once from the start with that reader (memory
//! stays flat, a bounded channel between the row stream and the reader). A record is only compared when its natural key equals the ledger's: a file edited since
//! the import is skipped, not failed; if the file's SHA-256 is still the one the import saw, a line
//! or offset that no longer yields its row is a failure (the ledger or the reader changed). Details
//! name table, file and line, lengths and hash prefixes, never the text.

mod seek;
mod tally;

use super::Options;
use crate::error::{Error, InputError, Result};
use crate::model::{Check, MetricRecord};
use crate::read::raw_metrics::{self, Item};
use crate::read::{self, source::TrackingReader};
use crate::sql;
use chrono_tz::Tz;
use futures_util::{pin_mut, StreamExt};
use rust_decimal::Decimal;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use tally::{difference, Tally, NAMED};
use tokio_postgres::types::{FromSql, ToSql};
use tokio_postgres::{GenericClient, Row};
use uuid::Uuid;

/// Stored rows in flight between the database stream and the file reader.
const IN_FLIGHT: usize = 256;

/// Up to how many rows of a file are compared by seeking to each; more are found by reading the
/// file once (a seek reads a few KB per row; a sequential read, the whole file once).
const SEEK_ROWS: u64 = 4096;

/// About how many of a file's `rows` (`at_limit` of them always compared) a comparison of `sample`
/// of `total` rows compares.
fn expected_rows(rows: u64, at_limit: u64, total: u64, sample: Option<u64>) -> u64 {
    let sampled = match sample {
        Some(n) if n < total => rows.saturating_mul(n) / total.max(1),
        _ => rows,
    };
    sampled.saturating_add(at_limit).min(rows)
}

/// How many checks [`check`] returns.
pub const CHECKS: usize = 2;

/// Runs both checks over the rows of `import` (or every import).
pub async fn check(
    client: &impl GenericClient,
    import: Option<i64>,
    options: &Options,
) -> Result<[Check; CHECKS]> {
    let sources = sources(client, import).await?;
    let total: u64 = sources.iter().map(|s| s.rows).sum();
    let at_limit: u64 = sources.iter().map(|s| s.at_limit).sum();
    let sample = options.sample.map(|n| i64::try_from(n).unwrap_or(i64::MAX));
    let total_param = i64::try_from(total).unwrap_or(i64::MAX);
    let mut tally = Tally::default();
    for source in sources {
        let path = resolve(&options.source_root, &source.file);
        if !path.is_file() {
            tally.skip(&source.file, source.rows, source.at_limit, "not found");
            continue;
        }
        let Ok(tz) = source.tz.parse::<Tz>() else {
            tally.skip(
                &source.file,
                source.rows,
                source.at_limit,
                "imported under an unknown time zone",
            );
            continue;
        };
        let (sender, receiver) = flume::bounded(IN_FLIGHT);
        let (file, tz_name) = (source.file.clone(), source.tz.clone());
        let seek = expected_rows(source.rows, source.at_limit, total, options.sample) <= SEEK_ROWS;
        let worker =
            tokio::task::spawn_blocking(move || compare_file(&path, &source, tz, seek, &receiver));
        let params: [&(dyn ToSql + Sync); 5] = [&import, &file, &tz_name, &sample, &total_param];
        let stream = client
            .query_raw(sql::FIDELITY_ROWS, params)
            .await
            .map_err(Error::db(format!("reading the stored rows of {file}")))?;
        pin_mut!(stream);
        while let Some(row) = stream.next().await {
            let row = row.map_err(Error::db(format!("reading the stored rows of {file}")))?;
            if sender.send_async(Stored::from_row(&row)?).await.is_err() {
                break;
            }
        }
        drop(sender);
        let found = worker
            .await
            .map_err(Error::join("re-reading the source files"))?
            .map_err(Error::from)?;
        tally.merge(found);
    }
    Ok(tally.into_checks(total, at_limit, options.sample))
}

/// The ledger's view of one source file, as read under one time zone.
struct Source {
    file: String,
    tz: String,
    /// The file's SHA-256 as each import that wrote rows from it saw it.
    sha_at_import: HashMap<i64, Option<String>>,
    rows: u64,
    at_limit: u64,
}

async fn sources(client: &impl GenericClient, import: Option<i64>) -> Result<Vec<Source>> {
    let mut by_file: BTreeMap<(String, String), Source> = BTreeMap::new();
    for row in client
        .query(sql::FIDELITY_FILES, &[&import])
        .await
        .map_err(Error::db("listing the source files to re-read"))?
    {
        let file: String = row.get(0);
        let tz: String = row.get(2);
        let source = by_file
            .entry((file.clone(), tz.clone()))
            .or_insert_with(|| Source {
                file,
                tz,
                sha_at_import: HashMap::new(),
                rows: 0,
                at_limit: 0,
            });
        source.sha_at_import.insert(row.get(1), row.get(3));
        source.rows += u64::try_from(row.get::<_, i64>(4)).unwrap_or(0);
        source.at_limit += u64::try_from(row.get::<_, i64>(5)).unwrap_or(0);
    }
    Ok(by_file.into_values().collect())
}

/// A path of `metadata.source`: as given when absolute, else under the import's working directory.
fn resolve(root: &Path, file: &str) -> PathBuf {
    let path = Path::new(file);
    if path.is_absolute() {
        path.to_path_buf()
    } else {
        root.join(path)
    }
}

/// One imported row as stored.
struct Stored {
    line: u64,
    import_id: i64,
    source_key: String,
    table: String,
    id: Uuid,
    /// False when the ledger's row is gone (reported by `ledger_rows_exist`).
    found: bool,
    response: Option<String>,
    error: Option<String>,
    numbers: [(&'static str, Option<Decimal>); 4],
    at_limit: bool,
    /// Where its source record starts, when the import recorded it.
    byte_offset: Option<u64>,
}

impl Stored {
    fn from_row(row: &Row) -> Result<Stored> {
        let line: i64 = get(row, 0)?;
        Ok(Stored {
            line: u64::try_from(line).unwrap_or(0),
            import_id: get(row, 1)?,
            source_key: get(row, 2)?,
            table: get(row, 3)?,
            id: get(row, 4)?,
            found: get(row, 5)?,
            response: get(row, 6)?,
            error: get(row, 7)?,
            numbers: [
                ("latency_ms", get(row, 8)?),
                ("cost_usd_input", get(row, 9)?),
                ("cost_usd_output", get(row, 10)?),
                ("cost_usd_total", get(row, 11)?),
            ],
            at_limit: get(row, 12)?,
            byte_offset: get::<Option<i64>>(row, 13)?.and_then(|o| u64::try_from(o).ok()),
        })
    }

    fn place(&self, file: &str) -> String {
        format!("{} {}:{} (id {})", self.table, file, self.line, self.id)
    }
}

fn get<'a, T: FromSql<'a>>(row: &'a Row, column: usize) -> Result<T> {
    row.try_get(column)
        .map_err(Error::db("reading a stored row to compare"))
}

/// Rows of one import that did not match their line: how many, how many held a value at a limit,
/// and the first lines.
#[derive(Debug, Default)]
struct Unmatched {
    rows: u64,
    at_limit: u64,
    lines: Vec<u64>,
}

/// Compares each stored row (arriving in line order) with its source record: the one at its byte
/// offset when `seek` and the offset is known, else the one at its line, reading `path` once.
fn compare_file(
    path: &Path,
    source: &Source,
    tz: Tz,
    seek: bool,
    rows: &flume::Receiver<Stored>,
) -> Result<Tally, InputError> {
    let mut tally = Tally::default();
    let mut sequential = Sequential {
        reader: read::reopen_raw_metrics(path, &source.file, tz)?,
        current: None,
        eof: false,
    };
    sequential.eof = sequential.reader.is_none();
    let mut seeker = if seek {
        seek::Seeker::new(path, &source.file, tz)?
    } else {
        None
    };
    let mut unmatched: BTreeMap<i64, Unmatched> = BTreeMap::new();
    for stored in rows.iter() {
        if !stored.found {
            continue;
        }
        let record = match (seeker.as_mut(), stored.byte_offset) {
            (Some(seeker), Some(offset)) => seeker.record_at(offset, stored.line)?,
            _ => sequential.record_at(stored.line, &source.file),
        }
        .filter(|record| record.source_key == stored.source_key);
        match record {
            Some(record) => compare(&stored, &record, &source.file, &mut tally),
            None => {
                let entry = unmatched.entry(stored.import_id).or_default();
                entry.rows += 1;
                entry.at_limit += u64::from(stored.at_limit);
                if entry.lines.len() < NAMED {
                    entry.lines.push(stored.line);
                }
            }
        }
    }
    let reader = sequential.reader;
    if unmatched.is_empty() {
        return Ok(tally);
    }
    let current_sha = match reader {
        Some(reader) => sha256_of_rest(reader.into_source(), path)?,
        None => sha256_of_rest(
            TrackingReader::new(std::fs::File::open(path).map_err(|e| InputError::io(path, e))?),
            path,
        )?,
    };
    for (import_id, missed) in unmatched {
        let unchanged = source
            .sha_at_import
            .get(&import_id)
            .is_some_and(|sha| sha.as_deref() == Some(current_sha.as_str()));
        if unchanged {
            for line in &missed.lines {
                tally.lost.add(|| {
                    format!(
                        "{}:{line} no longer yields the row import {import_id} recorded (at its line or byte offset), though the file is unchanged",
                        source.file
                    )
                });
            }
            tally.lost.count += missed.rows - u64::try_from(missed.lines.len()).unwrap_or(0);
        } else {
            tally.skipped.push(format!(
                "{}: changed since import {import_id} ({} rows no longer at their line)",
                source.file, missed.rows
            ));
            tally.skipped_rows += missed.rows;
            tally.skipped_at_limit += missed.at_limit;
        }
    }
    Ok(tally)
}

/// The file read once from its start, for rows found by their line.
struct Sequential {
    reader: Option<raw_metrics::RawMetricsReader<std::fs::File>>,
    current: Option<Item>,
    eof: bool,
}

impl Sequential {
    /// The staging record of the row at `line`, reading on to it (lines come in order).
    fn record_at(&mut self, line: u64, file: &str) -> Option<MetricRecord> {
        while !self.eof
            && self
                .current
                .as_ref()
                .is_none_or(|item| line_of(item) < line)
        {
            self.current = self
                .reader
                .as_mut()
                .and_then(raw_metrics::RawMetricsReader::next_item);
            self.eof = self.current.is_none();
        }
        match &self.current {
            Some(Item::Row(row)) if row.line == line => {
                Some(raw_metrics::record::from_row(0, file, row))
            }
            _ => None,
        }
    }
}

fn line_of(item: &Item) -> u64 {
    match item {
        Item::Row(row) => row.line,
        Item::Reject(reject) => reject.line,
    }
}

/// Reads what the reader has not consumed yet, so the tracker's hash covers the whole file.
fn sha256_of_rest(
    mut source: TrackingReader<std::fs::File>,
    path: &Path,
) -> Result<String, InputError> {
    source.forget_lines();
    std::io::copy(&mut source, &mut std::io::sink()).map_err(|e| InputError::io(path, e))?;
    Ok(source.finish().0)
}

/// Compares one stored row with the record read again from its source.
fn compare(stored: &Stored, record: &MetricRecord, file: &str, tally: &mut Tally) {
    tally.compared += 1;
    // master_model_evaluations.response_text is NOT NULL: an empty response is stored as ''.
    let source_response = if stored.table == "master_model_evaluations" {
        Some(record.response_text.clone().unwrap_or_default())
    } else {
        record.response_text.clone()
    };
    for (column, kept, read) in [
        ("response_text", &stored.response, &source_response),
        ("error_message", &stored.error, &record.error_message),
    ] {
        if kept != read {
            tally.text_differs.add(|| {
                format!(
                    "{}: {column} differs from the source ({})",
                    stored.place(file),
                    difference(kept.as_deref(), read.as_deref())
                )
            });
        }
    }
    let read = [
        record.latency_ms,
        record.cost_usd_input,
        record.cost_usd_output,
        record.cost_usd_total,
    ];
    let mut numbers_equal = true;
    for ((column, kept), read) in stored.numbers.iter().zip(read) {
        if let Some(kept) = kept.filter(|kept| *kept != read) {
            numbers_equal = false;
            tally.numbers_differ.add(|| {
                format!(
                    "{}: {column} stored {kept}, source {read}",
                    stored.place(file)
                )
            });
        }
    }
    if stored.at_limit && numbers_equal {
        tally.at_limit_confirmed += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_few_rows_are_sought_and_many_read_in_one_pass() {
        // An import's own check of the one row it appended to a large file: seek.
        assert!(expected_rows(1, 0, 1, Some(1000)) <= SEEK_ROWS);
        // A sample of 1000 of a million rows in one file: seek.
        assert_eq!(expected_rows(1_000_000, 3, 1_000_000, Some(1000)), 1003);
        // Every row of a large file (--full): one sequential read.
        assert!(expected_rows(200_000, 0, 200_000, None) > SEEK_ROWS);
        assert_eq!(expected_rows(10, 50, 10, Some(5)), 10);
    }

    #[test]
    fn relative_sources_resolve_under_the_root_and_absolute_ones_stay() {
        assert_eq!(
            resolve(Path::new("/data"), "drop/raw.csv"),
            PathBuf::from("/data/drop/raw.csv")
        );
        assert_eq!(
            resolve(Path::new("/data"), "/abs/raw.csv"),
            PathBuf::from("/abs/raw.csv")
        );
    }
}
