//! The validated `import`, and `similarity`, which is an import of no files.

use crate::cli::{ImportArgs, SimilarityArgs};
use crate::error::{Result, UsageError};
use crate::model::SimilaritySettings;
use crate::report::output_path::{one_stdout, OutputPath};
use chrono_tz::Tz;
use std::path::PathBuf;

/// A validated `import`.
#[derive(Debug, Clone)]
pub struct ImportConfig {
    pub paths: Vec<PathBuf>,
    pub dry_run: bool,
    pub report_json: Option<OutputPath>,
    pub report_md: Option<OutputPath>,
    pub rejects_csv: Option<OutputPath>,
    pub jobs: usize,
    pub max_rejects: Option<u64>,
    pub bulk_threshold: u64,
    pub legacy_tz: Tz,
    /// How long to wait for another import's lock; `None`: as long as it takes.
    pub lock_timeout: Option<std::time::Duration>,
    /// Version dates given to configuration files (`--config-date FILE=DATE`).
    pub config_dates: Vec<crate::read::config_values::GivenDate>,
    /// The similarity step (`--similarity-window`; every prompt for `similarity`, which reads no
    /// file).
    pub similarity: SimilaritySettings,
}

impl ImportConfig {
    /// `bellatrix-migrate similarity`: an import of no files whose similarity step looks at every
    /// prompt.
    pub fn reads_no_files(&self) -> bool {
        self.paths.is_empty() && self.similarity.all_prompts
    }
}

pub(super) fn import_config(args: ImportArgs) -> Result<ImportConfig> {
    let legacy_tz: Tz = args
        .legacy_timezone
        .parse()
        .map_err(|_| UsageError::UnknownTimeZone(args.legacy_timezone.clone()))?;
    // The range of --jobs is checked by clap (a usage error, exit 2).
    let max_jobs = usize::from(crate::cli::MAX_JOBS);
    let jobs = match args.jobs {
        Some(n) => usize::from(n).clamp(1, max_jobs),
        None => std::thread::available_parallelism().map_or(2, |n| n.get().min(max_jobs)),
    };
    one_stdout(&[
        ("--report", args.report.as_ref()),
        ("--report-md", args.report_md.as_ref()),
        ("--rejects", args.rejects.as_ref()),
    ])?;
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
        config_dates: args.config_date,
        similarity: SimilaritySettings {
            window: args.similarity_window,
            all_prompts: false,
        },
    })
}

/// `similarity`: an import of no files that scores the pairs of every prompt.
pub(super) fn similarity_config(args: SimilarityArgs) -> Result<ImportConfig> {
    one_stdout(&[
        ("--report", args.report.as_ref()),
        ("--report-md", args.report_md.as_ref()),
    ])?;
    Ok(ImportConfig {
        paths: Vec::new(),
        dry_run: args.dry_run,
        report_json: args.report,
        report_md: args.report_md,
        rejects_csv: None,
        jobs: 1,
        max_rejects: None,
        bulk_threshold: crate::cli::MAX_COUNT,
        legacy_tz: Tz::UTC,
        lock_timeout: args.lock_timeout,
        config_dates: Vec::new(),
        similarity: SimilaritySettings {
            window: args.similarity_window,
            all_prompts: true,
        },
    })
}
