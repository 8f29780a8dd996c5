//! Which path the transform's 27_bulk_prepare.sql took (the bulk path of a first load, or row by
//! row) and why, in words for the report. Reads the settings that step left in the transaction.

use crate::error::{Error, Result};
use crate::model::report::BulkPath;
use tokio_postgres::GenericClient;

/// Which path 27_bulk_prepare.sql took, and why, in words for the report.
pub(super) async fn bulk_path(
    client: &impl GenericClient,
    threshold: u64,
    refusal: Option<&str>,
) -> Result<BulkPath> {
    let row = client
        .query_one(
            "SELECT current_setting('bellatrix_migrate.bulk_path', true), \
             current_setting('bellatrix_migrate.bulk_new_rows', true)",
            &[],
        )
        .await
        .map_err(Error::db("reading the bulk-path decision"))?;
    let decision: Option<String> = row.get(0);
    let new_rows: Option<String> = row.get(1);
    let new_rows = new_rows.unwrap_or_default();
    let (taken, reason) = match decision.as_deref() {
        Some("taken") => (
            true,
            format!(
                "a first load of {new_rows} new metric rows (--bulk-threshold {threshold}): secondary \
                 indexes and foreign keys dropped and rebuilt inside the transaction"
            ),
        ),
        Some("not-owner") => (
            false,
            format!(
                "{new_rows} new metric rows, a first load, but {}: indexes and keys maintained row by \
                 row instead (the same rows, slower; an import by the owner takes the bulk path)",
                refusal.unwrap_or("the role does not own the tables")
            ),
        ),
        Some("not-first-load") => (
            false,
            format!(
                "not a first load: evaluation_metrics already holds more rows than the {new_rows} new ones"
            ),
        ),
        _ => (
            false,
            format!("{new_rows} new metric rows, fewer than --bulk-threshold {threshold}"),
        ),
    };
    Ok(BulkPath { taken, reason })
}
