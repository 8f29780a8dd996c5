//! The files a run writes and what the report says, against real PostgreSQL: an unwritable
//! `--report`, `--report-md` or `--rejects` ends the run with exit 2 before anything is read,
//! staged or committed (and exit 3 is the one error after a commit); the checks heading counts what
//! the checks array holds; the duplicates heading, its groups and the JSON list agree; progress
//! bars stay out of pipes.

mod support;

use bellatrix_migrate::verify::check_count;
use std::path::{Path, PathBuf};
use support::{legacy_app_copy, production_counts, TestDb};

const DROP: &str = "fixtures/drop";

/// Paths that cannot be created, even by root: in a directory that does not exist, and below a
/// regular file.
fn unwritable(dir: &Path) -> Vec<PathBuf> {
    let file = dir.join("a-file");
    std::fs::write(&file, "").unwrap();
    vec![
        dir.join("missing").join("out"),
        file.join("out"),
        dir.to_path_buf(),
    ]
}

/// Nothing of an import is anywhere: no ledger row (not even a rolled-back one), no staged row, no
/// production row beyond `before` (what `init` seeds).
async fn nothing_written(db: &TestDb, before: &[(String, i64)], what: &str) {
    for table in [
        "bellatrix_migrate.imports",
        "bellatrix_migrate.files",
        "bellatrix_migrate.row_sources",
        "bellatrix_migrate.stage_files",
        "bellatrix_migrate.stage_raw_metrics",
    ] {
        assert_eq!(db.count(table).await, 0, "{what}: {table} is empty");
    }
    assert_eq!(
        production_counts(db).await,
        before,
        "{what}: production tables as they were"
    );
}

#[tokio::test]
async fn an_unwritable_output_path_is_exit_2_with_nothing_read_staged_or_committed() {
    let db = TestDb::initialised().await;
    let before = production_counts(&db).await;
    let dir = tempfile::tempdir().unwrap();
    let drop = support::fixture(DROP).display().to_string();
    for flag in ["--report", "--report-md", "--rejects"] {
        for path in unwritable(dir.path()) {
            let path = path.display().to_string();
            let out = db.run(&["import", "--quiet", flag, &path, &drop]);
            let what = format!("{flag} {path}");
            assert_eq!(out.code, 2, "{what}: {}{}", out.stdout, out.stderr);
            assert!(
                out.stderr
                    .contains(&format!("cannot create {path}, so nothing was read")),
                "{what}: {}",
                out.stderr
            );
            assert!(out.stdout.is_empty(), "{what}: no report: {}", out.stdout);
            nothing_written(&db, &before, &what).await;
        }
    }
    assert_eq!(
        names_in(dir.path()),
        ["a-file"],
        "no temporary file is left behind"
    );
}

/// The names in a directory (to see that no temporary file was left behind).
fn names_in(dir: &std::path::Path) -> Vec<std::ffi::OsString> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect()
}

#[tokio::test]
async fn verify_with_an_unwritable_report_path_is_exit_2_before_checking() {
    let db = TestDb::initialised().await;
    let dir = tempfile::tempdir().unwrap();
    for flag in ["--report", "--report-md"] {
        for path in unwritable(dir.path()) {
            let path = path.display().to_string();
            let out = db.run(&["verify", "--quiet", flag, &path]);
            assert_eq!(out.code, 2, "{flag} {path}: {}", out.stderr);
            assert!(
                out.stderr.contains(&format!("cannot create {path}")),
                "{}",
                out.stderr
            );
            assert!(out.stdout.is_empty(), "no check ran: {}", out.stdout);
        }
    }
}

