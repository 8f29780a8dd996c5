//! The CSV plumbing shared by the small CSV kinds (prompt CSVs, aggregate files, root-era results):
//! BOM stripped, flexible field counts, no trimming, and each record's physical start line as a
//! text editor shows it (multi-line quoted fields and CRLF included).

use super::classify::BOM;
use super::source::TrackingReader;

/// One data record: its start line and its fields, or why it could not be read.
pub type CsvRow = (u64, Result<Vec<String>, String>);

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
                        Err(format!("record has {} fields, the header {width}", f.len()))
                    } else {
                        Ok(f)
                    }
                });
                (line, checked)
            })
    }
}

/// Reads `bytes` as CSV. A record that is not UTF-8 or not CSV becomes an `Err` with a reason that
/// never quotes the content.
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
                let line = rdr.get_mut().line_at(start);
                let fields: Result<Vec<String>, String> = record
                    .iter()
                    .enumerate()
                    .map(|(i, f)| {
                        std::str::from_utf8(f)
                            .map(str::to_owned)
                            .map_err(|_| format!("field {} is not valid UTF-8", i + 1))
                    })
                    .collect();
                if first {
                    header = fields.unwrap_or_default();
                    first = false;
                } else {
                    rows.push((line, fields));
                }
            }
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                rows.push((line, Err(super::raw_metrics::csv_error_kind(&e))));
                break;
            }
        }
    }
    CsvRows { header, rows }
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
            Err("record has 3 fields, the header 2".to_owned())
        );
        assert!(checked[2].1.is_ok());
    }

    #[test]
    fn invalid_utf8_is_a_reason_not_a_panic() {
        let rows = csv_rows(b"a\n\xff\n");
        assert!(rows.rows[0].1.is_err());
    }
}
