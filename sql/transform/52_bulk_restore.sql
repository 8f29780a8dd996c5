-- Recreates the indexes and foreign keys 48_bulk_prepare.sql dropped, with their exact definitions
-- and names, inside the import's transaction: each index is built once by sorting, each foreign key
-- validated with one join over the table. Nothing to do after an ordinary (incremental) import.
DO $$
DECLARE
    r record;
BEGIN
    FOR r IN SELECT * FROM t_bulk_ddl WHERE kind = 'index' LOOP
        EXECUTE r.definition;
    END LOOP;
    FOR r IN SELECT * FROM t_bulk_ddl WHERE kind = 'constraint' LOOP
        EXECUTE format('ALTER TABLE evaluation_metrics ADD CONSTRAINT %I %s', r.name, r.definition);
    END LOOP;
END
$$;
