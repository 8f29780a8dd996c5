//! End-to-end: a later users.json whose user logged in since updates that user, whatever order the
//! files arrive in; an older or equal version is a duplicate; a different person with a taken
//! username stays a conflict; naive users.json times are counted in `naive_timestamps`.

mod support;

use serde_json::Value;
use std::path::Path;
use support::{report_file, TestDb};

const ANN_HASH: &str = "$2b$12$abcdefghijklmnopqrstuuABCDEFGHIJKLMNOPQRSTUVWXYZ01234";
const ANN_NEW_HASH: &str = "$2b$12$NEWNEWNEWNEWNEWNEWNEWuABCDEFGHIJKLMNOPQRSTUVWXYZ01234";
const BOB_HASH: &str = "$2b$12$zyxwvutsrqponmlkjihgfeeZYXWVUTSRQPONMLKJIHGFEDCBA./98";

/// A users.json of `users` (username, email, hash, created_at, last_login), written into its own
/// folder so that two versions can be imported apart.
fn users_dir(users: &[(&str, &str, &str, &str, Option<&str>)]) -> tempfile::TempDir {
    let dir = tempfile::Builder::new()
        .prefix("bellatrix-users-")
        .tempdir()
        .expect("a temp dir");
    let map: serde_json::Map<String, Value> = users
        .iter()
        .map(|(name, email, hash, created, login)| {
            (
                (*name).to_owned(),
                serde_json::json!({
                    "email": email,
                    "password_hash": hash,
                    "created_at": created,
                    "last_login": login,
                }),
            )
        })
        .collect();
    let text = serde_json::to_string_pretty(&map).expect("users json");
    std::fs::write(dir.path().join("users.json"), text).expect("writing users.json");
    dir
}

/// The fixture's two users as the app wrote them on 2025-11-22.
fn older() -> tempfile::TempDir {
    users_dir(&[
        (
            "ann",
            "ann@example.test",
            ANN_HASH,
            "2025-11-21T18:02:11.123456",
            Some("2025-11-22T09:15:00.000001"),
        ),
        (
            "bob",
            "bob@example.test",
            BOB_HASH,
            "2025-11-21T19:30:00",
            None,
        ),
    ])
}

/// The same users a few days later: ann logged in again and changed her password, the email's
/// case changed; bob is as before.
fn newer() -> tempfile::TempDir {
    users_dir(&[
        (
            "ann",
            "Ann@Example.test",
            ANN_NEW_HASH,
            "2025-11-21T18:02:11.123456",
            Some("2025-11-25T07:30:00"),
        ),
        (
            "bob",
            "bob@example.test",
            BOB_HASH,
            "2025-11-21T19:30:00",
            None,
        ),
    ])
}

/// (records, inserted, updated, duplicate, rejected) of the run's users.json.
fn outcome(report: &Value) -> (i64, i64, i64, i64, i64) {
    let f = report_file(report, "users.json");
    let n = |k: &str| f[k].as_i64().unwrap_or(-1);
    (
        n("records"),
        n("inserted"),
        n("updated"),
        n("duplicate"),
        n("rejected"),
    )
}

