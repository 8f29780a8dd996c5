-- The source files that text fidelity re-reads: per (file, import) the raw_metrics rows the ledger
-- holds, how many of them hold a value at the limit of its DECIMAL type, the time zone the import
-- read naive timestamps in, and the SHA-256 the file had then (to tell a changed file from a
-- corrupted row).
-- $1: the import to check, or NULL for every import.
WITH ledger AS (
    SELECT rs.file, rs.import_id, rs.target_table, rs.target_id
    FROM bellatrix_migrate.row_sources rs
    WHERE rs.kind = 'raw_metrics'
      AND rs.target_table IN ('evaluation_metrics', 'master_model_evaluations')
      AND ($1::bigint IS NULL OR rs.import_id = $1)
), limits AS (
    SELECT l.file, l.import_id, count(*) AS n,
           count(*) FILTER (WHERE abs(em.latency_ms) >= 99999999.99
                               OR abs(em.cost_usd_input) >= 9999.999999
                               OR abs(em.cost_usd_output) >= 9999.999999
                               OR abs(em.cost_usd_total) >= 9999.999999
                               OR abs(mm.latency_ms) >= 99999999.99) AS at_limit
    FROM ledger l
    LEFT JOIN evaluation_metrics em ON l.target_table = 'evaluation_metrics' AND em.id = l.target_id
    LEFT JOIN master_model_evaluations mm ON l.target_table = 'master_model_evaluations' AND mm.id = l.target_id
    GROUP BY l.file, l.import_id
)
SELECT g.file,
       g.import_id,
       COALESCE(i.report ->> 'legacy_timezone', 'UTC') AS legacy_timezone,
       (SELECT f ->> 'sha256' FROM jsonb_array_elements(i.report -> 'files') f
        WHERE f ->> 'path' = g.file LIMIT 1) AS sha256,
       g.n,
       g.at_limit
FROM limits g
JOIN bellatrix_migrate.imports i ON i.id = g.import_id
ORDER BY g.file, g.import_id;
