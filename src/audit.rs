//! The audit trail: one `audit_log` row per action of the migrator on a database (`init`, a
//! committed import, a dry run, a rolled-back import, a revert), written in the transaction of the
//! action it records, so that it commits or rolls back with it. Its details are counts, the tool
//! version and the outcome, never legacy text. The `login` events the users.json records carry are
//! rows an import writes from its sources, like any other table's (sql/transform/49_logins.sql).
//! README: "The audit trail"; docs/decisions.md#audit-trail.

use crate::error::{Error, Result};
use crate::model::revert::RevertReport;
use crate::model::{Outcome, Report};
use serde_json::{json, Map, Value};
use tokio_postgres::GenericClient;

/// What a row of the audit trail records; its `audit_log.action`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// `init` applied the pending migrations, or found none pending (and ran its grants).
    Init,
    /// An import committed.
    Import,
    /// A dry run rolled back, as it always does.
    DryRun,
    /// An import rolled back: a failed integrity check or `--max-rejects`.
    RolledBack,
    /// A revert took a committed import back.
    Revert,
}

impl Action {
    /// The `audit_log.action` of the row.
    pub fn name(self) -> &'static str {
        match self {
            Self::Init => "init",
            Self::Import => "legacy_import",
            Self::DryRun => "legacy_import_dry_run",
            Self::RolledBack => "legacy_import_rolled_back",
            Self::Revert => "legacy_import_revert",
        }
    }

    /// The action recording an import that ended as `outcome`.
    pub fn of_import(outcome: &Outcome) -> Self {
        match outcome {
            Outcome::Committed => Self::Import,
            Outcome::DryRun => Self::DryRun,
            Outcome::RolledBack(_) => Self::RolledBack,
        }
    }
}

/// The `audit_log.action` of a login event a users.json record carries (written by the transform).
pub const LOGIN: &str = "login";

/// The `user_agent` of the migrator's rows.
pub fn user_agent() -> String {
    format!("bellatrix-migrate/{}", env!("CARGO_PKG_VERSION"))
}

/// Writes one row of the audit trail in `client`'s transaction: `action`, about import `import_id`
/// (its resource; None for `init`), with `details` (an object; the role, `current_user`, and the
/// import id are added to it). Commits nothing. `revert` calls it with its own details before it
/// commits; the id of the row is random, so that no revert takes it back.
pub async fn record(
    client: &impl GenericClient,
    action: Action,
    import_id: Option<i64>,
    details: Value,
) -> Result<()> {
    client
        .query_one(
            crate::sql::AUDIT_RECORD,
            &[&action.name(), &import_id, &user_agent(), &details],
        )
        .await
        .map_err(Error::db(format!(
            "recording the {} row of the audit trail",
            action.name()
        )))?;
    Ok(())
}

/// The details of an import's row: its outcome (and why it rolled back), the tool version, and the
/// counts of `report` (files, records, the tables it changed, the checks). Paths are not listed:
/// the import's stored report has them.
pub fn import_details(report: &Report, outcome: &Outcome) -> Value {
    let reason = match outcome {
        Outcome::RolledBack(why) => Some(why.as_str()),
        Outcome::Committed | Outcome::DryRun => None,
    };
    let tables: Map<String, Value> = report
        .tables
        .iter()
        .filter(|(_, c)| c.inserted + c.duplicate + c.rejected + c.updated > 0)
        .map(|(table, c)| {
            let counts = json!({
                "inserted": c.inserted,
                "duplicate": c.duplicate,
                "rejected": c.rejected,
                "updated": c.updated,
            });
            (table.clone(), counts)
        })
        .collect();
    let mut details = json!({
        "tool_version": report.tool_version,
        "outcome": outcome.label(),
        "started_at": report.generated_at,
        "files": report.files.len(),
        "files_rejected": report.files_rejected,
        "source_records": report.source_records,
        "records": {
            "inserted": report.accounted.inserted,
            "duplicate": report.accounted.duplicate,
            "rejected": report.accounted.rejected,
            "updated": report.accounted.updated,
        },
        "tables": tables,
        "checks": {
            "passed": report.check_counts.passed,
            "failed": report.check_counts.failed,
            "skipped": report.check_counts.skipped,
        },
    });
    if let (Some(why), Some(object)) = (reason, details.as_object_mut()) {
        object.insert("reason".to_owned(), Value::from(why));
    }
    details
}

