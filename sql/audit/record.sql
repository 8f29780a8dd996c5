-- One action row of the audit trail (src/audit.rs): $1 action, $2 import id or NULL, $3 user_agent,
-- $4 details (counts, tool version, outcome: never legacy text). The id is a random UUID, never
-- bellatrix_migrate.ordered_id(): a revert deletes the rows whose ids carry the reverted import's
-- prefix, and the trail of an import must outlive its revert. The resource is the import's row in
-- the ledger (its UUID, the BIGINT id in the details); init's resource is the migration table, with
-- no id. The role is `current_user` in the details, because `user_id` references the app's users.
-- created_at is when the row is written: the end of the action, just before it commits. An import
-- id the ledger does not hold inserts nothing (and the caller's query_one fails).
INSERT INTO audit_log (id, user_id, action, resource_type, resource_id, user_agent, details, created_at)
SELECT gen_random_uuid(), NULL, $1::text,
       CASE WHEN k.id IS NULL THEN 'bellatrix_migrate.schema_migrations' ELSE 'bellatrix_migrate.imports' END,
       i.resource_id, $3::text,
       $4::jsonb || jsonb_build_object('role', current_user::text)
                 || CASE WHEN k.id IS NULL THEN '{}'::jsonb ELSE jsonb_build_object('import_id', k.id) END,
       clock_timestamp()
FROM (SELECT $2::bigint AS id) k
LEFT JOIN bellatrix_migrate.imports i ON i.id = k.id
WHERE k.id IS NULL OR i.id IS NOT NULL
RETURNING id
