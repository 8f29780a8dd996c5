-- Every duplicate record of this import and what it duplicates: a record of an earlier import
-- (ledger), an earlier record of this one (for a user: its latest version in this import, or the
-- stored user's current source when that is as late), a prompt already in the database, or, for a
-- legacy aggregate row, the recomputed model_aggregated_metrics (aggregate files are derived data,
-- never loaded, see per_file.sql). One row per record that per_file.sql counts as a duplicate, so the
-- list (duplicates.sql), its groups (duplicate_groups.sql) and the report's duplicates_total
-- always agree. Wrapped as the CTE `d` in front of those two (src/sql.rs).
SELECT t.file_no, t.file_path, t.line, COALESCE(t.prior_file, f.path, '(unknown file)') AS of_file,
       COALESCE(t.prior_line, t.first_line) AS of_line, t.prior_import AS of_import
FROM t_rows t LEFT JOIN bellatrix_migrate.stage_files f ON f.file_no = t.first_file_no
WHERE t.new_id IS NULL
UNION ALL
SELECT t.file_no, t.file_path, t.line, COALESCE(t.prior_file, f.path, '(unknown file)'),
       COALESCE(t.prior_line, t.first_line), t.prior_import
FROM t_log_rows t LEFT JOIN bellatrix_migrate.stage_files f ON f.file_no = t.first_file_no
WHERE t.new_id IS NULL
UNION ALL
SELECT t.file_no, t.file_path, t.line, COALESCE(t.prior_file, f.path, '(unknown file)'),
       COALESCE(t.prior_line, t.first_line), t.prior_import
FROM t_user_rows t LEFT JOIN bellatrix_migrate.stage_files f ON f.file_no = t.first_file_no
WHERE t.new_id IS NULL AND t.updated_id IS NULL AND t.conflict IS NULL
UNION ALL
SELECT t.file_no, t.file_path, t.line, COALESCE(t.prior_file, f.path, '(unknown file)'),
       COALESCE(t.prior_line, t.first_line), t.prior_import
FROM t_cfg t LEFT JOIN bellatrix_migrate.stage_files f ON f.file_no = t.first_file_no
WHERE NOT t.is_new
UNION ALL
SELECT r.file_no, r.file_path, r.line,
       CASE WHEN (r.winner_file, r.winner_line) = (r.file_path, r.line) THEN '(prompt already in the database)' ELSE r.winner_file END,
       CASE WHEN (r.winner_file, r.winner_line) = (r.file_path, r.line) THEN 0 ELSE r.winner_line END,
       NULL
FROM t_prompt_records r
WHERE NOT r.inserted
UNION ALL
SELECT a.file_no, f.path, a.line, '(model_aggregated_metrics, recomputed from the rows)', 0, NULL
FROM bellatrix_migrate.stage_aggregates a JOIN bellatrix_migrate.stage_files f ON f.file_no = a.file_no
