//! ③ Transform: applies the staged rows to the production tables with the set-based statements of
//! `sql/transform/`, in the import's one transaction, together with the ledger. It registers the
//! import, sets the transaction's settings and runs the steps; what they did is then accounted for
//! (`account`), checked (`verify`) and committed or rolled back (`commit`) in the same transaction.

use crate::error::{Error, Result};
use crate::model::report::SimilarityCounts;
use crate::model::{Report, SimilaritySettings};
use crate::sql;
use chrono::{DateTime, Utc};
use indicatif::ProgressBar;
use tokio_postgres::Transaction;

mod ids;
pub mod similarity;

/// What the transform is told about the bulk path of a first load (27_bulk_prepare.sql).
#[derive(Debug, Clone)]
pub struct Bulk {
    /// Metric rows from which a first load rebuilds indexes and keys (`--bulk-threshold`).
    pub threshold: u64,
    /// Why the importing role may not take that bulk path (it does not own the tables), decided
    /// before anything was read; None when it may.
    pub refusal: Option<String>,
}

/// Applies the staged rows in `tx`, the import's one transaction (opened at the start of the
/// import, holding the import lock, READ COMMITTED so that each statement sees the staging rows the
/// COPY streams committed): registers the import, sets the transaction's settings and runs every
/// step of `sql::TRANSFORM`, the similarity step and `sql::TRANSFORM_CLOSING`, timing each into
/// `report`. Returns the import's id (also set in `report`) and what the similarity step did.
/// Commits nothing.
pub async fn apply(
    tx: &Transaction<'_>,
    report: &mut Report,
    started_at: DateTime<Utc>,
    bulk: &Bulk,
    similarity: SimilaritySettings,
    bar: &ProgressBar,
) -> Result<(i64, SimilarityCounts)> {
    // The prefix of the ids of the rows this import creates, by which `revert` finds them again;
    // and whether the images of the earlier rows it changes will all be kept (migration 0010).
    let prefix = ids::ordered_prefix(std::time::SystemTime::now(), rand::random());
    let images_kept: bool = tx
        .query_one(sql::IMAGES_KEPT, &[])
        .await
        .map_err(Error::db("looking for the triggers that keep images"))?
        .get(0);
    let import_id: i64 = tx
        .query_one(
            "INSERT INTO bellatrix_migrate.imports \
             (started_at, tool_version, outcome, report, id_prefix, images_kept) \
             VALUES ($1, $2, 'committed', '{}', $3, $4) RETURNING id",
            &[
                &started_at,
                &env!("CARGO_PKG_VERSION"),
                &prefix,
                &images_kept,
            ],
        )
        .await
        .map_err(Error::db("registering the import"))?
        .get(0);
    // The prefix first: the image triggers fire once the import id is set, and tell the import's
    // own rows by it.
    tx.execute(
        "SELECT set_config('bellatrix_migrate.id_prefix', $1, true)",
        &[&prefix],
    )
    .await
    .map_err(Error::db("setting the prefix of new ids"))?;
    tx.execute(
        "SELECT set_config('bellatrix_migrate.import_id', $1, true)",
        &[&import_id.to_string()],
    )
    .await
    .map_err(Error::db("setting the import id"))?;
    report.import_id = Some(import_id);
    tx.execute(
        "SELECT set_config('bellatrix_migrate.bulk_threshold', $1, true)",
        &[&bulk.threshold.to_string()],
    )
    .await
    .map_err(Error::db("setting the bulk threshold"))?;
    let allowed = if bulk.refusal.is_some() { "off" } else { "on" };
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
    run_steps(tx, sql::TRANSFORM, report, bar).await?;
    bar.set_message("similarity to the master model");
    let scores = similarity::apply(tx, similarity).await?;
    report
        .timings
        .transform_steps
        .push(("similarity".to_owned(), scores.seconds));
    bar.inc(1);
    run_steps(tx, sql::TRANSFORM_CLOSING, report, bar).await?;
    Ok((import_id, scores))
}

/// How many steps `apply` runs (for its progress bar).
pub fn step_count() -> u64 {
    u64::try_from(sql::TRANSFORM.len() + 1 + sql::TRANSFORM_CLOSING.len()).unwrap_or(u64::MAX)
}

/// Runs `steps` in order in `tx`, timing each into `report`.
async fn run_steps(
    tx: &Transaction<'_>,
    steps: &[(&'static str, &'static str)],
    report: &mut Report,
    bar: &ProgressBar,
) -> Result<()> {
    for (name, statements) in steps {
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
    Ok(())
}
