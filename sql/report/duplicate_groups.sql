-- Duplicate rows of this import grouped by the file they are in and the file (and earlier import)
-- of the rows they duplicate: "Downloads/raw_metrics_x.csv: 3 rows already in data/runs/raw_metrics.csv".
SELECT t.file_path,
       COALESCE(t.prior_file, f.path) AS of_file,
       t.prior_import AS of_import,
       count(*) AS n
FROM t_rows t
JOIN bellatrix_migrate.stage_files f ON f.file_no = t.first_file_no
WHERE t.new_id IS NULL
GROUP BY t.file_no, t.file_path, COALESCE(t.prior_file, f.path), t.prior_import
ORDER BY t.file_no, of_file, of_import NULLS FIRST;
