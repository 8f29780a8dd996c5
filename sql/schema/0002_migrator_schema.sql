-- 0002_migrator_schema.sql: the migrator's own schema, `bellatrix_migrate`, kept apart from the
-- production tables in `public` (DECISIONS.md: staging and the ledger never live in public).
--
-- * imports / files / row_sources form the import ledger: which imports ran, which file bytes they
--   saw, and for every production row the migrator wrote, the natural key of the source row it came
--   from. row_sources is what makes a re-import insert nothing.
-- * stage_* tables are UNLOGGED: they are refilled from the source files on every run, so crash
--   safety is not needed for them and skipping WAL makes COPY cheaper.

CREATE SCHEMA IF NOT EXISTS bellatrix_migrate;

-- Every import that got as far as its transform: committed ones with the rows they wrote, and dry
-- runs and rolled-back ones (failed check, reject limit) for the record. A killed import leaves no row.
CREATE TABLE IF NOT EXISTS bellatrix_migrate.imports (
    id           BIGSERIAL PRIMARY KEY,
    started_at   TIMESTAMPTZ NOT NULL,
    finished_at  TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP,
    tool_version TEXT NOT NULL,
    outcome      TEXT NOT NULL,
    report       JSONB NOT NULL
);

-- One row per distinct file content (SHA-256 of its bytes) that a committed import read completely;
-- a later import skips a file with the same bytes (`already-imported`).
CREATE TABLE IF NOT EXISTS bellatrix_migrate.files (
    sha256       TEXT PRIMARY KEY,
    size         BIGINT NOT NULL,
    kind         TEXT NOT NULL,
    variant      TEXT,
    records      BIGINT NOT NULL,
    rejected     BIGINT NOT NULL,
    last_path    TEXT NOT NULL,
    first_import BIGINT NOT NULL REFERENCES bellatrix_migrate.imports (id),
    last_import  BIGINT NOT NULL REFERENCES bellatrix_migrate.imports (id)
);

CREATE TABLE IF NOT EXISTS bellatrix_migrate.row_sources (
    source_key   TEXT PRIMARY KEY,
    kind         TEXT NOT NULL,
    target_table TEXT NOT NULL,
    target_id    UUID NOT NULL,
    import_id    BIGINT NOT NULL REFERENCES bellatrix_migrate.imports (id),
    file         TEXT NOT NULL,
    line         BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS idx_files_size ON bellatrix_migrate.files (size);
CREATE INDEX IF NOT EXISTS idx_row_sources_target ON bellatrix_migrate.row_sources (target_table, target_id);

-- The files of the current run, numbered in precedence order (originals before backups before
-- downloads); file_no orders duplicate rows so the highest-fidelity copy wins.
CREATE UNLOGGED TABLE IF NOT EXISTS bellatrix_migrate.stage_files (
    file_no INTEGER PRIMARY KEY,
    path    TEXT NOT NULL,
    kind    TEXT NOT NULL,
    variant TEXT,
    sha256  TEXT NOT NULL,
    size    BIGINT NOT NULL,
    records BIGINT NOT NULL,
    rejected BIGINT NOT NULL
);

-- One row per readable raw_metrics record, already repaired and typed by the reader.
CREATE UNLOGGED TABLE IF NOT EXISTS bellatrix_migrate.stage_raw_metrics (
    file_no                INTEGER NOT NULL,
    line                   BIGINT NOT NULL,
    source_key             TEXT NOT NULL,
    evaluated_at           TIMESTAMPTZ NOT NULL,
    run_id                 TEXT,
    run_origin             TEXT NOT NULL,
    model_key              TEXT NOT NULL,
    model_name             TEXT NOT NULL,
    model_name_derived     BOOLEAN NOT NULL,
    provider               TEXT NOT NULL,
    bedrock_model_id       TEXT,
    is_master              BOOLEAN NOT NULL,
    input_tokens           INTEGER NOT NULL,
    output_tokens          INTEGER NOT NULL,
    latency_ms             NUMERIC(10,2) NOT NULL,
    json_valid             BOOLEAN,
    error_message          TEXT,
    status                 TEXT NOT NULL,
    cost_usd_input         NUMERIC(10,6) NOT NULL,
    cost_usd_output        NUMERIC(10,6) NOT NULL,
    cost_usd_total         NUMERIC(10,6) NOT NULL,
    prompt_text            TEXT NOT NULL,
    prompt_hash            TEXT NOT NULL,
    prompt_normalized_hash TEXT,
    prompt_is_placeholder  BOOLEAN NOT NULL,
    prompt_source_type     TEXT NOT NULL,
    expected_json          BOOLEAN NOT NULL,
    response_text          TEXT,
    metadata               JSONB NOT NULL
);
