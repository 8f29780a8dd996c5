//! End-to-end: a raw_metrics file that grew by appends is read from where the content an earlier
//! import read ends (the ledger's size and SHA-256 prove the prefix unchanged), landing exactly the
//! rows, lines and byte offsets a read of the whole file would; anything else is read completely.
//! And verify's fidelity sample seeks to each row's byte offset.

mod support;

use std::collections::BTreeMap;
use std::path::Path;
use support::content::{content_rows, differences};
use support::{check, failed_detail, fixture, TestDb};

/// The bytes of `relative` up to the end of its first `n` data records (with their line endings).
fn first_records(relative: &str, n: usize) -> Vec<u8> {
    support::first_csv_records(relative, n + 1)
}

/// Each raw_metrics row of the ledger by natural key: its file, line, byte offset and the stored
/// row's metadata (which names file, line and line ending).
async fn ledger_rows(db: &TestDb) -> BTreeMap<String, (String, i64, Option<i64>, String)> {
    let client = db.client().await;
    client
        .query(
            "SELECT rs.source_key, rs.file, rs.line, rs.byte_offset, \
                    COALESCE(em.metadata, mm.metadata)::text \
             FROM bellatrix_migrate.row_sources rs \
             LEFT JOIN evaluation_metrics em ON em.id = rs.target_id \
             LEFT JOIN master_model_evaluations mm ON mm.id = rs.target_id \
             WHERE rs.kind = 'raw_metrics' AND rs.target_table <> 'prompts'",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), (r.get(1), r.get(2), r.get(3), r.get(4))))
        .collect()
}

fn import(db: &TestDb, path: &Path) -> serde_json::Value {
    let (out, report) = db.import_paths(&[path], &[]);
    assert_eq!(out.code, 0, "{}\n{}", out.stderr, out.stdout);
    report
}

/// Imports the first `n` records of `relative`, then the whole file at the same path; returns the
/// second report, and checks the database against one import of the whole file.
async fn grow(relative: &str, n: usize) -> (TestDb, tempfile::TempDir, serde_json::Value) {
    let db = TestDb::initialised().await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("raw_metrics.csv");
    std::fs::write(&path, first_records(relative, n)).unwrap();
    import(&db, &path);
    std::fs::copy(fixture(relative), &path).unwrap();
    let report = import(&db, &path);

    let whole = TestDb::initialised().await;
    import(&whole, &path);
    assert_eq!(
        ledger_rows(&db).await,
        ledger_rows(&whole).await,
        "{relative}: the rows, lines and offsets of a read of the whole file"
    );
    let (grown, read_whole) = (content_rows(&db).await, content_rows(&whole).await);
    assert!(
        grown == read_whole,
        "{relative}: {}",
        differences(&grown, &read_whole)
    );
    (db, dir, report)
}

#[tokio::test]
async fn a_grown_file_is_read_from_where_its_imported_prefix_ends() {
    for (relative, n) in [
        ("fixtures/raw_metrics/value_spellings.csv", 5),
        // Multi-line quoted fields, CRLF and LF records mixed.
        ("fixtures/raw_metrics/mixed_crlf_lf.csv", 2),
        // The doubled-backslash window, where a CRLF earlier in the file decides.
        ("fixtures/raw_metrics/doubled_backslashes.csv", 2),
        // No CRLF at all: rows of the window are halved and marked ambiguous.
        ("fixtures/raw_metrics/doubled_backslashes_lf_only.csv", 1),
    ] {
        let (db, dir, report) = grow(relative, n).await;
        let file = &report["files"][0];
        let total = csv::ReaderBuilder::new()
            .has_headers(true)
            .from_path(fixture(relative))
            .unwrap()
            .byte_records()
            .count() as u64;
        assert_eq!(
            file["resumed"]["records"], n as u64,
            "{relative}: {report:#}"
        );
        assert_eq!(
            file["resumed"]["bytes"],
            first_records(relative, n).len() as u64
        );
        assert_eq!(
            file["records"],
            total - n as u64,
            "only the appended records are read"
        );
        assert_eq!(file["status"], "new");
        assert_eq!(report["accounted"]["duplicate"], 0, "{relative}");
        assert_eq!(
            file["sha256"],
            hex_sha256(&std::fs::read(fixture(relative)).unwrap()),
            "the whole file's SHA-256, though the prefix was not read again"
        );
        assert_eq!(check(&report, "reconciliation")["ok"], true);

        // The grown content is now in the ledger with all its records: a re-run reads nothing.
        let again = import(&db, &dir.path().join("raw_metrics.csv"));
        let file = &again["files"][0];
        assert_eq!(file["status"], "already-imported", "{relative}");
        assert_eq!(file["records"], total);
        assert_eq!(again["accounted"]["inserted"], 0);
        assert_eq!(check(&again, "reconciliation")["ok"], true);
        for how in ["--full", "--sample=1"] {
            let (out, verified) = db.verify(&[how]);
            assert_eq!(out.code, 0, "{relative} {how}: {verified:#}");
        }
    }
}

