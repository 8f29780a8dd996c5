//! A JSON parser with the semantics of Python's `json.loads`, for [`Value`].
//!
//! serde_json would do for most documents, but not for all the ones the scores see: its default
//! float parsing can be one unit in the last place off for long mantissas (and `repr` then shows
//! it), it turns `-0` and integers beyond 64 bits into floats, rejects `NaN`/`Infinity` (which
//! Python accepts) and stops at 128 levels. Its `float_roundtrip` feature would fix only the first
//! and change how the rest of the project parses. This small recursive-descent parser follows
//! `json.loads` instead: the grammar of the JSON text (strict: no control characters in strings,
//! no trailing commas), Python's three extra literals, integers kept as their digits, floats
//! parsed with correct rounding. The one difference left: a lone surrogate escape (`"\ud800"`),
//! which a Python string can hold and a Rust one cannot, makes the document not JSON here.

use super::value::Value;

/// Nesting deeper than this is not JSON here; Python raises `RecursionError` near its default
/// recursion limit of 1000.
const MAX_DEPTH: usize = 1000;

/// `json.loads(text)`, or `None` where Python would raise.
pub fn parse(text: &str) -> Option<Value> {
    let mut parser = Parser {
        bytes: text.as_bytes(),
        text,
        at: 0,
    };
    parser.skip_space();
    let value = parser.value(0)?;
    parser.skip_space();
    (parser.at == parser.bytes.len()).then_some(value)
}

