-- aggregates_match_recomputation: model_aggregated_metrics equals a fresh recomputation from
-- evaluation_metrics per (run, model), with the definition of sql/transform/80_aggregates.sql
-- (repeated here on purpose: the check must not trust the statement it checks). Every (run, model)
-- with rows has an aggregate row, no aggregate row lacks rows, and every figure is equal.
-- $1: the import to check (the pairs its rows belong to), or NULL for every pair.
-- $2: NULL, or the percentage of evaluation_metrics' pages whose pairs are checked instead (a first
-- load, whose rows are the whole table: its aggregates were built by one statement from the rows it
-- inserted, so a random sample of pairs is recomputed, and `verify` recomputes every pair).
WITH scope AS NOT MATERIALIZED (
    SELECT target_id FROM bellatrix_migrate.row_sources
    WHERE import_id = $1 AND target_table = 'evaluation_metrics'
), scoped AS MATERIALIZED (
    SELECT DISTINCT em.run_id, em.model_id FROM evaluation_metrics em
    WHERE $2::float8 IS NULL AND em.id IN (SELECT target_id FROM scope)
    UNION
    SELECT em.run_id, em.model_id FROM evaluation_metrics em TABLESAMPLE SYSTEM (COALESCE($2::float8, 0))
    WHERE $2::float8 IS NOT NULL
), fresh AS (
    SELECT em.run_id, em.model_id,
           count(*) AS total_count,
           count(*) FILTER (WHERE em.status = 'success') AS success_count,
           count(*) FILTER (WHERE em.status = 'error') AS error_count,
           round(avg(em.input_tokens), 2) AS avg_input_tokens,
           round(avg(em.output_tokens), 2) AS avg_output_tokens,
           round((percentile_cont(0.50) WITHIN GROUP (ORDER BY em.latency_ms) FILTER (WHERE em.status = 'success'))::numeric, 2) AS p50_latency_ms,
           round((percentile_cont(0.95) WITHIN GROUP (ORDER BY em.latency_ms) FILTER (WHERE em.status = 'success'))::numeric, 2) AS p95_latency_ms,
           round((percentile_cont(0.99) WITHIN GROUP (ORDER BY em.latency_ms) FILTER (WHERE em.status = 'success'))::numeric, 2) AS p99_latency_ms,
           min(em.latency_ms) FILTER (WHERE em.status = 'success') AS min_latency_ms,
           max(em.latency_ms) FILTER (WHERE em.status = 'success') AS max_latency_ms,
           count(*) FILTER (WHERE em.json_valid) AS json_valid_count,
           round(100.0 * count(*) FILTER (WHERE em.json_valid) / count(*), 2) AS json_valid_percentage,
           round(sum(em.cost_usd_total) / count(*), 6) AS avg_cost_usd_per_request,
           sum(em.cost_usd_total) AS total_cost_usd
    -- Two branches rather than `$1 IS NULL OR ... IN (...)`, which the planner cannot turn into a join.
    FROM (SELECT run_id, model_id, status, latency_ms, input_tokens, output_tokens, json_valid, cost_usd_total FROM evaluation_metrics WHERE $1::bigint IS NULL
          UNION ALL
          SELECT run_id, model_id, status, latency_ms, input_tokens, output_tokens, json_valid, cost_usd_total FROM evaluation_metrics
          WHERE $1::bigint IS NOT NULL AND (run_id, model_id) IN (SELECT run_id, model_id FROM scoped)) em
    GROUP BY em.run_id, em.model_id
), stored AS (
    SELECT a.* FROM model_aggregated_metrics a WHERE $1::bigint IS NULL
    UNION ALL
    SELECT a.* FROM model_aggregated_metrics a
    WHERE $1::bigint IS NOT NULL AND (a.run_id, a.model_id) IN (SELECT run_id, model_id FROM scoped)
), compared AS MATERIALIZED (
    -- Every pair with rows or an aggregate row when checking the whole database, else the pairs
    -- this import's rows belong to.
    SELECT COALESCE(f.run_id, a.run_id) AS run_id, COALESCE(f.model_id, a.model_id) AS model_id,
           CASE
               WHEN a.id IS NULL THEN 'no aggregate row although it has ' || f.total_count || ' rows'
               WHEN f.run_id IS NULL THEN 'an aggregate row (total_count ' || a.total_count || ') but no rows'
               ELSE concat_ws(', ',
                   CASE WHEN a.total_count IS DISTINCT FROM f.total_count THEN 'total_count ' || a.total_count || ' (recomputed ' || f.total_count || ')' END,
                   CASE WHEN a.success_count IS DISTINCT FROM f.success_count THEN 'success_count ' || a.success_count || ' (recomputed ' || f.success_count || ')' END,
                   CASE WHEN a.error_count IS DISTINCT FROM f.error_count THEN 'error_count ' || a.error_count || ' (recomputed ' || f.error_count || ')' END,
                   CASE WHEN a.avg_input_tokens IS DISTINCT FROM f.avg_input_tokens THEN 'avg_input_tokens ' || a.avg_input_tokens || ' (recomputed ' || f.avg_input_tokens || ')' END,
                   CASE WHEN a.avg_output_tokens IS DISTINCT FROM f.avg_output_tokens THEN 'avg_output_tokens ' || a.avg_output_tokens || ' (recomputed ' || f.avg_output_tokens || ')' END,
                   CASE WHEN a.p50_latency_ms IS DISTINCT FROM f.p50_latency_ms THEN 'p50_latency_ms ' || COALESCE(a.p50_latency_ms::text, 'NULL') || ' (recomputed ' || COALESCE(f.p50_latency_ms::text, 'NULL') || ')' END,
                   CASE WHEN a.p95_latency_ms IS DISTINCT FROM f.p95_latency_ms THEN 'p95_latency_ms ' || COALESCE(a.p95_latency_ms::text, 'NULL') || ' (recomputed ' || COALESCE(f.p95_latency_ms::text, 'NULL') || ')' END,
                   CASE WHEN a.p99_latency_ms IS DISTINCT FROM f.p99_latency_ms THEN 'p99_latency_ms ' || COALESCE(a.p99_latency_ms::text, 'NULL') || ' (recomputed ' || COALESCE(f.p99_latency_ms::text, 'NULL') || ')' END,
                   CASE WHEN a.min_latency_ms IS DISTINCT FROM f.min_latency_ms THEN 'min_latency_ms ' || COALESCE(a.min_latency_ms::text, 'NULL') || ' (recomputed ' || COALESCE(f.min_latency_ms::text, 'NULL') || ')' END,
                   CASE WHEN a.max_latency_ms IS DISTINCT FROM f.max_latency_ms THEN 'max_latency_ms ' || COALESCE(a.max_latency_ms::text, 'NULL') || ' (recomputed ' || COALESCE(f.max_latency_ms::text, 'NULL') || ')' END,
                   CASE WHEN a.json_valid_count IS DISTINCT FROM f.json_valid_count THEN 'json_valid_count ' || COALESCE(a.json_valid_count::text, 'NULL') || ' (recomputed ' || f.json_valid_count || ')' END,
                   CASE WHEN a.json_valid_percentage IS DISTINCT FROM f.json_valid_percentage THEN 'json_valid_percentage ' || COALESCE(a.json_valid_percentage::text, 'NULL') || ' (recomputed ' || f.json_valid_percentage || ')' END,
                   CASE WHEN a.avg_cost_usd_per_request IS DISTINCT FROM f.avg_cost_usd_per_request THEN 'avg_cost_usd_per_request ' || a.avg_cost_usd_per_request || ' (recomputed ' || f.avg_cost_usd_per_request || ')' END,
                   CASE WHEN a.total_cost_usd IS DISTINCT FROM f.total_cost_usd THEN 'total_cost_usd ' || a.total_cost_usd || ' (recomputed ' || f.total_cost_usd || ')' END)
           END AS wrong
    FROM fresh f
    FULL JOIN stored a ON a.run_id = f.run_id AND a.model_id = f.model_id
), bad AS (
    SELECT c.*, COALESCE(r.run_id, 'id ' || c.run_id) AS run_name, COALESCE(m.name, 'id ' || c.model_id) AS model_name,
           row_number() OVER (ORDER BY r.run_id, m.name, c.model_id) AS rn
    FROM (SELECT * FROM compared WHERE wrong <> '' OFFSET 0) c
    LEFT JOIN evaluation_runs r ON r.id = c.run_id
    LEFT JOIN models m ON m.id = c.model_id
)
SELECT count(*) = 0 AS ok,
       CASE WHEN count(*) = 0 THEN 'model_aggregated_metrics equals a fresh recomputation for every (run, model) checked ('
                                   || (SELECT count(*) FROM compared) || ')'
            ELSE count(*) || ' (run, model) aggregates differ from a fresh recomputation: '
                 || string_agg('run ' || run_name || ', model ' || model_name || ': ' || wrong, '; ' ORDER BY rn)
                    FILTER (WHERE rn <= 10)
       END AS detail
FROM bad;
