//! The whole computation on hand-made pairs of raw responses: which method, which score, which
//! parts. Expected values are worked out from the legacy formulas in the arithmetic beside them.

use super::*;

use crate::similarity::assert_close as close;

#[test]
fn identical_texts_score_one_without_parts() {
    let plain = score("Same answer.", "  Same answer.\n");
    assert_eq!(
        (plain.method, plain.score, plain.parts),
        (Method::Combined, 1.0, Parts::Identical)
    );
    assert_eq!(plain.percent(), 100.0);
    assert_eq!(plain.cosine_similarity(), None);
    // Both reduce to "[1, 2]", which parses as JSON.
    let json = score(r#"{"text": [1, 2]}"#, r#"{"answer": [1, 2]}"#);
    assert_eq!(
        (json.method, json.score, json.parts),
        (Method::JsonAware, 1.0, Parts::Identical)
    );
}

#[test]
fn an_empty_text_scores_zero() {
    for candidate in ["", "  \n", r#"{"response": "  "}"#, "[]", r#"{"a": 0}"#] {
        let scored = score("An answer", candidate);
        assert_eq!(
            (scored.method, scored.score, scored.parts),
            (Method::Combined, 0.0, Parts::Empty),
            "{candidate}"
        );
    }
}

#[test]
fn disjoint_texts_score_zero_with_their_parts() {
    let scored = score("ab", "cd");
    assert_eq!(scored.method, Method::Combined);
    close(scored.score, 0.0);
    assert_eq!(scored.cosine_similarity(), Some(0.0));
    assert_eq!(scored.jaccard_similarity(), Some(0.0));
    assert_eq!(scored.fuzzy_ratio(), Some(0.0));
    assert_eq!(scored.note_counts(), None);
}

#[test]
fn a_wrapped_response_is_scored_on_its_text() {
    let scored = score(r#"{"response": " The  cat SAT "}"#, "the cat ran");
    assert_eq!(scored.method, Method::Combined);
    // As combined_weighs_its_parts_on_the_normalised_texts: cosine 2/3, jaccard 1/2,
    // ngram 0.6 × 7/12 + 0.4 × 1/3, fuzzy 1 − 4/22.
    let ngram = 0.6 * (7.0 / 12.0) + 0.4 * (1.0 / 3.0);
    let fuzzy = 1.0 - 4.0 / 22.0;
    let expected = 0.375 * (2.0 / 3.0) + 0.25 * 0.5 + 0.1875 * ngram + 0.1875 * fuzzy;
    close(scored.score, expected);
    assert_eq!(
        scored.fuzzy_ratio().map(|f| (f * 1e9).round()),
        Some((100.0 * fuzzy * 1e9).round())
    );
    assert!(!scored.lenient_scan);
}

#[test]
fn objects_with_reordered_keys_reduce_to_reordered_text() {
    // No text key: truthy values in document order, "1 [1, 2]" vs "[1, 2] 1", not JSON.
    let scored = score(r#"{"a": 1, "b": [1, 2]}"#, r#"{"b": [1, 2], "a": 1}"#);
    assert_eq!(scored.method, Method::Combined);
    // Same words: cosine 1, jaccard 1. Character bigrams 7 and 7, shared
    // "[1" "1," ", " " 2" "2]" → 5 of 9; word bigrams ("[1,", "2]") shared of 3.
    // Longest common subsequence "[1, 2]" (6) of 8 and 8: 4 edits over 16.
    let ngram = 0.6 * (5.0 / 9.0) + 0.4 * (1.0 / 3.0);
    let expected = 0.375 * 1.0 + 0.25 * 1.0 + 0.1875 * ngram + 0.1875 * (1.0 - 4.0 / 16.0);
    close(scored.score, expected);
}

#[test]
fn json_texts_with_reordered_keys_score_one_by_content_and_structure() {
    let master = r#"{"response": "{\"a\": 1, \"b\": \"x\"}"}"#;
    let candidate = r#"{"response": "{\"b\": \"x\", \"a\": 1}"}"#;
    let scored = score(master, candidate);
    assert_eq!(scored.method, Method::JsonAware);
    close(scored.score, 1.0);
    assert_eq!(scored.cosine_similarity(), Some(1.0));
    assert_eq!(scored.jaccard_similarity(), None);
    assert_eq!(scored.fuzzy_ratio(), None);
}

#[test]
fn json_lists_of_different_lengths_score_by_content_and_length() {
    let scored = score(r#"{"answer": [1, 2, 3]}"#, r#"{"answer": [1, 2]}"#);
    assert_eq!(scored.method, Method::JsonAware);
    // "1 2 3" vs "1 2": uv = 2, uu = 3, vv = 2; structure 1 − 1/3.
    let content = 2.0 / 6.0f64.sqrt();
    close(scored.score, 0.7 * content + 0.3 * (1.0 - 1.0 / 3.0));
}

#[test]
fn top_level_lists_of_different_lengths_score_as_text() {
    // "a b" vs "a": a(1,1) b(1,0): cosine 1/√2; jaccard 1/2; character bigrams
    // {"a ", " b"} vs none → 0, word bigrams {(a, b)} vs none → 0; LCS 1: 2 edits over 4.
    let scored = score(r#"["a", "b"]"#, r#"["a"]"#);
    assert_eq!(scored.method, Method::Combined);
    let expected = 0.375 * (1.0 / 2.0f64.sqrt()) + 0.25 * 0.5 + 0.0 + 0.1875 * (1.0 - 2.0 / 4.0);
    close(scored.score, expected);
}

#[test]
fn note_audits_score_by_matching_results() {
    let master = r#"[{"linkId": "a", "result": "Yes"}, {"linkId": "b", "result": "No"},
                    {"linkId": "c", "result": "No"}]"#;
    let same = r#"[{"linkId": "c", "result": "no"}, {"linkId": "a", "result": "yes "},
                  {"linkId": "b", "result": "NO"}]"#;
    let scored = score(master, same);
    assert_eq!(scored.method, Method::NoteAuditExactMatch);
    assert_eq!(scored.score, 3.0 / 3.0);
    assert_eq!(
        scored.note_counts(),
        Some(NoteMatch {
            matching: 3,
            common: 3
        })
    );
    assert_eq!(scored.cosine_similarity(), None);
    let mismatched = r#"{"linkId": "b", "result": "yes"}"#;
    let scored = score(master, mismatched);
    assert_eq!(scored.method, Method::NoteAuditExactMatch);
    assert_eq!(scored.score, 0.0 / 1.0);
    assert_eq!(
        scored.note_counts(),
        Some(NoteMatch {
            matching: 0,
            common: 1
        })
    );
    let half = r#"[{"linkId": "a", "result": "yes"}, {"linkId": "b", "result": "yes"}]"#;
    assert_eq!(score(master, half).score, 1.0 / 2.0);
    assert_eq!(score(master, half).percent(), 50.0);
    assert!(!score(master, half).lenient_scan);
}

#[test]
fn a_note_audit_found_only_by_the_lenient_scan_scores_zero_and_is_marked() {
    let master = r#"[{"linkId": "a", "result": "yes"}]"#;
    let prose = "Findings:\nlinkId: a\nresult: yes";
    let scored = score(master, prose);
    // Both are audits, but matching needs JSON on both sides.
    assert_eq!(scored.method, Method::NoteAuditExactMatch);
    assert_eq!(scored.score, 0.0);
    assert!(scored.lenient_scan);
}

#[test]
fn a_near_miss_of_the_lenient_scan_is_marked() {
    let master = r#"[{"linkId": "a", "result": "yes"}]"#;
    let scored = score(master, "linkId a was present");
    assert_eq!(scored.method, Method::Combined);
    assert!(scored.lenient_scan);
    let scored = score(master, "all present");
    assert_eq!(scored.method, Method::Combined);
    assert!(!scored.lenient_scan);
}

#[test]
fn percent_rounds_as_python_round_to_two_places() {
    assert_eq!(round_2(100.0 * (2.0 / 3.0)), 66.67);
    assert_eq!(round_2(100.0 * (1.0 / 3.0)), 33.33);
    // An exact tie goes to even; 2.675 is just below its tie as a float.
    assert_eq!(round_2(0.125), 0.12);
    assert_eq!(round_2(0.375), 0.38);
    assert_eq!(round_2(2.675), 2.67);
}

#[test]
fn the_method_names_are_the_stored_ones() {
    assert_eq!(
        Method::NoteAuditExactMatch.as_str(),
        "noteaudit_exact_match"
    );
    assert_eq!(Method::JsonAware.as_str(), "json_aware");
    assert_eq!(Method::Combined.as_str(), "combined");
}

#[test]
fn scores_are_the_same_on_every_thread() {
    fn shareable<T: Send + Sync>() {}
    shareable::<Similarity>();
    use rayon::prelude::*;
    let pairs: Vec<(String, String)> = (0..64)
        .map(|i| {
            (
                format!("answer {i} of the day"),
                format!("the day's answer {}", i % 7),
            )
        })
        .collect();
    let serial: Vec<Similarity> = pairs.iter().map(|(a, b)| score(a, b)).collect();
    let parallel: Vec<Similarity> = pairs.par_iter().map(|(a, b)| score(a, b)).collect();
    assert_eq!(serial, parallel);
}
