-- cost_arithmetic: cost_usd_total = cost_usd_input + cost_usd_output within 0.000001 (the legacy
-- writer rounded each to 6 places separately) wherever the parts were given. An empty legacy cost is
-- stored as 0 (the columns are NOT NULL DEFAULT 0), so "given" means non-zero: rows whose input and
-- output are both 0 carry only a total (master rows, root-era results, models missing from the
-- registry) and are not checked. Master rows keep their costs in metadata. A row whose source record
-- itself broke the arithmetic is imported as written and marked metadata.source_cost_mismatch by the
-- reader; it is counted and named in the detail, not failed (the migration did not cause it, and
-- text fidelity confirms stored values against the source).
-- $1: the import to check, or NULL for every row.
WITH scope AS NOT MATERIALIZED (
    SELECT target_id FROM bellatrix_migrate.row_sources WHERE import_id = $1
), em AS (
    -- Two branches rather than `$1 IS NULL OR id IN (...)`, which the planner cannot turn into a
    -- join: an import of a few rows reads those rows, not the table.
    SELECT x.id, x.metadata, x.cost_usd_input, x.cost_usd_output, x.cost_usd_total FROM evaluation_metrics x WHERE $1::bigint IS NULL
    UNION ALL
    SELECT x.id, x.metadata, x.cost_usd_input, x.cost_usd_output, x.cost_usd_total FROM evaluation_metrics x
    WHERE $1::bigint IS NOT NULL AND x.id IN (SELECT target_id FROM scope)
), mm AS (
    SELECT x.id, x.metadata FROM master_model_evaluations x WHERE $1::bigint IS NULL
    UNION ALL
    SELECT x.id, x.metadata FROM master_model_evaluations x
    WHERE $1::bigint IS NOT NULL AND x.id IN (SELECT target_id FROM scope)
), costs AS (
    SELECT 'evaluation_metrics' AS tbl, em.id, em.metadata,
           em.cost_usd_input AS input, em.cost_usd_output AS output, em.cost_usd_total AS total
    FROM em
    UNION ALL
    SELECT 'master_model_evaluations', mm.id, mm.metadata,
           (mm.metadata ->> 'cost_usd_input')::numeric,
           (mm.metadata ->> 'cost_usd_output')::numeric,
           (mm.metadata ->> 'cost_usd_total')::numeric
    FROM mm
    WHERE jsonb_typeof(mm.metadata -> 'cost_usd_input') = 'number'
      AND jsonb_typeof(mm.metadata -> 'cost_usd_output') = 'number'
      AND jsonb_typeof(mm.metadata -> 'cost_usd_total') = 'number'
), checked AS (
    SELECT * FROM costs WHERE input <> 0 OR output <> 0
), inherited AS (
    SELECT tbl, COALESCE((metadata #>> '{source,file}') || ':' || (metadata #>> '{source,line}'), 'id ' || id) AS place,
           row_number() OVER (ORDER BY tbl, metadata #>> '{source,file}', (metadata #>> '{source,line}')::bigint, id) AS rn
    FROM checked
    WHERE abs(total - (input + output)) > 0.000001 AND (metadata -> 'source_cost_mismatch') = 'true'::jsonb
), bad AS (
    SELECT tbl, id, input, output, total,
           COALESCE((metadata #>> '{source,file}') || ':' || (metadata #>> '{source,line}'), 'id ' || id) AS place,
           row_number() OVER (ORDER BY tbl, metadata #>> '{source,file}', (metadata #>> '{source,line}')::bigint, id) AS rn
    FROM checked
    WHERE abs(total - (input + output)) > 0.000001
      AND (metadata -> 'source_cost_mismatch') IS DISTINCT FROM 'true'::jsonb
)
SELECT count(*) = 0 AS ok,
       CASE WHEN count(*) = 0 THEN 'cost_usd_total = input + output (within 0.000001) for every row with costs given ('
                                   || (SELECT count(*) FROM checked) || ' rows; '
                                   || (SELECT count(*) FROM costs) - (SELECT count(*) FROM checked)
                                   || ' carry only a total)'
                                   || COALESCE((SELECT '; ' || count(*) || ' rows keep their source record''s own mismatch '
                                                       || '(metadata.source_cost_mismatch): '
                                                       || string_agg(tbl || ' ' || place, ', ' ORDER BY rn) FILTER (WHERE rn <= 10)
                                                FROM inherited HAVING count(*) > 0), '')
            ELSE count(*) || ' rows have cost_usd_total <> input + output: '
                 || string_agg(tbl || ' ' || place || ': total ' || total || ' but input ' || input
                               || ' + output ' || output || ' = ' || (input + output), '; ' ORDER BY rn)
                    FILTER (WHERE rn <= 10)
       END AS detail
FROM bad;
