-- Recomputes model_aggregated_metrics for every (run, model) this import touched, from all its rows.
-- Latency statistics are over successful rows (errors carry 0 or pre-call latencies) with linear
-- interpolation, as the legacy report generator computed them; counts, tokens and costs are over all
-- rows; json_valid_percentage is over all rows, like v_model_performance.
CREATE TEMP TABLE t_aggregates (inserted boolean) ON COMMIT DROP;

WITH touched AS (
    -- The (run, model) pairs the new rows add to runs that existed before (t_touched_runs, from
    -- 70_run_counters.sql).
    SELECT DISTINCT r.id AS run_uuid, k.model_uuid
    FROM t_rows t
    JOIN evaluation_runs r ON r.run_id = t.run_id
    JOIN t_touched_runs o ON o.id = r.id
    JOIN t_model_keys k ON k.model_key = t.model_key
    WHERE t.new_id IS NOT NULL AND NOT t.is_master
    UNION
    -- The pairs of a model merged into another (21_model_merges.sql), whose aggregates went.
    SELECT run_id, model_id FROM t_merged_pairs
), em AS (
    -- Runs this import created: all their rows are new, so they are taken from the new rows as
    -- staged (the values evaluation_metrics received), without reading the table back.
    SELECT r.id AS run_id, k.model_uuid AS model_id, t.status, t.latency_ms, t.input_tokens,
           t.output_tokens, t.json_valid, t.cost_usd_total
    FROM t_rows t
    JOIN t_new_runs r ON r.run_id = t.run_id
    JOIN t_model_keys k ON k.model_key = t.model_key
    WHERE t.new_id IS NOT NULL AND NOT t.is_master
    UNION ALL
    -- Runs that existed before: every pair the new rows touch, from all its rows.
    SELECT m.run_id, m.model_id, m.status, m.latency_ms, m.input_tokens, m.output_tokens,
           m.json_valid, m.cost_usd_total
    FROM evaluation_metrics m
    JOIN touched x ON x.run_uuid = m.run_id AND x.model_uuid = m.model_id
), upserted AS (
    INSERT INTO model_aggregated_metrics (
        id, run_id, model_id, total_count, success_count, error_count, avg_input_tokens, avg_output_tokens,
        p50_latency_ms, p95_latency_ms, p99_latency_ms, min_latency_ms, max_latency_ms,
        json_valid_count, json_valid_percentage, avg_cost_usd_per_request, total_cost_usd, calculated_at)
    SELECT bellatrix_migrate.ordered_id(), em.run_id, em.model_id,
           count(*),
           count(*) FILTER (WHERE em.status = 'success'),
           count(*) FILTER (WHERE em.status = 'error'),
           round(avg(em.input_tokens), 2),
           round(avg(em.output_tokens), 2),
           round((percentile_cont(0.50) WITHIN GROUP (ORDER BY em.latency_ms) FILTER (WHERE em.status = 'success'))::numeric, 2),
           round((percentile_cont(0.95) WITHIN GROUP (ORDER BY em.latency_ms) FILTER (WHERE em.status = 'success'))::numeric, 2),
           round((percentile_cont(0.99) WITHIN GROUP (ORDER BY em.latency_ms) FILTER (WHERE em.status = 'success'))::numeric, 2),
           min(em.latency_ms) FILTER (WHERE em.status = 'success'),
           max(em.latency_ms) FILTER (WHERE em.status = 'success'),
           count(*) FILTER (WHERE em.json_valid),
           round(100.0 * count(*) FILTER (WHERE em.json_valid) / count(*), 2),
           round(sum(em.cost_usd_total) / count(*), 6),
           sum(em.cost_usd_total),
           CURRENT_TIMESTAMP
    FROM em
    GROUP BY em.run_id, em.model_id
    ON CONFLICT (run_id, model_id) DO UPDATE SET
        total_count = EXCLUDED.total_count,
        success_count = EXCLUDED.success_count,
        error_count = EXCLUDED.error_count,
        avg_input_tokens = EXCLUDED.avg_input_tokens,
        avg_output_tokens = EXCLUDED.avg_output_tokens,
        p50_latency_ms = EXCLUDED.p50_latency_ms,
        p95_latency_ms = EXCLUDED.p95_latency_ms,
        p99_latency_ms = EXCLUDED.p99_latency_ms,
        min_latency_ms = EXCLUDED.min_latency_ms,
        max_latency_ms = EXCLUDED.max_latency_ms,
        json_valid_count = EXCLUDED.json_valid_count,
        json_valid_percentage = EXCLUDED.json_valid_percentage,
        avg_cost_usd_per_request = EXCLUDED.avg_cost_usd_per_request,
        total_cost_usd = EXCLUDED.total_cost_usd,
        calculated_at = EXCLUDED.calculated_at
    RETURNING (xmax = 0) AS inserted
)
INSERT INTO t_aggregates SELECT inserted FROM upserted;
