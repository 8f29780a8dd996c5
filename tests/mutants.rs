//! End-to-end: damaged input never crashes the tool, loses a record or shows its text. Seeded
//! mutants (byte flips, truncations, insertions of hostile bytes, deleted and doubled lines) of one
//! file of every legacy kind are imported, ten at a time, beside a good raw_metrics.csv, each batch
//! into a fresh database. For every import: no panic or crash, exit 0 or 1, the report's records
//! all accounted for, every good row inserted, and no text of the input on the terminal, in the
//! reports or in the rejects file (a marker word is planted in the text fields of every input).
//! A damaged file whose name marks it as legacy is never `unknown`. The same seed gives the same
//! mutants; the summary per kind is printed (`--nocapture`).

mod support;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use support::{fixture, write_synthetic_raw_metrics, TestDb};

/// Planted in the text fields (prompts, responses, log texts) of every input: `pump` only occurs
/// there in the fixtures below, and it becomes `quokkapump`.
const MARKER: &str = "quokka";

/// One file of every legacy kind, by its path in the legacy folder (the name matters to the
/// classifier, so a mutant keeps it).
const KINDS: &[(&str, &str)] = &[
    ("raw_metrics", "data/runs/raw_metrics.csv"),
    ("prompts_csv", "data/test_prompts.csv"),
    ("prompts_json", "Downloads/prompt_upload.json"),
    (
        "bedrock_log",
        "data/20251001T000153731Z_e9c5e90710a8738a.json",
    ),
    ("models_yaml", "configs/models.2025-11-03.yaml"),
    ("config_py", "config.py"),
    ("users_json", "data/users.json"),
    (
        "results_detailed",
        "results/detailed_results_20251031_204500.csv",
    ),
    ("model_comparison", "data/runs/model_comparison.csv"),
    ("results_summary", "results/summary_20251031_204500.csv"),
];

const MUTANTS_PER_KIND: usize = 30;
const PER_IMPORT: usize = 10;
const SEED: u64 = 11;

/// Bytes that break parsers: NUL, invalid UTF-8, a lone surrogate's encoding, quotes, separators,
/// brackets, line ends.
const HOSTILE: &[&[u8]] = &[
    b"\0",
    b"\xff",
    b"\xc3",
    b"\xed\xa0\x80",
    b"\"",
    b",",
    b"\n",
    b"\r\n",
    b"{",
    b"]",
    b":",
    b"\\",
    b"\\u0000",
    b"'''",
    b"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[",
];

fn mutate(original: &[u8], rng: &mut ChaCha8Rng) -> (Vec<u8>, &'static str) {
    let mut bytes = original.to_vec();
    if bytes.is_empty() {
        return (bytes, "empty");
    }
    let at = rng.random_range(0..bytes.len());
    match rng.random_range(0..6) {
        0 => {
            bytes[at] ^= 1 << rng.random_range(0..8);
            (bytes, "flip")
        }
        1 => {
            bytes.truncate(at);
            (bytes, "truncate")
        }
        2 => {
            let insert = HOSTILE[rng.random_range(0..HOSTILE.len())];
            bytes.splice(at..at, insert.iter().copied());
            (bytes, "insert")
        }
        3 => {
            let end = (at + rng.random_range(1..64)).min(bytes.len());
            bytes.drain(at..end);
            (bytes, "delete")
        }
        4 => {
            let (start, end) = line_around(&bytes, at);
            let line = bytes[start..end].to_vec();
            bytes.splice(end..end, line);
            (bytes, "double-line")
        }
        _ => {
            let (start, end) = line_around(&bytes, at);
            bytes.drain(start..end);
            (bytes, "drop-line")
        }
    }
}

/// The byte range of the line holding byte `at`, its line end included.
fn line_around(bytes: &[u8], at: usize) -> (usize, usize) {
    let start = bytes[..at]
        .iter()
        .rposition(|b| *b == b'\n')
        .map_or(0, |i| i + 1);
    let end = bytes[at..]
        .iter()
        .position(|b| *b == b'\n')
        .map_or(bytes.len(), |i| at + i + 1);
    (start, end)
}

/// A fixture with the marker planted in its text fields.
fn marked(relative: &str) -> Vec<u8> {
    let text = std::fs::read(fixture(&format!("fixtures/legacy_app/{relative}"))).unwrap();
    replace(&text, b"pump", b"quokkapump")
}

fn replace(haystack: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(haystack.len());
    let mut i = 0;
    while i < haystack.len() {
        if haystack[i..].starts_with(from) {
            out.extend_from_slice(to);
            i += from.len();
        } else {
            out.push(haystack[i]);
            i += 1;
        }
    }
    out
}

/// One mutant on disk: which kind it came from and how it was made.
struct Mutant {
    kind: &'static str,
    operator: &'static str,
    path: PathBuf,
}

fn write_mutants(root: &Path) -> Vec<Mutant> {
    let mut rng = ChaCha8Rng::seed_from_u64(SEED);
    let mut mutants = Vec::new();
    for (kind, relative) in KINDS {
        let original = marked(relative);
        for i in 0..MUTANTS_PER_KIND {
            let (bytes, operator) = mutate(&original, &mut rng);
            let path = root.join(format!("{kind}_{i:02}")).join(relative);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, bytes).unwrap();
            // Undated models.yaml and config.py versions are dated by their modification time:
            // one fixed time keeps the counts the same from run to run.
            support::set_mtime(&path, "2025-11-19T20:44:00Z");
            mutants.push(Mutant {
                kind,
                operator,
                path,
            });
        }
    }
    mutants
}

