-- Whether the current role may take the bulk path of a first load (transform/27_bulk_prepare.sql,
-- whose `tables` are the seven listed here): dropping and recreating an index or a foreign key needs
-- the owner of its table (or a member of the owner role), and recreating a foreign key needs
-- REFERENCES on the table it points at. One row per obstacle (`own` or `reference`, and the table);
-- none: allowed. Asked before anything
-- is read, so an import by a role that does not own the tables takes the ordinary path and says why.
WITH bulk (schema_name, table_name) AS (
    VALUES ('public', 'evaluation_runs'), ('public', 'evaluation_metrics'),
           ('public', 'master_model_evaluations'), ('public', 'model_aggregated_metrics'),
           ('public', 'similarity_scores'), ('bellatrix_migrate', 'similarity'),
           ('bellatrix_migrate', 'row_sources')
),
tables AS (
    SELECT c.oid, c.relowner, format('%I.%I', n.nspname, c.relname) AS name
    FROM bulk b
    JOIN pg_namespace n ON n.nspname = b.schema_name
    JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = b.table_name
)
SELECT what, name
FROM (
    SELECT 'own' AS what, t.name
    FROM tables t
    WHERE NOT pg_has_role(current_user, t.relowner, 'USAGE')
    UNION
    SELECT 'reference', format('%I.%I', n.nspname, c.relname)
    FROM pg_constraint k
    JOIN tables t ON t.oid = k.conrelid
    JOIN pg_class c ON c.oid = k.confrelid
    JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE k.contype = 'f' AND NOT has_table_privilege(k.confrelid, 'REFERENCES')
) obstacles
ORDER BY what, name
