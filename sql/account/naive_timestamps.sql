-- Rows read with a naive timestamp (no Z, no offset), which were taken to be in --legacy-timezone:
-- per file, how many and the first lines ($1 = how many lines to list).
SELECT file_path,
       count(*) AS n,
       (array_agg(line ORDER BY line))[1:$1] AS first_lines
FROM t_rows
WHERE metadata ? 'timestamp_zone_assumed'
GROUP BY file_no, file_path
ORDER BY file_no;
