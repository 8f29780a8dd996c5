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
    /// The ledger's word for it (`bellatrix_migrate.imports.outcome`, `history`, the audit trail).
    pub fn label(&self) -> &'static str {
        match self {
            Self::Committed => "committed",
            Self::DryRun => "dry-run",
            Self::RolledBack(_) => "rolled-back",
        }
    }

    /// The report's `outcome`.
    pub fn describe(&self) -> String {
        match self {
            Self::Committed => "committed".to_owned(),
            Self::DryRun => "dry run: rolled back, production tables unchanged".to_owned(),
            Self::RolledBack(why) => format!("rolled back: {why}; nothing was committed"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::history::ImportOutcome;

    #[test]
    fn the_ledger_word_reads_back_as_the_history_outcome() {
        for (outcome, history) in [
            (Outcome::Committed, ImportOutcome::Committed),
            (Outcome::DryRun, ImportOutcome::DryRun),
            (
                Outcome::RolledBack("why".to_owned()),
                ImportOutcome::RolledBack,
            ),
        ] {
            assert_eq!(ImportOutcome::from_label(outcome.label()), history);
        }
    }
}
