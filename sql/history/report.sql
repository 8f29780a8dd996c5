-- One import's stored report (`bellatrix-migrate show IMPORT_ID`, `$1`), with the ledger's outcome
-- for reports that do not name their own.
SELECT i.outcome, i.report
FROM bellatrix_migrate.imports i
WHERE i.id = $1
