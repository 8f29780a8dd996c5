//! ② Stage: turns read rows into staging records (hashes, model references, placeholders, natural keys)
//! and streams them with binary `COPY` into the migrator's UNLOGGED staging tables, one connection per
//! COPY stream. Fed by `read` through a bounded channel; feeds `transform`.

mod config;
mod log_entries;
pub mod nul;
mod prompts;
mod raw_metrics;

pub use config::{natural_key, AggregateRecord, ModelEntryRecord, UserRecord};
pub use log_entries::LogEntryRecord;
pub use prompts::PromptRecord;
pub use raw_metrics::MetricRecord;

use crate::error::{Error, Result};
use deadpool_postgres::Pool;
use futures_util::pin_mut;
use tokio::task::JoinHandle;
use tokio_postgres::binary_copy::BinaryCopyInWriter;
use tokio_postgres::types::{ToSql, Type};

/// Empties the staging tables, removing whatever a killed run left behind. Only while this import
/// holds the import lock (on its control connection), and on another connection, in a transaction of
/// its own: TRUNCATE's exclusive lock must end before the COPY streams start.
pub async fn clear(pool: &Pool) -> Result<()> {
    let client = pool.get().await?;
    client
        .batch_execute(crate::sql::STAGE_CLEAR)
        .await
        .map_err(Error::db("clearing the staging tables"))
}

/// Empties the staging tables after an import that did not commit (a committed one empties them in
/// its own transaction), in a transaction that takes the import lock first; when another import
/// holds it, staging is that import's and is left alone (it cleared what this one left at its start).
pub async fn clear_unless_locked(client: &mut tokio_postgres::Client) -> Result<()> {
    let tx = client
        .transaction()
        .await
        .map_err(Error::db("starting to clear the staging tables"))?;
    if crate::db::lock::try_acquire(&tx).await? {
        tx.batch_execute(crate::sql::STAGE_CLEAR)
            .await
            .map_err(Error::db("clearing the staging tables"))?;
    }
    tx.commit()
        .await
        .map_err(Error::db("clearing the staging tables"))
}

/// A staging record: which staging table it goes to and its values in COPY column order.
pub trait Staged: Send + 'static {
    /// The staging table, for error messages.
    const TABLE: &'static str;
    /// `COPY bellatrix_migrate.<table> (...) FROM STDIN BINARY`.
    const COPY_STATEMENT: &'static str;
    /// The PostgreSQL types of the COPY columns.
    const COPY_TYPES: &'static [Type];
    /// The values, in `COPY_STATEMENT` order.
    fn values(&self) -> Vec<&(dyn ToSql + Sync)>;
    /// The file (its number in input order) and the line the record came from.
    fn origin(&self) -> (i32, i64);

    /// The COPY column of the first value whose text holds a NUL byte (which PostgreSQL cannot
    /// store): readers turn such a record into a reject with it, before it reaches the stage.
    fn nul_column(&self) -> Option<&'static str> {
        let index = nul::first_nul(&self.values(), Self::COPY_TYPES)?;
        nul::copy_columns(Self::COPY_STATEMENT).get(index).copied()
    }
}

/// The display name of each file being read, by file number: what a stage error names.
pub type FileNames = std::sync::Arc<std::collections::HashMap<i32, String>>;

/// Where readers send their batches: one bounded channel per staging table, so memory stays flat.
#[derive(Clone)]
pub struct Sinks {
    pub metrics: flume::Sender<Vec<MetricRecord>>,
    pub prompts: flume::Sender<Vec<PromptRecord>>,
    pub log_entries: flume::Sender<Vec<LogEntryRecord>>,
    pub models: flume::Sender<Vec<ModelEntryRecord>>,
    pub users: flume::Sender<Vec<UserRecord>>,
    pub aggregates: flume::Sender<Vec<AggregateRecord>>,
}

/// The receiving ends of `Sinks`, consumed by the COPY tasks.
pub struct Streams {
    metrics: flume::Receiver<Vec<MetricRecord>>,
    prompts: flume::Receiver<Vec<PromptRecord>>,
    log_entries: flume::Receiver<Vec<LogEntryRecord>>,
    models: flume::Receiver<Vec<ModelEntryRecord>>,
    users: flume::Receiver<Vec<UserRecord>>,
    aggregates: flume::Receiver<Vec<AggregateRecord>>,
}

/// COPY connections besides the raw-metrics ones: one per other staging table.
pub const OTHER_STREAMS: usize = 5;

/// Batches in flight per channel.
const CHANNEL_BATCHES: usize = 4;

