//! Validated configuration: command-line arguments checked and resolved before any I/O happens.

mod import;

pub use import::ImportConfig;

use crate::cli::{Cli, Command, InitArgs, LocalAction, ShowArgs, VerifyArgs};
use crate::db::conninfo::{self, Origin, PasswordSource, Settings};
use crate::db::privileges::Needs;
use crate::error::{Result, UsageError};
use crate::report::output_path::{one_stdout, OutputPath};
use std::path::PathBuf;

/// Where the data goes.
#[derive(Debug, Clone)]
pub enum Database {
    /// A server the user named (`--database-url`, `DATABASE_URL` or the `PG*` variables).
    Server(Box<Settings>),
    /// The local throwaway cluster under this directory.
    Local(PathBuf),
}

/// A validated `init`.
#[derive(Debug, Clone, Default)]
pub struct InitConfig {
    /// Roles to grant the privileges of a command to, after the migrations.
    pub grants: Vec<(Needs, String)>,
    /// Print the GRANT statements instead of migrating and granting.
    pub print_grants: bool,
}

/// A validated `verify`.
#[derive(Debug, Clone)]
pub struct VerifyConfig {
    pub checks: crate::verify::Options,
    pub report_json: Option<OutputPath>,
    pub report_md: Option<OutputPath>,
}

/// A validated `show`.
#[derive(Debug, Clone)]
pub struct ShowConfig {
    pub import_id: i64,
    pub report_json: Option<OutputPath>,
    pub report_md: Option<OutputPath>,
}

/// What to run.
#[derive(Debug, Clone)]
pub enum Task {
    Init(InitConfig),
    Import(ImportConfig),
    Generate {
        out: PathBuf,
        rows: u64,
        seed: u64,
    },
    Verify(VerifyConfig),
    /// `history`: every import of the ledger, as tables or (`json`) one JSON array.
    History {
        json: bool,
    },
    Show(ShowConfig),
    /// `revert IMPORT_ID [--dry-run]`.
    Revert(crate::revert::RevertConfig),
    /// `local stop` / `local status` on the local cluster in `dir`, whatever database is named.
    Local {
        action: LocalAction,
        dir: PathBuf,
    },
}

impl Task {
    /// The outputs of `--report`, `--report-md` and `--rejects`, in that order.
    pub fn outputs(&self) -> [Option<&OutputPath>; 3] {
        match self {
            Task::Import(c) => [
                c.report_json.as_ref(),
                c.report_md.as_ref(),
                c.rejects_csv.as_ref(),
            ],
            Task::Verify(c) => [c.report_json.as_ref(), c.report_md.as_ref(), None],
            Task::Show(c) => [c.report_json.as_ref(), c.report_md.as_ref(), None],
            _ => [None; 3],
        }
    }

    /// Whether an output goes to stdout (`--report -`): the text report and status lines then go
    /// to stderr, so that stdout carries that output alone.
    pub fn writes_to_stdout(&self) -> bool {
        self.outputs()
            .into_iter()
            .flatten()
            .any(OutputPath::is_stdout)
    }
}

/// Everything `lib::run` needs.
#[derive(Debug, Clone)]
pub struct Config {
    pub database: Database,
    pub quiet: bool,
    pub task: Task,
    /// Said on stderr before anything runs, even with `--quiet` (a password in the process list,
    /// a password file that was not used).
    pub warnings: Vec<String>,
}

/// The directory of the local throwaway cluster.
pub const LOCAL_CLUSTER_DIR: &str = ".bellatrix";

impl Config {
    /// Validates the parsed arguments.
    pub fn from_cli(cli: Cli) -> Result<Self> {
        // `generate` and `local` use no server: a connection string they would not use must not
        // stop them.
        let uses_a_server = !matches!(cli.command, Command::Generate(_) | Command::Local(_));
        let (database, warnings) = if uses_a_server {
            database(cli.global.database_url, &conninfo::process_env)?
        } else {
            (
                Database::Local(PathBuf::from(LOCAL_CLUSTER_DIR)),
                Vec::new(),
            )
        };
        let task = match cli.command {
            Command::Init(args) => Task::Init(init_config(args)?),
            Command::Import(args) => Task::Import(import::import_config(args)?),
            Command::Generate(args) => Task::Generate {
                out: args.out,
                rows: args.rows,
                seed: args.seed,
            },
            Command::Verify(args) => Task::Verify(verify_config(args)?),
            Command::Similarity(args) => Task::Import(import::similarity_config(args)?),
            Command::History(args) => Task::History { json: args.json },
            Command::Show(args) => Task::Show(show_config(args)?),
            Command::Revert(args) => Task::Revert(crate::revert::RevertConfig {
                import_id: args.import_id,
                dry_run: args.dry_run,
                json: args.json,
                lock_timeout: args.lock_timeout,
            }),
            Command::Local(args) => Task::Local {
                action: args.action,
                dir: PathBuf::from(LOCAL_CLUSTER_DIR),
            },
        };
        Ok(Self {
            database,
            quiet: cli.global.quiet,
            task,
            warnings,
        })
    }
}

