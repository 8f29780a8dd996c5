//! The combined measures on hand-made texts; every expected value is worked out in the comment
//! or the arithmetic beside it.

use super::*;

use crate::similarity::assert_close as close;

#[test]
fn normalising_lowers_case_and_collapses_whitespace() {
    assert_eq!(
        normalise("  Hello\tWORLD \n\u{a0} X\u{1f}y "),
        "hello world x y"
    );
    assert_eq!(normalise(" \n "), "");
}

#[test]
fn cosine_counts_repeated_words() {
    // a(2,1) b(1,0) c(0,1): uv = 2, uu = 4 + 1 = 5, vv = 1 + 1 = 2.
    close(cosine("a b a", "a c"), 2.0 / 10.0f64.sqrt());
    close(cosine("a b", "b a"), 1.0);
    close(cosine("a a", "a"), 1.0);
}

#[test]
fn cosine_of_disjoint_or_wordless_texts_is_zero() {
    close(cosine("a b", "c d"), 0.0);
    close(cosine("", "a"), 0.0);
    close(cosine("", ""), 0.0);
}

#[test]
fn jaccard_divides_shared_words_by_all_words() {
    close(jaccard("a b c", "b c d"), 2.0 / 4.0);
    close(jaccard("a a b", "a b"), 1.0);
    close(jaccard("a", "b"), 0.0);
    close(jaccard("", ""), 1.0);
    close(jaccard("", "a"), 0.0);
}

#[test]
fn ngram_weighs_character_and_word_bigrams() {
    // {ab, bc} vs {ab, bd}: 1 of 3; no word bigrams on either side → 0.
    close(ngram("abc", "abd"), 0.6 * (1.0 / 3.0) + 0.4 * 0.0);
    // {"a ", " b", "b ", " c"} vs {"a ", " b", "b ", " d"}: 3 of 5;
    // {(a,b), (b,c)} vs {(a,b), (b,d)}: 1 of 3.
    close(
        ngram("a b c", "a b d"),
        0.6 * (3.0 / 5.0) + 0.4 * (1.0 / 3.0),
    );
    // One character each: no character bigrams on either side → 1.
    close(ngram("a", "b"), 0.6 * 1.0 + 0.4 * 0.0);
    // Bigrams are of characters, not bytes: {éa} vs {éa}.
    close(ngram("éa", "éa"), 0.6);
}

#[test]
fn fuzzy_ratio_is_the_normalised_indel_similarity() {
    // abc → abd: delete c, insert d: 2 edits over 6 characters.
    close(fuzzy_ratio("abc", "abd"), 100.0 * (1.0 - 2.0 / 6.0));
    // One insertion over 14 + 15 characters (Levenshtein would give the same here; below not).
    close(
        fuzzy_ratio("this is a test", "this is a test!"),
        100.0 * (1.0 - 1.0 / 29.0),
    );
    // A substitution costs two Indel edits: ab → cb is 2 over 4, not Levenshtein's 1.
    close(fuzzy_ratio("ab", "cb"), 100.0 * (1.0 - 2.0 / 4.0));
    close(fuzzy_ratio("ab", "cd"), 0.0);
    // By character: é is one edit pair, not two bytes.
    close(fuzzy_ratio("é", "e"), 0.0);
    close(fuzzy_ratio("", ""), 100.0);
}

#[test]
fn combined_weighs_its_parts_on_the_normalised_texts() {
    let parts = Combined::of("The  cat SAT", "the cat ran");
    // the(1,1) cat(1,1) sat(1,0) ran(0,1): uv = 2, uu = 3, vv = 3.
    close(parts.cosine, 2.0 / 3.0);
    // {the, cat, sat} vs {the, cat, ran}.
    close(parts.jaccard, 2.0 / 4.0);
    // "the cat sat": th he "e " " c" ca at "t " " s" sa (at again) → 9;
    // "the cat ran": th he "e " " c" ca at "t " " r" ra an → 10; shared 7, union 12.
    // Word bigrams {(the,cat), (cat,sat)} vs {(the,cat), (cat,ran)}: 1 of 3.
    let ngram = 0.6 * (7.0 / 12.0) + 0.4 * (1.0 / 3.0);
    close(parts.ngram, ngram);
    // Longest common subsequence "the cat a" (9) of 11 and 11: 22 − 18 = 4 edits over 22.
    let fuzzy = 1.0 - 4.0 / 22.0;
    close(parts.fuzzy_ratio, 100.0 * fuzzy);
    let expected = 0.375 * (2.0 / 3.0) + 0.25 * 0.5 + 0.1875 * ngram + 0.1875 * fuzzy;
    close(parts.score(), expected);
}

#[test]
fn the_weights_are_the_legacy_ones_normalised() {
    let all_ones = Combined {
        cosine: 1.0,
        jaccard: 1.0,
        ngram: 1.0,
        fuzzy_ratio: 100.0,
    };
    close(all_ones.score(), 1.0);
    let cosine_only = Combined {
        cosine: 1.0,
        jaccard: 0.0,
        ngram: 0.0,
        fuzzy_ratio: 0.0,
    };
    close(cosine_only.score(), 0.30 / 0.80);
    let fuzzy_only = Combined {
        cosine: 0.0,
        fuzzy_ratio: 100.0,
        ..cosine_only
    };
    close(fuzzy_only.score(), 0.15 / 0.80);
    let halves = Combined {
        cosine: 0.5,
        jaccard: 0.5,
        ngram: 0.5,
        fuzzy_ratio: 50.0,
    };
    close(
        halves.score(),
        0.375 * 0.5 + 0.25 * 0.5 + 0.1875 * 0.5 + 0.1875 * 0.5,
    );
}

#[test]
fn disjoint_texts_score_zero() {
    // "ab" vs "cd": no shared word, bigram or character.
    let parts = Combined::of("ab", "cd");
    close(parts.score(), 0.0);
}
