-- What the similarity step found and did, for the report: one JSON object. The candidates are
-- counted in one pass.
WITH c AS (
    SELECT count(*) FILTER (WHERE NOT placeholder) AS candidates,
           count(*) FILTER (WHERE placeholder) AS without_prompt_text,
           count(*) FILTER (WHERE master_id IS NOT NULL) AS paired,
           count(*) FILTER (WHERE master_id IS NULL AND NOT placeholder) AS without_master
    FROM t_sim_candidates
)
SELECT jsonb_build_object(
    'prompts', (SELECT count(*) FROM t_sim_prompts WHERE NOT placeholder),
    'candidates', c.candidates,
    'without_prompt_text', c.without_prompt_text,
    'paired', c.paired,
    'without_master', c.without_master,
    'key_shared', c.paired - (SELECT count(*) FROM t_sim_wanted),
    'application_rows', (SELECT count(*) FROM t_sim_wanted w JOIN t_sim_stored st
                            ON st.run_id = w.run_id AND st.prompt_id = w.prompt_id
                           AND st.model_a_id = w.master_model_id AND st.model_b_id = w.model_id
                         WHERE st.candidate_id IS NULL),
    'scored', (SELECT count(*) FROM t_sim_scores),
    'by_method', COALESCE((SELECT jsonb_object_agg(method, n)
                           FROM (SELECT method, count(*) AS n FROM t_sim_scores GROUP BY method) m), '{}'),
    'lenient_scan', (SELECT count(*) FROM t_sim_scores WHERE lenient_scan),
    'inserted', COALESCE((SELECT sum(n) FROM t_sim_done WHERE step = 'inserted'), 0),
    'updated', COALESCE((SELECT sum(n) FROM t_sim_done WHERE step = 'updated'), 0),
    'deleted', COALESCE((SELECT sum(n) FROM t_sim_done WHERE step = 'deleted'), 0)
)
FROM c;
