//! ⑤ What an output option (`--report`, `--report-md`, `--rejects`) names: stdout or a file.
//!
//! `-` is stdout, modelled here once rather than as a path compared with "-" wherever outputs are
//! handled; a file called `-` is `./-`. At most one output of a run may take stdout (two
//! documents there would run together), and when one does, main prints the text report and its
//! status lines to stderr, so that stdout carries that one document and nothing else.

use crate::error::{Result, UsageError};
use std::path::PathBuf;

/// What an output option names: stdout (`-`) or a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OutputPath {
    /// `-`: the process's standard output.
    Stdout,
    /// Any other path, `./-` included.
    File(PathBuf),
}

/// How messages name stdout (`cannot write standard output after import 4 was committed`).
pub const STDOUT_SHOWN: &str = "standard output";

impl From<PathBuf> for OutputPath {
    fn from(path: PathBuf) -> Self {
        if path.as_os_str() == "-" {
            OutputPath::Stdout
        } else {
            OutputPath::File(path)
        }
    }
}

impl OutputPath {
    /// Whether this is stdout.
    pub fn is_stdout(&self) -> bool {
        matches!(self, OutputPath::Stdout)
    }

    /// What messages call it: the path as given, or "standard output".
    pub fn shown(&self) -> PathBuf {
        match self {
            OutputPath::Stdout => PathBuf::from(STDOUT_SHOWN),
            OutputPath::File(path) => path.clone(),
        }
    }
}

/// Refuses two outputs to stdout (a usage error, exit 2); `outputs` pairs each flag with what it
/// was given.
pub fn one_stdout(outputs: &[(&'static str, Option<&OutputPath>)]) -> Result<()> {
    let mut on_stdout = outputs
        .iter()
        .filter(|(_, output)| output.is_some_and(OutputPath::is_stdout))
        .map(|(flag, _)| *flag);
    match (on_stdout.next(), on_stdout.next()) {
        (Some(first), Some(second)) => Err(UsageError::StdoutTwice(first, second).into()),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;

    #[test]
    fn a_dash_is_stdout_and_any_other_path_a_file() {
        assert_eq!(OutputPath::from(PathBuf::from("-")), OutputPath::Stdout);
        for path in ["./-", "-.json", "--", "dir/-", " -"] {
            assert_eq!(
                OutputPath::from(PathBuf::from(path)),
                OutputPath::File(PathBuf::from(path)),
                "{path}"
            );
        }
        assert_eq!(OutputPath::Stdout.shown(), PathBuf::from("standard output"));
    }

    #[test]
    fn one_output_may_take_stdout_and_a_second_is_a_usage_error_naming_both() {
        let file = OutputPath::File(PathBuf::from("r.md"));
        let stdout = OutputPath::Stdout;
        assert!(one_stdout(&[("--report", Some(&stdout)), ("--report-md", Some(&file))]).is_ok());
        assert!(one_stdout(&[("--report", None), ("--report-md", None)]).is_ok());
        let e = one_stdout(&[
            ("--report", None),
            ("--report-md", Some(&stdout)),
            ("--rejects", Some(&stdout)),
        ])
        .expect_err("two on stdout");
        assert!(
            matches!(
                e,
                Error::Usage(UsageError::StdoutTwice("--report-md", "--rejects"))
            ),
            "{e:?}"
        );
        assert_eq!(e.exit_code(), 2);
        assert_eq!(
            e.to_string(),
            "invalid command line: --report-md - and --rejects - would both write to stdout: \
             give one of them a file (a file named - is ./-)"
        );
    }
}
