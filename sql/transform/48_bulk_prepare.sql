-- A first load (or one that more than doubles evaluation_metrics) is faster without the table's
-- secondary indexes and foreign keys: maintaining eleven indexes and three foreign-key checks per row
-- costs far more than building each index once by sorting and validating each key with one join.
-- So when this import inserts at least bellatrix_migrate.bulk_threshold rows (the `--bulk-threshold`
-- option) and at least as many as the table holds, the definitions are saved, the indexes and keys
-- dropped, and 52_bulk_restore.sql recreates exactly them in this same transaction, before anything
-- commits: the database guarantees at commit what it guaranteed before. Primary and unique keys stay.
CREATE TEMP TABLE t_bulk_ddl (kind text, name text, definition text) ON COMMIT DROP;

DO $$
DECLARE
    new_rows bigint;
    old_rows bigint;
    threshold bigint := COALESCE(NULLIF(current_setting('bellatrix_migrate.bulk_threshold', true), ''), '100000')::bigint;
    r record;
BEGIN
    SELECT count(*) INTO new_rows FROM t_rows WHERE new_id IS NOT NULL AND NOT is_master;
    IF new_rows < threshold THEN
        RETURN;
    END IF;
    SELECT count(*) INTO old_rows FROM (SELECT 1 FROM evaluation_metrics LIMIT new_rows + 1) existing;
    IF old_rows > new_rows THEN
        RETURN;
    END IF;
    INSERT INTO t_bulk_ddl
    SELECT 'constraint', c.conname, pg_get_constraintdef(c.oid)
    FROM pg_constraint c
    WHERE c.conrelid = 'evaluation_metrics'::regclass AND c.contype = 'f';
    INSERT INTO t_bulk_ddl
    SELECT 'index', i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
    FROM pg_index i
    WHERE i.indrelid = 'evaluation_metrics'::regclass AND NOT i.indisunique AND NOT i.indisprimary;
    FOR r IN SELECT * FROM t_bulk_ddl WHERE kind = 'constraint' LOOP
        EXECUTE format('ALTER TABLE evaluation_metrics DROP CONSTRAINT %I', r.name);
    END LOOP;
    FOR r IN SELECT * FROM t_bulk_ddl WHERE kind = 'index' LOOP
        EXECUTE format('DROP INDEX %s', r.name);
    END LOOP;
END
$$;
