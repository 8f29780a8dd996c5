-- Duplicate records of this import (`d`, duplicate_rows.sql) grouped by the file they are in and the
-- file (and earlier import) of the records they duplicate: "Downloads/raw_metrics_x.csv: 3 rows
-- already in data/runs/raw_metrics.csv". Every duplicate is in one group.
SELECT file_no, file_path, of_file, of_import, count(*) AS n
FROM d
GROUP BY file_no, file_path, of_file, of_import
ORDER BY file_no, of_file, of_import NULLS FIRST;
