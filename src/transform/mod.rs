//! ③ Transform: moves the staged rows into the production tables with the set-based statements of
//! `sql/transform/`, all in one transaction, together with the ledger. The integrity checks run inside
//! that transaction, so a failed check, the reject limit or a dry run rolls everything back and
//! production stays as it was.

pub mod ledger;

use crate::error::{Error, Result};
use crate::model::Report;
use crate::{sql, verify};
use chrono::{DateTime, Utc};
use indicatif::ProgressBar;
use tokio_postgres::{Client, Transaction};

/// What to do once the transform and checks have run.
#[derive(Debug, Clone)]
pub struct Commit {
    pub dry_run: bool,
    pub max_rejects: Option<u64>,
    /// Metric rows from which a first load rebuilds indexes and keys (27_bulk_prepare.sql).
    pub bulk_threshold: u64,
    /// Why the importing role may not take that bulk path (it does not own the tables), decided
    /// before anything was read; None when it may.
    pub bulk_refusal: Option<String>,
}

/// How the transaction ended.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case", tag = "state", content = "reason")]
pub enum Outcome {
    Committed,
    DryRun,
    RolledBack(String),
}

/// Runs the transform and checks in `tx`, the import's one transaction (opened at the start of the
/// import, holding the import lock, READ COMMITTED so that each statement sees the staging rows the
/// COPY streams committed), fills `report`, and commits unless told not to. A committing import
/// empties staging in the same transaction, still under the lock; otherwise everything is rolled
/// back, and the caller records the outcome with `record_uncommitted`.
pub async fn run(
    tx: Transaction<'_>,
    report: &mut Report,
    started_at: DateTime<Utc>,
    commit: Commit,
    bar: &ProgressBar,
    checks_bar: &ProgressBar,
) -> Result<Outcome> {
    let import_id: i64 = tx
        .query_one(
            "INSERT INTO bellatrix_migrate.imports (started_at, tool_version, outcome, report) \
             VALUES ($1, $2, 'committed', '{}') RETURNING id",
            &[&started_at, &env!("CARGO_PKG_VERSION")],
        )
        .await
        .map_err(Error::db("registering the import"))?
        .get(0);
    tx.execute(
        "SELECT set_config('bellatrix_migrate.import_id', $1, true)",
        &[&import_id.to_string()],
    )
    .await
    .map_err(Error::db("setting the import id"))?;
    report.import_id = Some(import_id);
    tx.execute(
        "SELECT set_config('bellatrix_migrate.bulk_threshold', $1, true)",
        &[&commit.bulk_threshold.to_string()],
    )
    .await
    .map_err(Error::db("setting the bulk threshold"))?;
    let allowed = if commit.bulk_refusal.is_some() {
        "off"
    } else {
        "on"
    };
    tx.execute(
        "SELECT set_config('bellatrix_migrate.bulk_allowed', $1, true)",
        &[&allowed],
    )
    .await
    .map_err(Error::db("setting whether the bulk path is allowed"))?;
    // Set-based statements over a whole drop hash and sort millions of rows; with the server's
    // default work_mem (4 MB) a semi-join such as `id IN (SELECT …)` that does not fit its hash table
    // is re-scanned per row. For this transaction only.
    tx.batch_execute(sql::TRANSACTION_SETTINGS)
        .await
        .map_err(Error::db("setting the transaction's work_mem"))?;
    for (name, statements) in sql::TRANSFORM {
        bar.set_message(*name);
        let started = std::time::Instant::now();
        tx.batch_execute(statements)
            .await
            .map_err(Error::db(format!("transform step: {name}")))?;
        report
            .timings
            .transform_steps
            .push(((*name).to_owned(), started.elapsed().as_secs_f64()));
        bar.inc(1);
    }
    bar.finish_and_clear();
    crate::account::collect(
        &tx,
        report,
        commit.bulk_threshold,
        commit.bulk_refusal.as_deref(),
    )
    .await?;
    let checks = verify::import_checks(&tx, report, checks_bar).await;
    checks_bar.finish_and_clear();
    report.set_checks(checks?);

    let outcome = if !report.checks_ok() {
        Outcome::RolledBack("an integrity check failed".to_owned())
    } else if let Some(max) = commit.max_rejects.filter(|max| report.rejects_total > *max) {
        Outcome::RolledBack(format!(
            "{} rejected records exceed --max-rejects {max}",
            report.rejects_total
        ))
    } else if commit.dry_run {
        Outcome::DryRun
    } else {
        Outcome::Committed
    };
    if outcome == Outcome::Committed {
        let json = serde_json::to_value(&*report).map_err(|e| Error::Task(e.to_string()))?;
        tx.execute(
            "UPDATE bellatrix_migrate.imports SET report = $1, finished_at = clock_timestamp() WHERE id = $2",
            &[&json, &import_id],
        )
        .await
        .map_err(Error::db("recording the import report"))?;
        tx.batch_execute(sql::STAGE_CLEAR)
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
    Ok(outcome)
}

/// Records a dry run or a rolled-back import in the ledger, after the rollback, for the history (in
/// a transaction of its own, so that behind a pooler in transaction mode its statement stays on
/// one server connection); sets the report's import id.
pub async fn record_uncommitted(
    client: &mut Client,
    report: &mut Report,
    started_at: DateTime<Utc>,
    outcome: &Outcome,
) -> Result<()> {
    let label = match outcome {
        Outcome::DryRun => "dry-run",
        _ => "rolled-back",
    };
    let json = serde_json::to_value(&*report).map_err(|e| Error::Task(e.to_string()))?;
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
    tx.commit()
        .await
        .map_err(Error::db("recording the import in the ledger"))?;
    report.import_id = Some(id);
    Ok(())
}
