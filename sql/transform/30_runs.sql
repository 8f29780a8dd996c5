-- Creates the runs that new rows name and no earlier import created. Counters and times are filled
-- by 70_run_counters.sql from the rows themselves.
CREATE TEMP TABLE t_new_runs (id uuid, run_id text) ON COMMIT DROP;

WITH candidates AS (
    SELECT DISTINCT ON (run_id) run_id, run_origin, evaluated_at, file_path, line
    FROM t_rows
    WHERE new_id IS NOT NULL AND run_id IS NOT NULL
    ORDER BY run_id, evaluated_at, file_no, line
), inserted AS (
    INSERT INTO evaluation_runs (id, run_id, user_id, name, status, started_at, metadata)
    SELECT uuid_generate_v4(), c.run_id, NULL,
           CASE c.run_origin
               WHEN 'cli' THEN 'Legacy CLI run'
               WHEN 'dashboard' THEN 'Legacy dashboard call'
               WHEN 'cloudwatch' THEN 'Legacy CloudWatch import'
               WHEN 'root_results' THEN 'Legacy results file (root-era evaluate.py)'
               ELSE 'Legacy run'
           END,
           'completed', c.evaluated_at,
           jsonb_build_object('origin', c.run_origin,
                              'source', jsonb_build_object('file', c.file_path, 'line', c.line))
    FROM candidates c
    WHERE NOT EXISTS (SELECT 1 FROM evaluation_runs r WHERE r.run_id = c.run_id)
    RETURNING id, run_id
)
INSERT INTO t_new_runs SELECT id, run_id FROM inserted;
