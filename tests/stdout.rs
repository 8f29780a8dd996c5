//! `--report -` against real PostgreSQL: `import` (also a dry run), `verify` and `show` write their
//! JSON report to stdout, the same as `--report FILE` would hold for the same run but for its
//! times, ids and database name, and print the text report to stderr instead; `--report-md -` and
//! `--rejects -` write Markdown and CSV there; `history --json` prints JSON alone; two outputs to
//! stdout are exit 2 with nothing done; a run that fails keeps its exit code, with one JSON
//! document on stdout when it got as far as a report and nothing when it did not; a reader that
//! closes stdout early gets exit 3 after a commit, never a panic.

mod support;

use std::io::Read;
use support::{legacy_app_copy, RunOutput, TestDb};

const BAD_ROWS: &str = "fixtures/raw_metrics/bad_rows.csv";

/// The keys of a report that differ between two runs of the same import on two databases: times,
/// the id, the database's name.
const RUN_KEYS: [&str; 5] = [
    "generated_at",
    "timings",
    "import_id",
    "database",
    "connection",
];

/// `report` without `RUN_KEYS` and without the time each check and the similarity step took.
fn without_run_keys(mut report: serde_json::Value) -> serde_json::Value {
    if let Some(object) = report.as_object_mut() {
        for key in RUN_KEYS {
            object.remove(key);
        }
    }
    if let Some(similarity) = report["similarity"].as_object_mut() {
        similarity.remove("seconds");
    }
    if let Some(checks) = report["checks"].as_array_mut() {
        for check in checks {
            if let Some(check) = check.as_object_mut() {
                check.remove("seconds");
            }
        }
    }
    report
}

/// The JSON pointers at which `a` and `b` differ.
fn differences(a: &serde_json::Value, b: &serde_json::Value, at: String) -> Vec<String> {
    use serde_json::Value;
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let mut keys: Vec<&String> = x.keys().chain(y.keys()).collect();
            keys.sort();
            keys.dedup();
            keys.into_iter()
                .flat_map(|k| differences(&a[k], &b[k], format!("{at}/{k}")))
                .collect()
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => x
            .iter()
            .zip(y)
            .enumerate()
            .flat_map(|(i, (p, q))| differences(p, q, format!("{at}/{i}")))
            .collect(),
        _ if a == b => Vec::new(),
        _ => vec![format!("{at}: {a} vs {b}")],
    }
}

/// Asserts that two reports agree but for `RUN_KEYS`, naming where they differ.
fn assert_same_report(a: serde_json::Value, b: serde_json::Value, what: &str) {
    let (a, b) = (without_run_keys(a), without_run_keys(b));
    let diff = differences(&a, &b, String::new());
    assert!(diff.is_empty(), "{what}:\n{}", diff.join("\n"));
}

/// Stdout as one JSON document: the whole of it, nothing before or after (serde_json refuses
/// trailing text).
fn one_json_document(out: &RunOutput) -> serde_json::Value {
    serde_json::from_str(&out.stdout)
        .unwrap_or_else(|e| panic!("stdout is not one JSON document ({e}):\n{}", out.stdout))
}

/// Runs `args` with `--report FILE` added and returns the run and the file's JSON.
fn with_report_file(db: &TestDb, args: &[&str]) -> (RunOutput, serde_json::Value) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("report.json");
    let mut argv = args.to_vec();
    let shown = path.display().to_string();
    argv.extend(["--report", &shown]);
    let out = db.run(&argv);
    let json = std::fs::read_to_string(&path)
        .ok()
        .and_then(|s| serde_json::from_str(&s).ok())
        .unwrap_or(serde_json::Value::Null);
    (out, json)
}

