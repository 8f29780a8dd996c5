//! The audit trail against real PostgreSQL: `init`, a committed import, a dry run and a rolled-back
//! import each write one `audit_log` row naming the import, its counts, the tool version and the
//! role; a dry run changes nothing else; a re-import adds its row and no login event; users.json
//! `last_login` values become login events, one per user and instant whatever order the versions
//! arrive in, ledgered and counted like any imported row; and no row holds legacy text.

mod support;

use serde_json::Value;
use std::path::Path;
use support::{fingerprint, production_counts, TestDb};

const DROP: &str = "fixtures/drop";
const BAD_ROWS: &str = "fixtures/raw_metrics/bad_rows.csv";
/// A prompt of fixtures/legacy_app and a response of fixtures/drop: legacy text.
const LEGACY_TEXTS: &[&str] = &[
    "Summarise the maintenance log for pump P-7",
    "The pump log shows no faults.",
];

/// The migrator's own rows of the audit trail, oldest first: (action, details).
async fn actions(db: &TestDb) -> Vec<(String, Value)> {
    db.client()
        .await
        .query(
            "SELECT action, details FROM audit_log \
             WHERE resource_type IN ('bellatrix_migrate.imports', 'bellatrix_migrate.schema_migrations') \
             ORDER BY created_at, action",
            &[],
        )
        .await
        .expect("reading the audit trail")
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect()
}

/// The names of `actions`.
fn names(actions: &[(String, Value)]) -> Vec<&str> {
    actions.iter().map(|(a, _)| a.as_str()).collect()
}

/// The login events, sorted: "username at instant (UTC)".
async fn logins(db: &TestDb) -> Vec<String> {
    db.client()
        .await
        .query(
            "SELECT u.username || ' at ' || to_char(a.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') \
             FROM audit_log a JOIN users u ON u.id = a.user_id \
             WHERE a.action = 'login' AND a.resource_type = 'users' AND a.resource_id = a.user_id \
             ORDER BY 1",
            &[],
        )
        .await
        .expect("reading the login events")
        .iter()
        .map(|r| r.get(0))
        .collect()
}

/// A users.json of `users` (username, email, last_login) in a folder of its own.
fn users_dir(users: &[(&str, &str, Option<&str>)]) -> tempfile::TempDir {
    let dir = tempfile::Builder::new()
        .prefix("bellatrix-audit-")
        .tempdir()
        .expect("a temp dir");
    let map: serde_json::Map<String, Value> = users
        .iter()
        .map(|(name, email, login)| {
            let record = serde_json::json!({
                "email": email,
                "password_hash": "$2b$12$abcdefghijklmnopqrstuuABCDEFGHIJKLMNOPQRSTUVWXYZ01234",
                "created_at": "2025-11-21T18:02:11",
                "last_login": login,
            });
            ((*name).to_owned(), record)
        })
        .collect();
    let text = serde_json::to_string_pretty(&map).expect("users json");
    std::fs::write(dir.path().join("users.json"), text).expect("writing users.json");
    dir
}

