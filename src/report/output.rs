//! ⑤ The files a run writes (`--report`, `--report-md`, `--rejects`): each checked and created
//! before the run reads or writes anything, and filled once the run is over.
//!
//! `-` names stdout ([`OutputPath::Stdout`]): written when the run is over, like a file, but in
//! place.
//!
//! Created first, so that an unwritable path (a directory that does not exist, a parent that is a
//! file, no permission) ends the run with exit 2 before the import's transaction begins: exit 2
//! keeps meaning "nothing was committed". A regular file is written as a temporary file beside its
//! target (`.NAME.XXXXXX.tmp`, in the same directory, so on the same file system), flushed to disk
//! and renamed onto the target when complete: nobody ever sees a half-written report, and a run
//! that fails leaves an earlier file of that name as it was (only a killed run leaves its temporary
//! file behind). Opening the target itself first would have emptied an earlier report at the start
//! of a run that then fails. A target that exists and is not a regular file (`/dev/null`, a pipe
//! such as `>(jq .)`) is opened and written in place: renaming onto it would replace the device or
//! the pipe.

use super::output_path::OutputPath;
use crate::error::{Error, Result};
use crate::model::{FileSummary, Report};
use std::fs::{File, Permissions};
use std::io::{self, BufWriter, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// Where an output file's content goes.
#[derive(Debug)]
enum Target {
    /// A temporary file beside `path`, renamed onto it when complete.
    Replace {
        file: tempfile::NamedTempFile,
        path: PathBuf,
    },
    /// An existing file that is not a regular one (a device, a pipe), written as it is.
    InPlace(File),
    /// The process's stdout (`-`). Nothing to check beforehand: the Rust runtime opens a closed
    /// stdout on /dev/null, and a pipe closed later (`| head`) fails the write, not the run's start.
    Stdout,
}

/// One output file, created and not yet filled.
#[derive(Debug)]
pub struct OutputFile {
    /// The path as the user gave it (or "standard output"), for messages.
    shown: PathBuf,
    target: Target,
}

impl OutputFile {
    /// Checks that `path` can be written and creates its temporary file (or opens the device or
    /// pipe it names). Symbolic links are followed: the file they point at is replaced, the link
    /// stays.
    pub fn create(path: &Path) -> io::Result<Self> {
        let target = match std::fs::metadata(path) {
            Ok(meta) if meta.is_dir() => {
                return Err(io::Error::new(
                    io::ErrorKind::IsADirectory,
                    "it is a directory",
                ))
            }
            Ok(meta) if meta.is_file() => {
                let resolved = std::fs::canonicalize(path)?;
                let file = temporary_beside(&resolved)?;
                // The replacement keeps the mode of the file it replaces.
                file.as_file().set_permissions(meta.permissions())?;
                Target::Replace {
                    file,
                    path: resolved,
                }
            }
            Ok(_) => Target::InPlace(File::options().write(true).open(path)?),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Target::Replace {
                file: temporary_beside(path)?,
                path: path.to_path_buf(),
            },
            Err(e) => return Err(e),
        };
        Ok(Self {
            shown: path.to_path_buf(),
            target,
        })
    }

    /// An output to stdout, written when the run is over like a file.
    pub fn stdout() -> Self {
        Self {
            shown: OutputPath::Stdout.shown(),
            target: Target::Stdout,
        }
    }

    /// The path as given.
    pub fn path(&self) -> &Path {
        &self.shown
    }

    /// Writes the content with `write` and puts the file in place.
    pub fn finish(self, write: impl FnOnce(&mut dyn Write) -> io::Result<()>) -> io::Result<()> {
        match self.target {
            Target::Replace { file, path } => {
                {
                    let mut out = BufWriter::new(file.as_file());
                    write(&mut out)?;
                    out.flush()?;
                }
                file.as_file().sync_all()?;
                file.persist(&path).map_err(|e| e.error)?;
                Ok(())
            }
            Target::InPlace(file) => {
                let mut out = BufWriter::new(file);
                write(&mut out)?;
                out.flush()
            }
            // A write error (a closed pipe, a full disk) is returned like a file's, never a panic.
            Target::Stdout => {
                let mut out = BufWriter::new(io::stdout().lock());
                write(&mut out)?;
                out.flush()
            }
        }
    }
}

/// A temporary file in the directory of `path`, named after it, with the mode a newly created
/// file gets (0666 less the umask) rather than the temporary file's private 0600.
fn temporary_beside(path: &Path) -> io::Result<tempfile::NamedTempFile> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    // A directory that does not exist, or a file where a directory should be, said plainly.
    if !std::fs::metadata(dir)?.is_dir() {
        return Err(io::Error::new(
            io::ErrorKind::NotADirectory,
            format!("{} is not a directory", dir.display()),
        ));
    }
    let name = path
        .file_name()
        .map(|n| format!(".{}.", n.to_string_lossy()))
        .unwrap_or_else(|| ".bellatrix-output.".to_owned());
    tempfile::Builder::new()
        .prefix(&name)
        .suffix(".tmp")
        .permissions(Permissions::from_mode(0o666))
        .tempfile_in(dir)
        .map_err(without_temporary_name)
}

