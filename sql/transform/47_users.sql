-- Moves users.json users into `users`: bcrypt hashes verbatim, is_active TRUE, is_admin FALSE, every
-- column supplied (the legacy ORM variant of the table has no defaults). A user whose natural key an
-- earlier import recorded is a duplicate. A username, or an email (compared case-insensitively, as
-- the app did at sign-up), that already belongs to another user is a conflict: rejected and
-- reported, never overwritten. Within one import the first record by file precedence wins.
CREATE TEMP TABLE t_user_rows ON COMMIT DROP AS
WITH ranked AS (
    SELECT s.*, row_number() OVER (PARTITION BY s.source_key ORDER BY s.file_no, s.line) AS occurrence,
           first_value(s.file_no) OVER (PARTITION BY s.source_key ORDER BY s.file_no, s.line) AS first_file_no,
           first_value(s.line) OVER (PARTITION BY s.source_key ORDER BY s.file_no, s.line) AS first_line
    FROM bellatrix_migrate.stage_users s
)
SELECT r.*, f.path AS file_path, l.source_key IS NOT NULL AS known,
       l.import_id AS prior_import, l.file AS prior_file, l.line AS prior_line,
       NULL::text AS conflict, NULL::uuid AS new_id
FROM ranked r
JOIN bellatrix_migrate.stage_files f ON f.file_no = r.file_no
LEFT JOIN bellatrix_migrate.row_sources l ON l.source_key = r.source_key;

UPDATE t_user_rows t SET conflict = 'username'
WHERE NOT t.known AND t.occurrence = 1
  AND (EXISTS (SELECT 1 FROM users u WHERE u.username = t.username)
       OR EXISTS (SELECT 1 FROM t_user_rows o
                  WHERE o.username = t.username AND o.source_key <> t.source_key AND o.occurrence = 1
                    AND (o.file_no, o.line) < (t.file_no, t.line)));

UPDATE t_user_rows t SET conflict = 'email'
WHERE t.conflict IS NULL AND NOT t.known AND t.occurrence = 1
  AND (EXISTS (SELECT 1 FROM users u WHERE lower(u.email) = lower(t.email))
       OR EXISTS (SELECT 1 FROM t_user_rows o
                  WHERE lower(o.email) = lower(t.email) AND o.source_key <> t.source_key AND o.occurrence = 1
                    AND (o.file_no, o.line) < (t.file_no, t.line)));

UPDATE t_user_rows SET new_id = gen_random_uuid()
WHERE NOT known AND occurrence = 1 AND conflict IS NULL;

INSERT INTO users (id, username, email, password_hash, is_active, is_admin, created_at, updated_at,
                   last_login, metadata)
SELECT new_id, username, email, password_hash, TRUE, FALSE,
       COALESCE(created_at, CURRENT_TIMESTAMP), COALESCE(created_at, CURRENT_TIMESTAMP), last_login, metadata
FROM t_user_rows WHERE new_id IS NOT NULL;

INSERT INTO t_rejects (file_no, line, field, reason, target)
SELECT file_no, line, conflict,
       conflict || ' already belongs to a user in the database or earlier in this import (conflict, not overwritten)',
       'users'
FROM t_user_rows WHERE conflict IS NOT NULL;
