//! Typed errors of the library. Each names a location (file, statement, setting), never legacy text;
//! `Error::exit_code` carries the meaning the README gives exit statuses.

use std::path::PathBuf;

/// A problem with the input files as a whole (not a single bad row, which is a `Reject`).
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    #[error("input path {0} does not exist")]
    Missing(PathBuf),
    #[error("cannot read {path}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot walk {path}")]
    Walk {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A symbolic link (links are followed) leads back to a folder above it.
    #[error("cannot walk {path}: it links back to {ancestor}, a folder above it")]
    LinkLoop { path: PathBuf, ancestor: PathBuf },
    #[error("cannot read the header of {path}: {message}")]
    Csv { path: PathBuf, message: String },
    #[error("more input files than the stage can number")]
    TooManyFiles,
    #[error("the stage stopped before reading finished")]
    StageClosed,
    #[error(
        "nothing to import: {found}; no file of a legacy kind with records to load (README: What it \
         reads); nothing was written"
    )]
    NothingToImport {
        /// What was found instead, with each file's reason (paths and reasons, never content).
        found: String,
    },
}

impl InputError {
    /// An I/O error on `path`.
    pub fn io(path: &std::path::Path, source: std::io::Error) -> Self {
        InputError::Io {
            path: path.to_path_buf(),
            source,
        }
    }

    /// A failure to walk the folder `root`, at the entry the error names.
    pub fn walk(root: &std::path::Path, e: walkdir::Error) -> Self {
        let path = e.path().unwrap_or(root).to_path_buf();
        if let Some(ancestor) = e.loop_ancestor() {
            return InputError::LinkLoop {
                path,
                ancestor: ancestor.to_path_buf(),
            };
        }
        let source = e.into_io_error().unwrap_or_else(|| {
            std::io::Error::other("walkdir gave an error that is neither I/O nor a link loop")
        });
        InputError::Walk { path, source }
    }
}

/// A flag that parsed but cannot be used: a usage error, found before anything is read or written.
/// (Out-of-range numbers never get here: clap refuses them, also with exit status 2.)
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UsageError {
    #[error("--legacy-timezone {0:?} is not an IANA time zone")]
    UnknownTimeZone(String),
    /// `--grant-import` or `--grant-verify` was given an empty role; the field is the task.
    #[error("--grant-{0} needs a role name")]
    EmptyRole(&'static str),
    #[error(
        "--print-grants prints the statements of --grant-import ROLE or --grant-verify ROLE: give one"
    )]
    PrintGrantsWithoutRole,
    /// `--config-date FILE=DATE` named a file that is no configuration file of the import; the
    /// second field lists (some of) those it has.
    #[error("--config-date {0}: no configuration file (models.yaml version or config.py) of this import has that path; {1}")]
    UnknownConfigFile(String, String),
    /// Two `--config-date` options name the same file with different dates.
    #[error("--config-date {0} and --config-date {1} name the same file ({2}) with different dates: give one")]
    ConflictingConfigDates(String, String, String),
    /// Two output options (`--report`, `--report-md`, `--rejects`) were given `-`, stdout.
    #[error("{0} - and {1} - would both write to stdout: give one of them a file (a file named - is ./-)")]
    StdoutTwice(&'static str, &'static str),
}

