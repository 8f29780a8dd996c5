//! The byte stream under every reader: counts bytes, hashes them (the file's SHA-256 for the report and
//! the ledger) and remembers which newlines were CRLF, so a reader can ask how a record ended without
//! buffering the file, and follows CSV quoting so a reader can tell a file that ends inside a quoted
//! field (cut short) from one whose last record is whole.

use sha2::{Digest, Sha256};
use std::collections::VecDeque;
use std::io::{self, Read};

/// The UTF-8 byte-order mark some tools put before a CSV header or a JSON document.
pub const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Wraps a reader; everything read through it is hashed and counted.
pub struct TrackingReader<R> {
    inner: R,
    hasher: Sha256,
    bytes: u64,
    previous_was_cr: bool,
    /// Offsets of `\n` bytes preceded by `\r`, not yet older than the caller's last query.
    crlf_newlines: VecDeque<u64>,
    /// Whether any CRLF was seen so far in the file.
    saw_crlf: bool,
    /// Offsets of every `\n` not yet older than the caller's last line query.
    newlines: VecDeque<u64>,
    /// How many `\n` were forgotten from `newlines` (all before the last queried offset).
    newlines_forgotten: u64,
    /// Whether newlines are remembered at all: a caller that only hashes never asks about lines,
    /// and the queues would grow with the file.
    track_lines: bool,
    /// Where the CSV quoting stands after the bytes read so far (only while tracking lines).
    quoting: Quoting,
    /// Whether the inner reader has reported its end.
    at_end: bool,
    /// The last byte read, if any.
    last_byte: Option<u8>,
}

/// The CSV parser's quoting state, as far as telling "inside a quoted field" apart needs it: the
/// csv crate's defaults (comma, `"` doubled to escape, CR or LF ending a record, no escape byte, no
/// comment byte), byte for byte the transitions of csv-core's reader. A quote starts a quoted field
/// only at the start of a field; elsewhere in an unquoted field it is a literal byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Quoting {
    /// At the start of a field (or of a record).
    #[default]
    FieldStart,
    /// Inside an unquoted field.
    Unquoted,
    /// Inside a quoted field.
    Quoted,
    /// Just after a quote inside a quoted field: its end, or the first half of a doubled quote.
    AfterQuote,
}

impl Quoting {
    /// The state after `chunk`. Runs of text inside or outside quotes are skipped with memchr.
    pub fn advance(mut self, chunk: &[u8]) -> Quoting {
        let mut i = 0;
        while i < chunk.len() {
            let rest = &chunk[i..];
            match self {
                Quoting::Quoted => match memchr::memchr(b'"', rest) {
                    Some(j) => {
                        i += j + 1;
                        self = Quoting::AfterQuote;
                    }
                    None => return self,
                },
                Quoting::Unquoted => match memchr::memchr3(b',', b'\n', b'\r', rest) {
                    Some(j) => {
                        i += j + 1;
                        self = Quoting::FieldStart;
                    }
                    None => return self,
                },
                Quoting::FieldStart | Quoting::AfterQuote => {
                    self = match rest[0] {
                        b'"' => Quoting::Quoted,
                        b',' | b'\n' | b'\r' => Quoting::FieldStart,
                        _ => Quoting::Unquoted,
                    };
                    i += 1;
                }
            }
        }
        self
    }
}

impl<R: Read> TrackingReader<R> {
    /// Starts tracking at offset zero.
    pub fn new(inner: R) -> Self {
        Self {
            inner,
            hasher: Sha256::new(),
            bytes: 0,
            previous_was_cr: false,
            crlf_newlines: VecDeque::new(),
            saw_crlf: false,
            newlines: VecDeque::new(),
            newlines_forgotten: 0,
            track_lines: true,
            quoting: Quoting::FieldStart,
            at_end: false,
            last_byte: None,
        }
    }

    /// Starts tracking at offset zero, hashing and counting only (no line or CRLF queries).
    pub fn hash_only(inner: R) -> Self {
        let mut tracker = Self::new(inner);
        tracker.forget_lines();
        tracker
    }

    /// Stops remembering newlines from here on (for a caller that goes on only to hash the rest).
    pub fn forget_lines(&mut self) {
        self.track_lines = false;
        self.newlines.clear();
        self.crlf_newlines.clear();
    }

    /// Bytes read so far.
    pub fn bytes_read(&self) -> u64 {
        self.bytes
    }

    /// Whether a record whose terminator ends just before `end` (the parser's position after the
    /// record) ended with CRLF. The parser may have stopped after the `\r` or after the `\n`.
    /// Forgets newlines before `end`, so memory stays bounded by the parser's read-ahead.
    pub fn ended_with_crlf(&mut self, end: u64) -> bool {
        let hit = self
            .crlf_newlines
            .iter()
            .any(|&nl| nl + 1 == end || nl == end);
        while self.crlf_newlines.front().is_some_and(|&nl| nl + 1 < end) {
            self.crlf_newlines.pop_front();
        }
        hit
    }

