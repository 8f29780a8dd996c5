//! Commit or roll back: decides how the import's one transaction ends once the transform, the
//! account and the checks have run in it (a failed check, too many rejects or a dry run roll it
//! back, so production stays as it was), records the report in the ledger and ends the
//! transaction. A committing import empties staging in that same transaction, still under the
//! import lock; an import that did not commit is recorded afterwards (`record_uncommitted`). Either
//! way its row of the audit trail (`audit`) is written with its record in the ledger.

use crate::audit::{self, Action};
use crate::error::{Error, Result};
use crate::model::Report;
use chrono::{DateTime, Utc};
use tokio_postgres::{Client, Transaction};

/// What decides the outcome beside the checks: the flags of the import.
#[derive(Debug, Clone, Copy)]
pub struct Policy {
    /// `--dry-run`: roll back whatever happens.
    pub dry_run: bool,
    /// `--max-rejects`: roll back when more records than this were rejected.
    pub max_rejects: Option<u64>,
}

pub use crate::model::Outcome;

/// How the import should end, given its checks and rejects (in `report`) and the flags.
pub fn decide(report: &Report, policy: Policy) -> Outcome {
    if !report.checks_ok() {
        Outcome::RolledBack("an integrity check failed".to_owned())
    } else if let Some(max) = policy.max_rejects.filter(|max| report.rejects_total > *max) {
        Outcome::RolledBack(format!(
            "{} rejected records exceed --max-rejects {max}",
            report.rejects_total
        ))
    } else if policy.dry_run {
        Outcome::DryRun
    } else {
        Outcome::Committed
    }
}

/// Ends `tx` as `outcome` says: a commit records the report for import `import_id` and its row of
/// the audit trail, and empties staging first; anything else rolls back, and the report then has no import id until
/// `record_uncommitted` gives it one.
pub async fn finish(
    tx: Transaction<'_>,
    report: &mut Report,
    import_id: i64,
    outcome: &Outcome,
) -> Result<()> {
    if *outcome == Outcome::Committed {
        // The stored report names its outcome, so that `show` renders it as the run printed it.
        report.outcome = Some(outcome.describe());
        let json = serde_json::to_value(&*report)
            .map_err(Error::report_json("encoding the report for the ledger"))?;
        tx.execute(
            "UPDATE bellatrix_migrate.imports SET report = $1, finished_at = clock_timestamp() WHERE id = $2",
            &[&json, &import_id],
        )
        .await
        .map_err(Error::db("recording the import report"))?;
        // In the import's transaction: the row commits with the import, or not at all.
        audit::record(
            &tx,
            Action::Import,
            Some(import_id),
            audit::import_details(report, outcome),
        )
        .await?;
        tx.batch_execute(&crate::stage::clear_statement())
            .await
            .map_err(Error::db("clearing the staging tables"))?;
        tx.commit()
            .await
            .map_err(Error::db("committing the import"))?;
    } else {
        tx.rollback()
            .await
            .map_err(Error::db("rolling back the import"))?;
        report.import_id = None;
    }
    Ok(())
}

/// Records a dry run or a rolled-back import in the ledger, after the rollback, for the history, and
/// its row of the audit trail (in a transaction of its own, so that behind a pooler in transaction
/// mode its statements stay on one server connection); sets the report's import id.
pub async fn record_uncommitted(
    client: &mut Client,
    report: &mut Report,
    started_at: DateTime<Utc>,
    outcome: &Outcome,
) -> Result<()> {
    let label = outcome.label();
    report.outcome = Some(outcome.describe());
    let json = serde_json::to_value(&*report)
        .map_err(Error::report_json("encoding the report for the ledger"))?;
    let tx = client
        .transaction()
        .await
        .map_err(Error::db("recording the import in the ledger"))?;
    let id: i64 = tx
        .query_one(
            "INSERT INTO bellatrix_migrate.imports (started_at, tool_version, outcome, report) \
             VALUES ($1, $2, $3, $4) RETURNING id",
            &[&started_at, &env!("CARGO_PKG_VERSION"), &label, &json],
        )
        .await
        .map_err(Error::db("recording the import in the ledger"))?
        .get(0);
    audit::record(
        &tx,
        Action::of_import(outcome),
        Some(id),
        audit::import_details(report, outcome),
    )
    .await?;
    tx.commit()
        .await
        .map_err(Error::db("recording the import in the ledger"))?;
    report.import_id = Some(id);
    Ok(())
}
