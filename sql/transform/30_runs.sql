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

-- Two passes over the new rows, both hash aggregates (no sort): one for the figures of each run and
-- its first row, one for its distinct prompts and models. The first row is the one a sort by
-- (evaluated_at, file_no, line) would put first: the least array of those three (arrays compare
-- element by element, and a NULL time sorts last, as in ORDER BY). Its origin is any row's: a run's
-- origin follows from its id alone (read::raw_metrics::run_origin; root-era ids are
-- legacy_results_…). The per-run figures are grouped subqueries whose row counts the planner
-- cannot estimate (it assumes 200); it would then sort both for a merge join. Hash joins, for this
-- statement only.
SET LOCAL enable_mergejoin = off;

WITH per_run AS (
    SELECT run_id,
           min(run_origin) AS run_origin,
           min(ARRAY[(extract(epoch FROM evaluated_at) * 1000000)::bigint, file_no, line]) AS first_row,
           count(*) FILTER (WHERE NOT is_master)                      AS total,
           count(*) FILTER (WHERE NOT is_master AND status = 'success') AS ok,
           count(*) FILTER (WHERE NOT is_master AND status = 'error')   AS failed,
           min(evaluated_at) FILTER (WHERE NOT is_master)               AS first_at,
           max(evaluated_at + latency_ms * interval '1 millisecond') FILTER (WHERE NOT is_master) AS last_end
    FROM t_run_rows
    GROUP BY run_id
), distinct_counts AS (
    -- Distinct prompts and models in one pass: the two grouping sets are hashed side by side, and
    -- GROUPING() tells their groups apart (1: a distinct prompt, 2: a distinct model).
    SELECT run_id, count(*) FILTER (WHERE g = 1) AS prompts, count(*) FILTER (WHERE g = 2) AS models
    FROM (SELECT run_id, GROUPING(prompt_hash, model_uuid) AS g
          FROM t_run_rows
          WHERE NOT is_master
          GROUP BY GROUPING SETS ((run_id, prompt_hash), (run_id, model_uuid))) d
    GROUP BY run_id
), firsts AS (
    SELECT p.*, f.path AS file_path, p.first_row[3] AS line,
           timestamptz 'epoch' + p.first_row[1] * interval '1 microsecond' AS evaluated_at
    FROM per_run p
    JOIN bellatrix_migrate.stage_files f ON f.file_no = p.first_row[2]
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
           CASE WHEN f.total > 0 AND f.ok = 0 THEN 'failed' ELSE 'completed' END,
           COALESCE(f.first_at, f.evaluated_at), f.last_end,
           COALESCE(d.prompts, 0), COALESCE(d.models, 0), f.total, f.ok, f.failed,
           jsonb_build_object('origin', f.run_origin,
                              'source', jsonb_build_object('file', f.file_path, 'line', f.line))
    FROM firsts f
    LEFT JOIN distinct_counts d ON d.run_id = f.run_id
    RETURNING id, run_id
)
INSERT INTO t_new_runs SELECT id, run_id FROM inserted;

RESET enable_mergejoin;
