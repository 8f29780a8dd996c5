//! What `revert` did (or, in a dry run, would do) to take one import back: the rows of each step
//! per table, the integrity checks run in its transaction, and how it ended. Rendered by
//! `report::revert`, stored in the ledger with the reverted import (`imports.revert`).

use super::Check;
use serde::{Deserialize, Serialize};

/// One step of a revert (sql/revert/apply.sql) on one table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RevertStep {
    /// `reinserted` (earlier rows the import deleted), `restored` (earlier rows it changed, put
    /// back) or `deleted` (rows it created, its ledger rows and file contents).
    pub step: String,
    /// The table, schema-qualified (`public.prompts`, `bellatrix_migrate.row_sources`).
    pub table: String,
    pub rows: u64,
}

/// How a revert ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RevertOutcome {
    /// Committed: the import is marked `reverted`.
    Reverted,
    /// `--dry-run`: everything done, checked and rolled back.
    DryRun,
    /// A check failed in the revert's transaction: rolled back, nothing changed.
    RolledBack,
}

/// The report of one revert.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RevertReport {
    pub import_id: i64,
    pub database: String,
    pub outcome: RevertOutcome,
    pub steps: Vec<RevertStep>,
    pub checks: Vec<Check>,
    pub tool_version: String,
    pub seconds: f64,
}

impl RevertReport {
    /// The rows a step touched over every table.
    pub fn total(&self, step: &str) -> u64 {
        self.steps
            .iter()
            .filter(|s| s.step == step)
            .map(|s| s.rows)
            .sum()
    }

    /// Whether every check passed (skipped ones pass).
    pub fn checks_ok(&self) -> bool {
        self.checks.iter().all(|c| c.ok)
    }
}

/// A report for tests: import 7 on "db", `steps` as (step, table, rows), one passing check.
#[cfg(test)]
pub fn sample(outcome: RevertOutcome, steps: &[(&str, &str, u64)]) -> RevertReport {
    RevertReport {
        import_id: 7,
        database: "db".to_owned(),
        outcome,
        steps: steps
            .iter()
            .map(|(step, table, rows)| RevertStep {
                step: (*step).to_owned(),
                table: (*table).to_owned(),
                rows: *rows,
            })
            .collect(),
        checks: vec![Check::new("a", true, String::new())],
        tool_version: "1".to_owned(),
        seconds: 0.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn totals_add_up_one_step_over_every_table() {
        let report = sample(
            RevertOutcome::DryRun,
            &[
                ("deleted", "public.prompts", 3),
                ("deleted", "public.evaluation_metrics", 10),
                ("restored", "public.evaluation_runs", 2),
            ],
        );
        assert_eq!(report.total("deleted"), 13);
        assert_eq!(report.total("restored"), 2);
        assert_eq!(report.total("reinserted"), 0);
        assert!(report.checks_ok());
        let json = serde_json::to_value(&report).unwrap();
        assert_eq!(json["outcome"], "dry-run");
    }
}
