//! The byte stream under every reader: counts bytes, hashes them (the file's SHA-256 for the report and
//! the ledger) and remembers which newlines were CRLF, so a reader can ask how a record ended without
//! buffering the file, and follows CSV quoting so a reader can tell a file that ends inside a quoted
//! field (cut short) from one whose last record is whole. It may start in the middle of a file
//! (`Start`): a grown file read from where its imported prefix ends, or verify seeking to a record,
//! with offsets, line numbers and the hash going on from what is known of the bytes before.

use sha2::{Digest, Sha256};
use std::collections::VecDeque;
use std::io::{self, Read};

mod quoting;

#[cfg(test)]
pub(crate) use quoting::quoted_csv;
pub use quoting::Quoting;

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
    /// The offset of the first CRLF's `\n` in the file, once one was read (or known from `Start`).
    first_crlf: Option<u64>,
    /// How many `\n` were read, those before a `Start` included.
    line_ends: u64,
    /// A byte read ahead from `inner` (to tell CRLF from a lone CR) and not yet handed out.
    peeked: Option<u8>,
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

/// Where a tracker starts when not at the beginning of the file: `inner` is positioned at `offset`,
/// the first byte of a record (the quoting state there is the start of a field), and this is what
/// is known of the bytes before it.
#[derive(Clone)]
pub struct Start {
    pub offset: u64,
    /// How many `\n` the bytes before `offset` hold: the record at `offset` starts on line
    /// `line_ends + 1` (or one later, if `offset` is the `\n` that ends a CRLF).
    pub line_ends: u64,
    /// The first CRLF before `offset`, if known to be there.
    pub first_crlf: Option<u64>,
    /// The SHA-256 state after the bytes before `offset`, to go on hashing the whole file.
    pub hasher: Sha256,
    /// Whether the byte before `offset` is a `\r`.
    pub after_cr: bool,
}

impl<R: Read> TrackingReader<R> {
    /// Starts tracking at offset zero.
    pub fn new(inner: R) -> Self {
        Self::starting(
            inner,
            Start {
                offset: 0,
                line_ends: 0,
                first_crlf: None,
                hasher: Sha256::new(),
                after_cr: false,
            },
        )
    }

