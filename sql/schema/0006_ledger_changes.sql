-- What a later import changed in rows an earlier one wrote (docs/decisions.md#order-independence).
-- The ledger stays what each import did: its rows keep their import, file and line, so every
-- import's report still reconciles with it. A row a later import removed (a placeholder prompt no
-- row uses once its rows were re-linked) is marked `removed_by` that import instead of being
-- forgotten (the import's id; no foreign key, so that the bulk path of a first load, which drops and
-- re-validates the ledger's keys, has nothing more to check); every other change is one row of `row_changes`:
--   relinked    a metric row moved from a placeholder to its real prompt (details: from, to prompt)
--   attributes  a prompt took the attributes of a more authoritative source (kind, file, line)
--   removed     a placeholder prompt nothing used any more
--   merged      a model that a later source showed to be this one was merged into it (details: its id)
ALTER TABLE bellatrix_migrate.row_sources
    ADD COLUMN IF NOT EXISTS removed_by BIGINT;

CREATE TABLE IF NOT EXISTS bellatrix_migrate.row_changes (
    id           BIGSERIAL PRIMARY KEY,
    import_id    BIGINT NOT NULL REFERENCES bellatrix_migrate.imports (id),
    target_table TEXT NOT NULL,
    target_id    UUID NOT NULL,
    change       TEXT NOT NULL CHECK (change IN ('relinked', 'attributes', 'removed', 'merged')),
    kind         TEXT,
    file         TEXT,
    line         BIGINT,
    details      JSONB NOT NULL DEFAULT '{}'
);
CREATE INDEX IF NOT EXISTS idx_row_changes_target ON bellatrix_migrate.row_changes (target_table, target_id);
CREATE INDEX IF NOT EXISTS idx_row_changes_import ON bellatrix_migrate.row_changes (import_id);
