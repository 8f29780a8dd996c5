//! bellatrix-migrate: moves the BellaTrix app's legacy files into its PostgreSQL schema.
//!
//! The pipeline is the architecture, and `import` reads as it, a step a line: discover → read and
//! stage → transform → account → verify → commit or roll back → render.
//! - discover: ① [`read`] finds and classifies the files; the ledger sets aside those an earlier
//!   import read ([`pipeline::stage_in`]);
//! - read and stage: the readers parse in parallel (rayon) into a bounded channel, and ② [`stage`]
//!   copies the rows with binary `COPY` into UNLOGGED staging tables on several connections;
//! - transform: ③ [`transform::apply`] moves them into production with set-based SQL, in the
//!   import's one transaction (opened first, holding the import lock: [`pipeline::begin`]);
//! - account: [`account`] collects the report's facts about what the transform did;
//! - verify: ④ [`verify`] checks inside that transaction that nothing was lost or invented;
//! - commit or roll back: [`commit`] decides from the checks, the rejects and `--dry-run`;
//! - render: ⑤ [`report`] writes the text, JSON and Markdown reports and the rejects CSV.
//!
//! Every stage shares the data of [`model`] (the report and its parts) and says what it is doing
//! through [`progress`]; [`db`] holds the connections, the pool, the migrations and the local
//! cluster, and [`sql`] every SQL file.

pub mod account;
pub mod audit;
pub mod cli;
pub mod commit;
pub mod config;
pub mod db;
pub mod error;
pub mod generate;
pub mod history;
pub mod model;
pub mod pipeline;
pub mod progress;
pub mod read;
pub mod report;
pub mod revert;
pub mod similarity;
pub mod sql;
pub mod stage;
pub mod transform;
pub mod verify;

use chrono::{DateTime, Utc};
use commit::Outcome;
use config::{Config, Database, ImportConfig, InitConfig, ShowConfig, Task, VerifyConfig};
use db::privileges::{self, Needs};
use error::{Error, Result};
use model::report::{Mode, Report};
use report::output::Outputs;
use std::time::Instant;

pub use pipeline::Output;