fn hex_sha256(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

#[tokio::test]
async fn an_appended_record_that_repeats_a_row_of_the_prefix_is_a_duplicate() {
    let db = TestDb::initialised().await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("raw_metrics.csv");
    let relative = "fixtures/raw_metrics/value_spellings.csv";
    let old = first_records(relative, 5);
    std::fs::write(&path, &old).unwrap();
    import(&db, &path);
    // The app wrote the second record again, and then a new one.
    let (one, two) = (first_records(relative, 1), first_records(relative, 2));
    let mut grown = old.clone();
    grown.extend_from_slice(&two[one.len()..]);
    grown.extend_from_slice(&first_records(relative, 6)[old.len()..]);
    std::fs::write(&path, &grown).unwrap();
    let report = import(&db, &path);
    let file = &report["files"][0];
    assert_eq!(file["resumed"]["records"], 5, "{report:#}");
    assert_eq!(
        (&file["records"], &file["inserted"], &file["duplicate"]),
        (
            &serde_json::json!(2),
            &serde_json::json!(1),
            &serde_json::json!(1)
        )
    );
    let group = &report["duplicate_groups"][0];
    assert_eq!(
        group["of_import"], 1,
        "the duplicate repeats the first import's row"
    );
    assert_eq!(db.count("evaluation_metrics").await, 6);
}

#[tokio::test]
async fn the_text_report_says_a_file_was_resumed() {
    let db = TestDb::initialised().await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("raw_metrics.csv");
    let relative = "fixtures/raw_metrics/value_spellings.csv";
    std::fs::write(&path, first_records(relative, 5)).unwrap();
    import(&db, &path);
    std::fs::copy(fixture(relative), &path).unwrap();
    let out = db.run(&["import", &path.display().to_string()]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout.contains("grew by appends; read from byte"),
        "{}",
        out.stdout
    );
}

#[tokio::test]
async fn a_prefix_changed_by_one_byte_or_cut_without_a_line_end_is_read_completely() {
    let relative = "fixtures/raw_metrics/value_spellings.csv";
    let whole = std::fs::read(fixture(relative)).unwrap();
    let prefix = first_records(relative, 5);
    let mut changed = prefix.clone();
    // A digit of the first record's latency: the same row count, another content.
    let at = changed.len() - 40;
    changed[at] = if changed[at] == b'1' { b'2' } else { b'1' };
    let cut = prefix[..prefix.len() - 1].to_vec();
    for (what, old) in [("changed", changed), ("without its line end", cut)] {
        let db = TestDb::initialised().await;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("raw_metrics.csv");
        std::fs::write(&path, &old).unwrap();
        import(&db, &path);
        std::fs::write(&path, &whole).unwrap();
        let report = import(&db, &path);
        let file = &report["files"][0];
        assert!(file.get("resumed").is_none(), "{what}: {report:#}");
        assert_eq!(
            file["records"], report["source_records"],
            "{what}: every record of the file is read"
        );
        assert!(
            report["accounted"]["duplicate"].as_u64().unwrap() >= 4,
            "{what}"
        );
        assert_eq!(check(&report, "reconciliation")["ok"], true);
    }
}

#[tokio::test]
async fn the_grown_file_first_and_then_its_old_version_give_the_same_database() {
    let relative = "fixtures/raw_metrics/mixed_crlf_lf.csv";
    let (forward, dir, _) = grow(relative, 2).await;
    let path = dir.path().join("raw_metrics.csv");
    let backward = TestDb::initialised().await;
    import(&backward, &path);
    std::fs::write(&path, first_records(relative, 2)).unwrap();
    let report = import(&backward, &path);
    assert!(report["files"][0].get("resumed").is_none());
    assert_eq!(report["accounted"]["inserted"], 0);
    let (a, b) = (content_rows(&forward).await, content_rows(&backward).await);
    assert!(a == b, "{}", differences(&a, &b));
    assert_eq!(ledger_rows(&forward).await, ledger_rows(&backward).await);
}

/// A synthetic file of 60 rows imported: few enough that even `--full` compares each by seeking to
/// its offset (the sample is random, `--full` is not).
async fn sampled() -> (TestDb, tempfile::TempDir) {
    let db = TestDb::initialised().await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("raw_metrics.csv");
    support::write_synthetic_raw_metrics(&path, 60);
    import(&db, &path);
    (db, dir)
}

#[tokio::test]
async fn a_fidelity_check_of_few_rows_seeks_to_each_rows_byte_offset() {
    let (db, _dir) = sampled().await;
    let client = db.client().await;
    // Lines the ledger names wrongly: a sample read by line would miss every row; one that seeks
    // to the offsets finds them all.
    client
        .batch_execute("UPDATE bellatrix_migrate.row_sources SET line = line + 1000")
        .await
        .unwrap();
    let (out, report) = db.verify(&["--full"]);
    assert_eq!(out.code, 0, "{}", failed_detail(&report, "text_fidelity"));
    let detail = check(&report, "text_fidelity")["detail"].as_str().unwrap();
    assert!(detail.starts_with("60 rows compared"), "{detail}");

    // A production value changed behind the migrator's back is found at its offset.
    client
        .batch_execute(
            "UPDATE evaluation_metrics SET response_text = response_text || 'x' \
             WHERE response_text IS NOT NULL",
        )
        .await
        .unwrap();
    let (out, report) = db.verify(&["--full"]);
    assert_ne!(out.code, 0);
    assert_eq!(check(&report, "text_fidelity")["ok"], false, "{report:#}");
}

#[tokio::test]
async fn an_offset_that_no_longer_yields_its_row_in_an_unchanged_file_fails() {
    let (db, _dir) = sampled().await;
    db.client()
        .await
        .batch_execute("UPDATE bellatrix_migrate.row_sources SET byte_offset = byte_offset + 1")
        .await
        .unwrap();
    let (out, report) = db.verify(&["--full"]);
    assert_ne!(out.code, 0);
    let detail = failed_detail(&report, "text_fidelity");
    assert!(detail.contains("though the file is unchanged"), "{detail}");
}

#[tokio::test]
async fn rows_imported_without_byte_offsets_are_compared_by_reading_the_file() {
    let (db, _dir) = sampled().await;
    db.client()
        .await
        .batch_execute("UPDATE bellatrix_migrate.row_sources SET byte_offset = NULL")
        .await
        .unwrap();
    let (out, report) = db.verify(&["--sample", "5"]);
    assert_eq!(out.code, 0, "{}", failed_detail(&report, "text_fidelity"));
    let (out, report) = db.verify(&["--full"]);
    assert_eq!(out.code, 0, "{}", failed_detail(&report, "text_fidelity"));
}
