-- What this import repaired in rows earlier imports wrote (48_relink.sql, 40_prompts.sql): rows moved
-- from a placeholder to their real prompt, placeholders removed, prompts that took a better source's
-- attributes.
SELECT (SELECT count(*) FROM t_relinks) AS rows,
       (SELECT count(*) FROM t_removed_placeholders) AS placeholders_removed,
       (SELECT count(*) FROM t_prompt_upgrades WHERE better) AS prompts_improved;
