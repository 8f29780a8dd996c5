-- views_match_base_tables: the four views answer, and their totals equal what the base tables give.
-- A view that is missing or broken makes this query fail, which the check runner reports as a failed
-- check naming the error. The rules restated here are those of sql/schema/0001_target_schema.sql.
WITH current_price AS (
    SELECT DISTINCT ON (mp.model_id) mp.model_id, mp.input_per_1k_tokens_usd, mp.output_per_1k_tokens_usd
    FROM model_pricing mp
    JOIN models m ON m.id = mp.model_id
    WHERE mp.effective_to IS NULL OR mp.effective_to > CURRENT_TIMESTAMP
    ORDER BY mp.model_id, mp.effective_from DESC NULLS LAST, mp.id
), current_params AS (
    SELECT DISTINCT ON (gp.model_id) gp.model_id, gp.max_tokens
    FROM model_generation_params gp
    JOIN models m ON m.id = gp.model_id
    WHERE gp.effective_to IS NULL OR gp.effective_to > CURRENT_TIMESTAMP
    ORDER BY gp.model_id, gp.effective_from DESC NULLS LAST, gp.id
), summary_view AS (
    SELECT count(*) AS n, COALESCE(sum(success_count + error_count), 0)::numeric AS calls,
           COALESCE(sum(total_cost_usd), 0) AS cost
    FROM v_evaluation_summary
), performance_view AS (
    SELECT count(*) AS n, COALESCE(sum(total_evaluations), 0)::numeric AS calls,
           COALESCE(sum(total_cost_usd), 0) AS cost
    FROM v_model_performance
), metric_totals AS (
    -- One pass over evaluation_metrics for both views' base figures: rows of a run (all rows, as
    -- run_id is NOT NULL, unless the run is missing) and rows of an active model with a provider.
    SELECT count(*) FILTER (WHERE r.id IS NOT NULL AND em.status IN ('success', 'error'))::numeric AS run_calls,
           COALESCE(sum(em.cost_usd_total) FILTER (WHERE r.id IS NOT NULL), 0) AS run_cost,
           count(*) FILTER (WHERE am.id IS NOT NULL)::numeric AS active_calls,
           COALESCE(sum(em.cost_usd_total) FILTER (WHERE am.id IS NOT NULL), 0) AS active_cost
    FROM evaluation_metrics em
    LEFT JOIN evaluation_runs r ON r.id = em.run_id
    LEFT JOIN (SELECT m.id FROM models m JOIN model_providers p ON p.id = m.provider_id WHERE m.is_active) am
           ON am.id = em.model_id
), comparisons (view_name, figure, from_view, from_tables) AS (
    SELECT 'v_current_model_pricing', 'rows', (SELECT count(*) FROM v_current_model_pricing)::numeric,
           (SELECT count(*) FROM current_price)::numeric
    UNION ALL
    SELECT 'v_current_model_pricing', 'sum of input+output prices',
           (SELECT COALESCE(sum(input_per_1k_tokens_usd + output_per_1k_tokens_usd), 0) FROM v_current_model_pricing),
           (SELECT COALESCE(sum(input_per_1k_tokens_usd + output_per_1k_tokens_usd), 0) FROM current_price)
    UNION ALL
    SELECT 'v_current_model_params', 'rows', (SELECT count(*) FROM v_current_model_params)::numeric,
           (SELECT count(*) FROM current_params)::numeric
    UNION ALL
    SELECT 'v_current_model_params', 'sum of max_tokens',
           (SELECT COALESCE(sum(max_tokens), 0) FROM v_current_model_params)::numeric,
           (SELECT COALESCE(sum(max_tokens), 0) FROM current_params)::numeric
    UNION ALL
    SELECT 'v_evaluation_summary', 'rows', (SELECT n FROM summary_view)::numeric,
           (SELECT count(*) FROM evaluation_runs)::numeric
    UNION ALL
    SELECT 'v_evaluation_summary', 'sum of success_count + error_count',
           (SELECT calls FROM summary_view), (SELECT run_calls FROM metric_totals)
    UNION ALL
    SELECT 'v_evaluation_summary', 'sum of total_cost_usd',
           (SELECT cost FROM summary_view), (SELECT run_cost FROM metric_totals)
    UNION ALL
    SELECT 'v_model_performance', 'rows', (SELECT n FROM performance_view)::numeric,
           (SELECT count(*) FROM models m JOIN model_providers p ON p.id = m.provider_id WHERE m.is_active)::numeric
    UNION ALL
    SELECT 'v_model_performance', 'sum of total_evaluations',
           (SELECT calls FROM performance_view), (SELECT active_calls FROM metric_totals)
    UNION ALL
    SELECT 'v_model_performance', 'sum of total_cost_usd',
           (SELECT cost FROM performance_view), (SELECT active_cost FROM metric_totals)
), bad AS (
    SELECT *, row_number() OVER (ORDER BY view_name, figure) AS rn
    FROM comparisons
    WHERE from_view IS DISTINCT FROM from_tables
)
SELECT count(*) = 0 AS ok,
       CASE WHEN count(*) = 0 THEN 'v_current_model_pricing, v_current_model_params, v_evaluation_summary and '
                                   || 'v_model_performance answer and their totals equal the base tables ('
                                   || (SELECT count(*) FROM comparisons) || ' figures)'
            ELSE count(*) || ' view totals differ from the base tables: '
                 || string_agg(view_name || ' ' || figure || ': view ' || from_view || ', tables '
                               || from_tables, '; ' ORDER BY rn)
       END AS detail
FROM bad;
