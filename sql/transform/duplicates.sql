-- The duplicate rows of this import and what each duplicates: a row of an earlier import (ledger) or
-- an earlier row of this one. Limited by $1 so a full re-import does not flood the report.
SELECT t.file_path,
       t.line,
       COALESCE(t.prior_file, f.path) AS of_file,
       COALESCE(t.prior_line, t.first_line) AS of_line,
       t.prior_import AS of_import
FROM t_rows t
JOIN bellatrix_migrate.stage_files f ON f.file_no = t.first_file_no
WHERE t.new_id IS NULL
ORDER BY t.file_no, t.line
LIMIT $1;
