//! ② Stage: streams the readers' records (`model::records`) with binary `COPY` into the migrator's
//! UNLOGGED staging tables, one connection per COPY stream, each in a transaction of its own. Fed by
//! `read` through the bounded channels of `model::records::channels`; feeds `transform`.

use crate::error::{Error, Result};
use crate::model::records::{self, nul, Staged};
use deadpool_postgres::Pool;
use futures_util::pin_mut;
use tokio::task::JoinHandle;
use tokio_postgres::binary_copy::BinaryCopyInWriter;
use tokio_postgres::types::ToSql;

/// `TRUNCATE` of every staging table: the stage's own `stage_files` and each record's (the registry).
pub fn clear_statement() -> String {
    let tables: Vec<String> = std::iter::once("stage_files")
        .chain(records::STAGING_TABLES.iter().copied())
        .map(|t| format!("bellatrix_migrate.{t}"))
        .collect();
    format!("TRUNCATE {}", tables.join(", "))
}

/// Empties the staging tables, removing whatever a killed run left behind. Only while this import
/// holds the import lock (on its control connection), and on another connection, in a transaction of
/// its own: TRUNCATE's exclusive lock must end before the COPY streams start.
pub async fn clear(pool: &Pool) -> Result<()> {
    let client = pool.get().await?;
    client
        .batch_execute(&clear_statement())
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
        tx.batch_execute(&clear_statement())
            .await
            .map_err(Error::db("clearing the staging tables"))?;
    }
    tx.commit()
        .await
        .map_err(Error::db("clearing the staging tables"))
}

/// The display name of each file being read, by file number: what a stage error names.
pub type FileNames = std::sync::Arc<std::collections::HashMap<i32, String>>;

/// The connections `spawn_copiers` opens for `metric_streams` raw-metrics streams: those (at
/// least one) and one per other staging table (the registry of `model::records` says how many).
pub fn copy_connections(metric_streams: usize) -> usize {
    metric_streams.max(1) + records::SERIAL_STREAMS
}

/// Starts the COPY tasks: `metric_streams` connections for raw metrics (the bulk of any drop) and
/// one for each other staging table. Each task ends when its channel closes, returning the rows it
/// copied.
pub fn spawn_copiers(
    pool: &Pool,
    streams: records::Streams,
    metric_streams: usize,
    names: &FileNames,
) -> Vec<JoinHandle<Result<u64>>> {
    let mut spawner = Spawner {
        pool,
        names,
        tasks: Vec::new(),
    };
    streams.each(&mut spawner, metric_streams);
    spawner.tasks
}

/// Starts one COPY task per channel it is handed.
struct Spawner<'a> {
    pool: &'a Pool,
    names: &'a FileNames,
    tasks: Vec<JoinHandle<Result<u64>>>,
}

impl records::Copier for Spawner<'_> {
    fn copy<T: Staged + Sync>(&mut self, rows: flume::Receiver<Vec<T>>) {
        let task = copy_rows(self.pool.clone(), rows, self.names.clone());
        self.tasks.push(tokio::spawn(task));
    }
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
        .copy_in(&T::copy_statement())
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
        column: T::COLUMNS
            .get(index)
            .map_or_else(|| format!("#{}", index + 1), |c| (*c).to_owned()),
    }
}
