//! ① The configuration values both model-configuration readers share, `models_yaml` and
//! `config_py` (docs/formats.md#models_yaml): a version's effective date (given with
//! `--config-date`, else from the file name, the content or the modification time: docs/decisions.md
//! "Configuration history"), decimal and whole-number settings that must fit their target columns,
//! the text widths of a model entry, and the reasons an entry with bytes PostgreSQL cannot store is
//! rejected. Classification takes `date_in_name`
//! from here too (a dated models file is the `dated_version` variant).

use super::context::FileCtx;
use super::values::parse_fixed;
use crate::model::ModelEntryRecord;
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use std::path::{Component, Path, PathBuf};

/// Why an entry with a NUL in a text value (a `"\0"` escape) is rejected.
pub const NUL: &str = "a text value holds a NUL byte, which PostgreSQL text cannot store";

/// Why an entry whose text held bytes that are not UTF-8 is rejected.
pub const NOT_UTF8: &str = "a text value holds bytes that are not valid UTF-8";

/// Why every entry of a configuration version nothing dates is rejected.
pub const UNDATED: &str =
    "the version has no date (none given with --config-date, none in the file \
     name or a leading comment, no modification time)";

/// A `YYYY-MM-DD` date in a file name, the version date the project's convention puts there.
pub fn date_in_name(name: &str) -> Option<NaiveDate> {
    let b = name.as_bytes();
    (0..b.len().saturating_sub(9)).find_map(|i| {
        let s = name.get(i..i + 10)?;
        let shape = s.bytes().enumerate().all(|(j, c)| {
            if j == 4 || j == 7 {
                c == b'-'
            } else {
                c.is_ascii_digit()
            }
        });
        shape
            .then(|| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok())
            .flatten()
    })
}

/// How a configuration version got its date, in the order tried (docs/decisions.md,
/// "Configuration history"); stored as `metadata.version_dated_by` and in `config_observations`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DatedBy {
    /// `--config-date FILE=DATE`.
    Given,
    /// A `YYYY-MM-DD` in the file name.
    FileName,
    /// A leading `# version: DATE` or `# date: DATE` comment.
    Content,
    /// The file's modification time: the one a copy changes, so the report names such files.
    ModificationTime,
}

impl DatedBy {
    /// The name stored and reported.
    pub fn name(self) -> &'static str {
        match self {
            DatedBy::Given => "given",
            DatedBy::FileName => "file_name",
            DatedBy::Content => "content",
            DatedBy::ModificationTime => "modification_time",
        }
    }
}

/// A version's effective date and how it was found: the date the user gave, else a date in the
/// file name, else one in a leading comment of `text`, else the modification time.
pub fn version_date(ctx: &FileCtx, text: &str) -> Option<(DateTime<Utc>, DatedBy)> {
    if let Some(at) = ctx.given {
        return Some((at, DatedBy::Given));
    }
    if let Some(d) = date_in_name(ctx.name).and_then(|d| d.and_hms_opt(0, 0, 0)) {
        return Some((d.and_utc(), DatedBy::FileName));
    }
    if let Some(at) = date_in_content(text) {
        return Some((at, DatedBy::Content));
    }
    ctx.modified.map(|m| (m, DatedBy::ModificationTime))
}

/// A date as `--config-date` and a version comment take it: `YYYY-MM-DD` (midnight UTC) or an
/// RFC 3339 instant (`2025-11-19T20:44:00Z`, `2025-11-19T20:44:00+05:30`).
pub fn parse_date(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    if let Ok(d) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return d.and_hms_opt(0, 0, 0).map(|t| t.and_utc());
    }
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// The date of a `# version: DATE` or `# date: DATE` comment among the comment lines that open the
/// file (blank lines aside; the first other line ends the search). Keys are case-insensitive; a
/// comment whose value is not a date is no date.
pub fn date_in_content(text: &str) -> Option<DateTime<Utc>> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    for line in text.lines().map(str::trim) {
        if line.is_empty() {
            continue;
        }
        let comment = line.strip_prefix('#')?;
        let Some((key, value)) = comment.split_once(':') else {
            continue;
        };
        let key = key.trim().to_ascii_lowercase();
        if key == "version" || key == "date" {
            if let Some(at) = parse_date(value) {
                return Some(at);
            }
        }
    }
    None
}

/// A configuration file's version date given on the command line (`--config-date FILE=DATE`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GivenDate {
    /// FILE as the user wrote it.
    pub file: String,
    pub at: DateTime<Utc>,
}

impl std::str::FromStr for GivenDate {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let (file, date) = s
            .rsplit_once('=')
            .filter(|(f, _)| !f.is_empty())
            .ok_or_else(|| format!("{s:?} is not FILE=DATE"))?;
        let at = parse_date(date).ok_or_else(|| {
            format!("{date:?} is not a date: give YYYY-MM-DD or an RFC 3339 time")
        })?;
        Ok(Self {
            file: file.to_owned(),
            at,
        })
    }
}

impl GivenDate {
    /// Whether FILE names `path` (the file as the import found it under one of `roots`): the
    /// path as found, the path relative to a root (a root that is a file: its name), or, for a
    /// FILE that exists, the same file by its canonical path.
    pub fn names(&self, path: &Path, roots: &[PathBuf]) -> bool {
        let given = plain(Path::new(&self.file));
        if plain(path) == given {
            return true;
        }
        let relative = roots.iter().any(|root| match path.strip_prefix(root) {
            Ok(rest) if rest.as_os_str().is_empty() => {
                path.file_name().is_some_and(|n| Path::new(n) == given)
            }
            Ok(rest) => plain(rest) == given,
            Err(_) => false,
        });
        relative
            || match (
                std::fs::canonicalize(&self.file),
                std::fs::canonicalize(path),
            ) {
                (Ok(a), Ok(b)) => a == b,
                _ => false,
            }
    }
}

