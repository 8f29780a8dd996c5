//! Least privilege against real PostgreSQL: a schema owner that is not a superuser runs `init` and
//! `init --grant-import ROLE`; that role, holding only those grants, imports a drop that the owner
//! bulk-loads, by the ordinary path and saying why, to the same rows; a role without the grants is
//! refused before anything is read, naming the privilege; `init` and `revert` refuse a role that is
//! not the owner, and the owner (no superuser) reverts the importer's import.

mod support;

use support::{cluster, connect, fingerprint, write_synthetic_raw_metrics, TestDb};

const LEGACY_APP: &str = "fixtures/legacy_app";

/// A test database owned by a new login role (not a superuser), with more login roles beside it.
/// Role names are cluster-wide, so each carries the database's name.
struct Roles {
    /// The database, as the superuser sees it.
    admin: TestDb,
    owner: TestDb,
}

impl Roles {
    async fn new() -> Roles {
        let admin = TestDb::new().await;
        let owner = format!("{}_owner", admin.name);
        admin
            .client()
            .await
            .batch_execute(&format!(
                "CREATE ROLE {owner} LOGIN; ALTER DATABASE {} OWNER TO {owner};",
                admin.name
            ))
            .await
            .expect("creating the owner role");
        let owner = as_role(&admin, &owner);
        Roles { admin, owner }
    }

    /// Creates login role `<db>_<suffix>` and returns it and the database as that role sees it.
    async fn login(&self, suffix: &str) -> (String, TestDb) {
        let role = format!("{}_{suffix}", self.admin.name);
        self.admin
            .client()
            .await
            .batch_execute(&format!("CREATE ROLE {role} LOGIN"))
            .await
            .expect("creating a login role");
        let db = as_role(&self.admin, &role);
        (role, db)
    }

    /// Rows in the import ledger, counted by the superuser.
    async fn imports(&self) -> i64 {
        self.admin.count("bellatrix_migrate.imports").await
    }
}

/// The same database reached as `role` (the test cluster trusts every local TCP connection).
fn as_role(db: &TestDb, role: &str) -> TestDb {
    TestDb {
        name: db.name.clone(),
        url: format!(
            "postgresql://{role}@127.0.0.1:{}/{}",
            cluster().port,
            db.name
        ),
    }
}

/// A synthetic raw_metrics.csv of 300 rows in a temp dir, shared by the runs that compare results
/// (the source path is part of every row's metadata).
fn synthetic_drop() -> (tempfile::TempDir, String) {
    let dir = tempfile::Builder::new()
        .prefix("bellatrix-privileges-")
        .tempdir()
        .expect("a temp dir");
    let path = dir.path().join("raw_metrics.csv");
    write_synthetic_raw_metrics(&path, 300);
    let path = path.display().to_string();
    (dir, path)
}

fn init(db: &TestDb, extra: &[&str]) -> support::RunOutput {
    let mut args = vec!["init"];
    args.extend_from_slice(extra);
    let out = db.run(&args);
    assert_eq!(out.code, 0, "init {extra:?} failed: {}", out.stderr);
    out
}

fn inserted_total(report: &serde_json::Value) -> u64 {
    report["tables"]
        .as_object()
        .expect("the report's tables")
        .values()
        .map(|t| t["inserted"].as_u64().unwrap_or(0))
        .sum()
}

