-- What refuses the revert (blockers.sql): for each reason, how many rows and the first five.
SELECT reason, n, detail
FROM (
    SELECT reason, detail, count(*) OVER (PARTITION BY reason) AS n,
           row_number() OVER (PARTITION BY reason ORDER BY detail) AS k
    FROM t_revert_blockers
) b
WHERE k <= 5
ORDER BY reason, detail;
