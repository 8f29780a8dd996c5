-- Compares legacy aggregate files with what the imported rows say (docs/decisions.md: compared, not
-- loaded). Differences are listed by the legacy_aggregates_agree check; they never fail an import,
-- because the legacy files are known to be stale or wrong (error_count always 0, success rows only,
-- no run id).
-- * model_comparison.csv / aggregated_metrics*.csv: per model (tuple name cleaned), over success
--   rows only, as report_generator.py computed it. The file has no run: the scope is the run whose
--   success count and total cost match it (a CLI file), else all runs (a dashboard file).
-- * summary_<ts>.csv: per model of the run legacy_results_<ts>, over all its rows.
CREATE TEMP TABLE t_aggregate_diffs (file_no integer, line bigint, model text, field text,
                                     file_value text, recomputed text) ON COMMIT DROP;

WITH rows AS (
    SELECT a.*, (SELECT m.id FROM models m WHERE m.name = a.model_name ORDER BY m.created_at, m.id LIMIT 1) AS model_uuid
    FROM bellatrix_migrate.stage_aggregates a
    WHERE a.kind = 'model_comparison'
), scopes AS (
    SELECT em.model_id, em.run_id::text AS scope, count(*) AS n,
           round(avg(em.input_tokens), 2) AS ai, round(avg(em.output_tokens), 2) AS ao,
           min(em.latency_ms) AS mn, max(em.latency_ms) AS mx, sum(em.cost_usd_total) AS tc,
           count(*) FILTER (WHERE em.json_valid) AS jv, 1 AS pref
    FROM evaluation_metrics em
    WHERE em.status = 'success' AND em.model_id IN (SELECT model_uuid FROM rows)
    GROUP BY em.model_id, em.run_id
    UNION ALL
    SELECT em.model_id, 'all runs', count(*), round(avg(em.input_tokens), 2), round(avg(em.output_tokens), 2),
           min(em.latency_ms), max(em.latency_ms), sum(em.cost_usd_total),
           count(*) FILTER (WHERE em.json_valid), 2
    FROM evaluation_metrics em
    WHERE em.status = 'success' AND em.model_id IN (SELECT model_uuid FROM rows)
    GROUP BY em.model_id
), chosen AS (
    SELECT DISTINCT ON (r.file_no, r.line) r.*, s.n, s.ai, s.ao, s.mn, s.mx, s.tc, s.jv
    FROM rows r
    LEFT JOIN scopes s ON s.model_id = r.model_uuid
    ORDER BY r.file_no, r.line,
             (s.n = r.success_count AND round(s.tc, 6) = round(r.total_cost_usd, 6)) DESC NULLS LAST,
             s.pref DESC NULLS LAST
)
INSERT INTO t_aggregate_diffs
SELECT c.file_no, c.line, COALESCE(c.model_name, '(no name)'), d.field, d.file_value, d.recomputed
FROM chosen c
CROSS JOIN LATERAL (VALUES
    ('model', CASE WHEN c.model_uuid IS NULL THEN c.model_name END, 'no imported model of that name'),
    ('success_count', c.success_count::text, c.n::text),
    ('avg_input_tokens', round(c.avg_input_tokens, 2)::text, c.ai::text),
    ('avg_output_tokens', round(c.avg_output_tokens, 2)::text, c.ao::text),
    ('min_latency_ms', round(c.min_latency_ms, 2)::text, round(c.mn, 2)::text),
    ('max_latency_ms', round(c.max_latency_ms, 2)::text, round(c.mx, 2)::text),
    ('json_valid_count', c.json_valid_count::text, c.jv::text),
    ('total_cost_usd', round(c.total_cost_usd, 6)::text, round(c.tc, 6)::text)
) AS d(field, file_value, recomputed)
WHERE d.file_value IS NOT NULL
  AND (d.field = 'model' OR (c.model_uuid IS NOT NULL AND d.file_value IS DISTINCT FROM d.recomputed));

WITH rows AS (
    SELECT a.*,
           (SELECT m.id FROM models m
            WHERE COALESCE(m.metadata -> 'config_py_keys', '[]'::jsonb) ? a.model_key OR m.name = a.model_name
            ORDER BY COALESCE(m.metadata -> 'config_py_keys', '[]'::jsonb) ? a.model_key DESC, m.created_at, m.id
            LIMIT 1) AS model_uuid
    FROM bellatrix_migrate.stage_aggregates a
    WHERE a.kind = 'results_summary' AND (a.model_key IS NOT NULL OR a.model_name IS NOT NULL)
), recomputed AS (
    SELECT r.file_no, r.line, r.model_key, r.model_name, r.total_count, r.json_valid_count, r.total_cost_usd,
           r.total_input_tokens, r.total_output_tokens, r.model_uuid,
           count(em.id) AS n, count(em.id) FILTER (WHERE em.json_valid) AS jv,
           sum(em.cost_usd_total) AS tc, sum(em.input_tokens) AS ti, sum(em.output_tokens) AS tt
    FROM rows r
    LEFT JOIN evaluation_runs er ON er.run_id = r.run_id
    LEFT JOIN evaluation_metrics em ON em.run_id = er.id AND em.model_id = r.model_uuid
    GROUP BY r.file_no, r.line, r.model_key, r.model_name, r.total_count, r.json_valid_count,
             r.total_cost_usd, r.total_input_tokens, r.total_output_tokens, r.model_uuid
)
INSERT INTO t_aggregate_diffs
SELECT c.file_no, c.line, COALESCE(c.model_key, c.model_name), d.field, d.file_value, d.recomputed
FROM recomputed c
CROSS JOIN LATERAL (VALUES
    ('total_prompts', c.total_count::text, c.n::text),
    ('valid_json_count', c.json_valid_count::text, c.jv::text),
    ('total_cost_usd', round(c.total_cost_usd, 6)::text, COALESCE(round(c.tc, 6), 0)::text),
    ('total_input_tokens', c.total_input_tokens::text, COALESCE(c.ti, 0)::text),
    ('total_output_tokens', c.total_output_tokens::text, COALESCE(c.tt, 0)::text)
) AS d(field, file_value, recomputed)
WHERE d.file_value IS NOT NULL AND d.file_value IS DISTINCT FROM d.recomputed;
