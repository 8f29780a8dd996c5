//! Validated configuration: command-line arguments checked and resolved before any I/O happens.

use crate::cli::{Cli, Command, ImportArgs, VerifyArgs};
use crate::error::{Error, Result};
use chrono_tz::Tz;
use std::path::PathBuf;

/// Where the data goes.
#[derive(Debug, Clone)]
pub enum Database {
    /// A server the user named.
    Url(String),
    /// The local throwaway cluster under this directory.
    Local(PathBuf),
}

/// A validated `import`.
#[derive(Debug, Clone)]
pub struct ImportConfig {
    pub paths: Vec<PathBuf>,
    pub dry_run: bool,
    pub report_json: Option<PathBuf>,
    pub report_md: Option<PathBuf>,
    pub rejects_csv: Option<PathBuf>,
    pub jobs: usize,
    pub max_rejects: Option<u64>,
    pub bulk_threshold: u64,
    pub legacy_tz: Tz,
    /// How long to wait for another import's lock; `None`: as long as it takes.
    pub lock_timeout: Option<std::time::Duration>,
}

/// A validated `verify`.
#[derive(Debug, Clone)]
pub struct VerifyConfig {
    pub checks: crate::verify::Options,
    pub report_json: Option<PathBuf>,
    pub report_md: Option<PathBuf>,
}

/// What to run.
#[derive(Debug, Clone)]
pub enum Task {
    Init,
    Import(ImportConfig),
    Generate { out: PathBuf, rows: u64, seed: u64 },
    Verify(VerifyConfig),
}

/// Everything `lib::run` needs.
#[derive(Debug, Clone)]
pub struct Config {
    pub database: Database,
    pub quiet: bool,
    pub task: Task,
}

/// The directory of the local throwaway cluster.
pub const LOCAL_CLUSTER_DIR: &str = ".bellatrix";

impl Config {
    /// Validates the parsed arguments.
    pub fn from_cli(cli: Cli) -> Result<Self> {
        let database = match cli.global.database_url.filter(|u| !u.trim().is_empty()) {
            Some(url) => Database::Url(url),
            None => Database::Local(PathBuf::from(LOCAL_CLUSTER_DIR)),
        };
        let task = match cli.command {
            Command::Init => Task::Init,
            Command::Import(args) => Task::Import(import_config(args)?),
            Command::Generate(args) => Task::Generate {
                out: args.out,
                rows: args.rows,
                seed: args.seed,
            },
            Command::Verify(args) => Task::Verify(verify_config(args)),
        };
        Ok(Self {
            database,
            quiet: cli.global.quiet,
            task,
        })
    }
}

fn import_config(args: ImportArgs) -> Result<ImportConfig> {
    let legacy_tz: Tz = args.legacy_timezone.parse().map_err(|_| {
        Error::Config(format!(
            "--legacy-timezone {:?} is not an IANA time zone",
            args.legacy_timezone
        ))
    })?;
    let jobs = match args.jobs {
        Some(0) => return Err(Error::Config("--jobs must be at least 1".to_owned())),
        Some(n) => n,
        None => std::thread::available_parallelism().map_or(2, |n| n.get()),
    };
    Ok(ImportConfig {
        paths: args.paths,
        dry_run: args.dry_run,
        report_json: args.report,
        report_md: args.report_md,
        rejects_csv: args.rejects,
        jobs,
        max_rejects: args.max_rejects,
        bulk_threshold: args.bulk_threshold,
        legacy_tz,
        lock_timeout: args.lock_timeout,
    })
}

fn verify_config(args: VerifyArgs) -> VerifyConfig {
    VerifyConfig {
        checks: crate::verify::Options {
            sample: (!args.full).then_some(args.sample),
            source_root: args.source_root,
        },
        report_json: args.report,
        report_md: args.report_md,
    }
}
