-- run_counters: every run carries the counters its rows give (the definition of
-- sql/transform/70_run_counters.sql): total, successful and failed evaluations, distinct prompts and
-- distinct models of its evaluation_metrics rows. A run without rows has zeros.
-- $1: the import to check (the runs its rows belong to), or NULL for every run.
-- $2: NULL, or the percentage of evaluation_metrics' pages whose runs are checked instead (a first
-- load, whose rows are the whole table: its runs were inserted with counters one statement computed
-- from the rows it inserted, so a random sample of runs is recounted; `verify` recounts every run).
WITH scope AS NOT MATERIALIZED (
    SELECT target_table, target_id FROM bellatrix_migrate.row_sources WHERE import_id = $1
), touched AS MATERIALIZED (
    SELECT em.run_id AS id FROM evaluation_metrics em
    WHERE $2::float8 IS NULL AND em.id IN (SELECT target_id FROM scope WHERE target_table = 'evaluation_metrics')
    UNION
    SELECT mm.run_id FROM master_model_evaluations mm
    WHERE $2::float8 IS NULL AND mm.id IN (SELECT target_id FROM scope WHERE target_table = 'master_model_evaluations')
    UNION
    SELECT em.run_id FROM evaluation_metrics em TABLESAMPLE SYSTEM (COALESCE($2::float8, 0))
    WHERE $2::float8 IS NOT NULL
), runs AS (
    -- Two branches rather than `$1 IS NULL OR id IN (...)`: an OR keeps the planner from turning the
    -- IN into a join, which would make an import of one row scan every run.
    SELECT r.id, r.run_id, r.metadata, r.total_evaluations, r.successful_evaluations,
           r.failed_evaluations, r.total_prompts, r.total_models
    FROM evaluation_runs r
    WHERE $1::bigint IS NULL
    UNION ALL
    SELECT r.id, r.run_id, r.metadata, r.total_evaluations, r.successful_evaluations,
           r.failed_evaluations, r.total_prompts, r.total_models
    FROM evaluation_runs r
    WHERE $1::bigint IS NOT NULL AND r.id IN (SELECT id FROM touched)
), actual AS (
    -- Over every row when checking the whole database (one pass, no semi-join), else over the rows
    -- of the runs this import touched.
    SELECT em.run_id,
           count(*)                                      AS total,
           count(*) FILTER (WHERE em.status = 'success') AS ok,
           count(*) FILTER (WHERE em.status = 'error')   AS failed,
           count(DISTINCT em.prompt_id)                  AS prompts,
           count(DISTINCT em.model_id)                   AS models
    FROM (SELECT run_id, status, prompt_id, model_id FROM evaluation_metrics WHERE $1::bigint IS NULL
          UNION ALL
          SELECT run_id, status, prompt_id, model_id FROM evaluation_metrics
          WHERE $1::bigint IS NOT NULL AND run_id IN (SELECT id FROM touched)) em
    GROUP BY em.run_id
), compared AS (
    SELECT r.run_id,
           COALESCE(' (' || (r.metadata #>> '{source,file}') || ':' || (r.metadata #>> '{source,line}') || ')', '') AS place,
           concat_ws(', ',
               CASE WHEN r.total_evaluations IS DISTINCT FROM COALESCE(a.total, 0)
                    THEN 'total_evaluations ' || COALESCE(r.total_evaluations::text, 'NULL') || ' (rows give ' || COALESCE(a.total, 0) || ')' END,
               CASE WHEN r.successful_evaluations IS DISTINCT FROM COALESCE(a.ok, 0)
                    THEN 'successful_evaluations ' || COALESCE(r.successful_evaluations::text, 'NULL') || ' (rows give ' || COALESCE(a.ok, 0) || ')' END,
               CASE WHEN r.failed_evaluations IS DISTINCT FROM COALESCE(a.failed, 0)
                    THEN 'failed_evaluations ' || COALESCE(r.failed_evaluations::text, 'NULL') || ' (rows give ' || COALESCE(a.failed, 0) || ')' END,
               CASE WHEN r.total_prompts IS DISTINCT FROM COALESCE(a.prompts, 0)
                    THEN 'total_prompts ' || COALESCE(r.total_prompts::text, 'NULL') || ' (rows give ' || COALESCE(a.prompts, 0) || ')' END,
               CASE WHEN r.total_models IS DISTINCT FROM COALESCE(a.models, 0)
                    THEN 'total_models ' || COALESCE(r.total_models::text, 'NULL') || ' (rows give ' || COALESCE(a.models, 0) || ')' END
           ) AS wrong
    FROM runs r
    LEFT JOIN actual a ON a.run_id = r.id
), bad AS (
    SELECT *, row_number() OVER (ORDER BY run_id) AS rn FROM compared WHERE wrong <> ''
)
SELECT count(*) = 0 AS ok,
       CASE WHEN count(*) = 0 THEN 'the counters of every run checked (' || (SELECT count(*) FROM runs)
                                   || ') equal what its rows give'
            ELSE count(*) || ' runs have counters their rows do not give: '
                 || string_agg('run ' || run_id || place || ': ' || wrong, '; ' ORDER BY rn) FILTER (WHERE rn <= 10)
       END AS detail
FROM bad;