/// A good raw_metrics.csv whose rows are unlike the fixtures' (the batch's own run ids), marked.
fn write_good(dir: &Path, batch: usize) -> PathBuf {
    let path = dir.join("good").join("raw_metrics.csv");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    write_synthetic_raw_metrics(&path, 40);
    let text = std::fs::read(&path).unwrap();
    let text = replace(
        &text,
        b"run_20251120_",
        format!("run_2025112{}_", batch % 10).as_bytes(),
    );
    std::fs::write(&path, replace(&text, b"pump", b"quokkapump")).unwrap();
    path
}

/// What a batch's import gave, per mutant: its file's kind in the report and its counts.
#[derive(Default)]
struct Tally {
    mutants: usize,
    outcomes: BTreeMap<String, usize>,
    rejected_rows: u64,
    inserted_rows: u64,
}

/// The problems of one batch's import (empty when it behaved).
fn check_batch(
    out: &support::RunOutput,
    report: &serde_json::Value,
    extra_texts: &[String],
    good: &Path,
) -> Vec<String> {
    let mut problems = Vec::new();
    if out.code != 0 && out.code != 1 {
        let first = out.stderr.lines().next().unwrap_or_default();
        problems.push(format!(
            "exit {} (an error, not a data problem): {first}",
            out.code
        ));
        return problems;
    }
    if out.stderr.contains("panicked") {
        problems.push("a panic".to_owned());
    }
    let records = report["source_records"].as_u64().unwrap_or(u64::MAX);
    let accounted = ["inserted", "duplicate", "rejected"]
        .iter()
        .map(|k| report["accounted"][k].as_u64().unwrap_or(0))
        .sum::<u64>();
    if accounted != records {
        problems.push(format!("{accounted} records accounted for of {records}"));
    }
    let good_file = report["files"]
        .as_array()
        .and_then(|files| files.iter().find(|f| f["path"].as_str() == good.to_str()));
    match good_file {
        None => problems.push("the good file is not in the report".to_owned()),
        Some(f) if out.code == 0 && (f["inserted"] != f["records"] || f["rejected"] != 0) => {
            problems.push(format!("a good row did not land: {f}"));
        }
        Some(_) => {}
    }
    for (what, text) in [("stdout", &out.stdout), ("stderr", &out.stderr)]
        .into_iter()
        .chain(
            extra_texts
                .iter()
                .map(|t| ("a report or the rejects file", t)),
        )
    {
        if text.to_lowercase().contains(MARKER) {
            problems.push(format!("text of the input reached {what}"));
        }
    }
    problems
}

#[tokio::test]
async fn seeded_mutants_of_every_kind_never_crash_lose_a_record_or_show_text() {
    let root = tempfile::tempdir().unwrap();
    let mutants = write_mutants(&root.path().join("mutants"));
    let mut tallies: BTreeMap<&str, Tally> = BTreeMap::new();
    let mut failures = Vec::new();
    for (batch, chunk) in mutants.chunks(PER_IMPORT).enumerate() {
        let dir = root.path().join(format!("batch_{batch:02}"));
        let good = write_good(&dir, batch);
        let db = TestDb::initialised().await;
        let md = dir.join("report.md");
        let rejects = dir.join("rejects.csv");
        let mut paths: Vec<&Path> = vec![good.as_path()];
        paths.extend(chunk.iter().map(|m| m.path.as_path()));
        let args = [
            "--report-md",
            md.to_str().unwrap(),
            "--rejects",
            rejects.to_str().unwrap(),
        ];
        let (out, report) = db.import_paths(&paths, &args);
        let extra: Vec<String> = [&md, &rejects]
            .iter()
            .filter_map(|p| std::fs::read_to_string(p).ok())
            .chain(std::iter::once(report.to_string()))
            .collect();
        for problem in check_batch(&out, &report, &extra, &good) {
            let kinds: Vec<String> = chunk
                .iter()
                .map(|m| format!("{}/{}", m.kind, m.operator))
                .collect();
            failures.push(format!("batch {batch} ({}): {problem}", kinds.join(" ")));
        }
        if out.code != 0 && out.code != 1 {
            continue;
        }
        for mutant in chunk {
            let tally = tallies.entry(mutant.kind).or_default();
            tally.mutants += 1;
            let file = report["files"].as_array().and_then(|files| {
                files
                    .iter()
                    .find(|f| f["path"].as_str() == mutant.path.to_str())
            });
            let outcome = match file {
                Some(f) => {
                    tally.rejected_rows += f["rejected"].as_u64().unwrap_or(0);
                    tally.inserted_rows += f["inserted"].as_u64().unwrap_or(0);
                    let kind = f["kind"].as_str().unwrap_or("?");
                    if kind == "unknown" {
                        // Its name marks it as a legacy file: damaged, it is rejected, never unknown.
                        failures.push(format!(
                            "batch {batch}: a {} mutant ({}) became unknown",
                            mutant.kind, mutant.operator
                        ));
                    }
                    let disposition = f["disposition"].as_str().unwrap_or("?");
                    format!("{}:{kind}:{disposition}", mutant.operator)
                }
                None => {
                    failures.push(format!(
                        "batch {batch}: a {} mutant ({}) is missing from the report",
                        mutant.kind, mutant.operator
                    ));
                    format!("{}:not listed", mutant.operator)
                }
            };
            *tally.outcomes.entry(outcome).or_default() += 1;
        }
    }
    println!("mutants per kind (seed {SEED}): operator:kind in the report → count");
    for (kind, tally) in &tallies {
        println!(
            "{kind}: {} mutants, {} rows inserted, {} rejected; {:?}",
            tally.mutants, tally.inserted_rows, tally.rejected_rows, tally.outcomes
        );
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    let total: usize = tallies.values().map(|t| t.mutants).sum();
    assert_eq!(total, KINDS.len() * MUTANTS_PER_KIND);
}
