//! Reads `fixtures/EXPECTED.md`, the per-record oracle written from the spec beside the fixtures, so
//! the tests check every record of every fixture without restating the expectations in code.

use regex::Regex;
use std::collections::BTreeMap;

/// Per-file totals of the summary table.
#[derive(Debug, Clone, Default)]
pub struct Counts {
    pub records: u64,
    pub metrics: u64,
    pub master: u64,
    pub inserted: u64,
    pub duplicate: u64,
    pub rejected: u64,
    pub runs: u64,
    pub prompts: u64,
    pub placeholders: u64,
}

/// What one record must become.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Metrics,
    Master,
    /// A duplicate of `line` in `file` (None: the same file).
    Duplicate {
        file: Option<String>,
        line: u64,
    },
    /// Rejected, blaming `column` (1-based) or the whole record.
    Rejected {
        column: Option<usize>,
        field: Option<String>,
    },
}

/// The stored values of an inserted record.
#[derive(Debug, Clone, Default)]
pub struct Values {
    pub evaluated_at: String,
    pub run_id: Option<String>,
    pub model_name: String,
    pub model_id: String,
    pub prompt_id: String,
    pub status: String,
    pub input_tokens: i32,
    pub output_tokens: i32,
    pub latency_ms: String,
    pub json_valid: Option<bool>,
    pub costs: [String; 3],
    pub input_prompt: Option<String>,
    pub response: Option<String>,
    pub error: Option<String>,
    pub shape_ambiguous: bool,
    pub backslashes_halved: bool,
    pub backslash_ambiguous: bool,
}

#[derive(Debug, Clone)]
pub struct Record {
    pub line: u64,
    pub outcome: Outcome,
    pub values: Option<Values>,
}

#[derive(Debug, Clone, Default)]
pub struct FileExpectation {
    pub counts: Counts,
    pub records: Vec<Record>,
}

/// Every fixture's expectations, keyed by its path under `fixtures/`.
pub fn load() -> BTreeMap<String, FileExpectation> {
    let text = std::fs::read_to_string(super::fixture("fixtures/EXPECTED.md"))
        .expect("reading fixtures/EXPECTED.md");
    let mut files: BTreeMap<String, FileExpectation> = BTreeMap::new();
    let summary = Regex::new(r"^\| `([^`]+)` \| [^|]+((?:\| *\d+ *)+)\|").unwrap();
    let heading = Regex::new(r"^## `([^`]+)`").unwrap();
    let record = Regex::new(r"^- \*\*line (\d+)\*\* → `([^`]*)`").unwrap();
    let mut current: Option<String> = None;
    for line in text.lines() {
        if let Some(c) = summary.captures(line) {
            let n: Vec<u64> = c[2]
                .split('|')
                .filter_map(|s| s.trim().parse().ok())
                .collect();
            if n.len() == 9 {
                let counts = Counts {
                    records: n[0],
                    metrics: n[1],
                    master: n[2],
                    inserted: n[3],
                    duplicate: n[4],
                    rejected: n[5],
                    runs: n[6],
                    prompts: n[7],
                    placeholders: n[8],
                };
                files.entry(c[1].to_owned()).or_default().counts = counts;
            }
        } else if let Some(c) = heading.captures(line) {
            current = Some(c[1].to_owned());
        } else if let (Some(c), Some(file)) = (record.captures(line), &current) {
            let rec = Record {
                line: c[1].parse().unwrap(),
                outcome: outcome(&c[2]),
                values: None,
            };
            files.entry(file.clone()).or_default().records.push(rec);
        } else if let (Some(detail), Some(file)) = (line.strip_prefix("  - "), &current) {
            if let Some(rec) = files.get_mut(file).and_then(|f| f.records.last_mut()) {
                apply_detail(rec.values.get_or_insert_with(Values::default), detail);
            }
        }
    }
    files
}

fn outcome(text: &str) -> Outcome {
    let dup = Regex::new(r"^duplicate of (?:(\S+) )?line (\d+)").unwrap();
    let rejected_col = Regex::new(r"^rejected column (\d+) \(([a-z_]+)\)").unwrap();
    if text == "evaluation_metrics" {
        Outcome::Metrics
    } else if text == "master_model_evaluations" {
        Outcome::Master
    } else if let Some(c) = dup.captures(text) {
        Outcome::Duplicate {
            file: c.get(1).map(|m| m.as_str().to_owned()),
            line: c[2].parse().unwrap(),
        }
    } else if let Some(c) = rejected_col.captures(text) {
        Outcome::Rejected {
            column: Some(c[1].parse().unwrap()),
            field: Some(c[2].to_owned()),
        }
    } else if text.starts_with("rejected (record)") {
        Outcome::Rejected {
            column: None,
            field: None,
        }
    } else {
        panic!("EXPECTED.md: unknown outcome {text:?}")
    }
}

/// A JSON string literal (`"…"`) or NULL at the start of `s`.
fn literal(s: &str) -> Option<String> {
    if s.starts_with("NULL") {
        return None;
    }
    let mut de = serde_json::Deserializer::from_str(s).into_iter::<String>();
    Some(
        de.next()
            .expect("a JSON string literal")
            .expect("a valid JSON string literal"),
    )
}

fn apply_detail(v: &mut Values, detail: &str) {
    let tick = |name: &str| {
        Regex::new(&format!(r"{name} `([^`]*)`"))
            .unwrap()
            .captures(detail)
            .map(|c| c[1].to_owned())
    };
    if let Some(rest) = detail.strip_prefix("input_prompt: ") {
        v.input_prompt = literal(rest);
    } else if let Some(rest) = detail.strip_prefix("response: ") {
        v.response = literal(rest);
    } else if let Some(rest) = detail.strip_prefix("error: ") {
        v.error = literal(rest);
    } else if detail.starts_with("evaluated_at") {
        v.evaluated_at = tick("evaluated_at").unwrap();
        v.run_id = tick("run_id");
        let model = Regex::new(r"model `([^`]*)` / `([^`]*)`")
            .unwrap()
            .captures(detail)
            .unwrap();
        v.model_name = model[1].to_owned();
        v.model_id = model[2].to_owned();
        v.prompt_id = Regex::new(r#"legacy prompt_id "([^"]*)""#)
            .unwrap()
            .captures(detail)
            .unwrap()[1]
            .to_owned();
        v.status = tick("status").unwrap();
    } else if detail.starts_with("input_tokens") {
        let c = Regex::new(
            r"input_tokens (\d+); output_tokens (\d+); latency_ms ([\d.]+); json_valid \*\*([A-Z]+)\*\*.*cost_usd input/output/total ([\d.]+) / ([\d.]+) / ([\d.]+)",
        )
        .unwrap()
        .captures(detail)
        .unwrap_or_else(|| panic!("EXPECTED.md: cannot read {detail:?}"));
        v.input_tokens = c[1].parse().unwrap();
        v.output_tokens = c[2].parse().unwrap();
        v.latency_ms = c[3].to_owned();
        v.json_valid = match &c[4] {
            "TRUE" => Some(true),
            "FALSE" => Some(false),
            _ => None,
        };
        v.costs = [c[5].to_owned(), c[6].to_owned(), c[7].to_owned()];
    } else if detail.contains("shape_ambiguous") {
        v.shape_ambiguous = detail.contains("shape_ambiguous true");
        v.backslashes_halved = detail.contains("backslashes: halved");
        v.backslash_ambiguous = detail.contains("backslashes: halved, ambiguous");
    }
}
