//! Natural keys: what recognises a source record by its content, not its position, so that the same
//! record from a backup, a download or a file that grew by appends is imported once (docs/formats.md).

use sha2::{Digest, Sha256};

/// SHA-256 (hex) of `parts` separated by a unit separator: the natural keys of source records.
pub fn natural_key(parts: &[&str]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p.as_bytes());
        h.update([0x1f]);
    }
    hex::encode(h.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_part_is_closed_by_a_unit_separator() {
        // "a" + US + "b" + US, not "ab": the parts ["a", "b"] and ["ab"] are different keys.
        assert_ne!(natural_key(&["a", "b"]), natural_key(&["ab"]));
        assert_ne!(natural_key(&["a", ""]), natural_key(&["a"]));
        let mut h = Sha256::new();
        h.update(b"a\x1fb\x1f");
        assert_eq!(natural_key(&["a", "b"]), hex::encode(h.finalize()));
    }
}
