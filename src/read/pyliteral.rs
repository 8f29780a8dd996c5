//! A reader of Python literals (dicts, lists, tuples, strings, numbers, True/False/None) for the
//! root-era `config.py`, which holds its settings as Python dicts. No Rust crate parses Python
//! literals without a full Python parser, and only this literal subset is needed: anything else (a
//! call such as `os.getenv(...)`, a name) is read as `null` rather than failing the file.

use serde_json::{Map, Number, Value};

/// Why a literal could not be read, with the 1-based line and column (in bytes) where reading
/// stopped.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}, column {column}: {reason}")]
pub struct LiteralError {
    pub line: u64,
    pub column: u64,
    pub reason: &'static str,
}

/// How deeply dicts, lists, tuples and call arguments may nest. The app's configs nest 3 deep;
/// the parser recurses once per level, so a hostile file nested thousands deep would overflow the
/// stack: beyond this it is a reject instead (CPython's own parser stops near 200).
pub const MAX_DEPTH: usize = 100;

/// A top-level `NAME = <literal>` assignment: the literal and the line of each top-level dict key.
#[derive(Debug, Clone, PartialEq)]
pub struct Assignment {
    pub value: Value,
    pub line: u64,
    /// For a dict value: (key, line) of each key, in order.
    pub key_lines: Vec<(String, u64)>,
}

/// Finds `name = ...` at the start of a line and reads the literal after it.
pub fn assignment(source: &str, name: &str) -> Result<Option<Assignment>, LiteralError> {
    let mut offset = 0usize;
    for (i, l) in source.split_inclusive('\n').enumerate() {
        if let Some(rest) = l.strip_prefix(name) {
            if let Some(after) = rest.trim_start().strip_prefix('=') {
                if !after.starts_with('=') {
                    let start = offset + (l.len() - after.len());
                    let line = u64::try_from(i).unwrap_or(0) + 1;
                    let mut p = Parser {
                        s: source.as_bytes(),
                        pos: start,
                        line,
                        key_lines: Vec::new(),
                        depth: 0,
                    };
                    let value = p.value()?;
                    return Ok(Some(Assignment {
                        value,
                        line,
                        key_lines: p.key_lines,
                    }));
                }
            }
        }
        offset += l.len();
    }
    Ok(None)
}

struct Parser<'a> {
    s: &'a [u8],
    pos: usize,
    line: u64,
    key_lines: Vec<(String, u64)>,
    depth: usize,
}

