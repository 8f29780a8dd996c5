-- prompt_hash_unique: prompts are deduplicated by hash across all sources and imports, so no two
-- prompts share one (the column's index is not unique; the migrator must keep it so).
-- $1: the import to check (hashes of the prompts it links to or recorded), or NULL for all prompts.
WITH scope AS NOT MATERIALIZED (
    SELECT target_table, target_id FROM bellatrix_migrate.row_sources WHERE import_id = $1
), scoped AS (
    SELECT em.prompt_id AS id FROM evaluation_metrics em
    WHERE em.id IN (SELECT target_id FROM scope WHERE target_table = 'evaluation_metrics')
    UNION
    SELECT mm.prompt_id FROM master_model_evaluations mm
    WHERE mm.id IN (SELECT target_id FROM scope WHERE target_table = 'master_model_evaluations')
    UNION
    SELECT target_id FROM scope WHERE target_table = 'prompts'
), shared AS (
    SELECT p.prompt_hash, count(*) AS n, string_agg(p.id::text, ', ' ORDER BY p.created_at, p.id) AS ids
    FROM prompts p
    WHERE p.prompt_hash IS NOT NULL
      AND ($1::bigint IS NULL
           OR p.prompt_hash IN (SELECT q.prompt_hash FROM prompts q WHERE q.id IN (SELECT id FROM scoped)))
    GROUP BY p.prompt_hash
    HAVING count(*) > 1
), numbered AS (
    SELECT *, row_number() OVER (ORDER BY prompt_hash) AS rn FROM shared
)
SELECT count(*) = 0 AS ok,
       CASE WHEN count(*) = 0 THEN 'no two prompts share a prompt_hash'
            ELSE count(*) || ' hashes are held by several prompts: '
                 || string_agg(prompt_hash || ' by ' || n || ' prompts (ids ' || ids || ')', '; ' ORDER BY rn)
                    FILTER (WHERE rn <= 10)
       END AS detail
FROM numbered;
