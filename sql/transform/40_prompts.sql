-- Creates the prompts of this import, deduplicated by prompt_hash (SHA-256 of the exact text) across
-- every source and against everything already in `prompts`: prompt files (CSV first, then
-- JSON/JSONL/TXT), Bedrock log entries, raw rows' input_prompt, and placeholders where no text was
-- recorded. The most authoritative source of a hash supplies source_type, expected_json and tags
-- (a prompt CSV's explicit flag beats the app's heuristic); created_at is the earliest time any
-- source saw it. CRLF and LF variants are different prompts sharing metadata.normalized_sha256.
CREATE TEMP TABLE t_new_prompts (id uuid, prompt_hash text) ON COMMIT DROP;

-- A raw row's candidate carries no text and no metadata: only the winner of each hash needs them,
-- and they are fetched (text by the staged row's TID) or built when it is inserted.
CREATE TEMP TABLE t_prompt_candidates ON COMMIT DROP AS
SELECT 'prompt_file'::text AS origin,
       CASE WHEN p.kind = 'prompts_csv' THEN 1 ELSE 2 END AS priority,
       p.file_no, p.line, f.path AS file_path, p.kind, p.prompt_text, NULL::tid AS stage_ctid,
       p.prompt_hash, p.prompt_normalized_hash AS normalized_hash, p.source_type, p.expected_json,
       p.expected_json_inferred, p.tags, p.metadata, NULL::timestamptz AS seen_at, NULL::text AS request_id
FROM bellatrix_migrate.stage_prompts p
JOIN bellatrix_migrate.stage_files f ON f.file_no = p.file_no
UNION ALL
SELECT 'log', 3, l.file_no, l.line, f.path, 'bedrock_log', l.prompt_text, NULL::tid, l.prompt_hash,
       l.prompt_normalized_hash, 'cloudwatch', COALESCE(l.expected_json, FALSE), TRUE, NULL::text[],
       jsonb_build_object('source', jsonb_build_object('file', f.path, 'line', l.line)),
       l.event_time, l.request_id
FROM bellatrix_migrate.stage_log_entries l
JOIN bellatrix_migrate.stage_files f ON f.file_no = l.file_no
WHERE l.prompt_text IS NOT NULL
UNION ALL
SELECT 'row', CASE WHEN t.prompt_is_placeholder THEN 5 ELSE 4 END, t.file_no, t.line, t.file_path,
       'raw_metrics', NULL, t.stage_ctid, t.prompt_hash, t.prompt_normalized_hash, t.prompt_source_type,
       t.expected_json, NOT t.prompt_is_placeholder, NULL::text[], NULL::jsonb, t.evaluated_at, NULL
FROM t_rows t
WHERE t.new_id IS NOT NULL;

CREATE TEMP TABLE t_prompt_winners ON COMMIT DROP AS
SELECT DISTINCT ON (c.prompt_hash) c.*
FROM t_prompt_candidates c
ORDER BY c.prompt_hash, c.priority, c.file_no, c.line;

-- What each hash's winner says about its prompt: attributes and metadata, the same whether it
-- creates the prompt or improves one an earlier import created. A view (dropped below), so the
-- winners are not copied once more.
CREATE TEMP VIEW v_prompt_built AS
WITH agg AS (
    SELECT prompt_hash, min(seen_at) AS first_seen, count(*) AS sources,
           jsonb_agg(DISTINCT request_id) FILTER (WHERE request_id IS NOT NULL) AS request_ids
    FROM t_prompt_candidates
    GROUP BY prompt_hash
)
SELECT w.prompt_hash, w.priority, w.kind, w.file_path, w.line, w.stage_ctid, w.prompt_text, w.source_type,
       left(regexp_replace(w.file_path, '^.*/', ''), 255) AS source_file_name,
       w.expected_json, w.tags, a.first_seen, a.request_ids,
       COALESCE(w.metadata, row_metadata.metadata) || jsonb_strip_nulls(jsonb_build_object(
           'normalized_sha256', w.normalized_hash,
           'expected_json_inferred', w.expected_json_inferred,
           'request_ids', a.request_ids,
           'sources_in_import', a.sources)) AS metadata
FROM t_prompt_winners w
JOIN agg a ON a.prompt_hash = w.prompt_hash
LEFT JOIN t_rows t ON t.stage_ctid = w.stage_ctid
LEFT JOIN LATERAL (
    SELECT jsonb_strip_nulls(jsonb_build_object(
               'source', jsonb_build_object('file', t.file_path, 'line', t.line),
               'legacy_prompt_id', t.metadata -> 'legacy_prompt_id',
               'placeholder_for', CASE WHEN t.prompt_is_placeholder
                   THEN jsonb_build_object('run_id', t.run_id, 'legacy_prompt_id', t.metadata -> 'legacy_prompt_id') END))
           || COALESCE(t.prompt_metadata, '{}'::jsonb) AS metadata
) row_metadata ON TRUE;

-- The hashes an earlier import (or the app) already has a prompt for: on a first load none, and
-- then nothing below looks at the winners again.
CREATE TEMP TABLE t_prompt_known ON COMMIT DROP AS
SELECT w.prompt_hash
FROM t_prompt_winners w
WHERE EXISTS (SELECT 1 FROM prompts p WHERE p.prompt_hash = w.prompt_hash);

WITH inserted AS (
    INSERT INTO prompts (id, user_id, prompt_text, prompt_hash, source_type, source_file_name,
                         expected_json, tags, created_at, updated_at, metadata)
    SELECT bellatrix_migrate.ordered_id(), NULL, COALESCE(b.prompt_text, s.prompt_text), b.prompt_hash, b.source_type,
           b.source_file_name, b.expected_json, b.tags,
           COALESCE(b.first_seen, CURRENT_TIMESTAMP), COALESCE(b.first_seen, CURRENT_TIMESTAMP), b.metadata
    FROM v_prompt_built b
    LEFT JOIN bellatrix_migrate.stage_raw_metrics s ON s.ctid = b.stage_ctid
    WHERE NOT EXISTS (SELECT 1 FROM t_prompt_known k WHERE k.prompt_hash = b.prompt_hash)
    RETURNING id, prompt_hash
)
INSERT INTO t_new_prompts SELECT id, prompt_hash FROM inserted;

-- A prompt an earlier import created takes the attributes of a more authoritative source when one
-- arrives (source precedence is the data's, not the import's: docs/decisions.md#source-precedence),
-- as if both had come together; its request ids are merged and it was first seen at the earliest
-- time any source saw it. The ledger says which kind of source created it; a prompt the migrator
-- did not create is never changed.
CREATE TEMP TABLE t_prompt_known_built ON COMMIT DROP AS
SELECT b.*
FROM v_prompt_built b
JOIN t_prompt_known k ON k.prompt_hash = b.prompt_hash
WHERE EXISTS (SELECT 1 FROM t_prompt_known);

CREATE TEMP TABLE t_prompt_upgrades ON COMMIT DROP AS
WITH defined AS (
    -- The kinds of source that have defined each prompt: the one that created it (the ledger) and
    -- any that later improved it (row_changes).
    SELECT p.id, p.prompt_hash, p.source_type, l.kind
    FROM t_prompt_known_built b
    JOIN prompts p ON p.prompt_hash = b.prompt_hash
    JOIN bellatrix_migrate.row_sources l ON l.source_key = 'prompt:' || b.prompt_hash AND l.target_id = p.id
    UNION ALL
    SELECT p.id, p.prompt_hash, p.source_type, c.kind
    FROM t_prompt_known_built b
    JOIN prompts p ON p.prompt_hash = b.prompt_hash
    JOIN bellatrix_migrate.row_changes c ON c.target_table = 'prompts' AND c.target_id = p.id
    WHERE c.change = 'attributes'
), ranked AS (
    SELECT id, prompt_hash,
           min(CASE WHEN kind = 'prompts_csv' THEN 1
                    WHEN kind = 'bedrock_log' THEN 3
                    WHEN kind IN ('raw_metrics', 'results_detailed')
                        THEN CASE WHEN source_type = 'legacy_placeholder' THEN 5 ELSE 4 END
                    ELSE 2 END) AS priority
    FROM defined
    GROUP BY id, prompt_hash
)
SELECT r.id, b.prompt_hash, b.kind, b.file_path, b.line, b.priority < r.priority AS better
FROM ranked r
JOIN t_prompt_known_built b ON b.prompt_hash = r.prompt_hash;

UPDATE prompts p
SET source_type = CASE WHEN u.better THEN b.source_type ELSE p.source_type END,
    source_file_name = CASE WHEN u.better THEN b.source_file_name ELSE p.source_file_name END,
    expected_json = CASE WHEN u.better THEN b.expected_json ELSE p.expected_json END,
    tags = CASE WHEN u.better THEN b.tags ELSE p.tags END,
    created_at = LEAST(p.created_at, COALESCE(b.first_seen, p.created_at)),
    updated_at = CURRENT_TIMESTAMP,
    metadata = (CASE WHEN u.better THEN b.metadata ELSE COALESCE(p.metadata, '{}'::jsonb) END)
        || jsonb_strip_nulls(jsonb_build_object('request_ids', (
            SELECT jsonb_agg(DISTINCT x ORDER BY x) FROM (
                SELECT jsonb_array_elements_text(COALESCE(p.metadata -> 'request_ids', '[]'::jsonb)
                       || COALESCE(b.request_ids, '[]'::jsonb)) AS x) r)))
FROM t_prompt_upgrades u
JOIN t_prompt_known_built b ON b.prompt_hash = u.prompt_hash
WHERE p.id = u.id
  AND (u.better
       OR b.first_seen < p.created_at
       OR NOT COALESCE(p.metadata -> 'request_ids', '[]'::jsonb) @> COALESCE(b.request_ids, '[]'::jsonb));

INSERT INTO bellatrix_migrate.row_changes (import_id, target_table, target_id, change, kind, file, line)
SELECT current_setting('bellatrix_migrate.import_id')::bigint, 'prompts', id, 'attributes', kind, file_path, line
FROM t_prompt_upgrades
WHERE better;

DROP VIEW v_prompt_built;

-- Where older data holds several prompts with one hash (the legacy schema did not prevent it), rows
-- link to the oldest.
CREATE TEMP TABLE t_prompt_ids ON COMMIT DROP AS
SELECT DISTINCT ON (p.prompt_hash) p.prompt_hash, p.id
FROM prompts p
WHERE p.prompt_hash IN (SELECT prompt_hash FROM t_prompt_candidates)
ORDER BY p.prompt_hash, p.created_at, p.id;

-- The fate of each prompt-file record: inserted when it is the source that created its prompt,
-- else a duplicate (of an earlier record of this import or of a prompt already in the database).
CREATE TEMP TABLE t_prompt_records ON COMMIT DROP AS
SELECT c.file_no, c.line, c.file_path, c.prompt_hash,
       (n.id IS NOT NULL AND w.origin = 'prompt_file' AND w.file_no = c.file_no AND w.line = c.line) AS inserted,
       w.file_path AS winner_file, w.line AS winner_line
FROM t_prompt_candidates c
JOIN t_prompt_winners w ON w.prompt_hash = c.prompt_hash
LEFT JOIN t_new_prompts n ON n.prompt_hash = c.prompt_hash
WHERE c.origin = 'prompt_file';
