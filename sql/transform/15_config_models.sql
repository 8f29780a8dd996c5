-- Models from configuration (models.yaml versions, config.py), before raw rows resolve their models
-- (20_models.sql), so rows find the configured model by its Bedrock id.
-- * Each entry is a source record with a natural key (ModelEntryRecord::key): one already in the
--   ledger, or repeated in this import, is a duplicate and changes nothing.
-- * A new entry resolves to a model by Bedrock id (current or historical), then by (name,
--   provider); the rest create models, one per (name, provider). A model's id, tokenizer, region and
--   inference-profile flag come from its latest version; older ids are kept in
--   metadata.bedrock_model_id_history.
-- * Every new entry is recorded in config_observations; price and parameter history of the models
--   it touches is rebuilt from all observations ever imported (docs/decisions.md: a changed price closes
--   the previous row and opens a new one).
CREATE TEMP TABLE t_cfg ON COMMIT DROP AS
WITH ranked AS (
    SELECT s.*, row_number() OVER (PARTITION BY s.source_key ORDER BY s.file_no, s.line) AS occurrence,
           first_value(s.file_no) OVER (PARTITION BY s.source_key ORDER BY s.file_no, s.line) AS first_file_no,
           first_value(s.line) OVER (PARTITION BY s.source_key ORDER BY s.file_no, s.line) AS first_line
    FROM bellatrix_migrate.stage_models s
)
SELECT r.*, f.path AS file_path,
       (l.source_key IS NULL AND r.occurrence = 1) AS is_new,
       l.import_id AS prior_import, l.file AS prior_file, l.line AS prior_line,
       NULL::uuid AS model_uuid
FROM ranked r
JOIN bellatrix_migrate.stage_files f ON f.file_no = r.file_no
LEFT JOIN bellatrix_migrate.row_sources l ON l.source_key = r.source_key;

CREATE TEMP TABLE t_cfg_new_providers (id uuid) ON COMMIT DROP;
WITH inserted AS (
    INSERT INTO model_providers (name, display_name)
    SELECT DISTINCT provider, initcap(provider) FROM t_cfg WHERE is_new
    ON CONFLICT (name) DO NOTHING
    RETURNING id
)
INSERT INTO t_cfg_new_providers SELECT id FROM inserted;

UPDATE t_cfg c
SET model_uuid = (
    SELECT m.id FROM models m
    WHERE m.bedrock_model_id = c.bedrock_model_id
       OR COALESCE(m.metadata -> 'bedrock_model_id_history', '[]'::jsonb) ? c.bedrock_model_id
    ORDER BY m.bedrock_model_id = c.bedrock_model_id DESC, m.created_at, m.id
    LIMIT 1)
WHERE c.is_new AND c.bedrock_model_id IS NOT NULL;

UPDATE t_cfg c
SET model_uuid = (
    SELECT m.id FROM models m JOIN model_providers p ON p.id = m.provider_id
    WHERE m.name = c.name AND p.name = c.provider
    LIMIT 1)
WHERE c.is_new AND c.model_uuid IS NULL;

CREATE TEMP TABLE t_cfg_new_models (id uuid, name text, provider text) ON COMMIT DROP;
WITH groups AS (
    SELECT name, provider,
           (array_agg(kind ORDER BY effective_from, file_no, line))[1] AS first_kind,
           (array_agg(file_path ORDER BY effective_from, file_no, line))[1] AS file_path,
           (array_agg(line ORDER BY effective_from, file_no, line))[1] AS line,
           min(effective_from) AS first_seen
    FROM t_cfg
    WHERE is_new AND model_uuid IS NULL
    GROUP BY name, provider
), inserted AS (
    INSERT INTO models (id, name, provider_id, tokenizer_type, is_active, is_master_model,
                        use_inference_profile, created_at, updated_at, metadata)
    SELECT gen_random_uuid(), g.name, p.id, 'heuristic', FALSE, FALSE, FALSE, g.first_seen, g.first_seen,
           jsonb_build_object('created_from', g.first_kind,
                              'source', jsonb_build_object('file', g.file_path, 'line', g.line))
    FROM groups g JOIN model_providers p ON p.name = g.provider
    RETURNING id, name, provider_id
)
INSERT INTO t_cfg_new_models
SELECT i.id, i.name, p.name FROM inserted i JOIN model_providers p ON p.id = i.provider_id;

UPDATE t_cfg c SET model_uuid = n.id
FROM t_cfg_new_models n
WHERE c.is_new AND c.model_uuid IS NULL AND n.name = c.name AND n.provider = c.provider;

