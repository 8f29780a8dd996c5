//! `bellatrix-migrate revert` against real PostgreSQL, on `fixtures/legacy_app` split into two
//! imports: reverting the later one gives the database of the earlier one alone (the content of
//! every production table, support::content) even where the later one re-linked, improved, removed
//! or merged rows of the earlier; importing the reverted files again gives both again; a dry run
//! changes nothing and predicts the revert step for step; reverting an import a later one depends
//! on is refused, naming the rows, and changes nothing; and what cannot be reverted says why.

mod support;

use std::path::{Path, PathBuf};
use support::content::{content_rows, differences};
use support::TestDb;

use support::legacy_files::{LOG, PROMPTS, RAW, REST, ROOT_RESULTS, TZ, YAMLS};

/// Configuration and users: the versions of models.yaml, config.py and users.json.
fn config() -> Vec<&'static str> {
    [YAMLS, &REST[..1]].concat()
}

type Content = Vec<(String, Vec<String>)>;

/// Imports `files` of `root` (each import must succeed) and returns its JSON report.
fn import_files(db: &TestDb, root: &Path, files: &[&str]) -> serde_json::Value {
    let paths: Vec<PathBuf> = files.iter().map(|f| root.join(f)).collect();
    let refs: Vec<&Path> = paths.iter().map(PathBuf::as_path).collect();
    let (out, report) = db.import_paths(&refs, &TZ);
    assert_eq!(out.code, 0, "importing {files:?}: {}", out.stderr);
    report
}

/// A fresh database holding the imports of `groups`, in order; their import ids.
async fn imported(root: &Path, groups: &[&[&str]]) -> (TestDb, Vec<i64>) {
    let db = TestDb::initialised().await;
    let ids = groups
        .iter()
        .map(|g| {
            import_files(&db, root, g)["import_id"]
                .as_i64()
                .expect("an import id")
        })
        .collect();
    (db, ids)
}

/// `revert ID --json` plus `extra`: the run and its JSON report (Null when it printed none).
fn revert(db: &TestDb, id: i64, extra: &[&str]) -> (support::RunOutput, serde_json::Value) {
    let id = id.to_string();
    let mut args = vec!["revert", "--quiet", "--json", &id];
    args.extend_from_slice(extra);
    let out = db.run(&args);
    let json = serde_json::from_str(&out.stdout).unwrap_or(serde_json::Value::Null);
    (out, json)
}

fn assert_same(what: &str, expected: &Content, actual: &Content) {
    assert!(
        expected == actual,
        "{what}:\n{}",
        differences(expected, actual)
    );
}

/// The ledger's counts: imports by outcome, row sources, changes, file contents, images.
async fn ledger(db: &TestDb) -> Vec<String> {
    let mut out = Vec::new();
    for query in [
        "SELECT string_agg(id || ':' || outcome, ',' ORDER BY id) FROM bellatrix_migrate.imports",
        "SELECT count(*)::text FROM bellatrix_migrate.row_sources",
        "SELECT count(*)::text FROM bellatrix_migrate.row_changes",
        "SELECT count(*)::text FROM bellatrix_migrate.files",
        "SELECT count(*)::text FROM bellatrix_migrate.config_observations",
        "SELECT count(*)::text FROM bellatrix_migrate.row_images",
    ] {
        out.push(db.text(query).await.unwrap_or_default());
    }
    out
}

