-- Settings of the import transaction only (SET LOCAL ends with it). The transform and the checks
-- hash and sort every row of a drop: 256 MB per sort or hash keeps a million-row semi-join or
-- DISTINCT in memory instead of spilling, or worse, falling back to a per-row re-scan.
SET LOCAL work_mem = '256MB';
SET LOCAL maintenance_work_mem = '512MB';
