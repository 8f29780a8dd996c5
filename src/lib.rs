//! bellatrix-migrate: moves the BellaTrix app's legacy files into its PostgreSQL schema.
//!
//! The pipeline is the architecture:
//! ① [`read`] discovers and classifies files and parses them in parallel (rayon), sending rows through
//!   a bounded channel; ② [`stage`] copies them with binary `COPY` into UNLOGGED staging tables on
//!   several connections; ③ [`transform`] moves them into production with set-based SQL in one
//!   transaction; ④ [`verify`] checks inside that transaction that nothing was lost or invented;
//! ⑤ [`report`] says what happened. [`db`] holds the pool, the migrations and the local cluster.

pub mod account;
pub mod cli;
pub mod config;
pub mod db;
pub mod error;
pub mod generate;
pub mod identity;
pub mod model;
pub mod progress;
pub mod prompt;
pub mod read;
pub mod report;
pub mod sql;
pub mod stage;
pub mod transform;
pub mod verify;

use chrono::Utc;
use config::{Config, Database, ImportConfig, InitConfig, Task, VerifyConfig};
use db::privileges::{self, Needs};
use deadpool_postgres::Pool;
use error::{Error, Result};
use model::report::{Mode, Report};
use read::FileSummary;
use report::output::Outputs;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;
use transform::{Commit, Outcome};

/// What a command produced, for `main` to render.
#[derive(Debug)]
pub enum Output {
    Initialised {
        applied: Vec<i32>,
        database: String,
        /// Each role of `--grant-import` / `--grant-verify` and the GRANT statements run for it.
        granted: Vec<(String, Vec<String>)>,
    },
    /// `init --print-grants`: the GRANT statements, not run.
    Grants(Vec<String>),
    Imported {
        report: Box<Report>,
        outcome: Outcome,
    },
    Generated(generate::Generated),
    /// `verify` ran; the report's checks say whether the database passed.
    Verified {
        report: Box<Report>,
    },
    /// `local stop` or `local status` ran; what it found or did.
    Local(String),
}

/// Runs the configured command.
pub async fn run(config: Config) -> Result<Output> {
    if let Task::Generate { out, rows, seed } = &config.task {
        let (out, rows, seed) = (out.clone(), *rows, *seed);
        return tokio::task::spawn_blocking(move || generate::generate(&out, rows, seed))
            .await
            .map_err(|e| Error::Task(e.to_string()))?
            .map(Output::Generated);
    }
    if let Task::Local { action, dir } = &config.task {
        let (action, dir) = (*action, dir.clone());
        return tokio::task::spawn_blocking(move || match action {
            cli::LocalAction::Stop => db::local::stop(&dir),
            cli::LocalAction::Status => db::local::status(&dir),
        })
        .await
        .map_err(|e| Error::Task(e.to_string()))?
        .map(Output::Local);
    }
    for warning in &config.warnings {
        progress::warn(warning);
    }
    // Before anything is read or written, even the local cluster started: an output path that
    // cannot be written is exit 2 with nothing committed (report/output.rs).
    let outputs = match &config.task {
        Task::Import(c) => Outputs::create(
            c.report_json.as_deref(),
            c.report_md.as_deref(),
            c.rejects_csv.as_deref(),
        )?,
        Task::Verify(c) => Outputs::create(c.report_json.as_deref(), c.report_md.as_deref(), None)?,
        _ => Outputs::default(),
    };
    let settings = database(&config).await?;
    match &config.task {
        Task::Init(init_config) => {
            let mut connected = db::connect(&settings).await?;
            init(&mut connected, init_config).await
        }
        Task::Import(import_config) => {
            let mut connected = db::connect(&settings).await?;
            progress::note(
                config.quiet,
                &format!("connected to {}", connected.info.describe()),
            );
            if matches!(config.database, Database::Local(_)) {
                init(&mut connected, &InitConfig::default()).await?;
            }
            import(&settings, connected, import_config, outputs, config.quiet).await
        }
        Task::Generate { .. } | Task::Local { .. } => {
            unreachable!("handled above without a database")
        }
        Task::Verify(verify_config) => {
            let connected = db::connect(&settings).await?;
            verify(connected, verify_config, outputs, config.quiet).await
        }
    }
}

