-- Every staged row that was to be inserted is in its production table (no join dropped it).
SELECT count(*) = 0 AS ok,
       CASE WHEN count(*) = 0 THEN 'every new row is in evaluation_metrics or master_model_evaluations'
            ELSE count(*) || ' new rows did not land, first at ' ||
                 string_agg(file_path || ':' || line, ', ' ORDER BY file_no, line) FILTER (WHERE rn <= 10)
       END AS detail
FROM (
    SELECT t.file_path, t.file_no, t.line, row_number() OVER (ORDER BY t.file_no, t.line) AS rn
    FROM t_rows t
    WHERE t.new_id IS NOT NULL
      AND NOT EXISTS (SELECT 1 FROM evaluation_metrics em WHERE em.id = t.new_id)
      AND NOT EXISTS (SELECT 1 FROM master_model_evaluations mm WHERE mm.id = t.new_id)
) missing;