/// The system's error without the temporary file's random name, which would only confuse (the user
/// named the target): its kind alone.
fn without_temporary_name(e: io::Error) -> io::Error {
    if e.get_ref().is_some() {
        io::Error::from(e.kind())
    } else {
        e
    }
}
/// The output files of one run, created before it reads or writes anything.
#[derive(Debug, Default)]
pub struct Outputs {
    /// `--report`: the JSON report.
    pub json: Option<OutputFile>,
    /// `--report-md`: the Markdown report.
    pub markdown: Option<OutputFile>,
    /// `--rejects`: every rejected record as CSV (import only).
    pub rejects: Option<OutputFile>,
}

impl Outputs {
    /// Creates every output file asked for; the first that cannot be written is the error (exit
    /// 2), and the temporary files already created are removed. `outputs` are those of
    /// `--report`, `--report-md` and `--rejects`, in that order.
    pub fn create(outputs: [Option<&OutputPath>; 3]) -> Result<Self> {
        let named: Vec<&OutputPath> = outputs.iter().copied().flatten().collect();
        for (i, output) in named.iter().enumerate() {
            let twice = named[..i].iter().any(|earlier| match (earlier, output) {
                (OutputPath::Stdout, OutputPath::Stdout) => true,
                (OutputPath::File(a), OutputPath::File(b)) => same_file(a, b),
                _ => false,
            });
            if twice {
                return Err(Error::OutputTwice {
                    path: output.shown(),
                });
            }
        }
        let create = |output: Option<&OutputPath>| {
            output
                .map(|o| match o {
                    OutputPath::Stdout => Ok(OutputFile::stdout()),
                    OutputPath::File(p) => {
                        OutputFile::create(p).map_err(|source| Error::OutputUnwritable {
                            path: p.to_path_buf(),
                            source,
                        })
                    }
                })
                .transpose()
        };
        let [json, markdown, rejects] = outputs;
        Ok(Self {
            json: create(json)?,
            markdown: create(markdown)?,
            rejects: create(rejects)?,
        })
    }
}

impl Outputs {
    /// Fills every output file with `report` (and the rejects of `summaries` and the transform)
    /// and puts it in place; on failure, the path that could not be written and why. Every output
    /// is written even when an earlier one fails (the first failure is returned), so a report on
    /// stdout reaches its reader whatever happens to a file.
    pub fn finish(
        self,
        report: &Report,
        summaries: &[FileSummary],
    ) -> std::result::Result<(), (PathBuf, io::Error)> {
        let fill = |file: OutputFile, write: &dyn Fn(&mut dyn Write) -> io::Result<()>| {
            let path = file.path().to_path_buf();
            file.finish(|out| write(out)).map_err(|e| (path, e))
        };
        let mut first = Ok(());
        let mut keep = |result: std::result::Result<(), (PathBuf, io::Error)>| {
            if first.is_ok() {
                first = result;
            }
        };
        if let Some(file) = self.json {
            keep(fill(file, &|out| report.write_json(out)));
        }
        if let Some(file) = self.markdown {
            keep(fill(file, &|out| report.write_markdown(out)));
        }
        if let Some(file) = self.rejects {
            keep(fill(file, &|out| {
                super::write_rejects_csv(out, summaries, &report.transform_rejects)
                    .map_err(io::Error::from)
            }));
        }
        first
    }
}

