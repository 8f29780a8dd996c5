-- Moves users.json users into `users`: bcrypt hashes verbatim, is_active TRUE, is_admin FALSE, every
-- column supplied (the legacy ORM variant of the table has no defaults). docs/decisions.md
-- ("users.json", "Entities a later drop may change") has the rules:
-- * A record whose natural key an earlier import recorded, or an earlier record of this import has,
--   is a duplicate of it.
-- * A user's identity is its username and its email compared case-insensitively. The versions of one
--   identity are ordered by last_login (NULL first), then password hash, email and created_at, so the
--   order is a property of the records, never of the order they arrive in. Within one import the
--   latest version is the candidate and the others are duplicates of it.
-- * A candidate whose identity is a user the ledger records (an earlier import wrote it) updates that
--   user when it is the later version (every column the file carries; updated_at is the import
--   time, as the table's trigger sets it); an older or equal version is a duplicate of the stored
--   user's current source. Both versions' keys then point at the user in the ledger (60_ledger.sql).
-- * A username, or an email, that already belongs to another user (one the app created included,
--   even with the same identity: the migrator never overwrites what it did not write) or to another
--   identity earlier in this import is a conflict: every version of that identity is rejected and
--   reported, nothing is overwritten.
CREATE TEMP TABLE t_user_rows ON COMMIT DROP AS
WITH ranked AS (
    SELECT s.*, row_number() OVER (PARTITION BY s.source_key ORDER BY s.file_no, s.line) AS occurrence,
           first_value(s.file_no) OVER (PARTITION BY s.source_key ORDER BY s.file_no, s.line) AS first_file_no,
           first_value(s.line) OVER (PARTITION BY s.source_key ORDER BY s.file_no, s.line) AS first_line
    FROM bellatrix_migrate.stage_users s
)
SELECT r.*, f.path AS file_path, l.source_key IS NOT NULL AS known,
       l.import_id AS prior_import, l.file AS prior_file, l.line AS prior_line,
       NULL::bigint AS version_rank, NULL::integer AS identity_file_no, NULL::bigint AS identity_line,
       NULL::uuid AS stored_id, NULL::text AS conflict, NULL::uuid AS new_id, NULL::uuid AS updated_id
FROM ranked r
JOIN bellatrix_migrate.stage_files f ON f.file_no = r.file_no
LEFT JOIN bellatrix_migrate.row_sources l ON l.source_key = r.source_key;

-- The candidates (new keys, first occurrence): their rank among the versions of their identity, the
-- identity's first place in the input (for conflicts between identities) and, for the later
-- versions, the latest one they are duplicates of.
UPDATE t_user_rows t
SET version_rank = v.version_rank, identity_file_no = v.identity_file_no, identity_line = v.identity_line,
    prior_file = CASE WHEN v.version_rank > 1 THEN v.latest_file END,
    prior_line = CASE WHEN v.version_rank > 1 THEN v.latest_line END
FROM (
    SELECT c.file_no, c.line,
           row_number() OVER latest AS version_rank,
           first_value(c.file_path) OVER latest AS latest_file,
           first_value(c.line) OVER latest AS latest_line,
           first_value(c.file_no) OVER input AS identity_file_no,
           first_value(c.line) OVER input AS identity_line
    FROM t_user_rows c
    WHERE NOT c.known AND c.occurrence = 1
    WINDOW latest AS (PARTITION BY c.username, lower(c.email)
                      ORDER BY COALESCE(c.last_login, '-infinity') DESC, c.password_hash DESC, c.email DESC,
                               COALESCE(c.created_at, '-infinity') DESC, c.file_no, c.line),
           input AS (PARTITION BY c.username, lower(c.email) ORDER BY c.file_no, c.line)
) v
WHERE (t.file_no, t.line) = (v.file_no, v.line);

-- The user an earlier import wrote for the candidate's identity.
UPDATE t_user_rows t SET stored_id = u.id
FROM users u
WHERE t.version_rank IS NOT NULL
  AND u.username = t.username AND lower(u.email) = lower(t.email)
  AND EXISTS (SELECT 1 FROM bellatrix_migrate.row_sources s
              WHERE s.target_table = 'users' AND s.target_id = u.id);

UPDATE t_user_rows t SET conflict = 'username'
WHERE t.version_rank IS NOT NULL AND t.stored_id IS NULL
  AND (EXISTS (SELECT 1 FROM users u WHERE u.username = t.username)
       OR EXISTS (SELECT 1 FROM t_user_rows o
                  WHERE o.version_rank IS NOT NULL AND o.username = t.username
                    AND lower(o.email) <> lower(t.email)
                    AND (o.identity_file_no, o.identity_line) < (t.identity_file_no, t.identity_line)));

UPDATE t_user_rows t SET conflict = 'email'
WHERE t.conflict IS NULL AND t.version_rank IS NOT NULL AND t.stored_id IS NULL
  AND (EXISTS (SELECT 1 FROM users u WHERE lower(u.email) = lower(t.email))
       OR EXISTS (SELECT 1 FROM t_user_rows o
                  WHERE o.version_rank IS NOT NULL AND lower(o.email) = lower(t.email)
                    AND o.username <> t.username
                    AND (o.identity_file_no, o.identity_line) < (t.identity_file_no, t.identity_line)));

UPDATE t_user_rows SET new_id = bellatrix_migrate.ordered_id()
WHERE version_rank = 1 AND stored_id IS NULL AND conflict IS NULL;

-- The later version updates the stored user; an equal or older one does not.
UPDATE t_user_rows t SET updated_id = u.id
FROM users u
WHERE t.version_rank = 1 AND u.id = t.stored_id
  AND (COALESCE(t.last_login, '-infinity'), t.password_hash, t.email, COALESCE(t.created_at, '-infinity'))
      > (COALESCE(u.last_login, '-infinity'), u.password_hash, u.email, COALESCE(u.created_at, '-infinity'));

-- Versions of a stored identity that update nothing duplicate the stored user's current source (the
-- ledger row of the latest import that wrote or updated it).
UPDATE t_user_rows t
SET prior_file = cur.file, prior_line = cur.line, prior_import = cur.import_id
FROM (
    SELECT DISTINCT ON (s.target_id) s.target_id, s.file, s.line, s.import_id
    FROM bellatrix_migrate.row_sources s
    WHERE s.target_table = 'users'
      AND s.target_id IN (SELECT stored_id FROM t_user_rows WHERE stored_id IS NOT NULL)
    ORDER BY s.target_id, s.import_id DESC, s.line DESC
) cur
WHERE cur.target_id = t.stored_id AND t.updated_id IS NULL
  AND NOT EXISTS (SELECT 1 FROM t_user_rows w WHERE w.updated_id = t.stored_id);

INSERT INTO users (id, username, email, password_hash, is_active, is_admin, created_at, updated_at,
                   last_login, metadata)
SELECT new_id, username, email, password_hash, TRUE, FALSE,
       COALESCE(created_at, CURRENT_TIMESTAMP), COALESCE(created_at, CURRENT_TIMESTAMP), last_login, metadata
FROM t_user_rows WHERE new_id IS NOT NULL;

-- A version without created_at keeps the stored one (and what its metadata said of it).
UPDATE users u
SET email = t.email, password_hash = t.password_hash, created_at = COALESCE(t.created_at, u.created_at),
    last_login = t.last_login, updated_at = CURRENT_TIMESTAMP,
    metadata = CASE WHEN t.created_at IS NULL
                    THEN t.metadata || jsonb_build_object('created_at_missing',
                                                          COALESCE(u.metadata -> 'created_at_missing', 'false'::jsonb))
                    ELSE t.metadata END
FROM t_user_rows t
WHERE t.updated_id = u.id;

INSERT INTO t_rejects (file_no, line, field, reason, target)
SELECT file_no, line, conflict,
       conflict || ' already belongs to a user in the database or earlier in this import (conflict, not overwritten)',
       'users'
FROM t_user_rows WHERE conflict IS NOT NULL;
