//! The repository stands alone: README.md and every file under docs/ name no path outside the
//! repository, and every relative link points at a file of the repository (and, for `#anchor`
//! links into Markdown, at one of its headings). A clone has nothing else to read.

use std::collections::HashMap;
use std::fs;
use std::path::{Component, Path, PathBuf};

/// Paths and documents that exist only outside the repository.
const OUTSIDE: [&str; 6] = [
    "../shared",
    "shared/spec",
    "/work/",
    "LEGACY_FORMATS.md",
    "DECISIONS.md",
    "SIMILARITY.md",
];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// README.md and every file under docs/, as paths relative to the repository.
fn documents() -> Vec<PathBuf> {
    fn walk(dir: &Path, base: &Path, out: &mut Vec<PathBuf>) {
        let mut entries: Vec<_> = fs::read_dir(dir)
            .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
            .map(|e| e.expect("a directory entry").path())
            .collect();
        entries.sort();
        for path in entries {
            if path.is_dir() {
                walk(&path, base, out);
            } else {
                out.push(
                    path.strip_prefix(base)
                        .expect("under the root")
                        .to_path_buf(),
                );
            }
        }
    }
    let root = root();
    let mut docs = vec![PathBuf::from("README.md")];
    walk(&root.join("docs"), &root, &mut docs);
    docs
}

/// Every occurrence of an outside path, as `line: pattern`.
fn outside_paths(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    for (n, line) in text.lines().enumerate() {
        for pattern in OUTSIDE {
            if line.contains(pattern) {
                found.push(format!("line {}: names {pattern}", n + 1));
            }
        }
    }
    found
}

/// The Markdown links `[text](target)` outside fenced code blocks, as (line, target).
fn links(text: &str) -> Vec<(usize, String)> {
    let mut found = Vec::new();
    let mut fenced = false;
    for (n, line) in text.lines().enumerate() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if fenced {
            continue;
        }
        let mut rest = line;
        while let Some(at) = rest.find("](") {
            let after = &rest[at + 2..];
            let end = after.find(')').unwrap_or(after.len());
            let target = after[..end]
                .trim()
                .trim_start_matches('<')
                .trim_end_matches('>');
            // A title after the target: `[x](path "title")`.
            let target = target.split_whitespace().next().unwrap_or("");
            found.push((n + 1, target.to_owned()));
            rest = &after[end.min(after.len())..];
        }
    }
    found
}

/// The anchors GitHub gives a Markdown file's headings: lower case, punctuation dropped (but `-` and
/// `_`), spaces as `-`, a repeated heading numbered `-1`, `-2`, ...
fn anchors(text: &str) -> Vec<String> {
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut out = Vec::new();
    let mut fenced = false;
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if fenced || !line.starts_with('#') {
            continue;
        }
        let heading = line.trim_start_matches('#');
        if !heading.starts_with(' ') {
            continue;
        }
        let slug: String = heading
            .trim()
            .to_lowercase()
            .chars()
            .filter_map(|c| match c {
                ' ' => Some('-'),
                '-' | '_' => Some(c),
                c if c.is_alphanumeric() => Some(c),
                _ => None,
            })
            .collect();
        let count = seen.entry(slug.clone()).or_insert(0);
        out.push(if *count == 0 {
            slug.clone()
        } else {
            format!("{slug}-{count}")
        });
        *count += 1;
    }
    out
}

/// `path` with `.` and `..` resolved lexically; `None` when it climbs above its start.
fn normalise(path: &Path) -> Option<PathBuf> {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    return None;
                }
            }
            Component::Normal(part) => out.push(part),
            Component::RootDir | Component::Prefix(_) => {}
        }
    }
    Some(out)
}

