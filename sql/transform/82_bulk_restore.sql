-- Recreates the indexes and foreign keys 27_bulk_prepare.sql dropped, with their exact definitions
-- and names, inside the import's transaction: each index is built once by sorting, each foreign key
-- validated with one join over its table. Runs after the last insert into those tables and before
-- the checks. Nothing to do after an ordinary (incremental) import.
DO $$
DECLARE
    r record;
BEGIN
    FOR r IN SELECT * FROM t_bulk_ddl WHERE kind = 'index' LOOP
        EXECUTE r.definition;
    END LOOP;
    FOR r IN SELECT * FROM t_bulk_ddl WHERE kind = 'constraint' LOOP
        EXECUTE format('ALTER TABLE %s ADD CONSTRAINT %I %s', r.table_name, r.name, r.definition);
    END LOOP;
END
$$;
