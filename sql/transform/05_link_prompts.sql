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

-- The same links to sources an earlier import brought (docs/decisions.md#order-independence): a
-- prompt a prompt CSV defines (the ledger says which source created each prompt, row_changes which
-- later improved it), and a prompt
-- whose Bedrock log entries carried that requestId (metadata.request_ids). A source of this import
-- wins over an earlier one; among earlier ones, the first by file path and line.
WITH wanted AS (
    SELECT DISTINCT s.metadata ->> 'legacy_prompt_id' AS legacy_prompt_id
    FROM bellatrix_migrate.stage_raw_metrics s
    WHERE s.prompt_is_placeholder AND s.run_origin = 'cli' AND s.metadata ? 'legacy_prompt_id'
), csv AS (
    SELECT DISTINCT ON (w.legacy_prompt_id)
           w.legacy_prompt_id, p.prompt_text, p.prompt_hash, p.metadata ->> 'normalized_sha256' AS normalized_hash,
           p.expected_json, l.file AS path, l.line
    FROM wanted w
    JOIN prompts p ON p.metadata ->> 'legacy_prompt_id' = w.legacy_prompt_id AND p.source_type = 'csv'
    JOIN (SELECT target_id, file, line FROM bellatrix_migrate.row_sources
          WHERE kind = 'prompts_csv' AND target_table = 'prompts' AND removed_by IS NULL
          UNION ALL
          SELECT target_id, file, line FROM bellatrix_migrate.row_changes
          WHERE kind = 'prompts_csv' AND target_table = 'prompts' AND change = 'attributes') l
      ON l.target_id = p.id
    ORDER BY w.legacy_prompt_id, l.file, l.line
)
UPDATE bellatrix_migrate.stage_raw_metrics s
SET prompt_text = c.prompt_text,
    prompt_hash = c.prompt_hash,
    prompt_normalized_hash = COALESCE(c.normalized_hash, s.prompt_normalized_hash),
    prompt_is_placeholder = FALSE,
    prompt_source_type = 'csv',
    expected_json = c.expected_json,
    metadata = s.metadata || jsonb_build_object('prompt_linked', jsonb_build_object(
        'by', 'legacy_prompt_id', 'file', c.path, 'line', c.line))
FROM csv c
WHERE s.prompt_is_placeholder
  AND s.run_origin = 'cli'
  AND s.metadata ->> 'legacy_prompt_id' = c.legacy_prompt_id;

WITH wanted AS (
    SELECT DISTINCT s.request_id
    FROM bellatrix_migrate.stage_raw_metrics s
    WHERE s.prompt_is_placeholder AND s.request_id IS NOT NULL
), known AS (
    SELECT p.id, p.prompt_text, p.prompt_hash, p.expected_json, p.created_at,
           p.metadata ->> 'normalized_sha256' AS normalized_hash, r.request_id
    FROM prompts p
    CROSS JOIN LATERAL jsonb_array_elements_text(p.metadata -> 'request_ids') r(request_id)
    WHERE p.metadata ? 'request_ids' AND EXISTS (SELECT 1 FROM wanted)
), logs AS (
    SELECT DISTINCT ON (k.request_id) k.*, l.file AS path, l.line
    FROM known k
    JOIN wanted w ON w.request_id = k.request_id
    LEFT JOIN bellatrix_migrate.row_sources l ON l.source_key = 'prompt:' || k.prompt_hash AND l.target_id = k.id
    ORDER BY k.request_id, k.created_at, k.id
)
UPDATE bellatrix_migrate.stage_raw_metrics s
SET prompt_text = g.prompt_text,
    prompt_hash = g.prompt_hash,
    prompt_normalized_hash = COALESCE(g.normalized_hash, s.prompt_normalized_hash),
    prompt_is_placeholder = FALSE,
    prompt_source_type = 'cloudwatch',
    expected_json = COALESCE(g.expected_json, FALSE),
    metadata = s.metadata || jsonb_build_object('prompt_linked', jsonb_build_object(
        'by', 'requestId', 'file', g.path, 'line', g.line))
FROM logs g
WHERE s.prompt_is_placeholder AND s.request_id = g.request_id;

-- The rows of one root-era run with one prompt_index asked one prompt (evaluate.py ran every prompt
-- against every model), so once one of them is linked (by its requestId) the others are too: in
-- this import, or through a row an earlier import wrote (a results file that grew). A row left
-- without a request id (an error row) would otherwise keep a placeholder its siblings left.
WITH linked AS (
    SELECT DISTINCT ON (s.run_id, s.metadata ->> 'legacy_prompt_id')
           s.run_id, s.metadata ->> 'legacy_prompt_id' AS legacy_prompt_id, s.prompt_text, s.prompt_hash,
           s.prompt_normalized_hash, s.expected_json, s.prompt_source_type, f.path, s.line
    FROM bellatrix_migrate.stage_raw_metrics s
    JOIN bellatrix_migrate.stage_files f ON f.file_no = s.file_no
    WHERE s.run_origin = 'root_results' AND NOT s.prompt_is_placeholder AND s.metadata ? 'legacy_prompt_id'
    ORDER BY s.run_id, s.metadata ->> 'legacy_prompt_id', s.file_no, s.line
), earlier AS (
    SELECT DISTINCT ON (r.run_id, e.metadata ->> 'legacy_prompt_id')
           r.run_id, e.metadata ->> 'legacy_prompt_id' AS legacy_prompt_id, p.prompt_text, p.prompt_hash,
           p.metadata ->> 'normalized_sha256' AS normalized_hash, p.expected_json, p.source_type,
           e.metadata #>> '{source,file}' AS path, (e.metadata #>> '{source,line}')::bigint AS line
    FROM evaluation_runs r
    JOIN evaluation_metrics e ON e.run_id = r.id
    JOIN prompts p ON p.id = e.prompt_id AND p.source_type <> 'legacy_placeholder'
    WHERE r.run_id IN (SELECT s.run_id FROM bellatrix_migrate.stage_raw_metrics s
                       WHERE s.run_origin = 'root_results' AND s.prompt_is_placeholder)
      AND e.metadata ->> 'origin' = 'root_results'
    ORDER BY r.run_id, e.metadata ->> 'legacy_prompt_id', e.evaluated_at, e.id
), siblings AS (
    SELECT DISTINCT ON (run_id, legacy_prompt_id) *
    FROM (SELECT l.*, 1 AS rank FROM linked l
          UNION ALL
          SELECT e.run_id, e.legacy_prompt_id, e.prompt_text, e.prompt_hash, e.normalized_hash, e.expected_json,
                 e.source_type, e.path, e.line, 2 FROM earlier e) x
    ORDER BY run_id, legacy_prompt_id, rank
)
UPDATE bellatrix_migrate.stage_raw_metrics s
SET prompt_text = g.prompt_text,
    prompt_hash = g.prompt_hash,
    prompt_normalized_hash = COALESCE(g.prompt_normalized_hash, s.prompt_normalized_hash),
    prompt_is_placeholder = FALSE,
    prompt_source_type = g.prompt_source_type,
    expected_json = COALESCE(g.expected_json, FALSE),
    metadata = s.metadata || jsonb_build_object('prompt_linked', jsonb_build_object(
        'by', 'prompt_index', 'file', g.path, 'line', g.line))
FROM siblings g
WHERE s.prompt_is_placeholder AND s.run_origin = 'root_results'
  AND s.run_id = g.run_id AND s.metadata ->> 'legacy_prompt_id' = g.legacy_prompt_id;
