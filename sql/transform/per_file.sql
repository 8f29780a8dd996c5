-- Per staged file: rows inserted and rows that duplicate an earlier row, for reconciliation.
SELECT file_no,
       count(*) FILTER (WHERE new_id IS NOT NULL) AS inserted,
       count(*) FILTER (WHERE new_id IS NULL) AS duplicate
FROM t_rows
GROUP BY file_no;
