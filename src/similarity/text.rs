//! Python's view of text for the similarity computation: `str()` of a JSON value, `str.strip()`,
//! `str.split()`, and the reduction of a raw response to the text that is scored.
//!
//! Every formula of the legacy calculator reads text produced by Python, so these follow CPython
//! exactly where it matters: float `repr` (shortest round trip, `1e-05`, `1e+16`), string `repr`
//! inside lists and dicts (quote choice, escapes of non-printable characters), and Python's
//! whitespace set (which, unlike Rust's, includes U+001C..U+001F).

use super::value::Value;
use std::borrow::Cow;
use std::fmt::Write as _;
use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};

/// The keys whose value stands for a whole JSON object response, tried in this order.
const TEXT_KEYS: [&str; 6] = ["response", "message", "text", "output", "answer", "content"];

/// Python's `str.isspace()` for one character.
pub fn is_py_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

/// Python's `str.strip()`.
pub fn py_strip(text: &str) -> &str {
    text.trim_matches(is_py_space)
}

/// Python's `str.split()`: words between runs of whitespace, none empty.
pub fn py_words(text: &str) -> impl Iterator<Item = &str> + Clone {
    text.split(is_py_space).filter(|w| !w.is_empty())
}

/// The text the legacy calculator scored for a raw response, given its parse (`None`: not JSON).
pub fn reduce<'a>(raw: &'a str, parsed: Option<&Value>) -> Cow<'a, str> {
    let Some(value) = parsed else {
        return Cow::Borrowed(py_strip(raw));
    };
    let mut out = String::new();
    match value {
        Value::Dict(entries) => {
            if let Some(inner) = TEXT_KEYS.iter().find_map(|key| value.get(key)) {
                write_str(inner, &mut out);
                return Cow::Owned(py_strip(&out).to_owned());
            }
            // Each value trimmed, then joined by one space (a value that trims to nothing still
            // takes its place between two spaces).
            let mut first = true;
            let mut piece = String::new();
            for (_, v) in entries.iter().filter(|(_, v)| v.is_truthy()) {
                piece.clear();
                write_str(v, &mut piece);
                push_joined(&mut out, py_strip(&piece), &mut first);
            }
        }
        Value::List(items) => {
            let mut first = true;
            let mut piece = String::new();
            for item in items {
                piece.clear();
                write_str(item, &mut piece);
                push_joined(&mut out, &piece, &mut first);
            }
        }
        other => write_str(other, &mut out),
    }
    Cow::Owned(out)
}

/// Appends `piece` to `out`, after one space unless it is the first piece.
fn push_joined(out: &mut String, piece: &str, first: &mut bool) {
    if !*first {
        out.push(' ');
    }
    *first = false;
    out.push_str(piece);
}

/// Python's `str(value)`: a string as it is, anything else as its `repr`.
pub fn write_str(value: &Value, out: &mut String) {
    match value {
        Value::Str(s) => out.push_str(s),
        other => write_repr(other, out),
    }
}

/// Python's `repr(value)`, which is also what `str()` of a list or dict shows for its items.
pub fn write_repr(value: &Value, out: &mut String) {
    match value {
        Value::None => out.push_str("None"),
        Value::Bool(true) => out.push_str("True"),
        Value::Bool(false) => out.push_str("False"),
        Value::Int(digits) => out.push_str(digits),
        Value::Float(f) => write_float(*f, out),
        Value::Str(s) => write_str_repr(s, out),
        Value::List(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_repr(item, out);
            }
            out.push(']');
        }
        Value::Dict(entries) => {
            out.push('{');
            for (i, (key, item)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_str_repr(key, out);
                out.push_str(": ");
                write_repr(item, out);
            }
            out.push('}');
        }
    }
}

