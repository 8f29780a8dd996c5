-- Per-table outcome counts of this import, read by the report. `duplicate` counts candidates that
-- already existed (rows, prompts, models, runs, log entries, users, login events); `updated` counts rows changed
-- in place (run counters, aggregates, price and parameter periods, models a newer configuration
-- version describes, users a later users.json version updated, rows re-linked to their real prompt,
-- prompts a better source describes). Transform-time rejects are added from rejects.sql.
-- Anti-joins are NOT EXISTS, never NOT IN (subquery): with hundreds of thousands of runs a NOT IN
-- that does not fit work_mem is re-scanned for every row. Distinct counts over a million rows are
-- counted from a DISTINCT subquery (a hash aggregate): count(DISTINCT …) sorts them.
-- t_prompt_winners holds one row per distinct hash of the candidates.
SELECT 'evaluation_metrics' AS table_name,
       count(*) FILTER (WHERE new_id IS NOT NULL AND NOT is_master) AS inserted,
       count(*) FILTER (WHERE new_id IS NULL AND NOT is_master) AS duplicate,
       (SELECT count(*) FROM t_relinks WHERE target_table = 'evaluation_metrics') AS updated
FROM t_rows
UNION ALL
SELECT 'master_model_evaluations',
       count(*) FILTER (WHERE new_id IS NOT NULL AND is_master),
       count(*) FILTER (WHERE new_id IS NULL AND is_master),
       (SELECT count(*) FROM t_relinks WHERE target_table = 'master_model_evaluations')
FROM t_rows
UNION ALL
SELECT 'prompts',
       (SELECT count(*) FROM t_new_prompts),
       (SELECT count(*) FROM t_prompt_winners) - (SELECT count(*) FROM t_new_prompts),
       (SELECT count(*) FROM t_prompt_upgrades WHERE better)
UNION ALL
SELECT 'models',
       (SELECT count(*) FROM t_new_models) + (SELECT count(*) FROM t_cfg_new_models)
         + (SELECT count(*) FROM t_log_new_models),
       (SELECT count(*) FROM (
            SELECT model_uuid FROM t_model_keys UNION SELECT model_uuid FROM t_cfg
            UNION SELECT model_uuid FROM t_log_models) seen
        WHERE model_uuid IS NOT NULL
          AND NOT EXISTS (SELECT 1 FROM (SELECT id FROM t_new_models UNION ALL SELECT id FROM t_cfg_new_models
                                         UNION ALL SELECT id FROM t_log_new_models) n
                          WHERE n.id = seen.model_uuid)),
       (SELECT count(*) FROM t_cfg_updated_models)
UNION ALL
SELECT 'model_providers',
       (SELECT count(*) FROM t_new_providers) + (SELECT count(*) FROM t_cfg_new_providers)
         + (SELECT count(*) FROM t_log_new_providers),
       0, 0
UNION ALL
SELECT 'model_pricing',
       (SELECT count(DISTINCT id) FROM t_pricing_changes WHERE inserted),
       0,
       (SELECT count(DISTINCT c.id) FROM t_pricing_changes c
        WHERE NOT c.inserted AND NOT EXISTS (SELECT 1 FROM t_pricing_changes i WHERE i.inserted AND i.id = c.id))
UNION ALL
SELECT 'model_generation_params',
       (SELECT count(DISTINCT id) FROM t_params_changes WHERE inserted),
       0,
       (SELECT count(DISTINCT c.id) FROM t_params_changes c
        WHERE NOT c.inserted AND NOT EXISTS (SELECT 1 FROM t_params_changes i WHERE i.inserted AND i.id = c.id))
UNION ALL
SELECT 'evaluation_runs',
       (SELECT count(*) FROM t_new_runs),
       (SELECT count(*) FROM (SELECT DISTINCT run_id FROM t_rows WHERE new_id IS NOT NULL AND run_id IS NOT NULL) d)
         - (SELECT count(*) FROM t_new_runs),
       (SELECT count(*) FROM t_touched_runs)
UNION ALL
SELECT 'model_aggregated_metrics',
       count(*) FILTER (WHERE inserted),
       0,
       count(*) FILTER (WHERE NOT inserted)
FROM t_aggregates
UNION ALL
SELECT 'cloudwatch_log_entries',
       count(*) FILTER (WHERE new_id IS NOT NULL),
       count(*) FILTER (WHERE new_id IS NULL),
       0
FROM t_log_rows
UNION ALL
SELECT 'users',
       count(*) FILTER (WHERE new_id IS NOT NULL),
       count(*) FILTER (WHERE new_id IS NULL AND updated_id IS NULL AND conflict IS NULL),
       count(*) FILTER (WHERE updated_id IS NOT NULL)
FROM t_user_rows
UNION ALL
SELECT 'audit_log',
       count(*) FILTER (WHERE new_id IS NOT NULL),
       count(*) FILTER (WHERE new_id IS NULL),
       0
FROM t_logins;
