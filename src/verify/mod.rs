//! ④ Verify: the integrity checks that prove nothing was lost and nothing invented. Each check is a
//! name, a query in `sql/verify/` returning `(ok, detail)` (or, for the two that re-read source
//! files, Rust in [`fidelity`], and for the one that scores stored similarity pairs again, Rust in
//! [`similarity`]), and an expectation; the detail says what is wrong and where (ids,
//! or the `file:line` of `metadata.source`), never legacy text.
//!
//! The same checks run in two places. At the end of every import, inside its transaction and before
//! it commits, scoped to what that import wrote (the rows the ledger records for it), so a failed
//! check rolls the import back, and an old problem elsewhere in the database does not block every
//! later import. And in `bellatrix-migrate verify`, over the whole database, in one read-only
//! REPEATABLE READ snapshot so all checks see the same state.

pub mod fidelity;
pub mod similarity;
mod views;

use crate::error::{Error, Result};
use crate::model::{Check, Report};
use crate::sql::{self, CheckQuery};
use indicatif::ProgressBar;
use std::path::PathBuf;
use std::time::Instant;
use tokio_postgres::{Client, GenericClient, IsolationLevel};

/// Rows whose text and numbers are compared with their source, and similarity score rows scored
/// again, when no `--full` is asked for.
pub const DEFAULT_SAMPLE: u64 = 1000;

/// How thoroughly the checks that re-read source files, and the one that scores similarity pairs
/// again, work.
#[derive(Debug, Clone)]
pub struct Options {
    /// How many imported rows to compare with their source records (and score rows to score
    /// again); `None` compares all of them.
    pub sample: Option<u64>,
    /// Where the relative paths of `metadata.source` are resolved (the import's working directory).
    pub source_root: PathBuf,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            sample: Some(DEFAULT_SAMPLE),
            source_root: PathBuf::from("."),
        }
    }
}

/// How many checks a run reports, the steps of its progress bar (`progress::checks`): each
/// SQL check, the two that re-read source files, the one that scores similarity pairs again, and
/// the informational ones of an import (or, in `verify`, the one it reports as skipped).
pub fn check_count(import: bool) -> u64 {
    let last = if import { sql::INFO_CHECKS.len() } else { 1 };
    u64::try_from(sql::CHECKS.len() + fidelity::CHECKS + similarity::CHECKS + last)
        .unwrap_or(u64::MAX)
}

/// Runs every check at the end of an import, inside its transaction, scoped to what the import
/// wrote, advancing `bar` by one step per check (`check_count(true)` in all; the caller finishes
/// it). The report so far is recorded in `bellatrix_migrate.imports` first: the reconciliation
/// check reads it there, exactly as `verify` later reads it.
pub async fn import_checks(
    client: &impl GenericClient,
    report: &Report,
    bar: &ProgressBar,
) -> Result<Vec<Check>> {
    crate::progress::start(bar);
    let import_id = report.import_id.ok_or(Error::NotRegistered)?;
    let json = serde_json::to_value(report)
        .map_err(Error::report_json("encoding the report for the ledger"))?;
    client
        .execute(
            "UPDATE bellatrix_migrate.imports SET report = $1 WHERE id = $2",
            &[&json, &import_id],
        )
        .await
        .map_err(Error::db("recording the report for the checks"))?;
    // An import that wrote nothing (a re-run) cannot have broken what the whole-table checks read;
    // they are reported as skipped, so a re-import costs no full scan of the database.
    let written: u64 = report.tables.values().map(|t| t.inserted + t.updated).sum();
    let wrote_nothing = written == 0;
    if written >= ANALYZE_FROM_ROWS {
        // The import's rows are not in the planner's statistics yet (autovacuum cannot see an open
        // transaction); without them the checks' joins over a large import become nested loops.
        // A small import's checks look its rows up by key whatever the statistics say, and the
        // sampling would cost more than they do (0.8 s for one appended row at a million rows).
        client
            .batch_execute(sql::ANALYZE_FOR_CHECKS)
            .await
            .map_err(Error::db("analysing the imported tables for the checks"))?;
    }
    // JIT compiles each check's plan before it runs, in every parallel worker again: seconds for a
    // check whose every branch is then skipped (the references an import's constraints enforced),
    // and the checks of an import are scoped or narrow. For the rest of this transaction only.
    client
        .batch_execute("SET LOCAL jit = off")
        .await
        .map_err(Error::db("turning JIT off for the checks"))?;
    let rows_are_whole = !wrote_nothing && rows_are_whole_tables(client, report).await?;
    let scope = Scope {
        import: Some(import_id),
        skip_whole_table: wrote_nothing,
        rows_are_whole,
        sample_percent: sample_percent(report),
    };
    let mut checks = run_all(client, &scope, &Options::default(), bar).await?;
    for (name, query) in sql::INFO_CHECKS {
        bar.set_message(*name);
        let row = client
            .query_one(*query, &[])
            .await
            .map_err(Error::db(format!("running check {name}")))?;
        checks.push(Check::informational(name, row.get(0), row.get(1)));
        bar.inc(1);
    }
    Ok(checks)
}

