-- Per-table outcome counts of this import, read by the report. `duplicate` counts candidates that
-- already existed (rows, prompts, models, runs); `updated` counts rows recomputed in place.
-- Anti-joins are NOT EXISTS, never NOT IN (subquery): with hundreds of thousands of runs a NOT IN
-- that does not fit work_mem is re-scanned per row.
SELECT 'evaluation_metrics' AS table_name,
       count(*) FILTER (WHERE new_id IS NOT NULL AND NOT is_master) AS inserted,
       count(*) FILTER (WHERE new_id IS NULL AND NOT is_master) AS duplicate,
       0::bigint AS updated
FROM t_rows
UNION ALL
SELECT 'master_model_evaluations',
       count(*) FILTER (WHERE new_id IS NOT NULL AND is_master),
       count(*) FILTER (WHERE new_id IS NULL AND is_master),
       0
FROM t_rows
UNION ALL
SELECT 'prompts',
       (SELECT count(*) FROM t_new_prompts),
       (SELECT count(DISTINCT prompt_hash) FROM t_rows WHERE new_id IS NOT NULL)
         - (SELECT count(*) FROM t_new_prompts),
       0
UNION ALL
SELECT 'models',
       (SELECT count(*) FROM t_new_models),
       (SELECT count(DISTINCT k.model_uuid) FROM t_model_keys k
         WHERE NOT EXISTS (SELECT 1 FROM t_new_models n WHERE n.id = k.model_uuid)),
       0
UNION ALL
SELECT 'model_providers', (SELECT count(*) FROM t_new_providers), 0, 0
UNION ALL
SELECT 'evaluation_runs',
       (SELECT count(*) FROM t_new_runs),
       (SELECT count(DISTINCT run_id) FROM t_rows WHERE new_id IS NOT NULL AND run_id IS NOT NULL)
         - (SELECT count(*) FROM t_new_runs),
       (SELECT count(*) FROM t_touched_runs t
         WHERE NOT EXISTS (SELECT 1 FROM t_new_runs n WHERE n.id = t.id))
UNION ALL
SELECT 'model_aggregated_metrics',
       count(*) FILTER (WHERE inserted),
       0,
       count(*) FILTER (WHERE NOT inserted)
FROM t_aggregates;