    /// Starts tracking at `start.offset`, where `inner` is positioned.
    pub fn starting(inner: R, start: Start) -> Self {
        Self {
            inner,
            hasher: start.hasher,
            bytes: start.offset,
            previous_was_cr: start.after_cr,
            crlf_newlines: VecDeque::new(),
            first_crlf: start.first_crlf,
            line_ends: start.line_ends,
            peeked: None,
            newlines: VecDeque::new(),
            newlines_forgotten: start.line_ends,
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
    /// record) ended with CRLF. The parser may have stopped after the `\r` or after the `\n`; when
    /// that `\r` is the last byte read so far, the next byte is read ahead to tell, so the answer
    /// never depends on where the parser's buffer happened to end. Forgets newlines before `end`,
    /// so memory stays bounded by the parser's read-ahead.
    pub fn ended_with_crlf(&mut self, end: u64) -> bool {
        if end == self.bytes && self.last_byte == Some(b'\r') && self.peeked.is_none() {
            self.peek();
        }
        let hit = self
            .crlf_newlines
            .iter()
            .any(|&nl| nl + 1 == end || nl == end)
            || (end == self.bytes && self.last_byte == Some(b'\r') && self.peeked == Some(b'\n'));
        while self.crlf_newlines.front().is_some_and(|&nl| nl + 1 < end) {
            self.crlf_newlines.pop_front();
        }
        hit
    }

    /// Where the record the parser reports as starting at `start` really starts: after the CRLF's
    /// `\n` the parser reports it at (it returns a record at its `\r`), so a read that starts just
    /// after that CRLF (a resume point) gives the record the same offset.
    pub fn record_start(&self, start: u64) -> u64 {
        start + u64::from(self.crlf_newlines.contains(&start))
    }

    /// Reads one byte ahead into `peeked` (handed out by the next `read`). An error is left for that
    /// `read` to meet again.
    fn peek(&mut self) {
        let mut byte = [0u8; 1];
        if let Ok(1) = self.inner.read(&mut byte) {
            self.peeked = Some(byte[0]);
        }
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

    /// Whether the file has a CRLF at or before `end` (a record's end): where a record is in the
    /// file, not how far the parser read ahead, decides.
    pub fn crlf_by(&self, end: u64) -> bool {
        self.first_crlf.is_some_and(|nl| nl <= end)
    }

    /// Where a later read of this file, grown by appends, may start: `Some` when the whole input
    /// was read and it ends with a `\n` outside any quoted field, so its last record is whole and
    /// the next byte would start a new one.
    pub fn end_as_start(&self) -> Option<Start> {
        let whole = self.at_end
            && self.peeked.is_none()
            && self.last_byte == Some(b'\n')
            && self.track_lines
            && self.quoting == Quoting::FieldStart;
        whole.then(|| Start {
            offset: self.bytes,
            line_ends: self.line_ends,
            first_crlf: self.first_crlf,
            hasher: self.hasher.clone(),
            after_cr: false,
        })
    }

    /// Consumes the tracker, returning the SHA-256 (hex) of every byte read and the byte count (the
    /// bytes before a `Start` included).
    pub fn finish(self) -> (String, u64) {
        (hex::encode(self.hasher.finalize()), self.bytes)
    }
}

impl<R: Read> Read for TrackingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = match self.peeked.take() {
            Some(byte) if !buf.is_empty() => {
                buf[0] = byte;
                1
            }
            peeked => {
                self.peeked = peeked;
                self.inner.read(buf)?
            }
        };
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
            self.line_ends += 1;
            self.newlines.push_back(self.bytes + nl as u64);
            let after_cr = if nl == 0 {
                self.previous_was_cr
            } else {
                chunk[nl - 1] == b'\r'
            };
            if after_cr {
                self.crlf_newlines.push_back(self.bytes + nl as u64);
                self.first_crlf.get_or_insert(self.bytes + nl as u64);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    impl<R: Read> TrackingReader<R> {
        /// The start of a file, as a `Start`.
        fn end_as_start_at_zero(&self) -> Start {
            Start {
                offset: 0,
                line_ends: 0,
                first_crlf: None,
                hasher: Sha256::new(),
                after_cr: false,
            }
        }
    }

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
        assert!(t.crlf_by(2) && !t.crlf_by(1));
        assert!(t.ended_with_crlf(3));
        assert!(!t.ended_with_crlf(5));
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

    /// The lines, starts and CRLF endings of the records of `data`, read from `start` on.
    fn records_from(data: &[u8], start: Start) -> Vec<(u64, u64, bool)> {
        let base = start.offset;
        let inner = &data[usize::try_from(base).unwrap()..];
        let mut rdr = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .buffer_capacity(3)
            .from_reader(TrackingReader::starting(inner, start));
        let mut record = csv::ByteRecord::new();
        let mut out = Vec::new();
        while rdr.read_byte_record(&mut record).unwrap() {
            let begin = base + record.position().unwrap().byte();
            let end = base + rdr.position().byte();
            let t = rdr.get_mut();
            out.push((t.line_at(begin), begin, t.ended_with_crlf(end)));
        }
        out
    }

    #[test]
    fn a_read_from_where_a_whole_prefix_ends_continues_lines_offsets_and_the_hash() {
        let old = b"h\r\n\"a\nb\"\r\nc\n".to_vec();
        let mut grown = old.clone();
        grown.extend_from_slice(b"d\r\n\"e\r\nf\"\ng\n");
        let mut t = TrackingReader::new(&old[..]);
        std::io::copy(&mut t, &mut std::io::sink()).unwrap();
        let start = t
            .end_as_start()
            .expect("the old file ends with a whole record");
        assert_eq!(
            (start.offset, start.line_ends, start.first_crlf),
            (12, 4, Some(2))
        );
        let from_start = records_from(&grown, TrackingReader::new(&b""[..]).end_as_start_at_zero());
        let resumed = records_from(&grown, start.clone());
        assert_eq!(
            resumed[..],
            from_start[3..],
            "the appended records, as a full read sees them"
        );
        let mut t = TrackingReader::starting(&grown[12..], start);
        std::io::copy(&mut t, &mut std::io::sink()).unwrap();
        assert_eq!(
            t.finish(),
            (hex::encode(Sha256::digest(&grown)), grown.len() as u64)
        );
    }

    #[test]
    fn only_a_file_ending_with_a_line_end_outside_quotes_has_a_resume_point() {
        for (data, whole) in [
            (&b"h\na\n"[..], true),
            (b"h\na", false),
            (b"h\n\"a\n", false),
            (b"h\na\r", false),
            (b"h\r\na\r\n", true),
        ] {
            let mut t = TrackingReader::new(data);
            std::io::copy(&mut t, &mut std::io::sink()).unwrap();
            assert_eq!(t.end_as_start().is_some(), whole, "{data:?}");
        }
        let mut t = TrackingReader::hash_only(&b"h\na\n"[..]);
        std::io::copy(&mut t, &mut std::io::sink()).unwrap();
        assert!(
            t.end_as_start().is_none(),
            "a tracker that did not follow lines cannot tell"
        );
    }

    #[test]
    fn a_crlf_split_by_the_parsers_buffer_is_still_a_crlf() {
        // With a 3-byte buffer the parser returns "ab" after its \r, before the \n is read.
        let lines = records_from(
            b"ab\r\ncd\n",
            TrackingReader::new(&b""[..]).end_as_start_at_zero(),
        );
        assert_eq!(lines, vec![(1, 0, true), (2, 3, false)]);
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
