//! How an import's one transaction ended: decided by `commit`, recorded by `audit`, rendered by
//! `main`. In the model so that the audit trail needs no later stage to name it.

/// How the import's transaction ended.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case", tag = "state", content = "reason")]
pub enum Outcome {
    Committed,
    DryRun,
    RolledBack(String),
}

impl Outcome {
    /// The report's `outcome`.
    pub fn describe(&self) -> String {
        match self {
            Self::Committed => "committed".to_owned(),
            Self::DryRun => "dry run: rolled back, production tables unchanged".to_owned(),
            Self::RolledBack(why) => format!("rolled back: {why}; nothing was committed"),
        }
    }
}
