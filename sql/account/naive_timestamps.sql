-- Records read with a naive timestamp (no Z, no offset), which was taken to be in
-- --legacy-timezone: per file, how many records, how many such values (a users.json user may have
-- two, `metadata.timestamp_zone_assumed` lists its fields; a metric row or log entry has one) and
-- the first lines ($1 = how many lines to list). Duplicates count too: every value read is counted.
SELECT file_path,
       count(*) AS n,
       sum(n_values)::bigint AS n_values,
       (array_agg(line ORDER BY line))[1:$1] AS first_lines
FROM (
    SELECT file_no, file_path, line, 1 AS n_values
    FROM t_rows
    WHERE metadata ? 'timestamp_zone_assumed'
    UNION ALL
    SELECT file_no, file_path, line, jsonb_array_length(metadata -> 'timestamp_zone_assumed')
    FROM t_user_rows
    WHERE metadata ? 'timestamp_zone_assumed'
    UNION ALL
    SELECT file_no, file_path, line, 1
    FROM t_log_rows
    WHERE metadata ? 'timestamp_zone_assumed'
) naive
GROUP BY file_no, file_path
ORDER BY file_no;