/// Runs every check on the whole database (`bellatrix-migrate verify`), advancing `bar` by one step
/// per check (`check_count(false)` in all; the caller finishes it). Reads only: one read-only
/// REPEATABLE READ transaction, rolled back at the end.
pub async fn database_checks(
    client: &mut Client,
    options: &Options,
    bar: &ProgressBar,
) -> Result<Vec<Check>> {
    let tx = client
        .build_transaction()
        .isolation_level(IsolationLevel::RepeatableRead)
        .read_only(true)
        .start()
        .await
        .map_err(Error::db("starting the verification snapshot"))?;
    let checks = whole_database(&tx, options, bar).await;
    tx.rollback()
        .await
        .map_err(Error::db("ending the verification snapshot"))?;
    checks
}

/// Runs every check on the whole database inside a revert's transaction, before it commits: a revert
/// changes rows of many imports (it puts back the earlier rows the reverted import changed), so
/// nothing narrower than the whole database is its scope. Advances `bar` by one step per check
/// (`check_count(false)` in all; the caller finishes it).
pub async fn revert_checks(client: &impl GenericClient, bar: &ProgressBar) -> Result<Vec<Check>> {
    whole_database(client, &Options::default(), bar).await
}

/// Every check over the whole database, in whatever transaction `client` runs (`verify`'s
/// read-only snapshot, a revert's own transaction).
async fn whole_database(
    client: &impl GenericClient,
    options: &Options,
    bar: &ProgressBar,
) -> Result<Vec<Check>> {
    let scope = Scope {
        import: None,
        skip_whole_table: false,
        rows_are_whole: false,
        sample_percent: None,
    };
    crate::progress::start(bar);
    run_all(client, &scope, options, bar).await
}

/// What the checks of one run look at.
struct Scope {
    /// The import to check, or None for the whole database.
    import: Option<i64>,
    /// The import wrote nothing: whole-table checks are skipped.
    skip_whole_table: bool,
    /// The import's metric and master rows are every row of their tables (see `IMPORT_IS_WHOLE`).
    rows_are_whole: bool,
    /// The share of evaluation_metrics' pages the sampled checks read when `rows_are_whole`; None
    /// when the import inserted too few rows for a sample to be smaller than the table.
    sample_percent: Option<f64>,
}

/// Rows an import must write before its checks refresh the planner's statistics first.
pub const ANALYZE_FROM_ROWS: u64 = 10_000;

/// Metric rows whose (run, model) pairs and runs a first load's sampled checks recompute, about.
pub const SAMPLED_ROWS: u64 = 2000;

/// The percentage of evaluation_metrics' pages that holds about [`SAMPLED_ROWS`] of the rows the
/// import inserted, for `TABLESAMPLE SYSTEM`; None when that would be all of them.
fn sample_percent(report: &Report) -> Option<f64> {
    let inserted = report
        .tables
        .get("evaluation_metrics")
        .map_or(0, |t| t.inserted);
    #[allow(clippy::cast_precision_loss)]
    (inserted > SAMPLED_ROWS).then(|| 100.0 * SAMPLED_ROWS as f64 / inserted as f64)
}

/// Whether the rows an import inserted into evaluation_metrics and master_model_evaluations are all
/// the rows those tables hold (a first load).
async fn rows_are_whole_tables(client: &impl GenericClient, report: &Report) -> Result<bool> {
    let inserted = |table: &str| {
        let n = report.tables.get(table).map_or(0, |t| t.inserted);
        i64::try_from(n).unwrap_or(i64::MAX)
    };
    let row = client
        .query_one(
            sql::IMPORT_IS_WHOLE,
            &[
                &inserted("evaluation_metrics"),
                &inserted("master_model_evaluations"),
            ],
        )
        .await
        .map_err(Error::db("comparing the import's rows with its tables"))?;
    Ok(row.get(0))
}

