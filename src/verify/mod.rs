//! ④ Verify: integrity checks, each a name, a query in `sql/verify/` returning `(ok, detail)`, and an
//! expectation. The import runs them inside its transaction, before committing; reconciliation of
//! source records is computed from the report itself.

use crate::error::{Error, Result};
use crate::report::{Check, Report};
use crate::sql;
use tokio_postgres::GenericClient;

/// Runs the SQL checks and the reconciliation check of an import.
pub async fn import_checks(client: &impl GenericClient, report: &Report) -> Result<Vec<Check>> {
    let mut checks = vec![reconciliation(report)];
    for (name, query) in sql::IMPORT_CHECKS {
        let row = client
            .query_one(*query, &[])
            .await
            .map_err(Error::db(format!("running check {name}")))?;
        checks.push(Check {
            name: (*name).to_owned(),
            ok: row.get(0),
            detail: row.get(1),
            blocking: true,
        });
    }
    for (name, query) in sql::INFO_CHECKS {
        let row = client
            .query_one(*query, &[])
            .await
            .map_err(Error::db(format!("running check {name}")))?;
        checks.push(Check {
            name: (*name).to_owned(),
            ok: row.get(0),
            detail: row.get(1),
            blocking: false,
        });
    }
    Ok(checks)
}

/// Every source record is inserted, duplicate or rejected: per file and in total.
pub fn reconciliation(report: &Report) -> Check {
    let unbalanced: Vec<String> = report
        .files
        .iter()
        .filter(|f| f.records != f.inserted + f.duplicate + f.rejected)
        .map(|f| {
            format!(
                "{}: {} records, {} accounted",
                f.path,
                f.records,
                f.inserted + f.duplicate + f.rejected
            )
        })
        .collect();
    let total_ok = report.accounted.total() == report.source_records;
    let ok = unbalanced.is_empty() && total_ok;
    let detail = if ok {
        format!(
            "{} source records = {} inserted + {} duplicate + {} rejected",
            report.source_records,
            report.accounted.inserted,
            report.accounted.duplicate,
            report.accounted.rejected
        )
    } else {
        format!(
            "{} source records but {} accounted; {}",
            report.source_records,
            report.accounted.total(),
            unbalanced.join("; ")
        )
    };
    Check {
        name: "reconciliation".to_owned(),
        ok,
        detail,
        blocking: true,
    }
}
