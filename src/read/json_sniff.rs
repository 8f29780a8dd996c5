//! ① The first items of a JSON file, read by streaming: a visitor takes the first elements of a
//! top-level array (or of a `Records` / `prompts` array inside an object) and the first entries of a
//! top-level object, then stops, so a JSON file of any size is classified by its first items
//! without reading, or holding, the rest. A document cut short or broken within those items says
//! where. Feeds `classify`.

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};
use std::fmt;
use std::io::Read;

/// How many array elements the classifier looks at.
pub const FIRST_ITEMS: usize = 8;
/// How many object entries the classifier looks at (a log entry has about 20 keys).
pub const FIRST_ENTRIES: usize = 64;

/// The shape of the first JSON value of a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    Array,
    Object,
    Scalar,
}

/// Where a JSON file stopped parsing, without any of its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Broken {
    pub line: u64,
    pub column: usize,
    /// `syntax error`, `unexpected end`, `i/o error` or `unexpected data`.
    pub what: &'static str,
}

/// What the first items of a JSON file are.
#[derive(Debug, Clone, PartialEq)]
pub struct Sniffed {
    /// `None` when not even the first value could start.
    pub shape: Option<Shape>,
    /// The first elements of a top-level array.
    pub items: Vec<Value>,
    /// The first entries of a top-level object; a `Records` or `prompts` array holds its first
    /// elements only.
    pub entries: Map<String, Value>,
    /// The visitor stopped after the first items: the document goes on.
    pub stopped: bool,
    /// Another value follows the first: JSON Lines (or text after a document).
    pub more_values: bool,
    /// Where parsing failed within what was read.
    pub broken: Option<Broken>,
}

impl Sniffed {
    /// What was read, as one value (an array of the first items, or an object of the first
    /// entries); `None` for a scalar or nothing.
    pub fn value(&self) -> Option<Value> {
        match self.shape? {
            Shape::Array => Some(Value::Array(self.items.clone())),
            Shape::Object => Some(Value::Object(self.entries.clone())),
            Shape::Scalar => None,
        }
    }
}

/// The message of the error the visitor returns to stop early (never shown).
const STOP: &str = "bellatrix-migrate: enough items";

/// Reads the first items of the JSON document (or the first value of JSON Lines) in `reader`.
pub fn sniff<R: Read>(reader: R) -> Sniffed {
    let mut out = Sniffed {
        shape: None,
        items: Vec::new(),
        entries: Map::new(),
        stopped: false,
        more_values: false,
        broken: None,
    };
    let mut de = serde_json::Deserializer::from_reader(reader);
    let result = Top { out: &mut out }.deserialize(&mut de);
    match result {
        Ok(()) => out.more_values = de.end().is_err(),
        Err(_) if out.stopped => {}
        Err(e) => {
            out.broken = Some(Broken {
                line: u64::try_from(e.line()).unwrap_or(0),
                column: e.column(),
                what: super::json_text::json_error_kind(&e),
            })
        }
    }
    out
}

struct Top<'a> {
    out: &'a mut Sniffed,
}

impl<'de> DeserializeSeed<'de> for Top<'_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Top<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        self.out.shape = Some(Shape::Array);
        loop {
            // An element that breaks still shows the entries it completed (a log entry's
            // `modelId` and `operation` before its cut body): evidence of its kind.
            let mut partial = Map::new();
            match seq.next_element_seed(Partial { slot: &mut partial }) {
                Ok(Some(v)) => self.out.items.push(v),
                Ok(None) => return Ok(()),
                Err(e) => {
                    if !partial.is_empty() {
                        self.out.items.push(Value::Object(partial));
                    }
                    return Err(e);
                }
            }
            if self.out.items.len() >= FIRST_ITEMS {
                self.out.stopped = true;
                return Err(de::Error::custom(STOP));
            }
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        self.out.shape = Some(Shape::Object);
        while let Some(key) = map.next_key::<String>()? {
            if key == "Records" || key == "prompts" {
                let mut first = Vec::new();
                let mut stopped = false;
                let result = map.next_value_seed(FirstItems {
                    items: &mut first,
                    stopped: &mut stopped,
                });
                self.out.entries.insert(key, Value::Array(first));
                if stopped {
                    self.out.stopped = true;
                }
                result?;
            } else {
                let v = map.next_value::<Value>()?;
                self.out.entries.insert(key, v);
            }
            if self.out.entries.len() >= FIRST_ENTRIES {
                self.out.stopped = true;
                return Err(de::Error::custom(STOP));
            }
        }
        Ok(())
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        self.scalar()
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        self.scalar()
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        self.scalar()
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        self.scalar()
    }
    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        self.scalar()
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        self.scalar()
    }
}

