-- 0001_target_schema.sql: the production target schema of the legacy BellaTrix app (13 tables,
-- 4 views, 2 trigger functions, provider seed rows), as described in LEGACY_FORMATS.md section 6.
--
-- Why this file is not simply the legacy database/schema.sql:
--   * It must be re-runnable. `bellatrix-migrate init` applies it on an empty database, on a database
--     the legacy app already built from its own schema.sql, and on one where only the legacy ORM's
--     `users` table exists (different DDL, section 6.5). So everything is IF NOT EXISTS / OR REPLACE,
--     and nothing here drops or rewrites a row. Only views and triggers are dropped and recreated:
--     they hold no data.
--   * Deliberate deviation: the legacy calculate_prompt_hash() called pgcrypto's digest(), but the
--     legacy schema never installed pgcrypto, so any prompt inserted without a hash failed with
--     "function digest(text, unknown) does not exist". This file redefines the function with the
--     built-in sha256() (PostgreSQL 11+), giving the same value (SHA-256 of the exact UTF-8 bytes,
--     lower-case hex) without needing pgcrypto. Because the function keeps its legacy name,
--     CREATE OR REPLACE also repairs legacy triggers that already point at it.
--   * The migrator always supplies prompt_hash itself (DECISIONS.md); the trigger is the fallback,
--     and an integrity check proves the two agree.
--
-- The migration runner applies this file inside one transaction, so nothing here may need to run
-- outside a transaction (no CREATE INDEX CONCURRENTLY).

-- ---------------------------------------------------------------------------------------------
-- Extensions (6.1). uuid-ossp provides uuid_generate_v4() for every primary key; pg_trgm is kept
-- because the legacy schema created it and legacy queries may rely on it. pgcrypto is not needed.
-- ---------------------------------------------------------------------------------------------
CREATE EXTENSION IF NOT EXISTS "uuid-ossp";
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- ---------------------------------------------------------------------------------------------
-- Trigger functions (6.4). Defined first so the triggers below can refer to them.
-- ---------------------------------------------------------------------------------------------

-- Keeps updated_at current on UPDATE only; inserts keep whatever updated_at the caller supplies,
-- which the migrator relies on to carry legacy timestamps over.
CREATE OR REPLACE FUNCTION update_updated_at_column()
RETURNS TRIGGER
LANGUAGE plpgsql
AS $$
BEGIN
    NEW.updated_at = CURRENT_TIMESTAMP;
    RETURN NEW;
END;
$$;

-- Fills prompt_hash only when the caller left it NULL. Uses the built-in sha256() instead of the
-- legacy pgcrypto digest() (see header). convert_to(..., 'UTF8') hashes the UTF-8 bytes whatever
-- the database encoding, matching the migrator's Sha256::digest(prompt_text.as_bytes()).
CREATE OR REPLACE FUNCTION calculate_prompt_hash()
RETURNS TRIGGER
LANGUAGE plpgsql
AS $$
BEGIN
    IF NEW.prompt_hash IS NULL THEN
        NEW.prompt_hash := encode(sha256(convert_to(NEW.prompt_text, 'UTF8')), 'hex');
    END IF;
    RETURN NEW;
END;
$$;

-- ---------------------------------------------------------------------------------------------
-- Tables (6.2). No CHECK constraints or enums: status and source columns are free text in the
-- legacy app, and the migrator must accept every legacy spelling.
-- ---------------------------------------------------------------------------------------------

-- 1. users
CREATE TABLE IF NOT EXISTS users (
    id UUID PRIMARY KEY DEFAULT uuid_generate_v4(),
    username VARCHAR(100) UNIQUE NOT NULL,
    email VARCHAR(255) UNIQUE NOT NULL,
    password_hash VARCHAR(255) NOT NULL,
    is_active BOOLEAN DEFAULT TRUE,
    is_admin BOOLEAN DEFAULT FALSE,
    created_at TIMESTAMP WITH TIME ZONE DEFAULT CURRENT_TIMESTAMP,
    updated_at TIMESTAMP WITH TIME ZONE DEFAULT CURRENT_TIMESTAMP,
    last_login TIMESTAMP WITH TIME ZONE,
    metadata JSONB DEFAULT '{}'
);

