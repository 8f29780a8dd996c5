//! The CSV parser's quoting state, followed byte for byte by the tracker (`super`), so a reader can
//! tell a file that ends inside a quoted field from one whose last record is whole.

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
}
