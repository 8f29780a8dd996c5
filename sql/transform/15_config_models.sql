-- Models from configuration (models.yaml versions, config.py), before raw rows resolve their models
-- (20_models.sql), so rows find the configured model by its Bedrock id.
-- * Each entry is a source record with a natural key (ModelEntryRecord::key): one already in the
--   ledger, or repeated in this import, is a duplicate and changes nothing.
-- * A new entry resolves to a model by Bedrock id (current or historical), then by (name,
--   provider); the rest create models, one per (name, provider).
-- * Every new entry is recorded in config_observations. A model's id, tokenizer, region,
--   inference-profile flag and activity are then decided from all its observations ever imported, by
--   observation date (docs/decisions.md, "Configuration history"), never by import order; older ids
--   are kept in metadata.bedrock_model_id_history. 17_config_history.sql rebuilds price and
--   parameter history of the same models (t_cfg_models) from the same observations (t_cfg_obs).
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
    INSERT INTO model_providers (id, name, display_name)
    SELECT bellatrix_migrate.ordered_id(), provider, initcap(provider)
    FROM (SELECT DISTINCT provider FROM t_cfg WHERE is_new) p
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
    SELECT bellatrix_migrate.ordered_id(), g.name, p.id, 'heuristic', FALSE, FALSE, FALSE, g.first_seen, g.first_seen,
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

-- Every new entry is an observation; the models it touches, or every configured model when a
-- models.yaml version arrives (it can close, reopen or deactivate any of them and dates the root-era
-- config.py), are decided again from all their observations, whatever the order they were imported in.
INSERT INTO bellatrix_migrate.config_observations (source_key, kind, model_id, effective_from, price_in,
    price_out, max_tokens, temperature, top_p, file, line, import_id, dated_by, bedrock_model_id,
    tokenizer_type, region_name, use_inference_profile, config_key)
SELECT source_key, kind, model_uuid, effective_from, price_in, price_out, max_tokens, temperature, top_p,
       file_path, line, current_setting('bellatrix_migrate.import_id')::bigint,
       metadata ->> 'version_dated_by', bedrock_model_id, tokenizer_type, region_name,
       use_inference_profile, config_key
FROM t_cfg WHERE is_new
ON CONFLICT (source_key) DO NOTHING;

CREATE TEMP TABLE t_cfg_models ON COMMIT DROP AS
SELECT model_uuid AS id FROM t_cfg WHERE is_new
UNION
SELECT model_id FROM bellatrix_migrate.config_observations
WHERE EXISTS (SELECT 1 FROM t_cfg WHERE is_new AND kind = 'models_yaml');

-- The observations of those models with their effective dates: a models.yaml version's own; the
-- root-era config.py's, never later than the earliest models.yaml version (it predates them all,
-- whatever its file's modification time says), so it moves whenever an earlier version arrives.
CREATE TEMP TABLE t_cfg_obs ON COMMIT DROP AS
SELECT o.*,
       CASE WHEN o.kind = 'config_py'
            THEN LEAST(o.effective_from, (SELECT min(y.effective_from) FROM bellatrix_migrate.config_observations y
                                          WHERE y.kind = 'models_yaml'))
            ELSE o.effective_from END AS eff
FROM bellatrix_migrate.config_observations o
WHERE o.model_id IN (SELECT id FROM t_cfg_models);

