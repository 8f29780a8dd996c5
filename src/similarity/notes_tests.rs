//! Note-audit detection, the lenient scan and note matching, on hand-made responses.

use super::*;

fn inspect(raw: &str) -> Inspection {
    Inspection::of(raw, Value::parse(raw).as_ref())
}

fn matched(a: &str, b: &str) -> NoteMatch {
    NoteMatch::of(Value::parse(a).as_ref(), Value::parse(b).as_ref())
}

const AUDIT: &str = r#"[{"linkId": "1", "result": "Yes"}, {"linkId": "2", "result": "no"}]"#;

#[test]
fn a_json_list_of_notes_is_an_audit() {
    assert_eq!(inspect(AUDIT), Inspection::Json { audit: true });
    // The list counts when its first item holds either key; a later item may hold both.
    assert_eq!(
        inspect(r#"[{"result": "x"}, {"linkId": "1", "result": "y"}]"#),
        Inspection::Json { audit: true }
    );
    assert_eq!(
        inspect(r#"[{"linkId": "1"}, {"linkId": "2"}]"#),
        Inspection::Json { audit: false }
    );
}

#[test]
fn a_json_object_holding_both_keys_is_an_audit() {
    assert_eq!(
        inspect(r#"{"result": "ok", "linkId": 7}"#),
        Inspection::Json { audit: true }
    );
}

#[test]
fn json_of_another_shape_goes_to_the_lenient_scan() {
    assert_eq!(
        inspect(r#"{"linkId": "1"}"#),
        Inspection::Scanned {
            audit: false,
            mentions_link_id: true
        }
    );
    assert_eq!(
        inspect(r#"{"notes": [{"linkId": "1", "result": "y"}]}"#),
        Inspection::Scanned {
            audit: true,
            mentions_link_id: true
        }
    );
    assert_eq!(
        inspect(r#"["intro", {"linkId": "1", "result": "y"}]"#),
        Inspection::Scanned {
            audit: true,
            mentions_link_id: true
        }
    );
}

#[test]
fn the_lenient_scan_finds_notes_in_prose() {
    let block = "Here you are: {\"linkId\": \"a\", \"result\": \"yes\"} and more.";
    assert!(inspect(block).is_audit());
    assert!(inspect("linkId: 3.1 result: present").is_audit());
    assert!(inspect("- linkId = a\n  result = no").is_audit());
    // Escaped quotes of a JSON string inside JSON still read as keys.
    assert!(inspect(r#"{"response": "[{\"linkId\": \"a\", \"result\": \"y\"}]"}"#).is_audit());
}

#[test]
fn the_lenient_scan_needs_both_keys_as_keys() {
    for raw in [
        "plain prose without notes",
        "the linkId field and the result field",
        "linkId: a",
        "result: b linkId: a",
        "{\"linkId\": \"a\"} {\"result\": \"b\"}",
        "linkId: a, result:",
    ] {
        assert!(!inspect(raw).is_audit(), "{raw}");
    }
}

#[test]
fn only_scans_of_texts_mentioning_link_id_are_uncertain() {
    let strict = inspect(AUDIT);
    let prose = inspect("no notes here");
    let near_miss = inspect("the LinkID is 4");
    let scanned = inspect("linkId: 3 result: yes");
    assert!(!lenient_decides(&strict, &strict));
    assert!(!lenient_decides(&strict, &prose));
    assert!(lenient_decides(&strict, &near_miss));
    assert!(lenient_decides(&strict, &scanned));
    assert!(lenient_decides(&scanned, &scanned));
    assert!(!lenient_decides(&scanned, &prose));
    // A JSON verdict of "no audit" settles the method whatever the other side's scan says.
    let not_audit = inspect(r#"[{"linkId": "1"}]"#);
    assert!(!lenient_decides(&not_audit, &scanned));
}

#[test]
fn matching_counts_common_link_ids_with_equal_results() {
    let b = r#"[{"linkId": "1", "result": " yes "}, {"linkId": "2", "result": "YES"},
               {"linkId": "3", "result": "no"}]"#;
    // Common: 1 and 2; equal after trim and lower case: 1 only.
    let counts = matched(AUDIT, b);
    assert_eq!(
        counts,
        NoteMatch {
            matching: 1,
            common: 2
        }
    );
    assert_eq!(counts.score(), 1.0 / 2.0);
    assert_eq!(matched(AUDIT, AUDIT).score(), 2.0 / 2.0);
}

#[test]
fn link_ids_and_results_compare_as_python_str() {
    // 1 and "1" are both "1"; True and "true" both lower to "true"; 1.0 is "1.0", not "1".
    let a = r#"[{"linkId": 1, "result": true}, {"linkId": 2, "result": 1.0}]"#;
    let b = r#"[{"linkId": "1", "result": "true"}, {"linkId": "2", "result": "1"}]"#;
    assert_eq!(
        matched(a, b),
        NoteMatch {
            matching: 1,
            common: 2
        }
    );
}

#[test]
fn an_object_is_one_note_and_a_list_its_objects() {
    let object = r#"{"linkId": "1", "result": "Yes"}"#;
    let list = r#"["skip", 3, {"linkId": "1", "result": "yes"}, {"linkId": "9"}]"#;
    assert_eq!(
        matched(object, list),
        NoteMatch {
            matching: 1,
            common: 1
        }
    );
}

#[test]
fn a_repeated_link_id_keeps_its_last_result() {
    let a = r#"[{"linkId": "1", "result": "no"}, {"linkId": "1", "result": "yes"}]"#;
    let b = r#"[{"linkId": "1", "result": "yes"}]"#;
    assert_eq!(matched(a, b).score(), 1.0 / 1.0);
}

#[test]
fn no_common_link_id_or_a_side_that_is_not_json_scores_zero() {
    let other = r#"[{"linkId": "8", "result": "Yes"}]"#;
    let counts = matched(AUDIT, other);
    assert_eq!(counts.common, 0);
    assert_eq!(counts.score(), 0.0);
    let prose = NoteMatch::of(Value::parse(AUDIT).as_ref(), None);
    assert_eq!(
        prose,
        NoteMatch {
            matching: 0,
            common: 0
        }
    );
    assert_eq!(prose.score(), 0.0);
}
