//! `bellatrix-migrate history` and `show` against real PostgreSQL: two imports (one a dry run) are
//! listed newest first with their outcomes, counts, files and who ran them; `show` prints an
//! import's stored report as the import printed it, and writes it as JSON and Markdown; an unknown
//! id is exit 2, named; imports recorded before the ledger kept who ran them say "unknown"; and a
//! role holding only what `verify` needs may run both.

mod support;

use support::{cluster, RunOutput, TestDb};

const DROP: &str = "fixtures/drop";
const BAD_ROWS: &str = "fixtures/raw_metrics/bad_rows.csv";

/// A database with two imports: the drop, committed, then the bad-rows file as a dry run. Returns
/// their JSON reports, in that order.
async fn two_imports() -> (TestDb, serde_json::Value, serde_json::Value) {
    let db = TestDb::initialised().await;
    let (out, committed) = db.import(&[DROP], &[]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    let (out, dry_run) = db.import(&[BAD_ROWS], &["--dry-run"]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    (db, committed, dry_run)
}

/// `history --json`, asserting that it succeeded.
fn history_json(db: &TestDb) -> Vec<serde_json::Value> {
    let out = db.run(&["history", "--json"]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    match serde_json::from_str(&out.stdout) {
        Ok(serde_json::Value::Array(entries)) => entries,
        other => panic!("not a JSON array: {other:?}\n{}", out.stdout),
    }
}

/// The paths of a JSON report's files.
fn report_paths(report: &serde_json::Value) -> Vec<serde_json::Value> {
    report["files"]
        .as_array()
        .map(|files| files.iter().map(|f| f["path"].clone()).collect())
        .unwrap_or_default()
}

/// The lines of a report's text without its timing line, which the stored report has as it was
/// when the import recorded it, before the commit.
fn without_timings(text: &str) -> Vec<&str> {
    text.lines().filter(|l| !l.starts_with("time:")).collect()
}

#[tokio::test]
async fn history_lists_both_imports_newest_first_with_outcomes_counts_and_who_ran_them() {
    let (db, committed, dry_run) = two_imports().await;
    let role = db.text("SELECT current_user::text").await;
    let entries = history_json(&db);
    assert_eq!(entries.len(), 2, "{entries:?}");
    let (newest, oldest) = (&entries[0], &entries[1]);
    assert_eq!(newest["id"], dry_run["import_id"], "{newest}");
    assert_eq!(oldest["id"], committed["import_id"], "{oldest}");
    assert_eq!(newest["outcome"], "dry-run");
    assert_eq!(oldest["outcome"], "committed");
    for (entry, report) in [(newest, &dry_run), (oldest, &committed)] {
        for count in ["inserted", "duplicate", "rejected", "updated"] {
            assert_eq!(
                entry["records"][count], report["accounted"][count],
                "{count} of import {}",
                entry["id"]
            );
        }
        let paths: Vec<serde_json::Value> = entry["files"]
            .as_array()
            .map(|files| files.iter().map(|f| f["path"].clone()).collect())
            .unwrap_or_default();
        assert_eq!(paths, report_paths(report));
        assert_eq!(entry["tool_version"], env!("CARGO_PKG_VERSION"));
        assert_eq!(entry["run_by"].as_str(), role.as_deref());
        assert_eq!(entry["application_name"], "bellatrix-migrate");
        let (started, finished) = (entry["started_at"].as_str(), entry["finished_at"].as_str());
        assert!(
            started.is_some_and(|s| s.ends_with('Z')) && started <= finished,
            "UTC times, started before finished: {entry}"
        );
    }
    assert!(
        dry_run["accounted"]["rejected"].as_u64() > Some(0),
        "the bad-rows file rejects rows: {}",
        dry_run["accounted"]
    );
    let kinds: Vec<&str> = newest["files"]
        .as_array()
        .map(|f| f.iter().filter_map(|f| f["kind"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(kinds, ["raw_metrics"]);
}

#[tokio::test]
async fn text_history_names_every_file_and_each_outcome() {
    let (db, committed, dry_run) = two_imports().await;
    let out = db.run(&["history"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout
            .starts_with("bellatrix-migrate history: 2 import(s), newest first"),
        "{}",
        out.stdout
    );
    for report in [&committed, &dry_run] {
        for path in report_paths(report) {
            let path = path.as_str().unwrap_or_default();
            assert!(out.stdout.contains(path), "{path} in:\n{}", out.stdout);
        }
    }
    let outcome_of = |id: &serde_json::Value| {
        let id = id.to_string();
        out.stdout
            .lines()
            .find(|l| l.split_whitespace().next() == Some(&id))
            .and_then(|l| l.split_whitespace().nth(3))
            .map(str::to_owned)
    };
    assert_eq!(
        outcome_of(&committed["import_id"]).as_deref(),
        Some("committed")
    );
    assert_eq!(
        outcome_of(&dry_run["import_id"]).as_deref(),
        Some("dry-run")
    );
}

#[tokio::test]
async fn show_prints_the_report_the_import_printed_and_writes_it_as_json_and_markdown() {
    let db = TestDb::initialised().await;
    let import = db.run(&["import", "--quiet", DROP]);
    assert_eq!(import.code, 0, "{}", import.stderr);
    let id = db
        .text("SELECT max(id)::text FROM bellatrix_migrate.imports")
        .await
        .unwrap_or_default();
    let dir = tempfile::tempdir().expect("a temp dir");
    let (json, md) = (dir.path().join("r.json"), dir.path().join("r.md"));
    let (json_arg, md_arg) = (json.display().to_string(), md.display().to_string());
    let shown = db.run(&["show", &id, "--report", &json_arg, "--report-md", &md_arg]);
    assert_eq!(shown.code, 0, "{}", shown.stderr);
    let printed = import
        .stdout
        .strip_suffix("committed\n")
        .unwrap_or(&import.stdout);
    assert_eq!(without_timings(&shown.stdout), without_timings(printed));
    assert!(shown.stdout.contains(&format!("import id: {id}")));
    let stored: serde_json::Value = std::fs::read_to_string(&json)
        .ok()
        .and_then(|s| serde_json::from_str(&s).ok())
        .unwrap_or_default();
    assert_eq!(stored["import_id"].to_string(), id);
    assert_eq!(stored["outcome"], "committed");
    assert!(
        stored["timings"]["total"].as_f64() > Some(0.0),
        "timed when it was stored: {}",
        stored["timings"]
    );
    let markdown = std::fs::read_to_string(&md).unwrap_or_default();
    assert!(
        markdown.starts_with("# bellatrix-migrate: Import report"),
        "{markdown}"
    );
}

#[tokio::test]
async fn show_of_a_dry_run_names_its_id_and_outcome() {
    let db = TestDb::initialised().await;
    let (out, report) = db.import(&[BAD_ROWS], &["--dry-run"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let id = report["import_id"].to_string();
    let shown = db.run(&["show", &id]);
    assert_eq!(shown.code, 0, "{}", shown.stderr);
    assert!(
        shown.stdout.contains(&format!("import id: {id}")),
        "{}",
        shown.stdout
    );
    assert!(
        shown
            .stdout
            .contains("outcome: dry run: rolled back, production tables unchanged"),
        "{}",
        shown.stdout
    );
}

#[tokio::test]
async fn show_of_an_unknown_id_exits_2_naming_it_and_writes_no_file() {
    let (db, _, _) = two_imports().await;
    let dir = tempfile::tempdir().expect("a temp dir");
    let json = dir.path().join("r.json");
    let out: RunOutput = db.run(&["show", "999", "--report", &json.display().to_string()]);
    assert_eq!(out.code, 2, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stderr
            .contains("error: import 999 is not in the ledger of postgresql://")
            && out
                .stderr
                .contains("`bellatrix-migrate history` lists the imports"),
        "{}",
        out.stderr
    );
    assert!(out.stdout.is_empty(), "{}", out.stdout);
    assert!(
        !json.exists(),
        "no report for an import that does not exist"
    );
    let out = db.run(&["show", "0"]);
    assert_eq!(
        out.code, 2,
        "an id below 1 is a usage error: {}",
        out.stderr
    );
}

#[tokio::test]
async fn imports_recorded_before_the_ledger_kept_who_ran_them_say_unknown() {
    let (db, committed, _) = two_imports().await;
    db.client()
        .await
        .execute(
            "UPDATE bellatrix_migrate.imports SET run_by = NULL, application_name = NULL \
             WHERE id = $1",
            &[&committed["import_id"].as_i64()],
        )
        .await
        .expect("forgetting who ran the first import");
    let entries = history_json(&db);
    assert_eq!(entries[1]["run_by"], serde_json::Value::Null);
    assert_eq!(entries[1]["application_name"], serde_json::Value::Null);
    assert!(entries[0]["run_by"].is_string());
    let out = db.run(&["history"]);
    let id = committed["import_id"].to_string();
    let row = out
        .stdout
        .lines()
        .find(|l| l.split_whitespace().next() == Some(&id))
        .unwrap_or_default();
    let words: Vec<&str> = row.split_whitespace().collect();
    assert!(words.ends_with(&["unknown", "unknown"]), "{row}");
}

#[tokio::test]
async fn a_role_with_the_privileges_of_verify_reads_the_history_and_a_report() {
    let (db, committed, _) = two_imports().await;
    let reader = format!("{}_reader", db.name);
    db.client()
        .await
        .batch_execute(&format!("CREATE ROLE {reader} LOGIN"))
        .await
        .expect("creating a login role");
    let granted = db.run(&["init", "--grant-verify", &reader]);
    assert_eq!(granted.code, 0, "{}", granted.stderr);
    let as_reader = TestDb {
        name: db.name.clone(),
        url: format!(
            "postgresql://{reader}@127.0.0.1:{}/{}",
            cluster().port,
            db.name
        ),
    };
    assert_eq!(history_json(&as_reader).len(), 2);
    let shown = as_reader.run(&["show", &committed["import_id"].to_string()]);
    assert_eq!(shown.code, 0, "{}", shown.stderr);
    let nobody = format!("{}_nobody", db.name);
    db.client()
        .await
        .batch_execute(&format!("CREATE ROLE {nobody} LOGIN"))
        .await
        .expect("creating a login role");
    let refused = TestDb {
        name: db.name.clone(),
        url: as_reader.url.replace(&reader, &nobody),
    }
    .run(&["history"]);
    assert_eq!(refused.code, 2, "{}", refused.stderr);
    assert!(
        refused.stderr.contains("--grant-verify"),
        "{}",
        refused.stderr
    );
}
