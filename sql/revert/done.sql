-- What the revert did, step by step (apply.sql), for its report: the tables each step touched.
SELECT step, target_table, n FROM t_revert_done WHERE n > 0 ORDER BY step, target_table;