/// Chooses the database as libpq's conventions say: `--database-url`, else `DATABASE_URL`, else
/// the `PG*` variables; only when none names a server, the local throwaway cluster.
pub fn database(flag: Option<String>, env: conninfo::Env<'_>) -> Result<(Database, Vec<String>)> {
    let (conninfo, origin) = match flag.filter(|u| !u.trim().is_empty()) {
        Some(url) => (url, Origin::Flag),
        None => match env("DATABASE_URL").filter(|u| !u.trim().is_empty()) {
            Some(url) => (url, Origin::DatabaseUrl),
            None if conninfo::TARGET_VARIABLES.iter().any(|v| env(v).is_some()) => {
                (String::new(), Origin::Environment)
            }
            None => {
                return Ok((
                    Database::Local(PathBuf::from(LOCAL_CLUSTER_DIR)),
                    Vec::new(),
                ))
            }
        },
    };
    let settings = conninfo::resolve(&conninfo, origin, env)?;
    let mut warnings = Vec::new();
    if origin == Origin::Flag && settings.password == PasswordSource::ConnectionString {
        warnings.push(
            "the password given in --database-url is visible to every user of this machine in \
             the process list: use PGPASSWORD or a password file (~/.pgpass, mode 0600) instead"
                .to_owned(),
        );
    }
    if let PasswordSource::None {
        refused: Some(reason),
        ..
    } = &settings.password
    {
        warnings.push(format!("{reason}; it was not used"));
    }
    Ok((Database::Server(Box::new(settings)), warnings))
}

fn init_config(args: InitArgs) -> Result<InitConfig> {
    let grants: Vec<(Needs, String)> = [
        (Needs::Import, args.grant_import),
        (Needs::Verify, args.grant_verify),
    ]
    .into_iter()
    .filter_map(|(needs, role)| role.map(|r| (needs, r)))
    .collect();
    if let Some((needs, _)) = grants.iter().find(|(_, role)| role.is_empty()) {
        return Err(UsageError::EmptyRole(needs.task()).into());
    }
    if args.print_grants && grants.is_empty() {
        return Err(UsageError::PrintGrantsWithoutRole.into());
    }
    Ok(InitConfig {
        grants,
        print_grants: args.print_grants,
    })
}

fn verify_config(args: VerifyArgs) -> Result<VerifyConfig> {
    one_stdout(&[
        ("--report", args.report.as_ref()),
        ("--report-md", args.report_md.as_ref()),
    ])?;
    Ok(VerifyConfig {
        checks: crate::verify::Options {
            sample: (!args.full).then_some(args.sample),
            source_root: args.source_root,
        },
        report_json: args.report,
        report_md: args.report_md,
    })
}