/// The date given for `path`, if any.
pub fn given_date(given: &[GivenDate], path: &Path, roots: &[PathBuf]) -> Option<DateTime<Utc>> {
    given.iter().find(|g| g.names(path, roots)).map(|g| g.at)
}

/// A path without `.` components, so `./configs/models.yaml` names `configs/models.yaml`.
fn plain(path: &Path) -> PathBuf {
    path.components()
        .filter(|c| !matches!(c, Component::CurDir))
        .collect()
}

/// A decimal setting that must fit `DECIMAL(p, s)`; `Ok(None)` when absent.
pub fn decimal(
    raw: Option<String>,
    p: u32,
    s: u32,
    target: &'static str,
) -> Result<Option<Decimal>, String> {
    match raw {
        None => Ok(None),
        Some(t) => parse_fixed(&t, p, s, target)
            .map(|d| {
                d.map(|mut v| {
                    v.rescale(s);
                    v
                })
            })
            .map_err(|e| e.to_string()),
    }
}

/// A whole-number setting (`max_tokens`).
pub fn whole(raw: Option<String>) -> Result<Option<i32>, String> {
    match raw {
        None => Ok(None),
        Some(t) => super::values::parse_count(&t).map_err(|e| format!("max_tokens: {e}")),
    }
}

/// Checks the text columns of a model entry against their target widths, so an over-long value is a
/// reject rather than a failed transform.
pub fn check_widths(r: &ModelEntryRecord) -> Result<(), (&'static str, String)> {
    let checks = [
        ("provider", Some(r.provider.as_str()), 50),
        ("bedrock_model_id", r.bedrock_model_id.as_deref(), 255),
        ("tokenizer", r.tokenizer_type.as_deref(), 50),
        ("region_name", r.region_name.as_deref(), 50),
    ];
    for (field, value, max) in checks {
        if value.is_some_and(|v| v.chars().count() > max) {
            return Err((field, format!("{field} is longer than {max} characters")));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_in_names() {
        assert_eq!(
            date_in_name("models.2025-11-03.yaml"),
            NaiveDate::from_ymd_opt(2025, 11, 3)
        );
        assert_eq!(date_in_name("models.yaml"), None);
        assert_eq!(date_in_name("models.2025-13-03.yaml"), None);
    }

    fn at(text: &str) -> DateTime<Utc> {
        parse_date(text).unwrap_or_else(|| panic!("{text} is a date"))
    }

    #[test]
    fn a_given_date_wins_then_the_name_then_the_content_then_the_modification_time() {
        let text = "# version: 2025-11-19\nmodels: []\n";
        let mut ctx = FileCtx::for_tests("models.2025-11-06.yaml");
        ctx.modified = Some(at("2026-12-01T10:00:00Z"));
        ctx.given = Some(at("2025-11-20T08:00:00Z"));
        assert_eq!(
            version_date(&ctx, text),
            Some((at("2025-11-20T08:00:00Z"), DatedBy::Given))
        );
        ctx.given = None;
        assert_eq!(
            version_date(&ctx, text),
            Some((at("2025-11-06"), DatedBy::FileName))
        );
        ctx.name = "models.yaml";
        assert_eq!(
            version_date(&ctx, text),
            Some((at("2025-11-19"), DatedBy::Content))
        );
        assert_eq!(
            version_date(&ctx, "models: []\n"),
            Some((at("2026-12-01T10:00:00Z"), DatedBy::ModificationTime))
        );
        ctx.modified = None;
        assert_eq!(version_date(&ctx, "models: []\n"), None);
    }

    #[test]
    fn only_a_leading_version_or_date_comment_dates_the_content() {
        assert_eq!(
            date_in_content(
                "\u{feff}# HEAD of the models\n\n# Date: 2025-11-19T20:44:00+05:30\nx: 1\n"
            ),
            Some(at("2025-11-19T15:14:00Z"))
        );
        assert_eq!(
            date_in_content("\"\"\"doc\"\"\"\n# version: 2025-11-19\n"),
            None
        );
        assert_eq!(date_in_content("models: []\n# version: 2025-11-19\n"), None);
        assert_eq!(date_in_content("# version: 3\n# date: soon\n"), None);
        assert_eq!(date_in_content("# updated: 2025-11-19\n"), None);
    }

    #[test]
    fn a_given_date_names_its_file_as_found_or_relative_to_a_root() {
        let g: GivenDate = "configs/models.yaml=2025-11-19T20:44:00Z"
            .parse()
            .expect("valid");
        assert_eq!(g.at, at("2025-11-19T20:44:00Z"));
        let roots = [PathBuf::from("/drop/legacy_app")];
        assert!(g.names(Path::new("/drop/legacy_app/configs/models.yaml"), &roots));
        assert!(!g.names(
            Path::new("/drop/legacy_app/old/configs/models.yaml"),
            &roots
        ));
        let found: GivenDate = "./drop/configs/models.yaml=2025-11-19"
            .parse()
            .expect("valid");
        assert!(found.names(Path::new("drop/configs/models.yaml"), &[]));
        let file_root: GivenDate = "config.py=2025-10-31".parse().expect("valid");
        let root = [PathBuf::from("/drop/config.py")];
        assert!(file_root.names(Path::new("/drop/config.py"), &root));
        assert!("models.yaml".parse::<GivenDate>().is_err());
        assert!("=2025-11-19".parse::<GivenDate>().is_err());
        assert!("models.yaml=19/11/2025".parse::<GivenDate>().is_err());
    }
}
