//! The command line (clap derive). Doc comments here are the `--help` text.

use crate::report::output_path::OutputPath;
use clap::builder::TypedValueParser;
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

/// The parser of an output option: `-` is stdout, any other value a file path (not necessarily
/// UTF-8).
fn output_path() -> impl TypedValueParser<Value = OutputPath> {
    clap::builder::PathBufValueParser::new().map(OutputPath::from)
}

/// The most reader threads `--jobs` takes: far beyond any useful parallelism (the reading is
/// bounded by 2 COPY connections), and well within what rayon and the system can start.
pub const MAX_JOBS: u16 = 256;

/// The largest count a numeric flag takes: the largest bigint, as counts are compared with
/// PostgreSQL's bigint columns (a larger one was "out of range for type bigint").
pub const MAX_COUNT: u64 = i64::MAX.unsigned_abs();

/// The most rows `generate --rows` writes (about 1 TB of CSV).
pub const MAX_GENERATE_ROWS: u64 = 1_000_000_000;

/// Migrates the BellaTrix LLM evaluation framework's legacy files (raw_metrics.csv and its copies,
/// prompt files, Bedrock invocation logs, models.yaml versions, config.py, users.json, root-era
/// results and aggregate files) into its PostgreSQL schema: read, stage with COPY, transform with
/// set-based SQL, verify, report. Every source record ends as inserted, duplicate or rejected (with file, line,
/// column and reason); one import is one transaction.
///
/// Exit status: 0 success; 1 a check failed or rejects exceeded --max-rejects (nothing committed);
/// 2 bad usage, configuration, input or connection error, nothing to import, an output file
/// that cannot be created, or (`show`) an import the ledger does not hold (nothing committed); 3
/// the import committed but an output file could not be written.
#[derive(Debug, Parser)]
#[command(name = "bellatrix-migrate", version, max_term_width = 100)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Options every command takes.
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// The target database, as libpq takes it: a URI such as
    /// postgresql://user@host:5432/db?sslmode=verify-full&sslrootcert=ca.pem or key=value pairs
    /// (host=... dbname=... sslmode=require). Else DATABASE_URL; else the PG* variables (PGHOST,
    /// PGPORT, PGUSER, PGDATABASE, PGPASSWORD, PGSSLMODE, PGSSLROOTCERT, PGSSLCERT, PGSSLKEY,
    /// PGCONNECT_TIMEOUT, PGAPPNAME, PGPASSFILE) fill in what is not given, and a missing password
    /// comes from PGPASSWORD or ~/.pgpass. A connection attempt gives up after connect_timeout
    /// (default 30 s). Keep passwords out of this flag: other users see it in
    /// the process list. With none of these set, a local throwaway cluster under ./.bellatrix/ is
    /// used (and stderr says so); `local stop` stops it.
    #[arg(long, global = true, value_name = "URL")]
    pub database_url: Option<String>,

    /// No progress bars or status lines; the report is still printed.
    #[arg(long, short, global = true)]
    pub quiet: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create or upgrade the target schema and the migrator's own schema (idempotent). Also adopts a
    /// database the legacy app created itself, adding only what is missing and repairing its
    /// prompt-hash trigger, without touching data. Runs as the owner of the schema (the role that
    /// creates it); `--grant-import ROLE` then gives another role what `import` needs.
    Init(InitArgs),
    /// Import legacy files and folders (folders are walked; each file is classified by content).
    Import(ImportArgs),
    /// Score every candidate response against the master model's, as the legacy dashboard did, for
    /// a database imported before this step existed (an import does it for what it brings).
    ///
    /// Each successful metric row with a non-empty response is paired with the latest successful
    /// master row of the same prompt at or before it, within --similarity-window; each new pair is
    /// scored (note matching, JSON-aware or combined) into similarity_scores, with the headline
    /// score and the two source rows in bellatrix_migrate.similarity. Recorded in the ledger like
    /// an import of no files, so `history`, `show` and `revert` know it; running it again changes
    /// nothing. One transaction, under the import lock, with the importing role's privileges.
    Similarity(SimilarityArgs),
    /// Run every integrity check on what is in the database and print the report; exit 1 when one
    /// fails, naming the rows. Reads only (one read-only snapshot).
    Verify(VerifyArgs),
    /// List every import of the database, newest first, with its outcome, counts, files and who
    /// ran it.
    ///
    /// One row per import of the ledger (bellatrix_migrate.imports): id, start and end (UTC),
    /// outcome (committed, dry-run, rolled-back, reverted), tool version, records inserted,
    /// duplicate, rejected and updated (what a dry run or a rolled-back import would have done),
    /// who ran it (role and application_name; "unknown" for imports recorded before the ledger
    /// kept them); then every file each import was given, with its kind. Reads only (one read-only
    /// transaction), with the privileges `verify` needs.
    History(HistoryArgs),
    /// Print the report an import stored in the ledger, as the import printed it.
    ///
    /// `history` lists the ids. An id the ledger does not hold is exit 2. Reads only (one read-only
    /// transaction), with the privileges `verify` needs.
    Show(ShowArgs),
    /// Take one committed import back: delete the rows it wrote, put back the earlier rows it
    /// changed, forget its files (so importing them again inserts them again), mark it `reverted`.
    ///
    /// One transaction, under the import lock, as the owner of the schema (like init: the
    /// importing role may not delete). Refused, naming the rows, when anything depends on what the
    /// import wrote: a later import's rows, changes or duplicates (revert that one first), or rows
    /// the application added. Every integrity check runs over the whole database before the
    /// commit; a failed one rolls the revert back (exit 1). Imports recorded before this version
    /// kept what they changed cannot be reverted. Exit 2 when refused or impossible, with nothing
    /// changed.
    Revert(RevertArgs),
    /// Write a deterministic synthetic legacy drop (for benchmarks and tests): N raw-metrics rows with
    /// the legacy quirks, a backup duplicating 5% of them, an R15r file with union rows, a prompt CSV,
    /// a Bedrock log and models.yaml versions. No database is used.
    Generate(GenerateArgs),
    /// Stop the local throwaway cluster under ./.bellatrix/ (`local stop`), or say whether it runs
    /// and how to connect (`local status`).
    ///
    /// It is the cluster init, import and verify use without --database-url. It listens on
    /// 127.0.0.1 only and requires the password kept in .bellatrix/pgpass (mode 0600). `local stop`
    /// works as root too, where the server runs as the postgres user; the next command without
    /// --database-url starts it again.
    Local(LocalArgs),
}

