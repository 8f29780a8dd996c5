//! The import ledger's read side: which input files an earlier import already read completely, so
//! they are reported as `already-imported` and not read again. Only files whose size matches a
//! ledger entry are hashed, so a new drop costs no extra pass over its bytes. The files left to read
//! are offered the imported contents they may have grown from (`InputFile::prefixes`), which the
//! reader proves or not by hashing the file's first bytes.

use crate::error::{Error, Result};
use crate::model::{AlreadyImported, FileSummary, InputFile, Kind, Prefix, ResumePoint};
use crate::read;
use crate::sql;
use rayon::prelude::*;
use std::collections::HashSet;
use tokio_postgres::GenericClient;

/// Splits `files` into those to read and summaries of those the ledger already holds.
pub async fn partition(
    client: &impl GenericClient,
    files: Vec<InputFile>,
) -> Result<(Vec<InputFile>, Vec<FileSummary>)> {
    let sizes: HashSet<i64> = client
        .query(sql::LEDGER_KNOWN_SIZES, &[])
        .await
        .map_err(Error::db("reading the file ledger"))?
        .iter()
        .map(|r| r.get(0))
        .collect();
    let (candidates, mut to_read): (Vec<InputFile>, Vec<InputFile>) =
        files.into_iter().partition(|f| {
            // A file that is not a regular one is never opened, not even to hash it.
            f.skip.is_none()
                && std::fs::metadata(&f.path)
                    .ok()
                    .and_then(|m| i64::try_from(m.len()).ok())
                    .is_some_and(|size| sizes.contains(&size))
        });
    if candidates.is_empty() {
        offer_prefixes(client, &mut to_read).await?;
        return Ok((to_read, Vec::new()));
    }
    let hashed = tokio::task::spawn_blocking(move || {
        candidates
            .into_par_iter()
            .map(|f| read::hash_file(&f.path).map(|h| (f, h)))
            .collect::<Result<Vec<_>, _>>()
    })
    .await
    .map_err(Error::join("hashing the input files"))??;
    let digests: Vec<String> = hashed.iter().map(|(_, (sha, _))| sha.clone()).collect();
    let known = client
        .query(sql::LEDGER_KNOWN_FILES, &[&digests])
        .await
        .map_err(Error::db("looking up known files"))?;
    let mut skipped = Vec::new();
    for (file, (sha256, size)) in hashed {
        match known.iter().find(|r| r.get::<_, String>(0) == sha256) {
            Some(row) => skipped.push(FileSummary {
                file_no: file.file_no,
                path: file.display.clone(),
                kind: serde_json::from_value(serde_json::Value::String(row.get(4)))
                    .unwrap_or(Kind::Unknown),
                variant: row.get(5),
                records: u64::try_from(row.get::<_, i64>(2)).unwrap_or(0),
                sha256,
                size,
                rejects: Vec::new(),
                already_imported: Some(AlreadyImported {
                    import_id: row.get(1),
                    rejected: u64::try_from(row.get::<_, i64>(3)).unwrap_or(0),
                }),
                disposition: if row.get::<_, String>(4) == "unknown" {
                    crate::model::Disposition::Unknown
                } else {
                    crate::model::Disposition::Read
                },
                reason: (row.get::<_, String>(4) == "unknown").then(|| {
                    format!(
                        "listed as unknown by import {} (the same bytes)",
                        row.get::<_, i64>(1)
                    )
                }),
                version: None,
                resumed: None,
                resume_point: None,
            }),
            None => to_read.push(file),
        }
    }
    to_read.sort_by_key(|f| f.file_no);
    offer_prefixes(client, &mut to_read).await?;
    Ok((to_read, skipped))
}

/// How many imported contents a file is offered as its possible prefix: each costs a hash
/// finalization, and the longest of the same path is nearly always the one.
const PREFIXES_OFFERED: usize = 4;

/// Offers each file the resumable contents of the ledger smaller than it: those last seen at the
/// same path first, then the largest.
async fn offer_prefixes(client: &impl GenericClient, files: &mut [InputFile]) -> Result<()> {
    let rows = client
        .query(sql::LEDGER_RESUMABLE, &[])
        .await
        .map_err(Error::db("reading the resume points of the file ledger"))?;
    if rows.is_empty() {
        return Ok(());
    }
    let count = |n: i64| u64::try_from(n).unwrap_or(0);
    let known: Vec<Prefix> = rows
        .iter()
        .map(|r| Prefix {
            sha256: r.get(0),
            size: count(r.get(1)),
            import_id: r.get(2),
            kind: serde_json::from_value(serde_json::Value::String(r.get(3)))
                .unwrap_or(Kind::Unknown),
            variant: r.get(4),
            records: count(r.get(5)),
            rejected: count(r.get(6)),
            point: ResumePoint {
                line_ends: count(r.get(7)),
                first_crlf: r.get::<_, Option<i64>>(8).map(count),
            },
            path: r.get(9),
        })
        .collect();
    for file in files.iter_mut().filter(|f| f.skip.is_none()) {
        let Some(size) = std::fs::metadata(&file.path).ok().map(|m| m.len()) else {
            continue;
        };
        let mut offered: Vec<&Prefix> = known.iter().filter(|p| p.size < size).collect();
        offered.sort_by_key(|p| (p.path != file.display, std::cmp::Reverse(p.size)));
        file.prefixes = offered
            .into_iter()
            .take(PREFIXES_OFFERED)
            .cloned()
            .collect();
    }
    Ok(())
}
