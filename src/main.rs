//! The `bellatrix-migrate` binary: parse arguments, validate them into a `Config`, run the pipeline,
//! print the report, and turn the outcome into an exit status (0 ok, 1 data problem, 2 error).

use bellatrix_migrate::cli::Cli;
use bellatrix_migrate::config::Config;
use bellatrix_migrate::transform::Outcome;
use bellatrix_migrate::{run, Output};
use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = Config::from_cli(cli).and_then(|config| {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .map_err(|e| {
                bellatrix_migrate::error::Error::Task(format!("starting the async runtime: {e}"))
            })?;
        runtime.block_on(run(config))
    });
    match result {
        Ok(Output::Initialised { applied, database }) => {
            if applied.is_empty() {
                println!("schema of {database} is up to date");
            } else {
                println!("applied migrations {applied:?} to {database}");
            }
            ExitCode::SUCCESS
        }
        Ok(Output::Imported { report, outcome }) => {
            print!("{}", report.to_text());
            match outcome {
                Outcome::Committed => {
                    println!("committed");
                    ExitCode::SUCCESS
                }
                Outcome::DryRun => {
                    println!("dry run: rolled back, production tables unchanged");
                    ExitCode::SUCCESS
                }
                Outcome::RolledBack(reason) => {
                    eprintln!("error: {reason}; nothing was committed");
                    ExitCode::from(1)
                }
            }
        }
        Ok(Output::Verified { report }) => {
            print!("{}", report.to_text());
            let failed = report.failed_checks();
            if failed == 0 {
                ExitCode::SUCCESS
            } else {
                eprintln!("error: {failed} integrity check(s) failed");
                ExitCode::from(1)
            }
        }
        Err(e) => {
            let code = e.exit_code();
            eprintln!("error: {:#}", anyhow::Error::new(e));
            ExitCode::from(code)
        }
    }
}