-- A model's attributes are those of its latest observation that states them: latest by effective
-- date, a models.yaml observation before a config.py one of the same date, then by key (so ties
-- are decided the same way in every import). Active = listed in the latest models.yaml version
-- (docs/formats.md#models_yaml); only models some models.yaml named are judged. Histories in
-- metadata are unions, which no order changes. Version stamps are sortable UTC text.
CREATE TEMP TABLE t_cfg_attributes ON COMMIT DROP AS
WITH ranked AS (
    SELECT o.*, row_number() OVER (PARTITION BY o.model_id
                                   ORDER BY o.eff DESC, o.kind = 'models_yaml' DESC, o.source_key DESC) AS recency
    FROM t_cfg_obs o
), latest_version AS (
    SELECT max(effective_from) AS v FROM bellatrix_migrate.config_observations WHERE kind = 'models_yaml'
)
SELECT m.id,
       (SELECT r.bedrock_model_id FROM ranked r WHERE r.model_id = m.id AND r.bedrock_model_id IS NOT NULL
        ORDER BY r.recency LIMIT 1) AS bedrock_model_id,
       (SELECT r.tokenizer_type FROM ranked r WHERE r.model_id = m.id AND r.tokenizer_type IS NOT NULL
        ORDER BY r.recency LIMIT 1) AS tokenizer_type,
       (SELECT r.region_name FROM ranked r WHERE r.model_id = m.id AND r.region_name IS NOT NULL
        ORDER BY r.recency LIMIT 1) AS region_name,
       (SELECT r.use_inference_profile FROM ranked r WHERE r.model_id = m.id AND r.use_inference_profile IS NOT NULL
        ORDER BY r.recency LIMIT 1) AS use_inference_profile,
       (SELECT jsonb_agg(DISTINCT r.bedrock_model_id) FROM ranked r
        WHERE r.model_id = m.id AND r.bedrock_model_id IS NOT NULL) AS ids,
       (SELECT jsonb_agg(DISTINCT to_char(r.effective_from AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'))
        FROM ranked r WHERE r.model_id = m.id AND r.kind = 'models_yaml') AS yaml_versions,
       (SELECT jsonb_agg(DISTINCT k) FROM (
            SELECT r.config_key AS k FROM ranked r WHERE r.model_id = m.id AND r.config_key IS NOT NULL
            UNION ALL
            SELECT c.config_key FROM t_cfg c WHERE c.is_new AND c.model_uuid = m.id AND c.config_key IS NOT NULL) keys)
           AS config_keys,
       CASE WHEN EXISTS (SELECT 1 FROM ranked r WHERE r.model_id = m.id AND r.kind = 'models_yaml')
            THEN EXISTS (SELECT 1 FROM ranked r, latest_version l
                         WHERE r.model_id = m.id AND r.kind = 'models_yaml' AND r.effective_from = l.v)
       END AS is_active
FROM t_cfg_models m;

CREATE TEMP TABLE t_cfg_updated_models (id uuid) ON COMMIT DROP;
WITH decided AS (
    SELECT m.id,
           COALESCE(a.bedrock_model_id, m.bedrock_model_id) AS bedrock_model_id,
           COALESCE(a.tokenizer_type, m.tokenizer_type) AS tokenizer_type,
           COALESCE(a.region_name, m.region_name) AS region_name,
           COALESCE(a.use_inference_profile, m.use_inference_profile) AS use_inference_profile,
           COALESCE(a.is_active, m.is_active) AS is_active,
           (COALESCE(m.metadata, '{}'::jsonb) - 'config_latest_version') || jsonb_strip_nulls(jsonb_build_object(
               'bedrock_model_id_history', (
                   SELECT jsonb_agg(DISTINCT x ORDER BY x) FROM (
                       SELECT jsonb_array_elements_text(COALESCE(m.metadata -> 'bedrock_model_id_history', '[]'::jsonb)
                              || COALESCE(a.ids, '[]'::jsonb)
                              || COALESCE(to_jsonb(COALESCE(a.bedrock_model_id, m.bedrock_model_id)), '[]'::jsonb)) AS x) h),
               'yaml_versions', (
                   SELECT jsonb_agg(DISTINCT x ORDER BY x) FROM (
                       SELECT jsonb_array_elements_text(COALESCE(m.metadata -> 'yaml_versions', '[]'::jsonb)
                              || COALESCE(a.yaml_versions, '[]'::jsonb)) AS x) v),
               'config_py_keys', (
                   SELECT jsonb_agg(DISTINCT x ORDER BY x) FROM (
                       SELECT jsonb_array_elements_text(COALESCE(m.metadata -> 'config_py_keys', '[]'::jsonb)
                              || COALESCE(a.config_keys, '[]'::jsonb)) AS x) k))) AS metadata
    FROM t_cfg_attributes a
    JOIN models m ON m.id = a.id
), updated AS (
    UPDATE models m
    SET bedrock_model_id = d.bedrock_model_id,
        tokenizer_type = d.tokenizer_type,
        region_name = d.region_name,
        use_inference_profile = d.use_inference_profile,
        is_active = d.is_active,
        metadata = d.metadata
    FROM decided d
    WHERE m.id = d.id
      AND (m.bedrock_model_id, m.tokenizer_type, m.region_name, m.use_inference_profile, m.is_active, m.metadata)
          IS DISTINCT FROM (d.bedrock_model_id, d.tokenizer_type, d.region_name, d.use_inference_profile,
                            d.is_active, d.metadata)
    RETURNING m.id
)
INSERT INTO t_cfg_updated_models
SELECT id FROM updated WHERE id NOT IN (SELECT id FROM t_cfg_new_models);