/// Whether two paths name the same file (the file itself when it exists, else its directory and
/// name).
fn same_file(a: &Path, b: &Path) -> bool {
    let resolved = |p: &Path| {
        std::fs::canonicalize(p).ok().or_else(|| {
            let dir = match p.parent() {
                Some(dir) if !dir.as_os_str().is_empty() => dir,
                _ => Path::new("."),
            };
            Some(std::fs::canonicalize(dir).ok()?.join(p.file_name()?))
        })
    };
    a == b || matches!((resolved(a), resolved(b)), (Some(x), Some(y)) if x == y)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn written(path: &Path) -> String {
        std::fs::read_to_string(path).unwrap_or_default()
    }

    #[test]
    fn the_file_appears_only_when_complete_and_an_earlier_one_stays_until_then() {
        let dir = tempfile::tempdir().expect("a temp dir");
        let path = dir.path().join("report.json");
        std::fs::write(&path, "earlier\n").expect("an earlier report");
        let out = OutputFile::create(&path).expect("a writable path");
        assert_eq!(written(&path), "earlier\n", "created, not yet written");
        out.finish(|w| w.write_all(b"new\n")).expect("written");
        assert_eq!(written(&path), "new\n");
        let left: Vec<_> = std::fs::read_dir(dir.path())
            .expect("the dir")
            .map(|e| e.expect("an entry").file_name())
            .collect();
        assert_eq!(left.len(), 1, "no temporary file is left: {left:?}");
    }

    #[test]
    fn a_run_that_fails_removes_its_temporary_file_and_keeps_the_earlier_one() {
        let dir = tempfile::tempdir().expect("a temp dir");
        let path = dir.path().join("report.md");
        std::fs::write(&path, "earlier\n").expect("an earlier report");
        let out = OutputFile::create(&path).expect("a writable path");
        drop(out);
        assert_eq!(written(&path), "earlier\n");
        assert_eq!(std::fs::read_dir(dir.path()).expect("the dir").count(), 1);
    }

    #[test]
    fn a_missing_directory_a_file_as_directory_and_a_directory_as_target_are_refused() {
        let dir = tempfile::tempdir().expect("a temp dir");
        let file = dir.path().join("plain");
        std::fs::write(&file, "").expect("a plain file");
        for path in [
            dir.path().join("missing/report.json"),
            file.join("report.json"),
            dir.path().to_path_buf(),
        ] {
            assert!(
                OutputFile::create(&path).is_err(),
                "{} should be refused",
                path.display()
            );
        }
    }

    #[test]
    fn a_device_is_written_in_place_not_replaced() {
        let out = OutputFile::create(Path::new("/dev/null")).expect("/dev/null is writable");
        out.finish(|w| w.write_all(b"discarded")).expect("written");
        let meta = std::fs::metadata("/dev/null").expect("/dev/null");
        assert!(!meta.is_file(), "/dev/null is still a device");
    }

    #[test]
    fn a_new_file_gets_the_usual_mode_and_a_replaced_one_keeps_its_own() {
        let dir = tempfile::tempdir().expect("a temp dir");
        let fresh = dir.path().join("fresh.csv");
        OutputFile::create(&fresh)
            .and_then(|o| o.finish(|w| w.write_all(b"x")))
            .expect("written");
        let mode = std::fs::metadata(&fresh)
            .expect("written")
            .permissions()
            .mode();
        let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
        let umask = status
            .lines()
            .find_map(|l| l.strip_prefix("Umask:"))
            .and_then(|m| u32::from_str_radix(m.trim(), 8).ok())
            .expect("the umask");
        assert_eq!(mode & 0o777, 0o666 & !umask, "as a created file, not 0600");
        let kept = dir.path().join("kept.csv");
        std::fs::write(&kept, "").expect("an earlier file");
        std::fs::set_permissions(&kept, Permissions::from_mode(0o640)).expect("chmod");
        OutputFile::create(&kept)
            .and_then(|o| o.finish(|w| w.write_all(b"x")))
            .expect("written");
        let mode = std::fs::metadata(&kept)
            .expect("written")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o640);
    }

    #[test]
    fn a_symbolic_link_stays_and_the_file_it_points_at_is_replaced() {
        let dir = tempfile::tempdir().expect("a temp dir");
        let real = dir.path().join("real.json");
        let link = dir.path().join("link.json");
        std::fs::write(&real, "earlier").expect("an earlier report");
        std::os::unix::fs::symlink(&real, &link).expect("a symlink");
        OutputFile::create(&link)
            .and_then(|o| o.finish(|w| w.write_all(b"new")))
            .expect("written");
        assert!(std::fs::symlink_metadata(&link)
            .expect("the link")
            .file_type()
            .is_symlink());
        assert_eq!(written(&real), "new");
    }

    #[test]
    fn one_path_named_by_two_options_is_refused() {
        let dir = tempfile::tempdir().expect("a temp dir");
        let path = dir.path().join("r.json");
        let other = dir.path().join(".").join("r.json");
        let (path, other) = (OutputPath::File(path), OutputPath::File(other));
        let result = Outputs::create([Some(&path), Some(&other), None]);
        assert!(
            matches!(result, Err(Error::OutputTwice { .. })),
            "{result:?}"
        );
    }

    #[test]
    fn stdout_named_twice_is_refused_and_once_beside_a_file_is_not() {
        let dir = tempfile::tempdir().expect("a temp dir");
        let file = OutputPath::File(dir.path().join("r.md"));
        let twice = Outputs::create([Some(&OutputPath::Stdout), None, Some(&OutputPath::Stdout)]);
        assert!(
            matches!(&twice, Err(Error::OutputTwice { path }) if path == Path::new(crate::report::output_path::STDOUT_SHOWN)),
            "{twice:?}"
        );
        let once = Outputs::create([Some(&OutputPath::Stdout), Some(&file), None])
            .expect("stdout and a file");
        assert!(once.json.is_some() && once.markdown.is_some() && once.rejects.is_none());
    }

    #[test]
    fn every_output_is_written_when_an_earlier_one_fails() {
        let dir = tempfile::tempdir().expect("a temp dir");
        let md = dir.path().join("r.md");
        let full = OutputPath::File(PathBuf::from("/dev/full"));
        let outputs = Outputs::create([Some(&full), Some(&OutputPath::File(md.clone())), None])
            .expect("both can be created");
        let report = Report::new(
            crate::model::report::Mode::Verify,
            "postgresql://u@h/db".to_owned(),
            "n/a".to_owned(),
        );
        let failed = outputs.finish(&report, &[]).expect_err("/dev/full refuses");
        assert_eq!(failed.0, PathBuf::from("/dev/full"));
        assert!(
            written(&md).starts_with("# bellatrix-migrate"),
            "{}",
            written(&md)
        );
    }
}