-- `users` may predate this file: the legacy ORM (init_db()) creates it with its own DDL. Add any
-- column that such a table might lack. Only type and default are given: adding NOT NULL / UNIQUE /
-- PRIMARY KEY to an existing, populated table could fail or conflict with the ORM's own unique
-- indexes, and every known variant already carries those constraints.
ALTER TABLE users ADD COLUMN IF NOT EXISTS id UUID DEFAULT uuid_generate_v4();
ALTER TABLE users ADD COLUMN IF NOT EXISTS username VARCHAR(100);
ALTER TABLE users ADD COLUMN IF NOT EXISTS email VARCHAR(255);
ALTER TABLE users ADD COLUMN IF NOT EXISTS password_hash VARCHAR(255);
ALTER TABLE users ADD COLUMN IF NOT EXISTS is_active BOOLEAN DEFAULT TRUE;
ALTER TABLE users ADD COLUMN IF NOT EXISTS is_admin BOOLEAN DEFAULT FALSE;
ALTER TABLE users ADD COLUMN IF NOT EXISTS created_at TIMESTAMP WITH TIME ZONE DEFAULT CURRENT_TIMESTAMP;
ALTER TABLE users ADD COLUMN IF NOT EXISTS updated_at TIMESTAMP WITH TIME ZONE DEFAULT CURRENT_TIMESTAMP;
ALTER TABLE users ADD COLUMN IF NOT EXISTS last_login TIMESTAMP WITH TIME ZONE;
ALTER TABLE users ADD COLUMN IF NOT EXISTS metadata JSONB DEFAULT '{}';

CREATE INDEX IF NOT EXISTS idx_users_username ON users (username);
CREATE INDEX IF NOT EXISTS idx_users_email ON users (email);
CREATE INDEX IF NOT EXISTS idx_users_is_active ON users (is_active);

-- 2. model_providers
CREATE TABLE IF NOT EXISTS model_providers (
    id UUID PRIMARY KEY DEFAULT uuid_generate_v4(),
    name VARCHAR(50) UNIQUE NOT NULL,
    display_name VARCHAR(100) NOT NULL,
    created_at TIMESTAMP WITH TIME ZONE DEFAULT CURRENT_TIMESTAMP
);

-- 3. models
CREATE TABLE IF NOT EXISTS models (
    id UUID PRIMARY KEY DEFAULT uuid_generate_v4(),
    name VARCHAR(200) NOT NULL,
    provider_id UUID NOT NULL REFERENCES model_providers (id) ON DELETE RESTRICT,
    bedrock_model_id VARCHAR(255),
    tokenizer_type VARCHAR(50) DEFAULT 'heuristic',
    region_name VARCHAR(50) DEFAULT 'us-east-2',
    is_active BOOLEAN DEFAULT TRUE,
    is_master_model BOOLEAN DEFAULT FALSE,
    use_inference_profile BOOLEAN DEFAULT FALSE,
    created_at TIMESTAMP WITH TIME ZONE DEFAULT CURRENT_TIMESTAMP,
    updated_at TIMESTAMP WITH TIME ZONE DEFAULT CURRENT_TIMESTAMP,
    metadata JSONB DEFAULT '{}',
    UNIQUE (name, provider_id)
);

-- bedrock_model_id is deliberately not unique: renamed models and master models share or lack ids.
CREATE INDEX IF NOT EXISTS idx_models_provider_id ON models (provider_id);
CREATE INDEX IF NOT EXISTS idx_models_is_active ON models (is_active);
CREATE INDEX IF NOT EXISTS idx_models_bedrock_model_id ON models (bedrock_model_id);

-- 4. model_pricing: one row per price period; effective_to NULL means "current".
CREATE TABLE IF NOT EXISTS model_pricing (
    id UUID PRIMARY KEY DEFAULT uuid_generate_v4(),
    model_id UUID NOT NULL REFERENCES models (id) ON DELETE CASCADE,
    input_per_1k_tokens_usd DECIMAL(10,6) NOT NULL,
    output_per_1k_tokens_usd DECIMAL(10,6) NOT NULL,
    effective_from TIMESTAMP WITH TIME ZONE DEFAULT CURRENT_TIMESTAMP,
    effective_to TIMESTAMP WITH TIME ZONE,
    created_at TIMESTAMP WITH TIME ZONE DEFAULT CURRENT_TIMESTAMP
);

