//! The raw-metrics header variants (docs/formats.md#header-variants): the columns any writer produced and
//! the recognition of a header line. Fed by `read::sniff`; the row-shape rule reads the result.

/// The columns any raw-metrics writer ever produced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Column {
    Timestamp,
    RunId,
    ModelName,
    ModelId,
    PromptId,
    InputTokens,
    OutputTokens,
    LatencyMs,
    JsonValid,
    Error,
    Status,
    CostUsdInput,
    CostUsdOutput,
    CostUsdTotal,
    InputPrompt,
    Response,
    Source,
}

/// The 14 columns every writer version wrote first, in this order.
pub const CANONICAL: [Column; 14] = [
    Column::Timestamp,
    Column::RunId,
    Column::ModelName,
    Column::ModelId,
    Column::PromptId,
    Column::InputTokens,
    Column::OutputTokens,
    Column::LatencyMs,
    Column::JsonValid,
    Column::Error,
    Column::Status,
    Column::CostUsdInput,
    Column::CostUsdOutput,
    Column::CostUsdTotal,
];

impl Column {
    /// The header name the legacy writers used.
    pub fn name(self) -> &'static str {
        match self {
            Column::Timestamp => "timestamp",
            Column::RunId => "run_id",
            Column::ModelName => "model_name",
            Column::ModelId => "model_id",
            Column::PromptId => "prompt_id",
            Column::InputTokens => "input_tokens",
            Column::OutputTokens => "output_tokens",
            Column::LatencyMs => "latency_ms",
            Column::JsonValid => "json_valid",
            Column::Error => "error",
            Column::Status => "status",
            Column::CostUsdInput => "cost_usd_input",
            Column::CostUsdOutput => "cost_usd_output",
            Column::CostUsdTotal => "cost_usd_total",
            Column::InputPrompt => "input_prompt",
            Column::Response => "response",
            Column::Source => "source",
        }
    }

    fn from_name(name: &str) -> Option<Column> {
        CANONICAL
            .iter()
            .chain(&[Column::InputPrompt, Column::Response, Column::Source])
            .copied()
            .find(|c| c.name() == name)
    }
}

/// A recognised raw-metrics header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    pub columns: Vec<Column>,
    /// `R14`, `R15r`, `R15p`, `R16` or `cloudwatch_download`, with ` quoted` for QUOTE_ALL files.
    pub variant: String,
}

impl Header {
    /// Whether the header starts with the 14 canonical columns, so row-shape repair applies.
    pub(super) fn is_canonical_prefixed(&self) -> bool {
        self.columns.len() >= CANONICAL.len() && self.columns[..CANONICAL.len()] == CANONICAL
    }

    pub(super) fn extras(&self) -> &[Column] {
        &self.columns[CANONICAL.len()..]
    }

    /// Whether `fields` are this header repeated (a mid-file header line).
    pub(super) fn is_repeated_by(&self, fields: &[&str]) -> bool {
        fields.len() == self.columns.len()
            && fields
                .iter()
                .zip(&self.columns)
                .all(|(f, c)| *f == c.name())
    }
}

/// Recognises a raw-metrics header from its field names (BOM already stripped). `quoted` tells
/// whether the header line's first byte was a double quote (files created by logger v04+).
pub fn detect_header(fields: &[&str], quoted: bool) -> Option<Header> {
    let columns: Vec<Column> = fields
        .iter()
        .map(|f| Column::from_name(f))
        .collect::<Option<_>>()?;
    let has_all_canonical = CANONICAL.iter().all(|c| columns.contains(c));
    let unique = columns
        .iter()
        .enumerate()
        .all(|(i, c)| !columns[..i].contains(c));
    if !has_all_canonical || !unique {
        return None;
    }
    let base = if columns[..CANONICAL.len().min(columns.len())] == CANONICAL {
        match &columns[CANONICAL.len()..] {
            [] => "R14",
            [Column::Response] => "R15r",
            [Column::InputPrompt] => "R15p",
            [Column::InputPrompt, Column::Response] => "R16",
            _ => "custom",
        }
    } else if columns.contains(&Column::Source) {
        "cloudwatch_download"
    } else {
        "custom"
    };
    let variant = if quoted {
        format!("{base} quoted")
    } else {
        base.to_owned()
    };
    Some(Header { columns, variant })
}

/// Header builders shared by the tests of this folder.
#[cfg(test)]
pub(super) mod test_support {
    use super::*;

    pub fn names(extra: &[&str]) -> Vec<&'static str> {
        let mut v: Vec<&'static str> = CANONICAL.iter().map(|c| c.name()).collect();
        for e in extra {
            v.push(Column::from_name(e).unwrap().name());
        }
        v
    }

    pub fn header(extra: &[&str]) -> Header {
        detect_header(&names(extra), false).unwrap()
    }
}

#[cfg(test)]
mod tests {
    use super::super::era::Era;
    use super::super::shape::{layout, TieBreak};
    use super::test_support::{header, names};
    use super::*;

    const NO_TIE: TieBreak = TieBreak {
        is_error: false,
        extra_is_empty: false,
    };

    #[test]
    fn the_four_headers_are_recognised_quoted_or_not() {
        assert_eq!(header(&[]).variant, "R14");
        assert_eq!(header(&["response"]).variant, "R15r");
        assert_eq!(header(&["input_prompt"]).variant, "R15p");
        assert_eq!(
            detect_header(&names(&["input_prompt", "response"]), true)
                .unwrap()
                .variant,
            "R16 quoted"
        );
        assert!(
            detect_header(&["prompt_id", "prompt", "expected_json", "category"], false).is_none()
        );
    }

    #[test]
    fn the_cloudwatch_download_header_is_a_variant() {
        let h = [
            "timestamp",
            "run_id",
            "model_name",
            "model_id",
            "prompt_id",
            "input_prompt",
            "input_tokens",
            "output_tokens",
            "latency_ms",
            "json_valid",
            "error",
            "status",
            "cost_usd_input",
            "cost_usd_output",
            "cost_usd_total",
            "response",
            "source",
        ];
        let header = detect_header(&h, false).unwrap();
        assert_eq!(header.variant, "cloudwatch_download");
        assert_eq!(
            layout(&header, 17, Era::V04Plus, NO_TIE).unwrap().columns,
            header.columns
        );
        assert!(layout(&header, 16, Era::V04Plus, NO_TIE).is_err());
    }
}
