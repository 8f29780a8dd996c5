//! ② Stage: turns read rows into staging records (hashes, model references, placeholders, natural keys)
//! and streams them with binary `COPY` into the migrator's UNLOGGED staging tables, one connection per
//! COPY stream. Fed by `read` through a bounded channel; feeds `transform`.

mod raw_metrics;

pub use raw_metrics::MetricRecord;

use crate::error::{Error, Result};
use deadpool_postgres::Pool;
use futures_util::pin_mut;
use tokio_postgres::binary_copy::BinaryCopyInWriter;

/// Empties the staging tables, removing whatever a killed run left behind.
pub async fn clear(pool: &Pool) -> Result<()> {
    let client = pool.get().await?;
    client
        .batch_execute(crate::sql::STAGE_CLEAR)
        .await
        .map_err(Error::db("clearing the staging tables"))
}

/// Copies batches from `rows` into `stage_raw_metrics` until the channel closes; returns the number
/// of rows copied. Several of these run at once, each on its own connection.
pub async fn copy_metrics(pool: Pool, rows: flume::Receiver<Vec<MetricRecord>>) -> Result<u64> {
    let client = pool.get().await?;
    let sink = client
        .copy_in(raw_metrics::COPY_STATEMENT)
        .await
        .map_err(Error::db("starting COPY into stage_raw_metrics"))?;
    let writer = BinaryCopyInWriter::new(sink, raw_metrics::COPY_TYPES);
    pin_mut!(writer);
    while let Ok(batch) = rows.recv_async().await {
        for record in &batch {
            writer
                .as_mut()
                .write(&record.values())
                .await
                .map_err(Error::db("writing COPY rows into stage_raw_metrics"))?;
        }
    }
    writer
        .finish()
        .await
        .map_err(Error::db("finishing COPY into stage_raw_metrics"))
}