CREATE INDEX IF NOT EXISTS idx_model_pricing_model_id ON model_pricing (model_id);
CREATE INDEX IF NOT EXISTS idx_model_pricing_effective_from_effective_to
    ON model_pricing (effective_from, effective_to);

-- 5. model_generation_params: same period model as model_pricing.
CREATE TABLE IF NOT EXISTS model_generation_params (
    id UUID PRIMARY KEY DEFAULT uuid_generate_v4(),
    model_id UUID NOT NULL REFERENCES models (id) ON DELETE CASCADE,
    max_tokens INTEGER DEFAULT 512,
    temperature DECIMAL(4,2) DEFAULT 0.7,
    top_p DECIMAL(4,2) DEFAULT 0.95,
    effective_from TIMESTAMP WITH TIME ZONE DEFAULT CURRENT_TIMESTAMP,
    effective_to TIMESTAMP WITH TIME ZONE,
    created_at TIMESTAMP WITH TIME ZONE DEFAULT CURRENT_TIMESTAMP
);

CREATE INDEX IF NOT EXISTS idx_model_generation_params_model_id ON model_generation_params (model_id);
CREATE INDEX IF NOT EXISTS idx_model_generation_params_effective_from_effective_to
    ON model_generation_params (effective_from, effective_to);

-- 6. prompts. prompt_hash is indexed but NOT unique (legacy data has duplicates); the migrator
-- de-duplicates on it itself.
CREATE TABLE IF NOT EXISTS prompts (
    id UUID PRIMARY KEY DEFAULT uuid_generate_v4(),
    user_id UUID REFERENCES users (id) ON DELETE SET NULL,
    prompt_text TEXT NOT NULL,
    prompt_hash VARCHAR(64),
    source_type VARCHAR(50) DEFAULT 'manual',
    source_file_name VARCHAR(255),
    expected_json BOOLEAN DEFAULT FALSE,
    tags TEXT[],
    created_at TIMESTAMP WITH TIME ZONE DEFAULT CURRENT_TIMESTAMP,
    updated_at TIMESTAMP WITH TIME ZONE DEFAULT CURRENT_TIMESTAMP,
    metadata JSONB DEFAULT '{}'
);

CREATE INDEX IF NOT EXISTS idx_prompts_user_id ON prompts (user_id);
CREATE INDEX IF NOT EXISTS idx_prompts_prompt_hash ON prompts (prompt_hash);
CREATE INDEX IF NOT EXISTS idx_prompts_source_type ON prompts (source_type);
CREATE INDEX IF NOT EXISTS idx_prompts_created_at ON prompts (created_at);
CREATE INDEX IF NOT EXISTS idx_prompts_tags ON prompts USING GIN (tags);

-- 7. evaluation_runs
CREATE TABLE IF NOT EXISTS evaluation_runs (
    id UUID PRIMARY KEY DEFAULT uuid_generate_v4(),
    run_id VARCHAR(50) UNIQUE NOT NULL,
    user_id UUID REFERENCES users (id) ON DELETE SET NULL,
    name VARCHAR(255),
    status VARCHAR(50) DEFAULT 'pending',
    started_at TIMESTAMP WITH TIME ZONE DEFAULT CURRENT_TIMESTAMP,
    completed_at TIMESTAMP WITH TIME ZONE,
    total_prompts INTEGER DEFAULT 0,
    total_models INTEGER DEFAULT 0,
    total_evaluations INTEGER DEFAULT 0,
    successful_evaluations INTEGER DEFAULT 0,
    failed_evaluations INTEGER DEFAULT 0,
    metadata JSONB DEFAULT '{}'
);

CREATE INDEX IF NOT EXISTS idx_evaluation_runs_user_id ON evaluation_runs (user_id);
CREATE INDEX IF NOT EXISTS idx_evaluation_runs_status ON evaluation_runs (status);
CREATE INDEX IF NOT EXISTS idx_evaluation_runs_started_at ON evaluation_runs (started_at);
-- Redundant with the UNIQUE constraint, kept because the legacy schema has it.
CREATE INDEX IF NOT EXISTS idx_evaluation_runs_run_id ON evaluation_runs (run_id);

