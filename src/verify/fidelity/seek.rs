//! ④ Source fidelity by seeking: a sampled row whose ledger entry holds the byte offset of its
//! source record is compared with the record parsed at that offset, with the import's own reader
//! (`raw_metrics::open_at`), so a sample costs a few KB per row, not a read of the file. What the
//! parse needs of the bytes before the record is the same as a read from the start knows: the
//! header (read from the file's start) and, for the one decision that depends on it (a row of the
//! doubled-backslash window that only a CRLF earlier in the file tells from a later writer's), where
//! the file's first CRLF is, found by a scan from the start that is only made when such a row is
//! sampled (and then only once per file).

use crate::error::InputError;
use crate::model::MetricRecord;
use crate::read::raw_metrics::{self, BackslashDecision, Header, Item, RawRow};
use crate::read::source::Start;
use chrono_tz::Tz;
use sha2::{Digest, Sha256};
use std::io::Read;
use std::path::Path;

/// Parses the records of one file at given offsets.
pub(super) struct Seeker<'a> {
    path: &'a Path,
    file: &'a str,
    header: Header,
    tz: Tz,
    crlf: CrlfScan,
}

impl<'a> Seeker<'a> {
    /// A seeker over `path` (shown as `file`), or `None` when its header is no longer a
    /// raw-metrics header.
    pub(super) fn new(path: &'a Path, file: &'a str, tz: Tz) -> Result<Option<Self>, InputError> {
        Ok(crate::read::raw_metrics_header(path)?.map(|header| Seeker {
            path,
            file,
            header,
            tz,
            crlf: CrlfScan::default(),
        }))
    }

    /// The staging record of the record starting at `offset` (the ledger says on `line`), if a
    /// record there parses as a row.
    pub(super) fn record_at(
        &mut self,
        offset: u64,
        line: u64,
    ) -> Result<Option<MetricRecord>, InputError> {
        let Some(mut row) = self.row_at(offset, line, None)? else {
            return Ok(None);
        };
        if row.backslashes == BackslashDecision::HalveAmbiguous {
            // Halved for want of a CRLF in the file; one before the record would say otherwise.
            if let Some(first) = self.crlf.first_by(self.path, offset)? {
                match self.row_at(offset, line, Some(first))? {
                    Some(again) => row = again,
                    None => return Ok(None),
                }
            }
        }
        Ok(Some(raw_metrics::record::from_row(0, self.file, &row)))
    }

    fn row_at(
        &self,
        offset: u64,
        line: u64,
        first_crlf: Option<u64>,
    ) -> Result<Option<RawRow>, InputError> {
        let start = Start {
            offset,
            line_ends: line.saturating_sub(1),
            first_crlf,
            hasher: Sha256::new(),
            after_cr: false,
        };
        let mut reader =
            raw_metrics::open_at(self.path, self.header.clone(), self.file, self.tz, start)?;
        Ok(match reader.next_item() {
            Some(Item::Row(row)) => Some(*row),
            _ => None,
        })
    }
}

/// How far a file was scanned for its first CRLF, and where it is once found.
#[derive(Debug, Default)]
struct CrlfScan {
    scanned: u64,
    first: Option<u64>,
    last_was_cr: bool,
}

impl CrlfScan {
    /// The offset of the file's first CRLF `\n` if it is at or before `offset`.
    fn first_by(&mut self, path: &Path, offset: u64) -> Result<Option<u64>, InputError> {
        if self.first.is_none() && self.scanned <= offset {
            self.scan(path, offset)?;
        }
        Ok(self.first.filter(|&first| first <= offset))
    }

    /// Scans from where the last scan ended to just past `offset`, or to the first CRLF.
    fn scan(&mut self, path: &Path, offset: u64) -> Result<(), InputError> {
        use std::io::{Seek, SeekFrom};
        let mut file = std::fs::File::open(path).map_err(|e| InputError::io(path, e))?;
        file.seek(SeekFrom::Start(self.scanned))
            .map_err(|e| InputError::io(path, e))?;
        let mut buf = vec![0u8; 256 * 1024];
        while self.first.is_none() && self.scanned <= offset {
            let n = file.read(&mut buf).map_err(|e| InputError::io(path, e))?;
            if n == 0 {
                // Past the end: nothing more to find.
                self.scanned = u64::MAX;
                break;
            }
            self.first = first_crlf(&buf[..n], self.last_was_cr).map(|i| self.scanned + i);
            self.last_was_cr = buf[n - 1] == b'\r';
            self.scanned += n as u64;
        }
        Ok(())
    }
}

/// The index of the first `\n` preceded by `\r` in `chunk` (`after_cr`: the byte before the chunk
/// was a `\r`).
fn first_crlf(chunk: &[u8], after_cr: bool) -> Option<u64> {
    memchr::memchr_iter(b'\n', chunk)
        .find(|&i| {
            if i == 0 {
                after_cr
            } else {
                chunk[i - 1] == b'\r'
            }
        })
        .and_then(|i| u64::try_from(i).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_record_parsed_at_its_offset_is_the_record_a_read_from_the_start_gives() {
        for name in [
            "doubled_backslashes.csv",
            "doubled_backslashes_lf_only.csv",
            "mixed_crlf_lf.csv",
            "value_spellings.csv",
            "r15p_quoted_errors_then_union.csv",
        ] {
            let path = Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("fixtures/raw_metrics")
                .join(name);
            let mut reader = crate::read::reopen_raw_metrics(&path, name, chrono_tz::UTC)
                .unwrap()
                .unwrap();
            let mut seeker = Seeker::new(&path, name, chrono_tz::UTC).unwrap().unwrap();
            let mut seen = 0;
            while let Some(item) = reader.next_item() {
                let Item::Row(row) = item else { continue };
                let read = raw_metrics::record::from_row(0, name, &row);
                let sought = seeker.record_at(row.byte_offset, row.line).unwrap();
                assert_eq!(
                    format!("{sought:?}"),
                    format!("{:?}", Some(read)),
                    "{name}:{}",
                    row.line
                );
                seen += 1;
            }
            assert!(seen > 0, "{name}");
        }
    }

    #[test]
    fn the_first_crlf_is_found_across_chunks() {
        assert_eq!(first_crlf(b"a\nb\r\nc", false), Some(4));
        assert_eq!(first_crlf(b"\nb", true), Some(0));
        assert_eq!(first_crlf(b"\nb", false), None);
        assert_eq!(first_crlf(b"a\rb\n", false), None);
    }

    #[test]
    fn a_scan_finds_the_first_crlf_only_at_or_before_the_offset() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.csv");
        std::fs::write(&path, b"h\na\nb\r\nc\n").unwrap();
        let mut scan = CrlfScan::default();
        assert_eq!(scan.first_by(&path, 2).unwrap(), None);
        assert_eq!(scan.first_by(&path, 6).unwrap(), Some(6));
        assert_eq!(scan.first_by(&path, 9).unwrap(), Some(6));
        std::fs::write(&path, b"h\na\n").unwrap();
        let mut scan = CrlfScan::default();
        assert_eq!(scan.first_by(&path, 3).unwrap(), None);
    }
}
