-- Creates the runs that new rows name and no earlier import created, with their counters and times
-- computed here from the new rows (all of a new run's rows are in this import): started_at = first
-- row, completed_at = last row's start + its latency, status `failed` when no row succeeded; the
-- counters count evaluation_metrics rows (not `Master: ` rows), distinct prompts by hash and distinct
-- models as resolved. A run named only by master rows keeps zero counters and no completed_at.
-- Runs that already existed are recounted from all their rows by 70_run_counters.sql.
CREATE TEMP TABLE t_new_runs (id uuid, run_id text) ON COMMIT DROP;

-- The new rows of new runs, as a table with statistics: the planner then knows how many runs there
-- are and joins the per-run figures below by hashing instead of sorting each of them.
CREATE TEMP TABLE t_run_rows ON COMMIT DROP AS
SELECT t.run_id, t.run_origin, t.evaluated_at, t.file_no, t.file_path, t.line, t.is_master,
       t.status, t.latency_ms, t.prompt_hash, k.model_uuid
FROM t_rows t
JOIN t_model_keys k ON k.model_key = t.model_key
WHERE t.new_id IS NOT NULL AND t.run_id IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM evaluation_runs r WHERE r.run_id = t.run_id);

ANALYZE t_run_rows;

-- The per-run counts below are grouped subqueries whose row counts the planner cannot estimate
-- (it assumes 200); it then sorts each of them for a merge join. Hash joins, for this statement only.
SET LOCAL enable_mergejoin = off;

WITH firsts AS (
    SELECT DISTINCT ON (run_id) run_id, run_origin, evaluated_at, file_path, line
    FROM t_run_rows
    ORDER BY run_id, evaluated_at, file_no, line
), counts AS (
    SELECT run_id,
           count(*)                                   AS total,
           count(*) FILTER (WHERE status = 'success') AS ok,
           count(*) FILTER (WHERE status = 'error')   AS failed,
           min(evaluated_at)                          AS first_at,
           max(evaluated_at + latency_ms * interval '1 millisecond') AS last_end
    FROM t_run_rows
    WHERE NOT is_master
    GROUP BY run_id
), distinct_prompts AS (
    -- Distinct counts by grouping twice: count(DISTINCT) would sort every run's rows apart.
    SELECT run_id, count(*) AS prompts
    FROM (SELECT DISTINCT run_id, prompt_hash FROM t_run_rows WHERE NOT is_master) d
    GROUP BY run_id
), distinct_models AS (
    SELECT run_id, count(*) AS models
    FROM (SELECT DISTINCT run_id, model_uuid FROM t_run_rows WHERE NOT is_master) d
    GROUP BY run_id
), inserted AS (
    INSERT INTO evaluation_runs (id, run_id, user_id, name, status, started_at, completed_at,
                                 total_prompts, total_models, total_evaluations,
                                 successful_evaluations, failed_evaluations, metadata)
    SELECT bellatrix_migrate.ordered_id(), f.run_id, NULL,
           CASE f.run_origin
               WHEN 'cli' THEN 'Legacy CLI run'
               WHEN 'dashboard' THEN 'Legacy dashboard call'
               WHEN 'cloudwatch' THEN 'Legacy CloudWatch import'
               WHEN 'root_results' THEN 'Legacy results file (root-era evaluate.py)'
               ELSE 'Legacy run'
           END,
           CASE WHEN c.ok = 0 THEN 'failed' ELSE 'completed' END,
           COALESCE(c.first_at, f.evaluated_at), c.last_end,
           COALESCE(dp.prompts, 0), COALESCE(dm.models, 0), COALESCE(c.total, 0),
           COALESCE(c.ok, 0), COALESCE(c.failed, 0),
           jsonb_build_object('origin', f.run_origin,
                              'source', jsonb_build_object('file', f.file_path, 'line', f.line))
    FROM firsts f
    LEFT JOIN counts c ON c.run_id = f.run_id
    LEFT JOIN distinct_prompts dp ON dp.run_id = f.run_id
    LEFT JOIN distinct_models dm ON dm.run_id = f.run_id
    RETURNING id, run_id
)
INSERT INTO t_new_runs SELECT id, run_id FROM inserted;

RESET enable_mergejoin;
