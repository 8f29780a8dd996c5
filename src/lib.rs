//! bellatrix-migrate: moves the BellaTrix app's legacy files into its PostgreSQL schema.
//!
//! The pipeline is the architecture:
//! ① [`read`] discovers and classifies files and parses them in parallel (rayon), sending rows through
//!   a bounded channel; ② [`stage`] copies them with binary `COPY` into UNLOGGED staging tables on
//!   several connections; ③ [`transform`] moves them into production with set-based SQL in one
//!   transaction; ④ [`verify`] checks inside that transaction that nothing was lost or invented;
//! ⑤ [`report`] says what happened. [`db`] holds the pool, the migrations and the local cluster.

pub mod cli;
pub mod config;
pub mod db;
pub mod error;
pub mod generate;
pub mod identity;
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
use read::FileSummary;
use report::{progress, Mode, Report};
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
    let settings = database(&config).await?;
    match &config.task {
        Task::Init(init_config) => {
            let connected = db::connect(&settings).await?;
            init(connected, init_config).await
        }
        Task::Import(import_config) => {
            let connected = db::connect(&settings).await?;
            progress::note(
                config.quiet,
                &format!("connected to {}", connected.info.describe()),
            );
            let connected = if matches!(config.database, Database::Local(_)) {
                init(connected, &InitConfig::default()).await?;
                db::connect(&settings).await?
            } else {
                connected
            };
            import(&settings, connected, import_config, config.quiet).await
        }
        Task::Generate { .. } | Task::Local { .. } => {
            unreachable!("handled above without a database")
        }
        Task::Verify(verify_config) => {
            let connected = db::connect(&settings).await?;
            verify(connected, verify_config).await
        }
    }
}

/// The verify pipeline: every check on the whole database, in one read-only snapshot → report.
async fn verify(connected: db::Connected, config: &VerifyConfig) -> Result<Output> {
    let started = Instant::now();
    let db::Connected {
        mut client,
        info: connection,
    } = connected;
    let mut report = Report::new(Mode::Verify, connection.server.clone(), "n/a".to_owned());
    privileges::check(&client, Needs::Verify).await?;
    db::migrate::ensure_current(&client, &connection.server).await?;
    report.connection = Some(connection);
    report.checks = verify::database_checks(&mut client, &config.checks).await?;
    report::collect::table_rows(&client, &mut report).await?;
    report.outcome = Some(
        if report.checks_ok() {
            "passed"
        } else {
            "failed"
        }
        .to_owned(),
    );
    report.timings.total = started.elapsed().as_secs_f64();
    write_reports(
        &report,
        config.report_json.as_deref(),
        config.report_md.as_deref(),
    )?;
    Ok(Output::Verified {
        report: Box::new(report),
    })
}

/// Writes the JSON and Markdown renderings asked for.
fn write_reports(
    report: &Report,
    json: Option<&std::path::Path>,
    markdown: Option<&std::path::Path>,
) -> Result<()> {
    let failed = |path: &std::path::Path| {
        let path = path.to_path_buf();
        move |source| Error::Output { path, source }
    };
    if let Some(path) = json {
        report.write_json(path).map_err(failed(path))?;
    }
    if let Some(path) = markdown {
        report.write_markdown(path).map_err(failed(path))?;
    }
    Ok(())
}

/// Applies pending migrations as the owner of the schema, then grants what `--grant-import` and
/// `--grant-verify` ask for; or, with `--print-grants`, only lists those grants.
async fn init(connected: db::Connected, config: &InitConfig) -> Result<Output> {
    let db::Connected {
        mut client,
        info: connection,
    } = connected;
    if config.print_grants {
        db::migrate::ensure_current(&client, &connection.server).await?;
        let mut statements = Vec::new();
        for (needs, role) in &config.grants {
            statements.extend(privileges::grant_statements(&client, *needs, role, true).await?);
        }
        return Ok(Output::Grants(statements));
    }
    privileges::check_owner(&client).await?;
    let applied = db::migrate::apply(&mut client).await?;
    let mut granted = Vec::new();
    for (needs, role) in &config.grants {
        granted.push((
            role.clone(),
            privileges::grant(&mut client, *needs, role).await?,
        ));
    }
    Ok(Output::Initialised {
        applied,
        database: connection.server,
        granted,
    })
}