/// Reverts `later` (the last import of `groups`) and compares the database with one holding only
/// the imports before it; then imports the reverted files again and compares with all of them.
async fn revert_gives_the_earlier_imports_alone(groups: &[&[&str]]) -> serde_json::Value {
    let dir = support::legacy_app_copy();
    let root = dir.path();
    let (earlier, _) = imported(root, &groups[..groups.len() - 1]).await;
    let expected = content_rows(&earlier).await;
    let (db, ids) = imported(root, groups).await;
    let both = content_rows(&db).await;
    let later = *ids.last().unwrap();

    let (out, report) = revert(&db, later, &[]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert_eq!(report["outcome"], "reverted", "{report}");
    assert_same(
        "after the revert, the database differs from the earlier imports alone",
        &expected,
        &content_rows(&db).await,
    );
    let (out, verified) = db.verify(&[]);
    assert_eq!(
        out.code, 0,
        "verify after the revert: {}\n{verified}",
        out.stderr
    );
    let outcome = db
        .text(&format!(
            "SELECT outcome FROM bellatrix_migrate.imports WHERE id = {later}"
        ))
        .await;
    assert_eq!(outcome.as_deref(), Some("reverted"));

    let again = import_files(&db, root, groups[groups.len() - 1]);
    let inserted: u64 = again["tables"]
        .as_object()
        .unwrap()
        .values()
        .map(|t| t["inserted"].as_u64().unwrap_or(0))
        .sum();
    assert!(
        inserted > 0,
        "importing the reverted files again inserted nothing: {again}"
    );
    assert_same(
        "importing the reverted files again differs from importing both",
        &both,
        &content_rows(&db).await,
    );
    report
}

#[tokio::test]
async fn reverting_prompts_that_relinked_earlier_rows_gives_the_raw_rows_alone() {
    let report = revert_gives_the_earlier_imports_alone(&[RAW, PROMPTS]).await;
    let reinserted = report["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["step"] == "reinserted" && s["table"] == "public.prompts");
    assert!(
        reinserted.is_some_and(|s| s["rows"].as_u64() > Some(0)),
        "the placeholders the prompt files removed come back: {report}"
    );
}

#[tokio::test]
async fn reverting_rows_that_merged_two_models_gives_the_log_and_root_results_alone() {
    let report =
        revert_gives_the_earlier_imports_alone(&[&[LOG, ROOT_RESULTS].concat(), RAW]).await;
    assert!(
        report["steps"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["step"] == "reinserted" && s["table"] == "public.models"),
        "the model merged away comes back: {report}"
    );
}

#[tokio::test]
async fn reverting_the_configuration_and_users_gives_the_data_alone() {
    revert_gives_the_earlier_imports_alone(&[
        &[RAW, PROMPTS, LOG, ROOT_RESULTS].concat(),
        &config(),
    ])
    .await;
}

#[tokio::test]
async fn every_row_an_import_creates_carries_its_id_prefix() {
    let dir = support::legacy_app_copy();
    // What `init` put there (the schema's providers) before any import.
    let seeded = support::production_counts(&TestDb::initialised().await).await;
    let (db, ids) = imported(
        dir.path(),
        &[&[RAW, PROMPTS, LOG, ROOT_RESULTS, &config()[..]].concat()],
    )
    .await;
    let prefix = db
        .text(&format!(
            "SELECT id_prefix FROM bellatrix_migrate.imports WHERE id = {}",
            ids[0]
        ))
        .await
        .expect("the import's prefix");
    for table in bellatrix_migrate::model::report::PRODUCTION_TABLES {
        // The audit trail's own rows take random ids on purpose: a revert keeps them.
        let own = if table == "audit_log" {
            " AND action = 'login'"
        } else {
            ""
        };
        let other = db
            .text(&format!(
                "SELECT count(*)::text FROM {table} WHERE NOT starts_with(id::text, '{prefix}'){own}"
            ))
            .await;
        let before = seeded
            .iter()
            .find(|(t, _)| t == table)
            .map_or(0, |(_, n)| *n);
        assert_eq!(
            other.as_deref(),
            Some(before.to_string().as_str()),
            "{table}"
        );
    }
}

#[tokio::test]
async fn a_dry_run_changes_nothing_and_predicts_the_revert() {
    let dir = support::legacy_app_copy();
    let (db, ids) = imported(dir.path(), &[RAW, PROMPTS]).await;
    let (content, books) = (content_rows(&db).await, ledger(&db).await);
    let (out, dry) = revert(&db, ids[1], &["--dry-run"]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert_eq!(dry["outcome"], "dry-run", "{dry}");
    assert!(
        out.stderr.contains("dry run: rolled back, nothing changed"),
        "{}",
        out.stderr
    );
    assert_same(
        "a dry run changed the database",
        &content,
        &content_rows(&db).await,
    );
    assert_eq!(books, ledger(&db).await, "a dry run changed the ledger");
    let (out, real) = revert(&db, ids[1], &[]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert_eq!(
        dry["steps"], real["steps"],
        "the dry run predicted other steps"
    );
    let deleted: u64 = real["steps"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["step"] == "deleted")
        .map(|s| s["rows"].as_u64().unwrap_or(0))
        .sum();
    assert!(deleted > 0, "{real}");
}

#[tokio::test]
async fn reverting_an_import_a_later_one_depends_on_is_refused_and_changes_nothing() {
    let dir = support::legacy_app_copy();
    let (db, ids) = imported(dir.path(), &[RAW, PROMPTS]).await;
    let (content, books) = (content_rows(&db).await, ledger(&db).await);
    let (out, report) = revert(&db, ids[0], &[]);
    assert_eq!(out.code, 2, "{}{}", out.stdout, out.stderr);
    assert_eq!(
        report,
        serde_json::Value::Null,
        "no report on stdout: {}",
        out.stdout
    );
    assert!(
        out.stderr
            .contains(&format!("import {} is not reverted", ids[0]))
            && out.stderr.contains(&format!("import {} changed", ids[1])),
        "{}",
        out.stderr
    );
    assert_same(
        "a refused revert changed the database",
        &content,
        &content_rows(&db).await,
    );
    assert_eq!(
        books,
        ledger(&db).await,
        "a refused revert changed the ledger"
    );
    // Reverting the later one first, then the earlier, leaves nothing of either.
    for id in [ids[1], ids[0]] {
        let (out, _) = revert(&db, id, &[]);
        assert_eq!(out.code, 0, "revert {id}: {}{}", out.stdout, out.stderr);
    }
    let seeded = support::production_counts(&TestDb::initialised().await).await;
    for ((table, n), (_, before)) in support::production_counts(&db)
        .await
        .into_iter()
        .zip(seeded)
    {
        if table != "audit_log" {
            assert_eq!(
                n, before,
                "{table} after reverting both: what init put there"
            );
        }
    }
}

#[tokio::test]
async fn rows_of_a_later_import_in_a_run_of_the_earlier_refuse_its_revert() {
    let dir = support::legacy_app_copy();
    let root = dir.path();
    let grown = root.join("data/runs/raw_metrics.csv");
    let whole = std::fs::read(&grown).unwrap();
    let db = TestDb::initialised().await;
    std::fs::write(
        &grown,
        support::first_csv_records("fixtures/legacy_app/data/runs/raw_metrics.csv", 3),
    )
    .unwrap();
    let first = import_files(&db, root, RAW)["import_id"].as_i64().unwrap();
    std::fs::write(&grown, whole).unwrap();
    import_files(&db, root, RAW);
    let (out, _) = revert(&db, first, &[]);
    assert_eq!(out.code, 2, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stderr.contains("  references (") || out.stderr.contains("  duplicates ("),
        "{}",
        out.stderr
    );
}

#[tokio::test]
async fn what_cannot_be_reverted_says_why() {
    let dir = support::legacy_app_copy();
    let db = TestDb::initialised().await;
    let committed = import_files(&db, dir.path(), RAW)["import_id"]
        .as_i64()
        .unwrap();
    let paths = [dir.path().join(PROMPTS[0])];
    let (out, dry) = db.import_paths(&[paths[0].as_path()], &["--dry-run"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let dry_run = dry["import_id"].as_i64().unwrap();
    let (out, _) = revert(&db, dry_run, &[]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("it did not commit (dry-run)"),
        "{}",
        out.stderr
    );
    let (out, _) = revert(&db, 999, &[]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("import 999 is not in the ledger"),
        "{}",
        out.stderr
    );
    let (out, _) = revert(&db, committed, &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let (out, _) = revert(&db, committed, &[]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("reverted already"), "{}", out.stderr);
    let history = db.run(&["history", "--json"]);
    let entries: serde_json::Value = serde_json::from_str(&history.stdout).unwrap();
    assert_eq!(entries[1]["outcome"], "reverted", "{entries}");
}
