-- Stores the report of the revert of import $1 ($2) with it, just before the commit.
UPDATE bellatrix_migrate.imports SET revert = $2 WHERE id = $1;
