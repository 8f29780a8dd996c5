//! Prompt identity: the one definition of `prompt_hash` (docs/decisions.md), shared by every reader and
//! checked against PostgreSQL's own `sha256()` by the verify stage.

use sha2::{Digest, Sha256};
use std::fmt;

/// SHA-256 of a prompt's exact UTF-8 bytes, lower-case hex. No trimming and no newline normalisation:
/// CRLF and LF variants of one prompt are different prompts.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PromptHash(String);

impl PromptHash {
    /// Hashes the text exactly as given.
    pub fn of(text: &str) -> Self {
        Self(hex::encode(Sha256::digest(text.as_bytes())))
    }

    /// The near-duplicate key kept in `metadata.normalized_sha256`: CRLF to LF, then trimmed. Used to
    /// report near-duplicates, never to merge them.
    pub fn normalized_of(text: &str) -> Self {
        Self::of(text.replace("\r\n", "\n").trim())
    }

    /// The 64-character hex form stored in `prompts.prompt_hash`.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PromptHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The text of a placeholder prompt, one per (run, legacy prompt id), for rows whose prompt text the
/// legacy app never recorded. It names only identifiers, never content.
pub fn placeholder_text(run_id: Option<&str>, legacy_prompt_id: Option<&str>) -> String {
    format!(
        "[legacy prompt text not recorded: run {}, prompt_id {}]",
        run_id.unwrap_or("(none)"),
        legacy_prompt_id.unwrap_or("(none)")
    )
}

/// The app's own `expected_json` heuristic, applied where a source has no flag (marked inferred).
pub fn looks_like_json_request(text: &str) -> bool {
    let lower = text.to_lowercase();
    lower.contains("json") || lower.contains("formatted as follows:")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn hash_matches_the_known_sha256_of_abc() {
        assert_eq!(
            PromptHash::of("abc").as_str(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn crlf_and_lf_variants_differ_but_share_the_normalized_hash() {
        let lf = "line one\nline two";
        let crlf = "line one\r\nline two";
        assert_ne!(PromptHash::of(lf), PromptHash::of(crlf));
        assert_eq!(
            PromptHash::normalized_of(lf),
            PromptHash::normalized_of(crlf)
        );
    }

    #[test]
    fn placeholder_names_run_and_prompt_id_only() {
        assert_eq!(
            placeholder_text(Some("run_20251031_202730"), Some("3")),
            "[legacy prompt text not recorded: run run_20251031_202730, prompt_id 3]"
        );
        assert_eq!(
            placeholder_text(None, None),
            "[legacy prompt text not recorded: run (none), prompt_id (none)]"
        );
    }

    proptest! {
        #[test]
        fn hash_is_64_lowercase_hex_and_whitespace_sensitive(s in "\\PC*") {
            let h = PromptHash::of(&s);
            prop_assert_eq!(h.as_str().len(), 64);
            prop_assert!(h.as_str().bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)));
            prop_assert_ne!(PromptHash::of(&format!("{s} ")), h);
        }
    }
}
