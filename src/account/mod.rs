//! Account: collects the report's facts about what an import did, after the transform and inside
//! its transaction (the statements read the transform's temp tables), so a dry run reports exactly
//! what the import would do: the counts per table and per file, the transform's rejects, the
//! duplicates and their groups, placeholders, models, providers and runs created, naive timestamps,
//! ambiguous rows, and which path the transform took. Every query of a report lives here, its SQL in
//! `sql/account/`; `report/` only renders what this fills in.

mod bulk_path;
mod counts;
mod details;

pub use details::table_rows;

use crate::error::Result;
use crate::model::Report;
use tokio_postgres::GenericClient;

/// Fills `report` with the account of the import whose transform just ran in `client`'s
/// transaction. `bulk_threshold` and `bulk_refusal` are what the transform was given, to explain
/// the path it took.
pub async fn collect(
    client: &impl GenericClient,
    report: &mut Report,
    bulk_threshold: u64,
    bulk_refusal: Option<&str>,
) -> Result<()> {
    report.bulk_path = Some(bulk_path::bulk_path(client, bulk_threshold, bulk_refusal).await?);
    counts::counts(client, report).await?;
    details::details(client, report).await
}
