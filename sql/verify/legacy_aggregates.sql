-- Legacy aggregate files agree with the recomputation (informational: a difference is reported,
-- never blocks the import). Names file, line, model, field and the two values: all numbers or
-- model names, never prompt or response text.
SELECT count(d.*) = 0 AS ok,
       (SELECT count(*) FROM bellatrix_migrate.stage_aggregates) || ' legacy aggregate rows compared, '
         || count(d.*) || ' differences'
         || COALESCE(': ' || string_agg(f.path || ':' || d.line || ' ' || d.model || ' ' || d.field
                                        || ' file=' || d.file_value || ' recomputed=' || COALESCE(d.recomputed, 'none'),
                                        '; ' ORDER BY d.file_no, d.line, d.field) FILTER (WHERE d.rn <= 20), '')
         AS detail
FROM (SELECT *, row_number() OVER (ORDER BY file_no, line, field) AS rn FROM t_aggregate_diffs) d
JOIN bellatrix_migrate.stage_files f ON f.file_no = d.file_no;
