-- Records the transform rejected (user conflicts): file, line, field, reason and the table they
-- count against. Never the record's content.
SELECT r.file_no, f.path, r.line, r.field, r.reason, r.target
FROM t_rejects r
JOIN bellatrix_migrate.stage_files f ON f.file_no = r.file_no
ORDER BY r.file_no, r.line;