impl Parser<'_> {
    fn err(&self, reason: &'static str) -> LiteralError {
        let at = self.pos.min(self.s.len());
        let line_start = self.s[..at]
            .iter()
            .rposition(|&c| c == b'\n')
            .map_or(0, |i| i + 1);
        LiteralError {
            line: self.line,
            column: u64::try_from(at - line_start).unwrap_or(u64::MAX) + 1,
            reason,
        }
    }

    /// Enters a nested container, refusing to go deeper than `MAX_DEPTH`.
    fn descend(&mut self) -> Result<(), LiteralError> {
        if self.depth >= MAX_DEPTH {
            return Err(self.err("nested deeper than 100 levels"));
        }
        self.depth += 1;
        Ok(())
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.pos).copied()
    }

    fn bump(&mut self) -> Option<u8> {
        let c = self.peek()?;
        self.pos += 1;
        if c == b'\n' {
            self.line += 1;
        }
        Some(c)
    }

    /// Skips whitespace, newlines, line continuations and `#` comments.
    fn skip(&mut self) {
        while let Some(c) = self.peek() {
            if c == b'#' {
                while self.peek().is_some_and(|c| c != b'\n') {
                    self.bump();
                }
            } else if c.is_ascii_whitespace() || c == b'\\' {
                self.bump();
            } else {
                break;
            }
        }
    }

    fn value(&mut self) -> Result<Value, LiteralError> {
        self.skip();
        match self
            .peek()
            .ok_or_else(|| self.err("unexpected end of file"))?
        {
            b'{' => self.dict(),
            b'[' => self.seq(b']'),
            b'(' => self.seq(b')'),
            b'"' | b'\'' => self.string().map(Value::String),
            c if c == b'-' || c == b'+' || c == b'.' || c.is_ascii_digit() => self.number(),
            _ => self.name(),
        }
    }

    fn dict(&mut self) -> Result<Value, LiteralError> {
        self.descend()?;
        self.bump();
        let mut map = Map::new();
        loop {
            self.skip();
            if self.peek() == Some(b'}') {
                self.bump();
                break;
            }
            let key_line = self.line;
            let key = match self.value()? {
                Value::String(s) => s,
                other => other.to_string(),
            };
            if self.depth == 1 {
                self.key_lines.push((key.clone(), key_line));
            }
            self.skip();
            if self.bump() != Some(b':') {
                return Err(self.err("expected ':' in a dict"));
            }
            let value = self.value()?;
            map.insert(key, value);
            self.skip();
            match self.bump() {
                Some(b',') => {}
                Some(b'}') => break,
                _ => return Err(self.err("expected ',' or '}' in a dict")),
            }
        }
        self.depth -= 1;
        Ok(Value::Object(map))
    }

    fn seq(&mut self, close: u8) -> Result<Value, LiteralError> {
        self.descend()?;
        self.bump();
        let mut items = Vec::new();
        loop {
            self.skip();
            if self.peek() == Some(close) {
                self.bump();
                break;
            }
            items.push(self.value()?);
            self.skip();
            match self.bump() {
                Some(b',') => {}
                Some(c) if c == close => break,
                _ => return Err(self.err("expected ',' or a closing bracket")),
            }
        }
        self.depth -= 1;
        Ok(Value::Array(items))
    }

    fn string(&mut self) -> Result<String, LiteralError> {
        let quote = self
            .bump()
            .ok_or_else(|| self.err("unexpected end of file"))?;
        let triple = self.s[self.pos..].starts_with(&[quote, quote]);
        if triple {
            self.bump();
            self.bump();
        }
        let mut out = Vec::new();
        loop {
            let c = self.bump().ok_or_else(|| self.err("unterminated string"))?;
            if c == quote {
                if !triple {
                    break;
                }
                if self.s[self.pos..].starts_with(&[quote, quote]) {
                    self.bump();
                    self.bump();
                    break;
                }
                out.push(c);
            } else if c == b'\\' {
                let e = self.bump().ok_or_else(|| self.err("unterminated string"))?;
                match e {
                    b'n' => out.push(b'\n'),
                    b't' => out.push(b'\t'),
                    b'r' => out.push(b'\r'),
                    b'\n' => {}
                    b'\\' | b'\'' | b'"' => out.push(e),
                    _ => out.extend_from_slice(&[b'\\', e]),
                }
            } else if c == b'\n' && !triple {
                return Err(self.err("newline in a string"));
            } else {
                out.push(c);
            }
        }
        // Adjacent literals concatenate, as in Python.
        self.skip_inline();
        let rest = String::from_utf8(out).map_err(|_| self.err("string is not UTF-8"))?;
        if matches!(self.peek(), Some(b'"' | b'\'')) {
            return Ok(rest + &self.string()?);
        }
        Ok(rest)
    }

    fn skip_inline(&mut self) {
        while self.peek().is_some_and(|c| c == b' ' || c == b'\t') {
            self.bump();
        }
    }

    fn number(&mut self) -> Result<Value, LiteralError> {
        let start = self.pos;
        while self
            .peek()
            .is_some_and(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'-' | b'+' | b'_'))
        {
            self.bump();
        }
        let text: String = String::from_utf8_lossy(&self.s[start..self.pos]).replace('_', "");
        if let Ok(n) = text.parse::<i64>() {
            return Ok(Value::Number(n.into()));
        }
        // Kept as the literal's own decimal text (serde_json arbitrary precision is not enabled,
        // so go through f64 only to validate; callers re-read the string for exact decimals).
        text.parse::<f64>()
            .ok()
            .and_then(Number::from_f64)
            .map(|_| Value::String(text.clone()))
            .ok_or_else(|| self.err("not a number"))
    }

    /// `True`, `False`, `None`, or anything else (a name, a call) read as `null`, skipping a
    /// balanced argument list.
    fn name(&mut self) -> Result<Value, LiteralError> {
        let start = self.pos;
        while self
            .peek()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'.')
        {
            self.bump();
        }
        if self.pos == start {
            return Err(self.err("unexpected character"));
        }
        let word = &self.s[start..self.pos];
        match word {
            b"True" => return Ok(Value::Bool(true)),
            b"False" => return Ok(Value::Bool(false)),
            b"None" => return Ok(Value::Null),
            _ => {}
        }
        self.skip_inline();
        if self.peek() == Some(b'(') {
            self.seq(b')')?;
        }
        Ok(Value::Null)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    #[test]
    fn reads_nested_dicts_with_comments_and_trailing_commas() {
        let src = "import os\n\nMODELS = {\n    # the main one\n    'claude-sonnet': {\n        \"name\": 'Claude 3.7 Sonnet',  # inline\n        'max': 1500,\n    },\n    'nova': {'on': True, 'region': os.getenv(\"R\", 'us-east-2'), 'p': 0.0006},\n}\n";
        let a = assignment(src, "MODELS").unwrap().unwrap();
        assert_eq!(a.line, 3);
        assert_eq!(
            a.value,
            json!({"claude-sonnet": {"name": "Claude 3.7 Sonnet", "max": 1500},
                   "nova": {"on": true, "region": null, "p": "0.0006"}})
        );
        assert_eq!(
            a.key_lines,
            vec![("claude-sonnet".to_owned(), 5), ("nova".to_owned(), 9)]
        );
    }

    #[test]
    fn missing_and_broken_assignments() {
        assert_eq!(assignment("X = 1\n", "MODELS"), Ok(None));
        assert!(assignment("MODELS = {'a': \n", "MODELS").is_err());
        assert_eq!(
            assignment("MODELS == 3\nMODELS = ('a' 'b',)\n", "MODELS")
                .unwrap()
                .unwrap()
                .value,
            json!(["ab"])
        );
    }

    #[test]
    fn nesting_beyond_the_limit_is_an_error_with_its_place_not_a_stack_overflow() {
        let deep = format!(
            "X = 1\nMODELS = {}{}\n",
            "[".repeat(10_000),
            "]".repeat(10_000)
        );
        let e = assignment(&deep, "MODELS").unwrap_err();
        assert_eq!((e.line, e.column), (2, 10 + 100));
        assert_eq!(e.reason, "nested deeper than 100 levels");
        let calls = format!("MODELS = {}", "f(".repeat(5_000));
        assert!(assignment(&calls, "MODELS").is_err());
        let within = format!(
            "MODELS = {}1{}",
            "{'a': ".repeat(MAX_DEPTH),
            "}".repeat(MAX_DEPTH)
        );
        assert!(assignment(&within, "MODELS").is_ok());
    }

    proptest! {
        #[test]
        fn never_panics(s in "\\PC{0,60}") {
            let _ = assignment(&format!("MODELS = {s}"), "MODELS");
        }
    }
}
