-- No prompt this import created shares its hash with another prompt (prompts are deduplicated).
SELECT count(*) = 0 AS ok,
       CASE WHEN count(*) = 0 THEN 'no new prompt shares its hash with another prompt'
            ELSE count(*) || ' hashes are held by several prompts, e.g. ' ||
                 string_agg(prompt_hash, ', ') FILTER (WHERE rn <= 5)
       END AS detail
FROM (
    SELECT p.prompt_hash, row_number() OVER (ORDER BY p.prompt_hash) AS rn
    FROM prompts p
    WHERE p.prompt_hash IN (SELECT prompt_hash FROM t_new_prompts)
    GROUP BY p.prompt_hash
    HAVING count(*) > 1
) dup;
