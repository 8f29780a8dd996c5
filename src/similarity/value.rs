//! The JSON value as Python's `json.loads` gives it, for the similarity computation: objects keep
//! their keys in document order and integers stay apart from floats.
//!
//! The legacy calculator works on Python objects, and two of its rules see what serde_json's default
//! `Value` hides: Python dicts iterate in insertion order (the "truthy values joined" reduction and
//! `str()` of a dict follow it), and `type(1) != type(1.0)` (the JSON-aware structure compares
//! types). [`super::parse`] builds it, rather than serde_json with its `preserve_order` feature,
//! so that no other part of the project changes behaviour (and see there for why not serde_json
//! at all).

/// A parsed JSON document, shaped like the Python object `json.loads` returns.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `null` → `None`.
    None,
    /// `true`/`false` → `bool`.
    Bool(bool),
    /// An integer literal → `int`, as its decimal digits (Python's ints have no size limit;
    /// JSON's have no leading zeros, and `-0` is kept as `0`, so equal ints have equal digits).
    Int(String),
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
        super::parse::parse(text)
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
            Value::Int(digits) => digits != "0",
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truthiness_follows_python() {
        for falsy in [
            "null", "false", "0", "-0", "0.0", "-0.0", "\"\"", "[]", "{}",
        ] {
            assert_eq!(
                Value::parse(falsy).map(|v| v.is_truthy()),
                Some(false),
                "{falsy}"
            );
        }
        for truthy in ["true", "-1", "0.5", "NaN", "\" \"", "[0]", "{\"a\": null}"] {
            assert_eq!(
                Value::parse(truthy).map(|v| v.is_truthy()),
                Some(true),
                "{truthy}"
            );
        }
    }

    #[test]
    fn bool_int_and_float_are_different_types() {
        let int = Value::Int("1".to_owned());
        assert!(!int.same_type(&Value::Float(1.0)));
        assert!(!Value::Bool(true).same_type(&int));
        assert!(int.same_type(&Value::Int("2".to_owned())));
    }

    #[test]
    fn dict_lookup_finds_keys_and_nothing_in_other_values() {
        let dict = Value::Dict(vec![("k".to_owned(), Value::None)]);
        assert_eq!(dict.get("k"), Some(&Value::None));
        assert!(dict.has("k"));
        assert!(!dict.has("x"));
        assert!(!Value::Str("k".to_owned()).has("k"));
    }
}