fn import(db: &TestDb, dir: &Path) -> Value {
    let (out, report) = db.import_paths(&[dir], &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    report
}

/// Asserts that `verify` passes (reconciliation and the ledger included).
fn verifies(db: &TestDb) {
    let (out, report) = db.verify(&[]);
    assert_eq!(out.code, 0, "{}\n{}", out.stderr, report["checks"]);
}

#[tokio::test]
async fn init_writes_one_row_each_time_it_runs() {
    let db = TestDb::initialised().await;
    let role = db.text("SELECT current_user::text").await;
    let rows = actions(&db).await;
    assert_eq!(names(&rows), ["init"]);
    let details = &rows[0].1;
    assert_eq!(details["outcome"], "applied");
    assert!(
        details["applied"].as_array().is_some_and(|a| !a.is_empty()),
        "{details}"
    );
    assert_eq!(details["tool_version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(details["role"].as_str(), role.as_deref());
    let agent = db.text("SELECT user_agent FROM audit_log").await;
    assert_eq!(
        agent,
        Some(format!("bellatrix-migrate/{}", env!("CARGO_PKG_VERSION")))
    );
    let out = db.run(&["init"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let rows = actions(&db).await;
    assert_eq!(names(&rows), ["init", "init"]);
    assert_eq!(rows[1].1["outcome"], "up-to-date");
    let out = db.run(&["init", "--print-grants", "--grant-import", "loader"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        actions(&db).await.len(),
        2,
        "printing grants records nothing"
    );
}

#[tokio::test]
async fn each_import_dry_run_and_rollback_writes_one_row_with_its_counts() {
    let db = TestDb::initialised().await;
    let (out, committed) = db.import(&[DROP], &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let rows = actions(&db).await;
    assert_eq!(names(&rows), ["init", "legacy_import"]);
    let details = &rows[1].1;
    assert_eq!(details["import_id"], committed["import_id"]);
    assert_eq!(details["outcome"], "committed");
    assert_eq!(details["tool_version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(details["source_records"], committed["source_records"]);
    for count in ["inserted", "duplicate", "rejected", "updated"] {
        assert_eq!(
            details["records"][count], committed["accounted"][count],
            "{count}"
        );
    }
    assert_eq!(
        details["tables"]["evaluation_metrics"]["inserted"],
        committed["tables"]["evaluation_metrics"]["inserted"]
    );
    let id = committed["import_id"].as_i64().expect("an import id");
    let resource = db
        .text(&format!(
            "SELECT (a.resource_id = i.resource_id AND a.user_id IS NULL)::text FROM audit_log a \
             JOIN bellatrix_migrate.imports i ON i.id = {id} WHERE a.action = 'legacy_import'"
        ))
        .await;
    assert_eq!(
        resource.as_deref(),
        Some("true"),
        "the import is the resource"
    );

    // A dry run adds its row and nothing else.
    let (before, counts) = (fingerprint(&db).await, production_counts(&db).await);
    let (out, dry_run) = db.import(&[BAD_ROWS], &["--dry-run"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(fingerprint(&db).await, before);
    assert_eq!(production_counts(&db).await, counts);
    let rows = actions(&db).await;
    assert_eq!(
        names(&rows),
        ["init", "legacy_import", "legacy_import_dry_run"]
    );
    assert_eq!(rows[2].1["import_id"], dry_run["import_id"]);
    assert_eq!(rows[2].1["outcome"], "dry-run");
    assert_eq!(
        rows[2].1["records"]["rejected"],
        dry_run["accounted"]["rejected"]
    );

    // An import the reject limit rolls back is recorded as such, with why.
    let out = db.import(&[BAD_ROWS], &["--max-rejects", "0"]).0;
    assert_ne!(out.code, 0, "the reject limit rolls it back");
    let rows = actions(&db).await;
    assert_eq!(rows.len(), 4, "{:?}", names(&rows));
    assert_eq!(rows[3].0, "legacy_import_rolled_back");
    assert!(
        rows[3].1["reason"]
            .as_str()
            .is_some_and(|r| r.contains("--max-rejects")),
        "{}",
        rows[3].1
    );
    assert_eq!(fingerprint(&db).await, before);

    // A re-import inserts nothing and still has its row.
    let (out, again) = db.import(&[DROP], &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let rows = actions(&db).await;
    assert_eq!(rows.len(), 5);
    assert_eq!(rows[4].0, "legacy_import");
    assert_eq!(rows[4].1["import_id"], again["import_id"]);
    assert_eq!(rows[4].1["records"]["inserted"], 0);
    verifies(&db);
}

#[tokio::test]
async fn last_logins_become_login_events_once_whatever_order_the_versions_arrive_in() {
    let old = users_dir(&[
        (
            "ann",
            "ann@example.test",
            Some("2025-11-22T09:15:00.000001"),
        ),
        ("bob", "bob@example.test", None),
    ]);
    let new = users_dir(&[
        ("ann", "Ann@Example.test", Some("2025-11-25T07:30:00")),
        ("bob", "bob@example.test", Some("2025-11-24T12:00:00")),
    ]);
    let expected = [
        "ann at 2025-11-22 09:15:00.000001",
        "ann at 2025-11-25 07:30:00.000000",
        "bob at 2025-11-24 12:00:00.000000",
    ];
    let forward = TestDb::initialised().await;
    let first = import(&forward, old.path());
    assert_eq!(first["tables"]["audit_log"]["inserted"], 1);
    assert_eq!(logins(&forward).await, expected[..1]);
    let second = import(&forward, new.path());
    assert_eq!(second["tables"]["audit_log"]["inserted"], 2);
    assert_eq!(logins(&forward).await, expected);

    let backward = TestDb::initialised().await;
    let late_new = import(&backward, new.path());
    assert_eq!(late_new["tables"]["audit_log"]["inserted"], 2);
    let late_old = import(&backward, old.path());
    assert_eq!(
        late_old["tables"]["audit_log"]["inserted"], 1,
        "the older version is a duplicate user but a login of its own"
    );
    assert_eq!(logins(&backward).await, expected);
    assert_eq!(fingerprint(&forward).await, fingerprint(&backward).await);

    // Ledgered: the same files again (new bytes, same records) add no event.
    for db in [&forward, &backward] {
        let ledgered = db
            .text(
                "SELECT count(*)::text FROM bellatrix_migrate.row_sources r \
                 JOIN audit_log a ON a.id = r.target_id \
                 WHERE r.target_table = 'audit_log' AND r.kind = 'users_json' AND a.action = 'login'",
            )
            .await;
        assert_eq!(ledgered.as_deref(), Some("3"));
        for dir in [&old, &new] {
            let path = dir.path().join("users.json");
            let text = std::fs::read_to_string(&path).expect("reading users.json");
            std::fs::write(&path, text + "\n").expect("rewriting users.json");
            let again = import(db, dir.path());
            assert_eq!(again["tables"]["audit_log"]["inserted"], 0);
        }
        assert_eq!(logins(db).await, expected);
        verifies(db);
    }
    let provenance = forward
        .text("SELECT details ->> 'source' FROM audit_log WHERE action = 'login' LIMIT 1")
        .await;
    assert_eq!(provenance.as_deref(), Some("users_json"));
}

#[tokio::test]
async fn a_rejected_user_gets_no_login_event() {
    let db = TestDb::initialised().await;
    db.client()
        .await
        .batch_execute(
            "INSERT INTO users (username, email, password_hash) VALUES ('ann', 'ann@app.test', 'db-era-hash')",
        )
        .await
        .expect("a user the app created");
    let dir = users_dir(&[
        ("ann", "ann@example.test", Some("2025-11-22T09:15:00")),
        ("cy", "cy@example.test", Some("2025-11-23T10:00:00")),
    ]);
    let report = import(&db, dir.path());
    assert_eq!(
        report["tables"]["users"]["rejected"], 1,
        "{}",
        report["tables"]
    );
    assert_eq!(logins(&db).await, ["cy at 2025-11-23 10:00:00.000000"]);
    verifies(&db);
}

#[tokio::test]
async fn no_row_of_the_audit_trail_holds_legacy_text() {
    let db = TestDb::initialised().await;
    let dir = support::legacy_app_copy();
    let (out, report) = db.import_paths(&[dir.path()], &["--legacy-timezone", "Asia/Kolkata"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(report["tables"]["audit_log"]["inserted"], 1, "ann's login");
    let (out, _) = db.import(&[DROP], &["--dry-run"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let (out, _) = db.import(&[DROP], &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let trail = db
        .text("SELECT string_agg(to_jsonb(a)::text, E'\\n') FROM audit_log a")
        .await
        .unwrap_or_default();
    for text in LEGACY_TEXTS {
        assert!(!trail.contains(text), "{text:?} is in the audit trail");
    }
    // Nor any prompt or response the imports wrote.
    let leaked = db
        .text(
            "SELECT count(*)::text FROM audit_log a, \
             (SELECT prompt_text AS t FROM prompts UNION SELECT response_text FROM evaluation_metrics \
              UNION SELECT response_text FROM master_model_evaluations) x \
             WHERE length(x.t) > 8 AND position(x.t IN to_jsonb(a)::text) > 0",
        )
        .await;
    assert_eq!(leaked.as_deref(), Some("0"));
    let rows = db
        .text("SELECT string_agg(action, ',' ORDER BY created_at, action) FROM audit_log")
        .await;
    assert_eq!(
        rows.as_deref(),
        Some("login,init,legacy_import,legacy_import_dry_run,legacy_import"),
        "ann logged in before any import ran"
    );
}

#[tokio::test]
async fn a_revert_writes_its_row_keeps_the_trail_and_takes_its_login_events_back() {
    let old = users_dir(&[
        ("ann", "ann@example.test", Some("2025-11-22T09:15:00")),
        ("bob", "bob@example.test", None),
    ]);
    let new = users_dir(&[
        ("ann", "ann@example.test", Some("2025-11-25T07:30:00")),
        ("bob", "bob@example.test", Some("2025-11-24T12:00:00")),
    ]);
    let db = TestDb::initialised().await;
    import(&db, old.path());
    let later = import(&db, new.path())["import_id"]
        .as_i64()
        .expect("an import id");
    assert_eq!(logins(&db).await.len(), 3);

    let id = later.to_string();
    let out = db.run(&["revert", "--quiet", "--dry-run", &id]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert_eq!(
        actions(&db).await.len(),
        3,
        "a dry-run revert records nothing"
    );
    let out = db.run(&["revert", "--quiet", &id]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert_eq!(logins(&db).await, ["ann at 2025-11-22 09:15:00.000000"]);
    let rows = actions(&db).await;
    assert_eq!(
        names(&rows),
        [
            "init",
            "legacy_import",
            "legacy_import",
            "legacy_import_revert"
        ],
        "the reverted import's own row stays"
    );
    let details = &rows[3].1;
    assert_eq!(details["import_id"], later);
    assert_eq!(details["outcome"], "reverted");
    assert_eq!(
        details["steps"]["deleted"]["public.audit_log"], 2,
        "{details}"
    );
    assert_eq!(rows[2].1["import_id"], later);
    verifies(&db);

    // The reverted file again: its events are back, once.
    let again = import(&db, new.path());
    assert_eq!(again["tables"]["audit_log"]["inserted"], 2);
    assert_eq!(logins(&db).await.len(), 3);
    verifies(&db);
}
