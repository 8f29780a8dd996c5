//! The CSV plumbing shared by the small CSV kinds (prompt CSVs, aggregate files, root-era results):
//! BOM stripped, flexible field counts, no trimming, and each record's physical start line as a
//! text editor shows it (multi-line quoted fields and CRLF included). A field that is not UTF-8 or
//! holds a NUL byte, and a last record cut inside its quoted field, are bad records, never rows.
//! The raw-metrics reader takes its field text and CSV error kinds from here too.

use super::context::FileCtx;
use super::source::{TrackingReader, BOM};
use crate::model::Reject;
use std::io::Read;

/// One data record: its start line and its fields, or why it could not be read.
pub type CsvRow = (u64, Result<Vec<String>, BadRecord>);

/// Why a record is not a row: the 1-based field to blame, when one is, and a reason that never
/// quotes the content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadRecord {
    pub column: Option<usize>,
    pub reason: String,
}

impl BadRecord {
    fn whole(reason: impl Into<String>) -> Self {
        Self {
            column: None,
            reason: reason.into(),
        }
    }

    /// The reject of this record at `line`, naming the column's header when there is one.
    pub fn reject(&self, ctx: &FileCtx, line: u64, header: &[String]) -> Reject {
        let field = self
            .column
            .and_then(|c| header.get(c.checked_sub(1)?))
            .map(String::as_str);
        ctx.reject(line, self.column, field, self.reason.clone())
    }
}

/// Why a record that ends inside a quoted field at the very end of the file is rejected.
pub const CUT_INSIDE_QUOTES: &str =
    "the file ends inside this record's quoted field: the record was cut short";

/// A field's text, or why it cannot be text: not UTF-8, or holding a NUL byte (PostgreSQL text
/// cannot store one, and COPY would fail the whole import on it).
pub fn field_text(raw: &[u8]) -> Result<&str, &'static str> {
    let text = std::str::from_utf8(raw).map_err(|_| "field is not valid UTF-8")?;
    if memchr::memchr(0, raw).is_some() {
        return Err("field holds a NUL byte, which PostgreSQL text cannot store");
    }
    Ok(text)
}

/// A whole small CSV file: header fields and data records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvRows {
    pub header: Vec<String>,
    pub rows: Vec<CsvRow>,
}

impl CsvRows {
    /// Takes the data records out, a record with more fields than the header turned into an `Err`
    /// (no writer of these kinds produced one; which column is which would be a guess).
    pub fn take_checked_rows(&mut self) -> impl Iterator<Item = CsvRow> {
        let width = self.header.len();
        std::mem::take(&mut self.rows)
            .into_iter()
            .map(move |(line, fields)| {
                let checked = fields.and_then(|f| {
                    if f.len() > width {
                        Err(BadRecord::whole(format!(
                            "record has {} fields, the header {width}",
                            f.len()
                        )))
                    } else {
                        Ok(f)
                    }
                });
                (line, checked)
            })
    }
}

/// Reads `bytes` as CSV. A record that is not UTF-8, holds a NUL byte, is not CSV or was cut inside
/// its last quoted field becomes an `Err` with a reason that never quotes the content.
pub fn csv_rows(bytes: &[u8]) -> CsvRows {
    let body = bytes.strip_prefix(BOM).unwrap_or(bytes);
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(TrackingReader::new(body));
    let mut record = csv::ByteRecord::new();
    let mut header = Vec::new();
    let mut rows = Vec::new();
    let mut first = true;
    loop {
        match rdr.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {
                let start = record.position().map_or(0, |p| p.byte());
                let end = rdr.position().byte();
                let tracker = rdr.get_mut();
                let line = tracker.line_at(start);
                let cut = tracker.ended_inside_quotes() && end == tracker.bytes_read();
                let fields: Result<Vec<String>, BadRecord> = if cut && !first {
                    Err(BadRecord {
                        column: Some(record.len()),
                        reason: CUT_INSIDE_QUOTES.to_owned(),
                    })
                } else {
                    record
                        .iter()
                        .enumerate()
                        .map(|(i, f)| {
                            field_text(f)
                                .map(str::to_owned)
                                .map_err(|reason| BadRecord {
                                    column: Some(i + 1),
                                    reason: reason.to_owned(),
                                })
                        })
                        .collect()
                };
                if first {
                    header = fields.unwrap_or_default();
                    first = false;
                } else {
                    rows.push((line, fields));
                }
            }
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                rows.push((line, Err(BadRecord::whole(csv_error_kind(&e)))));
                break;
            }
        }
    }
    CsvRows { header, rows }
}

