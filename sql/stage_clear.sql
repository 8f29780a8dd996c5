-- Empties the staging tables at the start and end of a run (also what a killed run left behind).
TRUNCATE bellatrix_migrate.stage_files, bellatrix_migrate.stage_raw_metrics,
         bellatrix_migrate.stage_prompts, bellatrix_migrate.stage_log_entries,
         bellatrix_migrate.stage_models, bellatrix_migrate.stage_users,
         bellatrix_migrate.stage_aggregates;
