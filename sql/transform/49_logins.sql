-- Login events: the spec's optional `audit_log` row per users.json `last_login` (docs/decisions.md,
-- "users.json" and "Audit trail"). A record with a last_login says the user logged in then, so one
-- event per distinct (user, last_login) that any users.json record ever showed of a user the
-- migrator wrote:
-- * from every record of this import that is not rejected and whose key is new (a known key is a
--   record an earlier import read, which recorded its event then), the candidate of its identity
--   and the older versions alike, and whether the candidate inserted, updated or duplicated the
--   stored user: the set of events is then the same whatever order the versions arrive in;
-- * its natural key is 'login:' || the user's id || the instant in UTC, recorded in the ledger
--   (60_ledger.sql), so that a version seen again, in this import or a later one, adds nothing;
-- * it takes an ordered_id() like every row an import writes (a revert of the import takes it
--   back), user_id and resource_id the user (resource_type 'users'), created_at the last_login,
--   and details saying where it came from: the file and line, never the record's text.
-- A rejected record (a conflict) has no user, and a user the migrator did not write is never
-- anyone's stored user (47_users.sql), so neither gets an event.
CREATE TEMP TABLE t_logins ON COMMIT DROP AS
SELECT DISTINCT ON (c.user_id, c.last_login)
       c.user_id, c.last_login, c.file_path, c.line,
       'login:' || c.user_id || ':'
         || to_char(c.last_login AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS source_key,
       NULL::uuid AS new_id
FROM (
    SELECT COALESCE(w.new_id, w.stored_id) AS user_id, t.last_login, t.file_path, t.line, t.file_no
    FROM t_user_rows t
    JOIN t_user_rows w ON w.version_rank = 1 AND w.username = t.username AND lower(w.email) = lower(t.email)
    WHERE t.version_rank IS NOT NULL AND t.conflict IS NULL AND t.last_login IS NOT NULL
) c
WHERE c.user_id IS NOT NULL
ORDER BY c.user_id, c.last_login, c.file_no, c.line;

UPDATE t_logins t SET new_id = bellatrix_migrate.ordered_id()
WHERE NOT EXISTS (SELECT 1 FROM bellatrix_migrate.row_sources l WHERE l.source_key = t.source_key);

INSERT INTO audit_log (id, user_id, action, resource_type, resource_id, user_agent, details, created_at)
SELECT new_id, user_id, 'login', 'users', user_id, NULL,
       jsonb_build_object('source', 'users_json', 'file', file_path, 'line', line,
                          'import_id', current_setting('bellatrix_migrate.import_id')::bigint),
       last_login
FROM t_logins
WHERE new_id IS NOT NULL
ORDER BY new_id;
