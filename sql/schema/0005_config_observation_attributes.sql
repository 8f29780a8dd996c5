-- Configuration history decided from every observation ever imported, whatever the import order
-- (docs/decisions.md, "Configuration history"): each observation also keeps how its version was dated
-- and the model attributes it states, so a model's Bedrock id, tokenizer, region and inference-profile
-- flag are those of its latest observation by date, recomputed from this table, never from the order
-- the files arrived in. Observations recorded before this migration have NULL here: they still date
-- prices and parameters, and leave the attributes to the observations that state them.
ALTER TABLE bellatrix_migrate.config_observations
    ADD COLUMN IF NOT EXISTS dated_by              TEXT,
    ADD COLUMN IF NOT EXISTS bedrock_model_id      TEXT,
    ADD COLUMN IF NOT EXISTS tokenizer_type        TEXT,
    ADD COLUMN IF NOT EXISTS region_name           TEXT,
    ADD COLUMN IF NOT EXISTS use_inference_profile BOOLEAN,
    ADD COLUMN IF NOT EXISTS config_key            TEXT;

-- A version of models.yaml is the set of its observations (one effective date); versions are looked
-- up by kind and date.
CREATE INDEX IF NOT EXISTS idx_config_observations_kind_date
    ON bellatrix_migrate.config_observations (kind, effective_from);
