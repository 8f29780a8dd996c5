-- Moves Bedrock log entries into cloudwatch_log_entries. An entry's natural key is its content (the
-- entry itself, after unwrapping a CloudWatch export line), so the same invocation from an S3 log
-- object and from a CloudWatch export is one row, and re-imports insert nothing. Model ids that no
-- model has yet create models named from the id (docs/decisions.md: models seen only in data);
-- model_name is the resolved model's name, never the legacy parser's guess. metadata.prompt_id
-- names the entry's prompt (the table has no prompt column).
CREATE TEMP TABLE t_log_rows ON COMMIT DROP AS
WITH ranked AS (
    SELECT s.*,
           row_number() OVER w AS occurrence,
           first_value(s.file_no) OVER w AS first_file_no,
           first_value(s.line) OVER w AS first_line
    FROM bellatrix_migrate.stage_log_entries s
    WINDOW w AS (PARTITION BY s.source_key ORDER BY s.file_no, s.line)
)
SELECT r.*, f.path AS file_path,
       l.import_id AS prior_import, l.file AS prior_file, l.line AS prior_line,
       CASE WHEN l.source_key IS NULL AND r.occurrence = 1 THEN bellatrix_migrate.ordered_id() END AS new_id
FROM ranked r
JOIN bellatrix_migrate.stage_files f ON f.file_no = r.file_no
LEFT JOIN bellatrix_migrate.row_sources l ON l.source_key = r.source_key;

CREATE TEMP TABLE t_log_models ON COMMIT DROP AS
SELECT DISTINCT ON (model_id) model_id, model_name, provider, file_path, line, NULL::uuid AS model_uuid
FROM t_log_rows
WHERE new_id IS NOT NULL AND model_id IS NOT NULL
ORDER BY model_id, file_no, line;

UPDATE t_log_models k
SET model_uuid = (
    SELECT m.id FROM models m
    WHERE m.bedrock_model_id = k.model_id
       OR COALESCE(m.metadata -> 'bedrock_model_id_history', '[]'::jsonb) ? k.model_id
    ORDER BY m.bedrock_model_id = k.model_id DESC, m.created_at, m.id
    LIMIT 1);

UPDATE t_log_models k
SET model_uuid = (
    SELECT m.id FROM models m JOIN model_providers p ON p.id = m.provider_id
    WHERE m.name = k.model_name AND p.name = k.provider
    LIMIT 1)
WHERE k.model_uuid IS NULL;

CREATE TEMP TABLE t_log_new_providers (id uuid) ON COMMIT DROP;
WITH inserted AS (
    INSERT INTO model_providers (id, name, display_name)
    SELECT bellatrix_migrate.ordered_id(), provider, initcap(provider)
    FROM (SELECT DISTINCT provider FROM t_log_models WHERE model_uuid IS NULL) p
    ON CONFLICT (name) DO NOTHING
    RETURNING id
)
INSERT INTO t_log_new_providers SELECT id FROM inserted;

CREATE TEMP TABLE t_log_new_models (id uuid) ON COMMIT DROP;
WITH candidates AS (
    SELECT DISTINCT ON (model_name, provider) model_id, model_name, provider, file_path, line
    FROM t_log_models WHERE model_uuid IS NULL
    ORDER BY model_name, provider, model_id
), inserted AS (
    INSERT INTO models (id, name, provider_id, bedrock_model_id, tokenizer_type, is_active,
                        is_master_model, use_inference_profile, created_at, updated_at, metadata)
    SELECT bellatrix_migrate.ordered_id(), c.model_name, p.id, c.model_id, 'heuristic', FALSE, FALSE,
           c.model_id ~ '^(us|eu|apac|us-gov|global)\.', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP,
           jsonb_build_object('created_from', 'bedrock_log',
                              'source', jsonb_build_object('file', c.file_path, 'line', c.line),
                              'bedrock_model_id_history', jsonb_build_array(c.model_id))
    FROM candidates c JOIN model_providers p ON p.name = c.provider
    RETURNING id
)
INSERT INTO t_log_new_models SELECT id FROM inserted;

UPDATE t_log_models k
SET model_uuid = (
    SELECT m.id FROM models m JOIN model_providers p ON p.id = m.provider_id
    WHERE m.name = k.model_name AND p.name = k.provider
    LIMIT 1)
WHERE k.model_uuid IS NULL;

INSERT INTO cloudwatch_log_entries (id, user_id, log_file_name, log_entry_number, raw_log_data, event_name,
                                    event_time, model_id, model_name, region, input_tokens, output_tokens,
                                    latency_ms, parsed, parse_error, uploaded_at, parsed_at, metadata)
SELECT t.new_id, NULL, left(t.log_file_name, 255), LEAST(t.line, 2147483647)::integer, t.raw_log_data,
       t.event_name, t.event_time, t.model_id, left(m.name, 200), t.region, t.input_tokens,
       t.output_tokens, t.latency_ms, t.parsed, t.parse_error, CURRENT_TIMESTAMP,
       CASE WHEN t.parsed THEN CURRENT_TIMESTAMP END,
       t.metadata || jsonb_strip_nulls(jsonb_build_object('prompt_id', p.id, 'model_uuid', m.id))
FROM t_log_rows t
LEFT JOIN t_log_models k ON k.model_id = t.model_id
LEFT JOIN models m ON m.id = k.model_uuid
LEFT JOIN t_prompt_ids p ON p.prompt_hash = t.prompt_hash
WHERE t.new_id IS NOT NULL;