-- 8. evaluation_metrics: one row per (run, model, prompt) call. No uniqueness constraint, as in
-- the legacy schema, so the migrator must de-duplicate re-imports itself.
CREATE TABLE IF NOT EXISTS evaluation_metrics (
    id UUID PRIMARY KEY DEFAULT uuid_generate_v4(),
    run_id UUID NOT NULL REFERENCES evaluation_runs (id) ON DELETE CASCADE,
    model_id UUID NOT NULL REFERENCES models (id) ON DELETE RESTRICT,
    prompt_id UUID NOT NULL REFERENCES prompts (id) ON DELETE RESTRICT,
    user_id UUID REFERENCES users (id) ON DELETE SET NULL,
    input_tokens INTEGER NOT NULL DEFAULT 0,
    output_tokens INTEGER NOT NULL DEFAULT 0,
    latency_ms DECIMAL(10,2) NOT NULL DEFAULT 0,
    cost_usd_input DECIMAL(10,6) NOT NULL DEFAULT 0,
    cost_usd_output DECIMAL(10,6) NOT NULL DEFAULT 0,
    cost_usd_total DECIMAL(10,6) NOT NULL DEFAULT 0,
    json_valid BOOLEAN, -- NULL = not applicable (JSON not expected)
    response_text TEXT,
    cleaned_response TEXT,
    original_response TEXT,
    status VARCHAR(50) NOT NULL DEFAULT 'success',
    error_message TEXT,
    evaluated_at TIMESTAMP WITH TIME ZONE DEFAULT CURRENT_TIMESTAMP,
    created_at TIMESTAMP WITH TIME ZONE DEFAULT CURRENT_TIMESTAMP,
    metadata JSONB DEFAULT '{}'
);

CREATE INDEX IF NOT EXISTS idx_evaluation_metrics_run_id ON evaluation_metrics (run_id);
CREATE INDEX IF NOT EXISTS idx_evaluation_metrics_model_id ON evaluation_metrics (model_id);
CREATE INDEX IF NOT EXISTS idx_evaluation_metrics_prompt_id ON evaluation_metrics (prompt_id);
CREATE INDEX IF NOT EXISTS idx_evaluation_metrics_user_id ON evaluation_metrics (user_id);
CREATE INDEX IF NOT EXISTS idx_evaluation_metrics_status ON evaluation_metrics (status);
CREATE INDEX IF NOT EXISTS idx_evaluation_metrics_evaluated_at ON evaluation_metrics (evaluated_at);
CREATE INDEX IF NOT EXISTS idx_evaluation_metrics_json_valid ON evaluation_metrics (json_valid);
CREATE INDEX IF NOT EXISTS idx_evaluation_metrics_created_at ON evaluation_metrics (created_at);
CREATE INDEX IF NOT EXISTS idx_evaluation_metrics_run_id_model_id ON evaluation_metrics (run_id, model_id);
CREATE INDEX IF NOT EXISTS idx_evaluation_metrics_run_id_prompt_id ON evaluation_metrics (run_id, prompt_id);
CREATE INDEX IF NOT EXISTS idx_evaluation_metrics_model_id_status ON evaluation_metrics (model_id, status);

-- 9. model_aggregated_metrics: one row per (run, model); recomputed by the migrator.
CREATE TABLE IF NOT EXISTS model_aggregated_metrics (
    id UUID PRIMARY KEY DEFAULT uuid_generate_v4(),
    run_id UUID NOT NULL REFERENCES evaluation_runs (id) ON DELETE CASCADE,
    model_id UUID NOT NULL REFERENCES models (id) ON DELETE RESTRICT,
    total_count INTEGER NOT NULL DEFAULT 0,
    success_count INTEGER NOT NULL DEFAULT 0,
    error_count INTEGER NOT NULL DEFAULT 0,
    avg_input_tokens DECIMAL(10,2) NOT NULL DEFAULT 0,
    avg_output_tokens DECIMAL(10,2) NOT NULL DEFAULT 0,
    p50_latency_ms DECIMAL(10,2),
    p95_latency_ms DECIMAL(10,2),
    p99_latency_ms DECIMAL(10,2),
    min_latency_ms DECIMAL(10,2),
    max_latency_ms DECIMAL(10,2),
    json_valid_count INTEGER DEFAULT 0,
    json_valid_percentage DECIMAL(5,2) DEFAULT 0,
    avg_cost_usd_per_request DECIMAL(10,6) NOT NULL DEFAULT 0,
    total_cost_usd DECIMAL(12,6) NOT NULL DEFAULT 0,
    calculated_at TIMESTAMP WITH TIME ZONE DEFAULT CURRENT_TIMESTAMP,
    UNIQUE (run_id, model_id)
);

