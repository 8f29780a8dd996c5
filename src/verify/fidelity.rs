//! ④ Source fidelity: re-reads the source records of imported raw_metrics rows and compares them with
//! what the database holds. Two checks come out of one pass: `text_fidelity` (response and error text
//! equal the source, after the documented repairs, byte for byte) and `no_clipped_values` (latency and
//! costs equal the source; every value at the limit of its DECIMAL type, which is what a silently
//! clipped overflow would look like, is confirmed by its source).
//!
//! The ledger names each row's file and line. Rows are fetched per file in line order and the file is
//! read once with the import's own reader, so a sample costs one sequential read per file, not one
//! seek per row, and memory stays flat (a bounded channel between the row stream and the reader).
//! A record is only compared when its natural key equals the ledger's: a file edited since the import
//! is skipped, not failed; if the file's SHA-256 is still the one the import saw, a line that no longer
//! yields its row is a failure (the ledger or the reader changed). Details name table, file and line,
//! lengths and hash prefixes, never the text.

use super::Options;
use crate::error::{Error, InputError, Result};
use crate::read::raw_metrics::{self, Item};
use crate::read::source::TrackingReader;
use crate::report::Check;
use crate::sql;
use crate::stage::MetricRecord;
use chrono_tz::Tz;
use futures_util::{pin_mut, StreamExt};
use rust_decimal::Decimal;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use tokio_postgres::types::{FromSql, ToSql};
use tokio_postgres::{GenericClient, Row};
use uuid::Uuid;

/// How many offending rows a detail names (all are counted).
const NAMED: usize = 10;

/// Stored rows in flight between the database stream and the file reader.
const IN_FLIGHT: usize = 256;

