//! Finds the input files under the given paths, in the order their rows take precedence when they
//! duplicate each other, and refuses an import whose paths hold nothing to import.

use crate::error::InputError;
use crate::model::{Disposition, FileSummary, InputFile};
use std::path::{Path, PathBuf};

/// Walks files and folders, returning regular files ordered by precedence (originals before backups
/// before browser downloads, then by path) so that, among duplicate rows, the highest-fidelity copy
/// is the one imported.
pub fn discover(paths: &[PathBuf]) -> Result<Vec<InputFile>, InputError> {
    let mut found = Vec::new();
    for root in paths {
        if !root.exists() {
            return Err(InputError::Missing(root.clone()));
        }
        for entry in walkdir::WalkDir::new(root)
            .follow_links(true)
            .sort_by_file_name()
        {
            let entry = entry.map_err(|e| InputError::walk(root, e))?;
            let file_type = entry.file_type();
            if file_type.is_dir() {
                continue;
            }
            // A named pipe, socket or device is listed with why it is skipped, never opened: opening
            // a FIFO would block the import for as long as nothing writes to it.
            let skip = (!file_type.is_file()).then(|| not_regular(file_type));
            found.push(InputFile {
                file_no: 0,
                display: entry.path().display().to_string(),
                path: entry.into_path(),
                skip,
                prefixes: Vec::new(),
            });
        }
    }
    found.sort_by_key(|f| (precedence(&f.path), f.display.clone()));
    found.dedup_by(|a, b| a.path == b.path);
    for (i, f) in found.iter_mut().enumerate() {
        f.file_no = i32::try_from(i).map_err(|_| InputError::TooManyFiles)?;
    }
    Ok(found)
}

/// Why a file that is not a regular one is skipped.
fn not_regular(file_type: std::fs::FileType) -> String {
    use std::os::unix::fs::FileTypeExt;
    let what = if file_type.is_fifo() {
        "a named pipe (FIFO)"
    } else if file_type.is_socket() {
        "a socket"
    } else if file_type.is_block_device() {
        "a block device"
    } else if file_type.is_char_device() {
        "a character device"
    } else {
        "not a regular file"
    };
    format!("{what}: not a regular file, never opened")
}

/// Fails, saying what was found, when no file is of a legacy kind that has records to load (only
/// unknown, skipped or settings files, or none at all): an import that imports nothing is a
/// mistake in its paths, never a success.
pub fn nothing_to_import(summaries: &[FileSummary]) -> Result<(), InputError> {
    if summaries.iter().any(|s| s.kind.table().is_some()) {
        return Ok(());
    }
    const LISTED: usize = 10;
    let found = if summaries.is_empty() {
        "no files under the given paths".to_owned()
    } else {
        let listed: Vec<String> = summaries
            .iter()
            .take(LISTED)
            .map(|s| {
                let what = match s.disposition {
                    Disposition::Skipped => "skipped",
                    _ => s.kind.name(),
                };
                match &s.reason {
                    Some(reason) => format!("{} ({what}: {reason})", s.path),
                    None => format!("{} ({what})", s.path),
                }
            })
            .collect();
        let more = summaries.len().saturating_sub(LISTED);
        let more = if more > 0 {
            format!(", and {more} more")
        } else {
            String::new()
        };
        format!(
            "{} file(s), none of a legacy kind: {}{more}",
            summaries.len(),
            listed.join(", ")
        )
    };
    Err(InputError::NothingToImport { found })
}

/// Lower is better: the file the app wrote, its backup, then re-serialised downloads.
fn precedence(path: &Path) -> u8 {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    if name.ends_with(".backup") {
        1
    } else if name.starts_with("raw_metrics_") || name.starts_with("cloudwatch_metrics_") {
        2
    } else {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn originals_come_before_backups_and_downloads() {
        let mut names = [
            PathBuf::from("Downloads/raw_metrics_20251112_093000.csv"),
            PathBuf::from("data/runs/raw_metrics.csv.backup"),
            PathBuf::from("data/runs/raw_metrics.csv"),
        ];
        names.sort_by_key(|p| (precedence(p), p.display().to_string()));
        assert_eq!(names[0], PathBuf::from("data/runs/raw_metrics.csv"));
        assert_eq!(
            names[2],
            PathBuf::from("Downloads/raw_metrics_20251112_093000.csv")
        );
    }
}