CREATE INDEX IF NOT EXISTS idx_model_aggregated_metrics_run_id ON model_aggregated_metrics (run_id);
CREATE INDEX IF NOT EXISTS idx_model_aggregated_metrics_model_id ON model_aggregated_metrics (model_id);

-- 10. master_model_evaluations: reference-model answers. run_id is nullable because legacy
-- master rows carry no run id.
CREATE TABLE IF NOT EXISTS master_model_evaluations (
    id UUID PRIMARY KEY DEFAULT uuid_generate_v4(),
    run_id UUID REFERENCES evaluation_runs (id) ON DELETE CASCADE,
    prompt_id UUID NOT NULL REFERENCES prompts (id) ON DELETE RESTRICT,
    model_id UUID NOT NULL REFERENCES models (id) ON DELETE RESTRICT,
    user_id UUID REFERENCES users (id) ON DELETE SET NULL,
    input_tokens INTEGER NOT NULL DEFAULT 0,
    output_tokens INTEGER NOT NULL DEFAULT 0,
    latency_ms DECIMAL(10,2) NOT NULL DEFAULT 0,
    response_text TEXT NOT NULL,
    status VARCHAR(50) NOT NULL DEFAULT 'success',
    error_message TEXT,
    evaluated_at TIMESTAMP WITH TIME ZONE DEFAULT CURRENT_TIMESTAMP,
    created_at TIMESTAMP WITH TIME ZONE DEFAULT CURRENT_TIMESTAMP,
    metadata JSONB DEFAULT '{}'
);

CREATE INDEX IF NOT EXISTS idx_master_model_evaluations_run_id ON master_model_evaluations (run_id);
CREATE INDEX IF NOT EXISTS idx_master_model_evaluations_prompt_id ON master_model_evaluations (prompt_id);
CREATE INDEX IF NOT EXISTS idx_master_model_evaluations_model_id ON master_model_evaluations (model_id);
CREATE INDEX IF NOT EXISTS idx_master_model_evaluations_evaluated_at ON master_model_evaluations (evaluated_at);

-- 11. similarity_scores (no legacy source; only ever recomputed).
CREATE TABLE IF NOT EXISTS similarity_scores (
    id UUID PRIMARY KEY DEFAULT uuid_generate_v4(),
    run_id UUID NOT NULL REFERENCES evaluation_runs (id) ON DELETE CASCADE,
    prompt_id UUID NOT NULL REFERENCES prompts (id) ON DELETE RESTRICT,
    model_a_id UUID NOT NULL REFERENCES models (id) ON DELETE RESTRICT,
    model_b_id UUID NOT NULL REFERENCES models (id) ON DELETE RESTRICT,
    master_model_id UUID REFERENCES models (id) ON DELETE SET NULL,
    cosine_similarity DECIMAL(5,4),
    jaccard_similarity DECIMAL(5,4),
    semantic_similarity DECIMAL(5,4),
    fuzzy_ratio DECIMAL(5,2),
    comparison_method VARCHAR(50) DEFAULT 'cosine',
    calculated_at TIMESTAMP WITH TIME ZONE DEFAULT CURRENT_TIMESTAMP,
    UNIQUE (run_id, prompt_id, model_a_id, model_b_id)
);

CREATE INDEX IF NOT EXISTS idx_similarity_scores_run_id ON similarity_scores (run_id);
CREATE INDEX IF NOT EXISTS idx_similarity_scores_prompt_id ON similarity_scores (prompt_id);

-- 12. cloudwatch_log_entries. model_id is the Bedrock id as text, not an FK: logs may name models
-- that were never configured.
CREATE TABLE IF NOT EXISTS cloudwatch_log_entries (
    id UUID PRIMARY KEY DEFAULT uuid_generate_v4(),
    user_id UUID REFERENCES users (id) ON DELETE SET NULL,
    log_file_name VARCHAR(255),
    log_entry_number INTEGER,
    raw_log_data JSONB NOT NULL,
    event_name VARCHAR(100),
    event_time TIMESTAMP WITH TIME ZONE,
    model_id VARCHAR(255),
    model_name VARCHAR(200),
    region VARCHAR(50),
    input_tokens INTEGER,
    output_tokens INTEGER,
    latency_ms DECIMAL(10,2),
    parsed BOOLEAN DEFAULT FALSE,
    parse_error TEXT,
    uploaded_at TIMESTAMP WITH TIME ZONE DEFAULT CURRENT_TIMESTAMP,
    parsed_at TIMESTAMP WITH TIME ZONE,
    metadata JSONB DEFAULT '{}'
);

