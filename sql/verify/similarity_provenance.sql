-- similarity_recomputed, its cheap half: every score row the migrator wrote (bellatrix_migrate.similarity
-- and its public.similarity_scores row) says what its two source rows say. The score row's run,
-- prompt and model_b are the candidate's; model_a and master_model_id are the master row's model;
-- the master answered the candidate's prompt, at or before it; both succeeded; the candidate's
-- response is not empty; calculated_at is the candidate's evaluated_at (docs/decisions.md#similarity).
-- Texts are compared by the Rust half (src/verify/similarity.rs), which re-scores a sample.
-- $1: the import whose computed scores to check (`import_id`), or NULL for every score row.
-- Returns the rows in scope, the rows that disagree, and the first ten of them with what disagrees
-- (ids and column names, never text).
WITH scoped AS (
    SELECT x.id,
           array_remove(ARRAY[
               CASE WHEN s.id IS NULL THEN 'no similarity_scores row' END,
               CASE WHEN e.id IS NULL THEN 'candidate row gone' END,
               CASE WHEN m.id IS NULL THEN 'master row gone' END,
               CASE WHEN s.run_id IS DISTINCT FROM e.run_id THEN 'run_id' END,
               CASE WHEN s.prompt_id IS DISTINCT FROM e.prompt_id THEN 'prompt_id' END,
               CASE WHEN s.model_b_id IS DISTINCT FROM e.model_id THEN 'model_b_id' END,
               CASE WHEN s.model_a_id IS DISTINCT FROM m.model_id THEN 'model_a_id' END,
               CASE WHEN s.master_model_id IS DISTINCT FROM m.model_id THEN 'master_model_id' END,
               CASE WHEN m.prompt_id IS DISTINCT FROM e.prompt_id THEN 'master of another prompt' END,
               CASE WHEN (m.evaluated_at <= e.evaluated_at) IS NOT TRUE THEN 'master not before the candidate' END,
               CASE WHEN m.status IS DISTINCT FROM 'success' THEN 'master not successful' END,
               CASE WHEN e.status IS DISTINCT FROM 'success' THEN 'candidate not successful' END,
               CASE WHEN COALESCE(octet_length(e.response_text), 0) = 0 THEN 'candidate response empty' END,
               CASE WHEN s.calculated_at IS DISTINCT FROM e.evaluated_at THEN 'calculated_at' END
           ], NULL) AS wrong
    FROM bellatrix_migrate.similarity x
    LEFT JOIN similarity_scores s ON s.id = x.id
    LEFT JOIN evaluation_metrics e ON e.id = x.candidate_id
    LEFT JOIN master_model_evaluations m ON m.id = x.master_id
    WHERE $1::bigint IS NULL OR x.import_id = $1
)
SELECT count(*) AS scoped,
       count(*) FILTER (WHERE cardinality(wrong) > 0) AS wrong,
       array_to_string((array_agg(id || ' (' || array_to_string(wrong, ', ') || ')' ORDER BY id)
                            FILTER (WHERE cardinality(wrong) > 0))[1:10], '; ') AS named
FROM scoped;