#[tokio::test]
async fn a_non_owner_importer_with_only_the_documented_grants_imports_a_drop_the_owner_bulk_loads()
{
    // Raw metrics only: the fingerprint of log entries and file-less prompts carries generated ids
    // and import times, which differ between any two databases.
    let (_dir, synthetic) = synthetic_drop();
    let drop = support::fixture("fixtures/drop").display().to_string();
    let paths = [synthetic.as_str(), drop.as_str()];
    let threshold = ["--bulk-threshold", "100"];

    // The owner's own import of the drop takes the bulk path.
    let by_owner = Roles::new().await;
    init(&by_owner.owner, &[]);
    let (out, owner_report) = by_owner.owner.import(&paths, &threshold);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        owner_report["bulk_path"]["taken"], true,
        "{}",
        owner_report["bulk_path"]
    );

    // The importer of another database holds what `init --grant-import` gave it, nothing else.
    let roles = Roles::new().await;
    let (importer, as_importer) = roles.login("importer").await;
    let granted = init(&roles.owner, &["--grant-import", &importer]);
    assert!(
        granted.stdout.contains(&format!(
            "GRANT INSERT, SELECT, TRUNCATE ON TABLE bellatrix_migrate.stage_files TO {importer}"
        )),
        "{}",
        granted.stdout
    );
    let (out, report) = as_importer.import(&paths, &threshold);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let bulk = &report["bulk_path"];
    assert_eq!(bulk["taken"], false, "{bulk}");
    let reason = bulk["reason"].as_str().unwrap_or_default();
    assert!(
        reason.contains(&format!("role {importer} is not the owner of"))
            && reason.contains("public.evaluation_metrics"),
        "{reason}"
    );
    assert!(
        out.stdout.contains("load path: ordinary") && out.stdout.contains("not the owner of"),
        "the terminal report says so: {}",
        out.stdout
    );
    assert_eq!(report["tables"], owner_report["tables"]);
    assert_eq!(
        fingerprint(&roles.admin).await,
        fingerprint(&by_owner.admin).await,
        "the ordinary path lands the same rows"
    );

    // Re-importing as the importer inserts nothing; every other kind of legacy file imports too (an
    // incremental load); verify passes as the importer.
    let (again, report) = as_importer.import(&paths, &threshold);
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert_eq!(inserted_total(&report), 0, "{}", report["tables"]);
    let (out, report) = as_importer.import(&[LEGACY_APP], &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(inserted_total(&report) > 0, "{}", report["tables"]);
    let (verified, verify_report) = as_importer.verify(&["--full"]);
    assert_eq!(verified.code, 0, "{}{}", verified.stdout, verified.stderr);
    assert_eq!(verify_report["outcome"], "passed");
}