CREATE INDEX IF NOT EXISTS idx_cloudwatch_log_entries_user_id ON cloudwatch_log_entries (user_id);
CREATE INDEX IF NOT EXISTS idx_cloudwatch_log_entries_model_id ON cloudwatch_log_entries (model_id);
CREATE INDEX IF NOT EXISTS idx_cloudwatch_log_entries_event_time ON cloudwatch_log_entries (event_time);
CREATE INDEX IF NOT EXISTS idx_cloudwatch_log_entries_log_file_name ON cloudwatch_log_entries (log_file_name);

-- 13. audit_log. resource_id has no FK because it may point into any table.
CREATE TABLE IF NOT EXISTS audit_log (
    id UUID PRIMARY KEY DEFAULT uuid_generate_v4(),
    user_id UUID REFERENCES users (id) ON DELETE SET NULL,
    action VARCHAR(100) NOT NULL,
    resource_type VARCHAR(50),
    resource_id UUID,
    ip_address INET,
    user_agent TEXT,
    details JSONB DEFAULT '{}',
    created_at TIMESTAMP WITH TIME ZONE DEFAULT CURRENT_TIMESTAMP
);

CREATE INDEX IF NOT EXISTS idx_audit_log_user_id ON audit_log (user_id);
CREATE INDEX IF NOT EXISTS idx_audit_log_action ON audit_log (action);
CREATE INDEX IF NOT EXISTS idx_audit_log_created_at ON audit_log (created_at);
CREATE INDEX IF NOT EXISTS idx_audit_log_resource_type_resource_id ON audit_log (resource_type, resource_id);

-- ---------------------------------------------------------------------------------------------
-- Triggers (6.4). CREATE TRIGGER has no IF NOT EXISTS (OR REPLACE only from PostgreSQL 14), and a
-- legacy database may already have these names, so drop and recreate (triggers hold no data).
-- ---------------------------------------------------------------------------------------------
DROP TRIGGER IF EXISTS update_users_updated_at ON users;
CREATE TRIGGER update_users_updated_at
    BEFORE UPDATE ON users
    FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();

DROP TRIGGER IF EXISTS update_models_updated_at ON models;
CREATE TRIGGER update_models_updated_at
    BEFORE UPDATE ON models
    FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();

DROP TRIGGER IF EXISTS update_prompts_updated_at ON prompts;
CREATE TRIGGER update_prompts_updated_at
    BEFORE UPDATE ON prompts
    FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();

DROP TRIGGER IF EXISTS calculate_prompt_hash_trigger ON prompts;
CREATE TRIGGER calculate_prompt_hash_trigger
    BEFORE INSERT OR UPDATE ON prompts
    FOR EACH ROW EXECUTE FUNCTION calculate_prompt_hash();

-- ---------------------------------------------------------------------------------------------
-- Views (6.3). CREATE OR REPLACE VIEW fails when an existing (legacy) view has different column
-- names or order, so drop and recreate instead; views hold no data. No CASCADE: if someone built
-- their own view on top of these, the run fails loudly rather than silently dropping it.
-- ---------------------------------------------------------------------------------------------

-- Current price per model: among unexpired rows, the one with the latest effective_from. A
-- future-dated effective_from already counts as current (legacy semantics). NULLS LAST so an
-- undated row never outranks a dated one; id breaks exact ties deterministically.
DROP VIEW IF EXISTS v_current_model_pricing;
CREATE VIEW v_current_model_pricing AS
SELECT DISTINCT ON (mp.model_id)
    mp.id,
    mp.model_id,
    m.name AS model_name,
    mp.input_per_1k_tokens_usd,
    mp.output_per_1k_tokens_usd,
    mp.effective_from,
    mp.effective_to
FROM model_pricing mp
JOIN models m ON m.id = mp.model_id
WHERE mp.effective_to IS NULL OR mp.effective_to > CURRENT_TIMESTAMP
ORDER BY mp.model_id, mp.effective_from DESC NULLS LAST, mp.id;

