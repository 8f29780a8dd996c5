-- ledger_rows_exist: nothing written was lost. Every production row the ledger says an import wrote
-- (bellatrix_migrate.row_sources) is still in its table, unless a later import removed it on purpose
-- (`removed_by`: a placeholder prompt whose rows were re-linked to their real prompt).
-- $1: the import to check, or NULL for every import.
-- One pass over the ledger with a hash join per table (a correlated EXISTS per row would probe an
-- index once per ledger row).
WITH missing AS (
    SELECT rs.import_id, rs.file, rs.line, rs.target_table, rs.target_id
    FROM bellatrix_migrate.row_sources rs
    LEFT JOIN evaluation_metrics t0 ON rs.target_table = 'evaluation_metrics' AND t0.id = rs.target_id
    LEFT JOIN master_model_evaluations t1 ON rs.target_table = 'master_model_evaluations' AND t1.id = rs.target_id
    LEFT JOIN prompts t2 ON rs.target_table = 'prompts' AND t2.id = rs.target_id
    LEFT JOIN users t3 ON rs.target_table = 'users' AND t3.id = rs.target_id
    LEFT JOIN models t4 ON rs.target_table = 'models' AND t4.id = rs.target_id
    LEFT JOIN model_providers t5 ON rs.target_table = 'model_providers' AND t5.id = rs.target_id
    LEFT JOIN model_pricing t6 ON rs.target_table = 'model_pricing' AND t6.id = rs.target_id
    LEFT JOIN model_generation_params t7 ON rs.target_table = 'model_generation_params' AND t7.id = rs.target_id
    LEFT JOIN evaluation_runs t8 ON rs.target_table = 'evaluation_runs' AND t8.id = rs.target_id
    LEFT JOIN model_aggregated_metrics t9 ON rs.target_table = 'model_aggregated_metrics' AND t9.id = rs.target_id
    LEFT JOIN similarity_scores t10 ON rs.target_table = 'similarity_scores' AND t10.id = rs.target_id
    LEFT JOIN cloudwatch_log_entries t11 ON rs.target_table = 'cloudwatch_log_entries' AND t11.id = rs.target_id
    LEFT JOIN audit_log t12 ON rs.target_table = 'audit_log' AND t12.id = rs.target_id
    WHERE ($1::bigint IS NULL OR rs.import_id = $1)
      AND rs.removed_by IS NULL
      AND COALESCE(t0.id, t1.id, t2.id, t3.id, t4.id, t5.id, t6.id, t7.id, t8.id, t9.id, t10.id, t11.id, t12.id) IS NULL
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
