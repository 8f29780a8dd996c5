-- A model first seen in data (raw rows or a Bedrock log, named by the row or from its id) takes the
-- name its configuration gives it when a models.yaml or config.py entry resolves to it, as if the
-- configuration had come first (docs/decisions.md#source-precedence): the latest entry's name,
-- unless another model of its provider already has that name. The renamed models are collected in
-- t_renamed_models (20_models.sql adds its own), whose log entries take the new name in
-- 21_model_merges.sql.
CREATE TEMP TABLE t_renamed_models (id uuid) ON COMMIT DROP;

WITH named AS (
    SELECT DISTINCT ON (model_uuid) model_uuid, name
    FROM t_cfg
    WHERE is_new AND model_uuid IS NOT NULL
    ORDER BY model_uuid, effective_from DESC, file_no DESC, line DESC
), renamed AS (
    UPDATE models m SET name = n.name, updated_at = CURRENT_TIMESTAMP
    FROM named n
    WHERE m.id = n.model_uuid AND m.name <> n.name
      AND COALESCE(m.metadata ->> 'created_from', '') IN ('data', 'bedrock_log')
      AND NOT EXISTS (SELECT 1 FROM models o
                      WHERE o.provider_id = m.provider_id AND o.name = n.name AND o.id <> m.id)
    RETURNING m.id
)
INSERT INTO t_renamed_models SELECT id FROM renamed;
