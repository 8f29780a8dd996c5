-- What this import creates beside rows: models known from data alone (not from models.yaml), new
-- providers, and new runs by origin. One JSON object, read by the report.
SELECT jsonb_build_object(
    'models', COALESCE((
        SELECT jsonb_agg(jsonb_build_object(
                   'name', m.name,
                   'provider', p.name,
                   'bedrock_model_id', m.bedrock_model_id,
                   'is_master', m.is_master_model,
                   'file', m.metadata #>> '{source,file}',
                   'line', (m.metadata #>> '{source,line}')::bigint)
               ORDER BY m.name, p.name)
        FROM t_new_models n
        JOIN models m ON m.id = n.id
        JOIN model_providers p ON p.id = m.provider_id), '[]'::jsonb),
    'providers', COALESCE((
        SELECT jsonb_agg(p.name ORDER BY p.name)
        FROM t_new_providers n JOIN model_providers p ON p.id = n.id), '[]'::jsonb),
    'runs', COALESCE((
        SELECT jsonb_object_agg(origin, n)
        FROM (SELECT COALESCE(r.metadata ->> 'origin', 'unknown') AS origin, count(*) AS n
              FROM t_new_runs t JOIN evaluation_runs r ON r.id = t.id
              GROUP BY 1) o), '{}'::jsonb)
);