impl Top<'_> {
    fn scalar<E>(self) -> Result<(), E> {
        self.out.shape = Some(Shape::Scalar);
        Ok(())
    }
}

/// One value; an object's completed entries are kept in `slot` as they are read, so that they
/// survive an error later in the object.
struct Partial<'a> {
    slot: &'a mut Map<String, Value>,
}

impl<'de> DeserializeSeed<'de> for Partial<'_> {
    type Value = Value;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Partial<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            let v = map.next_value::<Value>()?;
            self.slot.insert(key, v);
        }
        Ok(Value::Object(std::mem::take(self.slot)))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(v) = seq.next_element::<Value>()? {
            items.push(v);
        }
        Ok(Value::Array(items))
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
}

/// The first elements of an array nested in the top-level object; anything else is skipped.
struct FirstItems<'a> {
    items: &'a mut Vec<Value>,
    stopped: &'a mut bool,
}

impl<'de> DeserializeSeed<'de> for FirstItems<'_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for FirstItems<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        loop {
            let mut partial = Map::new();
            match seq.next_element_seed(Partial { slot: &mut partial }) {
                Ok(Some(v)) => self.items.push(v),
                Ok(None) => return Ok(()),
                Err(e) => {
                    if !partial.is_empty() {
                        self.items.push(Value::Object(partial));
                    }
                    return Err(e);
                }
            }
            if self.items.len() >= FIRST_ITEMS {
                *self.stopped = true;
                return Err(de::Error::custom(STOP));
            }
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(())
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_array_is_judged_by_its_first_items_without_reading_the_rest() {
        // The tail is not JSON at all: the visitor never reaches it.
        let doc = format!("[{}\"never read\" oops", "\"p\",".repeat(20));
        let s = sniff(doc.as_bytes());
        assert_eq!(s.shape, Some(Shape::Array));
        assert_eq!(s.items.len(), FIRST_ITEMS);
        assert!(s.stopped && s.broken.is_none());
    }

    #[test]
    fn nested_records_keep_their_first_elements() {
        let s = sniff(&br#"{"Records": [1, 2, 3], "other": {"a": [1]}}"#[..]);
        assert_eq!(s.entries["Records"], serde_json::json!([1, 2, 3]));
        assert!(!s.stopped && !s.more_values && s.broken.is_none());
    }

    #[test]
    fn json_lines_and_cut_documents_are_told_apart() {
        let lines = sniff(&b"{\"a\": 1}\n{\"a\": 2}\n"[..]);
        assert!(lines.more_values);
        assert_eq!(lines.entries["a"], 1);
        let cut = sniff(&b"{\"ann\": {\"email\": \"a\"},\n \"bob\": {\"em"[..]);
        assert_eq!(cut.entries.len(), 1);
        let broken = cut.broken.expect("a cut document is broken");
        assert_eq!((broken.line, broken.what), (2, "unexpected end"));
    }

    #[test]
    fn a_first_element_cut_short_keeps_the_entries_it_completed() {
        let s = sniff(&br#"[{"modelId": "m", "operation": "Converse", "input": {"messa"#[..]);
        assert_eq!(s.items.len(), 1);
        assert_eq!(s.items[0]["operation"], "Converse");
        assert!(s.broken.is_some());
    }
}
