-- Marks import $1 reverted, by whom and when, before the checks run in the revert's transaction:
-- from then on the import is not one whose rows the ledger must hold (reconciliation), `history`
-- shows it reverted once the revert commits, and its files, forgotten, may be imported again.
UPDATE bellatrix_migrate.imports
SET outcome = 'reverted', reverted_at = clock_timestamp(), reverted_by = current_user
WHERE id = $1;
