//! The "json_aware" score of two texts that both parse as JSON: 0.7 × content + 0.3 × structure.
//!
//! Content compares what the documents say (the cosine of their flattened words, keys sorted so
//! key order does not count); structure compares their shape (types, shared keys, list lengths).

use super::combined::{cosine, count, ratio};
use super::text::write_str;
use super::value::Value;

/// The parts of a JSON-aware score.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct JsonAware {
    /// Cosine of the two flattened documents, in [0, 1].
    pub content: f64,
    /// Structural likeness, in [0, 1].
    pub structure: f64,
}

impl JsonAware {
    /// Scores two parsed documents.
    pub fn of(a: &Value, b: &Value) -> JsonAware {
        let mut flat_a = String::new();
        let mut flat_b = String::new();
        flatten(a, &mut flat_a);
        flatten(b, &mut flat_b);
        JsonAware {
            content: cosine(&flat_a, &flat_b),
            structure: structure(a, b),
        }
    }

    /// The weighted sum.
    pub fn score(&self) -> f64 {
        0.7 * self.content + 0.3 * self.structure
    }
}

/// A document as text: an object as `key value` for each key in sorted order, a list as its
/// items, a scalar as its `str()`, all joined by single spaces.
pub fn flatten(value: &Value, out: &mut String) {
    match value {
        Value::Dict(entries) => {
            // Python sorts str keys by code point, which is the byte order of UTF-8.
            let mut sorted: Vec<&(String, Value)> = entries.iter().collect();
            sorted.sort_by(|x, y| x.0.cmp(&y.0));
            for (i, (key, item)) in sorted.into_iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                out.push_str(key);
                out.push(' ');
                flatten(item, out);
            }
        }
        Value::List(items) => {
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                flatten(item, out);
            }
        }
        scalar => write_str(scalar, out),
    }
}

/// Structural likeness: different types 0; scalars 1 if equal else 0; objects 0.5 × shared/all
/// keys + 0.5 × the mean over shared keys (0 if none), two empty objects 1; lists of different
/// lengths 1 − |Δ|/longer, of equal length the mean over positions, two empty lists 1.
pub fn structure(a: &Value, b: &Value) -> f64 {
    if !a.same_type(b) {
        return 0.0;
    }
    match (a, b) {
        (Value::Dict(x), Value::Dict(y)) => {
            if x.is_empty() && y.is_empty() {
                return 1.0;
            }
            let mut shared = 0usize;
            let mut sum = 0.0;
            for (key, item) in x {
                if let Some(other) = b.get(key) {
                    shared += 1;
                    sum += structure(item, other);
                }
            }
            let all = x.len() + y.len() - shared;
            let mean = if shared == 0 {
                0.0
            } else {
                sum / count(shared)
            };
            0.5 * ratio(shared, all) + 0.5 * mean
        }
        (Value::List(x), Value::List(y)) => {
            if x.len() != y.len() {
                let longer = x.len().max(y.len());
                return 1.0 - ratio(x.len().abs_diff(y.len()), longer);
            }
            if x.is_empty() {
                return 1.0;
            }
            let sum: f64 = x.iter().zip(y).map(|(p, q)| structure(p, q)).sum();
            sum / count(x.len())
        }
        _ => {
            if a == b {
                1.0
            } else {
                0.0
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(text: &str) -> Value {
        match Value::parse(text) {
            Some(v) => v,
            None => panic!("test fixture is not json: {text}"),
        }
    }

    fn flat(text: &str) -> String {
        let mut out = String::new();
        flatten(&json(text), &mut out);
        out
    }

    use crate::similarity::assert_close as close;

    #[test]
    fn flattening_sorts_keys_and_renders_scalars_as_python_str() {
        assert_eq!(
            flat(r#"{"b": [1, 2.5], "a": {"y": true, "x": null}}"#),
            "a x None y True b 1 2.5"
        );
        assert_eq!(flat(r#""plain""#), "plain");
        assert_eq!(flat("[]"), "");
    }

    #[test]
    fn reordered_keys_score_one() {
        let a = json(r#"{"name": "x", "n": 1}"#);
        let b = json(r#"{"n": 1, "name": "x"}"#);
        let scored = JsonAware::of(&a, &b);
        close(scored.content, 1.0);
        close(scored.structure, 1.0);
        close(scored.score(), 1.0);
    }

    #[test]
    fn objects_score_shared_keys_and_their_structure() {
        // keys a, b | a, c: shared {a}, all {a, b, c}; a: 1 vs 2, same type, unequal → 0.
        let a = json(r#"{"a": 1, "b": 2}"#);
        let b = json(r#"{"a": 2, "c": 2}"#);
        close(structure(&a, &b), 0.5 * (1.0 / 3.0) + 0.5 * 0.0);
        // "a 1 b 2" vs "a 2 c 2": counts a(1,1) 1(1,0) b(1,0) 2(1,2) c(0,1):
        // uv = 1 + 2 = 3, uu = 4, vv = 1 + 4 + 1 = 6.
        let content = 3.0 / (4.0f64 * 6.0).sqrt();
        let scored = JsonAware::of(&a, &b);
        close(scored.content, content);
        close(scored.score(), 0.7 * content + 0.3 * (0.5 / 3.0));
    }

    #[test]
    fn objects_without_shared_keys_score_zero_structure() {
        close(structure(&json(r#"{"a": 1}"#), &json(r#"{"b": 1}"#)), 0.0);
        close(structure(&json("{}"), &json("{}")), 1.0);
        // {} vs {"a": 1}: no shared key of one in all.
        close(structure(&json("{}"), &json(r#"{"a": 1}"#)), 0.0);
    }

    #[test]
    fn nested_objects_average_their_shared_keys() {
        // shared {k}, all {k}; k: {"x":1,"y":2} vs {"x":1}: shared {x} of {x,y}, x equal → 1.
        let inner = 0.5 * (1.0 / 2.0) + 0.5 * 1.0;
        let a = json(r#"{"k": {"x": 1, "y": 2}}"#);
        let b = json(r#"{"k": {"x": 1}}"#);
        close(structure(&a, &b), 0.5 * 1.0 + 0.5 * inner);
    }

    #[test]
    fn lists_of_different_lengths_score_by_length_alone() {
        close(structure(&json("[1, 2, 3]"), &json("[4]")), 1.0 - 2.0 / 3.0);
        close(structure(&json("[]"), &json("[1]")), 0.0);
        close(structure(&json("[]"), &json("[]")), 1.0);
        // Equal lengths: mean over positions: 1 == 1, "a" vs 2 differ in type.
        close(
            structure(&json(r#"[1, "a"]"#), &json("[1, 2]")),
            (1.0 + 0.0) / 2.0,
        );
    }

    #[test]
    fn lists_of_different_lengths_score_content_by_their_words() {
        // "1 2 3" vs "1 2": uv = 2, uu = 3, vv = 2.
        let a = json("[1, 2, 3]");
        let b = json("[1, 2]");
        let scored = JsonAware::of(&a, &b);
        let content = 2.0 / (3.0f64 * 2.0).sqrt();
        close(scored.content, content);
        close(scored.score(), 0.7 * content + 0.3 * (1.0 - 1.0 / 3.0));
    }

    #[test]
    fn types_differ_between_int_float_and_bool() {
        close(structure(&json("1"), &json("1.0")), 0.0);
        close(structure(&json("true"), &json("1")), 0.0);
        close(structure(&json("null"), &json("null")), 1.0);
        close(structure(&json(r#""a""#), &json(r#""b""#)), 0.0);
        close(structure(&json("[1]"), &json(r#"{"a": 1}"#)), 0.0);
    }
}