/// Python's `repr(float)`: the shortest digits that round-trip, positional when the decimal
/// exponent is in -4..16, else scientific with a signed, at least two-digit exponent; an integral
/// value keeps `.0`.
pub fn write_float(f: f64, out: &mut String) {
    if f.is_nan() {
        out.push_str("nan");
        return;
    }
    if f.is_infinite() {
        out.push_str(if f > 0.0 { "inf" } else { "-inf" });
        return;
    }
    if f.is_sign_negative() {
        out.push('-');
    }
    let (digits, exponent) = shortest_digits(f.abs());
    if !(-4..16).contains(&exponent) {
        out.push_str(&digits[..1]);
        if digits.len() > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        let sign = if exponent < 0 { '-' } else { '+' };
        let _ = write!(out, "e{sign}{:02}", exponent.unsigned_abs());
        return;
    }
    let point = exponent + 1; // digits before the decimal point
    match usize::try_from(point) {
        Ok(point) if point >= digits.len() => {
            out.push_str(&digits);
            out.extend(std::iter::repeat_n('0', point - digits.len()));
            out.push_str(".0");
        }
        Ok(point) if point > 0 => {
            out.push_str(&digits[..point]);
            out.push('.');
            out.push_str(&digits[point..]);
        }
        _ => {
            out.push_str("0.");
            let zeros = usize::try_from(point.unsigned_abs()).unwrap_or(0);
            out.extend(std::iter::repeat_n('0', zeros));
            out.push_str(&digits);
        }
    }
}

/// The shortest round-trip digits of a finite, non-negative float and the decimal exponent of
/// the first (`d.ddd × 10^e`). Rust's `{:e}` gives the shortest digits, nearest the exact value;
/// where two are equally near it takes the upper, and CPython's dtoa the even one, so an odd last
/// digit is checked for that tie.
fn shortest_digits(f: f64) -> (String, i32) {
    let (digits, exponent) = split_scientific(&format!("{f:e}"));
    match even_at_tie(f, &digits, exponent) {
        Some(even) => (even, exponent),
        None => (digits, exponent),
    }
}

/// The digits one lower in the last place, when `f` lies exactly halfway between them and
/// `digits` (and they round-trip too).
fn even_at_tie(f: f64, digits: &str, exponent: i32) -> Option<String> {
    let (head, last) = digits.split_at(digits.len().checked_sub(1)?);
    let last = last.parse::<u8>().ok()?;
    if last % 2 == 0 {
        return None;
    }
    let lower = format!("{head}{}", last - 1);
    let candidate = format!("{}.{}e{exponent}", &lower[..1], &lower[1..]);
    if candidate.parse::<f64>().ok()? != f {
        return None;
    }
    // The exact value (an f64 has at most 767 significant digits): a tie is `lower` then 5.
    let (exact, exact_exponent) = split_scientific(&format!("{f:.800e}"));
    let halfway = exact_exponent == exponent
        && exact.trim_end_matches('0').strip_prefix(lower.as_str()) == Some("5");
    halfway.then(|| lower.trim_end_matches('0').to_owned())
}

/// `d.ddde±x` → the digits without the point, and x.
fn split_scientific(sci: &str) -> (String, i32) {
    let (mantissa, exponent) = sci.split_once('e').unwrap_or((sci, "0"));
    let digits = mantissa.chars().filter(char::is_ascii_digit).collect();
    (digits, exponent.parse().unwrap_or(0))
}

/// Python's `repr(str)`: single quotes unless the text holds `'` and no `"`; backslash, the quote,
/// `\t`, `\n`, `\r` escaped; other non-printable characters as `\xNN`, `\uNNNN` or `\UNNNNNNNN`.
pub fn write_str_repr(s: &str, out: &mut String) {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if is_py_printable(c) => out.push(c),
            c => {
                let code = u32::from(c);
                let _ = if code < 0x100 {
                    write!(out, "\\x{code:02x}")
                } else if code < 0x10000 {
                    write!(out, "\\u{code:04x}")
                } else {
                    write!(out, "\\U{code:08x}")
                };
            }
        }
    }
    out.push(quote);
}

/// Python's `str.isprintable()` for one character: every category but the controls, formats,
/// surrogates, private use, unassigned and separators, with the plain space printable. The
/// categories come from this build's Unicode tables, so a character assigned after the Python
/// that ran the dashboard may print where that Python escaped it.
fn is_py_printable(c: char) -> bool {
    if c == ' ' {
        return true;
    }
    !matches!(
        c.general_category(),
        GeneralCategory::Control
            | GeneralCategory::Format
            | GeneralCategory::Surrogate
            | GeneralCategory::PrivateUse
            | GeneralCategory::Unassigned
            | GeneralCategory::LineSeparator
            | GeneralCategory::ParagraphSeparator
            | GeneralCategory::SpaceSeparator
    )
}

#[cfg(test)]
#[path = "text_tests.rs"]
mod tests;