-- Attributes from the latest version (this import's or an earlier one's, by effective date), and
-- the histories in metadata. Version stamps are sortable UTC text.
CREATE TEMP TABLE t_cfg_updated_models ON COMMIT DROP AS
SELECT DISTINCT model_uuid AS id FROM t_cfg
WHERE is_new AND model_uuid NOT IN (SELECT id FROM t_cfg_new_models);

WITH latest AS (
    SELECT DISTINCT ON (model_uuid) model_uuid, effective_from, bedrock_model_id, tokenizer_type,
           region_name, use_inference_profile,
           to_char(effective_from AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS stamp
    FROM t_cfg WHERE is_new
    ORDER BY model_uuid, effective_from DESC, file_no DESC, line DESC
), facts AS (
    SELECT model_uuid,
           jsonb_agg(DISTINCT bedrock_model_id) FILTER (WHERE bedrock_model_id IS NOT NULL) AS ids,
           jsonb_agg(DISTINCT to_char(effective_from AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'))
               FILTER (WHERE kind = 'models_yaml') AS yaml_versions,
           jsonb_agg(DISTINCT config_key) FILTER (WHERE config_key IS NOT NULL) AS config_keys
    FROM t_cfg WHERE is_new
    GROUP BY model_uuid
)
UPDATE models m
SET bedrock_model_id = CASE WHEN l.stamp >= COALESCE(m.metadata ->> 'config_latest_version', '') THEN COALESCE(l.bedrock_model_id, m.bedrock_model_id) ELSE m.bedrock_model_id END,
    tokenizer_type = CASE WHEN l.stamp >= COALESCE(m.metadata ->> 'config_latest_version', '') THEN COALESCE(l.tokenizer_type, m.tokenizer_type) ELSE m.tokenizer_type END,
    region_name = CASE WHEN l.stamp >= COALESCE(m.metadata ->> 'config_latest_version', '') THEN COALESCE(l.region_name, m.region_name) ELSE m.region_name END,
    use_inference_profile = CASE WHEN l.stamp >= COALESCE(m.metadata ->> 'config_latest_version', '') THEN l.use_inference_profile ELSE m.use_inference_profile END,
    metadata = COALESCE(m.metadata, '{}'::jsonb) || jsonb_strip_nulls(jsonb_build_object(
        'bedrock_model_id_history', (
            SELECT jsonb_agg(DISTINCT x ORDER BY x) FROM (
                SELECT jsonb_array_elements_text(COALESCE(m.metadata -> 'bedrock_model_id_history', '[]'::jsonb)
                       || COALESCE(f.ids, '[]'::jsonb)
                       || COALESCE(to_jsonb(m.bedrock_model_id), '[]'::jsonb)) AS x) h),
        'yaml_versions', (
            SELECT jsonb_agg(DISTINCT x ORDER BY x) FROM (
                SELECT jsonb_array_elements_text(COALESCE(m.metadata -> 'yaml_versions', '[]'::jsonb)
                       || COALESCE(f.yaml_versions, '[]'::jsonb)) AS x) v),
        'config_py_keys', (
            SELECT jsonb_agg(DISTINCT x ORDER BY x) FROM (
                SELECT jsonb_array_elements_text(COALESCE(m.metadata -> 'config_py_keys', '[]'::jsonb)
                       || COALESCE(f.config_keys, '[]'::jsonb)) AS x) k),
        'config_latest_version', CASE WHEN l.stamp >= COALESCE(m.metadata ->> 'config_latest_version', '')
            THEN l.stamp
            ELSE m.metadata ->> 'config_latest_version' END))
FROM latest l
JOIN facts f ON f.model_uuid = l.model_uuid
WHERE m.id = l.model_uuid;

-- Active = in the latest models.yaml version ever imported (docs/formats.md#models_yaml); only models
-- that some models.yaml named are judged, and only when this import brought a models.yaml entry.
WITH latest AS (
    SELECT max(v) AS v FROM models, jsonb_array_elements_text(metadata -> 'yaml_versions') v
)
UPDATE models m
SET is_active = (m.metadata -> 'yaml_versions') ? (SELECT v FROM latest)
WHERE m.metadata ? 'yaml_versions'
  AND EXISTS (SELECT 1 FROM t_cfg WHERE kind = 'models_yaml' AND is_new)
  AND m.is_active IS DISTINCT FROM ((m.metadata -> 'yaml_versions') ? (SELECT v FROM latest));

INSERT INTO bellatrix_migrate.config_observations (source_key, kind, model_id, effective_from, price_in,
    price_out, max_tokens, temperature, top_p, file, line, import_id)
SELECT source_key, kind, model_uuid, effective_from, price_in, price_out, max_tokens, temperature, top_p,
       file_path, line, current_setting('bellatrix_migrate.import_id')::bigint
FROM t_cfg WHERE is_new
ON CONFLICT (source_key) DO NOTHING;