#[tokio::test]
async fn the_importer_repairs_rows_of_an_earlier_import_with_only_the_documented_grants() {
    // Re-linking rows to the prompt CSV that arrives later updates metric rows and prompts, removes
    // the placeholders and records the changes: all within what `init --grant-import` gives.
    let roles = Roles::new().await;
    let (importer, as_importer) = roles.login("relinker").await;
    init(&roles.owner, &["--grant-import", &importer]);
    let raw = format!("{LEGACY_APP}/data/runs/raw_metrics.csv");
    let prompts = format!("{LEGACY_APP}/data/test_prompts.csv");
    let (out, _) = as_importer.import(&[&raw], &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let (out, report) = as_importer.import(&[&prompts], &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(report["relinked"]["rows"], 2, "{}", report["relinked"]);
    assert_eq!(
        report["relinked"]["placeholders_removed"], 2,
        "{}",
        report["relinked"]
    );
    let (verified, _) = as_importer.verify(&[]);
    assert_eq!(verified.code, 0, "{}{}", verified.stdout, verified.stderr);
    // Taking the prompt CSV's import back deletes rows: the importer may not, the owner (no
    // superuser) may, and the re-linked rows are then back on their placeholders.
    let id = report["import_id"].to_string();
    let out = as_importer.run(&["revert", &id]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr.contains(&format!(
            "revert deletes rows, which the importing role may not, so it runs as the owner of \
             the schema (like init); role {importer} is not"
        )),
        "{}",
        out.stderr
    );
    let out = roles.owner.run(&["revert", "--quiet", &id]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    let placeholders = roles
        .admin
        .text("SELECT count(*)::text FROM prompts WHERE source_type = 'legacy_placeholder'")
        .await;
    assert_eq!(placeholders.as_deref(), Some("2"));
    let (verified, _) = as_importer.verify(&[]);
    assert_eq!(verified.code, 0, "{}{}", verified.stdout, verified.stderr);
}

#[tokio::test]
async fn a_role_without_the_grants_is_refused_before_reading_naming_the_privilege() {
    let roles = Roles::new().await;
    init(&roles.owner, &[]);
    let (role, as_role) = roles.login("nogrants").await;
    // A path that does not exist: reading first would fail on it; the privileges are checked before.
    let (out, _) = as_role.import(&[LEGACY_APP, "fixtures/no_such_folder"], &[]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr
            .contains(&format!("role {role} lacks privileges that import needs"))
            && out.stderr.contains("USAGE on schema bellatrix_migrate")
            && out.stderr.contains(&format!(
                "run `bellatrix-migrate init --grant-import {role}`"
            )),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("no_such_folder"), "{}", out.stderr);
    let verified = as_role.run(&["verify", "--quiet"]);
    assert_eq!(verified.code, 2, "{}", verified.stderr);
    assert!(
        verified
            .stderr
            .contains("lacks privileges that verify needs"),
        "{}",
        verified.stderr
    );
    assert_eq!(roles.imports().await, 0, "nothing was written");

    // The role of the observed failure: SELECT, INSERT, UPDATE and DELETE on every table. It used to
    // fail on TRUNCATE of the staging tables; now that is named before anything is read.
    roles
        .owner
        .client()
        .await
        .batch_execute(&format!(
            "GRANT USAGE ON SCHEMA public, bellatrix_migrate TO {role}; \
             GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public, bellatrix_migrate TO {role}; \
             GRANT USAGE ON ALL SEQUENCES IN SCHEMA bellatrix_migrate TO {role};"
        ))
        .await
        .expect("granting table privileges");
    let (out, _) = as_role.import(&[LEGACY_APP], &[]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr.contains(
            "TRUNCATE on table bellatrix_migrate.stage_files (staging, emptied with TRUNCATE)"
        ),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("INSERT, SELECT"), "{}", out.stderr);
    assert_eq!(roles.imports().await, 0, "nothing was written");
    let verified = as_role.run(&["verify", "--quiet"]);
    assert_eq!(
        verified.code, 0,
        "SELECT is all verify needs: {}",
        verified.stderr
    );
}

#[tokio::test]
async fn init_as_a_role_that_is_not_the_owner_fails_naming_the_owner() {
    let roles = Roles::new().await;
    let (role, as_role) = roles.login("notowner").await;
    // Before the owner ran init: no CREATE on the database.
    let out = as_role.run(&["init"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr.contains("needs CREATE on database"),
        "{}",
        out.stderr
    );
    init(&roles.owner, &["--grant-import", &role]);
    // After it, with every import grant: still not the owner.
    for args in [&["init"][..], &["init", "--grant-import", &role][..]] {
        let out = as_role.run(args);
        assert_eq!(out.code, 2, "{}", out.stderr);
        assert!(
            out.stderr.contains(&format!(
                "so it runs as the owner of the schema; role {role} is not: schema bellatrix_migrate (owner {}_owner)",
                roles.admin.name
            )),
            "{}",
            out.stderr
        );
    }
}

#[tokio::test]
async fn granting_is_idempotent_quotes_the_role_and_the_printed_grants_suffice() {
    let roles = Roles::new().await;
    init(&roles.owner, &[]);
    // A role name that needs quoting: it reaches SQL only through format('%I').
    let odd = format!("{} Odd\"Importer", roles.admin.name);
    let quoted = format!("\"{}\"", odd.replace('"', "\"\""));
    roles
        .admin
        .client()
        .await
        .batch_execute(&format!("CREATE ROLE {quoted} LOGIN"))
        .await
        .expect("creating a role with an odd name");
    let first = init(&roles.owner, &["--grant-import", &odd]);
    assert!(
        first.stdout.contains(&format!(
            "GRANT USAGE ON SCHEMA bellatrix_migrate TO {quoted};"
        )),
        "{}",
        first.stdout
    );
    let second = init(&roles.owner, &["--grant-import", &odd]);
    assert!(
        second
            .stdout
            .contains(&format!("{odd} already holds every privilege it needs")),
        "{}",
        second.stdout
    );
    let unknown = roles.owner.run(&["init", "--grant-import", "no_such_role"]);
    assert_eq!(unknown.code, 2, "{}", unknown.stderr);
    assert!(
        unknown
            .stderr
            .contains("role \"no_such_role\" does not exist"),
        "{}",
        unknown.stderr
    );

    // The printed statements, run by the owner, are all another role needs to import.
    let (role, as_role) = roles.login("printed").await;
    let printed = init(&roles.owner, &["--grant-import", &role, "--print-grants"]);
    assert!(
        printed.stdout.starts_with(&format!(
            "GRANT CONNECT, TEMPORARY ON DATABASE {} TO {role};\n",
            roles.admin.name
        )),
        "{}",
        printed.stdout
    );
    let owner = connect(&roles.owner.url).await;
    owner
        .batch_execute(&printed.stdout)
        .await
        .expect("running the printed grants");
    let (out, report) = as_role.import(&[LEGACY_APP], &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(report["outcome"], "committed");

    // --grant-verify: verify passes, import is refused.
    let (reader, as_reader) = roles.login("reader").await;
    init(&roles.owner, &["--grant-verify", &reader]);
    let (verified, _) = as_reader.verify(&[]);
    assert_eq!(verified.code, 0, "{}", verified.stderr);
    let (out, _) = as_reader.import(&["fixtures/drop"], &[]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("INSERT, UPDATE on table public.users (users.json"),
        "{}",
        out.stderr
    );
}
