//! The `bellatrix-migrate` binary: parse arguments, validate them into a `Config`, run the pipeline,
//! print the report, and turn the outcome into an exit status (0 ok, 1 data problem, 2 error with
//! nothing committed, 3 an output file that failed after a commit).

use bellatrix_migrate::cli::Cli;
use bellatrix_migrate::commit::Outcome;
use bellatrix_migrate::config::Config;
use bellatrix_migrate::{run, Output};
use clap::Parser;
use std::io::Write;
use std::process::ExitCode;

/// Prints to stdout; a closed pipe (`| head`) ends output quietly instead of panicking.
fn print_out(text: &str) {
    let mut stdout = std::io::stdout().lock();
    let _ = stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush());
}

/// Prints the text meant for a person: to stdout, or to stderr when a report takes stdout
/// (`--report -`), so that stdout carries that report alone. A closed stream is ignored.
fn print_human(stdout_taken: bool, text: &str) {
    if stdout_taken {
        let mut stderr = std::io::stderr().lock();
        let _ = stderr.write_all(text.as_bytes());
    } else {
        print_out(text);
    }
}

/// Prints the error with its chain of causes and gives its exit status.
fn fail(e: bellatrix_migrate::error::Error) -> ExitCode {
    let code = e.exit_code();
    eprintln!("error: {:#}", anyhow::Error::new(e));
    ExitCode::from(code)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let mut stdout_taken = false;
    let result = Config::from_cli(cli).and_then(|config| {
        stdout_taken = config.task.writes_to_stdout();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .map_err(bellatrix_migrate::error::Error::Runtime)?;
        runtime.block_on(run(config))
    });
    match result {
        Ok(Output::Initialised {
            applied,
            database,
            granted,
        }) => {
            if applied.is_empty() {
                print_out(&format!("schema of {database} is up to date\n"));
            } else {
                print_out(&format!("applied migrations {applied:?} to {database}\n"));
            }
            for (role, statements) in granted {
                if statements.is_empty() {
                    print_out(&format!("{role} already holds every privilege it needs\n"));
                } else {
                    let mut text = format!("granted to {role}:\n");
                    for statement in statements {
                        text.push_str(&format!("  {statement};\n"));
                    }
                    print_out(&text);
                }
            }
            ExitCode::SUCCESS
        }
        Ok(Output::Grants(statements)) => {
            let text: String = statements.iter().map(|s| format!("{s};\n")).collect();
            print_out(&text);
            ExitCode::SUCCESS
        }
        Ok(Output::Imported { report, outcome }) => {
            print_human(stdout_taken, &report.to_text());
            match outcome {
                Outcome::Committed => {
                    print_human(stdout_taken, "committed\n");
                    ExitCode::SUCCESS
                }
                Outcome::DryRun => {
                    print_human(
                        stdout_taken,
                        "dry run: rolled back, production tables unchanged\n",
                    );
                    ExitCode::SUCCESS
                }
                Outcome::RolledBack(reason) => {
                    eprintln!("error: {reason}; nothing was committed");
                    ExitCode::from(1)
                }
            }
        }
        Ok(Output::Generated(generated)) => {
            let mut text = String::new();
            for (path, bytes) in &generated.files {
                text.push_str(&format!("{bytes:>14} bytes  {}\n", path.display()));
            }
            text.push_str(&format!("{} raw-metrics records in all\n", generated.rows));
            print_out(&text);
            ExitCode::SUCCESS
        }
        Ok(Output::Local(message)) => {
            print_out(&format!("{message}\n"));
            ExitCode::SUCCESS
        }
        Ok(Output::Verified { report }) => {
            print_human(stdout_taken, &report.to_text());
            let failed = report.failed_checks();
            if failed == 0 {
                ExitCode::SUCCESS
            } else {
                eprintln!("error: {failed} integrity check(s) failed");
                ExitCode::from(1)
            }
        }
        Ok(Output::History { entries, json }) => {
            if json {
                match bellatrix_migrate::report::history::to_json(&entries) {
                    Ok(text) => print_out(&text),
                    Err(e) => return fail(e),
                }
            } else {
                print_out(&bellatrix_migrate::report::history::to_text(&entries));
            }
            ExitCode::SUCCESS
        }
        Ok(Output::Reverted { report, json }) => {
            use bellatrix_migrate::model::revert::RevertOutcome;
            if json {
                match bellatrix_migrate::report::revert::to_json(&report) {
                    Ok(out) => print_out(&out),
                    Err(e) => return fail(e),
                }
            }
            // With --json the JSON takes stdout and the text goes to stderr.
            print_human(json, &bellatrix_migrate::report::revert::to_text(&report));
            if report.outcome == RevertOutcome::RolledBack {
                eprintln!("error: an integrity check failed; the revert was rolled back");
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            }
        }
        Ok(Output::Shown { report }) => {
            print_human(stdout_taken, &report.to_text());
            ExitCode::SUCCESS
        }
        Err(e) => fail(e),
    }
}
