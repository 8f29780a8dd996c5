//! The JSON value as Python's `json.loads` gives it, for the similarity computation: objects keep
//! their keys in document order and integers stay apart from floats.
//!
//! The legacy calculator works on Python objects, and two of its rules see what serde_json's default
//! `Value` hides: Python dicts iterate in insertion order (the "truthy values joined" reduction and
//! `str()` of a dict follow it), and `type(1) != type(1.0)` (the JSON-aware structure compares
//! types). This is a separate parse path rather than serde_json's `preserve_order` feature, so that
//! no other part of the project changes behaviour. Known differences from `json.loads`, all rare in
//! model output: the literals `NaN`/`Infinity` and lone surrogate escapes are rejected here (Python
//! accepts them), nesting deeper than serde_json's limit of 128 is rejected, and integers beyond 64
//! bits, and `-0`, become floats.

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use std::collections::HashSet;
use std::fmt;

/// A parsed JSON document, shaped like the Python object `json.loads` returns.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `null` → `None`.
    None,
    /// `true`/`false` → `bool`.
    Bool(bool),
    /// An integer literal → `int`.
    Int(i128),
    /// A literal with a fraction or exponent → `float`.
    Float(f64),
    /// A string → `str`.
    Str(String),
    /// An array → `list`.
    List(Vec<Value>),
    /// An object → `dict`, in insertion order; a repeated key keeps its first position and its
    /// last value, as a Python dict built from the document does.
    Dict(Vec<(String, Value)>),
}

impl Value {
    /// `json.loads(text)`, or `None` when Python would raise (see the module docs for the few
    /// documents where the two disagree).
    pub fn parse(text: &str) -> Option<Value> {
        serde_json::from_str(text).ok()
    }

    /// The value under `key` of a dict (`None` for other values or a missing key).
    pub fn get(&self, key: &str) -> Option<&Value> {
        match self {
            Value::Dict(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// Whether this is a dict holding `key` (Python's `key in value` for a dict).
    pub fn has(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    /// Python's truthiness: `None`, `False`, zero, and empty strings, lists and dicts are false.
    pub fn is_truthy(&self) -> bool {
        match self {
            Value::None => false,
            Value::Bool(b) => *b,
            Value::Int(i) => *i != 0,
            Value::Float(f) => *f != 0.0,
            Value::Str(s) => !s.is_empty(),
            Value::List(items) => !items.is_empty(),
            Value::Dict(entries) => !entries.is_empty(),
        }
    }

    /// Whether `self` and `other` have the same Python type (`bool` and `int` differ, as do `int`
    /// and `float`).
    pub fn same_type(&self, other: &Value) -> bool {
        std::mem::discriminant(self) == std::mem::discriminant(other)
    }
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(ValueVisitor)
    }
}

/// Builds a [`Value`] from serde_json's events.
struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a json value")
    }

    fn visit_bool<E>(self, b: bool) -> Result<Value, E> {
        Ok(Value::Bool(b))
    }

    fn visit_i64<E>(self, i: i64) -> Result<Value, E> {
        Ok(Value::Int(i128::from(i)))
    }

    fn visit_u64<E>(self, u: u64) -> Result<Value, E> {
        Ok(Value::Int(i128::from(u)))
    }

    fn visit_f64<E>(self, f: f64) -> Result<Value, E> {
        Ok(Value::Float(f))
    }

    fn visit_str<E>(self, s: &str) -> Result<Value, E> {
        Ok(Value::Str(s.to_owned()))
    }

    fn visit_string<E>(self, s: String) -> Result<Value, E> {
        Ok(Value::Str(s))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::None)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Value::List(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut entries: Vec<(String, Value)> = Vec::new();
        while let Some((key, value)) = map.next_entry::<String, Value>()? {
            entries.push((key, value));
        }
        Ok(Value::Dict(dedupe(entries)))
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
        let mut seen = HashSet::with_capacity(entries.len());
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

    fn s(text: &str) -> Value {
        Value::Str(text.to_owned())
    }

    #[test]
    fn object_keys_keep_document_order() {
        let parsed = Value::parse(r#"{"b": 1, "a": 2}"#);
        let expected = Value::Dict(vec![
            ("b".to_owned(), Value::Int(1)),
            ("a".to_owned(), Value::Int(2)),
        ]);
        assert_eq!(parsed, Some(expected));
    }

    #[test]
    fn a_repeated_key_keeps_its_first_place_and_last_value() {
        let parsed = Value::parse(r#"{"a": 1, "b": 2, "a": 3}"#);
        let expected = Value::Dict(vec![
            ("a".to_owned(), Value::Int(3)),
            ("b".to_owned(), Value::Int(2)),
        ]);
        assert_eq!(parsed, Some(expected));
    }

    #[test]
    fn integers_and_floats_stay_apart() {
        assert_eq!(Value::parse("1"), Some(Value::Int(1)));
        assert_eq!(Value::parse("1.0"), Some(Value::Float(1.0)));
        assert_eq!(Value::parse("1e2"), Some(Value::Float(100.0)));
        assert!(!Value::Int(1).same_type(&Value::Float(1.0)));
        assert!(!Value::Bool(true).same_type(&Value::Int(1)));
    }

    #[test]
    fn what_python_rejects_is_not_json() {
        assert_eq!(Value::parse(""), None);
        assert_eq!(Value::parse("1 2"), None);
        assert_eq!(Value::parse("True"), None);
        assert_eq!(Value::parse("{'a': 1}"), None);
        assert_eq!(
            Value::parse(" [1] "),
            Some(Value::List(vec![Value::Int(1)]))
        );
        assert_eq!(Value::parse("\"x\""), Some(s("x")));
    }

    #[test]
    fn truthiness_follows_python() {
        for falsy in ["null", "false", "0", "0.0", "-0.0", "\"\"", "[]", "{}"] {
            assert_eq!(Value::parse(falsy).map(|v| v.is_truthy()), Some(false));
        }
        for truthy in ["true", "-1", "0.5", "\" \"", "[0]", "{\"a\": null}"] {
            assert_eq!(Value::parse(truthy).map(|v| v.is_truthy()), Some(true));
        }
    }
}
