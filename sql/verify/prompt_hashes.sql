-- Every prompt this import created has prompt_hash = SHA-256 of its text as PostgreSQL computes it.
SELECT count(*) = 0 AS ok,
       CASE WHEN count(*) = 0 THEN 'prompt_hash equals sha256(prompt_text) for every new prompt'
            ELSE count(*) || ' prompts have a hash that is not sha256 of their text, e.g. id ' ||
                 string_agg(id::text, ', ') FILTER (WHERE rn <= 5)
       END AS detail
FROM (
    SELECT p.id, row_number() OVER (ORDER BY p.id) AS rn
    FROM prompts p JOIN t_new_prompts n ON n.id = p.id
    WHERE p.prompt_hash IS DISTINCT FROM encode(sha256(convert_to(p.prompt_text, 'UTF8')), 'hex')
) bad;
