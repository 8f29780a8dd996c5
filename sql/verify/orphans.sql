-- no_orphans: every foreign key of the 13 production tables resolves. The schema's constraints
-- normally guarantee it; this proves it for a database whose constraints were missing, disabled
-- (session_replication_role = replica, as bulk tools do) or never created by a legacy setup.
-- $1: the import to check (its metric rows; the small tables are always checked whole), or NULL for
-- every row.
-- In an import, a reference PostgreSQL itself enforced on every row the import wrote is not queried
-- again: its foreign key is validated, its triggers fire (enabled, in a session whose
-- session_replication_role is origin), and no other session can have changed that while the import
-- held its locks; the bulk path of a first load re-created and so re-validated it over all rows.
-- Such a reference is counted as enforced in the detail. `verify` ($1 NULL) queries every reference:
-- it cannot know what held when older rows were written.
WITH enforced AS MATERIALIZED (
    SELECT (c.conrelid::regclass)::text || '.' || a.attname || '>' || (c.confrelid::regclass)::text AS fk
    FROM pg_constraint c
    JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
    WHERE $1::bigint IS NOT NULL
      AND c.contype = 'f' AND c.convalidated AND cardinality(c.conkey) = 1
      AND current_setting('session_replication_role') = 'origin'
      AND NOT EXISTS (SELECT 1 FROM pg_trigger t WHERE t.tgconstraint = c.oid AND t.tgenabled NOT IN ('O', 'A'))
), scope AS NOT MATERIALIZED (
    SELECT target_id FROM bellatrix_migrate.row_sources WHERE import_id = $1
), em AS (
    -- Two branches rather than `$1 IS NULL OR id IN (...)`, which the planner cannot turn into a
    -- join: an import of a few rows reads those rows, not the table.
    SELECT x.id, x.run_id, x.model_id, x.prompt_id, x.user_id, x.metadata FROM evaluation_metrics x WHERE $1::bigint IS NULL
    UNION ALL
    SELECT x.id, x.run_id, x.model_id, x.prompt_id, x.user_id, x.metadata FROM evaluation_metrics x
    WHERE $1::bigint IS NOT NULL AND x.id IN (SELECT target_id FROM scope)
), mm AS (
    SELECT x.id, x.run_id, x.model_id, x.prompt_id, x.user_id, x.metadata FROM master_model_evaluations x WHERE $1::bigint IS NULL
    UNION ALL
    SELECT x.id, x.run_id, x.model_id, x.prompt_id, x.user_id, x.metadata FROM master_model_evaluations x
    WHERE $1::bigint IS NOT NULL AND x.id IN (SELECT target_id FROM scope)
), orphans AS (
    SELECT 'evaluation_metrics.run_id' AS fk, em.id, em.metadata FROM em
    WHERE NOT EXISTS (SELECT 1 FROM enforced WHERE fk = 'evaluation_metrics.run_id>evaluation_runs')
      AND NOT EXISTS (SELECT 1 FROM evaluation_runs r WHERE r.id = em.run_id)
    UNION ALL
    SELECT 'evaluation_metrics.model_id', em.id, em.metadata FROM em
    WHERE NOT EXISTS (SELECT 1 FROM enforced WHERE fk = 'evaluation_metrics.model_id>models')
      AND NOT EXISTS (SELECT 1 FROM models m WHERE m.id = em.model_id)
    UNION ALL
    SELECT 'evaluation_metrics.prompt_id', em.id, em.metadata FROM em
    WHERE NOT EXISTS (SELECT 1 FROM enforced WHERE fk = 'evaluation_metrics.prompt_id>prompts')
      AND NOT EXISTS (SELECT 1 FROM prompts p WHERE p.id = em.prompt_id)
    UNION ALL
    SELECT 'evaluation_metrics.user_id', em.id, em.metadata FROM em
    WHERE NOT EXISTS (SELECT 1 FROM enforced WHERE fk = 'evaluation_metrics.user_id>users')
      AND em.user_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM users u WHERE u.id = em.user_id)
    UNION ALL
    SELECT 'master_model_evaluations.run_id', mm.id, mm.metadata FROM mm
    WHERE NOT EXISTS (SELECT 1 FROM enforced WHERE fk = 'master_model_evaluations.run_id>evaluation_runs')
      AND mm.run_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM evaluation_runs r WHERE r.id = mm.run_id)
    UNION ALL
    SELECT 'master_model_evaluations.model_id', mm.id, mm.metadata FROM mm
    WHERE NOT EXISTS (SELECT 1 FROM enforced WHERE fk = 'master_model_evaluations.model_id>models')
      AND NOT EXISTS (SELECT 1 FROM models m WHERE m.id = mm.model_id)
    UNION ALL
    SELECT 'master_model_evaluations.prompt_id', mm.id, mm.metadata FROM mm
    WHERE NOT EXISTS (SELECT 1 FROM enforced WHERE fk = 'master_model_evaluations.prompt_id>prompts')
      AND NOT EXISTS (SELECT 1 FROM prompts p WHERE p.id = mm.prompt_id)
    UNION ALL
    SELECT 'master_model_evaluations.user_id', mm.id, mm.metadata FROM mm
    WHERE NOT EXISTS (SELECT 1 FROM enforced WHERE fk = 'master_model_evaluations.user_id>users')
      AND mm.user_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM users u WHERE u.id = mm.user_id)
    UNION ALL
    SELECT 'model_aggregated_metrics.run_id', a.id, NULL FROM model_aggregated_metrics a
    WHERE NOT EXISTS (SELECT 1 FROM enforced WHERE fk = 'model_aggregated_metrics.run_id>evaluation_runs')
      AND NOT EXISTS (SELECT 1 FROM evaluation_runs r WHERE r.id = a.run_id)
    UNION ALL
    SELECT 'model_aggregated_metrics.model_id', a.id, NULL FROM model_aggregated_metrics a
    WHERE NOT EXISTS (SELECT 1 FROM enforced WHERE fk = 'model_aggregated_metrics.model_id>models')
      AND NOT EXISTS (SELECT 1 FROM models m WHERE m.id = a.model_id)
    UNION ALL
    SELECT 'models.provider_id', m.id, m.metadata FROM models m
    WHERE NOT EXISTS (SELECT 1 FROM enforced WHERE fk = 'models.provider_id>model_providers')
      AND NOT EXISTS (SELECT 1 FROM model_providers p WHERE p.id = m.provider_id)
    UNION ALL
    SELECT 'model_pricing.model_id', x.id, NULL FROM model_pricing x
    WHERE NOT EXISTS (SELECT 1 FROM enforced WHERE fk = 'model_pricing.model_id>models')
      AND NOT EXISTS (SELECT 1 FROM models m WHERE m.id = x.model_id)
    UNION ALL
    SELECT 'model_generation_params.model_id', x.id, NULL FROM model_generation_params x
    WHERE NOT EXISTS (SELECT 1 FROM enforced WHERE fk = 'model_generation_params.model_id>models')
      AND NOT EXISTS (SELECT 1 FROM models m WHERE m.id = x.model_id)
    UNION ALL
    SELECT 'prompts.user_id', p.id, p.metadata FROM prompts p
    WHERE NOT EXISTS (SELECT 1 FROM enforced WHERE fk = 'prompts.user_id>users')
      AND p.user_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM users u WHERE u.id = p.user_id)
    UNION ALL
    SELECT 'evaluation_runs.user_id', r.id, r.metadata FROM evaluation_runs r
    WHERE NOT EXISTS (SELECT 1 FROM enforced WHERE fk = 'evaluation_runs.user_id>users')
      AND r.user_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM users u WHERE u.id = r.user_id)
    UNION ALL
    SELECT 'similarity_scores.' || c.col, s.id, NULL
    FROM similarity_scores s
    CROSS JOIN LATERAL (VALUES
        ('run_id', s.run_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM evaluation_runs r WHERE r.id = s.run_id)),
        ('prompt_id', NOT EXISTS (SELECT 1 FROM prompts p WHERE p.id = s.prompt_id)),
        ('model_a_id', NOT EXISTS (SELECT 1 FROM models m WHERE m.id = s.model_a_id)),
        ('model_b_id', NOT EXISTS (SELECT 1 FROM models m WHERE m.id = s.model_b_id)),
        ('master_model_id', s.master_model_id IS NOT NULL
                            AND NOT EXISTS (SELECT 1 FROM models m WHERE m.id = s.master_model_id))
    ) AS c(col, broken)
    WHERE c.broken
    UNION ALL
    SELECT 'cloudwatch_log_entries.user_id', c.id, c.metadata FROM cloudwatch_log_entries c
    WHERE NOT EXISTS (SELECT 1 FROM enforced WHERE fk = 'cloudwatch_log_entries.user_id>users')
      AND c.user_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM users u WHERE u.id = c.user_id)
    UNION ALL
    SELECT 'audit_log.user_id', l.id, NULL FROM audit_log l
    WHERE NOT EXISTS (SELECT 1 FROM enforced WHERE fk = 'audit_log.user_id>users')
      AND l.user_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM users u WHERE u.id = l.user_id)
), numbered AS (
    SELECT fk,
           'id ' || id || COALESCE(' (' || (metadata #>> '{source,file}') || ':'
                                   || (metadata #>> '{source,line}') || ')', '') AS place,
           row_number() OVER (ORDER BY fk, id) AS rn
    FROM orphans
)
SELECT count(*) = 0 AS ok,
       CASE WHEN count(*) = 0 THEN 'every foreign key resolves'
                 || COALESCE(' (' || NULLIF((SELECT count(*) FROM enforced WHERE fk NOT LIKE 'bellatrix\_migrate.%'), 0)
                             || ' foreign keys of the production tables were enforced by PostgreSQL on this '
                             || 'import''s rows: the references they cover were not queried again)', '')
            ELSE count(*) || ' references point to no row: '
                 || string_agg(fk || ' of ' || place, '; ' ORDER BY rn) FILTER (WHERE rn <= 10)
       END AS detail
FROM numbered;