/// Options of `local`.
#[derive(Debug, Args)]
pub struct LocalArgs {
    #[command(subcommand)]
    pub action: LocalAction,
}

/// What `local` does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Subcommand)]
pub enum LocalAction {
    /// Stop the local cluster's server (its data stays in ./.bellatrix/).
    Stop,
    /// Say whether the local cluster exists and runs, its port, and how to connect.
    Status,
}

/// Options of `init`.
#[derive(Debug, Args)]
pub struct InitArgs {
    /// After the migrations, grant ROLE exactly the privileges `import` and `verify` need (see the
    /// README, "Roles and privileges"); only what it lacks, so running it again grants nothing.
    #[arg(long, value_name = "ROLE")]
    pub grant_import: Option<String>,

    /// After the migrations, grant ROLE the read-only privileges `verify` needs.
    #[arg(long, value_name = "ROLE")]
    pub grant_verify: Option<String>,

    /// Print the GRANT statements of --grant-import / --grant-verify (all of them, for a DBA to run)
    /// instead of running them; applies no migration and changes nothing.
    #[arg(long)]
    pub print_grants: bool,
}

/// Options of `generate`.
#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// Folder to write the drop into (created if missing).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,

    /// Rows of the main raw_metrics.csv (at most 1000000000).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(..=MAX_GENERATE_ROWS))]
    pub rows: u64,

    /// Seed: the same seed and N give byte-identical files.
    #[arg(long, value_name = "S", default_value_t = 1)]
    pub seed: u64,
}