/// Runs both checks over the rows of `import` (or every import).
pub async fn check(
    client: &impl GenericClient,
    import: Option<i64>,
    options: &Options,
) -> Result<[Check; 2]> {
    let sources = sources(client, import).await?;
    let total: u64 = sources.iter().map(|s| s.rows).sum();
    let at_limit: u64 = sources.iter().map(|s| s.at_limit).sum();
    let sample = options.sample.map(|n| i64::try_from(n).unwrap_or(i64::MAX));
    let total_param = i64::try_from(total).unwrap_or(i64::MAX);
    let mut tally = Tally::default();
    for source in sources {
        let path = resolve(&options.source_root, &source.file);
        if !path.is_file() {
            tally.skip(&source, "not found");
            continue;
        }
        let Ok(tz) = source.tz.parse::<Tz>() else {
            tally.skip(&source, "imported under an unknown time zone");
            continue;
        };
        let (sender, receiver) = flume::bounded(IN_FLIGHT);
        let (file, tz_name) = (source.file.clone(), source.tz.clone());
        let worker =
            tokio::task::spawn_blocking(move || compare_file(&path, &source, tz, &receiver));
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
            .map_err(|e| Error::Task(e.to_string()))?
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

/// Offending rows: all counted, the first few named.
#[derive(Debug, Default)]
struct Findings {
    count: u64,
    named: Vec<String>,
}

impl Findings {
    fn add(&mut self, describe: impl FnOnce() -> String) {
        self.count += 1;
        if self.named.len() < NAMED {
            self.named.push(describe());
        }
    }

    fn merge(&mut self, other: Findings) {
        self.count += other.count;
        let room = NAMED.saturating_sub(self.named.len());
        self.named.extend(other.named.into_iter().take(room));
    }
}

/// What comparing rows with their sources found.
#[derive(Debug, Default)]
struct Tally {
    compared: u64,
    text_differs: Findings,
    numbers_differ: Findings,
    /// Lines that no longer yield their row although the file is unchanged since its import.
    lost: Findings,
    at_limit_confirmed: u64,
    /// Why rows were not compared, per file.
    skipped: Vec<String>,
    skipped_rows: u64,
    skipped_at_limit: u64,
}

impl Tally {
    fn skip(&mut self, source: &Source, why: &str) {
        self.skipped
            .push(format!("{}: {why} ({} rows)", source.file, source.rows));
        self.skipped_rows += source.rows;
        self.skipped_at_limit += source.at_limit;
    }

    fn merge(&mut self, other: Tally) {
        self.compared += other.compared;
        self.text_differs.merge(other.text_differs);
        self.numbers_differ.merge(other.numbers_differ);
        self.lost.merge(other.lost);
        self.at_limit_confirmed += other.at_limit_confirmed;
        self.skipped.extend(other.skipped);
        self.skipped_rows += other.skipped_rows;
        self.skipped_at_limit += other.skipped_at_limit;
    }
}

/// Rows of one import that did not match their line: how many, how many held a value at a limit,
/// and the first lines.
#[derive(Debug, Default)]
struct Unmatched {
    rows: u64,
    at_limit: u64,
    lines: Vec<u64>,
}

/// Reads `path` once, comparing each stored row (arriving in line order) with the record at its line.
fn compare_file(
    path: &Path,
    source: &Source,
    tz: Tz,
    rows: &flume::Receiver<Stored>,
) -> Result<Tally, InputError> {
    let mut tally = Tally::default();
    let mut reader = raw_metrics::reopen(path, &source.file, tz)?;
    let mut eof = reader.is_none();
    let mut current: Option<Item> = None;
    let mut unmatched: BTreeMap<i64, Unmatched> = BTreeMap::new();
    for stored in rows.iter() {
        if !stored.found {
            continue;
        }
        while !eof
            && current
                .as_ref()
                .is_none_or(|item| line_of(item) < stored.line)
        {
            current = reader
                .as_mut()
                .and_then(raw_metrics::RawMetricsReader::next_item);
            eof = current.is_none();
        }
        let record = match &current {
            Some(Item::Row(row)) if row.line == stored.line => {
                Some(MetricRecord::from_raw(0, &source.file, row))
                    .filter(|record| record.source_key == stored.source_key)
            }
            _ => None,
        };
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
                        "{}:{line} no longer yields the row import {import_id} recorded, though the file is unchanged",
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

/// How two texts differ, by length, hash prefix and first differing byte: never the text.
pub fn difference(stored: Option<&str>, source: Option<&str>) -> String {
    let describe = |text: Option<&str>| match text {
        None => "NULL".to_owned(),
        Some(t) => {
            let hash = hex::encode(Sha256::digest(t.as_bytes()));
            format!(
                "{} bytes, sha256 {}…",
                t.len(),
                hash.get(..12).unwrap_or(&hash)
            )
        }
    };
    let first = match (stored, source) {
        (Some(a), Some(b)) => {
            let at = a
                .bytes()
                .zip(b.bytes())
                .position(|(x, y)| x != y)
                .unwrap_or(a.len().min(b.len()));
            format!(", first difference at byte {at}")
        }
        _ => String::new(),
    };
    format!(
        "stored {}, source {}{first}",
        describe(stored),
        describe(source)
    )
}

impl Tally {
    /// The two checks. `total` rows were in scope, `at_limit` of them held a value at a limit.
    fn into_checks(self, total: u64, at_limit: u64, sample: Option<u64>) -> [Check; 2] {
        if total == 0 {
            let none = "no imported raw_metrics rows to compare with their source";
            return [
                Check::skipped("no_clipped_values", none),
                Check::skipped("text_fidelity", none),
            ];
        }
        let chosen = match sample {
            Some(n) if n < total => {
                format!("a random sample of about {n} of {total} imported rows")
            }
            _ => format!("all {total} imported rows"),
        };
        let not_compared = if self.skipped.is_empty() {
            String::new()
        } else {
            format!("; not compared: {}", self.skipped.join("; "))
        };
        let text_ok = self.text_differs.count == 0 && self.lost.count == 0;
        let text_detail = if text_ok {
            format!(
                "{} rows compared ({chosen}): response_text and error_message equal their source records{not_compared}",
                self.compared
            )
        } else {
            let mut parts = Vec::new();
            if self.text_differs.count > 0 {
                parts.push(format!(
                    "{} texts differ from their source records: {}",
                    self.text_differs.count,
                    self.text_differs.named.join("; ")
                ));
            }
            if self.lost.count > 0 {
                parts.push(format!(
                    "{} rows are not at the line the ledger names: {}",
                    self.lost.count,
                    self.lost.named.join("; ")
                ));
            }
            format!(
                "{} ({} rows compared, {chosen}){not_compared}",
                parts.join("; "),
                self.compared
            )
        };
        let numbers_ok = self.numbers_differ.count == 0;
        let unconfirmed = if self.skipped_at_limit > 0 {
            format!(", {} could not be re-read", self.skipped_at_limit)
        } else {
            String::new()
        };
        let numbers_detail = if numbers_ok {
            format!(
                "{at_limit} rows hold a value at the limit of its DECIMAL type, {} confirmed by their source{unconfirmed}; \
                 latency and costs of the {} rows compared ({chosen}) equal their source{not_compared}",
                self.at_limit_confirmed, self.compared
            )
        } else {
            format!(
                "{} values differ from their source records (clipped or altered): {} ({} rows compared, {chosen})",
                self.numbers_differ.count,
                self.numbers_differ.named.join("; "),
                self.compared
            )
        };
        let nothing_compared = self.compared == 0 && text_ok && numbers_ok;
        let make = |name: &str, ok: bool, detail: String| {
            if nothing_compared {
                Check::skipped(name, &detail)
            } else {
                Check::new(name, ok, detail)
            }
        };
        [
            make("no_clipped_values", numbers_ok, numbers_detail),
            make("text_fidelity", text_ok, text_detail),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_difference_names_lengths_hashes_and_the_first_differing_byte_never_the_text() {
        let shown = difference(Some("secret note A"), Some("secret note B"));
        assert!(!shown.contains("secret"), "{shown}");
        assert!(shown.contains("13 bytes"), "{shown}");
        assert!(shown.contains("first difference at byte 12"), "{shown}");
        assert_eq!(
            difference(None, Some("x")),
            format!(
                "stored NULL, source 1 bytes, sha256 {}…",
                &hex::encode(Sha256::digest(b"x"))[..12]
            )
        );
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

    #[test]
    fn findings_count_everything_and_name_the_first_few() {
        let mut f = Findings::default();
        for i in 0..15 {
            f.add(|| format!("row {i}"));
        }
        let mut g = Findings::default();
        g.add(|| "other".to_owned());
        f.merge(g);
        assert_eq!(f.count, 16);
        assert_eq!(f.named.len(), NAMED);
        assert_eq!(f.named[0], "row 0");
    }
}
