-- The GRANT statements that give role $2 what required.sql (in `required`) lists for task $1: one
-- statement per object, the role quoted as an identifier (%I), never spliced in as it was typed.
-- $3 false: only what $2 lacks, which `init --grant-import ROLE` runs (a second run grants nothing, and
-- CONNECT and TEMPORARY, which PUBLIC usually holds, need no grant, nor database ownership). $3 true:
-- every statement, which `--print-grants` prints for a DBA.
SELECT format('GRANT %s ON %s %s TO %I', string_agg(privilege, ', ' ORDER BY privilege), upper(kind), name,
              grantee)
FROM required
WHERE found AND ($3::boolean OR NOT held)
GROUP BY ord, kind, name, grantee
ORDER BY ord
