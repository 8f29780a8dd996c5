//! A content fingerprint of every production table, for comparing databases that received the same
//! files in different arrangements (order, split over imports, copies with new file times).
//!
//! Each row is projected to its natural content: foreign keys become the referenced row's natural
//! key (a run's `run_id`, a model's name and provider, a prompt's hash, a user's username), and what
//! only records how or when the rows arrived is left out: ids, `created_at`, `updated_at`,
//! `uploaded_at`, `parsed_at`, `calculated_at` (but a score row's, which is its candidate's time),
//! and the provenance keys of `metadata` (which file and line first told the migrator, how many
//! sources one import held) and the audit trail's rows of the migrator's own actions (one per run).
//! Everything else counts: a prompt's source type, tags and expected_json, a model's tokenizer and
//! histories, every price and parameter row with its dates, run counters, aggregates, scores.

use super::TestDb;

/// Metadata keys that say where and in which import a row came from, never what it is.
const PROVENANCE: &str =
    "ARRAY['source', 'sources_in_import', 'prompt_linked', 'created_from', 'name_from', 'legacy_source']";

/// (table, projection of one row to text). Models are named `name@provider`.
fn projections() -> Vec<(&'static str, String)> {
    let meta =
        |alias: &str| format!("(COALESCE({alias}.metadata, '{{}}'::jsonb) - {PROVENANCE})::text");
    let model = "(SELECT m.name || '@' || p.name FROM models m JOIN model_providers p ON p.id = m.provider_id WHERE m.id = {})";
    let model_of = |col: &str| model.replace("{}", col);
    vec![
        ("model_providers", "SELECT name || '|' || COALESCE(display_name, '') FROM model_providers".into()),
        (
            "models",
            format!(
                "SELECT m.name || '@' || p.name || '|' || COALESCE(m.bedrock_model_id, '') || '|' || COALESCE(m.tokenizer_type, '') \
                 || '|' || COALESCE(m.region_name, '') || '|' || m.is_active || '|' || m.is_master_model || '|' \
                 || m.use_inference_profile || '|' || {} FROM models m JOIN model_providers p ON p.id = m.provider_id",
                meta("m")
            ),
        ),
        (
            "model_pricing",
            format!(
                "SELECT {} || '|' || (to_jsonb(x) - 'id' - 'model_id' - 'created_at')::text FROM model_pricing x",
                model_of("x.model_id")
            ),
        ),
        (
            "model_generation_params",
            format!(
                "SELECT {} || '|' || (to_jsonb(x) - 'id' - 'model_id' - 'created_at')::text FROM model_generation_params x",
                model_of("x.model_id")
            ),
        ),
        (
            "prompts",
            format!(
                "SELECT x.prompt_hash || '|' || md5(x.prompt_text) || '|' || COALESCE(x.source_type, '') || '|' \
                 || COALESCE(x.source_file_name, '') || '|' || COALESCE(x.expected_json::text, '') || '|' \
                 || COALESCE(x.tags::text, '') || '|' || {} FROM prompts x",
                meta("x")
            ),
        ),
        (
            "users",
            format!(
                "SELECT (to_jsonb(x) - 'id' - 'created_at' - 'updated_at' - 'metadata')::text || '|' || {} FROM users x",
                meta("x")
            ),
        ),
        (
            "evaluation_runs",
            format!(
                "SELECT (to_jsonb(x) - 'id' - 'user_id' - 'metadata')::text || '|' || {} FROM evaluation_runs x",
                meta("x")
            ),
        ),
        (
            "evaluation_metrics",
            format!(
                "SELECT r.run_id || '|' || {} || '|' || p.prompt_hash || '|' \
                 || (to_jsonb(x) - 'id' - 'run_id' - 'model_id' - 'prompt_id' - 'created_at' - 'metadata')::text \
                 || '|' || {} FROM evaluation_metrics x JOIN evaluation_runs r ON r.id = x.run_id \
                 JOIN prompts p ON p.id = x.prompt_id",
                model_of("x.model_id"),
                meta("x")
            ),
        ),
        (
            "master_model_evaluations",
            format!(
                "SELECT COALESCE(r.run_id, '') || '|' || {} || '|' || p.prompt_hash || '|' \
                 || (to_jsonb(x) - 'id' - 'run_id' - 'model_id' - 'prompt_id' - 'created_at' - 'metadata')::text \
                 || '|' || {} FROM master_model_evaluations x LEFT JOIN evaluation_runs r ON r.id = x.run_id \
                 JOIN prompts p ON p.id = x.prompt_id",
                model_of("x.model_id"),
                meta("x")
            ),
        ),
        (
            "model_aggregated_metrics",
            format!(
                "SELECT r.run_id || '|' || {} || '|' \
                 || (to_jsonb(x) - 'id' - 'run_id' - 'model_id' - 'calculated_at')::text \
                 FROM model_aggregated_metrics x JOIN evaluation_runs r ON r.id = x.run_id",
                model_of("x.model_id")
            ),
        ),
        // A score row by its key's natural keys, its values, and (for the migrator's rows) what
        // bellatrix_migrate.similarity adds: the headline score and the two rows scored, by
        // their models and times. `calculated_at` is the candidate's time: content.
        (
            "similarity_scores",
            format!(
                "SELECT r.run_id || '|' || p.prompt_hash || '|' || {} || '|' || {} || '|' || COALESCE({}, '') || '|' \
                 || (to_jsonb(x) - 'id' - 'run_id' - 'prompt_id' - 'model_a_id' - 'model_b_id' - 'master_model_id' \
                     - 'calculated_at')::text || '|' \
                 || COALESCE(to_char(x.calculated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US'), '') || '|' \
                 || COALESCE((SELECT y.score::text || '|' || y.similarity_percent || '|' \
                                     || COALESCE(y.matching_notes::text, '') || '/' || COALESCE(y.total_notes::text, '') \
                                     || '|' || y.lenient_scan || '|' || {} || '@' || to_char(sc.evaluated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') || '|' \
                                     || {} || '@' || to_char(sm.evaluated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') \
                              FROM bellatrix_migrate.similarity y \
                              JOIN evaluation_metrics sc ON sc.id = y.candidate_id \
                              JOIN master_model_evaluations sm ON sm.id = y.master_id WHERE y.id = x.id), 'application') \
                 FROM similarity_scores x JOIN evaluation_runs r ON r.id = x.run_id \
                 JOIN prompts p ON p.id = x.prompt_id",
                model_of("x.model_a_id"),
                model_of("x.model_b_id"),
                model_of("x.master_model_id"),
                model_of("sc.model_id"),
                model_of("sm.model_id"),
            ),
        ),
        (
            "cloudwatch_log_entries",
            format!(
                "SELECT (to_jsonb(x) - 'id' - 'uploaded_at' - 'parsed_at' - 'metadata')::text || '|' \
                 || COALESCE((SELECT p.prompt_hash FROM prompts p WHERE p.id::text = x.metadata ->> 'prompt_id'), '') \
                 || '|' || COALESCE({}, '') || '|' \
                 || (COALESCE(x.metadata, '{{}}'::jsonb) - {PROVENANCE} - 'prompt_id' - 'model_uuid')::text \
                 FROM cloudwatch_log_entries x",
                model_of("(x.metadata ->> 'model_uuid')::uuid")
            ),
        ),
        // The rows imported from sources (login events: who and when), not the migrator's own
        // action rows (resource a ledger table), which each import, dry run and init adds.
        (
            "audit_log",
            "SELECT x.action || '|' || COALESCE(x.resource_type, '') || '|' \
             || COALESCE((SELECT u.username FROM users u WHERE u.id = x.user_id), '') || '|' \
             || COALESCE(to_char(x.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US'), '') \
             FROM audit_log x WHERE COALESCE(x.resource_type, '') NOT IN \
             ('bellatrix_migrate.imports', 'bellatrix_migrate.schema_migrations')"
                .into(),
        ),
    ]
}

