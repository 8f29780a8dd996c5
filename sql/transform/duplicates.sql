-- The duplicate records of this import and what each duplicates: a record of an earlier import
-- (ledger) or an earlier record of this one. Limited by $1 so a full re-import does not flood the
-- report. Prompt-file records name the source that created their prompt when it is in this import;
-- aggregate rows are not listed (they are derived data, see per_file.sql).
SELECT file_path, line, of_file, of_line, of_import
FROM (
    SELECT t.file_no, t.file_path, t.line, COALESCE(t.prior_file, f.path) AS of_file,
           COALESCE(t.prior_line, t.first_line) AS of_line, t.prior_import AS of_import
    FROM t_rows t JOIN bellatrix_migrate.stage_files f ON f.file_no = t.first_file_no
    WHERE t.new_id IS NULL
    UNION ALL
    SELECT t.file_no, t.file_path, t.line, COALESCE(t.prior_file, f.path), COALESCE(t.prior_line, t.first_line),
           t.prior_import
    FROM t_log_rows t JOIN bellatrix_migrate.stage_files f ON f.file_no = t.first_file_no
    WHERE t.new_id IS NULL
    UNION ALL
    SELECT t.file_no, t.file_path, t.line, COALESCE(t.prior_file, f.path), COALESCE(t.prior_line, t.first_line),
           t.prior_import
    FROM t_user_rows t JOIN bellatrix_migrate.stage_files f ON f.file_no = t.first_file_no
    WHERE t.new_id IS NULL AND t.conflict IS NULL
    UNION ALL
    SELECT t.file_no, t.file_path, t.line, COALESCE(t.prior_file, f.path), COALESCE(t.prior_line, t.first_line),
           t.prior_import
    FROM t_cfg t JOIN bellatrix_migrate.stage_files f ON f.file_no = t.first_file_no
    WHERE NOT t.is_new
    UNION ALL
    SELECT r.file_no, r.file_path, r.line,
           CASE WHEN (r.winner_file, r.winner_line) = (r.file_path, r.line) THEN '(prompt already in the database)' ELSE r.winner_file END,
           CASE WHEN (r.winner_file, r.winner_line) = (r.file_path, r.line) THEN 0 ELSE r.winner_line END,
           NULL
    FROM t_prompt_records r
    WHERE NOT r.inserted
) d
ORDER BY file_no, line
LIMIT $1;
