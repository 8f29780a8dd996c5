-- Recomputes the counters and times of every run that existed before this import and got new rows
-- or re-linked ones (48_relink.sql) or whose models were merged (21_model_merges.sql), from all of its rows (earlier imports included), with the definition of 30_runs.sql (which
-- counted the runs this import created). Touching only those keeps a first load from updating every
-- run it just inserted.
CREATE TEMP TABLE t_touched_runs ON COMMIT DROP AS
SELECT DISTINCT r.id
FROM t_rows t JOIN evaluation_runs r ON r.run_id = t.run_id
WHERE t.new_id IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM t_new_runs n WHERE n.id = r.id)
UNION
SELECT run_id FROM t_relinks WHERE run_id IS NOT NULL
UNION
SELECT run_id FROM t_merged_pairs;

UPDATE evaluation_runs r
SET total_evaluations      = s.total,
    successful_evaluations = s.ok,
    failed_evaluations     = s.failed,
    total_prompts          = s.prompts,
    total_models           = s.models,
    started_at             = s.first_at,
    completed_at           = s.last_end,
    status                 = CASE WHEN s.ok = 0 THEN 'failed' ELSE 'completed' END
FROM (
    SELECT em.run_id,
           count(*)                                      AS total,
           count(*) FILTER (WHERE em.status = 'success') AS ok,
           count(*) FILTER (WHERE em.status = 'error')   AS failed,
           count(DISTINCT em.prompt_id)                  AS prompts,
           count(DISTINCT em.model_id)                   AS models,
           min(em.evaluated_at)                          AS first_at,
           max(em.evaluated_at + em.latency_ms * interval '1 millisecond') AS last_end
    FROM evaluation_metrics em
    WHERE em.run_id IN (SELECT id FROM t_touched_runs)
    GROUP BY em.run_id
) s
WHERE r.id = s.run_id;
