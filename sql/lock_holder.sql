-- Who holds the import lock ($1: the advisory key), for the message of a run that waits for it. A
-- bigint advisory key is shown in pg_locks as classid (its high 32 bits), objid (its low 32 bits) and
-- objsubid 1. Sessions of other roles show NULL times unless the role may read all statistics.
SELECT l.pid,
       a.application_name,
       a.usename::text,
       host(a.client_addr),
       COALESCE(a.xact_start, a.backend_start) AS since,
       a.xact_start IS NOT NULL AS in_transaction,
       floor(extract(epoch FROM clock_timestamp() - COALESCE(a.xact_start, a.backend_start)))::bigint
FROM pg_locks l
LEFT JOIN pg_stat_activity a ON a.pid = l.pid
WHERE l.locktype = 'advisory'
  AND l.granted
  AND l.objsubid = 1
  AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
  AND l.classid::bigint = ($1::bigint >> 32)
  AND l.objid::bigint = ($1::bigint & 4294967295)
ORDER BY l.pid
LIMIT 1;