/// Options of `import`.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// Files or folders to import.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    /// Do everything except change production tables (the transaction is rolled back), and print the
    /// same report: what would be inserted, deduplicated and rejected.
    #[arg(long)]
    pub dry_run: bool,

    /// Also write the report as JSON to FILE. `-` writes it to stdout, and the text report and
    /// the "committed" line go to stderr instead, so that stdout is that one JSON document (`|
    /// jq`); a file named - is ./-. At most one of --report, --report-md and --rejects takes -.
    #[arg(long, value_name = "FILE", value_parser = output_path())]
    pub report: Option<OutputPath>,

    /// Also write the report as a self-contained Markdown file for the change ticket (no legacy
    /// prompt or response text). `-`: to stdout, as for --report.
    #[arg(long, value_name = "FILE", value_parser = output_path())]
    pub report_md: Option<OutputPath>,

    /// Write every rejected record to FILE as CSV (file, line, column, field, reason; never the
    /// record's text). `-`: to stdout, as for --report.
    #[arg(long, value_name = "FILE", value_parser = output_path())]
    pub rejects: Option<OutputPath>,

    /// Parallelism: reader threads (and up to 2 COPY connections), 1 to 256. Default: the number
    /// of CPUs (at most 256).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=i64::from(MAX_JOBS)))]
    pub jobs: Option<u16>,

    /// Fail (exit 1, nothing committed) when more than N records are rejected. Default: unlimited.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(..=MAX_COUNT))]
    pub max_rejects: Option<u64>,

    /// When an import inserts at least N metric rows and at least as many as the table holds (a
    /// first load), the secondary indexes and foreign keys of the tables it fills row by row (runs,
    /// metrics, master rows, aggregates, ledger) are dropped and rebuilt inside the same
    /// transaction: faster, and just as checked at commit. At most 9223372036854775807 (the
    /// largest bigint).
    #[arg(long, value_name = "N", default_value_t = 100_000, value_parser = clap::value_parser!(u64).range(..=MAX_COUNT))]
    pub bulk_threshold: u64,

    /// How long to wait for another import or init on the same database (they take turns; the one
    /// waiting says, even with --quiet, who holds the lock): seconds (30) or a duration with units
    /// (30s, 5m, 1h 30m), at most 24 days (PostgreSQL's lock_timeout limit); 0 gives up at once.
    /// Then exit 2, nothing written. Default: wait as long as it takes.
    #[arg(long, value_name = "DURATION", value_parser = crate::db::lock::parse_timeout)]
    pub lock_timeout: Option<std::time::Duration>,

    /// IANA time zone in which naive legacy timestamps (no Z or offset) are read, e.g. Asia/Kolkata.
    #[arg(long, value_name = "TZ", default_value = "UTC")]
    pub legacy_timezone: String,

    /// The version date of a configuration file (a models.yaml version or config.py), e.g.
    /// configs/models.yaml=2025-11-19T20:44:00Z; repeatable. DATE is YYYY-MM-DD (midnight UTC) or
    /// an RFC 3339 time. FILE is the file's path as the report shows it (the PATH given joined with
    /// the file's place under it), its path relative to a PATH given (for a PATH that is itself the
    /// file: its name), or any other path to the same file. A FILE that names no configuration file
    /// of the import is a usage error (exit 2). Otherwise a version is dated by a YYYY-MM-DD in its
    /// name, then a leading `# version: DATE` or `# date: DATE` comment, then its modification time
    /// (the report names the files so dated: a copy changes that time). A file whose bytes an
    /// earlier import read is not read again and keeps the date it had then.
    #[arg(long, value_name = "FILE=DATE")]
    pub config_date: Vec<crate::read::config_values::GivenDate>,

    /// How long before a candidate row its prompt's master row may be and still be its pair for
    /// the similarity score (the dashboard called the master, then each candidate, back to back):
    /// seconds (3600) or a duration with units (30m, 2h), at most 24 days.
    #[arg(long, value_name = "DURATION", default_value = "1h", value_parser = crate::db::lock::parse_timeout)]
    pub similarity_window: std::time::Duration,
}

