//! The ledger read back: `history` lists every import of `bellatrix_migrate.imports` and `show`
//! reads one import's stored report, for `report/` to render (text, JSON, Markdown) as it was at the
//! time. Both read only, in one read-only transaction, with the privileges of `verify`
//! (sql/privileges/required.sql), over the connection every command opens (`db::connect`: TLS,
//! poolers, timeouts).

use crate::db::privileges::{self, Needs};
use crate::error::{Error, Result};
use crate::model::history::{HistoryCounts, HistoryFile, ImportEntry, ImportOutcome, Reverted};
use crate::model::Report;
use crate::sql;
use tokio_postgres::{Client, Row, Transaction};

/// Every import of the ledger, newest first.
pub async fn list(client: &mut Client, database: &str) -> Result<Vec<ImportEntry>> {
    let tx = read_only(client, database, "listing the imports").await?;
    // The rows (and with them the prepared statement, closed when the last is dropped) go before
    // the commit: behind a pooler in transaction mode a Close sent after it reaches another server
    // connection, and the statement's name stays taken on this one for the next client.
    let entries = {
        let rows = tx
            .query(sql::history::LIST, &[])
            .await
            .map_err(Error::db("listing the imports"))?;
        rows.iter().map(entry).collect::<Result<Vec<_>>>()?
    };
    tx.commit()
        .await
        .map_err(Error::db("listing the imports"))?;
    Ok(entries)
}

/// The stored report of import `id`, with its id and, where the report does not name it (a report
/// stored before it did), the ledger's outcome; `UnknownImport` when the ledger has no such import.
pub async fn stored_report(client: &mut Client, database: &str, id: i64) -> Result<Report> {
    let during = "reading the stored report";
    let tx = read_only(client, database, during).await?;
    // The row goes before the commit, for the reason given in `list`.
    let (outcome, json): (String, serde_json::Value) = {
        let row = tx
            .query_opt(sql::history::REPORT, &[&id])
            .await
            .map_err(Error::db(during))?
            .ok_or_else(|| Error::UnknownImport {
                id,
                database: database.to_owned(),
            })?;
        (row.get(0), row.get(1))
    };
    tx.commit().await.map_err(Error::db(during))?;
    let mut report: Report =
        serde_json::from_value(json).map_err(|source| Error::StoredReport { id, source })?;
    report.import_id = Some(id);
    report.outcome.get_or_insert(outcome);
    Ok(report)
}

/// A read-only transaction on `client` in which the role's privileges and the schema were checked.
async fn read_only<'c>(
    client: &'c mut Client,
    database: &str,
    during: &'static str,
) -> Result<Transaction<'c>> {
    let tx = client
        .build_transaction()
        .read_only(true)
        .start()
        .await
        .map_err(Error::db(during))?;
    privileges::check(&tx, Needs::Verify).await?;
    crate::db::migrate::ensure_current(&tx, database).await?;
    Ok(tx)
}

/// One row of `sql/history/list.sql` as an entry.
fn entry(row: &Row) -> Result<ImportEntry> {
    let files: serde_json::Value = row.get("files");
    let files: Vec<HistoryFile> = serde_json::from_value(files)
        .map_err(Error::report_json("reading the files of an import"))?;
    let outcome: String = row.get("outcome");
    Ok(ImportEntry {
        id: row.get("id"),
        started_at: row.get("started_at"),
        finished_at: row.get("finished_at"),
        outcome: ImportOutcome::from_label(&outcome),
        tool_version: row.get("tool_version"),
        files,
        records: HistoryCounts {
            inserted: row.get("inserted"),
            duplicate: row.get("duplicate"),
            rejected: row.get("rejected"),
            updated: row.get("updated"),
        },
        run_by: row.get("run_by"),
        application_name: row.get("application_name"),
        reverted: row
            .get::<_, Option<chrono::DateTime<chrono::Utc>>>("reverted_at")
            .map(|at| Reverted {
                at,
                by: row
                    .get::<_, Option<String>>("reverted_by")
                    .unwrap_or_default(),
            }),
    })
}
