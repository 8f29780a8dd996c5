//! End-to-end: `bellatrix-migrate init` against real PostgreSQL, on an empty database and on databases
//! the legacy app created itself (its schema.sql with the broken digest() trigger; the ORM `users`).

mod support;

use support::{fixture, TestDb};

async fn scalar_i64(db: &TestDb, query: &str) -> i64 {
    db.client()
        .await
        .query_one(query, &[])
        .await
        .expect(query)
        .get(0)
}

async fn schema_shape(db: &TestDb) -> (i64, i64, i64) {
    let tables = scalar_i64(db, "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'").await;
    let views = scalar_i64(
        db,
        "SELECT count(*) FROM information_schema.views WHERE table_schema = 'public'",
    )
    .await;
    let triggers = scalar_i64(
        db,
        "SELECT count(DISTINCT trigger_name) FROM information_schema.triggers WHERE trigger_schema = 'public' \
         AND trigger_name IN ('update_users_updated_at', 'update_models_updated_at', 'update_prompts_updated_at', 'calculate_prompt_hash_trigger')",
    )
    .await;
    (tables, views, triggers)
}

async fn apply_sql_file(db: &TestDb, relative: &str) {
    let sql = std::fs::read_to_string(fixture(relative)).expect("reading a legacy schema fixture");
    db.client()
        .await
        .batch_execute(&sql)
        .await
        .unwrap_or_else(|e| panic!("applying {relative}: {e}"));
}

#[tokio::test]
async fn init_twice_on_an_empty_database_leaves_13_tables_4_views_and_the_triggers() {
    let db = TestDb::new().await;
    let first = db.run(&["init"]);
    assert_eq!(first.code, 0, "{}", first.stderr);
    assert!(
        first.stdout.contains("applied migrations"),
        "{}",
        first.stdout
    );
    let second = db.run(&["init"]);
    assert_eq!(second.code, 0, "{}", second.stderr);
    assert!(second.stdout.contains("up to date"), "{}", second.stdout);
    assert_eq!(schema_shape(&db).await, (13, 4, 4));
    assert_eq!(
        scalar_i64(&db, "SELECT count(*) FROM model_providers").await,
        5
    );
    let staging = scalar_i64(
        &db,
        "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE n.nspname = 'bellatrix_migrate' AND c.relname LIKE 'stage_%' AND c.relkind = 'r' AND c.relpersistence = 'u'",
    )
    .await;
    assert_eq!(
        staging, 7,
        "the staging tables are UNLOGGED and live in bellatrix_migrate"
    );
}

#[tokio::test]
async fn the_hash_trigger_computes_sha256_without_pgcrypto() {
    let db = TestDb::initialised().await;
    let client = db.client().await;
    let hash: String = client
        .query_one(
            "INSERT INTO prompts (prompt_text) VALUES ($1) RETURNING prompt_hash",
            &[&"line one\r\nline two \u{202f}"],
        )
        .await
        .expect("inserting a prompt without a hash")
        .get(0);
    assert_eq!(
        hash,
        bellatrix_migrate::model::prompt::PromptHash::of("line one\r\nline two \u{202f}").as_str()
    );
}

#[tokio::test]
async fn init_adopts_a_legacy_app_database_without_touching_its_data() {
    let db = TestDb::new().await;
    apply_sql_file(&db, "fixtures/legacy_schema/schema.sql").await;
    let client = db.client().await;
    client
        .batch_execute(
            "INSERT INTO models (name, provider_id, bedrock_model_id) \
               SELECT 'Claude 3.7 Sonnet', id, 'us.anthropic.claude-3-7-sonnet-20250219-v1:0' FROM model_providers WHERE name = 'anthropic';
             INSERT INTO prompts (prompt_text, prompt_hash) VALUES ('legacy prompt', 'deadbeef');
             INSERT INTO evaluation_runs (run_id) VALUES ('run_20251120_101010');",
        )
        .await
        .expect("seeding legacy data");
    let broken = client
        .execute("INSERT INTO prompts (prompt_text) VALUES ('no hash')", &[])
        .await;
    assert!(
        broken.is_err(),
        "the legacy trigger needs pgcrypto's digest(), which is not installed"
    );
    let fingerprint = "SELECT md5(string_agg(t::text, '|' ORDER BY t::text)) FROM (\
        SELECT row_to_json(m)::text AS t FROM models m UNION ALL SELECT row_to_json(p)::text FROM prompts p \
        UNION ALL SELECT row_to_json(r)::text FROM evaluation_runs r) x";
    let before: String = client.query_one(fingerprint, &[]).await.unwrap().get(0);

    for _ in 0..2 {
        let out = db.run(&["init"]);
        assert_eq!(out.code, 0, "init on a legacy database: {}", out.stderr);
    }
    let after: String = client.query_one(fingerprint, &[]).await.unwrap().get(0);
    assert_eq!(before, after, "init must not change existing rows");
    assert_eq!(schema_shape(&db).await, (13, 4, 4));
    let hash: String = client
        .query_one(
            "INSERT INTO prompts (prompt_text) VALUES ('no hash') RETURNING prompt_hash",
            &[],
        )
        .await
        .expect("the repaired trigger hashes with sha256()")
        .get(0);
    assert_eq!(
        hash,
        bellatrix_migrate::model::prompt::PromptHash::of("no hash").as_str()
    );
}

#[tokio::test]
async fn init_accepts_the_orm_users_table_and_an_import_then_works() {
    let db = TestDb::new().await;
    apply_sql_file(&db, "fixtures/legacy_schema/orm_users.sql").await;
    db.client()
        .await
        .batch_execute(
            "INSERT INTO users (id, username, email, password_hash, is_active, is_admin, created_at, updated_at, metadata) \
             VALUES ('00000000-0000-0000-0000-000000000001', 'ops', 'ops@example.test', '$2b$12$abcdefghijklmnopqrstuv', true, false, now(), now(), '{}')",
        )
        .await
        .expect("seeding an ORM user");
    let out = db.run(&["init"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(schema_shape(&db).await, (13, 4, 4));
    assert_eq!(
        scalar_i64(&db, "SELECT count(*) FROM users WHERE username = 'ops'").await,
        1
    );
    let (import, _) = db.import(&["fixtures/raw_metrics/r16_quoted_normal.csv"], &[]);
    assert_eq!(import.code, 0, "{}", import.stderr);
}

#[tokio::test]
async fn import_refuses_an_uninitialised_database_with_exit_2() {
    let db = TestDb::new().await;
    let (out, _) = db.import(&["fixtures/raw_metrics/r16_quoted_normal.csv"], &[]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("bellatrix-migrate init"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains(&format!("/{}", db.name)),
        "names the database: {}",
        out.stderr
    );
}
