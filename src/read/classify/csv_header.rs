//! Classification of CSV files by their header: raw metrics (its variants live with its reader),
//! the aggregate and root-era result files, and prompt lists.

use super::headers::{DETAILED_MARKERS, MODEL_COMPARISON_HEADER, SUMMARY_HEADER};
use super::{marks, Classified};
use crate::model::Kind;
use crate::read::raw_metrics;

/// A CSV kind from the header, or the number of header columns when none matches. A header that
/// is close to a legacy one (most of its columns are that kind's) is that kind, damaged.
pub(super) fn classify_csv(body: &[u8], bom: bool) -> Result<Classified, usize> {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(body);
    let mut record = csv::ByteRecord::new();
    if !matches!(rdr.read_byte_record(&mut record), Ok(true)) {
        return Err(0);
    }
    let owned: Vec<String> = record
        .iter()
        .map(|f| String::from_utf8_lossy(f).into_owned())
        .collect();
    let fields: Vec<&str> = owned.iter().map(String::as_str).collect();
    let quoted = body.first() == Some(&b'"');
    if let Some(h) = raw_metrics::detect_header(&fields, quoted) {
        return Ok(Classified::of(Kind::RawMetrics, h.variant));
    }
    if fields == MODEL_COMPARISON_HEADER {
        return Ok(Classified::of(Kind::ModelComparison, "tuple_names"));
    }
    if fields == SUMMARY_HEADER {
        return Ok(Classified::of(Kind::ResultsSummary, "root_era"));
    }
    let has = |n: &str| fields.contains(&n);
    if DETAILED_MARKERS.iter().all(|n| has(n)) {
        let variant = if has("metadata") {
            "root_era"
        } else {
            "root_era_no_metadata"
        };
        return Ok(Classified::of(Kind::ResultsDetailed, variant));
    }
    if fields.len() > 2
        && fields[..2] == ["prompt_index", "prompt_snippet"]
        && fields[2..].iter().all(|f| {
            [
                "_latency_ms",
                "_cost_usd",
                "_valid_json",
                "_input_tokens",
                "_output_tokens",
            ]
            .iter()
            .any(|s| f.ends_with(s))
        })
    {
        return Ok(Classified::of(Kind::ResultsComparison, "root_era"));
    }
    if fields.len() > 1 || fields.iter().any(|f| prompt_column(f)) {
        if let Some(variant) = prompts_csv_variant(&fields, bom) {
            return Ok(Classified::of(Kind::PromptsCsv, variant));
        }
    }
    if let Some(damaged) = marks::near_miss(&fields) {
        return Ok(damaged);
    }
    Err(fields.len())
}

/// Whether a header names the prompt column (root `prompt_loader.py` accepts these three spellings).
pub fn prompt_column(name: &str) -> bool {
    matches!(name, "prompt" | "Prompt" | "PROMPT")
}

/// The variant of a prompt CSV header, or `None` when it has no prompt column.
pub fn prompts_csv_variant(fields: &[&str], bom: bool) -> Option<String> {
    let prompt = fields.iter().find(|f| prompt_column(f))?;
    let standard = ["prompt_id", "prompt", "expected_json", "category"];
    let mut parts = Vec::new();
    if fields == standard {
        parts.push("standard".to_owned());
    } else {
        if !fields.contains(&"prompt_id") {
            parts.push("no_prompt_id".to_owned());
        }
        if *prompt != "prompt" {
            parts.push(format!("{prompt}_header"));
        }
        if fields
            .iter()
            .any(|f| !standard.contains(f) && !prompt_column(f))
        {
            parts.push("extra_columns".to_owned());
        }
        if parts.is_empty() {
            parts.push("reordered".to_owned());
        }
    }
    if bom {
        parts.push("bom".to_owned());
    }
    Some(parts.join(" "))
}

#[cfg(test)]
mod tests {
    use super::super::classify;
    use super::super::tests::kind;
    use super::*;

    #[test]
    fn prompt_csv_headers_and_their_variants() {
        assert_eq!(
            kind(
                "x.csv",
                "prompt_id,prompt,expected_json,category\n1,a,True,converse\n"
            ),
            (Kind::PromptsCsv, Some("standard".into()))
        );
        assert_eq!(
            kind("x.csv", "Prompt,notes\na,b\n").1.as_deref(),
            Some("no_prompt_id Prompt_header extra_columns")
        );
        let bom = classify(
            "x.csv",
            b"\xEF\xBB\xBFprompt_id,prompt,expected_json,category\n",
            true,
            std::io::empty(),
        );
        assert_eq!(bom.variant.as_deref(), Some("standard bom"));
    }

    #[test]
    fn aggregate_and_root_era_csvs_are_told_apart() {
        let comparison = MODEL_COMPARISON_HEADER.join(",");
        assert_eq!(kind("a.csv", &comparison).0, Kind::ModelComparison);
        assert_eq!(
            kind("s.csv", &SUMMARY_HEADER.join(",")).0,
            Kind::ResultsSummary
        );
        let detailed = "prompt_index,model_key,model_name,input_tokens,output_tokens,latency_ms,cost_usd,valid_json,retries,json_was_cleaned,metadata,output,prompt_snippet,timestamp\r\n";
        assert_eq!(kind("d.csv", detailed).0, Kind::ResultsDetailed);
        let side = "prompt_index,prompt_snippet,nova-pro_latency_ms,nova-pro_cost_usd\r\n";
        assert_eq!(kind("c.csv", side).0, Kind::ResultsComparison);
    }

    const RAW: &str = "timestamp,run_id,model_name,model_id,prompt_id,input_tokens,output_tokens,latency_ms,json_valid,error,status,cost_usd_input,cost_usd_output,cost_usd_total";

    #[test]
    fn a_flipped_byte_in_a_raw_metrics_header_is_a_damaged_raw_metrics_file() {
        assert_eq!(kind("x.csv", RAW).0, Kind::RawMetrics);
        let flipped = RAW.replacen("run_id", "run_jd", 1);
        let c = classify("export.csv", flipped.as_bytes(), true, std::io::empty());
        assert_eq!(c.kind, Kind::RawMetrics);
        let damage = c.damage.expect("damaged");
        assert!(damage
            .reason
            .contains("column 2 is not a raw_metrics column"));
        assert!(!damage.reason.contains("run_jd"), "never the header's text");
    }

    #[test]
    fn invalid_utf8_never_decides_the_kind() {
        // The one invalid byte in a data row of the head.
        let mut bytes = format!("{RAW}\n2025-11-01T00:00:00Z,r,").into_bytes();
        bytes.extend_from_slice(b"\xff\n");
        let c = classify("raw.csv", &bytes, true, std::io::empty());
        assert_eq!(c.kind, Kind::RawMetrics);
        assert!(c.damage.is_none());
        let mut prompts = b"prompt_id,prompt,expected_json,category\n1,caf".to_vec();
        prompts.extend_from_slice(b"\xe9,True,x\n");
        assert_eq!(
            classify("p.csv", &prompts, true, std::io::empty()).kind,
            Kind::PromptsCsv
        );
    }

    #[test]
    fn a_nul_byte_in_a_row_never_decides_the_kind() {
        let mut bytes = format!("{RAW}\n2025-11-01T00:00:00Z,r,").into_bytes();
        bytes.extend_from_slice(b"a\x00b\n");
        let c = classify("x.csv", &bytes, true, std::io::empty());
        assert_eq!((c.kind, c.damage), (Kind::RawMetrics, None));
    }
}
