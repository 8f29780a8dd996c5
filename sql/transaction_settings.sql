-- Settings of the import transaction only (SET LOCAL ends with it). The transform and the checks
-- hash and sort every row of a drop: 256 MB per sort or hash keeps a million-row semi-join or
-- DISTINCT in memory instead of spilling, or worse, falling back to a per-row re-scan.
SET LOCAL work_mem = '256MB';
SET LOCAL maintenance_work_mem = '512MB';
-- Long texts the transform writes (responses, prompts) are compressed with lz4 where the server was
-- built with it: pglz took a third of the time of inserting a million metric rows, lz4 compresses
-- about as well several times faster. Only where offered (PostgreSQL 14+ built --with-lz4; the
-- npm builds of PostgreSQL lack it), else the server's default stays. Reading an lz4 value needs
-- nothing of the client, and dumps are not affected.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_settings
               WHERE name = 'default_toast_compression' AND 'lz4' = ANY (enumvals)) THEN
        PERFORM set_config('default_toast_compression', 'lz4', true);
    END IF;
END
$$;
