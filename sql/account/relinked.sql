-- What this import repaired in rows earlier imports wrote (48_relink.sql, 40_prompts.sql,
-- 21_model_merges.sql): rows moved from a placeholder to their real prompt, placeholders removed,
-- prompts that took a better source's attributes, models merged into the one they are.
SELECT (SELECT count(*) FROM t_relinks) AS rows,
       (SELECT count(*) FROM t_removed_placeholders) AS placeholders_removed,
       (SELECT count(*) FROM t_prompt_upgrades WHERE better) AS prompts_improved,
       (SELECT count(*) FROM t_model_merges) AS models_merged;
