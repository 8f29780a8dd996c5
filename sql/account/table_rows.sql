-- Rows in each production table, for the verify report.
SELECT 'users' AS table_name, count(*) AS n FROM users
UNION ALL SELECT 'model_providers', count(*) FROM model_providers
UNION ALL SELECT 'models', count(*) FROM models
UNION ALL SELECT 'model_pricing', count(*) FROM model_pricing
UNION ALL SELECT 'model_generation_params', count(*) FROM model_generation_params
UNION ALL SELECT 'prompts', count(*) FROM prompts
UNION ALL SELECT 'evaluation_runs', count(*) FROM evaluation_runs
UNION ALL SELECT 'evaluation_metrics', count(*) FROM evaluation_metrics
UNION ALL SELECT 'model_aggregated_metrics', count(*) FROM model_aggregated_metrics
UNION ALL SELECT 'master_model_evaluations', count(*) FROM master_model_evaluations
UNION ALL SELECT 'similarity_scores', count(*) FROM similarity_scores
UNION ALL SELECT 'cloudwatch_log_entries', count(*) FROM cloudwatch_log_entries
UNION ALL SELECT 'audit_log', count(*) FROM audit_log;
