-- A first load (or one that more than doubles evaluation_metrics) is faster without the secondary
-- indexes and foreign keys of the tables it fills row by row: maintaining eleven indexes per metric
-- row, and running one foreign-key query per row for each key of the metrics, the aggregates and the
-- ledger, costs far more than building each index once by sorting and validating each key with one
-- join. So when this import brings at least bellatrix_migrate.bulk_threshold new metric rows (the
-- `--bulk-threshold` option) and at least as many as evaluation_metrics holds, the definitions of
-- those indexes and keys are saved, they are dropped, and 82_bulk_restore.sql recreates exactly them
-- in this same transaction, before anything commits: the database guarantees at commit what it
-- guaranteed before. Primary keys and unique constraints stay (the transform relies on them).
-- Dropping and recreating them needs the owner of these tables: an import by another role was told
-- before it read anything (privileges/bulk_owner.sql, `bellatrix_migrate.bulk_allowed` = 'off') and
-- takes the ordinary path. The decision and its reason go to `bellatrix_migrate.bulk_path` (taken,
-- below-threshold, not-first-load, not-owner) and `bellatrix_migrate.bulk_new_rows`, for the report.
-- Runs before the first insert into any of these tables.
CREATE TEMP TABLE t_bulk_ddl (kind text, table_name regclass, name text, definition text) ON COMMIT DROP;

DO $$
DECLARE
    new_rows bigint;
    old_rows bigint;
    threshold bigint := COALESCE(NULLIF(current_setting('bellatrix_migrate.bulk_threshold', true), ''), '100000')::bigint;
    allowed boolean := COALESCE(current_setting('bellatrix_migrate.bulk_allowed', true), '') <> 'off';
    tables regclass[] := ARRAY['evaluation_runs', 'evaluation_metrics', 'master_model_evaluations',
                               'model_aggregated_metrics', 'similarity_scores',
                               'bellatrix_migrate.similarity', 'bellatrix_migrate.row_sources']::regclass[];
    r record;
BEGIN
    SELECT count(*) INTO new_rows FROM t_rows WHERE new_id IS NOT NULL AND NOT is_master;
    PERFORM set_config('bellatrix_migrate.bulk_new_rows', new_rows::text, true);
    IF new_rows < threshold THEN
        PERFORM set_config('bellatrix_migrate.bulk_path', 'below-threshold', true);
        RETURN;
    END IF;
    SELECT count(*) INTO old_rows FROM (SELECT 1 FROM evaluation_metrics LIMIT new_rows + 1) existing;
    IF old_rows > new_rows THEN
        PERFORM set_config('bellatrix_migrate.bulk_path', 'not-first-load', true);
        RETURN;
    END IF;
    IF NOT allowed THEN
        PERFORM set_config('bellatrix_migrate.bulk_path', 'not-owner', true);
        RETURN;
    END IF;
    PERFORM set_config('bellatrix_migrate.bulk_path', 'taken', true);
    INSERT INTO t_bulk_ddl
    SELECT 'constraint', c.conrelid, c.conname, pg_get_constraintdef(c.oid)
    FROM pg_constraint c
    WHERE c.conrelid = ANY (tables) AND c.contype = 'f';
    INSERT INTO t_bulk_ddl
    SELECT 'index', i.indrelid, i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
    FROM pg_index i
    WHERE i.indrelid = ANY (tables) AND NOT i.indisunique AND NOT i.indisprimary;
    FOR r IN SELECT * FROM t_bulk_ddl WHERE kind = 'constraint' LOOP
        EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I', r.table_name, r.name);
    END LOOP;
    FOR r IN SELECT * FROM t_bulk_ddl WHERE kind = 'index' LOOP
        EXECUTE format('DROP INDEX %s', r.name);
    END LOOP;
END
$$;