/// A streaming CSV reader over `inner` as the raw-metrics reader and the header probe read it: no
/// header row, flexible field counts, and every byte tracked (hash, line ends, quoting).
pub fn csv_reader<R: Read>(inner: R) -> csv::Reader<TrackingReader<R>> {
    csv_reader_from(TrackingReader::new(inner), 256 * 1024)
}

/// `csv_reader` over a tracker that may start inside the file, reading `capacity` bytes at a time
/// (small for a reader that parses one record and moves on).
pub fn csv_reader_from<R: Read>(
    tracker: TrackingReader<R>,
    capacity: usize,
) -> csv::Reader<TrackingReader<R>> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .buffer_capacity(capacity)
        .flexible(true)
        .from_reader(tracker)
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

    #[test]
    fn lines_count_multiline_fields_and_bom_is_stripped() {
        let rows = csv_rows(b"\xEF\xBB\xBFa,b\r\n1,\"x\r\ny\"\r\n2,z\r\n");
        assert_eq!(rows.header, vec!["a", "b"]);
        assert_eq!(
            rows.rows[0],
            (2, Ok(vec!["1".to_owned(), "x\r\ny".to_owned()]))
        );
        assert_eq!(rows.rows[1].0, 4);
    }

    #[test]
    fn records_longer_than_the_header_are_errors() {
        let mut rows = csv_rows(b"a,b\n1,2\n1,2,3\n1\n");
        let checked: Vec<CsvRow> = rows.take_checked_rows().collect();
        assert!(checked[0].1.is_ok());
        assert_eq!(
            checked[1].1,
            Err(BadRecord::whole("record has 3 fields, the header 2"))
        );
        assert!(checked[2].1.is_ok());
    }

    #[test]
    fn invalid_utf8_is_a_reason_not_a_panic() {
        let rows = csv_rows(b"a\n\xff\n");
        assert!(rows.rows[0].1.is_err());
    }

    #[test]
    fn bad_bytes_name_their_column_and_the_other_records_stay() {
        let rows = csv_rows(b"a,b,c\n1,2,3\n1,x\0y,3\n1,\xff,3\n4,5,6\n");
        let ok: Vec<u64> = rows
            .rows
            .iter()
            .filter(|(_, r)| r.is_ok())
            .map(|(l, _)| *l)
            .collect();
        assert_eq!(ok, vec![2, 5]);
        let bad = rows.rows[1].1.clone().unwrap_err();
        assert_eq!(bad.column, Some(2));
        assert!(bad.reason.contains("NUL"), "{}", bad.reason);
        assert_eq!(rows.rows[2].1.clone().unwrap_err().column, Some(2));
        let reject = bad.reject(&FileCtx::for_tests("p.csv"), 3, &rows.header);
        assert_eq!(reject.field.as_deref(), Some("b"));
    }

    proptest::proptest! {
        /// Cut anywhere, a file never yields a partial row from inside quotes: every record before
        /// the last is whole, and a last record cut inside its quoted field is bad.
        #[test]
        fn a_cut_inside_quotes_is_never_a_row(
            rows in proptest::collection::vec(proptest::collection::vec("[a-z\",\r\n]{0,5}", 1..4), 2..6),
            cut in 0usize..300,
        ) {
            let data = crate::read::source::quoted_csv(&rows);
            let cut = cut.min(data.len());
            let parsed = csv_rows(&data[..cut]);
            let inside = crate::read::source::Quoting::FieldStart.advance(&data[..cut])
                == crate::read::source::Quoting::Quoted;
            let last = parsed.rows.len().saturating_sub(1);
            for (i, (_, fields)) in parsed.rows.iter().enumerate() {
                if i < last {
                    proptest::prop_assert_eq!(fields.as_ref().ok(), Some(&rows[i + 1]));
                } else if inside {
                    proptest::prop_assert_eq!(
                        fields.as_ref().err().map(|b| b.reason.as_str()),
                        Some(CUT_INSIDE_QUOTES)
                    );
                }
            }
        }
    }

    #[test]
    fn a_last_record_cut_inside_quotes_is_bad_and_a_whole_one_is_not() {
        let cut = csv_rows(b"a,b\n1,\"x\"\n2,\"half a resp");
        assert_eq!(cut.rows.len(), 2);
        assert!(cut.rows[0].1.is_ok());
        assert_eq!(
            cut.rows[1],
            (
                3,
                Err(BadRecord {
                    column: Some(2),
                    reason: CUT_INSIDE_QUOTES.to_owned()
                })
            )
        );
        let whole = csv_rows(b"a,b\n1,\"x\"\n2,\"a whole one\"");
        assert!(whole.rows.iter().all(|(_, r)| r.is_ok()));
        let unquoted = csv_rows(b"a,b\n1,x\n2,ends without newline");
        assert!(unquoted.rows.iter().all(|(_, r)| r.is_ok()));
    }
}
