-- The pairs of t_sim_todo with their two responses, for the client to score, through a cursor
-- fetched in batches (memory stays flat). Grouped by master row: its response is sent with the
-- first pair of its group only (NULL after), and each text is looked up by id in the order the
-- pairs are sent, so nothing but the ids is sorted.
DECLARE bellatrix_similarity NO SCROLL CURSOR FOR
SELECT t.candidate_id, t.master_id,
       CASE WHEN t.first_of_master
            THEN (SELECT m.response_text FROM master_model_evaluations m WHERE m.id = t.master_id) END,
       (SELECT e.response_text FROM evaluation_metrics e WHERE e.id = t.candidate_id)
FROM (SELECT candidate_id, master_id,
             master_id IS DISTINCT FROM lag(master_id) OVER (ORDER BY master_id, candidate_id) AS first_of_master
      FROM t_sim_todo) t
ORDER BY t.master_id, t.candidate_id