/// Creates the channels between readers and COPY tasks.
pub fn channels() -> (Sinks, Streams) {
    let (metrics_tx, metrics) = flume::bounded(CHANNEL_BATCHES);
    let (prompts_tx, prompts) = flume::bounded(CHANNEL_BATCHES);
    let (log_entries_tx, log_entries) = flume::bounded(CHANNEL_BATCHES);
    let (models_tx, models) = flume::bounded(CHANNEL_BATCHES);
    let (users_tx, users) = flume::bounded(CHANNEL_BATCHES);
    let (aggregates_tx, aggregates) = flume::bounded(CHANNEL_BATCHES);
    (
        Sinks {
            metrics: metrics_tx,
            prompts: prompts_tx,
            log_entries: log_entries_tx,
            models: models_tx,
            users: users_tx,
            aggregates: aggregates_tx,
        },
        Streams {
            metrics,
            prompts,
            log_entries,
            models,
            users,
            aggregates,
        },
    )
}

/// Starts the COPY tasks: `metric_streams` connections for raw metrics (the bulk of any drop) and
/// one for each other staging table (`OTHER_STREAMS`). Each task ends when its channel closes,
/// returning the rows it copied.
pub fn spawn_copiers(
    pool: &Pool,
    streams: Streams,
    metric_streams: usize,
    names: &FileNames,
) -> Vec<JoinHandle<Result<u64>>> {
    let mut tasks: Vec<JoinHandle<Result<u64>>> = (0..metric_streams.max(1))
        .map(|_| spawn_copier(pool, streams.metrics.clone(), names))
        .collect();
    tasks.push(spawn_copier(pool, streams.prompts, names));
    tasks.push(spawn_copier(pool, streams.log_entries, names));
    tasks.push(spawn_copier(pool, streams.models, names));
    tasks.push(spawn_copier(pool, streams.users, names));
    tasks.push(spawn_copier(pool, streams.aggregates, names));
    tasks
}

fn spawn_copier<T: Staged + Sync>(
    pool: &Pool,
    rows: flume::Receiver<Vec<T>>,
    names: &FileNames,
) -> JoinHandle<Result<u64>> {
    tokio::spawn(copy_rows(pool.clone(), rows, names.clone()))
}

/// Copies batches from `rows` into `T`'s staging table until the channel closes; returns the
/// number of rows copied. Several may run at once, each on its own connection, each in a transaction
/// of its own that commits when its channel closes: behind a pooler in transaction mode that keeps the
/// COPY statement and its data on one server connection, and the import's transaction, open on the
/// control connection, sees the rows once committed. A value whose text holds a NUL byte is refused
/// as it is encoded, before its row is sent: the COPY is abandoned and the error names the file,
/// line and column, never the text (which the server would have logged).
pub async fn copy_rows<T: Staged>(
    pool: Pool,
    rows: flume::Receiver<Vec<T>>,
    names: FileNames,
) -> Result<u64> {
    let mut client = pool.get().await?;
    let tx = client
        .transaction()
        .await
        .map_err(Error::db(format!("starting the COPY into {}", T::TABLE)))?;
    let sink = tx
        .copy_in(T::COPY_STATEMENT)
        .await
        .map_err(Error::db(format!("starting COPY into {}", T::TABLE)))?;
    let writer = BinaryCopyInWriter::new(sink, T::COPY_TYPES);
    pin_mut!(writer);
    while let Ok(batch) = rows.recv_async().await {
        for record in &batch {
            let values = record.values();
            let checked: Vec<nul::Checked> = values
                .iter()
                .enumerate()
                .map(|(index, value)| nul::Checked {
                    value: *value,
                    index,
                })
                .collect();
            let row: Vec<&(dyn ToSql + Sync)> =
                checked.iter().map(|c| c as &(dyn ToSql + Sync)).collect();
            if let Err(e) = writer.as_mut().write(&row).await {
                return Err(write_error(e, record, &names));
            }
        }
    }
    let copied = writer
        .finish()
        .await
        .map_err(Error::db(format!("finishing COPY into {}", T::TABLE)))?;
    tx.commit()
        .await
        .map_err(Error::db(format!("committing the COPY into {}", T::TABLE)))?;
    Ok(copied)
}

/// The error of a failed COPY row write: a value refused for its NUL byte names its file, line and
/// column; anything else is the database error.
fn write_error<T: Staged>(e: tokio_postgres::Error, record: &T, names: &FileNames) -> Error {
    let refused = std::error::Error::source(&e)
        .and_then(|s| s.downcast_ref::<nul::NulByte>())
        .copied();
    let Some(nul::NulByte { index }) = refused else {
        return Error::db(format!("writing COPY rows into {}", T::TABLE))(e);
    };
    let (file_no, line) = record.origin();
    Error::NulInText {
        file: names
            .get(&file_no)
            .cloned()
            .unwrap_or_else(|| format!("file #{file_no}")),
        line,
        table: T::TABLE,
        column: nul::copy_columns(T::COPY_STATEMENT)
            .get(index)
            .map_or_else(|| format!("#{}", index + 1), |c| (*c).to_owned()),
    }
}
