//! What became of every record: inserted, updated, duplicate or rejected, per production table and per file,
//! the records the transform rejected (user conflicts), the duplicates listed with what they repeat,
//! and the rows imported with a tie-break. Read from the transform's temp tables.

use crate::error::{Error, Result};
use crate::model::report::{Duplicate, Report, LISTED_LIMIT};
use crate::model::Reject;
use crate::sql;
use tokio_postgres::GenericClient;

fn count(row: &tokio_postgres::Row, i: usize) -> u64 {
    u64::try_from(row.get::<_, i64>(i)).unwrap_or(0)
}

/// Fills the tables' and files' counts, the transform's rejects, the duplicates and the ambiguous
/// rows of `report`.
pub(super) async fn counts(client: &impl GenericClient, report: &mut Report) -> Result<()> {
    for row in client
        .query(sql::account::SUMMARY, &[])
        .await
        .map_err(Error::db("counting the transform"))?
    {
        let table: String = row.get(0);
        let entry = report.tables.entry(table).or_default();
        entry.inserted = count(&row, 1);
        entry.duplicate = count(&row, 2);
        entry.updated = count(&row, 3);
    }
    for row in client
        .query(sql::account::PER_FILE, &[])
        .await
        .map_err(Error::db("counting rows per file"))?
    {
        let file_no: i32 = row.get(0);
        if let Some(f) = report.files.iter_mut().find(|f| f.file_no == file_no) {
            f.inserted = count(&row, 1);
            f.duplicate = count(&row, 2);
            f.updated = count(&row, 3);
        }
    }
    for row in client
        .query(sql::account::REJECTS, &[])
        .await
        .map_err(Error::db("listing transform rejects"))?
    {
        let file_no: i32 = row.get(0);
        let reject = Reject {
            file: row.get(1),
            line: u64::try_from(row.get::<_, i64>(2)).unwrap_or(0),
            column: None,
            field: row.get(3),
            reason: row.get(4),
        };
        let table: String = row.get(5);
        report.add_transform_reject(file_no, reject, &table);
    }
    report.accounted.inserted = report.files.iter().map(|f| f.inserted).sum();
    report.accounted.duplicate = report.files.iter().map(|f| f.duplicate).sum();
    report.accounted.updated = report.files.iter().map(|f| f.updated).sum();
    report.duplicates_total = report.accounted.duplicate;
    let limit = i64::try_from(LISTED_LIMIT).unwrap_or(i64::MAX);
    report.duplicates = client
        .query(sql::account::DUPLICATES, &[&limit])
        .await
        .map_err(Error::db("listing duplicates"))?
        .iter()
        .map(|r| Duplicate {
            file: r.get(0),
            line: u64::try_from(r.get::<_, i64>(1)).unwrap_or(0),
            of_file: r.get(2),
            of_line: u64::try_from(r.get::<_, i64>(3)).unwrap_or(0),
            of_import: r.get(4),
        })
        .collect();
    let ambiguous: i64 = client
        .query_one(sql::account::AMBIGUOUS_ROWS, &[])
        .await
        .map_err(Error::db("counting ambiguous rows"))?
        .get(0);
    report.ambiguous_rows = u64::try_from(ambiguous).unwrap_or(0);
    Ok(())
}
