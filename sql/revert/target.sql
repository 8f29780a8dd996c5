-- The import to revert ($1), locked for the revert's transaction: its outcome, the prefix of the
-- ids of the rows it created (NULL: recorded before migration 0010) and whether every image of the
-- earlier rows it changed was kept (the triggers of migration 0010 were all enabled).
SELECT outcome, id_prefix, images_kept, reverted_at
FROM bellatrix_migrate.imports
WHERE id = $1
FOR UPDATE;
