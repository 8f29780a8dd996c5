-- What a role other than the owner needs to run `import` ($1 = 'import') or `verify` ($1 = 'verify'):
-- one row per object and privilege, with what it is for. The one list of these privileges:
-- `init --grant-import ROLE` / `--grant-verify ROLE` grant them (grants.sql), `import` and `verify`
-- look for missing ones before reading anything (missing.sql), and `init` checks that it runs as the
-- owner of these objects (init_owner.sql). The README's "Roles and privileges" explains the same list.
--
-- $2 is the role to look at (NULL: the current role); `held` says whether it has the privilege
-- (false for a role that does not exist), `owned_by_current_role` whether the current role owns the
-- object (or is a member of its owner, or a superuser). Objects that do not exist yet (a database not initialised)
-- have a NULL `oid`. Objects are found through the catalogs by name, never by a `::regclass` cast,
-- so the lookup itself needs no privilege. TRUNCATE is needed because the staging tables are emptied
-- with TRUNCATE at the start and end of every run; ownership is not (the bulk path, which drops and
-- rebuilds indexes, is taken only by an owner: bulk_owner.sql). MAINTAIN (PostgreSQL 17+) lets the
-- import ANALYZE the tables it filled (planner statistics inside its transaction); granted where the
-- server has it, never required: without it PostgreSQL skips that ANALYZE with a warning.
WITH listed (ord, kind, schema_name, object_name, import_privileges, verify_privileges, purpose) AS (
    VALUES
    (1, 'database', NULL, NULL, 'CONNECT,TEMPORARY', 'CONNECT', 'connect; the transform works in temporary tables'),
    (2, 'schema', 'public', NULL, 'USAGE', 'USAGE', 'the production tables'),
    (3, 'schema', 'bellatrix_migrate', NULL, 'USAGE', 'USAGE', 'the ledger and the staging tables'),
    (10, 'table', 'public', 'users', 'SELECT,INSERT,UPDATE', 'SELECT', 'users.json: new users, later versions of them'),
    (11, 'table', 'public', 'model_providers', 'SELECT,INSERT', 'SELECT', 'providers of new models'),
    (12, 'table', 'public', 'models', 'SELECT,INSERT,UPDATE,DELETE,MAINTAIN', 'SELECT', 'new models; activity and prices from models.yaml; a model merged into the one a later source shows it is'),
    (13, 'table', 'public', 'model_pricing', 'SELECT,INSERT,UPDATE', 'SELECT', 'price history: a range closes when a price changes'),
    (14, 'table', 'public', 'model_generation_params', 'SELECT,INSERT,UPDATE', 'SELECT', 'parameter history'),
    (15, 'table', 'public', 'prompts', 'SELECT,INSERT,UPDATE,DELETE,MAINTAIN', 'SELECT', 'new prompts; attributes of a better source; unused placeholders removed'),
    (16, 'table', 'public', 'evaluation_runs', 'SELECT,INSERT,UPDATE,MAINTAIN', 'SELECT', 'new runs; counters of runs that grew'),
    (17, 'table', 'public', 'evaluation_metrics', 'SELECT,INSERT,UPDATE,MAINTAIN', 'SELECT', 'the metric rows; re-linked to their real prompt'),
    (18, 'table', 'public', 'model_aggregated_metrics', 'SELECT,INSERT,UPDATE,DELETE,MAINTAIN', 'SELECT', 'aggregates recomputed per run and model; those of a merged model'),
    (19, 'table', 'public', 'master_model_evaluations', 'SELECT,INSERT,UPDATE,MAINTAIN', 'SELECT', 'the master-model rows; re-linked to their real prompt'),
    (20, 'table', 'public', 'similarity_scores', 'SELECT,INSERT,UPDATE,DELETE', 'SELECT', 'the similarity of candidates to the master model: new pairs, pairs a later master row changed; the models of a merged model'),
    (21, 'table', 'public', 'cloudwatch_log_entries', 'SELECT,INSERT,UPDATE', 'SELECT', 'Bedrock log entries; the name of a model renamed by a better source'),
    (22, 'table', 'public', 'audit_log', 'SELECT,INSERT', 'SELECT', 'the audit trail: a row per import and dry run, login events of users.json; read by the orphan check'),
    (30, 'table', 'public', 'v_current_model_pricing', 'SELECT', 'SELECT', 'read by the view check'),
    (31, 'table', 'public', 'v_current_model_params', 'SELECT', 'SELECT', 'read by the view check'),
    (32, 'table', 'public', 'v_evaluation_summary', 'SELECT', 'SELECT', 'read by the view check'),
    (33, 'table', 'public', 'v_model_performance', 'SELECT', 'SELECT', 'read by the view check'),
    (40, 'table', 'bellatrix_migrate', 'schema_migrations', 'SELECT', 'SELECT', 'checking the schema is current'),
    (41, 'table', 'bellatrix_migrate', 'imports', 'SELECT,INSERT,UPDATE', 'SELECT', 'the ledger: one row per import, with its report'),
    (42, 'sequence', 'bellatrix_migrate', 'imports_id_seq', 'USAGE', '', 'numbering imports'),
    (43, 'table', 'bellatrix_migrate', 'files', 'SELECT,INSERT,UPDATE', 'SELECT', 'the ledger: file contents already imported'),
    (44, 'table', 'bellatrix_migrate', 'row_sources', 'SELECT,INSERT,UPDATE,MAINTAIN', 'SELECT', 'the ledger: the source of every row written, and which import removed it'),
    (46, 'table', 'bellatrix_migrate', 'row_changes', 'SELECT,INSERT', 'SELECT', 'the ledger: what later imports changed in earlier rows'),
    (47, 'sequence', 'bellatrix_migrate', 'row_changes_id_seq', 'USAGE', '', 'numbering those changes'),
    (48, 'sequence', 'bellatrix_migrate', 'id_counter', 'USAGE', '', 'the counter of the time-ordered ids of new rows'),
    (49, 'table', 'bellatrix_migrate', 'row_images', 'SELECT,INSERT,UPDATE', '', 'the earlier rows an import changes, kept for revert (by the triggers of migration 0010)'),
    (57, 'table', 'bellatrix_migrate', 'similarity', 'SELECT,INSERT,UPDATE', 'SELECT', 'the headline similarity score of each score row and its two source rows'),
    (45, 'table', 'bellatrix_migrate', 'config_observations', 'SELECT,INSERT,UPDATE', 'SELECT', 'models.yaml and config.py entries seen; the model of a merged model'),
    (50, 'table', 'bellatrix_migrate', 'stage_files', 'SELECT,INSERT,TRUNCATE', '', 'staging, emptied with TRUNCATE'),
    (51, 'table', 'bellatrix_migrate', 'stage_raw_metrics', 'SELECT,INSERT,UPDATE,TRUNCATE,MAINTAIN', '', 'staging: COPY, prompt links, TRUNCATE'),
    (52, 'table', 'bellatrix_migrate', 'stage_prompts', 'SELECT,INSERT,TRUNCATE', '', 'staging: COPY, TRUNCATE'),
    (53, 'table', 'bellatrix_migrate', 'stage_log_entries', 'SELECT,INSERT,TRUNCATE', '', 'staging: COPY, TRUNCATE'),
    (54, 'table', 'bellatrix_migrate', 'stage_models', 'SELECT,INSERT,TRUNCATE', '', 'staging: COPY, TRUNCATE'),
    (55, 'table', 'bellatrix_migrate', 'stage_users', 'SELECT,INSERT,TRUNCATE', '', 'staging: COPY, TRUNCATE'),
    (56, 'table', 'bellatrix_migrate', 'stage_aggregates', 'SELECT,INSERT,TRUNCATE', '', 'staging: COPY, TRUNCATE'),
    -- The id default of most production tables (uuid-ossp, in whatever schema the extension is).
    (60, 'function', NULL, 'uuid_generate_v4', 'EXECUTE', '', 'the id default of the production tables'),
    (61, 'function', 'bellatrix_migrate', 'ordered_id', 'EXECUTE', '', 'the time-ordered ids of new rows')
),
privileges AS (
    SELECT l.ord, l.kind, l.schema_name, l.object_name, p.privilege, p.privilege <> 'MAINTAIN' AS required,
           l.purpose
    FROM listed l
    CROSS JOIN LATERAL unnest(string_to_array(
        CASE $1::text WHEN 'verify' THEN l.verify_privileges ELSE l.import_privileges END, ',')) AS p (privilege)
    WHERE p.privilege <> 'MAINTAIN' OR current_setting('server_version_num')::int >= 170000
),
grantee AS (
    SELECT COALESCE($2::text, current_user::text) AS name,
           EXISTS (SELECT 1 FROM pg_roles WHERE rolname = COALESCE($2::text, current_user::text)) AS known
),
resolved AS (
    SELECT p.*, o.oid, o.owner, o.name
    FROM privileges p
    LEFT JOIN LATERAL (
        SELECT d.oid, d.datdba AS owner, format('%I', d.datname) AS name
        FROM pg_database d WHERE p.kind = 'database' AND d.datname = current_database()
        UNION ALL
        SELECT n.oid, n.nspowner, format('%I', n.nspname)
        FROM pg_namespace n WHERE p.kind = 'schema' AND n.nspname = p.schema_name
        UNION ALL
        SELECT c.oid, c.relowner, format('%I.%I', n.nspname, c.relname)
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE p.kind IN ('table', 'sequence') AND n.nspname = p.schema_name AND c.relname = p.object_name
        UNION ALL
        (SELECT f.oid, f.proowner, format('%I.%I()', n.nspname, f.proname)
         FROM pg_proc f JOIN pg_namespace n ON n.oid = f.pronamespace
         LEFT JOIN pg_extension e ON e.extname = 'uuid-ossp'
         WHERE p.kind = 'function' AND f.proname = p.object_name AND f.pronargs = 0
           AND (p.schema_name IS NULL OR n.nspname = p.schema_name)
         ORDER BY f.pronamespace = e.extnamespace DESC, f.oid
         LIMIT 1)
    ) o ON true
)
SELECT r.ord, r.kind, COALESCE(r.name, concat_ws('.', quote_ident(r.schema_name), quote_ident(r.object_name))) AS name,
       r.privilege, r.required, r.purpose, r.oid IS NOT NULL AS found, r.owner::regrole::text AS owner,
       COALESCE(pg_has_role(current_user, r.owner, 'USAGE'), false) AS owned_by_current_role,
       grantee.name AS grantee,
       CASE WHEN r.oid IS NULL OR NOT grantee.known THEN false
            ELSE CASE r.kind
                WHEN 'database' THEN has_database_privilege(grantee.name::name, r.oid, r.privilege)
                WHEN 'schema' THEN has_schema_privilege(grantee.name::name, r.oid, r.privilege)
                WHEN 'table' THEN has_table_privilege(grantee.name::name, r.oid, r.privilege)
                WHEN 'sequence' THEN has_sequence_privilege(grantee.name::name, r.oid, r.privilege)
                WHEN 'function' THEN has_function_privilege(grantee.name::name, r.oid, r.privilege)
            END
       END AS held
FROM resolved r CROSS JOIN grantee
