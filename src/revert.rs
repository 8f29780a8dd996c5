//! `revert IMPORT_ID [--dry-run]`: takes one committed import back in one transaction, from the
//! ledger (docs/decisions.md#revert). The rows it created carry its id prefix; the earlier rows it
//! changed or deleted were kept as images (migration 0010). The revert refuses, naming the rows,
//! when anything outside the import depends on what it wrote (sql/revert/blockers.sql); otherwise
//! it puts the images back, deletes the import's rows, ledger rows and file contents
//! (sql/revert/apply.sql), runs every integrity check over the whole database in the same
//! transaction, and commits (marking the import `reverted`) or, for a dry run or a failed check,
//! rolls back. It runs as the owner of the schema, under the import lock.

use crate::db::{self, privileges};
use crate::error::{Error, Result};
use crate::model::revert::{RevertOutcome, RevertReport, RevertStep};
use crate::{audit, progress, sql, verify};
use std::time::{Duration, Instant};
use tokio_postgres::{Client, Transaction};

/// What `revert` is asked to do.
#[derive(Debug, Clone)]
pub struct RevertConfig {
    pub import_id: i64,
    pub dry_run: bool,
    /// Print the report as JSON on stdout.
    pub json: bool,
    pub lock_timeout: Option<Duration>,
}

/// Reverts (or, with `--dry-run`, rehearses reverting) import `config.import_id`.
pub async fn revert(
    client: &mut Client,
    database: &str,
    config: &RevertConfig,
    quiet: bool,
) -> Result<RevertReport> {
    let started = Instant::now();
    let id = config.import_id;
    let during = "reverting the import";
    let tx = client.transaction().await.map_err(Error::db(during))?;
    privileges::check_owner(&tx).await.map_err(|e| match e {
        Error::NotOwner { role, problems } => Error::RevertNotOwner { role, problems },
        other => other,
    })?;
    db::migrate::ensure_current(&tx, database).await?;
    db::lock::acquire_saying(&tx, config.lock_timeout, quiet).await?;
    let prefix = revertible(&tx, id, database).await?;
    tx.execute(
        "SELECT set_config('bellatrix_migrate.revert_id', $1, true), \
                set_config('bellatrix_migrate.revert_prefix', $2, true)",
        &[&id.to_string(), &prefix],
    )
    .await
    .map_err(Error::db(during))?;
    progress::note(quiet, &format!("looking for what depends on import {id}"));
    refuse_if_depended_on(&tx, id).await?;
    progress::note(quiet, &format!("taking import {id} back"));
    tx.batch_execute(sql::revert::APPLY)
        .await
        .map_err(Error::db(during))?;
    let steps = steps(&tx).await?;
    tx.execute(sql::revert::MARK, &[&id])
        .await
        .map_err(Error::db("marking the import reverted"))?;
    let bar = progress::checks(verify::check_count(false), progress::visible(quiet));
    let checks = verify::revert_checks(&tx, &bar).await;
    bar.finish_and_clear();
    let mut report = RevertReport {
        import_id: id,
        database: database.to_owned(),
        outcome: RevertOutcome::DryRun,
        steps,
        checks: checks?,
        tool_version: env!("CARGO_PKG_VERSION").to_owned(),
        seconds: 0.0,
    };
    report.outcome = if !report.checks_ok() {
        RevertOutcome::RolledBack
    } else if config.dry_run {
        RevertOutcome::DryRun
    } else {
        RevertOutcome::Reverted
    };
    report.seconds = started.elapsed().as_secs_f64();
    if report.outcome == RevertOutcome::Reverted {
        let json = serde_json::to_value(&report)
            .map_err(Error::report_json("encoding the revert for the ledger"))?;
        tx.execute(sql::revert::RECORD, &[&id, &json])
            .await
            .map_err(Error::db("recording the revert"))?;
        // Its row of the audit trail commits with it; a dry run or a rolled-back revert changed
        // nothing and leaves none.
        audit::record(
            &tx,
            audit::Action::Revert,
            Some(id),
            audit::revert_details(&report),
        )
        .await?;
        tx.commit()
            .await
            .map_err(Error::db("committing the revert"))?;
    } else {
        tx.rollback()
            .await
            .map_err(Error::db("rolling the revert back"))?;
    }
    Ok(report)
}

