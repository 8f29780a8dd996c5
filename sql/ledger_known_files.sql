-- The ledger entries of file contents ($1: SHA-256 hex digests), to skip files imported before.
SELECT sha256, last_import, records, rejected, kind, variant
FROM bellatrix_migrate.files
WHERE sha256 = ANY($1);