/// The lines of a text report, for comparing two runs: whitespace collapsed (column widths follow
/// the widest cell), the lines that name the run (database, id, start, times) left out, and the
/// seconds of each check masked.
fn text_lines(text: &str) -> Vec<String> {
    const RUN_LINES: [&str; 4] = ["database:", "import id:", "started:", "time:"];
    let seconds = |word: &str| {
        word.split_once('.').is_some_and(|(whole, part)| {
            part.len() == 2
                && [whole, part]
                    .iter()
                    .all(|p| p.bytes().all(|b| b.is_ascii_digit()))
        })
    };
    text.lines()
        .filter(|l| !RUN_LINES.iter().any(|p| l.starts_with(p)))
        .map(|l| {
            l.split_whitespace()
                .map(|w| if seconds(w) { "S" } else { w })
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect()
}

/// Imports the legacy folder twice, each into a fresh database: once with `--report -`, once with
/// `--report FILE`, with `extra`; asserts that the two reports agree and that the text went to
/// stderr the first time, where the second run printed it on stdout.
async fn import_both_ways(extra: &[&str]) -> (RunOutput, serde_json::Value) {
    let legacy = legacy_app_copy();
    let folder = legacy.path().display().to_string();
    let mut args = vec!["import", &folder];
    args.extend_from_slice(extra);
    let to_stdout = TestDb::initialised().await;
    let mut dash = args.clone();
    dash.extend(["--report", "-"]);
    let out = to_stdout.run(&dash);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let from_stdout = one_json_document(&out);
    let to_file = TestDb::initialised().await;
    let (file_out, from_file) = with_report_file(&to_file, &args);
    assert_eq!(file_out.code, 0, "{}", file_out.stderr);
    assert!(
        from_file["accounted"]["inserted"].as_u64() > Some(0),
        "{from_file}"
    );
    assert_same_report(
        from_stdout.clone(),
        from_file,
        "the report on stdout is the one a file gets",
    );
    assert!(from_stdout["import_id"].as_i64() > Some(0), "{from_stdout}");
    // The text report, whole, and the notes are on stderr; stdout has none of them.
    let text = text_lines(&file_out.stdout);
    assert!(text.len() > 10, "{}", file_out.stdout);
    let stderr = text_lines(&out.stderr);
    assert!(
        stderr.windows(text.len()).any(|w| w == text),
        "the text report is on stderr:\n{}\nexpected:\n{}",
        out.stderr,
        file_out.stdout
    );
    assert!(out.stderr.contains("connected to"), "{}", out.stderr);
    assert!(!out.stdout.contains("connected to"), "{}", out.stdout);
    (out, from_stdout)
}

#[tokio::test]
async fn import_report_dash_puts_the_json_on_stdout_and_the_text_on_stderr() {
    let (out, report) = import_both_ways(&[]).await;
    assert_eq!(report["outcome"], "committed", "{report}");
    assert!(out.stderr.ends_with("committed\n"), "{}", out.stderr);
}

#[tokio::test]
async fn a_dry_run_with_report_dash_does_the_same() {
    let (out, report) = import_both_ways(&["--dry-run"]).await;
    assert_eq!(report["mode"], "dry-run", "{report}");
    assert!(
        out.stderr
            .ends_with("dry run: rolled back, production tables unchanged\n"),
        "{}",
        out.stderr
    );
}

#[tokio::test]
async fn verify_and_show_with_report_dash_write_json_to_stdout_and_text_to_stderr() {
    let db = TestDb::initialised().await;
    let legacy = legacy_app_copy();
    let folder = legacy.path().display().to_string();
    let (out, imported) = with_report_file(&db, &["import", "--quiet", &folder]);
    assert_eq!(out.code, 0, "{}", out.stderr);

    // --full: the sample of a sampled check is random; every row makes the two runs comparable.
    let out = db.run(&["verify", "--quiet", "--full", "--report", "-"]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    let verified = one_json_document(&out);
    let (file_out, from_file) = with_report_file(&db, &["verify", "--quiet", "--full"]);
    assert_eq!(file_out.code, 0, "{}", file_out.stderr);
    assert_eq!(verified["mode"], "verify");
    assert_same_report(verified, from_file, "verify's report, both ways");
    assert_eq!(text_lines(&out.stderr), text_lines(&file_out.stdout));

    let id = imported["import_id"].to_string();
    let out = db.run(&["show", &id, "--report", "-"]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    let shown = one_json_document(&out);
    let (file_out, from_file) = with_report_file(&db, &["show", &id]);
    assert_eq!(file_out.code, 0, "{}", file_out.stderr);
    assert_eq!(shown, from_file, "show's stored report, the same both ways");
    assert_eq!(shown["import_id"], imported["import_id"]);
    assert_eq!(out.stderr, file_out.stdout, "the text report, on stderr");

    // --report-md - is the Markdown a file gets.
    let dir = tempfile::tempdir().unwrap();
    let md = dir.path().join("report.md");
    let md_shown = md.display().to_string();
    let to_file = db.run(&["show", &id, "--report-md", &md_shown]);
    assert_eq!(to_file.code, 0, "{}", to_file.stderr);
    let out = db.run(&["show", &id, "--report-md", "-"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(Some(out.stdout), std::fs::read_to_string(&md).ok());
    assert_eq!(out.stderr, to_file.stdout);
}

#[tokio::test]
async fn history_json_prints_one_json_array_and_nothing_else() {
    let db = TestDb::initialised().await;
    let (out, imported) = db.import(&[BAD_ROWS], &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let out = db.run(&["history", "--json"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let history = one_json_document(&out);
    let entries = history.as_array().expect("an array");
    assert_eq!(entries.len(), 1, "{history}");
    assert_eq!(entries[0]["id"], imported["import_id"]);
    assert_eq!(out.stderr, "", "nothing else is said");
}

#[tokio::test]
async fn two_outputs_to_stdout_are_exit_2_before_anything_is_done() {
    let db = TestDb::initialised().await;
    let legacy = legacy_app_copy();
    let folder = legacy.path().display().to_string();
    for (first, second) in [("--report", "--report-md"), ("--report-md", "--rejects")] {
        let out = db.run(&["import", &folder, first, "-", second, "-"]);
        assert_eq!(out.code, 2, "{}{}", out.stdout, out.stderr);
        assert_eq!(out.stdout, "");
        assert_eq!(
            out.stderr,
            format!(
                "error: invalid command line: {first} - and {second} - would both write to \
                 stdout: give one of them a file (a file named - is ./-)\n"
            )
        );
    }
    for command in [&["verify"][..], &["show", "1"]] {
        let mut args = command.to_vec();
        args.extend(["--report", "-", "--report-md", "-"]);
        let out = db.run(&args);
        assert_eq!(out.code, 2, "{command:?}: {}", out.stderr);
        assert!(
            out.stderr.contains("would both write to stdout"),
            "{}",
            out.stderr
        );
    }
    assert_eq!(
        db.count("bellatrix_migrate.imports").await,
        0,
        "nothing ran"
    );
    assert_eq!(db.count("evaluation_metrics").await, 0);
}

#[tokio::test]
async fn a_file_named_dash_is_written_as_dot_slash_dash() {
    let db = TestDb::initialised().await;
    let dir = tempfile::tempdir().unwrap();
    let bad_rows = support::fixture(BAD_ROWS).display().to_string();
    let out = db.run_in(
        dir.path(),
        &["import", "--quiet", &bad_rows, "--report", "./-"],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains("committed"), "the text stays on stdout");
    let written = std::fs::read_to_string(dir.path().join("-")).expect("a file named -");
    let report: serde_json::Value = serde_json::from_str(&written).expect("JSON");
    assert_eq!(report["outcome"], "committed");
}

#[tokio::test]
async fn rejects_dash_puts_the_rejects_csv_on_stdout() {
    let db = TestDb::initialised().await;
    let bad_rows = support::fixture(BAD_ROWS).display().to_string();
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("rejects.csv");
    let shown = csv.display().to_string();
    let (to_file, report) = db.import(&[BAD_ROWS], &["--dry-run", "--rejects", &shown]);
    assert_eq!(to_file.code, 0, "{}", to_file.stderr);
    let out = db.run(&[
        "import",
        "--quiet",
        "--dry-run",
        &bad_rows,
        "--rejects",
        "-",
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(Some(out.stdout.clone()), std::fs::read_to_string(&csv).ok());
    assert!(out.stdout.starts_with("file,line,column,field,reason\n"));
    let rejects = report["rejects_total"].as_u64().expect("a count");
    assert!(rejects > 0);
    assert_eq!(
        u64::try_from(out.stdout.lines().count()).ok(),
        Some(rejects + 1)
    );
    assert!(
        out.stderr.contains("dry run: rolled back"),
        "{}",
        out.stderr
    );
}

#[tokio::test]
async fn a_failed_run_keeps_its_exit_code_with_a_report_or_nothing_on_stdout() {
    // Too many rejects: exit 1, nothing committed, and the report says why.
    let db = TestDb::initialised().await;
    let bad_rows = support::fixture(BAD_ROWS).display().to_string();
    let out = db.run(&["import", &bad_rows, "--max-rejects", "0", "--report", "-"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    let report = one_json_document(&out);
    assert_eq!(
        report["outcome"]
            .as_str()
            .map(|o| o.starts_with("rolled back")),
        Some(true),
        "{report}"
    );
    assert!(
        out.stderr.contains("nothing was committed"),
        "{}",
        out.stderr
    );
    assert_eq!(db.count("evaluation_metrics").await, 0);

    // An error before any report (here: the schema is not there): exit 2 and stdout empty.
    let bare = TestDb::new().await;
    let out = bare.run(&["verify", "--report", "-"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert_eq!(out.stdout, "");
    assert!(out.stderr.contains("is not initialised"), "{}", out.stderr);

    // Another output that fails after the commit: exit 3, and stdout still has the report.
    let out = db.run(&[
        "import",
        &bad_rows,
        "--report-md",
        "/dev/full",
        "--report",
        "-",
    ]);
    assert_eq!(out.code, 3, "{}", out.stderr);
    let report = one_json_document(&out);
    assert_eq!(report["outcome"], "committed", "{report}");
    assert!(
        out.stderr.contains("cannot write /dev/full after import"),
        "{}",
        out.stderr
    );
}

/// Runs the binary with stdout a pipe whose reader is gone before anything is written (as `|
/// head` after its lines), and returns its exit code and stderr.
fn with_stdout_closed(db: &TestDb, args: &[&str]) -> (Option<i32>, String) {
    let mut child = support::bellatrix_command()
        .arg("--database-url")
        .arg(&db.url)
        .args(args)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("running bellatrix-migrate");
    drop(child.stdout.take());
    let mut stderr = String::new();
    if let Some(mut pipe) = child.stderr.take() {
        pipe.read_to_string(&mut stderr).expect("reading stderr");
    }
    let status = child.wait().expect("waiting for bellatrix-migrate");
    (status.code(), stderr)
}

#[tokio::test]
async fn a_reader_that_closes_stdout_early_gets_exit_3_after_a_commit_and_no_panic() {
    let db = TestDb::initialised().await;
    let bad_rows = support::fixture(BAD_ROWS).display().to_string();
    let (code, stderr) =
        with_stdout_closed(&db, &["import", "--quiet", &bad_rows, "--report", "-"]);
    assert_eq!(code, Some(3), "{stderr}");
    assert!(
        stderr.contains("cannot write standard output after import")
            && stderr.contains("was committed"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(db.count("bellatrix_migrate.imports").await, 1, "committed");
    // A dry run commits nothing: the same is exit 2. History's JSON to a closed pipe is not an
    // error (as any listing cut short by `| head`).
    let (code, stderr) = with_stdout_closed(
        &db,
        &["import", "--quiet", "--dry-run", &bad_rows, "--report", "-"],
    );
    assert_eq!(code, Some(2), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    let (code, stderr) = with_stdout_closed(&db, &["history", "--json"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}
