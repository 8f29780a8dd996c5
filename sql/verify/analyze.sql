-- Run by an import before its checks: ANALYZE inside the import transaction counts the rows it
-- inserted, so the checks (and the transform's next import) plan with real row counts. Samples a
-- fixed number of rows per table, so the cost does not grow with the table. The two metric tables
-- are analysed on the columns the checks join and group on only: sampling their texts would detoast
-- them, and autovacuum analyses every column after the commit.
ANALYZE bellatrix_migrate.row_sources, prompts, evaluation_runs, model_aggregated_metrics, models;
ANALYZE evaluation_metrics (id, run_id, model_id, prompt_id, user_id, status);
ANALYZE master_model_evaluations (id, run_id, model_id, prompt_id, user_id, status);