/// The import pipeline: read → stage → transform → verify → report.
async fn import(
    settings: &db::Settings,
    connected: db::Connected,
    config: &ImportConfig,
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
    let pool = db::pool(settings, &connection, copy_streams + stage::OTHER_STREAMS)?;
    report.connection = Some(connection);
    // Before anything is read or written: a missing privilege fails here, naming it, and a role that
    // does not own the bulk-loaded tables is set for the ordinary path.
    privileges::check(&control, Needs::Import).await?;
    db::migrate::ensure_current(&control, &report.database).await?;
    let bulk_refusal = privileges::bulk_refusal(&control).await?;
    lock_imports(&control, quiet).await?;

    stage::clear(&pool).await?;
    let files = read::discover(&config.paths)?;
    let (to_read, mut summaries) = transform::ledger::partition(&control, files).await?;
    summaries.extend(read_and_stage(&pool, to_read, config, copy_streams, quiet).await?);
    summaries.sort_by_key(|s| s.file_no);
    stage_files(&control, &summaries).await?;
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
    let outcome = transform::run(&mut control, &mut report, started_at, commit, &bar).await;
    report.timings.transform = transform_started.elapsed().as_secs_f64();

    // Staging is emptied and the lock released whether or not the transform succeeded; a killed run
    // leaves both to the next run (the lock dies with the connection, staging is cleared at start).
    let cleared = stage::clear(&pool).await;
    let unlocked = unlock_imports(&control).await;
    let outcome = outcome?;
    cleared?;
    unlocked?;
    if let Some(path) = &config.rejects_csv {
        report::write_rejects_csv(path, &summaries, &report.transform_rejects).map_err(|e| {
            Error::Output {
                path: path.clone(),
                source: std::io::Error::other(e.to_string()),
            }
        })?;
    }
    report.timings.total = started.elapsed().as_secs_f64();
    report.outcome = Some(match &outcome {
        Outcome::Committed => "committed".to_owned(),
        Outcome::DryRun => "dry run: rolled back, production tables unchanged".to_owned(),
        Outcome::RolledBack(why) => format!("rolled back: {why}; nothing was committed"),
    });
    write_reports(
        &report,
        config.report_json.as_deref(),
        config.report_md.as_deref(),
    )?;
    Ok(Output::Imported {
        report: Box::new(report),
        outcome,
    })
}

/// Serialises imports: a second import waits for the first, saying so.
async fn lock_imports(client: &tokio_postgres::Client, quiet: bool) -> Result<()> {
    let got: bool = client
        .query_one("SELECT pg_try_advisory_lock($1)", &[&db::migrate::LOCK_KEY])
        .await
        .map_err(Error::db("taking the import lock"))?
        .get(0);
    if !got {
        progress::note(
            quiet,
            "another import or init is running on this database; waiting for it to finish",
        );
        client
            .execute("SELECT pg_advisory_lock($1)", &[&db::migrate::LOCK_KEY])
            .await
            .map_err(Error::db("waiting for the import lock"))?;
    }
    Ok(())
}

async fn unlock_imports(client: &tokio_postgres::Client) -> Result<()> {
    client
        .execute("SELECT pg_advisory_unlock($1)", &[&db::migrate::LOCK_KEY])
        .await
        .map(drop)
        .map_err(Error::db("releasing the import lock"))
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
    let copiers = stage::spawn_copiers(pool, streams, copy_streams);
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
async fn stage_files(client: &tokio_postgres::Client, summaries: &[FileSummary]) -> Result<()> {
    let statement = client
        .prepare(
            "INSERT INTO bellatrix_migrate.stage_files (file_no, path, kind, variant, sha256, size, records, rejected) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .await
        .map_err(Error::db("preparing stage_files"))?;
    for s in summaries {
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