/// The details of a revert's row: its outcome, the tool version, and per step (`reinserted`,
/// `restored`, `deleted`) the rows of each table it touched (tables with none left out), and its
/// checks.
pub fn revert_details(report: &RevertReport) -> Value {
    let mut steps = Map::new();
    for s in report.steps.iter().filter(|s| s.rows > 0) {
        if let Some(tables) = steps
            .entry(s.step.clone())
            .or_insert_with(|| Value::Object(Map::new()))
            .as_object_mut()
        {
            tables.insert(s.table.clone(), Value::from(s.rows));
        }
    }
    let failed = report.checks.iter().filter(|c| !c.ok).count();
    json!({
        "tool_version": report.tool_version,
        "outcome": report.outcome,
        "steps": steps,
        "checks": {"passed": report.checks.len() - failed, "failed": failed},
    })
}

/// The details of `init`'s row: the migrations it applied (none: the schema was current) and the
/// roles it granted to, each with its task and the number of GRANT statements run.
pub fn init_details(applied: &[i32], granted: &[(&str, &str, usize)]) -> Value {
    let grants: Vec<Value> = granted
        .iter()
        .map(|(task, role, statements)| {
            json!({"task": task, "role": role, "statements": statements})
        })
        .collect();
    json!({
        "tool_version": env!("CARGO_PKG_VERSION"),
        "outcome": if applied.is_empty() { "up-to-date" } else { "applied" },
        "applied": applied,
        "granted": grants,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::report::Mode;

    fn report() -> Report {
        let mut r = Report::new(Mode::Import, "db".into(), "UTC".into());
        r.source_records = 7;
        r.accounted.inserted = 4;
        r.accounted.duplicate = 2;
        r.accounted.rejected = 1;
        if let Some(users) = r.tables.get_mut("users") {
            users.inserted = 2;
            users.updated = 1;
        }
        r
    }

    #[test]
    fn an_import_row_names_its_outcome_counts_and_only_the_tables_it_changed() {
        let d = import_details(&report(), &Outcome::Committed);
        assert_eq!(d["outcome"], "committed");
        assert_eq!(d["tool_version"], env!("CARGO_PKG_VERSION"));
        assert_eq!(d["source_records"], 7);
        assert_eq!(d["records"]["inserted"], 4);
        assert_eq!(d["records"]["duplicate"], 2);
        assert_eq!(d["records"]["rejected"], 1);
        assert_eq!(d["tables"]["users"]["updated"], 1);
        assert_eq!(d["tables"].as_object().map(Map::len), Some(1), "{d}");
        assert!(d.get("reason").is_none());
    }

    #[test]
    fn a_rolled_back_import_says_why() {
        let why = "an integrity check failed".to_owned();
        let outcome = Outcome::RolledBack(why.clone());
        let d = import_details(&report(), &outcome);
        assert_eq!(d["outcome"], "rolled-back");
        assert_eq!(d["reason"], why.as_str());
        assert_eq!(Action::of_import(&outcome), Action::RolledBack);
        assert_eq!(
            Action::of_import(&Outcome::DryRun).name(),
            "legacy_import_dry_run"
        );
    }

    #[test]
    fn init_says_whether_it_applied_anything_and_whom_it_granted_to() {
        let d = init_details(&[], &[]);
        assert_eq!(d["outcome"], "up-to-date");
        let d = init_details(&[10, 11], &[("import", "loader", 40)]);
        assert_eq!(d["outcome"], "applied");
        assert_eq!(d["applied"], json!([10, 11]));
        assert_eq!(d["granted"][0]["role"], "loader");
        assert_eq!(d["granted"][0]["statements"], 40);
    }

    #[test]
    fn a_revert_row_counts_the_rows_of_each_step_per_table() {
        use crate::model::revert::{sample, RevertOutcome};
        let report = sample(
            RevertOutcome::Reverted,
            &[
                ("deleted", "public.prompts", 3),
                ("deleted", "public.audit_log", 1),
                ("restored", "public.users", 0),
            ],
        );
        let d = revert_details(&report);
        assert_eq!(d["outcome"], "reverted");
        assert_eq!(d["steps"]["deleted"]["public.prompts"], 3);
        assert_eq!(d["steps"]["deleted"]["public.audit_log"], 1);
        assert!(d["steps"].get("restored").is_none(), "{d}");
        assert_eq!(d["checks"]["passed"], 1);
    }

    #[test]
    fn every_action_has_its_own_name() {
        let all = [
            Action::Init,
            Action::Import,
            Action::DryRun,
            Action::RolledBack,
            Action::Revert,
        ];
        let mut names: Vec<_> = all.iter().map(|a| a.name()).collect();
        names.push(LOGIN);
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), all.len() + 1);
        assert!(
            names.iter().all(|n| n.len() <= 100),
            "action is VARCHAR(100)"
        );
    }
}