fn show_config(args: ShowArgs) -> Result<ShowConfig> {
    one_stdout(&[
        ("--report", args.report.as_ref()),
        ("--report-md", args.report_md.as_ref()),
    ])?;
    Ok(ShowConfig {
        import_id: args.import_id,
        report_json: args.report,
        report_md: args.report_md,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;
    use clap::Parser;

    fn parse(args: &[&str]) -> Command {
        let argv = std::iter::once("bellatrix-migrate").chain(args.iter().copied());
        Cli::try_parse_from(argv)
            .unwrap_or_else(|e| panic!("{e}"))
            .command
    }

    fn import(args: &[&str]) -> Result<ImportConfig> {
        let argv: Vec<&str> = ["import"]
            .iter()
            .chain(args)
            .chain(&["in"])
            .copied()
            .collect();
        match parse(&argv) {
            Command::Import(args) => import::import_config(args),
            other => panic!("{other:?}"),
        }
    }

    fn init(args: &[&str]) -> Result<InitConfig> {
        let argv: Vec<&str> = std::iter::once("init")
            .chain(args.iter().copied())
            .collect();
        match parse(&argv) {
            Command::Init(args) => init_config(args),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn an_unknown_time_zone_is_a_usage_error_not_a_database_one() {
        let e = import(&["--legacy-timezone", "Mars/Base"]).expect_err("Mars/Base is no zone");
        assert!(
            matches!(&e, Error::Usage(UsageError::UnknownTimeZone(zone)) if zone == "Mars/Base"),
            "{e:?}"
        );
        assert_eq!(e.exit_code(), 2);
        let known = import(&["--legacy-timezone", "Asia/Kolkata"]).expect("a known zone");
        assert_eq!(known.legacy_tz, chrono_tz::Asia::Kolkata);
    }

    #[test]
    fn config_dates_are_repeatable_and_a_bad_one_is_refused_by_the_parser() {
        let c = import(&[
            "--config-date",
            "configs/models.yaml=2025-11-19T20:44:00Z",
            "--config-date",
            "config.py=2025-10-31",
        ])
        .expect("two dates");
        let given: Vec<(&str, String)> = c
            .config_dates
            .iter()
            .map(|g| (g.file.as_str(), g.at.to_rfc3339()))
            .collect();
        assert_eq!(
            given,
            vec![
                (
                    "configs/models.yaml",
                    "2025-11-19T20:44:00+00:00".to_owned()
                ),
                ("config.py", "2025-10-31T00:00:00+00:00".to_owned()),
            ]
        );
        let argv = [
            "bellatrix-migrate",
            "import",
            "--config-date",
            "models.yaml=yesterday",
            "in",
        ];
        let e = Cli::try_parse_from(argv).expect_err("not a date");
        assert_eq!(e.exit_code(), 2);
    }

    #[test]
    fn a_grant_without_a_role_and_print_grants_alone_are_usage_errors() {
        let e = init(&["--grant-import", ""]).expect_err("an empty role");
        assert!(
            matches!(e, Error::Usage(UsageError::EmptyRole("import"))),
            "{e:?}"
        );
        let e = init(&["--print-grants"]).expect_err("nothing to print");
        assert!(
            matches!(e, Error::Usage(UsageError::PrintGrantsWithoutRole)),
            "{e:?}"
        );
        assert_eq!(
            e.to_string(),
            "invalid command line: --print-grants prints the statements of --grant-import ROLE \
             or --grant-verify ROLE: give one"
        );
        let ok = init(&["--grant-verify", "auditor", "--print-grants"]).expect("a role");
        assert_eq!(ok.grants, vec![(Needs::Verify, "auditor".to_owned())]);
    }

    #[test]
    fn show_takes_an_import_id_of_at_least_1_and_the_two_report_files() {
        let config = match parse(&["show", "7", "--report", "r.json", "--report-md", "r.md"]) {
            Command::Show(args) => show_config(args).expect("two files"),
            other => panic!("{other:?}"),
        };
        assert_eq!(config.import_id, 7);
        assert_eq!(
            config.report_json,
            Some(OutputPath::File(PathBuf::from("r.json")))
        );
        assert_eq!(
            config.report_md,
            Some(OutputPath::File(PathBuf::from("r.md")))
        );
        for id in ["0", "-3", "seven"] {
            let e = Cli::try_parse_from(["bellatrix-migrate", "show", id]).expect_err(id);
            assert_eq!(e.exit_code(), 2, "{id}");
        }
        assert!(matches!(
            parse(&["history", "--json"]),
            Command::History(args) if args.json
        ));
    }

    #[test]
    fn a_dash_is_stdout_dot_slash_dash_a_file_and_two_dashes_a_usage_error() {
        let c = import(&["--report", "-", "--report-md", "./-", "--rejects=r.csv"]).expect("valid");
        assert_eq!(c.report_json, Some(OutputPath::Stdout));
        assert_eq!(c.report_md, Some(OutputPath::File(PathBuf::from("./-"))));
        assert!(Task::Import(c).writes_to_stdout());
        let c = import(&["--report=r.json", "--rejects=-"]).expect("valid");
        assert_eq!(c.rejects_csv, Some(OutputPath::Stdout));
        assert!(!Task::Import(import(&["--report", "r.json"]).expect("valid")).writes_to_stdout());
        assert!(!Task::History { json: true }.writes_to_stdout());
        let e = import(&["--report", "-", "--rejects", "-"]).expect_err("two on stdout");
        assert!(
            matches!(
                e,
                Error::Usage(UsageError::StdoutTwice("--report", "--rejects"))
            ),
            "{e:?}"
        );
        for argv in [
            &["verify", "--report", "-", "--report-md", "-"][..],
            &["show", "3", "--report-md", "-", "--report", "-"],
        ] {
            let result = match parse(argv) {
                Command::Verify(args) => verify_config(args).map(drop),
                Command::Show(args) => show_config(args).map(drop),
                other => panic!("{other:?}"),
            };
            assert!(
                matches!(result, Err(Error::Usage(UsageError::StdoutTwice(..)))),
                "{argv:?}: {result:?}"
            );
        }
        let shown = match parse(&["show", "3", "--report-md", "-"]) {
            Command::Show(args) => show_config(args).expect("one on stdout"),
            other => panic!("{other:?}"),
        };
        assert!(Task::Show(shown).writes_to_stdout());
    }

    #[test]
    fn a_password_in_the_flag_is_warned_about_in_one_sentence() {
        let env = |_: &str| None;
        let (_, warnings) = database(
            Some("postgresql://alice:secret@db.example/app".to_owned()),
            &env,
        )
        .expect("a valid URL");
        assert_eq!(
            warnings,
            vec![
                "the password given in --database-url is visible to every user of this machine in \
                 the process list: use PGPASSWORD or a password file (~/.pgpass, mode 0600) instead"
                    .to_owned()
            ]
        );
    }
}
