-- Brings the score rows of the touched prompts to what pairs.sql found, with the scores the client
-- copied into t_sim_scores: the rows no pair holds any more go (the ledger marks them removed by
-- this run), the rows whose pair changed get the new pair's scores, and the new keys get new rows
-- (time-ordered ids, a ledger row each naming the candidate's source line). calculated_at is the
-- candidate's evaluated_at, when the dashboard computed the score, so the same rows give the same
-- database whenever and in whichever order they are imported.
CREATE TEMP TABLE t_sim_done (step text NOT NULL, n bigint NOT NULL) ON COMMIT DROP;
ANALYZE t_sim_scores;
ANALYZE t_sim_todo;

WITH gone AS (
    DELETE FROM similarity_scores s USING t_sim_gone g WHERE s.id = g.id RETURNING s.id
), marked AS (
    UPDATE bellatrix_migrate.row_sources r
    SET removed_by = current_setting('bellatrix_migrate.import_id')::bigint
    FROM gone WHERE r.source_key = 'similarity:' || gone.id
)
INSERT INTO t_sim_done SELECT 'deleted', count(*) FROM gone;

-- Each pair scored, with what its rows store and where its candidate came from (its ledger row),
-- once: the statements below all read it.
CREATE TEMP TABLE t_sim_computed ON COMMIT DROP AS
SELECT t.candidate_id, t.existing_id, c.run_id, c.prompt_id, c.model_id, c.master_model_id, c.at,
       sc.master_id, sc.method, sc.score, sc.percent, sc.matching, sc.total, sc.lenient_scan,
       round(sc.cosine::numeric, 4) AS cosine, round(sc.jaccard::numeric, 4) AS jaccard,
       round(sc.fuzzy::numeric, 2) AS fuzzy, rs.file AS source_file, rs.line AS source_line
FROM t_sim_todo t
JOIN t_sim_scores sc ON sc.candidate_id = t.candidate_id AND sc.master_id = t.master_id
JOIN t_sim_candidates c ON c.candidate_id = t.candidate_id
LEFT JOIN bellatrix_migrate.row_sources rs
       ON rs.target_table = 'evaluation_metrics' AND rs.target_id = t.candidate_id;
ANALYZE t_sim_computed;

WITH changed AS (
    UPDATE similarity_scores s
    SET master_model_id = v.master_model_id, cosine_similarity = v.cosine, jaccard_similarity = v.jaccard,
        semantic_similarity = NULL, fuzzy_ratio = v.fuzzy, comparison_method = v.method,
        calculated_at = v.at
    FROM t_sim_computed v
    WHERE v.existing_id IS NOT NULL AND s.id = v.existing_id
    RETURNING s.id
)
INSERT INTO t_sim_done SELECT 'updated', count(*) FROM changed;

UPDATE bellatrix_migrate.similarity x
SET candidate_id = v.candidate_id, master_id = v.master_id, score = v.score,
    similarity_percent = v.percent, matching_notes = v.matching, total_notes = v.total,
    lenient_scan = v.lenient_scan, import_id = current_setting('bellatrix_migrate.import_id')::bigint
FROM t_sim_computed v
WHERE v.existing_id IS NOT NULL AND x.id = v.existing_id;

UPDATE bellatrix_migrate.row_sources r
SET file = COALESCE(v.source_file, r.file), line = COALESCE(v.source_line, r.line)
FROM t_sim_computed v
WHERE v.existing_id IS NOT NULL AND r.source_key = 'similarity:' || v.existing_id;

CREATE TEMP TABLE t_sim_new ON COMMIT DROP AS
SELECT bellatrix_migrate.ordered_id() AS id, v.*
FROM (SELECT * FROM t_sim_computed WHERE existing_id IS NULL ORDER BY candidate_id) v;

INSERT INTO similarity_scores (id, run_id, prompt_id, model_a_id, model_b_id, master_model_id,
                               cosine_similarity, jaccard_similarity, semantic_similarity, fuzzy_ratio,
                               comparison_method, calculated_at)
SELECT id, run_id, prompt_id, master_model_id, model_id, master_model_id, cosine, jaccard, NULL, fuzzy,
       method, at
FROM t_sim_new;
INSERT INTO t_sim_done SELECT 'inserted', count(*) FROM t_sim_new;

INSERT INTO bellatrix_migrate.similarity (id, candidate_id, master_id, score, similarity_percent,
                                          matching_notes, total_notes, lenient_scan, import_id)
SELECT id, candidate_id, master_id, score, percent, matching, total, lenient_scan,
       current_setting('bellatrix_migrate.import_id')::bigint
FROM t_sim_new;

-- A candidate the application wrote has no source line: the ledger names its table and id.
INSERT INTO bellatrix_migrate.row_sources (source_key, kind, target_table, target_id, import_id, file, line)
SELECT 'similarity:' || n.id, 'similarity', 'similarity_scores', n.id,
       current_setting('bellatrix_migrate.import_id')::bigint,
       COALESCE(n.source_file, 'public.evaluation_metrics ' || n.candidate_id), COALESCE(n.source_line, 0)
FROM t_sim_new n
ORDER BY 1;