/// Everything a command can fail with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Input(#[from] InputError),
    #[error("database error while {context}")]
    Db {
        context: String,
        #[source]
        source: tokio_postgres::Error,
    },
    /// A further connection (for a COPY stream) could not be opened; the text says why.
    #[error("cannot open another database connection: {0}")]
    Pool(String),
    #[error(transparent)]
    Connect(#[from] crate::db::ConnectError),
    #[error(transparent)]
    Settings(#[from] crate::db::SettingsError),
    #[error("invalid command line: {0}")]
    Usage(UsageError),
    #[error("local PostgreSQL cluster")]
    Cluster(#[from] crate::db::cluster::ClusterError),
    #[error("the schema of {database} is not initialised (migration {missing} is missing): run `bellatrix-migrate init` as the database's owner")]
    NotInitialised { database: String, missing: String },
    #[error("migration {version} was changed after it was applied (checksum {applied} in the database, {current} now)")]
    MigrationChanged {
        version: i32,
        applied: String,
        current: String,
    },
    #[error("role {role} lacks privileges that {task} needs: {missing}; as the owner of the schema, run `bellatrix-migrate init --grant-{task} {role}` (README: Roles and privileges)")]
    MissingPrivileges {
        role: String,
        /// `import` or `verify`.
        task: &'static str,
        /// Each missing privilege, its object and what it is for.
        missing: String,
    },
    #[error("init creates and alters the schema, so it runs as the owner of the schema; role {role} is not: {problems}; connect as the owner (or a member of the owner role)")]
    NotOwner { role: String, problems: String },
    #[error("role {0:?} does not exist: create it first (CREATE ROLE ... LOGIN PASSWORD ...)")]
    UnknownRole(String),
    #[error("granting to {role} left privileges missing: {missing}")]
    GrantIncomplete { role: String, missing: String },
    #[error("cannot write {path}")]
    Output {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot create {path}, so nothing was read or written")]
    OutputUnwritable {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} is named by two of --report, --report-md and --rejects")]
    OutputTwice { path: PathBuf },
    /// Exit status 3: the only error after which something was committed.
    #[error(
        "cannot write {path} after import {import_id} was committed; its JSON report is kept in \
         bellatrix_migrate.imports (SELECT report FROM bellatrix_migrate.imports \
         WHERE id = {import_id})"
    )]
    OutputAfterCommit {
        path: PathBuf,
        import_id: i64,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "the import lock is still held after --lock-timeout {timeout}, by {holder}: another import \
         or init is running on this database; nothing was written"
    )]
    LockTimeout { timeout: String, holder: String },
    #[error(
        "the database gave {got} of the {needed} connections an import uses at once within {wait_secs} s, \
         nothing was written; hint: {hint}"
    )]
    TooFewConnections {
        got: usize,
        needed: usize,
        wait_secs: u64,
        hint: String,
    },
    #[error(
        "the connection of the import's transaction closed while {during} (a pooler's \
         idle_transaction_timeout shorter than that, a server restart or a lost network); nothing \
         was committed"
    )]
    TransactionClosed { during: String },
    #[error(
        "{file} line {line}: the {column} value for {table} holds a NUL byte, which PostgreSQL \
         text cannot store; it was not sent, nothing was committed"
    )]
    NulInText {
        file: String,
        line: i64,
        table: &'static str,
        column: String,
    },
    /// A task on another thread panicked or was cancelled; `during` says what it was doing.
    #[error("a background task failed while {during}")]
    Join {
        during: &'static str,
        #[source]
        source: tokio::task::JoinError,
    },
    /// rayon's error is shown here, not chained: its text is its I/O cause, which it also gives as
    /// its source, so a chain would print that twice.
    #[error("cannot start the reader threads: {0}")]
    ReaderThreads(rayon::ThreadPoolBuildError),
    #[error("cannot start the async runtime")]
    Runtime(#[source] std::io::Error),
    /// The report could not be turned into JSON, or a report detail the database built as JSON
    /// could not be read back.
    #[error("JSON error while {during}")]
    ReportJson {
        during: &'static str,
        #[source]
        source: serde_json::Error,
    },
    /// `show IMPORT_ID` of an id the ledger does not hold (exit 2).
    #[error(
        "import {id} is not in the ledger of {database}: `bellatrix-migrate history` lists the \
         imports there are"
    )]
    UnknownImport { id: i64, database: String },
    /// A report the ledger holds that this version cannot read back.
    #[error("the stored report of import {id} cannot be read")]
    StoredReport {
        id: i64,
        #[source]
        source: serde_json::Error,
    },
    /// `revert` of an import that cannot be reverted (exit 2, nothing changed).
    #[error("import {id} cannot be reverted: {reason}")]
    NotRevertible { id: i64, reason: String },
    /// `revert` of an import something else depends on (exit 2, nothing changed).
    #[error(
        "import {id} is not reverted: at least {total} row(s) depend on what it wrote (revert the later \
         import named first, or leave it); by reason, the first five of each:{blockers}"
    )]
    RevertRefused {
        id: i64,
        total: u64,
        blockers: String,
    },
    #[error("revert deletes rows, which the importing role may not, so it runs as the owner of the schema (like init); role {role} is not: {problems}; connect as the owner (or a member of the owner role)")]
    RevertNotOwner { role: String, problems: String },
    /// A bug: the checks that record their results in the ledger ran without its row.
    #[error("the import checks ran before the import was registered")]
    NotRegistered,
}

impl Error {
    /// Exit status 2 (usage, configuration, input or connection), after which nothing was
    /// committed; except 3 for an output file that could not be written after the import
    /// committed. Data problems (a failed check, too many rejects) are not errors: the run ends
    /// with a report and the `Outcome::RolledBack` that main turns into exit status 1.
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::OutputAfterCommit { .. } => 3,
            _ => 2,
        }
    }

    /// Wraps a database error with what was being done.
    pub fn db(context: impl Into<String>) -> impl FnOnce(tokio_postgres::Error) -> Error {
        let context = context.into();
        move |source| Error::Db { context, source }
    }

    /// Wraps the failure of a task on another thread with what it was doing.
    pub fn join(during: &'static str) -> impl FnOnce(tokio::task::JoinError) -> Error {
        move |source| Error::Join { during, source }
    }

    /// Wraps a JSON error of the report with what was being done.
    pub fn report_json(during: &'static str) -> impl FnOnce(serde_json::Error) -> Error {
        move |source| Error::ReportJson { during, source }
    }
}

