-- The similarity of each candidate response to the master model's, recomputed as the legacy
-- dashboard computed it (docs/decisions.md#similarity). `public.similarity_scores` holds what the
-- target schema has columns for; this table holds, for each of its rows the migrator wrote, what it
-- has none for: the headline score the dashboard showed, note matching's counts, whether the
-- reconstructed lenient note scan could have decided the method, and the two source rows.
-- * `id` is the score row's id: one row here per migrator-written score row, gone with it.
-- * `candidate_id` is the evaluation_metrics row scored, `master_id` the master_model_evaluations
--   row it was scored against. A candidate holds at most one score row (deferred: a later import
--   may move a holder between two score rows in one statement).
-- * `import_id` is the import (or `similarity` run) that last computed the score.
CREATE TABLE IF NOT EXISTS bellatrix_migrate.similarity (
    id                 UUID PRIMARY KEY REFERENCES public.similarity_scores (id) ON DELETE CASCADE,
    candidate_id       UUID NOT NULL REFERENCES public.evaluation_metrics (id) ON DELETE CASCADE,
    master_id          UUID NOT NULL REFERENCES public.master_model_evaluations (id) ON DELETE CASCADE,
    score              DOUBLE PRECISION NOT NULL CHECK (score >= 0 AND score <= 1),
    similarity_percent NUMERIC(5,2) NOT NULL,
    matching_notes     INTEGER,
    total_notes        INTEGER,
    lenient_scan       BOOLEAN NOT NULL DEFAULT FALSE,
    import_id          BIGINT NOT NULL REFERENCES bellatrix_migrate.imports (id),
    CONSTRAINT similarity_candidate_once UNIQUE (candidate_id) DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX IF NOT EXISTS idx_similarity_master_id ON bellatrix_migrate.similarity (master_id);
-- The check of an import recomputes the scores that import computed.
CREATE INDEX IF NOT EXISTS idx_similarity_import_id ON bellatrix_migrate.similarity (import_id);

-- Its rows are kept for revert like those of the production tables (migration 0010): keyed by id,
-- whose prefix is the import that created the score row.
DROP TRIGGER IF EXISTS bellatrix_migrate_keep_image ON bellatrix_migrate.similarity;
CREATE TRIGGER bellatrix_migrate_keep_image BEFORE UPDATE OR DELETE ON bellatrix_migrate.similarity
FOR EACH ROW WHEN (COALESCE(current_setting('bellatrix_migrate.import_id', true), '') <> ''
                   AND NOT starts_with(OLD.id::text, current_setting('bellatrix_migrate.id_prefix', true)))
EXECUTE FUNCTION bellatrix_migrate.keep_image('id');
ALTER TABLE bellatrix_migrate.similarity ENABLE ALWAYS TRIGGER bellatrix_migrate_keep_image;
