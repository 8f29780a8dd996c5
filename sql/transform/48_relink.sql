-- Repairs the links of earlier imports when the better source arrives (docs/decisions.md#order-
-- independence): a row an earlier import linked to a placeholder prompt, because its prompt text
-- was not in the files it had, is linked to the real prompt in the import that brings it, exactly as
-- 05_link_prompts.sql links the rows of one import:
--   * command-line rows (run_*) to the prompt CSV row with their legacy prompt_id;
--   * root-era rows to the prompt of the Bedrock log entry with their metadata.requestId.
--   * the other root-era rows of that run and prompt_index (they asked the same prompt).
-- A placeholder nothing uses any more is removed, with its ledger entry; the counters of the runs
-- whose rows moved are recomputed by 70_run_counters.sql (t_relinks).
CREATE TEMP TABLE t_relinks (target_table text, row_id uuid, run_id uuid, old_prompt uuid, new_prompt uuid,
                             by text, file text, line bigint, legacy_prompt_id text) ON COMMIT DROP;
CREATE TEMP TABLE t_removed_placeholders (id uuid) ON COMMIT DROP;

-- Only when an earlier import wrote prompts (the ledger's index answers at once): a first load has
-- nothing to repair. The ledger rows of this import are written later (60_ledger.sql).
CREATE TEMP TABLE t_relink_sources ON COMMIT DROP AS
SELECT DISTINCT ON (p.legacy_prompt_id)
       'legacy_prompt_id'::text AS by, p.legacy_prompt_id AS value, i.id AS prompt_id, f.path AS file, p.line
FROM bellatrix_migrate.stage_prompts p
JOIN bellatrix_migrate.stage_files f ON f.file_no = p.file_no
JOIN t_prompt_ids i ON i.prompt_hash = p.prompt_hash
WHERE p.kind = 'prompts_csv' AND p.legacy_prompt_id IS NOT NULL
  AND EXISTS (SELECT 1 FROM bellatrix_migrate.row_sources WHERE target_table = 'prompts')
ORDER BY p.legacy_prompt_id, p.file_no, p.line;

INSERT INTO t_relink_sources
SELECT DISTINCT ON (l.request_id) 'requestId', l.request_id, i.id, f.path, l.line
FROM bellatrix_migrate.stage_log_entries l
JOIN bellatrix_migrate.stage_files f ON f.file_no = l.file_no
JOIN t_prompt_ids i ON i.prompt_hash = l.prompt_hash
WHERE l.request_id IS NOT NULL AND l.prompt_text IS NOT NULL
  AND EXISTS (SELECT 1 FROM bellatrix_migrate.row_sources WHERE target_table = 'prompts')
ORDER BY l.request_id, l.file_no, l.line;

-- Only rows of earlier imports are looked at: this import's rows were linked before they were
-- written. The placeholders are few; the rows are found through their prompt.
WITH placeholders AS (
    SELECT p.id FROM prompts p
    WHERE p.source_type = 'legacy_placeholder' AND EXISTS (SELECT 1 FROM t_relink_sources)
      AND NOT EXISTS (SELECT 1 FROM t_new_prompts n WHERE n.id = p.id)
), candidates AS (
    SELECT 'evaluation_metrics' AS target_table, e.id, e.run_id, e.prompt_id, e.metadata
    FROM evaluation_metrics e JOIN placeholders h ON h.id = e.prompt_id
    UNION ALL
    SELECT 'master_model_evaluations', e.id, e.run_id, e.prompt_id, e.metadata
    FROM master_model_evaluations e JOIN placeholders h ON h.id = e.prompt_id
)
INSERT INTO t_relinks
SELECT c.target_table, c.id, c.run_id, c.prompt_id, s.prompt_id, s.by, s.file, s.line,
       c.metadata ->> 'legacy_prompt_id'
FROM candidates c
JOIN t_relink_sources s
  ON (s.by = 'legacy_prompt_id' AND c.metadata ->> 'origin' = 'cli'
      AND c.metadata ->> 'legacy_prompt_id' = s.value)
  OR (s.by = 'requestId' AND c.metadata #>> '{legacy_metadata,requestId}' = s.value);

-- Root-era siblings (05_link_prompts.sql): the placeholder rows of a run and prompt_index whose
-- other row was linked now, by this import's row or by a re-link above.
WITH linked AS (
    SELECT DISTINCT ON (run_uuid, legacy_prompt_id) run_uuid, legacy_prompt_id, prompt_id, file, line
    FROM (SELECT r.id AS run_uuid, t.metadata ->> 'legacy_prompt_id' AS legacy_prompt_id, i.id AS prompt_id,
                 t.file_path AS file, t.line, 1 AS rank, t.file_no
          FROM t_rows t
          JOIN evaluation_runs r ON r.run_id = t.run_id
          JOIN t_prompt_ids i ON i.prompt_hash = t.prompt_hash
          WHERE t.new_id IS NOT NULL AND t.run_origin = 'root_results' AND NOT t.prompt_is_placeholder
            AND EXISTS (SELECT 1 FROM bellatrix_migrate.row_sources WHERE target_table = 'evaluation_metrics')
          UNION ALL
          SELECT run_id, legacy_prompt_id, new_prompt, file, line, 2, 0
          FROM t_relinks WHERE by = 'requestId') x
    ORDER BY run_uuid, legacy_prompt_id, rank, file_no, line
)
INSERT INTO t_relinks
SELECT 'evaluation_metrics', e.id, e.run_id, e.prompt_id, l.prompt_id, 'prompt_index', l.file, l.line,
       l.legacy_prompt_id
FROM linked l
JOIN evaluation_metrics e ON e.run_id = l.run_uuid AND e.metadata ->> 'legacy_prompt_id' = l.legacy_prompt_id
JOIN prompts p ON p.id = e.prompt_id AND p.source_type = 'legacy_placeholder'
WHERE e.metadata ->> 'origin' = 'root_results'
  AND NOT EXISTS (SELECT 1 FROM t_relinks x WHERE x.row_id = e.id)
  AND NOT EXISTS (SELECT 1 FROM t_new_prompts n WHERE n.id = p.id);

UPDATE evaluation_metrics e
SET prompt_id = r.new_prompt,
    metadata = e.metadata || jsonb_build_object('prompt_linked', jsonb_build_object(
        'by', r.by, 'file', r.file, 'line', r.line))
FROM t_relinks r
WHERE r.target_table = 'evaluation_metrics' AND e.id = r.row_id
  AND EXISTS (SELECT 1 FROM t_relinks);

UPDATE master_model_evaluations e
SET prompt_id = r.new_prompt,
    metadata = e.metadata || jsonb_build_object('prompt_linked', jsonb_build_object(
        'by', r.by, 'file', r.file, 'line', r.line))
FROM t_relinks r
WHERE r.target_table = 'master_model_evaluations' AND e.id = r.row_id
  AND EXISTS (SELECT 1 FROM t_relinks);

WITH unused AS (
    SELECT DISTINCT r.old_prompt AS id FROM t_relinks r
    WHERE NOT EXISTS (SELECT 1 FROM evaluation_metrics e WHERE e.prompt_id = r.old_prompt)
      AND NOT EXISTS (SELECT 1 FROM master_model_evaluations e WHERE e.prompt_id = r.old_prompt)
      AND NOT EXISTS (SELECT 1 FROM similarity_scores s WHERE s.prompt_id = r.old_prompt)
      -- a new row of this import that names the same placeholder still needs it
      AND NOT EXISTS (SELECT 1 FROM t_prompt_ids i WHERE i.id = r.old_prompt)
), removed AS (
    DELETE FROM prompts p USING unused u WHERE p.id = u.id
    RETURNING p.id
)
INSERT INTO t_removed_placeholders SELECT id FROM removed;

-- The ledger keeps the placeholder's entry (its import did write it), marked removed by this one.
UPDATE bellatrix_migrate.row_sources l
SET removed_by = current_setting('bellatrix_migrate.import_id')::bigint
FROM t_removed_placeholders r
WHERE l.target_table = 'prompts' AND l.target_id = r.id;

INSERT INTO bellatrix_migrate.row_changes (import_id, target_table, target_id, change, kind, file, line, details)
SELECT current_setting('bellatrix_migrate.import_id')::bigint, r.target_table, r.row_id, 'relinked',
       CASE r.by WHEN 'legacy_prompt_id' THEN 'prompts_csv' WHEN 'requestId' THEN 'bedrock_log'
                 ELSE 'results_detailed' END, r.file, r.line,
       jsonb_build_object('by', r.by, 'from_prompt', r.old_prompt, 'to_prompt', r.new_prompt)
FROM t_relinks r
UNION ALL
SELECT current_setting('bellatrix_migrate.import_id')::bigint, 'prompts', id, 'removed', NULL, NULL, NULL, '{}'::jsonb
FROM t_removed_placeholders;