/// Every production table's rows as projected content, sorted: (table, rows).
pub async fn content_rows(db: &TestDb) -> Vec<(String, Vec<String>)> {
    let client = db.client().await;
    let mut out = Vec::new();
    for (table, projection) in projections() {
        let query = format!("SELECT x FROM ({projection}) p(x) ORDER BY x");
        let rows = client
            .query(&query, &[])
            .await
            .unwrap_or_else(|e| panic!("fingerprinting {table}: {e}"));
        let rows = rows
            .iter()
            .map(|r| {
                r.get::<_, Option<String>>(0)
                    .unwrap_or_else(|| "<null>".into())
            })
            .collect();
        out.push((table.to_owned(), rows));
    }
    out
}

/// One digest per table: row count and the SHA-256 of its sorted content rows.
pub fn digest(content: &[(String, Vec<String>)]) -> Vec<(String, String)> {
    use sha2::{Digest, Sha256};
    content
        .iter()
        .map(|(table, rows)| {
            let mut h = Sha256::new();
            for row in rows {
                h.update(row.as_bytes());
                h.update(b"\n");
            }
            let hex: String = h
                .finalize()
                .iter()
                .take(8)
                .map(|b| format!("{b:02x}"))
                .collect();
            (table.clone(), format!("{}:{hex}", rows.len()))
        })
        .collect()
}

/// The rows that differ between two contents, table by table, for a failure message.
pub fn differences(a: &[(String, Vec<String>)], b: &[(String, Vec<String>)]) -> String {
    let mut out = String::new();
    for ((table, x), (_, y)) in a.iter().zip(b) {
        let only_a: Vec<_> = x.iter().filter(|r| !y.contains(r)).collect();
        let only_b: Vec<_> = y.iter().filter(|r| !x.contains(r)).collect();
        if only_a.is_empty() && only_b.is_empty() && x.len() == y.len() {
            continue;
        }
        out.push_str(&format!("{table} ({} vs {} rows):\n", x.len(), y.len()));
        for r in only_a {
            out.push_str(&format!("  - {r}\n"));
        }
        for r in only_b {
            out.push_str(&format!("  + {r}\n"));
        }
    }
    out
}