    /// The 1-based physical line of the record starting at byte `start`. The CSV parser counts lines
    /// itself, but after a CRLF it reports a record as starting at the pending `\n`, one line early;
    /// counting every `\n` at or before `start` gives the line a text editor shows. Calls must come
    /// with non-decreasing offsets.
    pub fn line_at(&mut self, start: u64) -> u64 {
        while self.newlines.front().is_some_and(|&nl| nl < start) {
            self.newlines.pop_front();
            self.newlines_forgotten += 1;
        }
        let at_start = u64::from(self.newlines.front() == Some(&start));
        1 + self.newlines_forgotten + at_start
    }

    /// Whether the whole input was read and it ended inside a quoted field: the last record was cut
    /// short (the CSV parser takes the end of the input as the end of the field and the record, so
    /// it returns such a record as if whole). Only meaningful once the parser has returned the
    /// record whose end is the end of the input.
    pub fn ended_inside_quotes(&self) -> bool {
        self.at_end && self.quoting == Quoting::Quoted
    }

    /// Whether the whole input was read and its last byte is not a line ending: the last record
    /// has no terminator.
    pub fn ended_without_line_end(&self) -> bool {
        self.at_end && self.last_byte.is_some_and(|b| b != b'\n' && b != b'\r')
    }

    /// Whether the file had at least one CRLF in the bytes read so far.
    pub fn saw_crlf(&self) -> bool {
        self.saw_crlf
    }

    /// Consumes the tracker, returning the SHA-256 (hex) of every byte read and the byte count.
    pub fn finish(self) -> (String, u64) {
        (hex::encode(self.hasher.finalize()), self.bytes)
    }
}

impl<R: Read> Read for TrackingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        let chunk = &buf[..n];
        self.hasher.update(chunk);
        if n == 0 && !buf.is_empty() {
            self.at_end = true;
        }
        if self.track_lines {
            self.remember_newlines(chunk);
            // A leading BOM is no field content: the CSV parser skips it too.
            let fields = if self.bytes == 0 {
                chunk.strip_prefix(BOM).unwrap_or(chunk)
            } else {
                chunk
            };
            self.quoting = self.quoting.advance(fields);
        }
        if let Some(&last) = chunk.last() {
            self.previous_was_cr = last == b'\r';
            self.last_byte = Some(last);
        }
        self.bytes += n as u64;
        Ok(n)
    }
}

impl<R> TrackingReader<R> {
    /// Queues the offset of every `\n` in `chunk` (read at offset `self.bytes`), and of every CRLF.
    fn remember_newlines(&mut self, chunk: &[u8]) {
        for nl in memchr::memchr_iter(b'\n', chunk) {
            self.newlines.push_back(self.bytes + nl as u64);
            let after_cr = if nl == 0 {
                self.previous_was_cr
            } else {
                chunk[nl - 1] == b'\r'
            };
            if after_cr {
                self.crlf_newlines.push_back(self.bytes + nl as u64);
                self.saw_crlf = true;
            }
        }
    }
}

