-- Recomputes, for one row of a legacy aggregate file, the figures the legacy report generator wrote,
-- from the imported rows: the rows of model $1 (by name), in run $2 (or across all runs when NULL,
-- as the dashboard re-aggregated), only successful rows when $3 (model_comparison.csv aggregated
-- successes only). Latency percentiles are linear interpolation, as pandas computed them.
SELECT count(*)::numeric AS count,
       count(*) FILTER (WHERE em.status = 'success')::numeric AS success_count,
       avg(em.input_tokens) AS avg_input_tokens,
       avg(em.output_tokens) AS avg_output_tokens,
       (percentile_cont(0.50) WITHIN GROUP (ORDER BY em.latency_ms))::numeric AS p50_latency_ms,
       (percentile_cont(0.95) WITHIN GROUP (ORDER BY em.latency_ms))::numeric AS p95_latency_ms,
       (percentile_cont(0.99) WITHIN GROUP (ORDER BY em.latency_ms))::numeric AS p99_latency_ms,
       min(em.latency_ms) AS min_latency_ms,
       max(em.latency_ms) AS max_latency_ms,
       100.0 * count(*) FILTER (WHERE em.json_valid) / NULLIF(count(*), 0) AS json_valid_pct,
       avg(em.cost_usd_total) AS avg_cost_usd_per_request,
       COALESCE(sum(em.cost_usd_total), 0) AS total_cost_usd
FROM evaluation_metrics em
JOIN models m ON m.id = em.model_id
JOIN evaluation_runs r ON r.id = em.run_id
WHERE m.name = $1
  AND ($2::text IS NULL OR r.run_id = $2)
  AND (NOT $3::boolean OR em.status = 'success');