/// What is wrong with each relative link of `doc` (a path relative to `root`) whose text is `text`.
fn broken_links(root: &Path, doc: &Path, text: &str) -> (usize, Vec<String>) {
    let mut checked = 0;
    let mut broken = Vec::new();
    let dir = doc.parent().unwrap_or(Path::new(""));
    for (line, target) in links(text) {
        if target.contains("://") || target.starts_with("mailto:") {
            continue;
        }
        checked += 1;
        let (path, fragment) = match target.split_once('#') {
            Some((p, f)) => (p, Some(f)),
            None => (target.as_str(), None),
        };
        let relative = if path.is_empty() {
            Some(doc.to_path_buf())
        } else if let Some(from_root) = path.strip_prefix('/') {
            normalise(Path::new(from_root))
        } else {
            normalise(&dir.join(path))
        };
        let Some(relative) = relative else {
            broken.push(format!("line {line}: {target} leaves the repository"));
            continue;
        };
        let file = root.join(&relative);
        if !file.exists() {
            broken.push(format!(
                "line {line}: {target}: no such file in the repository"
            ));
            continue;
        }
        if let Some(fragment) = fragment.filter(|f| !f.is_empty()) {
            if file.extension().is_some_and(|e| e == "md") {
                let target_text = fs::read_to_string(&file).unwrap_or_default();
                if !anchors(&target_text).iter().any(|a| a == fragment) {
                    broken.push(format!(
                        "line {line}: {target}: {} has no heading #{fragment}",
                        relative.display()
                    ));
                }
            }
        }
    }
    (checked, broken)
}

#[test]
fn the_readme_and_the_docs_name_no_path_outside_the_repository() {
    let root = root();
    let docs = documents();
    assert!(
        docs.len() >= 5,
        "README.md and the docs/ files should be found, found {docs:?}"
    );
    let mut problems = Vec::new();
    for doc in &docs {
        let Ok(text) = fs::read_to_string(root.join(doc)) else {
            continue;
        };
        for p in outside_paths(&text) {
            problems.push(format!("{}: {p}", doc.display()));
        }
    }
    assert!(
        problems.is_empty(),
        "the documentation points outside the repository:\n{}",
        problems.join("\n")
    );
}

#[test]
fn every_relative_link_of_the_readme_and_the_docs_points_into_the_repository() {
    let root = root();
    let mut checked = 0;
    let mut problems = Vec::new();
    for doc in documents() {
        let Ok(text) = fs::read_to_string(root.join(&doc)) else {
            continue;
        };
        let (n, broken) = broken_links(&root, &doc, &text);
        checked += n;
        problems.extend(
            broken
                .into_iter()
                .map(|b| format!("{}: {b}", doc.display())),
        );
    }
    assert!(
        checked >= 10,
        "expected the README and docs to link each other, checked only {checked} links"
    );
    assert!(
        problems.is_empty(),
        "broken links in the documentation:\n{}",
        problems.join("\n")
    );
}

#[test]
fn the_checks_themselves_find_what_they_look_for() {
    let text = "See `../shared/spec/LEGACY_FORMATS.md` §2.1.\nfine line\nalso /work/notes\n";
    let found = outside_paths(text);
    assert!(found
        .iter()
        .any(|f| f.starts_with("line 1: names ../shared")));
    assert!(found.iter().any(|f| f.starts_with("line 3: names /work/")));
    assert!(!found.iter().any(|f| f.starts_with("line 2")));

    let doc = Path::new("docs/x.md");
    let text = "[ok](formats.md#the-row-shape-rule), [gone](missing.md), [up](../../etc/passwd)\n\
                [anchor](formats.md#no-such-heading) [web](https://example.com/a.md)\n\
                ```\n[in code](nowhere.md)\n```\n";
    let (checked, broken) = broken_links(&root(), doc, text);
    assert_eq!(checked, 4, "{broken:?}");
    assert_eq!(broken.len(), 3, "{broken:?}");
    assert!(broken[0].contains("missing.md: no such file"), "{broken:?}");
    assert!(broken[1].contains("leaves the repository"), "{broken:?}");
    assert!(
        broken[2].contains("no heading #no-such-heading"),
        "{broken:?}"
    );

    let headings = "# A title\n## `raw_metrics` and more!\n## A title\n```\n# not a heading\n```\n";
    assert_eq!(
        anchors(headings),
        ["a-title", "raw_metrics-and-more", "a-title-1"]
    );
}
