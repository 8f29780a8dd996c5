//! Typed errors of the library. Each names a location (file, statement, setting), never legacy text;
//! `Error::exit_code` carries the meaning DECISIONS.md gives exit statuses.

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
    #[error("cannot walk {path}: {message}")]
    Walk { path: PathBuf, message: String },
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
    #[error("a background task failed: {0}")]
    Task(String),
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
}