-- Current generation parameters per model, same rule as v_current_model_pricing.
DROP VIEW IF EXISTS v_current_model_params;
CREATE VIEW v_current_model_params AS
SELECT DISTINCT ON (gp.model_id)
    gp.id,
    gp.model_id,
    m.name AS model_name,
    gp.max_tokens,
    gp.temperature,
    gp.top_p,
    gp.effective_from,
    gp.effective_to
FROM model_generation_params gp
JOIN models m ON m.id = gp.model_id
WHERE gp.effective_to IS NULL OR gp.effective_to > CURRENT_TIMESTAMP
ORDER BY gp.model_id, gp.effective_from DESC NULLS LAST, gp.id;

-- One row per run: the run's own counters next to what its metric rows actually say. LEFT JOINs
-- keep runs without a user or without metrics (their counts come out 0, sums/averages NULL).
DROP VIEW IF EXISTS v_evaluation_summary;
CREATE VIEW v_evaluation_summary AS
SELECT
    er.id,
    er.run_id,
    er.name,
    er.status,
    er.started_at,
    er.completed_at,
    er.total_prompts,
    er.total_models,
    er.total_evaluations,
    er.successful_evaluations,
    er.failed_evaluations,
    u.username,
    COUNT(DISTINCT em.model_id) AS models_evaluated,
    COUNT(DISTINCT em.prompt_id) AS prompts_evaluated,
    SUM(em.cost_usd_total) AS total_cost_usd,
    AVG(em.latency_ms) AS avg_latency_ms,
    COUNT(*) FILTER (WHERE em.status = 'success') AS success_count,
    COUNT(*) FILTER (WHERE em.status = 'error') AS error_count
FROM evaluation_runs er
LEFT JOIN users u ON u.id = er.user_id
LEFT JOIN evaluation_metrics em ON em.run_id = er.id
GROUP BY er.id, u.username;

-- Per active model: counts, latency (mean and percentiles over ALL rows, errors included, as the
-- legacy view did), tokens, cost and JSON validity. json_valid_percentage = 100 x TRUE rows / all
-- rows, so errors and NULL (not applicable) rows are in the denominator. COUNT(em.id) rather than
-- COUNT(*) so a model without metric rows shows 0, not 1; NULLIF avoids division by zero.
DROP VIEW IF EXISTS v_model_performance;
CREATE VIEW v_model_performance AS
SELECT
    m.id AS model_id,
    m.name AS model_name,
    p.name AS provider_name,
    COUNT(em.id) AS total_evaluations,
    COUNT(em.id) FILTER (WHERE em.status = 'success') AS success_count,
    COUNT(em.id) FILTER (WHERE em.status = 'error') AS error_count,
    AVG(em.latency_ms) AS avg_latency_ms,
    PERCENTILE_CONT(0.50) WITHIN GROUP (ORDER BY em.latency_ms) AS p50_latency_ms,
    PERCENTILE_CONT(0.95) WITHIN GROUP (ORDER BY em.latency_ms) AS p95_latency_ms,
    PERCENTILE_CONT(0.99) WITHIN GROUP (ORDER BY em.latency_ms) AS p99_latency_ms,
    AVG(em.input_tokens) AS avg_input_tokens,
    AVG(em.output_tokens) AS avg_output_tokens,
    SUM(em.cost_usd_total) AS total_cost_usd,
    AVG(em.cost_usd_total) AS avg_cost_usd,
    COUNT(em.id) FILTER (WHERE em.json_valid = TRUE) AS json_valid_count,
    100.0 * COUNT(em.id) FILTER (WHERE em.json_valid = TRUE) / NULLIF(COUNT(em.id), 0)
        AS json_valid_percentage
FROM models m
JOIN model_providers p ON p.id = m.provider_id
LEFT JOIN evaluation_metrics em ON em.model_id = m.id
WHERE m.is_active = TRUE
GROUP BY m.id, m.name, p.name;

-- ---------------------------------------------------------------------------------------------
-- Seed rows (6.2). ON CONFLICT keeps an existing provider's display_name untouched.
-- ---------------------------------------------------------------------------------------------
INSERT INTO model_providers (name, display_name) VALUES
    ('anthropic', 'Anthropic'),
    ('meta', 'Meta'),
    ('amazon', 'Amazon'),
    ('openai', 'OpenAI'),
    ('alibaba', 'Alibaba')
ON CONFLICT (name) DO NOTHING;
