-- Creates what the migration runner needs before it can run migrations: the migrator's schema and
-- its table of applied migrations (version, checksum of the file as applied).
CREATE SCHEMA IF NOT EXISTS bellatrix_migrate;
CREATE TABLE IF NOT EXISTS bellatrix_migrate.schema_migrations (
    version    INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    checksum   TEXT NOT NULL,
    applied_at TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP
);
