//! Line numbers of JSON items. serde_json gives values but not where they start, and a reject or
//! `metadata.source` must name a line: this scanner finds the 1-based line at which each item of a
//! container at a given depth starts (an array element, or an object key), without parsing values.

/// The line of every item directly inside containers at nesting `depth` (1 = the top-level
/// container's items, 2 = items of containers nested one level down). Strings are skipped
/// correctly (escaped quotes, brackets inside text).
pub fn item_lines(text: &str, depth: usize) -> Vec<u64> {
    let mut lines = Vec::new();
    let mut line = 1u64;
    let mut level = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    let mut expect_item = false;
    for c in text.chars() {
        if c == '\n' {
            line += 1;
        }
        if in_string {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
            continue;
        }
        if c.is_whitespace() {
            continue;
        }
        if expect_item && level == depth && c != ']' && c != '}' {
            lines.push(line);
        }
        expect_item = false;
        match c {
            '"' => in_string = true,
            '[' | '{' => {
                level += 1;
                expect_item = true;
            }
            ']' | '}' => level = level.saturating_sub(1),
            ',' => expect_item = true,
            _ => {}
        }
    }
    lines
}

/// The line of item `index` at `depth`, or line 1 when the scan and the parser disagree (never
/// expected for valid JSON, but a wrong guess must not fail a run).
pub fn line_of(lines: &[u64], index: usize) -> u64 {
    lines.get(index).copied().unwrap_or(1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn object_keys_and_array_items_get_their_lines() {
        let users = "{\n  \"ann\": {\n    \"email\": \"a\"\n  },\n  \"bob\": {}\n}";
        assert_eq!(item_lines(users, 1), vec![2, 5]);
        let arr = "[\n  \"one, [two]\",\n  {\"k\": [1, 2]},\n  \"th\\\"ree\"\n]";
        assert_eq!(item_lines(arr, 1), vec![2, 3, 4]);
        assert_eq!(
            item_lines("{\"prompts\": [\n\"a\",\n\"b\"]}", 2),
            vec![2, 3]
        );
        assert!(item_lines("[]", 1).is_empty());
    }

    proptest! {
        #[test]
        fn one_line_per_element_of_any_string_array(items in proptest::collection::vec("\\PC{0,12}", 0..8)) {
            let json = serde_json::to_string_pretty(&items).unwrap();
            let lines = item_lines(&json, 1);
            prop_assert_eq!(lines.len(), items.len());
        }
    }
}