#[tokio::test]
async fn a_run_that_fails_keeps_an_earlier_report_and_a_good_one_replaces_it_whole() {
    let db = TestDb::initialised().await;
    let before = production_counts(&db).await;
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("report.json");
    std::fs::write(&report, "earlier\n").unwrap();
    let report_arg = report.display().to_string();
    let missing = dir.path().join("missing/report.md").display().to_string();
    let drop = support::fixture(DROP).display().to_string();
    let out = db.run(&[
        "import",
        "--quiet",
        "--report",
        &report_arg,
        "--report-md",
        &missing,
        &drop,
    ]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert_eq!(std::fs::read_to_string(&report).unwrap(), "earlier\n");
    nothing_written(&db, &before, "a failed run").await;

    let out = db.run(&["import", "--quiet", "--report", &report_arg, &drop]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert_eq!(json["outcome"], "committed");
    assert_eq!(
        names_in(dir.path()),
        ["report.json"],
        "no temporary file is left behind"
    );
}

#[tokio::test]
async fn one_file_named_by_two_output_options_is_exit_2() {
    let db = TestDb::initialised().await;
    let before = production_counts(&db).await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out").display().to_string();
    let drop = support::fixture(DROP).display().to_string();
    let out = db.run(&[
        "import",
        "--quiet",
        "--report",
        &path,
        "--rejects",
        &path,
        &drop,
    ]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("is named by two of"), "{}", out.stderr);
    nothing_written(&db, &before, "the same file twice").await;
}

#[tokio::test]
async fn a_report_that_cannot_be_written_after_the_commit_is_exit_3_never_2() {
    let db = TestDb::initialised().await;
    let drop = support::fixture(DROP).display().to_string();
    // /dev/full opens, then refuses every write: the failure comes after the commit.
    let out = db.run(&["import", "--quiet", "--report", "/dev/full", &drop]);
    assert_eq!(out.code, 3, "{}", out.stderr);
    assert!(
        out.stderr.contains("cannot write /dev/full after import")
            && out.stderr.contains("was committed"),
        "{}",
        out.stderr
    );
    let stored: i64 = db
        .client()
        .await
        .query_one(
            "SELECT count(*) FROM bellatrix_migrate.imports WHERE outcome = 'committed' \
             AND report ? 'checks'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(stored, 1, "the committed import keeps its report");
    // A dry run commits nothing, so the same failure is exit 2.
    let out = db.run(&[
        "import",
        "--quiet",
        "--dry-run",
        "--report",
        "/dev/full",
        &drop,
    ]);
    assert_eq!(out.code, 2, "{}", out.stderr);
}

/// The counts of the text heading "checks (14): 12 passed, 0 failed, 1 skipped, 1 informational
/// (...)", from `text` (the terminal report, or the Markdown one with its "## Checks" heading).
fn heading_counts(text: &str) -> [u64; 5] {
    let line = text
        .lines()
        .find_map(|l| {
            l.strip_prefix("checks (")
                .or_else(|| l.strip_prefix("## Checks ("))
        })
        .unwrap_or_else(|| panic!("no checks heading in {text}"));
    let numbers: Vec<u64> = line
        .split(|c: char| !c.is_ascii_digit())
        .filter(|s| !s.is_empty())
        .map(|s| s.parse().unwrap())
        .collect();
    [numbers[0], numbers[1], numbers[2], numbers[3], numbers[4]]
}

/// [total, passed, failed, skipped, informational] from the JSON checks array.
fn array_counts(report: &serde_json::Value) -> [u64; 5] {
    let checks = report["checks"].as_array().unwrap();
    let count = |f: &dyn Fn(&serde_json::Value) -> bool| {
        u64::try_from(checks.iter().filter(|c| f(c)).count()).unwrap()
    };
    let total = count(&|_| true);
    let skipped = count(&|c| c["skipped"] == true);
    let informational = count(&|c| c["skipped"] == false && c["blocking"] == false);
    let passed = count(&|c| c["skipped"] == false && c["blocking"] == true && c["ok"] == true);
    let failed = count(&|c| c["skipped"] == false && c["blocking"] == true && c["ok"] == false);
    assert_eq!(passed + failed + skipped + informational, total);
    [total, passed, failed, skipped, informational]
}

fn json_counts(report: &serde_json::Value) -> [u64; 5] {
    let n = &report["check_counts"];
    ["total", "passed", "failed", "skipped", "informational"].map(|k| n[k].as_u64().unwrap())
}

#[tokio::test]
async fn the_checks_heading_counts_what_the_checks_array_holds() {
    let db = TestDb::initialised().await;
    let dir = legacy_app_copy();
    let md = tempfile::NamedTempFile::new().unwrap();
    let md_path = md.path().display().to_string();
    let (out, report) = db.import_paths(&[dir.path()], &["--report-md", &md_path]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let counts = array_counts(&report);
    // Not vacuous: legacy_app's aggregate file differs from the recomputation (informational).
    assert_eq!(counts[4], 1, "{}", report["checks"]);
    assert_eq!(
        report["check_counts"]["informational_differs"], 1,
        "{}",
        report["check_counts"]
    );
    assert_eq!(heading_counts(&out.stdout), counts, "{}", out.stdout);
    assert_eq!(
        heading_counts(&std::fs::read_to_string(md.path()).unwrap()),
        counts
    );
    assert_eq!(json_counts(&report), counts);
    assert!(
        out.stdout.contains("1 informational (1 differs)"),
        "{}",
        out.stdout
    );
    assert_eq!(counts[0], check_count(true), "one bar step per check");

    // A re-import writes nothing: whole-table checks are skipped, and said so.
    let (again, report) = db.import_paths(&[dir.path()], &[]);
    assert_eq!(again.code, 0, "{}", again.stderr);
    let counts = array_counts(&report);
    assert!(counts[3] > 0, "{}", report["checks"]);
    assert_eq!(heading_counts(&again.stdout), counts, "{}", again.stdout);
    assert_eq!(json_counts(&report), counts);

    // verify reports legacy_aggregates_agree as skipped.
    let (verify, verified) = db.verify(&[]);
    assert_eq!(verify.code, 0, "{}", verify.stdout);
    let counts = array_counts(&verified);
    assert_eq!(counts[3], 1, "{}", verified["checks"]);
    assert_eq!(heading_counts(&verify.stdout), counts, "{}", verify.stdout);
    assert_eq!(json_counts(&verified), counts);
    assert_eq!(counts[0], check_count(false), "one bar step per check");
}

/// The heading total and the sum of the counts of a table of the terminal report: the table under
/// the line starting `heading (`, its count in column `column` (0-based, by white space).
fn table_block(text: &str, heading: &str, column: usize) -> (u64, u64) {
    let opening = format!("{heading} (");
    let mut lines = text.lines().skip_while(|l| !l.starts_with(&opening));
    let title = lines
        .next()
        .unwrap_or_else(|| panic!("no {heading} in {text}"));
    let total = title
        .trim_start_matches(&opening)
        .trim_end_matches(')')
        .parse()
        .unwrap();
    let rows = lines
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        .map(|l| {
            l.split_whitespace()
                .nth(column)
                .and_then(|n| n.parse::<u64>().ok())
                .unwrap_or_else(|| panic!("a {heading} row with a count: {l}"))
        })
        .sum();
    (total, rows)
}

/// The duplicates table: its heading total and the sum of its group counts.
fn duplicates_block(text: &str) -> (u64, u64) {
    table_block(text, "duplicate records", 1)
}

/// Asserts that the report's duplicates agree everywhere; returns the records of files skipped
/// whole.
fn duplicates_agree(out: &support::RunOutput, report: &serde_json::Value, what: &str) -> u64 {
    assert_eq!(out.code, 0, "{what}: {}", out.stderr);
    let total = report["duplicates_total"].as_u64().unwrap();
    let groups = report["duplicate_groups"].as_array().unwrap();
    let grouped: u64 = groups.iter().map(|g| g["count"].as_u64().unwrap()).sum();
    let whole: u64 = groups
        .iter()
        .filter(|g| g["whole_file"] == true)
        .map(|g| g["count"].as_u64().unwrap())
        .sum();
    let listed = u64::try_from(report["duplicates"].as_array().unwrap().len()).unwrap();
    assert!(total > 0, "{what}: not vacuous");
    assert_eq!(total, report["accounted"]["duplicate"], "{what}");
    assert_eq!(grouped, total, "{what}: every duplicate is in one group");
    assert_eq!(
        listed + whole,
        total,
        "{what}: each duplicate read again is paired in the JSON, the others are whole files"
    );
    assert_eq!(
        duplicates_block(&out.stdout),
        (total, total),
        "{what}: the heading and the table's rows: {}",
        out.stdout
    );
    assert!(
        report["duplicates"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["file"].as_str().unwrap().contains("aggregated_metrics")),
        "{what}: legacy aggregate rows are listed too: {}",
        report["duplicates"]
    );
    whole
}

#[tokio::test]
async fn the_duplicates_heading_its_groups_and_the_json_list_agree() {
    let db = TestDb::initialised().await;
    let first = legacy_app_copy();
    let (out, report) = db.import_paths(&[first.path()], &[]);
    duplicates_agree(&out, &report, "a first import");
    // The same folder again, with one raw_metrics file and one aggregate file edited: the other
    // files are skipped whole (same bytes), the edited ones read again and their records paired.
    let second = legacy_app_copy();
    for edited in [
        "data/runs/raw_metrics.csv",
        "Downloads/aggregated_metrics_20251112_093000.csv",
    ] {
        let path = second.path().join(edited);
        let mut text = std::fs::read_to_string(&path).unwrap();
        text.push('\n');
        std::fs::write(&path, text).unwrap();
    }
    let (out, report) = db.import_paths(&[second.path()], &[]);
    let whole = duplicates_agree(&out, &report, "a partial re-import");
    assert!(
        whole > 0,
        "files skipped whole: {}",
        report["duplicate_groups"]
    );
    let import = report["files"]
        .as_array()
        .unwrap()
        .iter()
        .find_map(|f| f["previous_import"].as_i64())
        .unwrap();
    assert!(
        out.stdout
            .contains(&format!("the same bytes as import {import} read")),
        "{}",
        out.stdout
    );
}

#[tokio::test]
async fn progress_bars_stay_out_of_pipes() {
    let db = TestDb::initialised().await;
    let drop = support::fixture(DROP).display().to_string();
    // Without --quiet, stderr is a pipe here: the notes are written, never a bar.
    let out = db.run(&["import", &drop]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stderr.contains("connected to"), "{}", out.stderr);
    for bar in ["read+stage [", "transform [", "checks [", "\r", "\u{1b}["] {
        assert!(!out.stderr.contains(bar), "{bar:?} in {}", out.stderr);
    }
    let verify = db.run(&["verify"]);
    assert_eq!(verify.code, 0, "{}", verify.stdout);
    assert!(!verify.stderr.contains("checks ["), "{}", verify.stderr);
}

/// The rejects table: its heading total and the sum of its reason counts.
fn rejects_block(text: &str) -> (u64, u64) {
    table_block(text, "rejected records", 0)
}

#[tokio::test]
async fn rejects_the_transform_decides_are_in_the_reject_groups_too() {
    let db = TestDb::initialised().await;
    db.insert_users_that_conflict_with_the_fixture().await;
    let (out, report) = db.import(&["fixtures/users_json"], &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let total = report["rejects_total"].as_u64().unwrap();
    assert_eq!(total, 2, "two user conflicts: {}", report["rejects"]);
    let grouped: u64 = report["reject_groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["count"].as_u64().unwrap())
        .sum();
    assert_eq!(grouped, total, "{}", report["reject_groups"]);
    assert_eq!(rejects_block(&out.stdout), (total, total), "{}", out.stdout);
}

#[tokio::test]
async fn the_checks_bar_of_verify_takes_one_step_per_check() {
    let db = TestDb::initialised().await;
    let (out, _) = db.import(&[DROP], &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let bar = bellatrix_migrate::progress::checks(check_count(false), false);
    assert!(bar.is_hidden(), "hidden when asked");
    let mut client = db.client().await;
    let options = bellatrix_migrate::verify::Options {
        sample: None,
        source_root: support::fixture("."),
    };
    let checks = bellatrix_migrate::verify::database_checks(&mut client, &options, &bar)
        .await
        .unwrap();
    assert_eq!(u64::try_from(checks.len()).unwrap(), check_count(false));
    assert_eq!(bar.position(), check_count(false), "one step per check");
    assert!(!bar.is_finished(), "the caller finishes the bar");
}
