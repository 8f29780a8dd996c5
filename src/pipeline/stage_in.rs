//! ① Discover and ② read and stage, while the import's transaction holds the lock: the files are
//! found and classified, those the ledger already holds are set aside, the rest are read on rayon
//! (`read`) and copied into staging on their own connections (`stage`), and the files of the run are
//! recorded in `stage_files` for the transform.

use crate::config::ImportConfig;
use crate::error::{Error, Result, UsageError};
use crate::model::{FileSummary, Kind};
use crate::read;
use crate::{db, progress, stage};
use deadpool_postgres::Pool;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// Checks the schema, empties staging, reads and stages the files, all while `tx` holds the import
/// lock; returns the files' summaries in input order, recorded in `stage_files` in `tx`. The
/// transaction touches no staging table before the COPY streams (on other connections) have
/// committed: TRUNCATE and COPY would wait for it.
pub async fn stage_in(
    tx: &tokio_postgres::Transaction<'_>,
    pool: &Pool,
    config: &ImportConfig,
    copy_streams: usize,
    quiet: bool,
    database: &str,
) -> Result<Vec<FileSummary>> {
    db::migrate::ensure_current(tx, database).await?;
    stage::clear(pool).await?;
    if config.reads_no_files() {
        // `similarity`: nothing to read; the transform runs over empty staging.
        return Ok(Vec::new());
    }
    let files = read::discover(&config.paths)?;
    let (to_read, mut summaries) = super::ledger::partition(tx, files).await?;
    // The transaction stays idle while the files are read and staged on the other connections
    // (and while the checks re-read source files), which a server's
    // idle_in_transaction_session_timeout would end: this transaction is not a forgotten one, and it
    // ends with the import. Sent as a simple query, the last before staging, it also drops the
    // unnamed portal of the ledger query, whose snapshot would otherwise hold back vacuum's horizon
    // for as long as staging takes.
    tx.batch_execute("SET LOCAL idle_in_transaction_session_timeout = 0")
        .await
        .map_err(Error::db("setting idle_in_transaction_session_timeout"))?;
    summaries.extend(read_and_stage(pool, to_read, config, copy_streams, quiet).await?);
    if tx.client().is_closed() {
        return Err(Error::TransactionClosed {
            during: "the files were read and staged".to_owned(),
        });
    }
    summaries.sort_by_key(|s| s.file_no);
    read::nothing_to_import(&summaries)?;
    every_config_date_names_a_file(config, &summaries)?;
    stage_files(tx, &summaries).await?;
    Ok(summaries)
}

