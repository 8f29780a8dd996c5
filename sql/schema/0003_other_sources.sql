-- 0003_other_sources.sql: staging for every legacy kind besides raw_metrics.csv (prompt files,
-- Bedrock invocation logs, models.yaml / config.py entries, users.json, legacy aggregate files), and
-- the migrator's record of model-configuration observations, from which price and parameter
-- history is rebuilt (model_pricing and model_generation_params have no metadata column, so their
-- provenance lives here).
--
-- Staging tables are UNLOGGED (refilled from the files on every run). 0001 and 0002 are never
-- edited: the runner checksums applied migrations.

-- Root-era detailed results share stage_raw_metrics (they become runs and metrics too). They carry a
-- Bedrock requestId through which the full prompt is recovered from a log of the same import, and
-- metadata for their placeholder prompt (the prompt_snippet).
ALTER TABLE bellatrix_migrate.stage_raw_metrics ADD COLUMN IF NOT EXISTS request_id TEXT;
ALTER TABLE bellatrix_migrate.stage_raw_metrics ADD COLUMN IF NOT EXISTS prompt_metadata JSONB;

-- One row per prompt of a prompt CSV, JSON, JSONL or TXT file (a source record each).
CREATE UNLOGGED TABLE IF NOT EXISTS bellatrix_migrate.stage_prompts (
    file_no                INTEGER NOT NULL,
    line                   BIGINT NOT NULL,
    kind                   TEXT NOT NULL,
    prompt_text            TEXT NOT NULL,
    prompt_hash            TEXT NOT NULL,
    prompt_normalized_hash TEXT NOT NULL,
    source_type            TEXT NOT NULL,
    expected_json          BOOLEAN NOT NULL,
    expected_json_inferred BOOLEAN NOT NULL,
    tags                   TEXT[],
    legacy_prompt_id       TEXT,
    metadata               JSONB NOT NULL
);

-- One row per entry of a Bedrock model-invocation log (a source record each), with its user prompt.
CREATE UNLOGGED TABLE IF NOT EXISTS bellatrix_migrate.stage_log_entries (
    file_no                INTEGER NOT NULL,
    line                   BIGINT NOT NULL,
    source_key             TEXT NOT NULL,
    log_file_name          TEXT NOT NULL,
    raw_log_data           JSONB NOT NULL,
    event_name             TEXT,
    event_time             TIMESTAMPTZ,
    model_id               TEXT,
    model_name             TEXT,
    provider               TEXT,
    region                 TEXT,
    input_tokens           INTEGER,
    output_tokens          INTEGER,
    latency_ms             NUMERIC(10,2),
    parsed                 BOOLEAN NOT NULL,
    parse_error            TEXT,
    request_id             TEXT,
    prompt_text            TEXT,
    prompt_hash            TEXT,
    prompt_normalized_hash TEXT,
    expected_json          BOOLEAN,
    metadata               JSONB NOT NULL
);

-- One row per model entry of a models.yaml version or of config.py's MODELS (a source record each).
CREATE UNLOGGED TABLE IF NOT EXISTS bellatrix_migrate.stage_models (
    file_no               INTEGER NOT NULL,
    line                  BIGINT NOT NULL,
    source_key            TEXT NOT NULL,
    kind                  TEXT NOT NULL,
    effective_from        TIMESTAMPTZ NOT NULL,
    name                  TEXT NOT NULL,
    provider              TEXT NOT NULL,
    bedrock_model_id      TEXT,
    tokenizer_type        TEXT,
    region_name           TEXT,
    use_inference_profile BOOLEAN NOT NULL,
    config_key            TEXT,
    price_in              NUMERIC(10,6),
    price_out             NUMERIC(10,6),
    max_tokens            INTEGER,
    temperature           NUMERIC(4,2),
    top_p                 NUMERIC(4,2),
    metadata              JSONB NOT NULL
);

-- One row per users.json key (a source record each).
CREATE UNLOGGED TABLE IF NOT EXISTS bellatrix_migrate.stage_users (
    file_no       INTEGER NOT NULL,
    line          BIGINT NOT NULL,
    source_key    TEXT NOT NULL,
    username      TEXT NOT NULL,
    email         TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created_at    TIMESTAMPTZ,
    last_login    TIMESTAMPTZ,
    metadata      JSONB NOT NULL
);

-- One row per data row of a legacy aggregate file (model_comparison.csv, aggregated_metrics*.csv,
-- summary_<ts>.csv): compared with the recomputed model_aggregated_metrics, never loaded.
CREATE UNLOGGED TABLE IF NOT EXISTS bellatrix_migrate.stage_aggregates (
    file_no           INTEGER NOT NULL,
    line              BIGINT NOT NULL,
    kind              TEXT NOT NULL,
    model_name        TEXT,
    model_key         TEXT,
    run_id            TEXT,
    total_count       BIGINT,
    success_count     BIGINT,
    avg_input_tokens  NUMERIC,
    avg_output_tokens NUMERIC,
    min_latency_ms    NUMERIC,
    max_latency_ms    NUMERIC,
    json_valid_count  BIGINT,
    total_cost_usd    NUMERIC,
    total_input_tokens  BIGINT,
    total_output_tokens BIGINT
);

-- Every model-configuration entry ever imported: the facts from which price and parameter history
-- is rebuilt when a later import brings an older or newer version.
CREATE TABLE IF NOT EXISTS bellatrix_migrate.config_observations (
    source_key     TEXT PRIMARY KEY,
    kind           TEXT NOT NULL,
    model_id       UUID NOT NULL,
    effective_from TIMESTAMPTZ NOT NULL,
    price_in       NUMERIC(10,6),
    price_out      NUMERIC(10,6),
    max_tokens     INTEGER,
    temperature    NUMERIC(4,2),
    top_p          NUMERIC(4,2),
    file           TEXT NOT NULL,
    line           BIGINT NOT NULL,
    import_id      BIGINT NOT NULL REFERENCES bellatrix_migrate.imports (id)
);
CREATE INDEX IF NOT EXISTS idx_config_observations_model ON bellatrix_migrate.config_observations (model_id);
