-- What refuses the revert (blockers.sql): how many of each reason, and the first rows of each.
SELECT reason, count(*) OVER (PARTITION BY reason) AS n, detail
FROM t_revert_blockers
ORDER BY reason, detail
LIMIT 50;