/// The checks in report order, scoped as `scope` says, one step of `bar` each.
async fn run_all(
    client: &impl GenericClient,
    scope: &Scope,
    options: &Options,
    bar: &ProgressBar,
) -> Result<Vec<Check>> {
    let (import, skip_whole_table) = (scope.import, scope.skip_whole_table);
    let mut checks = Vec::with_capacity(sql::CHECKS.len() + 4);
    for query in sql::CHECKS {
        bar.set_message(query.name);
        if skip_whole_table && !query.scoped {
            checks.push(Check::skipped(
                query.name,
                "this import wrote no row, so it cannot have changed what this whole-table check \
                 reads (run `verify` to check the whole database)",
            ));
            bar.inc(1);
            continue;
        }
        let started = Instant::now();
        let whole = query.by_rows && scope.rows_are_whole;
        let (query_scope, sample) = match (whole, query.sampled, scope.sample_percent) {
            (true, true, Some(percent)) => (import, Some(percent)),
            (true, _, _) => (None, None),
            (false, _, _) => (import, None),
        };
        let by_definition = if query.name == views::NAME && import.is_some() {
            views::by_definition(client).await?
        } else {
            None
        };
        let mut check = match by_definition {
            Some(check) => check,
            None => run_query(client, query, query_scope, sample).await?,
        };
        if let Some(percent) = sample {
            check.detail.push_str(&format!(
                "; a first load: the rows of a random {percent:.2}% of evaluation_metrics' pages \
                 (what one statement built from the rows it inserted; `verify` checks all)"
            ));
        }
        check.seconds = started.elapsed().as_secs_f64();
        checks.push(check);
        bar.inc(1);
    }
    // An import compares the legacy aggregate files it reads (informational check
    // legacy_aggregates_agree); `verify` does not re-read them, and says so.
    if import.is_none() {
        checks.push(Check::skipped(
            "legacy_aggregates_agree",
            "verify does not re-read legacy aggregate files; the import that read one compared it \
             with the recomputation (check legacy_aggregates_agree in that import's report)",
        ));
        bar.inc(1);
    }
    // The two checks that re-read the source files share one pass, often the longest step.
    bar.set_message("text_fidelity, no_clipped_values (re-reading sources)");
    let started = Instant::now();
    let mut fidelity = fidelity::check(client, import, options).await?;
    for check in &mut fidelity {
        check.seconds = started.elapsed().as_secs_f64();
    }
    bar.inc(u64::try_from(fidelity.len()).unwrap_or(0));
    checks.extend(fidelity);
    bar.set_message("similarity_recomputed (scoring stored pairs again)");
    let started = Instant::now();
    let mut recomputed = similarity::check(client, import, options).await?;
    recomputed.seconds = started.elapsed().as_secs_f64();
    checks.push(recomputed);
    bar.inc(1);
    Ok(checks)
}

/// Runs one SQL check inside a savepoint. A query that fails in the database (a view that no longer
/// answers, a value that cannot be cast) is a failed check naming the error, not an aborted run;
/// a lost connection is still an error.
async fn run_query(
    client: &impl GenericClient,
    query: &CheckQuery,
    import: Option<i64>,
    sample: Option<f64>,
) -> Result<Check> {
    let context = || format!("running check {}", query.name);
    client
        .batch_execute("SAVEPOINT bellatrix_check")
        .await
        .map_err(Error::db(context()))?;
    let result = if query.sampled {
        client.query_one(query.sql, &[&import, &sample]).await
    } else if query.scoped {
        client.query_one(query.sql, &[&import]).await
    } else {
        client.query_one(query.sql, &[]).await
    };
    match result {
        Ok(row) => {
            client
                .batch_execute("RELEASE SAVEPOINT bellatrix_check")
                .await
                .map_err(Error::db(context()))?;
            let ok: bool = row.try_get(0).map_err(Error::db(context()))?;
            let detail: Option<String> = row.try_get(1).map_err(Error::db(context()))?;
            Ok(Check::new(
                query.name,
                ok,
                detail.unwrap_or_else(|| "(no detail)".to_owned()),
            ))
        }
        Err(e) => {
            match e.as_db_error() {
                Some(db) => {
                    let detail = format!(
                        "the check's query failed: {} (SQLSTATE {})",
                        db.message(),
                        db.code().code()
                    );
                    client
                    .batch_execute("ROLLBACK TO SAVEPOINT bellatrix_check; RELEASE SAVEPOINT bellatrix_check")
                    .await
                    .map_err(Error::db(context()))?;
                    Ok(Check::new(query.name, false, detail))
                }
                None => Err(Error::db(context())(e)),
            }
        }
    }
}
