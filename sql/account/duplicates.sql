-- The duplicate records of this import (`d`, duplicate_rows.sql) in input order, limited by $1 so a
-- full re-import does not flood the report.
SELECT file_path, line, of_file, of_line, of_import
FROM d
ORDER BY file_no, line
LIMIT $1;