/// The verify pipeline: every check on the whole database, in one read-only snapshot → report.
async fn verify(
    connected: db::Connected,
    config: &VerifyConfig,
    outputs: Outputs,
    quiet: bool,
) -> Result<Output> {
    let started = Instant::now();
    let db::Connected {
        mut client,
        info: connection,
    } = connected;
    let mut report = Report::new(Mode::Verify, connection.server.clone(), "n/a".to_owned());
    // Each statement in a transaction, so that behind a pooler in transaction mode a statement's
    // prepare and execute reach the same server connection.
    let tx = client
        .transaction()
        .await
        .map_err(Error::db("checking the schema"))?;
    privileges::check(&tx, Needs::Verify).await?;
    db::migrate::ensure_current(&tx, &connection.server).await?;
    tx.commit()
        .await
        .map_err(Error::db("checking the schema"))?;
    report.connection = Some(connection);
    let bar = progress::checks(verify::check_count(false), progress::visible(quiet));
    let checks = verify::database_checks(&mut client, &config.checks, &bar).await;
    bar.finish_and_clear();
    report.set_checks(checks?);
    let tx = client
        .transaction()
        .await
        .map_err(Error::db("counting rows per table"))?;
    account::table_rows(&tx, &mut report).await?;
    tx.commit()
        .await
        .map_err(Error::db("counting rows per table"))?;
    report.outcome = Some(
        if report.checks_ok() {
            "passed"
        } else {
            "failed"
        }
        .to_owned(),
    );
    report.timings.total = started.elapsed().as_secs_f64();
    // verify commits nothing, so an output that fails now is an ordinary error (exit 2).
    outputs
        .finish(&report, &[])
        .map_err(|(path, source)| Error::Output { path, source })?;
    Ok(Output::Verified {
        report: Box::new(report),
    })
}

/// Applies pending migrations as the owner of the schema, then grants what `--grant-import` and
/// `--grant-verify` ask for; or, with `--print-grants`, only lists those grants.
async fn init(connected: &mut db::Connected, config: &InitConfig) -> Result<Output> {
    let db::Connected {
        client,
        info: connection,
    } = connected;
    if config.print_grants {
        let tx = client
            .transaction()
            .await
            .map_err(Error::db("listing the grants"))?;
        db::migrate::ensure_current(&tx, &connection.server).await?;
        let mut statements = Vec::new();
        for (needs, role) in &config.grants {
            statements.extend(privileges::grant_statements(&tx, *needs, role, true).await?);
        }
        return Ok(Output::Grants(statements));
    }
    let tx = client
        .transaction()
        .await
        .map_err(Error::db("checking ownership"))?;
    privileges::check_owner(&tx).await?;
    tx.commit().await.map_err(Error::db("checking ownership"))?;
    let applied = db::migrate::apply(client, |holder| announce_lock_wait(holder, None)).await?;
    let mut granted = Vec::new();
    for (needs, role) in &config.grants {
        granted.push((role.clone(), privileges::grant(client, *needs, role).await?));
    }
    Ok(Output::Initialised {
        applied,
        database: connection.server.clone(),
        granted,
    })
}

