-- Records, for every production row written, the natural key of its source row, so that no later
-- import writes it again.
INSERT INTO bellatrix_migrate.row_sources (source_key, kind, target_table, target_id, import_id, file, line)
SELECT t.source_key, 'raw_metrics',
       CASE WHEN t.is_master THEN 'master_model_evaluations' ELSE 'evaluation_metrics' END,
       t.new_id, current_setting('bellatrix_migrate.import_id')::bigint, t.file_path, t.line
FROM t_rows t
WHERE t.new_id IS NOT NULL;
