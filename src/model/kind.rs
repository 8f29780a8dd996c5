//! The legacy file kinds: the one place that names them. Their names are the strings the JSON
//! report, the staging tables' `kind` columns and the SQL use.

use bytes::BytesMut;
use serde::Serialize;
use std::error::Error as StdError;
use tokio_postgres::types::{to_sql_checked, IsNull, ToSql, Type};

/// The file kinds (docs/formats.md).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    RawMetrics,
    ModelComparison,
    PromptsCsv,
    ResultsDetailed,
    ResultsSummary,
    ResultsComparison,
    BedrockLog,
    PromptsJson,
    UsersJson,
    ModelsYaml,
    ConfigPy,
    SettingsYaml,
    /// Nothing marks the file as a legacy kind (also what a file is before it is classified).
    #[default]
    Unknown,
}

impl Kind {
    /// The production table a reader's rejects count against in the report.
    pub fn table(self) -> Option<&'static str> {
        match self {
            Kind::RawMetrics | Kind::ResultsDetailed => Some("evaluation_metrics"),
            Kind::PromptsCsv | Kind::PromptsJson => Some("prompts"),
            Kind::BedrockLog => Some("cloudwatch_log_entries"),
            Kind::UsersJson => Some("users"),
            Kind::ModelsYaml | Kind::ConfigPy => Some("models"),
            Kind::ModelComparison | Kind::ResultsSummary => Some("model_aggregated_metrics"),
            Kind::ResultsComparison | Kind::SettingsYaml | Kind::Unknown => None,
        }
    }

    /// The kind's name (docs/formats.md): in the JSON report, the staging tables and the SQL.
    pub fn name(self) -> &'static str {
        match self {
            Kind::RawMetrics => "raw_metrics",
            Kind::ModelComparison => "model_comparison",
            Kind::PromptsCsv => "prompts_csv",
            Kind::ResultsDetailed => "results_detailed",
            Kind::ResultsSummary => "results_summary",
            Kind::ResultsComparison => "results_comparison",
            Kind::BedrockLog => "bedrock_log",
            Kind::PromptsJson => "prompts_json",
            Kind::UsersJson => "users_json",
            Kind::ModelsYaml => "models_yaml",
            Kind::ConfigPy => "config_py",
            Kind::SettingsYaml => "settings_yaml",
            Kind::Unknown => "unknown",
        }
    }
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A kind goes into a staging table's `kind` column as its name.
impl ToSql for Kind {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut BytesMut,
    ) -> Result<IsNull, Box<dyn StdError + Sync + Send>> {
        self.name().to_sql(ty, out)
    }

    fn accepts(ty: &Type) -> bool {
        <&str as ToSql>::accepts(ty)
    }

    to_sql_checked!();
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every kind (a new variant must be added here too).
    const ALL: [Kind; 13] = [
        Kind::RawMetrics,
        Kind::ModelComparison,
        Kind::PromptsCsv,
        Kind::ResultsDetailed,
        Kind::ResultsSummary,
        Kind::ResultsComparison,
        Kind::BedrockLog,
        Kind::PromptsJson,
        Kind::UsersJson,
        Kind::ModelsYaml,
        Kind::ConfigPy,
        Kind::SettingsYaml,
        Kind::Unknown,
    ];

    #[test]
    fn the_json_name_of_every_kind_is_its_name() {
        for kind in ALL {
            let json = serde_json::to_value(kind).expect("a kind serialises");
            assert_eq!(json, serde_json::Value::from(kind.name()), "{kind:?}");
            let back: Kind = serde_json::from_value(json).expect("a kind deserialises");
            assert_eq!(back, kind);
        }
    }

    #[test]
    fn every_kind_is_listed_once() {
        let mut names: Vec<&str> = ALL.iter().map(|k| k.name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), ALL.len());
    }
}