/// Test data: `rows` written as CSV with every field quoted (the writers of the legacy app quote
/// this way, and it puts quotes everywhere a cut can land).
#[cfg(test)]
pub(crate) fn quoted_csv(rows: &[Vec<String>]) -> Vec<u8> {
    let mut w = csv::WriterBuilder::new()
        .flexible(true)
        .quote_style(csv::QuoteStyle::Always)
        .from_writer(Vec::new());
    for r in rows {
        w.write_record(r).unwrap();
    }
    w.into_inner().unwrap()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashing_only_remembers_no_newline_and_hashes_the_same() {
        let text = b"a\r\nb\nc\n".repeat(1000);
        let mut tracked = TrackingReader::new(&text[..]);
        let mut hashed = TrackingReader::hash_only(&text[..]);
        let mut sink = Vec::new();
        tracked.read_to_end(&mut sink).unwrap();
        sink.clear();
        hashed.read_to_end(&mut sink).unwrap();
        assert_eq!(
            tracked.newlines.len(),
            3000,
            "a line-tracking reader keeps unqueried newlines"
        );
        assert!(hashed.newlines.is_empty() && hashed.crlf_newlines.is_empty());
        assert_eq!(hashed.finish(), tracked.finish());
    }

    #[test]
    fn hashes_and_counts_every_byte() {
        let mut t = TrackingReader::new(&b"abc"[..]);
        let mut sink = Vec::new();
        t.read_to_end(&mut sink).unwrap();
        let (sha, n) = t.finish();
        assert_eq!(n, 3);
        assert_eq!(
            sha,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn remembers_crlf_across_chunk_boundaries() {
        // One byte at a time, so the \r and \n arrive in different reads.
        struct OneByte<'a>(&'a [u8]);
        impl Read for OneByte<'_> {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                if self.0.is_empty() || buf.is_empty() {
                    return Ok(0);
                }
                buf[0] = self.0[0];
                self.0 = &self.0[1..];
                Ok(1)
            }
        }
        let mut t = TrackingReader::new(OneByte(b"a\r\nb\nc"));
        let mut sink = Vec::new();
        t.read_to_end(&mut sink).unwrap();
        assert!(t.saw_crlf());
        assert!(t.ended_with_crlf(3));
        assert!(!t.ended_with_crlf(5));
    }

    /// The quoting state after `data` read one byte at a time and in one piece must agree.
    fn quoting_of(data: &[u8]) -> Quoting {
        let whole = Quoting::FieldStart.advance(data);
        let bytewise = data.iter().fold(Quoting::FieldStart, |q, b| {
            q.advance(std::slice::from_ref(b))
        });
        assert_eq!(whole, bytewise);
        whole
    }

    #[test]
    fn quoting_follows_the_csv_parser() {
        assert_eq!(quoting_of(b"a,b\n"), Quoting::FieldStart);
        assert_eq!(quoting_of(b"a,\"b"), Quoting::Quoted);
        assert_eq!(quoting_of(b"a,\"b\""), Quoting::AfterQuote);
        assert_eq!(quoting_of(b"a,\"b\"\""), Quoting::Quoted, "a doubled quote");
        assert_eq!(quoting_of(b"a,\"b\"\"\""), Quoting::AfterQuote);
        assert_eq!(
            quoting_of(b"a,b\"c"),
            Quoting::Unquoted,
            "a quote inside an unquoted field is literal"
        );
        assert_eq!(quoting_of(b"\"x\ny,z\"\r\n\"w"), Quoting::Quoted);
        assert_eq!(quoting_of(b"\"x\"y,\"z"), Quoting::Quoted);
    }

    #[test]
    fn a_file_cut_inside_quotes_is_told_from_a_whole_one() {
        for (data, cut) in [
            (&b"h\n1,\"ab\""[..], false),
            (b"h\n1,\"ab", true),
            (b"h\n1,\"a\nb", true),
            (b"h\n1,ab", false),
            (b"\xEF\xBB\xBF\"h\"\n1,\"ab\"\n", false),
            (b"\xEF\xBB\xBF\"h\"\n1,\"ab", true),
        ] {
            let mut t = TrackingReader::new(data);
            assert!(!t.ended_inside_quotes());
            std::io::copy(&mut t, &mut std::io::sink()).unwrap();
            assert_eq!(t.ended_inside_quotes(), cut, "{data:?}");
            assert_eq!(t.ended_without_line_end(), !data.ends_with(b"\n"));
        }
    }

    proptest::proptest! {
        #[test]
        fn with_every_field_quoted_a_cut_is_inside_quotes_exactly_when_the_quotes_are_odd(
            rows in proptest::collection::vec(proptest::collection::vec("[a-z\",\r\n]{0,6}", 1..4), 1..5),
            cut in 0usize..200,
        ) {
            let data = quoted_csv(&rows);
            let cut = cut.min(data.len());
            let quotes = data[..cut].iter().filter(|&&b| b == b'"').count();
            let state = quoting_of(&data[..cut]);
            proptest::prop_assert_eq!(state == Quoting::Quoted, quotes % 2 == 1);
            proptest::prop_assert_ne!(quoting_of(&data), Quoting::Quoted);
        }
    }

    fn record_lines(data: &[u8]) -> Vec<u64> {
        let mut rdr = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(TrackingReader::new(data));
        let mut record = csv::ByteRecord::new();
        let mut lines = Vec::new();
        while rdr.read_byte_record(&mut record).unwrap() {
            let start = record.position().unwrap().byte();
            lines.push(rdr.get_mut().line_at(start));
        }
        lines
    }

    #[test]
    fn record_lines_are_physical_lines_whatever_the_line_ending() {
        assert_eq!(record_lines(b"h\na\nb\n"), vec![1, 2, 3]);
        assert_eq!(record_lines(b"h\r\na\r\nb\r\n"), vec![1, 2, 3]);
        assert_eq!(record_lines(b"h\r\n\"x\r\ny\"\r\nb\nc"), vec![1, 2, 4, 5]);
        assert_eq!(record_lines(b"h\n\"x\ny\nz\"\r\nb\r\n"), vec![1, 2, 5]);
    }
}
