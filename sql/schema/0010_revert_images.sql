-- What `bellatrix-migrate revert` needs to take one import back exactly (docs/decisions.md#revert).
--
-- * The rows an import created are those whose id carries its time-ordered prefix
--   (`bellatrix_migrate.ordered_id()`, migration 0008): `imports.id_prefix` keeps it, so revert
--   finds them by one range of each primary key.
-- * The rows an import changed or deleted that existed before it are kept as they were, once each:
--   `row_images` holds the first image of such a row per import (`op` 'U' changed, 'D' deleted).
--   The images are taken by the trigger below, so that no transform statement can change an
--   earlier row without it being kept, whatever the statement. It fires only in a transaction that
--   set `bellatrix_migrate.import_id` (an import) and only for a row the import did not create, so
--   the application's own writes and an import's updates of its own rows take nothing. It is
--   ENABLE ALWAYS, so that a session with `session_replication_role = replica` still keeps images;
--   an import that finds one of these triggers disabled records `images_kept = false`, and revert
--   refuses it.
-- * Imports recorded before this migration have no prefix and no images: revert refuses them.
ALTER TABLE bellatrix_migrate.imports
    ADD COLUMN IF NOT EXISTS id_prefix TEXT,
    ADD COLUMN IF NOT EXISTS images_kept BOOLEAN NOT NULL DEFAULT false,
    ADD COLUMN IF NOT EXISTS reverted_at TIMESTAMPTZ,
    ADD COLUMN IF NOT EXISTS reverted_by TEXT,
    ADD COLUMN IF NOT EXISTS revert JSONB;

CREATE TABLE IF NOT EXISTS bellatrix_migrate.row_images (
    import_id    BIGINT NOT NULL,
    target_table TEXT NOT NULL,
    key_column   TEXT NOT NULL,
    key          TEXT NOT NULL,
    op           CHAR(1) NOT NULL CHECK (op IN ('U', 'D')),
    image        JSONB NOT NULL,
    PRIMARY KEY (import_id, target_table, key)
);
CREATE INDEX IF NOT EXISTS idx_row_images_target ON bellatrix_migrate.row_images (target_table, key);

-- The first image of a row wins (the row as it was before the import); a row changed and then
-- deleted by the same import is marked deleted. TG_ARGV[0] names the table's key column.
CREATE OR REPLACE FUNCTION bellatrix_migrate.keep_image() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    INSERT INTO bellatrix_migrate.row_images (import_id, target_table, key_column, key, op, image)
    VALUES (current_setting('bellatrix_migrate.import_id')::bigint,
            format('%I.%I', TG_TABLE_SCHEMA, TG_TABLE_NAME), TG_ARGV[0],
            to_jsonb(OLD) ->> TG_ARGV[0], left(TG_OP, 1), to_jsonb(OLD))
    ON CONFLICT (import_id, target_table, key) DO UPDATE
    SET op = CASE WHEN EXCLUDED.op = 'D' THEN 'D' ELSE bellatrix_migrate.row_images.op END;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END
$$;

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['users', 'model_providers', 'models', 'model_pricing',
                             'model_generation_params', 'prompts', 'evaluation_runs',
                             'evaluation_metrics', 'model_aggregated_metrics',
                             'master_model_evaluations', 'similarity_scores',
                             'cloudwatch_log_entries', 'audit_log'] LOOP
        EXECUTE format('DROP TRIGGER IF EXISTS bellatrix_migrate_keep_image ON public.%I', t);
        EXECUTE format(
            'CREATE TRIGGER bellatrix_migrate_keep_image BEFORE UPDATE OR DELETE ON public.%I '
            'FOR EACH ROW WHEN (COALESCE(current_setting(''bellatrix_migrate.import_id'', true), '''') <> '''' '
            'AND NOT starts_with(OLD.id::text, current_setting(''bellatrix_migrate.id_prefix'', true))) '
            'EXECUTE FUNCTION bellatrix_migrate.keep_image(''id'')', t);
        EXECUTE format('ALTER TABLE public.%I ENABLE ALWAYS TRIGGER bellatrix_migrate_keep_image', t);
    END LOOP;
END
$$;

-- The ledger's rows an import changes (a removed placeholder, a merged model's rows and entries, a
-- file content seen again, whose last path and import change), keyed by their own columns: a row
-- of another import than the one running (for a file content, last seen by another).
DO $$
DECLARE
    t record;
BEGIN
    FOR t IN SELECT * FROM (VALUES ('row_sources', 'source_key', 'import_id'),
                                   ('config_observations', 'source_key', 'import_id'),
                                   ('files', 'sha256', 'last_import')) v (name, key_column, import_column) LOOP
        EXECUTE format('DROP TRIGGER IF EXISTS bellatrix_migrate_keep_image ON bellatrix_migrate.%I', t.name);
        EXECUTE format(
            'CREATE TRIGGER bellatrix_migrate_keep_image BEFORE UPDATE OR DELETE ON bellatrix_migrate.%I '
            'FOR EACH ROW WHEN (COALESCE(current_setting(''bellatrix_migrate.import_id'', true), '''') <> '''' '
            'AND OLD.%I::text <> current_setting(''bellatrix_migrate.import_id'', true)) '
            'EXECUTE FUNCTION bellatrix_migrate.keep_image(%L)', t.name, t.import_column, t.key_column);
        EXECUTE format('ALTER TABLE bellatrix_migrate.%I ENABLE ALWAYS TRIGGER bellatrix_migrate_keep_image', t.name);
    END LOOP;
END
$$;
