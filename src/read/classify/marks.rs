//! ① What marks a file as a legacy kind when its content cannot say: the names the app wrote, and
//! CSV headers close to a legacy one. A file so marked that cannot be read is a rejected file, never
//! `unknown` (see `classify`, which asks here only once its content matched no kind).

use super::headers::{DETAILED_MARKERS, MODEL_COMPARISON_HEADER, SUMMARY_HEADER};
use super::Classified;
use crate::model::Kind;
use crate::read::raw_metrics;

/// The legacy kind a file name marks, whatever the content: the names the app wrote.
pub fn kind_by_name(lower: &str) -> Option<Kind> {
    let csv = lower.ends_with(".csv");
    let json = lower.ends_with(".json") || lower.ends_with(".jsonl");
    let yaml = lower.ends_with(".yaml") || lower.ends_with(".yml");
    if (lower.starts_with("raw_metrics") || lower.starts_with("cloudwatch_metrics_"))
        && (csv || lower.ends_with(".csv.backup"))
    {
        Some(Kind::RawMetrics)
    } else if csv
        && (lower.starts_with("model_comparison") || lower.starts_with("aggregated_metrics"))
    {
        Some(Kind::ModelComparison)
    } else if csv && lower.starts_with("summary_") {
        Some(Kind::ResultsSummary)
    } else if csv && lower.starts_with("detailed_results") {
        Some(Kind::ResultsDetailed)
    } else if csv && lower.contains("prompt") {
        Some(Kind::PromptsCsv)
    } else if json && lower.ends_with("users.json") {
        Some(Kind::UsersJson)
    } else if json && lower.contains("prompt") {
        Some(Kind::PromptsJson)
    } else if json
        && (is_log_object_name(lower) || lower.contains("bedrock") || lower.contains("invocation"))
    {
        Some(Kind::BedrockLog)
    } else if yaml && (lower.starts_with("models") || lower.starts_with("model_configuration")) {
        Some(Kind::ModelsYaml)
    } else if lower.starts_with("config") && lower.ends_with(".py") {
        Some(Kind::ConfigPy)
    } else {
        None
    }
}

/// An S3 invocation-log object name: `20251001T000153731Z_e9c5e90710a8738a.json`.
fn is_log_object_name(lower: &str) -> bool {
    let b = lower.as_bytes();
    b.len() > 21
        && b[..8].iter().all(u8::is_ascii_digit)
        && b[8] == b't'
        && b[9..18].iter().all(u8::is_ascii_digit)
        && b[18] == b'z'
        && b[19] == b'_'
}

/// A header most of whose columns are those of a legacy header, yet that matches none: a damaged
/// file of that kind (a flipped byte, a merged or split column). The reason names the first column
/// that is wrong by its number, never its text.
pub fn near_miss(fields: &[&str]) -> Option<Classified> {
    let raw_names: Vec<&str> = raw_metrics::CANONICAL
        .iter()
        .chain(&[
            raw_metrics::Column::InputPrompt,
            raw_metrics::Column::Response,
            raw_metrics::Column::Source,
        ])
        .map(|c| c.name())
        .collect();
    let candidates: [(Kind, &[&str], usize); 4] = [
        (Kind::RawMetrics, &raw_names, 7),
        (Kind::ModelComparison, &MODEL_COMPARISON_HEADER, 7),
        (Kind::ResultsSummary, &SUMMARY_HEADER, 8),
        (Kind::ResultsDetailed, &DETAILED_MARKERS, 3),
    ];
    for (kind, names, enough) in candidates {
        let known = fields.iter().filter(|f| names.contains(f)).count();
        if known < enough {
            continue;
        }
        let problem = if kind == Kind::ResultsDetailed {
            "one of prompt_index, model_key, output, prompt_snippet is missing".to_owned()
        } else {
            match fields.iter().position(|f| !names.contains(f)) {
                Some(i) => format!("column {} is not a {} column", i + 1, kind.name()),
                None => match fields
                    .iter()
                    .enumerate()
                    .position(|(i, f)| fields[..i].contains(f))
                {
                    Some(i) => format!("column {} repeats an earlier one", i + 1),
                    None => format!("a {} column is missing", kind.name()),
                },
            }
        };
        return Some(Classified::damaged(
            kind,
            1,
            None,
            format!(
                "the header matches no {} layout ({known} of its {} columns are {} columns; {problem}): the file is not read",
                kind.name(),
                fields.len(),
                kind.name()
            ),
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_names_the_app_wrote_mark_their_kind() {
        for (name, kind) in [
            ("raw_metrics.csv.backup", Some(Kind::RawMetrics)),
            (
                "cloudwatch_metrics_20251110_120000.csv",
                Some(Kind::RawMetrics),
            ),
            ("users.json", Some(Kind::UsersJson)),
            ("prompt_upload.json", Some(Kind::PromptsJson)),
            (
                "20251001t000153731z_e9c5e90710a8738a.json",
                Some(Kind::BedrockLog),
            ),
            ("models.2025-11-03.yaml", Some(Kind::ModelsYaml)),
            ("config.py", Some(Kind::ConfigPy)),
            ("settings.yaml", None),
            ("readme.txt", None),
            ("export.json", None),
        ] {
            assert_eq!(kind_by_name(name), kind, "{name}");
        }
    }

    #[test]
    fn a_header_close_to_a_legacy_one_names_the_wrong_column_by_number() {
        let mut fields: Vec<&str> = MODEL_COMPARISON_HEADER.to_vec();
        fields[3] = "err0r_count";
        let c = near_miss(&fields).expect("close to model_comparison");
        assert_eq!(c.kind, Kind::ModelComparison);
        let reason = c.damage.map(|d| d.reason).unwrap_or_default();
        assert!(reason.contains("column 4 is not"), "{reason}");
        assert!(!reason.contains("err0r"), "{reason}");
        assert!(near_miss(&["a", "b", "timestamp"]).is_none());
    }

    /// Seeded cuts and byte flips of every file of the complete legacy folder (whose names are the
    /// app's): none is ever `unknown`.
    #[test]
    fn mutants_of_files_with_legacy_names_are_never_unknown() {
        fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
            for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    walk(&path, out);
                } else {
                    out.push(path);
                }
            }
        }
        let mut files = Vec::new();
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
        walk(&root.join("legacy_app"), &mut files);
        walk(&root.join("drop"), &mut files);
        let mut tried = 0;
        for path in files {
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if kind_by_name(&name.to_ascii_lowercase()).is_none() {
                continue;
            }
            let good = std::fs::read(&path).expect("a fixture");
            for k in 0..16 {
                let at = good.len() * k / 16;
                let mut mutants = vec![good[..at].to_vec()];
                for byte in [0x00, 0xff, b'"', b',', b'\n', b'x'] {
                    let mut m = good.clone();
                    if let Some(b) = m.get_mut(at) {
                        *b = byte;
                    }
                    mutants.push(m);
                }
                for m in mutants {
                    tried += 1;
                    let c = super::super::classify(name, &m, true, std::io::empty());
                    assert_ne!(c.kind, Kind::Unknown, "{name} mutated at {at}: {c:?}");
                }
            }
        }
        assert!(tried > 1000, "{tried}");
    }
}
