-- Decides the fate of every staged raw_metrics row: a row whose natural key an earlier import already
-- wrote, or that repeats an earlier row of this import, is a duplicate (of that row); the first
-- occurrence of a new key gets the id of the production row it will become. Rows are ordered by
-- file precedence (file_no) then line, so the highest-fidelity copy is the one kept.
-- t_rows holds every column but the texts (prompt, response, error message): those are most of a
-- drop's bytes, and sorting or copying them here would move the whole drop through memory once more.
-- `stage_ctid` points back at the staged row, so the steps that write texts fetch them by TID (the
-- staging table is not updated after this step).
-- Fresh statistics first: the staging table was just filled by COPY and autovacuum has not seen it.
-- Only of the columns the transform joins and groups on: sampling the texts would detoast them.
ANALYZE bellatrix_migrate.stage_raw_metrics (file_no, line, source_key, run_id, model_key, prompt_hash);

-- The first occurrence of each key is found by a hash aggregate over (file_no, line) packed into one
-- bigint (line in the low 40 bits), so the staged rows are read twice but never sorted.
CREATE TEMP TABLE t_rows ON COMMIT DROP AS
WITH firsts AS (
    SELECT source_key, min((file_no::bigint << 40) | line) AS first_at
    FROM bellatrix_migrate.stage_raw_metrics
    GROUP BY source_key
)
SELECT s.ctid AS stage_ctid, s.file_no, s.line, s.byte_offset, s.source_key, s.evaluated_at, s.run_id,
       s.run_origin, s.model_key, s.model_name, s.model_name_derived, s.provider,
       s.bedrock_model_id, s.is_master, s.input_tokens, s.output_tokens, s.latency_ms,
       s.json_valid, s.status, s.cost_usd_input, s.cost_usd_output, s.cost_usd_total,
       s.prompt_hash, s.prompt_normalized_hash, s.prompt_is_placeholder, s.prompt_source_type,
       s.expected_json, s.metadata, s.request_id, s.prompt_metadata,
       (k.first_at >> 40)::integer                 AS first_file_no,
       k.first_at & ((1::bigint << 40) - 1)         AS first_line,
       f.path AS file_path,
       l.import_id AS prior_import,
       l.file      AS prior_file,
       l.line      AS prior_line,
       CASE WHEN l.source_key IS NULL AND k.first_at = ((s.file_no::bigint << 40) | s.line)
            THEN bellatrix_migrate.ordered_id() END AS new_id
FROM bellatrix_migrate.stage_raw_metrics s
JOIN firsts k ON k.source_key = s.source_key
JOIN bellatrix_migrate.stage_files f ON f.file_no = s.file_no
LEFT JOIN bellatrix_migrate.row_sources l ON l.source_key = s.source_key;

ANALYZE t_rows (file_no, line, source_key, run_id, model_key, prompt_hash, new_id, is_master, stage_ctid);