/// The import pipeline: read → stage → transform → verify → report.
async fn import(
    settings: &db::Settings,
    connected: db::Connected,
    config: &ImportConfig,
    outputs: Outputs,
    quiet: bool,
) -> Result<Output> {
    let started = Instant::now();
    let started_at = Utc::now();
    let mode = if config.dry_run {
        Mode::DryRun
    } else {
        Mode::Import
    };
    let db::Connected {
        client: mut control,
        info: connection,
    } = connected;
    let mut report = Report::new(
        mode,
        connection.server.clone(),
        config.legacy_tz.name().to_owned(),
    );
    let copy_streams = config.jobs.clamp(1, 2);
    let connections = copy_streams + stage::OTHER_STREAMS + 1;
    let pool = db::pool(settings, &connection, connections - 1)?;
    report.connection = Some(connection);
    let control: &mut tokio_postgres::Client = &mut control;
    // The import's one transaction, from the start: it holds the import lock, which therefore ends
    // with it (commit, rollback or a lost connection), even behind a pooler.
    let tx = control
        .build_transaction()
        .isolation_level(tokio_postgres::IsolationLevel::ReadCommitted)
        .start()
        .await
        .map_err(Error::db("starting the import transaction"))?;
    // Before anything is read or written: a missing privilege fails here, naming it, and a role that
    // does not own the bulk-loaded tables is set for the ordinary path.
    privileges::check(&tx, Needs::Import).await?;
    let bulk_refusal = privileges::bulk_refusal(&tx).await?;
    let waited = db::lock::acquire(&tx, config.lock_timeout, |holder| {
        announce_lock_wait(holder, config.lock_timeout)
    })
    .await?;
    if let Some(waited) = waited {
        progress::note(
            quiet,
            &format!("got the import lock after {:.1} s", waited.as_secs_f64()),
        );
    }
    // Before anything is written: a pooler that cannot give every connection a server connection of
    // its own at once would leave the COPY streams queued for ever.
    let minimum = stage::OTHER_STREAMS + 2;
    db::capacity::check(&pool, 1, connections, minimum, db::capacity::WAIT).await?;
    let staged = stage_in(&tx, &pool, config, copy_streams, quiet, &report.database).await;
    let summaries = match staged {
        Ok(summaries) => summaries,
        Err(e) => {
            drop(tx);
            // Best effort: the error that stopped the import is the one to show.
            let _ = stage::clear_unless_locked(control).await;
            return Err(e);
        }
    };
    report.add_files(&summaries);
    report.timings.read_and_stage = started.elapsed().as_secs_f64();

    let transform_started = Instant::now();
    let bar = progress::steps(sql::TRANSFORM.len() as u64, progress::visible(quiet));
    let commit = Commit {
        dry_run: config.dry_run,
        max_rejects: config.max_rejects,
        bulk_threshold: config.bulk_threshold,
        bulk_refusal,
    };
    let checks_bar = progress::checks(verify::check_count(true), progress::visible(quiet));
    let outcome = transform::run(tx, &mut report, started_at, commit, &bar, &checks_bar).await;
    report.timings.transform = transform_started.elapsed().as_secs_f64();
    // A committed import emptied staging in its transaction; otherwise it is emptied now, unless
    // another import already holds the lock (then staging is that one's). A killed run leaves it
    // to the next run, which clears staging once it holds the lock.
    let outcome = match outcome {
        Ok(Outcome::Committed) => Outcome::Committed,
        Ok(outcome) => {
            transform::record_uncommitted(control, &mut report, started_at, &outcome).await?;
            stage::clear_unless_locked(control).await?;
            outcome
        }
        Err(e) => {
            let _ = stage::clear_unless_locked(control).await;
            return Err(e);
        }
    };
    report.timings.total = started.elapsed().as_secs_f64();
    report.outcome = Some(match &outcome {
        Outcome::Committed => "committed".to_owned(),
        Outcome::DryRun => "dry run: rolled back, production tables unchanged".to_owned(),
        Outcome::RolledBack(why) => format!("rolled back: {why}; nothing was committed"),
    });
    // After a commit, an output that fails is exit 3 (something was committed), never 2.
    let committed = report.import_id.filter(|_| outcome == Outcome::Committed);
    outputs
        .finish(&report, &summaries)
        .map_err(|(path, source)| match committed {
            Some(import_id) => Error::OutputAfterCommit {
                path,
                import_id,
                source,
            },
            None => Error::Output { path, source },
        })?;
    Ok(Output::Imported {
        report: Box::new(report),
        outcome,
    })
}

/// Checks the schema, empties staging, reads and stages the files, all while `tx` holds the import
/// lock; returns the files' summaries in input order, recorded in `stage_files` in `tx`. The
/// transaction touches no staging table before the COPY streams (on other connections) have
/// committed: TRUNCATE and COPY would wait for it.
async fn stage_in(
    tx: &tokio_postgres::Transaction<'_>,
    pool: &Pool,
    config: &ImportConfig,
    copy_streams: usize,
    quiet: bool,
    database: &str,
) -> Result<Vec<FileSummary>> {
    db::migrate::ensure_current(tx, database).await?;
    stage::clear(pool).await?;
    let files = read::discover(&config.paths)?;
    let (to_read, mut summaries) = transform::ledger::partition(tx, files).await?;
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
    stage_files(tx, &summaries).await?;
    Ok(summaries)
}