/// The position in the text being parsed.
struct Parser<'a> {
    bytes: &'a [u8],
    text: &'a str,
    at: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    /// JSON's whitespace, which is also Python's for `json.loads`: space, tab, LF, CR.
    fn skip_space(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.at += 1;
        }
    }

    /// Consumes `literal` if the text continues with it.
    fn eat(&mut self, literal: &str) -> bool {
        let found = self.bytes[self.at..].starts_with(literal.as_bytes());
        if found {
            self.at += literal.len();
        }
        found
    }

    fn value(&mut self, depth: usize) -> Option<Value> {
        match self.peek()? {
            b'{' => self.object(depth + 1),
            b'[' => self.list(depth + 1),
            b'"' => self.string().map(Value::Str),
            b'n' if self.eat("null") => Some(Value::None),
            b't' if self.eat("true") => Some(Value::Bool(true)),
            b'f' if self.eat("false") => Some(Value::Bool(false)),
            b'N' if self.eat("NaN") => Some(Value::Float(f64::NAN)),
            b'I' if self.eat("Infinity") => Some(Value::Float(f64::INFINITY)),
            b'-' if self.eat("-Infinity") => Some(Value::Float(f64::NEG_INFINITY)),
            b'-' | b'0'..=b'9' => self.number(),
            _ => None,
        }
    }

    fn object(&mut self, depth: usize) -> Option<Value> {
        if depth > MAX_DEPTH {
            return None;
        }
        self.at += 1;
        let mut entries: Vec<(String, Value)> = Vec::new();
        self.skip_space();
        if self.eat("}") {
            return Some(Value::Dict(entries));
        }
        loop {
            self.skip_space();
            if self.peek() != Some(b'"') {
                return None;
            }
            let key = self.string()?;
            self.skip_space();
            if !self.eat(":") {
                return None;
            }
            self.skip_space();
            let value = self.value(depth)?;
            entries.push((key, value));
            self.skip_space();
            if self.eat("}") {
                return Some(Value::Dict(dedupe(entries)));
            }
            if !self.eat(",") {
                return None;
            }
        }
    }

    fn list(&mut self, depth: usize) -> Option<Value> {
        if depth > MAX_DEPTH {
            return None;
        }
        self.at += 1;
        let mut items = Vec::new();
        self.skip_space();
        if self.eat("]") {
            return Some(Value::List(items));
        }
        loop {
            self.skip_space();
            items.push(self.value(depth)?);
            self.skip_space();
            if self.eat("]") {
                return Some(Value::List(items));
            }
            if !self.eat(",") {
                return None;
            }
        }
    }

    /// A string from its opening quote: escapes decoded, raw control characters refused.
    fn string(&mut self) -> Option<String> {
        self.at += 1;
        let mut out = String::new();
        loop {
            // Copy the run up to the next quote, backslash or control character at once.
            let run = self.bytes[self.at..]
                .iter()
                .position(|&b| b == b'"' || b == b'\\' || b < 0x20)?;
            out.push_str(self.text.get(self.at..self.at + run)?);
            self.at += run;
            match self.peek()? {
                b'"' => {
                    self.at += 1;
                    return Some(out);
                }
                b'\\' => {
                    self.at += 1;
                    let escaped = self.peek()?;
                    self.at += 1;
                    match escaped {
                        b'"' => out.push('"'),
                        b'\\' => out.push('\\'),
                        b'/' => out.push('/'),
                        b'b' => out.push('\u{8}'),
                        b'f' => out.push('\u{c}'),
                        b'n' => out.push('\n'),
                        b'r' => out.push('\r'),
                        b't' => out.push('\t'),
                        b'u' => out.push(self.unicode_escape()?),
                        _ => return None,
                    }
                }
                _ => return None,
            }
        }
    }

    /// The character of a `\uXXXX` escape (after the `u`), joining a surrogate pair.
    fn unicode_escape(&mut self) -> Option<char> {
        let first = self.hex4()?;
        if (0xD800..0xDC00).contains(&first) && self.bytes[self.at..].starts_with(b"\\u") {
            let saved = self.at;
            self.at += 2;
            let second = self.hex4()?;
            if (0xDC00..0xE000).contains(&second) {
                return char::from_u32(0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00));
            }
            self.at = saved;
        }
        // A lone surrogate has no char: not JSON here (see the module docs).
        char::from_u32(first)
    }

    fn hex4(&mut self) -> Option<u32> {
        let digits = self.text.get(self.at..self.at + 4)?;
        if !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        self.at += 4;
        u32::from_str_radix(digits, 16).ok()
    }

    /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?`: an int without fraction or exponent,
    /// else a float.
    fn number(&mut self) -> Option<Value> {
        let start = self.at;
        self.eat("-");
        match self.peek()? {
            b'0' => self.at += 1,
            b'1'..=b'9' => self.digits(),
            _ => return None,
        }
        let mut float = false;
        if self.peek() == Some(b'.')
            && self
                .bytes
                .get(self.at + 1)
                .is_some_and(|b| b.is_ascii_digit())
        {
            self.at += 1;
            self.digits();
            float = true;
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            let mark = self.at;
            self.at += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.at += 1;
            }
            if self.peek().is_some_and(|b| b.is_ascii_digit()) {
                self.digits();
                float = true;
            } else {
                // Python's number pattern stops before an incomplete exponent.
                self.at = mark;
            }
        }
        let literal = self.text.get(start..self.at)?;
        if float {
            literal.parse().ok().map(Value::Float)
        } else {
            let digits = literal.trim_start_matches('-');
            Some(Value::Int(if digits == "0" {
                "0".to_owned()
            } else {
                literal.to_owned()
            }))
        }
    }

    fn digits(&mut self) {
        while self.peek().is_some_and(|b| b.is_ascii_digit()) {
            self.at += 1;
        }
    }
}

/// Python's dict semantics for a repeated key: first position, last value. Repeats are rare, so
/// the common case only checks and returns the entries untouched.
fn dedupe(entries: Vec<(String, Value)>) -> Vec<(String, Value)> {
    let repeated = if entries.len() <= 8 {
        entries
            .iter()
            .enumerate()
            .any(|(i, (k, _))| entries[..i].iter().any(|(earlier, _)| earlier == k))
    } else {
        let mut seen = std::collections::HashSet::with_capacity(entries.len());
        !entries.iter().all(|(k, _)| seen.insert(k.as_str()))
    };
    if !repeated {
        return entries;
    }
    let mut kept: Vec<(String, Value)> = Vec::with_capacity(entries.len());
    for (key, value) in entries {
        match kept.iter_mut().find(|(k, _)| *k == key) {
            Some(slot) => slot.1 = value,
            None => kept.push((key, value)),
        }
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    fn int(digits: &str) -> Value {
        Value::Int(digits.to_owned())
    }

    fn s(text: &str) -> Value {
        Value::Str(text.to_owned())
    }

    #[test]
    fn object_keys_keep_document_order() {
        let expected = Value::Dict(vec![("b".to_owned(), int("1")), ("a".to_owned(), int("2"))]);
        assert_eq!(parse(r#"{"b": 1, "a": 2}"#), Some(expected));
    }

    #[test]
    fn a_repeated_key_keeps_its_first_place_and_last_value() {
        let expected = Value::Dict(vec![("a".to_owned(), int("3")), ("b".to_owned(), int("2"))]);
        assert_eq!(parse(r#"{"a": 1, "b": 2, "a": 3}"#), Some(expected));
        let many: Vec<String> = (0..12).map(|i| format!("\"k{}\": {i}", i % 10)).collect();
        let Some(Value::Dict(entries)) = parse(&format!("{{{}}}", many.join(", "))) else {
            panic!("twelve entries parse as a dict");
        };
        assert_eq!(entries.len(), 10);
        assert_eq!(entries[0], ("k0".to_owned(), int("10")));
    }

    #[test]
    fn integers_keep_their_digits_and_floats_parse_exactly() {
        assert_eq!(parse("-7"), Some(int("-7")));
        assert_eq!(parse("-0"), Some(int("0")));
        let big = "123456789012345678901234567890123456789012";
        assert_eq!(parse(big), Some(int(big)));
        assert_eq!(parse("1.0"), Some(Value::Float(1.0)));
        assert_eq!(parse("1E+2"), Some(Value::Float(100.0)));
        assert_eq!(parse("-0.0"), Some(Value::Float(-0.0)));
        // Needs correct rounding: the nearest double to this literal is just above 1e24.
        assert_eq!(
            parse("1.0000000000000001e+24"),
            Some(Value::Float(1.0000000000000001e24))
        );
        assert_eq!(parse("1e400"), Some(Value::Float(f64::INFINITY)));
    }

    #[test]
    fn python_s_extra_literals_parse() {
        assert!(matches!(parse("NaN"), Some(Value::Float(f)) if f.is_nan()));
        assert_eq!(
            parse("[Infinity, -Infinity]"),
            Some(Value::List(vec![
                Value::Float(f64::INFINITY),
                Value::Float(f64::NEG_INFINITY),
            ]))
        );
    }

    #[test]
    fn strings_decode_escapes_and_surrogate_pairs() {
        assert_eq!(
            parse(r#""a\"b\\c\/d\b\f\n\r\t""#),
            Some(s("a\"b\\c/d\u{8}\u{c}\n\r\t"))
        );
        assert_eq!(parse(r#""\u00e9\u00E9""#), Some(s("éé")));
        assert_eq!(parse(r#""\ud83d\ude00""#), Some(s("😀")));
        assert_eq!(parse("\"日本\""), Some(s("日本")));
    }

    #[test]
    fn what_python_rejects_is_not_json() {
        for bad in [
            "",
            " ",
            "1 2",
            "True",
            "None",
            "nan",
            "{'a': 1}",
            "[1,]",
            "{\"a\": 1,}",
            "01",
            "1.",
            ".5",
            "-",
            "1e",
            "[1 2]",
            "{\"a\" 1}",
            "{1: 2}",
            "\"tab\there\"",
            "\"\\x41\"",
            "\"\\u12\"",
            "\"open",
            "[",
            "\u{feff}1",
        ] {
            assert_eq!(parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn a_lone_surrogate_is_not_json_here() {
        assert_eq!(parse(r#""\ud800""#), None);
        assert_eq!(parse(r#""\ud800\u0041""#), None);
    }

    #[test]
    fn whitespace_around_values_is_json_whitespace() {
        assert_eq!(
            parse(" \t\r\n[ 1 ,\n2 ] \n"),
            Some(Value::List(vec![int("1"), int("2")]))
        );
        // Python's json.loads does not take other whitespace around values.
        assert_eq!(parse("\u{a0}1"), None);
    }

    #[test]
    fn nesting_is_bounded_like_python_s_recursion() {
        let deep = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n));
        assert!(parse(&deep(MAX_DEPTH)).is_some());
        assert_eq!(parse(&deep(MAX_DEPTH + 1)), None);
    }
}
