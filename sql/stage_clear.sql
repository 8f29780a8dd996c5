-- Empties the staging tables at the start and end of a run (also what a killed run left behind).
TRUNCATE bellatrix_migrate.stage_files, bellatrix_migrate.stage_raw_metrics;
