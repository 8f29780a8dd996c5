-- Opens the transform: the table collecting records rejected by the transform itself (users that
-- conflict with existing ones), then links staged rows that carry no prompt text to the text
-- another source of this same import holds (docs/decisions.md):
--   * command-line rows (run_*) to the prompt CSV row with the same legacy prompt_id (the CLI's
--     prompt_id is the row number of the prompt CSV it read); the first prompt CSV by file
--     precedence wins when several define an id;
--   * root-era results to the Bedrock log entry with their metadata.requestId.
-- A row's natural key does not include its prompt, so linking never changes what counts as a
-- duplicate.
CREATE TEMP TABLE t_rejects (file_no integer, line bigint, field text, reason text, target text) ON COMMIT DROP;

WITH csv AS (
    SELECT DISTINCT ON (p.legacy_prompt_id)
           p.legacy_prompt_id, p.prompt_text, p.prompt_hash, p.prompt_normalized_hash, p.expected_json,
           f.path, p.line
    FROM bellatrix_migrate.stage_prompts p
    JOIN bellatrix_migrate.stage_files f ON f.file_no = p.file_no
    WHERE p.kind = 'prompts_csv' AND p.legacy_prompt_id IS NOT NULL
    ORDER BY p.legacy_prompt_id, p.file_no, p.line
)
UPDATE bellatrix_migrate.stage_raw_metrics s
SET prompt_text = c.prompt_text,
    prompt_hash = c.prompt_hash,
    prompt_normalized_hash = c.prompt_normalized_hash,
    prompt_is_placeholder = FALSE,
    prompt_source_type = 'csv',
    expected_json = c.expected_json,
    metadata = s.metadata || jsonb_build_object('prompt_linked', jsonb_build_object(
        'by', 'legacy_prompt_id', 'file', c.path, 'line', c.line))
FROM csv c
WHERE s.prompt_is_placeholder
  AND s.run_origin = 'cli'
  AND s.metadata ->> 'legacy_prompt_id' = c.legacy_prompt_id;

WITH logs AS (
    SELECT DISTINCT ON (l.request_id)
           l.request_id, l.prompt_text, l.prompt_hash, l.prompt_normalized_hash, l.expected_json,
           f.path, l.line
    FROM bellatrix_migrate.stage_log_entries l
    JOIN bellatrix_migrate.stage_files f ON f.file_no = l.file_no
    WHERE l.request_id IS NOT NULL AND l.prompt_text IS NOT NULL
    ORDER BY l.request_id, l.file_no, l.line
)
UPDATE bellatrix_migrate.stage_raw_metrics s
SET prompt_text = g.prompt_text,
    prompt_hash = g.prompt_hash,
    prompt_normalized_hash = g.prompt_normalized_hash,
    prompt_is_placeholder = FALSE,
    prompt_source_type = 'cloudwatch',
    expected_json = COALESCE(g.expected_json, FALSE),
    metadata = s.metadata || jsonb_build_object('prompt_linked', jsonb_build_object(
        'by', 'requestId', 'file', g.path, 'line', g.line))
FROM logs g
WHERE s.prompt_is_placeholder AND s.request_id = g.request_id;
