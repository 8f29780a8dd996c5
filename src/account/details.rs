//! What an import does beside inserting rows: duplicates grouped by what they repeat, placeholder
//! prompts, models, providers and runs created, and the rows whose timestamps were read in the
//! legacy time zone. Also the verify report's rows per table.

use crate::error::{Error, Result};
use crate::model::report::{
    CreatedModel, DuplicateGroup, FileStatus, NaiveFile, PlaceholderRef, Relinked, Report,
    LISTED_LIMIT,
};
use crate::sql;
use std::collections::BTreeMap;
use tokio_postgres::GenericClient;

/// How many placeholders and naive-timestamp lines are listed (all are counted).
const FIRST: usize = 20;

fn count(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

/// Fills the details of `report` from the import transaction.
pub(super) async fn details(client: &impl GenericClient, report: &mut Report) -> Result<()> {
    let mut groups: Vec<DuplicateGroup> = client
        .query(sql::account::DUPLICATE_GROUPS, &[])
        .await
        .map_err(Error::db("grouping duplicates"))?
        .iter()
        .map(|r| DuplicateGroup {
            file_no: r.get(0),
            file: r.get(1),
            of_file: r.get(2),
            of_import: r.get(3),
            count: count(r.get(4)),
            whole_file: false,
        })
        .collect();
    groups.extend(whole_file_groups(report));
    // Stable: a file's groups keep the query's order.
    groups.sort_by_key(|g| g.file_no);
    report.duplicate_groups = groups;

    let first = i64::try_from(FIRST).unwrap_or(i64::MAX);
    let row = client
        .query_one(sql::account::PLACEHOLDERS, &[&first])
        .await
        .map_err(Error::db("counting placeholder prompts"))?;
    report.placeholders.created = count(row.get(0));
    report.placeholders.rows_linked = count(row.get(1));
    report.placeholders.first =
        serde_json::from_value::<Vec<PlaceholderRef>>(row.get(2)).map_err(json_error)?;

    let row = client
        .query_one(sql::account::RELINKED, &[])
        .await
        .map_err(Error::db("counting re-linked rows"))?;
    report.relinked = Relinked {
        rows: count(row.get(0)),
        placeholders_removed: count(row.get(1)),
        prompts_improved: count(row.get(2)),
        models_merged: count(row.get(3)),
    };

    let created: serde_json::Value = client
        .query_one(sql::account::CREATED, &[])
        .await
        .map_err(Error::db("listing what the import creates"))?
        .get(0);
    let mut models: Vec<CreatedModel> =
        serde_json::from_value(created["models"].clone()).map_err(json_error)?;
    models.truncate(LISTED_LIMIT);
    report.models_created = models;
    report.providers_created =
        serde_json::from_value(created["providers"].clone()).map_err(json_error)?;
    report.runs_created = serde_json::from_value::<BTreeMap<String, u64>>(created["runs"].clone())
        .map_err(json_error)?;

    let lines = i32::try_from(FIRST).unwrap_or(i32::MAX);
    let files: Vec<NaiveFile> = client
        .query(sql::account::NAIVE_TIMESTAMPS, &[&lines])
        .await
        .map_err(Error::db("counting naive timestamps"))?
        .iter()
        .map(|r| NaiveFile {
            file: r.get(0),
            rows: count(r.get(1)),
            values: count(r.get(2)),
            first_lines: r.get::<_, Vec<i64>>(3).into_iter().map(count).collect(),
        })
        .collect();
    report.naive_timestamps.rows = files.iter().map(|f| f.rows).sum();
    report.naive_timestamps.values = files.iter().map(|f| f.values).sum();
    report.naive_timestamps.files = files;
    Ok(())
}

/// The files skipped as already imported: each a group of its records, which `add_files` counted
/// as duplicates of the import that read the same bytes.
fn whole_file_groups(report: &Report) -> Vec<DuplicateGroup> {
    report
        .files
        .iter()
        .filter(|f| f.status == FileStatus::AlreadyImported && f.duplicate > 0)
        .map(|f| DuplicateGroup {
            file_no: f.file_no,
            file: f.path.clone(),
            of_file: f.path.clone(),
            of_import: f.previous_import,
            count: f.duplicate,
            whole_file: true,
        })
        .collect()
}

/// Rows in each production table, for the verify report.
pub async fn table_rows(client: &impl GenericClient, report: &mut Report) -> Result<()> {
    for row in client
        .query(sql::account::TABLE_ROWS, &[])
        .await
        .map_err(Error::db("counting rows per table"))?
    {
        report.table_rows.insert(row.get(0), count(row.get(1)));
    }
    Ok(())
}

fn json_error(e: serde_json::Error) -> Error {
    Error::ReportJson {
        during: "reading a report detail",
        source: e,
    }
}
