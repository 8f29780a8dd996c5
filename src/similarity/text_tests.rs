//! Python `str()` rendering, whitespace and the reduction of a response to text.

use super::*;

fn json(text: &str) -> Value {
    match Value::parse(text) {
        Some(v) => v,
        None => panic!("test fixture is not json: {text}"),
    }
}

fn py_str(text: &str) -> String {
    let mut out = String::new();
    write_str(&json(text), &mut out);
    out
}

fn float(f: f64) -> String {
    let mut out = String::new();
    write_float(f, &mut out);
    out
}

fn reduced(raw: &str) -> String {
    reduce(raw, Value::parse(raw).as_ref()).into_owned()
}

#[test]
fn scalars_render_as_python_str() {
    assert_eq!(py_str("true"), "True");
    assert_eq!(py_str("false"), "False");
    assert_eq!(py_str("null"), "None");
    assert_eq!(py_str("42"), "42");
    assert_eq!(py_str("-7"), "-7");
    assert_eq!(py_str("18446744073709551615"), "18446744073709551615");
    // A top-level string is itself, unquoted and untrimmed.
    assert_eq!(py_str(r#"" it's ""#), " it's ");
}

#[test]
fn floats_render_as_python_repr() {
    assert_eq!(float(1.0), "1.0");
    assert_eq!(float(0.1), "0.1");
    assert_eq!(float(1e-05), "1e-05");
    assert_eq!(float(0.0001), "0.0001");
    assert_eq!(float(1.5e-07), "1.5e-07");
    assert_eq!(float(123.456), "123.456");
    assert_eq!(float(1e15), "1000000000000000.0");
    assert_eq!(float(1e16), "1e+16");
    assert_eq!(float(1.2345e100), "1.2345e+100");
    assert_eq!(float(-2.5), "-2.5");
    assert_eq!(float(-0.0), "-0.0");
    assert_eq!(float(0.0), "0.0");
    assert_eq!(float(100.0), "100.0");
    assert_eq!(float(0.30000000000000004), "0.30000000000000004");
    assert_eq!(float(5e-324), "5e-324");
    // (Floats of 2^50..2^51 are quarters.) Exactly halfway between two shortest candidates (…801.2 and …801.3): Python takes the
    // even digit; between …801.7 and …801.8 the even one is also the upper.
    assert_eq!(float(1223383794756801.0 + 0.25), "1223383794756801.2");
    assert_eq!(float(1223383794756801.0 + 0.75), "1223383794756801.8");
    assert_eq!(py_str("1e2"), "100.0");
    assert_eq!(py_str("2.50"), "2.5");
}

#[test]
fn strings_inside_containers_render_as_python_repr() {
    assert_eq!(py_str(r#"["a", "it's"]"#), r#"['a', "it's"]"#);
    assert_eq!(py_str(r#"["say \"hi\""]"#), r#"['say "hi"']"#);
    // Both quotes: single quotes, the single one escaped.
    assert_eq!(py_str(r#"["a'b\"c"]"#), r#"['a\'b"c']"#);
    assert_eq!(py_str(r#"["back\\slash"]"#), r#"['back\\slash']"#);
    assert_eq!(py_str(r#"["tab\tnl\ncr\r"]"#), r#"['tab\tnl\ncr\r']"#);
    assert_eq!(py_str(r#"["\u0000\u001f\u007f"]"#), r#"['\x00\x1f\x7f']"#);
    // Non-printable beyond ASCII: no-break space, zero-width space, line separator, private use.
    assert_eq!(
        py_str(r#"["\u00a0\u200b\u2028\ue000"]"#),
        r#"['\xa0\u200b\u2028\ue000']"#
    );
    assert_eq!(py_str(r#"["\udb80\udc00"]"#), r#"['\U000f0000']"#);
    // Printable beyond ASCII stays as it is.
    assert_eq!(py_str(r#"["é", "日本", "😀"]"#), "['é', '日本', '😀']");
}

#[test]
fn containers_render_nested_in_key_order() {
    assert_eq!(
        py_str(r#"{"k": 1, "b": [true, null, 1.0, {"z": "x"}]}"#),
        "{'k': 1, 'b': [True, None, 1.0, {'z': 'x'}]}"
    );
    assert_eq!(py_str("[]"), "[]");
    assert_eq!(py_str("{}"), "{}");
    assert_eq!(py_str(r#"{"it's": []}"#), r#"{"it's": []}"#);
}

#[test]
fn python_whitespace_includes_the_information_separators() {
    assert_eq!(py_strip("\u{1c}\u{1f} a b\u{a0}\u{3000}\n"), "a b");
    assert_eq!(
        py_words("a\u{1e}b\t c\u{2003}d").collect::<Vec<_>>(),
        ["a", "b", "c", "d"]
    );
    // U+200B is not whitespace for Python either.
    assert_eq!(py_strip("\u{200b}x"), "\u{200b}x");
}

#[test]
fn a_wrapped_response_reduces_to_its_value() {
    assert_eq!(
        reduced(r#"{"response": "  Hello there \n"}"#),
        "Hello there"
    );
    // The first key of the list that is present, whatever the document order.
    assert_eq!(reduced(r#"{"answer": "b", "message": "a"}"#), "a");
    assert_eq!(reduced(r#"{"output": {"x": [1, 2]}}"#), "{'x': [1, 2]}");
    assert_eq!(reduced(r#"{"text": null}"#), "None");
    assert_eq!(reduced(r#"{"content": ""}"#), "");
}

#[test]
fn an_object_without_text_keys_joins_its_truthy_values() {
    assert_eq!(
        reduced(r#"{"b": " x ", "a": 0, "c": [1, "y"], "d": false, "e": 2.5, "f": ""}"#),
        "x [1, 'y'] 2.5"
    );
    assert_eq!(reduced(r#"{"a": null}"#), "");
}

#[test]
fn a_list_joins_all_its_items() {
    assert_eq!(
        reduced(r#"["a", 1, null, false, {"k": "v"}]"#),
        "a 1 None False {'k': 'v'}"
    );
    assert_eq!(reduced("[]"), "");
}

#[test]
fn other_json_values_reduce_to_their_str() {
    assert_eq!(reduced("true"), "True");
    assert_eq!(reduced("3.0"), "3.0");
    assert_eq!(reduced(r#""  padded  ""#), "  padded  ");
}

#[test]
fn text_that_is_not_json_is_trimmed() {
    assert_eq!(reduced("  plain answer\n"), "plain answer");
    assert_eq!(reduced("{'a': 1}"), "{'a': 1}");
}
