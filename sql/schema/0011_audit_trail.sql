-- The audit trail (`audit_log`, docs/decisions.md#audit-trail): each action row of an import names
-- the import as its resource, and `audit_log.resource_id` is a UUID while an import's id is a
-- BIGINT, so every import gets a UUID of its own. A volatile default fills the imports recorded
-- before this migration with one each, too (ADD COLUMN rewrites the table, which is small).
ALTER TABLE bellatrix_migrate.imports
    ADD COLUMN IF NOT EXISTS resource_id UUID NOT NULL DEFAULT gen_random_uuid();

CREATE UNIQUE INDEX IF NOT EXISTS idx_imports_resource_id ON bellatrix_migrate.imports (resource_id);