/// Reads every file on rayon and copies the rows into staging on `copy_streams` connections.
async fn read_and_stage(
    pool: &Pool,
    files: Vec<crate::model::InputFile>,
    config: &ImportConfig,
    copy_streams: usize,
    quiet: bool,
) -> Result<Vec<FileSummary>> {
    let total_bytes = files
        .iter()
        .filter_map(|f| std::fs::metadata(&f.path).ok())
        .map(|m| m.len())
        .sum();
    let bar = progress::bytes(total_bytes, progress::visible(quiet));
    let (sinks, streams) = crate::model::records::channels();
    let names: stage::FileNames = Arc::new(
        files
            .iter()
            .map(|f| (f.file_no, f.display.clone()))
            .collect(),
    );
    let copiers = stage::spawn_copiers(pool, streams, copy_streams, &names);
    let bytes_read = Arc::new(AtomicU64::new(0));
    let ticker = {
        let (bar, bytes_read) = (bar.clone(), bytes_read.clone());
        tokio::spawn(async move {
            loop {
                bar.set_position(bytes_read.load(Ordering::Relaxed));
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
        })
    };
    let options = read::ReadOptions {
        legacy_tz: config.legacy_tz,
        batch_rows: 250,
        config_dates: config.config_dates.clone(),
        roots: config.paths.clone(),
    };
    let jobs = config.jobs;
    let reading = tokio::task::spawn_blocking(move || {
        let threads = rayon::ThreadPoolBuilder::new()
            .num_threads(jobs)
            .build()
            .map_err(Error::ReaderThreads)?;
        let result = threads.install(|| read::read_all(&files, &options, &sinks, &bytes_read));
        drop(sinks);
        result.map_err(Error::from)
    });
    let read_result = reading
        .await
        .map_err(Error::join("reading the input files"));
    let mut copy_result = Ok(0u64);
    for copier in copiers {
        let done = copier
            .await
            .map_err(Error::join("staging the records"))
            .and_then(|r| r);
        if let (Ok(total), Ok(n)) = (&copy_result, &done) {
            copy_result = Ok(total + n);
        } else if copy_result.is_ok() {
            copy_result = done;
        }
    }
    ticker.abort();
    bar.finish_and_clear();
    // A COPY failure closes the channel, which the readers then report as "stage closed"; the COPY
    // error is the cause worth showing.
    copy_result?;
    read_result?
}

/// Fails with a usage error when a `--config-date FILE` names no configuration file of the import
/// (one read now or one whose bytes an earlier import read), so a misspelt FILE is never ignored,
/// or when two of them give one file different dates.
fn every_config_date_names_a_file(config: &ImportConfig, summaries: &[FileSummary]) -> Result<()> {
    let configs: Vec<&str> = summaries
        .iter()
        .filter(|s| matches!(s.kind, Kind::ModelsYaml | Kind::ConfigPy))
        .map(|s| s.path.as_str())
        .collect();
    for path in &configs {
        let named: Vec<_> = config
            .config_dates
            .iter()
            .filter(|g| g.names(std::path::Path::new(path), &config.paths))
            .collect();
        if let Some(other) = named.iter().find(|g| g.at != named[0].at) {
            return Err(Error::Usage(UsageError::ConflictingConfigDates(
                format!("{}={}", named[0].file, named[0].at.to_rfc3339()),
                format!("{}={}", other.file, other.at.to_rfc3339()),
                (*path).to_owned(),
            )));
        }
    }
    let Some(unknown) = config.config_dates.iter().find(|g| {
        !configs
            .iter()
            .any(|p| g.names(std::path::Path::new(p), &config.paths))
    }) else {
        return Ok(());
    };
    const LISTED: usize = 5;
    let found = match configs.len() {
        0 => "it has none".to_owned(),
        n if n > LISTED => format!(
            "it has {}, and {} more",
            configs[..LISTED].join(", "),
            n - LISTED
        ),
        _ => format!("it has {}", configs.join(", ")),
    };
    Err(Error::Usage(UsageError::UnknownConfigFile(
        unknown.file.clone(),
        found,
    )))
}

/// Records the files of this run in `stage_files` for the transform. A file read from where an
/// imported prefix ends is recorded with the records and rejects of its whole content (the prefix's
/// and those read now), which a later import that finds the same bytes reports as already imported.
async fn stage_files(
    client: &tokio_postgres::Transaction<'_>,
    summaries: &[FileSummary],
) -> Result<()> {
    let statement = client
        .prepare(
            "INSERT INTO bellatrix_migrate.stage_files (file_no, path, kind, variant, sha256, size, records, rejected, \
             resume_line_ends, resume_first_crlf) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .await
        .map_err(Error::db("preparing stage_files"))?;
    // A file that is not a regular one was never opened: it has no content for the ledger.
    for s in summaries
        .iter()
        .filter(|s| s.disposition != crate::model::Disposition::Skipped)
    {
        let kind = serde_json::to_value(s.kind)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        let as_i64 = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
        let rejected = s
            .already_imported
            .map_or(s.rejects.len() as u64, |k| k.rejected);
        let (prefix_records, prefix_rejected) = s
            .resumed
            .as_ref()
            .map_or((0, 0), |r| (r.records, r.rejected));
        let point = s.resume_point;
        client
            .execute(
                &statement,
                &[
                    &s.file_no,
                    &s.path,
                    &kind,
                    &s.variant,
                    &s.sha256,
                    &as_i64(s.size),
                    &as_i64(s.records + prefix_records),
                    &as_i64(rejected + prefix_rejected),
                    &point.map(|p| as_i64(p.line_ends)),
                    &point.and_then(|p| p.first_crlf).map(as_i64),
                ],
            )
            .await
            .map_err(Error::db("recording stage_files"))?;
    }
    Ok(())
}
