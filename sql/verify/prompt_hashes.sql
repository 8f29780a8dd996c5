-- prompt_hash_matches_postgres: every prompt_hash is SHA-256 of the exact UTF-8 bytes of its text as
-- PostgreSQL computes it (docs/decisions.md), so the migrator's hash, the trigger and any later lookup agree.
-- $1: the import to check (the prompts its rows link to and the prompts it recorded in the ledger),
-- or NULL for every prompt.
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
), bad AS (
    SELECT p.id,
           COALESCE((p.metadata #>> '{source,file}') || ':' || (p.metadata #>> '{source,line}'), 'no source') AS place,
           octet_length(p.prompt_text) AS bytes
    FROM prompts p
    WHERE ($1::bigint IS NULL OR p.id IN (SELECT id FROM scoped))
      AND p.prompt_hash IS DISTINCT FROM encode(sha256(convert_to(p.prompt_text, 'UTF8')), 'hex')
), numbered AS (
    SELECT *, row_number() OVER (ORDER BY place, id) AS rn FROM bad
)
SELECT count(*) = 0 AS ok,
       CASE WHEN count(*) = 0 THEN
                'prompt_hash equals sha256(prompt_text) for every prompt checked ('
                || (SELECT count(*) FROM prompts p WHERE $1::bigint IS NULL OR p.id IN (SELECT id FROM scoped))
                || ')'
            ELSE count(*) || ' prompts have a prompt_hash that is not sha256 of their text: '
                 || string_agg('id ' || id || ' (' || place || ', ' || bytes || ' bytes)', ', ' ORDER BY rn)
                    FILTER (WHERE rn <= 10)
       END AS detail
FROM numbered;