/// Says, even with --quiet, that the import waits for another one and who that is: a wait that may
/// last is never silent.
fn announce_lock_wait(holder: Option<&db::lock::Holder>, timeout: Option<std::time::Duration>) {
    let holder = holder.map_or_else(
        || "a session that has just ended".to_owned(),
        ToString::to_string,
    );
    let until = match timeout {
        Some(t) => format!(
            "waiting at most {} (--lock-timeout)",
            humantime::format_duration(t)
        ),
        None => "waiting for it to finish (--lock-timeout to give up)".to_owned(),
    };
    progress::note(
        false,
        &format!(
            "another import or init is running on this database: the import lock is held by \
             {holder}; {until}"
        ),
    );
}

/// Reads every file on rayon and copies the rows into staging on `copy_streams` connections.
async fn read_and_stage(
    pool: &Pool,
    files: Vec<read::InputFile>,
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
    let (sinks, streams) = stage::channels();
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
    };
    let jobs = config.jobs;
    let reading = tokio::task::spawn_blocking(move || {
        let threads = rayon::ThreadPoolBuilder::new()
            .num_threads(jobs)
            .build()
            .map_err(|e| Error::Task(e.to_string()))?;
        let result = threads.install(|| read::read_all(&files, &options, &sinks, &bytes_read));
        drop(sinks);
        result.map_err(Error::from)
    });
    let read_result = reading.await.map_err(|e| Error::Task(e.to_string()));
    let mut copy_result = Ok(0u64);
    for copier in copiers {
        let done = copier
            .await
            .map_err(|e| Error::Task(e.to_string()))
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

/// Records the files of this run in `stage_files` for the transform.
async fn stage_files(
    client: &tokio_postgres::Transaction<'_>,
    summaries: &[FileSummary],
) -> Result<()> {
    let statement = client
        .prepare(
            "INSERT INTO bellatrix_migrate.stage_files (file_no, path, kind, variant, sha256, size, records, rejected) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .await
        .map_err(Error::db("preparing stage_files"))?;
    // A file that is not a regular one was never opened: it has no content for the ledger.
    for s in summaries
        .iter()
        .filter(|s| s.disposition != read::Disposition::Skipped)
    {
        let kind = serde_json::to_value(s.kind)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        let as_i64 = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
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
                    &as_i64(s.records),
                    &as_i64(
                        s.already_imported
                            .map_or(s.rejects.len() as u64, |k| k.rejected),
                    ),
                ],
            )
            .await
            .map_err(Error::db("recording stage_files"))?;
    }
    Ok(())
}

/// The connection settings: the server the user named, or the local cluster (started if needed).
async fn database(config: &Config) -> Result<db::Settings> {
    match &config.database {
        Database::Server(settings) => Ok((**settings).clone()),
        Database::Local(dir) => {
            let shown = dir.clone();
            let dir = dir.clone();
            let local = tokio::task::spawn_blocking(move || db::local::start(&dir))
                .await
                .map_err(|e| Error::Task(e.to_string()))??;
            for note in &local.notes {
                progress::always(note);
            }
            let cluster = local.cluster;
            let password = cluster.password().map(str::to_owned);
            let local = |name: &str| {
                db::conninfo::local(cluster.port, name, db::cluster::SUPERUSER, password.clone())
            };
            let admin = db::connect(&local("postgres")).await?.client;
            let exists = admin
                .query_opt(
                    "SELECT 1 FROM pg_database WHERE datname = $1",
                    &[&db::local::DATABASE],
                )
                .await
                .map_err(Error::db("looking for the local database"))?
                .is_some();
            if !exists {
                admin
                    .batch_execute(&format!("CREATE DATABASE {}", db::local::DATABASE))
                    .await
                    .map_err(Error::db("creating the local database"))?;
            }
            // Said even with --quiet: data going to a throwaway cluster must never be a surprise.
            progress::always(&format!(
                "no --database-url, DATABASE_URL or PG* variables: using the local throwaway \
                 PostgreSQL in {} (connect with: {}; stop with: bellatrix-migrate local stop)",
                shown.display(),
                db::local::connect_hint(&shown, cluster.port),
            ));
            Ok(local(db::local::DATABASE))
        }
    }
}
