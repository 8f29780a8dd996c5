-- Opens the transform: the table collecting records rejected by the transform itself (users that
-- conflict with existing ones), then links staged rows that carry no prompt text to the prompt
-- another source holds, of this import or of an earlier one (docs/decisions.md#prompts):
--   * command-line rows (run_*) to the prompt CSV row with the same legacy prompt_id (the CLI's
--     prompt_id is the row number of the prompt CSV it read): a CSV of this import first (the first
--     by file precedence when several define an id), else a prompt a prompt CSV of an earlier import
--     defines (the ledger says which source created each prompt, row_changes which later improved
--     it), the first by file path and line;
--   * root-era results to the prompt of the Bedrock log entry with their metadata.requestId: an
--     entry of this import first, else a prompt whose log entries carried that id
--     (metadata.request_ids);
--   * the other root-era rows of that run and prompt_index to the same prompt (evaluate.py ran every
--     prompt against every model, so an error row without a request id asked what its sibling
--     asked), through a row of this import or one an earlier import wrote (a results file that grew).
-- A row's natural key does not include its prompt, so linking never changes what counts as a
-- duplicate. Rows of earlier imports whose source arrives now are re-linked by 48_relink.sql.
CREATE TEMP TABLE t_rejects (file_no integer, line bigint, field text, reason text, target text) ON COMMIT DROP;

-- The staged rows without prompt text, read once.
CREATE TEMP TABLE t_unlinked ON COMMIT DROP AS
SELECT s.ctid AS stage_ctid, s.run_origin, s.run_id, s.metadata ->> 'legacy_prompt_id' AS legacy_prompt_id,
       s.request_id, s.file_no, s.line
FROM bellatrix_migrate.stage_raw_metrics s
WHERE s.prompt_is_placeholder;

CREATE TEMP TABLE t_prompt_links ON COMMIT DROP AS
WITH csv AS (
    SELECT DISTINCT ON (legacy_prompt_id) *
    FROM (SELECT p.legacy_prompt_id, p.prompt_text, p.prompt_hash, p.prompt_normalized_hash AS normalized_hash,
                 p.expected_json, f.path, p.line, 1 AS rank, p.file_no
          FROM bellatrix_migrate.stage_prompts p
          JOIN bellatrix_migrate.stage_files f ON f.file_no = p.file_no
          WHERE p.kind = 'prompts_csv'
            AND p.legacy_prompt_id IN (SELECT legacy_prompt_id FROM t_unlinked WHERE run_origin = 'cli')
          UNION ALL
          SELECT p.metadata ->> 'legacy_prompt_id', p.prompt_text, p.prompt_hash, p.metadata ->> 'normalized_sha256',
                 p.expected_json, l.file, l.line, 2, 0
          FROM prompts p
          JOIN (SELECT target_id, file, line FROM bellatrix_migrate.row_sources
                WHERE kind = 'prompts_csv' AND target_table = 'prompts' AND removed_by IS NULL
                UNION ALL
                SELECT target_id, file, line FROM bellatrix_migrate.row_changes
                WHERE kind = 'prompts_csv' AND target_table = 'prompts' AND change = 'attributes') l
            ON l.target_id = p.id
          WHERE p.source_type = 'csv'
            AND p.metadata ->> 'legacy_prompt_id' IN (SELECT legacy_prompt_id FROM t_unlinked WHERE run_origin = 'cli')) c
    ORDER BY legacy_prompt_id, rank, file_no, path, line
), logs AS (
    SELECT DISTINCT ON (request_id) *
    FROM (SELECT l.request_id, l.prompt_text, l.prompt_hash, l.prompt_normalized_hash AS normalized_hash,
                 l.expected_json, f.path, l.line, 1 AS rank, l.file_no, NULL::timestamp AS created_at
          FROM bellatrix_migrate.stage_log_entries l
          JOIN bellatrix_migrate.stage_files f ON f.file_no = l.file_no
          WHERE l.prompt_text IS NOT NULL
            AND l.request_id IN (SELECT request_id FROM t_unlinked)
          UNION ALL
          SELECT r.request_id, p.prompt_text, p.prompt_hash, p.metadata ->> 'normalized_sha256', p.expected_json,
                 s.file, s.line, 2, 0, p.created_at
          FROM prompts p
          CROSS JOIN LATERAL jsonb_array_elements_text(p.metadata -> 'request_ids') r(request_id)
          LEFT JOIN bellatrix_migrate.row_sources s ON s.source_key = 'prompt:' || p.prompt_hash AND s.target_id = p.id
          WHERE p.metadata ? 'request_ids' AND EXISTS (SELECT 1 FROM t_unlinked WHERE request_id IS NOT NULL)
            AND r.request_id IN (SELECT request_id FROM t_unlinked)) g
    ORDER BY request_id, rank, file_no, line, created_at
)
SELECT u.stage_ctid, u.run_origin, u.run_id, u.legacy_prompt_id, u.file_no, u.line AS row_line,
       c.prompt_text, c.prompt_hash, c.normalized_hash, c.expected_json, 'csv'::text AS source_type,
       'legacy_prompt_id'::text AS by, c.path, c.line
FROM t_unlinked u JOIN csv c ON c.legacy_prompt_id = u.legacy_prompt_id
WHERE u.run_origin = 'cli'
UNION ALL
SELECT u.stage_ctid, u.run_origin, u.run_id, u.legacy_prompt_id, u.file_no, u.line,
       g.prompt_text, g.prompt_hash, g.normalized_hash, COALESCE(g.expected_json, FALSE), 'cloudwatch',
       'requestId', g.path, g.line
FROM t_unlinked u JOIN logs g ON g.request_id = u.request_id
WHERE u.run_origin <> 'cli';

-- Root-era siblings: through a row linked above, else through a row of that run and prompt_index an
-- earlier import wrote with a real prompt.
INSERT INTO t_prompt_links
WITH targets AS (
    SELECT u.* FROM t_unlinked u
    WHERE u.run_origin = 'root_results'
      AND NOT EXISTS (SELECT 1 FROM t_prompt_links k WHERE k.stage_ctid = u.stage_ctid)
), linked AS (
    SELECT DISTINCT ON (run_id, legacy_prompt_id) *
    FROM (SELECT k.run_id, k.legacy_prompt_id, k.prompt_text, k.prompt_hash, k.normalized_hash, k.expected_json,
                 k.source_type, p.path, k.row_line AS line, 1 AS rank, k.file_no
          FROM t_prompt_links k
          JOIN bellatrix_migrate.stage_files p ON p.file_no = k.file_no
          WHERE k.run_origin = 'root_results'
          UNION ALL
          SELECT r.run_id, e.metadata ->> 'legacy_prompt_id', p.prompt_text, p.prompt_hash,
                 p.metadata ->> 'normalized_sha256', p.expected_json, p.source_type,
                 e.metadata #>> '{source,file}', (e.metadata #>> '{source,line}')::bigint, 2, 0
          FROM evaluation_runs r
          JOIN evaluation_metrics e ON e.run_id = r.id
          JOIN prompts p ON p.id = e.prompt_id AND p.source_type <> 'legacy_placeholder'
          WHERE r.run_id IN (SELECT run_id FROM targets)
            AND e.metadata ->> 'origin' = 'root_results') x
    ORDER BY run_id, legacy_prompt_id, rank, file_no, line
)
SELECT t.stage_ctid, t.run_origin, t.run_id, t.legacy_prompt_id, t.file_no, t.line,
       l.prompt_text, l.prompt_hash, l.normalized_hash, l.expected_json, l.source_type, 'prompt_index', l.path, l.line
FROM targets t
JOIN linked l ON l.run_id = t.run_id AND l.legacy_prompt_id = t.legacy_prompt_id;

UPDATE bellatrix_migrate.stage_raw_metrics s
SET prompt_text = k.prompt_text,
    prompt_hash = k.prompt_hash,
    prompt_normalized_hash = COALESCE(k.normalized_hash, s.prompt_normalized_hash),
    prompt_is_placeholder = FALSE,
    prompt_source_type = k.source_type,
    expected_json = COALESCE(k.expected_json, FALSE),
    metadata = s.metadata || jsonb_build_object('prompt_linked', jsonb_build_object(
        'by', k.by, 'file', k.path, 'line', k.line))
FROM t_prompt_links k
WHERE s.ctid = k.stage_ctid;
