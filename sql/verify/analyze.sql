-- Run by an import before its checks: ANALYZE inside the import transaction counts the rows it
-- inserted, so the checks (and the transform's next import) plan with real row counts. Samples a
-- fixed number of rows per table, so the cost does not grow with the table.
ANALYZE bellatrix_migrate.row_sources, evaluation_metrics, master_model_evaluations, prompts,
        evaluation_runs, model_aggregated_metrics, models;
