-- Resolves every model the new rows name: by Bedrock/OpenAI id first (also through an id the model
-- had before, kept in metadata.bedrock_model_id_history), then by (name, provider); creates the rest.
-- Models created from data alone are inactive (only models.yaml says what is current) and record
-- where they were first seen.
CREATE TEMP TABLE t_new_providers (id uuid) ON COMMIT DROP;

WITH inserted AS (
    INSERT INTO model_providers (id, name, display_name)
    SELECT bellatrix_migrate.ordered_id(), provider, initcap(provider)
    FROM (SELECT DISTINCT provider FROM t_rows WHERE new_id IS NOT NULL) p
    ON CONFLICT (name) DO NOTHING
    RETURNING id
)
INSERT INTO t_new_providers SELECT id FROM inserted;

-- One row per model key: the row that names it best (a name the file gave beats one derived from
-- the id), latest first, then by file precedence and line. Found by grouping first, so only the
-- rows at each key's latest time are sorted, not every row.
CREATE TEMP TABLE t_model_keys ON COMMIT DROP AS
WITH latest AS (
    SELECT DISTINCT ON (model_key) model_key, model_name_derived, at
    FROM (SELECT model_key, model_name_derived, max(evaluated_at) AS at
          FROM t_rows
          WHERE new_id IS NOT NULL
          GROUP BY model_key, model_name_derived) g
    ORDER BY model_key, model_name_derived, at DESC
)
SELECT DISTINCT ON (t.model_key)
       t.model_key, t.model_name, t.model_name_derived, t.provider, t.bedrock_model_id, t.is_master,
       t.file_path, t.line,
       NULL::uuid AS model_uuid
FROM t_rows t
JOIN latest l ON l.model_key = t.model_key
             AND l.model_name_derived = t.model_name_derived
             AND l.at = t.evaluated_at
WHERE t.new_id IS NOT NULL
ORDER BY t.model_key, t.file_no, t.line;

UPDATE t_model_keys k
SET model_uuid = (
    SELECT m.id FROM models m
    WHERE m.bedrock_model_id = k.bedrock_model_id
       OR COALESCE(m.metadata -> 'bedrock_model_id_history', '[]'::jsonb) ? k.bedrock_model_id
    ORDER BY m.bedrock_model_id = k.bedrock_model_id DESC, m.created_at, m.id
    LIMIT 1)
WHERE k.bedrock_model_id IS NOT NULL;

UPDATE t_model_keys k
SET model_uuid = (
    SELECT m.id FROM models m JOIN model_providers p ON p.id = m.provider_id
    WHERE m.name = k.model_name AND p.name = k.provider
    LIMIT 1)
WHERE k.model_uuid IS NULL;

-- What the rows know better than an earlier import (docs/decisions.md#source-precedence), so that
-- the order files arrive in does not decide a model's identity:
-- * a model created from a Bedrock log entry is named from its id; the first row that gives a name
--   for it names it (unless another model of its provider has that name);
-- * a model found by name that has no Bedrock id takes the id the rows give it, so that the log
--   entries and rows of a later import find it by id.
-- (t_renamed_models: 19_config_names.sql.)

WITH better AS (
    SELECT DISTINCT ON (k.model_uuid) k.model_uuid, k.model_name
    FROM t_model_keys k
    JOIN models m ON m.id = k.model_uuid
    WHERE NOT k.model_name_derived AND m.name <> k.model_name
      AND m.metadata ->> 'created_from' = 'bedrock_log'
      AND NOT (m.metadata ? 'name_from' OR m.metadata ? 'yaml_versions' OR m.metadata ? 'config_py_keys')
    ORDER BY k.model_uuid, k.model_name
), renamed AS (
    UPDATE models m
    SET name = b.model_name, updated_at = CURRENT_TIMESTAMP,
        metadata = m.metadata || jsonb_build_object('name_from', 'data')
    FROM better b
    WHERE m.id = b.model_uuid
      AND NOT EXISTS (SELECT 1 FROM models o WHERE o.provider_id = m.provider_id AND o.name = b.model_name)
    RETURNING m.id
)
INSERT INTO t_renamed_models SELECT id FROM renamed;

UPDATE models m
SET bedrock_model_id = k.bedrock_model_id,
    use_inference_profile = k.bedrock_model_id ~ '^(us|eu|apac|us-gov|global)\.',
    updated_at = CURRENT_TIMESTAMP,
    metadata = COALESCE(m.metadata, '{}'::jsonb) || jsonb_build_object('bedrock_model_id_history', (
        SELECT jsonb_agg(DISTINCT x ORDER BY x) FROM (
            SELECT jsonb_array_elements_text(COALESCE(m.metadata -> 'bedrock_model_id_history', '[]'::jsonb)
                   || to_jsonb(k.bedrock_model_id)) AS x) h))
FROM (SELECT DISTINCT ON (model_uuid) model_uuid, bedrock_model_id
      FROM t_model_keys
      WHERE model_uuid IS NOT NULL AND bedrock_model_id IS NOT NULL
      ORDER BY model_uuid, bedrock_model_id DESC) k
WHERE m.id = k.model_uuid AND m.bedrock_model_id IS NULL;

CREATE TEMP TABLE t_new_models (id uuid, name text) ON COMMIT DROP;

WITH candidates AS (
    SELECT k.model_name, k.provider,
           (array_agg(k.bedrock_model_id ORDER BY k.bedrock_model_id) FILTER (WHERE k.bedrock_model_id IS NOT NULL)) AS ids,
           bool_or(k.is_master) AS is_master,
           min(k.file_path) AS file_path,
           min(k.line) AS line
    FROM t_model_keys k
    WHERE k.model_uuid IS NULL
    GROUP BY k.model_name, k.provider
), inserted AS (
    INSERT INTO models (id, name, provider_id, bedrock_model_id, tokenizer_type, is_active,
                        is_master_model, use_inference_profile, created_at, updated_at, metadata)
    SELECT bellatrix_migrate.ordered_id(), c.model_name, p.id, c.ids[array_length(c.ids, 1)],
           CASE WHEN c.is_master THEN 'gpt2' ELSE 'heuristic' END,
           FALSE, c.is_master,
           COALESCE(c.ids[array_length(c.ids, 1)] ~ '^(us|eu|apac|us-gov|global)\.', FALSE),
           CURRENT_TIMESTAMP, CURRENT_TIMESTAMP,
           jsonb_build_object(
               'created_from', 'data',
               'source', jsonb_build_object('file', c.file_path, 'line', c.line),
               'bedrock_model_id_history', COALESCE(to_jsonb(c.ids), '[]'::jsonb))
    FROM candidates c
    JOIN model_providers p ON p.name = c.provider
    RETURNING id, name
)
INSERT INTO t_new_models SELECT id, name FROM inserted;

UPDATE t_model_keys k
SET model_uuid = (
    SELECT m.id FROM models m JOIN model_providers p ON p.id = m.provider_id
    WHERE m.name = k.model_name AND p.name = k.provider
    LIMIT 1)
WHERE k.model_uuid IS NULL;
