//! The last line against NUL bytes: PostgreSQL text and jsonb cannot hold U+0000, and a COPY
//! that meets one fails the whole import, with the row's text in the server's log. Readers reject
//! such records first; this check sees the very bytes each value is encoded to, so whatever a reader
//! missed stops here, before the row is sent, with an error naming the file, line and column.

use bytes::BytesMut;
use std::error::Error as StdError;
use tokio_postgres::types::{IsNull, ToSql, Type};

/// A value was refused: its encoding holds a NUL. Names the value's position in the COPY row only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("value {index} of the row holds a NUL byte")]
pub struct NulByte {
    /// 0-based position in the COPY column list.
    pub index: usize,
}

/// A value on its way into a COPY row, checked as it is encoded.
#[derive(Debug)]
pub struct Checked<'a> {
    pub value: &'a (dyn ToSql + Sync),
    pub index: usize,
}

impl ToSql for Checked<'_> {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut BytesMut,
    ) -> Result<IsNull, Box<dyn StdError + Sync + Send>> {
        self.to_sql_checked(ty, out)
    }

    /// Every type: the inner value's own check decides, in `to_sql_checked`.
    fn accepts(_: &Type) -> bool {
        true
    }

    fn to_sql_checked(
        &self,
        ty: &Type,
        out: &mut BytesMut,
    ) -> Result<IsNull, Box<dyn StdError + Sync + Send>> {
        let start = out.len();
        let is_null = self.value.to_sql_checked(ty, out)?;
        self.check(ty, &out[start..], is_null)
    }
}

impl Checked<'_> {
    fn check(
        &self,
        ty: &Type,
        encoded: &[u8],
        is_null: IsNull,
    ) -> Result<IsNull, Box<dyn StdError + Sync + Send>> {
        if matches!(is_null, IsNull::No) && holds_nul(ty, encoded) {
            return Err(Box::new(NulByte { index: self.index }));
        }
        Ok(is_null)
    }
}

/// Whether the binary encoding of a value of type `ty` stands for text holding U+0000.
pub fn holds_nul(ty: &Type, encoded: &[u8]) -> bool {
    if *ty == Type::TEXT || *ty == Type::VARCHAR {
        memchr::memchr(0, encoded).is_some()
    } else if *ty == Type::JSONB || *ty == Type::JSON {
        json_escapes_nul(encoded)
    } else if *ty == Type::TEXT_ARRAY || *ty == Type::VARCHAR_ARRAY {
        array_elements(encoded).any(|e| memchr::memchr(0, e).is_some())
    } else {
        false
    }
}

/// Whether JSON text holds a `\u0000` escape (a raw NUL cannot occur: serde_json escapes control
/// characters). A `\` before `u0000` starts an escape only when the run of backslashes before the
/// `u` is odd: `\\u0000` is an escaped backslash and the text `u0000`.
fn json_escapes_nul(json: &[u8]) -> bool {
    memchr::memmem::find_iter(json, b"u0000").any(|at| {
        let run = json[..at].iter().rev().take_while(|&&b| b == b'\\').count();
        run % 2 == 1
    })
}

/// The elements of a binary one-dimensional array (header, dimensions, then length-prefixed
/// elements); a malformed encoding yields what it can.
fn array_elements(encoded: &[u8]) -> impl Iterator<Item = &[u8]> {
    let int = |at: usize| -> Option<i32> {
        let b = encoded.get(at..at + 4)?;
        Some(i32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    };
    let dims = int(0).and_then(|d| usize::try_from(d).ok()).unwrap_or(0);
    let mut at = 12 + 8 * dims;
    std::iter::from_fn(move || {
        let len = int(at)?;
        at += 4;
        let Ok(len) = usize::try_from(len) else {
            return Some(&encoded[0..0]); // NULL element
        };
        let element = encoded.get(at..at + len)?;
        at += len;
        Some(element)
    })
}

/// The index of the first value of `values` (typed as `types`) whose text holds U+0000, by the
/// same check as the COPY: for readers, to turn such a record into a reject before it is sent.
pub fn first_nul(values: &[&(dyn ToSql + Sync)], types: &[Type]) -> Option<usize> {
    let mut scratch = BytesMut::new();
    values.iter().zip(types).position(|(value, ty)| {
        scratch.clear();
        let checked = Checked {
            value: *value,
            index: 0,
        };
        checked.to_sql_checked(ty, &mut scratch).is_err()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn nul_at(values: &[&(dyn ToSql + Sync)], types: &[Type]) -> Option<usize> {
        first_nul(values, types)
    }

    #[test]
    fn nul_in_text_json_and_text_arrays_is_found() {
        let clean = "plain".to_owned();
        let dirty = "a\0b".to_owned();
        let none: Option<String> = None;
        assert_eq!(nul_at(&[&clean, &none], &[Type::TEXT, Type::TEXT]), None);
        assert_eq!(
            nul_at(&[&clean, &dirty], &[Type::TEXT, Type::TEXT]),
            Some(1)
        );
        assert_eq!(nul_at(&[&json!({"k": "x\u{0}y"})], &[Type::JSONB]), Some(0));
        assert_eq!(nul_at(&[&json!({"k\u{0}": 1})], &[Type::JSONB]), Some(0));
        assert_eq!(nul_at(&[&json!({"k": "\\u0000"})], &[Type::JSONB]), None);
        assert_eq!(nul_at(&[&json!({"k": "\\\u{0}"})], &[Type::JSONB]), Some(0));
        let tags = Some(vec!["ok".to_owned(), "b\0d".to_owned()]);
        assert_eq!(nul_at(&[&tags], &[Type::TEXT_ARRAY]), Some(0));
        let tags = Some(vec!["ok".to_owned(), "fine".to_owned()]);
        assert_eq!(nul_at(&[&tags], &[Type::TEXT_ARRAY]), None);
        assert_eq!(nul_at(&[&7i32, &7i64], &[Type::INT4, Type::INT8]), None);
    }
}
