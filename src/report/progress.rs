//! Progress bars: bytes for read+stage, statements for the transform. Hidden when stderr is not a
//! terminal or with `--quiet`, so logs and pipes stay clean.

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
    let bar = ProgressBar::with_draw_target(Some(steps), target(show));
    bar.set_style(
        ProgressStyle::with_template("{prefix:>10} [{bar:30}] {pos}/{len} {msg} ({elapsed})")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    bar.set_prefix("transform");
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