impl From<UsageError> for Error {
    fn from(e: UsageError) -> Self {
        Error::Usage(e)
    }
}

impl From<deadpool_postgres::PoolError> for Error {
    fn from(e: deadpool_postgres::PoolError) -> Self {
        Error::Pool(crate::db::connect::describe_pool_error(&e))
    }
}

/// The library's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    /// The whole chain, as `main` prints it.
    fn chain(e: impl Into<Error>) -> String {
        format!("{:#}", anyhow::Error::new(e.into()))
    }

    fn cancelled_task() -> tokio::task::JoinError {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a current-thread runtime");
        runtime.block_on(async {
            let task = tokio::spawn(std::future::pending::<()>());
            task.abort();
            task.await.expect_err("an aborted task")
        })
    }

    #[test]
    fn a_failed_task_says_what_it_was_doing_and_why_it_ended() {
        let e = Error::join("staging the records")(cancelled_task());
        assert!(matches!(e, Error::Join { .. }), "{e:?}");
        let text = chain(e);
        assert!(
            text.starts_with("a background task failed while staging the records: task "),
            "{text}"
        );
        assert!(text.ends_with(" was cancelled"), "{text}");
    }

    #[test]
    fn a_usage_error_names_the_flag_once_and_exits_2() {
        let e = Error::from(UsageError::UnknownTimeZone("Mars/Base".to_owned()));
        assert_eq!(e.exit_code(), 2);
        assert_eq!(
            chain(e),
            "invalid command line: --legacy-timezone \"Mars/Base\" is not an IANA time zone"
        );
        assert_eq!(
            Error::from(UsageError::EmptyRole("verify")).to_string(),
            "invalid command line: --grant-verify needs a role name"
        );
    }

    #[test]
    fn only_an_output_that_failed_after_the_commit_exits_3() {
        let io = || std::io::Error::from(std::io::ErrorKind::PermissionDenied);
        let after = Error::OutputAfterCommit {
            path: PathBuf::from("report.json"),
            import_id: 4,
            source: io(),
        };
        assert_eq!(after.exit_code(), 3);
        let before = Error::OutputUnwritable {
            path: PathBuf::from("report.json"),
            source: io(),
        };
        assert_eq!(before.exit_code(), 2);
        assert_eq!(Error::join("x")(cancelled_task()).exit_code(), 2);
        assert_eq!(Error::NotRegistered.exit_code(), 2);
    }

    #[test]
    fn reader_threads_that_cannot_start_say_why_once() {
        let e = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .spawn_handler(|_| Err(std::io::Error::other("no more threads")))
            .build()
            .expect_err("a pool whose threads cannot spawn");
        assert_eq!(
            chain(Error::ReaderThreads(e)),
            "cannot start the reader threads: no more threads"
        );
    }

    #[test]
    fn a_report_json_error_keeps_serdes_message_as_its_cause() {
        let source = serde_json::from_str::<u64>("-1").expect_err("not a u64");
        let expected = format!("JSON error while reading a report detail: {source}");
        let e = Error::report_json("reading a report detail")(source);
        assert_eq!(chain(e), expected);
    }

    #[test]
    fn a_folder_that_cannot_be_walked_is_named_with_its_io_error() {
        let root = std::path::Path::new("/nonexistent-bellatrix-folder");
        let e = walkdir::WalkDir::new(root)
            .into_iter()
            .next()
            .expect("one entry")
            .expect_err("a missing folder");
        let e = InputError::walk(root, e);
        assert!(
            matches!(&e, InputError::Walk { path, .. } if path == root),
            "{e:?}"
        );
        assert_eq!(
            chain(e),
            "cannot walk /nonexistent-bellatrix-folder: No such file or directory (os error 2)"
        );
    }

    #[test]
    fn a_link_back_to_a_parent_folder_is_named_as_a_loop() {
        let dir = tempfile::tempdir().expect("a temp dir");
        let inner = dir.path().join("drop");
        std::fs::create_dir(&inner).expect("creating drop/");
        std::os::unix::fs::symlink(&inner, inner.join("again")).expect("linking drop/again");
        let e = walkdir::WalkDir::new(&inner)
            .follow_links(true)
            .into_iter()
            .find_map(Result::err)
            .expect("a loop error");
        let e = InputError::walk(&inner, e);
        assert_eq!(
            e.to_string(),
            format!(
                "cannot walk {}: it links back to {}, a folder above it",
                inner.join("again").display(),
                inner.display()
            )
        );
    }
}