fn import(db: &TestDb, dir: &Path) -> Value {
    let (out, report) = db.import_paths(&[dir], &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    report
}

/// Every column of every user in username order, but its id, when the row was last written
/// (`updated_at`) and which file it came from (`metadata.source`, `legacy_source`).
async fn users_table(db: &TestDb) -> Option<String> {
    db.text(
        "SELECT string_agg(concat_ws('|', username, email, password_hash, is_active, is_admin, \
         created_at AT TIME ZONE 'UTC', last_login AT TIME ZONE 'UTC', \
         metadata - 'source' - 'legacy_source'), E'\\n' ORDER BY username) FROM users",
    )
    .await
}

#[tokio::test]
async fn a_later_users_json_updates_the_user_who_logged_in_since() {
    let db = TestDb::initialised().await;
    let (old, new) = (older(), newer());
    let first = import(&db, old.path());
    assert_eq!(outcome(&first), (2, 2, 0, 0, 0));

    let second = import(&db, new.path());
    assert_eq!(
        outcome(&second),
        (2, 0, 1, 1, 0),
        "ann updated, bob unchanged"
    );
    assert_eq!(second["tables"]["users"]["updated"], 1);
    assert_eq!(second["tables"]["users"]["inserted"], 0);
    assert_eq!(second["accounted"]["updated"], 1);
    assert_eq!(
        second["accounted"]["inserted"].as_i64().unwrap()
            + second["accounted"]["updated"].as_i64().unwrap()
            + second["accounted"]["duplicate"].as_i64().unwrap()
            + second["accounted"]["rejected"].as_i64().unwrap(),
        second["source_records"].as_i64().unwrap()
    );
    let ann = db
        .text(
            "SELECT concat_ws(' ', email, password_hash, last_login AT TIME ZONE 'UTC', \
             (updated_at > now() - interval '1 hour')::text, metadata->'source'->>'file') \
             FROM users WHERE username = 'ann'",
        )
        .await;
    let newer_file = new.path().join("users.json").display().to_string();
    assert_eq!(
        ann.as_deref(),
        Some(
            format!("Ann@Example.test {ANN_NEW_HASH} 2025-11-25 07:30:00 true {newer_file}")
                .as_str()
        ),
        "the newer version wins every column it carries; updated_at is the import's time"
    );
    assert_eq!(db.count("users").await, 2);
    let ledger = db
        .text(
            "SELECT count(*)::text || ' ' || count(DISTINCT target_id)::text \
             FROM bellatrix_migrate.row_sources WHERE target_table = 'users'",
        )
        .await;
    assert_eq!(
        ledger.as_deref(),
        Some("3 2"),
        "both versions of ann point at her"
    );
    let (out, verify) = db.verify(&[]);
    assert_eq!(out.code, 0, "{}\n{}", out.stderr, verify["checks"]);

    // Re-running changes nothing, the same bytes (skipped whole) or the same records in new bytes.
    let table = users_table(&db).await;
    let third = import(&db, new.path());
    assert_eq!(third["tables"]["users"]["updated"], 0);
    std::fs::write(
        new.path().join("users.json"),
        std::fs::read_to_string(new.path().join("users.json")).unwrap() + "\n",
    )
    .unwrap();
    let fourth = import(&db, new.path());
    assert_eq!(outcome(&fourth), (2, 0, 0, 2, 0));
    let fifth = import(&db, old.path());
    assert_eq!(fifth["tables"]["users"]["updated"], 0);
    assert_eq!(users_table(&db).await, table);
}

#[tokio::test]
async fn the_order_of_arrival_does_not_change_the_users_table() {
    let forward = TestDb::initialised().await;
    let backward = TestDb::initialised().await;
    let (old, new) = (older(), newer());
    import(&forward, old.path());
    import(&forward, new.path());

    assert_eq!(outcome(&import(&backward, new.path())), (2, 2, 0, 0, 0));
    let late_old = import(&backward, old.path());
    assert_eq!(
        outcome(&late_old),
        (2, 0, 0, 2, 0),
        "the older version is superseded, not an update"
    );
    let dups: Vec<(String, i64)> = late_old["duplicates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["of_file"].as_str().unwrap().to_owned(),
                d["of_line"].as_i64().unwrap(),
            )
        })
        .collect();
    assert!(
        dups.iter()
            .all(|(file, line)| file.starts_with(new.path().to_str().unwrap()) && *line > 0),
        "duplicates of the newer file's users: {dups:?}"
    );
    assert_eq!(users_table(&forward).await, users_table(&backward).await);
    let (out, verify) = backward.verify(&[]);
    assert_eq!(out.code, 0, "{}\n{}", out.stderr, verify["checks"]);
}

