-- Whether every trigger of migration 0010 that keeps the images of the rows an import changes (the
-- thirteen production tables, row_sources, config_observations, files; and of 0012, similarity) exists and fires in every
-- session (ENABLE ALWAYS). An import records the answer (imports.images_kept): revert refuses an
-- import whose changes to earlier rows may not all have been kept.
SELECT count(*) = 17
FROM pg_trigger t
JOIN pg_class c ON c.oid = t.tgrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE t.tgname = 'bellatrix_migrate_keep_image'
  AND t.tgenabled = 'A'
  AND n.nspname IN ('public', 'bellatrix_migrate');
