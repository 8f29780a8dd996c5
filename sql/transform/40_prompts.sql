-- Creates the prompts of new rows, deduplicated by prompt_hash (SHA-256 of the exact text) against
-- this import and everything already in `prompts`; placeholders stand in where no text was recorded.
-- expected_json for prompts seen only in raw rows is the app's own heuristic, marked inferred.
CREATE TEMP TABLE t_new_prompts (id uuid, prompt_hash text) ON COMMIT DROP;

WITH candidates AS (
    SELECT DISTINCT ON (prompt_hash)
           prompt_hash, prompt_text, prompt_source_type, prompt_is_placeholder, prompt_normalized_hash,
           expected_json, evaluated_at, file_path, line, run_id, metadata -> 'legacy_prompt_id' AS legacy_prompt_id
    FROM t_rows
    WHERE new_id IS NOT NULL
    ORDER BY prompt_hash, evaluated_at, file_no, line
), inserted AS (
    INSERT INTO prompts (id, user_id, prompt_text, prompt_hash, source_type, source_file_name,
                         expected_json, tags, created_at, updated_at, metadata)
    SELECT uuid_generate_v4(), NULL, c.prompt_text, c.prompt_hash, c.prompt_source_type,
           left(regexp_replace(c.file_path, '^.*/', ''), 255),
           c.expected_json, NULL, c.evaluated_at, c.evaluated_at,
           jsonb_strip_nulls(jsonb_build_object(
               'source', jsonb_build_object('file', c.file_path, 'line', c.line),
               'legacy_prompt_id', c.legacy_prompt_id,
               'normalized_sha256', c.prompt_normalized_hash,
               'expected_json_inferred', NOT c.prompt_is_placeholder,
               'placeholder_for', CASE WHEN c.prompt_is_placeholder
                   THEN jsonb_build_object('run_id', c.run_id, 'legacy_prompt_id', c.legacy_prompt_id) END))
    FROM candidates c
    WHERE NOT EXISTS (SELECT 1 FROM prompts p WHERE p.prompt_hash = c.prompt_hash)
    RETURNING id, prompt_hash
)
INSERT INTO t_new_prompts SELECT id, prompt_hash FROM inserted;

-- Where older data holds several prompts with one hash (the legacy schema did not prevent it), rows
-- link to the oldest.
CREATE TEMP TABLE t_prompt_ids ON COMMIT DROP AS
SELECT DISTINCT ON (p.prompt_hash) p.prompt_hash, p.id
FROM prompts p
WHERE p.prompt_hash IN (SELECT prompt_hash FROM t_rows WHERE new_id IS NOT NULL)
ORDER BY p.prompt_hash, p.created_at, p.id;