/// The prefix of the ids of import `id`'s rows, once the ledger shows it can be reverted: it
/// committed, is not reverted yet, and recorded its prefix and every image (migration 0010).
async fn revertible(tx: &Transaction<'_>, id: i64, database: &str) -> Result<String> {
    let not = |reason: String| Error::NotRevertible { id, reason };
    let (outcome, prefix, images_kept) = {
        let row = tx
            .query_opt(sql::revert::TARGET, &[&id])
            .await
            .map_err(Error::db("reading the import to revert"))?
            .ok_or_else(|| Error::UnknownImport {
                id,
                database: database.to_owned(),
            })?;
        let outcome: String = row.get("outcome");
        let prefix: Option<String> = row.get("id_prefix");
        let images_kept: bool = row.get("images_kept");
        (outcome, prefix, images_kept)
    };
    match (outcome.as_str(), prefix) {
        ("reverted", _) => Err(not("it was reverted already".to_owned())),
        ("committed", None) => Err(not(
            "it was recorded before this version kept what an import changes (migration 0010), \
             so what it changed in earlier rows is not known"
                .to_owned(),
        )),
        ("committed", Some(_)) if !images_kept => Err(not(
            "one of the triggers that keep the earlier rows an import changes \
             (bellatrix_migrate_keep_image) was missing or disabled while it ran"
                .to_owned(),
        )),
        ("committed", Some(prefix)) => Ok(prefix),
        (other, _) => Err(not(format!(
            "it did not commit ({other}): it left nothing to take back"
        ))),
    }
}

/// Fails with `RevertRefused`, naming the first rows, when anything depends on import `id`.
async fn refuse_if_depended_on(tx: &Transaction<'_>, id: i64) -> Result<()> {
    let during = "looking for what depends on the import";
    tx.batch_execute(sql::revert::BLOCKERS)
        .await
        .map_err(Error::db(during))?;
    let (total, named) = {
        let rows = tx
            .query(sql::revert::BLOCKERS_LIST, &[])
            .await
            .map_err(Error::db(during))?;
        let mut total = 0;
        let mut named = String::new();
        let mut reason = String::new();
        for row in &rows {
            let this: String = row.get("reason");
            if this != reason {
                let n: i64 = row.get("n");
                total += u64::try_from(n).unwrap_or(0);
                named.push_str(&format!("\n  {this} ({n}):"));
                reason = this;
            }
            named.push_str(&format!("\n    {}", row.get::<_, String>("detail")));
        }
        (total, named)
    };
    if named.is_empty() {
        return Ok(());
    }
    Err(Error::RevertRefused {
        id,
        total,
        blockers: named,
    })
}

/// What each step of apply.sql did.
async fn steps(tx: &Transaction<'_>) -> Result<Vec<RevertStep>> {
    let rows = tx
        .query(sql::revert::DONE, &[])
        .await
        .map_err(Error::db("reading what the revert did"))?;
    Ok(rows
        .iter()
        .map(|r| RevertStep {
            step: r.get("step"),
            table: r.get("target_table"),
            rows: u64::try_from(r.get::<_, i64>("n")).unwrap_or(0),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use crate::cli::{Cli, Command};
    use clap::Parser;

    #[test]
    fn revert_takes_an_import_id_of_at_least_1_a_dry_run_json_and_a_lock_timeout() {
        let cli = Cli::try_parse_from([
            "bellatrix-migrate",
            "revert",
            "7",
            "--dry-run",
            "--json",
            "--lock-timeout",
            "30s",
        ])
        .unwrap();
        match cli.command {
            Command::Revert(args) => {
                assert_eq!(args.import_id, 7);
                assert!(args.dry_run && args.json);
                assert_eq!(args.lock_timeout, Some(std::time::Duration::from_secs(30)));
            }
            other => panic!("{other:?}"),
        }
        for id in ["0", "-1", "x"] {
            let e = Cli::try_parse_from(["bellatrix-migrate", "revert", id]).expect_err(id);
            assert_eq!(e.exit_code(), 2, "{id}");
        }
    }
}
