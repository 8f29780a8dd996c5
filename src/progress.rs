//! Progress bars and notes on stderr, for every stage of the pipeline: bytes for read+stage,
//! statements for the transform, one step per integrity check for the checks. Bars hide when stderr
//! is not a terminal or with `--quiet`, so logs and pipes stay clean.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;

/// Whether bars should be drawn.
pub fn visible(quiet: bool) -> bool {
    !quiet && std::io::stderr().is_terminal()
}

fn target(show: bool) -> ProgressDrawTarget {
    if show {
        ProgressDrawTarget::stderr()
    } else {
        ProgressDrawTarget::hidden()
    }
}

/// A bar over `total` bytes of input.
pub fn bytes(total: u64, show: bool) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(Some(total), target(show));
    bar.set_style(
        ProgressStyle::with_template(
            "{prefix:>10} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    bar.set_prefix("read+stage");
    bar
}

/// A bar over the transform's `steps`.
pub fn steps(steps: u64, show: bool) -> ProgressBar {
    counted(steps, show, "transform")
}

/// A bar over the integrity checks, one step each (`verify::check_count`), so that the checks of a
/// large import (half a minute at 300k rows, most of it re-reading the source files) are not a
/// silent wait.
pub fn checks(checks: u64, show: bool) -> ProgressBar {
    counted(checks, show, "checks")
}

/// Starts `bar` where its work starts (it may have been made earlier): its clock from now, and,
/// when drawn, redrawn every 200 ms so that a long step still shows time passing. Finishing the bar
/// stops the redrawing.
pub fn start(bar: &ProgressBar) {
    bar.reset_elapsed();
    if !bar.is_hidden() {
        bar.enable_steady_tick(std::time::Duration::from_millis(200));
    }
}

/// A bar of `len` steps, each named by its message.
fn counted(len: u64, show: bool, prefix: &'static str) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(Some(len), target(show));
    bar.set_style(
        ProgressStyle::with_template("{prefix:>10} [{bar:30}] {pos}/{len} {msg} ({elapsed})")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    bar.set_prefix(prefix);
    bar
}

/// Prints a status line to stderr unless quiet (the only non-report output of the tool).
pub fn note(quiet: bool, message: &str) {
    if !quiet {
        eprintln!("{message}");
    }
}

/// Prints a warning to stderr, also with `--quiet`: something the user must know.
pub fn warn(message: &str) {
    eprintln!("warning: {message}");
}

/// Prints a line to stderr that `--quiet` does not hide (where the data goes, when it may not be
/// where the user expects).
pub fn always(message: &str) {
    eprintln!("{message}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_checks_bar_has_one_step_per_check_and_hides_when_asked() {
        let n = crate::verify::check_count(true);
        let bar = checks(n, false);
        assert!(bar.is_hidden());
        assert_eq!(bar.length(), Some(n));
        assert_eq!(
            crate::verify::check_count(false),
            n,
            "verify reports the informational check as skipped"
        );
    }

    #[test]
    fn bars_are_hidden_with_quiet_and_when_stderr_is_not_a_terminal() {
        assert!(!visible(true));
        if !std::io::stderr().is_terminal() {
            assert!(!visible(false));
        }
    }
}