/// Runs the configured command.
pub async fn run(config: Config) -> Result<Output> {
    if let Task::Generate { out, rows, seed } = &config.task {
        let (out, rows, seed) = (out.clone(), *rows, *seed);
        return tokio::task::spawn_blocking(move || generate::generate(&out, rows, seed))
            .await
            .map_err(Error::join("generating the drop"))?
            .map(Output::Generated);
    }
    if let Task::Local { action, dir } = &config.task {
        let (action, dir) = (*action, dir.clone());
        return tokio::task::spawn_blocking(move || match action {
            cli::LocalAction::Stop => db::local::stop(&dir),
            cli::LocalAction::Status => db::local::status(&dir),
        })
        .await
        .map_err(Error::join("looking at the local cluster"))?
        .map(Output::Local);
    }
    for warning in &config.warnings {
        progress::warn(warning);
    }
    // Before anything is read or written, even the local cluster started: an output path that
    // cannot be written is exit 2 with nothing committed (report/output.rs).
    let outputs = Outputs::create(config.task.outputs())?;
    let settings = pipeline::settings(&config).await?;
    match &config.task {
        Task::Init(init_config) => {
            let mut connected = db::connect(&settings).await?;
            pipeline::init(&mut connected, init_config).await
        }
        Task::Import(import_config) => {
            let mut connected = db::connect(&settings).await?;
            progress::note(
                config.quiet,
                &format!("connected to {}", connected.info.describe()),
            );
            if matches!(config.database, Database::Local(_)) {
                pipeline::init(&mut connected, &InitConfig::default()).await?;
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
        Task::History { json } => {
            let mut connected = db::connect(&settings).await?;
            let entries = history::list(&mut connected.client, &connected.info.server).await?;
            Ok(Output::History {
                entries,
                json: *json,
            })
        }
        Task::Revert(revert_config) => {
            let mut connected = db::connect(&settings).await?;
            let report = revert::revert(
                &mut connected.client,
                &connected.info.server,
                revert_config,
                config.quiet,
            )
            .await?;
            Ok(Output::Reverted {
                report: Box::new(report),
                json: revert_config.json,
            })
        }
        Task::Show(show_config) => {
            let connected = db::connect(&settings).await?;
            show(connected, show_config, outputs).await
        }
    }
}

/// `show`: the stored report of one import → render, to stdout and the files asked for.
async fn show(connected: db::Connected, config: &ShowConfig, outputs: Outputs) -> Result<Output> {
    let db::Connected {
        mut client,
        info: connection,
    } = connected;
    let report = history::stored_report(&mut client, &connection.server, config.import_id).await?;
    // show commits nothing, so an output that fails is an ordinary error (exit 2).
    outputs
        .finish(&report, &[])
        .map_err(|(path, source)| Error::Output { path, source })?;
    Ok(Output::Shown {
        report: Box::new(report),
    })
}

/// The verify pipeline: every check on the whole database, in one read-only snapshot → account of
/// the rows per table → render.
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

/// The import pipeline: discover → read and stage → transform → account → verify → commit or roll
/// back → render.
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
    let connections = stage::copy_connections(copy_streams) + 1;
    let pool = db::pool(settings, &connection, connections - 1)?;
    report.connection = Some(connection);
    let control: &mut tokio_postgres::Client = &mut control;
    let (tx, bulk_refusal) = pipeline::begin(control, &pool, connections, config, quiet).await?;

    // Discover, read and stage.
    let staged =
        pipeline::stage_in(&tx, &pool, config, copy_streams, quiet, &report.database).await;
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

    // Transform, account, verify, commit or roll back: in the one transaction.
    let transform_started = Instant::now();
    let bulk = transform::Bulk {
        threshold: config.bulk_threshold,
        refusal: bulk_refusal,
    };
    let policy = commit::Policy {
        dry_run: config.dry_run,
        max_rejects: config.max_rejects,
    };
    let clock = Clock {
        started,
        transform_started,
    };
    let steps = Steps {
        bulk: &bulk,
        similarity: config.similarity,
    };
    let outcome = in_transaction(tx, &mut report, started_at, &steps, policy, clock, quiet).await;
    clock.time(&mut report);
    // A committed import emptied staging in its transaction; otherwise it is emptied now, unless
    // another import already holds the lock (then staging is that one's). A killed run leaves it
    // to the next run, which clears staging once it holds the lock.
    let outcome = match outcome {
        Ok(Outcome::Committed) => Outcome::Committed,
        Ok(outcome) => {
            commit::record_uncommitted(control, &mut report, started_at, &outcome).await?;
            stage::clear_unless_locked(control).await?;
            outcome
        }
        Err(e) => {
            let _ = stage::clear_unless_locked(control).await;
            return Err(e);
        }
    };
    report.timings.total = started.elapsed().as_secs_f64();
    report.outcome = Some(outcome.describe());

    // Render. After a commit, an output that fails is exit 3 (something was committed), never 2.
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

/// When the import and its transform started, to time the report before it is stored in the ledger
/// (so that `show` prints the times the run printed, but for the commit itself) and once it is over.
#[derive(Debug, Clone, Copy)]
struct Clock {
    started: Instant,
    transform_started: Instant,
}

impl Clock {
    /// Sets the report's transform and total times to now.
    fn time(&self, report: &mut Report) {
        report.timings.transform = self.transform_started.elapsed().as_secs_f64();
        report.timings.total = self.started.elapsed().as_secs_f64();
    }
}

/// What the transform's steps are told: the bulk path and the similarity step.
struct Steps<'a> {
    bulk: &'a transform::Bulk,
    similarity: model::SimilaritySettings,
}

/// The steps of the import in `tx`, its one transaction: applies the transform, accounts for what it
/// did in `report`, runs the checks, and commits or rolls back as they and `policy` decide. An
/// error drops `tx`, which rolls it back.
async fn in_transaction(
    tx: tokio_postgres::Transaction<'_>,
    report: &mut Report,
    started_at: DateTime<Utc>,
    steps: &Steps<'_>,
    policy: commit::Policy,
    clock: Clock,
    quiet: bool,
) -> Result<Outcome> {
    let bulk = steps.bulk;
    let bar = progress::steps(transform::step_count(), progress::visible(quiet));
    let (import_id, similarity) =
        transform::apply(&tx, report, started_at, bulk, steps.similarity, &bar).await?;
    bar.finish_and_clear();
    account::collect(&tx, report, bulk.threshold, bulk.refusal.as_deref()).await?;
    report.set_similarity(similarity);
    if steps.similarity.all_prompts {
        // `similarity` reads no file: no load path to speak of.
        report.bulk_path = None;
    }
    let bar = progress::checks(verify::check_count(true), progress::visible(quiet));
    let checks = verify::import_checks(&tx, report, &bar).await;
    bar.finish_and_clear();
    report.set_checks(checks?);
    let outcome = commit::decide(report, policy);
    clock.time(report);
    commit::finish(tx, report, import_id, &outcome).await?;
    Ok(outcome)
}