#[tokio::test]
async fn within_one_import_the_latest_login_wins() {
    let db = TestDb::initialised().await;
    let (old, new) = (older(), newer());
    let (out, report) = db.import_paths(&[new.path(), old.path()], &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(report["tables"]["users"]["inserted"], 2);
    assert_eq!(report["tables"]["users"]["updated"], 0);
    assert_eq!(report["accounted"]["duplicate"], 2);
    let ann = db
        .text("SELECT password_hash FROM users WHERE username = 'ann'")
        .await;
    assert_eq!(ann.as_deref(), Some(ANN_NEW_HASH));
    let apart = TestDb::initialised().await;
    import(&apart, old.path());
    import(&apart, new.path());
    assert_eq!(users_table(&db).await, users_table(&apart).await);
}

#[tokio::test]
async fn a_different_person_with_a_taken_username_stays_a_conflict() {
    let db = TestDb::initialised().await;
    import(&db, older().path());
    let stranger = users_dir(&[(
        "ann",
        "someone.else@example.test",
        ANN_NEW_HASH,
        "2025-11-23T10:00:00",
        Some("2025-11-30T10:00:00"),
    )]);
    let report = import(&db, stranger.path());
    assert_eq!(outcome(&report), (1, 0, 0, 0, 1));
    assert_eq!(report["rejects"][0]["field"], "username");
    let ann = db
        .text("SELECT email || ' ' || password_hash FROM users WHERE username = 'ann'")
        .await;
    assert_eq!(
        ann.as_deref(),
        Some(format!("ann@example.test {ANN_HASH}").as_str())
    );
}

#[tokio::test]
async fn a_user_the_app_created_is_never_updated_from_a_file() {
    let db = TestDb::initialised().await;
    db.client()
        .await
        .batch_execute(
            "INSERT INTO users (username, email, password_hash) \
             VALUES ('ann', 'ann@example.test', 'db-era-hash')",
        )
        .await
        .unwrap();
    let report = import(&db, older().path());
    assert_eq!(outcome(&report), (2, 1, 0, 0, 1));
    let ann = db
        .text("SELECT password_hash FROM users WHERE username = 'ann'")
        .await;
    assert_eq!(ann.as_deref(), Some("db-era-hash"));
}

#[tokio::test]
async fn naive_users_json_and_log_times_are_counted() {
    let db = TestDb::initialised().await;
    let dir = users_dir(&[
        (
            "ann",
            "ann@example.test",
            ANN_HASH,
            "2025-11-21T18:02:11.123456",
            Some("2025-11-22T09:15:00Z"),
        ),
        (
            "bob",
            "bob@example.test",
            BOB_HASH,
            "2025-11-21T19:30:00",
            Some("2025-11-22T10:00:00"),
        ),
    ]);
    // A Bedrock log entry stamped with a naive time is counted too; one with a zone is not.
    let log = dir.path().join("invocations.jsonl");
    let entry = |time: &str, text: &str| {
        serde_json::json!({
            "timestamp": time, "modelId": "amazon.titan-text-premier-v1", "operation": "InvokeModel",
            "input": {"inputBodyJson": {"inputText": text}}, "output": {"outputBodyJson": {}},
        })
        .to_string()
    };
    std::fs::write(
        &log,
        entry("2025-10-01T00:00:31", "Check the pump")
            + "\n"
            + &entry("2025-10-01T00:00:32Z", "Check the valve")
            + "\n",
    )
    .unwrap();
    let (out, report) = db.import_paths(&[dir.path()], &["--legacy-timezone", "Asia/Kolkata"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        report_file(&report, "invocations.jsonl")["kind"],
        "bedrock_log"
    );
    let naive = &report["naive_timestamps"];
    assert_eq!(naive["rows"], 3, "{naive}");
    assert_eq!(naive["values"], 4, "{naive}");
    let files: Vec<(String, i64, i64)> = naive["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let name = f["file"].as_str().unwrap();
            let name = name.rsplit('/').next().unwrap().to_owned();
            (
                name,
                f["rows"].as_i64().unwrap(),
                f["values"].as_i64().unwrap(),
            )
        })
        .collect();
    let mut files = files;
    files.sort();
    assert_eq!(
        files,
        vec![
            ("invocations.jsonl".to_owned(), 1, 1),
            ("users.json".to_owned(), 2, 3)
        ]
    );
    let fields = db
        .text(
            "SELECT string_agg(username || ':' || (metadata->'timestamp_zone_assumed')::text, ' ' \
             ORDER BY username) FROM users",
        )
        .await;
    assert_eq!(
        fields.as_deref(),
        Some(r#"ann:["created_at"] bob:["created_at", "last_login"]"#)
    );
}
