-- `init` creates and alters the schema, which only the owner of its objects can do. What stands in the
-- way of the current role, one line each (empty: init may go on): the tables, views and sequences of
-- required.sql (in `required`), the bellatrix_migrate schema and the schema's trigger functions that
-- it does not own (nor is a member of the owner role of; a superuser owns everything), and on a
-- database not initialised yet, the CREATE privilege it needs to create them.
SELECT line
FROM (
    SELECT min(ord) AS ord, format('%s %s (owner %s)', kind, name, owner) AS line
    FROM required
    WHERE found AND NOT owned_by_current_role
      AND (kind IN ('table', 'sequence') OR (kind = 'schema' AND name = 'bellatrix_migrate'))
    GROUP BY kind, name, owner
    UNION ALL
    SELECT 100, format('function %I.%I() (owner %s)', n.nspname, f.proname, f.proowner::regrole)
    FROM pg_proc f JOIN pg_namespace n ON n.oid = f.pronamespace
    WHERE n.nspname = 'public' AND f.proname IN ('calculate_prompt_hash', 'update_updated_at_column')
      AND f.pronargs = 0 AND NOT pg_has_role(current_user, f.proowner, 'USAGE')
    UNION ALL
    SELECT 0, format('creating schema bellatrix_migrate needs CREATE on database %I', current_database())
    WHERE NOT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = 'bellatrix_migrate')
      AND NOT has_database_privilege(current_database(), 'CREATE')
    UNION ALL
    SELECT 0, 'creating the production tables needs CREATE on schema public'
    FROM pg_namespace n
    WHERE n.nspname = 'public' AND NOT has_schema_privilege(n.oid, 'CREATE')
      AND EXISTS (SELECT 1 FROM required WHERE kind = 'table' AND name LIKE 'public.%' AND NOT found)
) problems
ORDER BY ord, line
