-- Two models that a later source shows to be one are merged (docs/decisions.md#source-precedence):
-- a row or a configuration entry that gives a model's name together with its Bedrock id, while one
-- model has that id (found by it, named from it by a Bedrock log) and another of the provider has
-- that name without an id (created from root-era rows, which carry names only). Imported together
-- they would have been one model from the start. The model that keeps its id is the named one (or
-- the configured one, when only the other is configured); every row of the other moves to it: metric
-- and master rows, aggregates (recomputed by 80_aggregates.sql), price and parameter rows and the
-- configuration observations, similarity scores, log entries, the ledger. Then the other is deleted.
-- Recorded in row_changes as `merged`. Last, the log entries of merged and renamed models follow
-- their model.
CREATE TEMP TABLE t_model_merges (drop_id uuid, keep_id uuid, name text, bedrock_model_id text) ON COMMIT DROP;
CREATE TEMP TABLE t_merged_pairs (run_id uuid, model_id uuid) ON COMMIT DROP;

WITH pairs AS (
    SELECT k.model_uuid AS by_id, k.model_name AS name, k.provider, k.bedrock_model_id
    FROM t_model_keys k
    WHERE k.model_uuid IS NOT NULL AND k.bedrock_model_id IS NOT NULL AND NOT k.model_name_derived
    UNION
    SELECT c.model_uuid, c.name, c.provider, c.bedrock_model_id
    FROM t_cfg c
    WHERE c.is_new AND c.model_uuid IS NOT NULL AND c.bedrock_model_id IS NOT NULL
), found AS (
    SELECT DISTINCT ON (a.id) a.id AS a_id, b.id AS b_id, p.name, p.bedrock_model_id,
           (a.metadata ? 'yaml_versions' OR a.metadata ? 'config_py_keys') AS a_configured,
           (b.metadata ? 'yaml_versions' OR b.metadata ? 'config_py_keys') AS b_configured
    FROM pairs p
    JOIN models a ON a.id = p.by_id
    JOIN model_providers pr ON pr.name = p.provider
    JOIN models b ON b.provider_id = pr.id AND b.name = p.name AND b.id <> a.id
    WHERE a.bedrock_model_id = p.bedrock_model_id
      AND b.bedrock_model_id IS NULL
      AND a.is_master_model = b.is_master_model
    ORDER BY a.id, b.created_at, b.id
)
INSERT INTO t_model_merges
SELECT CASE WHEN a_configured AND NOT b_configured THEN b_id ELSE a_id END,
       CASE WHEN a_configured AND NOT b_configured THEN a_id ELSE b_id END,
       name, bedrock_model_id
FROM found;

-- Nothing more to do in the usual case: every statement of the merge is skipped at once.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM t_model_merges) THEN
        RETURN;
    END IF;

    -- The kept model takes the id and the histories of both.
    UPDATE models k
    SET bedrock_model_id = COALESCE(k.bedrock_model_id, g.bedrock_model_id),
        use_inference_profile = k.use_inference_profile OR d.use_inference_profile,
        tokenizer_type = CASE WHEN k.tokenizer_type = 'heuristic' THEN d.tokenizer_type ELSE k.tokenizer_type END,
        updated_at = CURRENT_TIMESTAMP,
        metadata = COALESCE(d.metadata, '{}'::jsonb) || COALESCE(k.metadata, '{}'::jsonb)
            || jsonb_build_object('bedrock_model_id_history', (
                SELECT jsonb_agg(DISTINCT x ORDER BY x) FROM (
                    SELECT jsonb_array_elements_text(COALESCE(k.metadata -> 'bedrock_model_id_history', '[]'::jsonb)
                           || COALESCE(d.metadata -> 'bedrock_model_id_history', '[]'::jsonb)
                           || to_jsonb(g.bedrock_model_id)) AS x) h))
    FROM t_model_merges g JOIN models d ON d.id = g.drop_id
    WHERE k.id = g.keep_id;

    UPDATE evaluation_metrics e SET model_id = g.keep_id FROM t_model_merges g WHERE e.model_id = g.drop_id;
    UPDATE master_model_evaluations e SET model_id = g.keep_id FROM t_model_merges g WHERE e.model_id = g.drop_id;

    WITH removed AS (
        DELETE FROM model_aggregated_metrics a USING t_model_merges g
        WHERE a.model_id = g.drop_id
        RETURNING a.run_id, g.keep_id
    )
    INSERT INTO t_merged_pairs SELECT DISTINCT run_id, keep_id FROM removed;

    UPDATE model_pricing x SET model_id = g.keep_id FROM t_model_merges g WHERE x.model_id = g.drop_id;
    UPDATE model_generation_params x SET model_id = g.keep_id FROM t_model_merges g WHERE x.model_id = g.drop_id;
    UPDATE bellatrix_migrate.config_observations x SET model_id = g.keep_id FROM t_model_merges g
    WHERE x.model_id = g.drop_id;
    UPDATE similarity_scores x
    SET model_a_id = CASE WHEN x.model_a_id = g.drop_id THEN g.keep_id ELSE x.model_a_id END,
        model_b_id = CASE WHEN x.model_b_id = g.drop_id THEN g.keep_id ELSE x.model_b_id END,
        master_model_id = CASE WHEN x.master_model_id = g.drop_id THEN g.keep_id ELSE x.master_model_id END
    FROM t_model_merges g
    WHERE g.drop_id IN (x.model_a_id, x.model_b_id, x.master_model_id);
    UPDATE bellatrix_migrate.row_sources l SET target_id = g.keep_id FROM t_model_merges g
    WHERE l.target_table = 'models' AND l.target_id = g.drop_id;

    -- The steps after this one name models through these.
    UPDATE t_model_keys k SET model_uuid = g.keep_id FROM t_model_merges g WHERE k.model_uuid = g.drop_id;
    UPDATE t_cfg c SET model_uuid = g.keep_id FROM t_model_merges g WHERE c.model_uuid = g.drop_id;
    DELETE FROM t_new_models n USING t_model_merges g WHERE n.id = g.drop_id;
    DELETE FROM t_cfg_new_models n USING t_model_merges g WHERE n.id = g.drop_id;

    INSERT INTO bellatrix_migrate.row_changes (import_id, target_table, target_id, change, details)
    SELECT current_setting('bellatrix_migrate.import_id')::bigint, 'models', keep_id, 'merged',
           jsonb_build_object('merged_model', drop_id, 'bedrock_model_id', bedrock_model_id)
    FROM t_model_merges;

    DELETE FROM models m USING t_model_merges g WHERE m.id = g.drop_id;
END
$$;

-- Log entries carry their model's id and name: a merged model's entries those of the model it was
-- merged into, a renamed model's (19_config_names.sql, 20_models.sql) its new name.
UPDATE cloudwatch_log_entries c
SET model_name = left(m.name, 200),
    metadata = c.metadata || jsonb_build_object('model_uuid', m.id)
FROM (SELECT drop_id AS old_id, keep_id AS new_id FROM t_model_merges
      UNION ALL
      SELECT id, id FROM t_renamed_models) x
JOIN models m ON m.id = x.new_id
WHERE c.metadata ->> 'model_uuid' = x.old_id::text
  AND EXISTS (SELECT 1 FROM t_model_merges UNION ALL SELECT 1 FROM t_renamed_models);
