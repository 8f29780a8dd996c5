-- The privileges of required.sql (in `required`) that the current role lacks, one line per object:
-- `import` and `verify` refuse to start, naming them, before reading or writing anything. Objects
-- that do not exist yet are left to the schema check ("not initialised").
SELECT format('%s on %s %s (%s)', string_agg(privilege, ', ' ORDER BY privilege), kind, name, purpose)
FROM required
WHERE required AND found AND NOT held
GROUP BY ord, kind, name, purpose
ORDER BY ord
