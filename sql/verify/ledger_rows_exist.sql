-- ledger_rows_exist: nothing written was lost. Every production row the ledger says an import wrote
-- (bellatrix_migrate.row_sources) is still in its table.
-- $1: the import to check, or NULL for every import.
WITH missing AS (
    SELECT rs.import_id, rs.file, rs.line, rs.target_table, rs.target_id
    FROM bellatrix_migrate.row_sources rs
    WHERE ($1::bigint IS NULL OR rs.import_id = $1)
      AND NOT CASE rs.target_table
          WHEN 'evaluation_metrics' THEN EXISTS (SELECT 1 FROM evaluation_metrics x WHERE x.id = rs.target_id)
          WHEN 'master_model_evaluations' THEN EXISTS (SELECT 1 FROM master_model_evaluations x WHERE x.id = rs.target_id)
          WHEN 'prompts' THEN EXISTS (SELECT 1 FROM prompts x WHERE x.id = rs.target_id)
          WHEN 'users' THEN EXISTS (SELECT 1 FROM users x WHERE x.id = rs.target_id)
          WHEN 'models' THEN EXISTS (SELECT 1 FROM models x WHERE x.id = rs.target_id)
          WHEN 'model_providers' THEN EXISTS (SELECT 1 FROM model_providers x WHERE x.id = rs.target_id)
          WHEN 'model_pricing' THEN EXISTS (SELECT 1 FROM model_pricing x WHERE x.id = rs.target_id)
          WHEN 'model_generation_params' THEN EXISTS (SELECT 1 FROM model_generation_params x WHERE x.id = rs.target_id)
          WHEN 'evaluation_runs' THEN EXISTS (SELECT 1 FROM evaluation_runs x WHERE x.id = rs.target_id)
          WHEN 'model_aggregated_metrics' THEN EXISTS (SELECT 1 FROM model_aggregated_metrics x WHERE x.id = rs.target_id)
          WHEN 'similarity_scores' THEN EXISTS (SELECT 1 FROM similarity_scores x WHERE x.id = rs.target_id)
          WHEN 'cloudwatch_log_entries' THEN EXISTS (SELECT 1 FROM cloudwatch_log_entries x WHERE x.id = rs.target_id)
          WHEN 'audit_log' THEN EXISTS (SELECT 1 FROM audit_log x WHERE x.id = rs.target_id)
          ELSE FALSE
      END
), numbered AS (
    SELECT *, row_number() OVER (ORDER BY import_id, file, line) AS rn FROM missing
)
SELECT count(*) = 0 AS ok,
       CASE WHEN count(*) = 0 THEN 'every row the ledger records is in its table'
            ELSE count(*) || ' rows the ledger records are gone: '
                 || string_agg(target_table || ' id ' || target_id || ' from ' || file || ':' || line,
                               ', ' ORDER BY rn) FILTER (WHERE rn <= 10)
       END AS detail
FROM numbered;