/// Options of `similarity`.
#[derive(Debug, Args)]
pub struct SimilarityArgs {
    /// Do everything except change production tables (rolled back), and print the same report:
    /// the pairs found, scored per method, and candidates without a master.
    #[arg(long)]
    pub dry_run: bool,

    /// How long before a candidate row its prompt's master row may be: seconds (3600) or a
    /// duration with units (30m, 2h), at most 24 days.
    #[arg(long, value_name = "DURATION", default_value = "1h", value_parser = crate::db::lock::parse_timeout)]
    pub similarity_window: std::time::Duration,

    /// Also write the report as JSON to FILE (`-`: stdout, as for `import --report`).
    #[arg(long, value_name = "FILE", value_parser = output_path())]
    pub report: Option<OutputPath>,

    /// Also write the report as Markdown to FILE (`-`: stdout).
    #[arg(long, value_name = "FILE", value_parser = output_path())]
    pub report_md: Option<OutputPath>,

    /// How long to wait for another import's lock (as for `import --lock-timeout`).
    #[arg(long, value_name = "DURATION", value_parser = crate::db::lock::parse_timeout)]
    pub lock_timeout: Option<std::time::Duration>,
}

/// Options of `history`.
#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// Print the history as one JSON array for machines (newest first; its keys are in the
    /// README, "history") instead of the tables.
    #[arg(long)]
    pub json: bool,
}

/// Options of `show`.
#[derive(Debug, Args)]
pub struct ShowArgs {
    /// The import's id, as `history` and the import's report give it.
    #[arg(value_name = "IMPORT_ID", value_parser = clap::value_parser!(i64).range(1..))]
    pub import_id: i64,

    /// Also write the stored report as JSON to FILE. `-` writes it to stdout and the text report
    /// to stderr (a file named - is ./-); at most one of --report and --report-md takes -.
    #[arg(long, value_name = "FILE", value_parser = output_path())]
    pub report: Option<OutputPath>,

    /// Also write the stored report as a self-contained Markdown file for the change ticket. `-`:
    /// to stdout, as for --report.
    #[arg(long, value_name = "FILE", value_parser = output_path())]
    pub report_md: Option<OutputPath>,
}

/// Options of `revert`.
#[derive(Debug, Args)]
pub struct RevertArgs {
    /// The import's id, as `history` gives it.
    #[arg(value_name = "IMPORT_ID", value_parser = clap::value_parser!(i64).range(1..))]
    pub import_id: i64,

    /// Do everything, run the checks, report exactly what would be deleted and put back, then roll
    /// back: nothing changes.
    #[arg(long)]
    pub dry_run: bool,

    /// Print the revert's report as JSON on stdout (the human summary goes to stderr).
    #[arg(long)]
    pub json: bool,

    /// How long to wait for an import or init running on the same database (as `import
    /// --lock-timeout`). Default: wait as long as it takes.
    #[arg(long, value_name = "DURATION", value_parser = crate::db::lock::parse_timeout)]
    pub lock_timeout: Option<std::time::Duration>,
}

/// Options of `verify`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// Compare every imported row with its source record, not a sample (reads every source file
    /// in full).
    #[arg(long, conflicts_with = "sample")]
    pub full: bool,

    /// How many imported rows (chosen at random) to compare with their source records.
    #[arg(long, value_name = "N", default_value_t = crate::verify::DEFAULT_SAMPLE, value_parser = clap::value_parser!(u64).range(..=MAX_COUNT))]
    pub sample: u64,

    /// Directory against which relative source paths recorded by the import are resolved (the
    /// directory the import ran in). Default: the current directory.
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub source_root: PathBuf,

    /// Also write the report as JSON to FILE. `-` writes it to stdout and the text report to
    /// stderr (a file named - is ./-); at most one of --report and --report-md takes -.
    #[arg(long, value_name = "FILE", value_parser = output_path())]
    pub report: Option<OutputPath>,

    /// Also write the report as a self-contained Markdown file for the change ticket. `-`: to
    /// stdout, as for --report.
    #[arg(long, value_name = "FILE", value_parser = output_path())]
    pub report_md: Option<OutputPath>,
}
