-- Placeholder prompts this import creates (rows without prompt text, one per run and legacy
-- prompt_id), the rows that link to a placeholder, and the first placeholders with where they were
-- first seen ($1 = how many to list). Names run ids and legacy prompt ids only, never text.
SELECT (SELECT count(*) FROM prompts p JOIN t_new_prompts n ON n.id = p.id
        WHERE p.source_type = 'legacy_placeholder') AS created,
       (SELECT count(*) FROM t_rows WHERE new_id IS NOT NULL AND prompt_is_placeholder) AS rows_linked,
       COALESCE((
           SELECT jsonb_agg(jsonb_build_object(
                      'run_id', x.metadata #>> '{placeholder_for,run_id}',
                      'legacy_prompt_id', x.metadata #>> '{placeholder_for,legacy_prompt_id}',
                      'file', x.metadata #>> '{source,file}',
                      'line', (x.metadata #>> '{source,line}')::bigint)
                  ORDER BY x.metadata #>> '{source,file}', (x.metadata #>> '{source,line}')::bigint)
           FROM (SELECT p.metadata FROM prompts p JOIN t_new_prompts n ON n.id = p.id
                 WHERE p.source_type = 'legacy_placeholder'
                 ORDER BY p.metadata #>> '{source,file}', (p.metadata #>> '{source,line}')::bigint
                 LIMIT $1) x), '[]'::jsonb) AS first;
