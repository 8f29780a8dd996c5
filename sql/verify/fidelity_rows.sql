-- The stored values of the raw_metrics rows of one source file that text fidelity compares with the
-- file, in line order so the file is read once: a random sample (each row with probability $4 / $5; NULL $4 =
-- all) plus every row holding a value at the limit of its DECIMAL type, which must be confirmed by
-- its source (a clipped overflow would look exactly like that).
-- $1: import or NULL; $2: file as the ledger names it; $3: the legacy time zone of its import(s);
-- $4: the sample size, NULL for all rows; $5: the rows in scope (the sample is about $4 of them).
-- byte_offset (NULL for rows imported before migration 0007) lets a sample seek to the record.
SELECT * FROM (
    SELECT rs.line,
           rs.import_id,
           rs.source_key,
           rs.target_table,
           rs.target_id,
           (em.id IS NOT NULL OR mm.id IS NOT NULL) AS found,
           COALESCE(em.response_text, mm.response_text) AS response_text,
           COALESCE(em.error_message, mm.error_message) AS error_message,
           COALESCE(em.latency_ms, mm.latency_ms) AS latency_ms,
           COALESCE(em.cost_usd_input,
                    CASE WHEN jsonb_typeof(mm.metadata -> 'cost_usd_input') = 'number'
                         THEN (mm.metadata ->> 'cost_usd_input')::numeric END) AS cost_usd_input,
           COALESCE(em.cost_usd_output,
                    CASE WHEN jsonb_typeof(mm.metadata -> 'cost_usd_output') = 'number'
                         THEN (mm.metadata ->> 'cost_usd_output')::numeric END) AS cost_usd_output,
           COALESCE(em.cost_usd_total,
                    CASE WHEN jsonb_typeof(mm.metadata -> 'cost_usd_total') = 'number'
                         THEN (mm.metadata ->> 'cost_usd_total')::numeric END) AS cost_usd_total,
           (abs(em.latency_ms) >= 99999999.99 OR abs(em.cost_usd_input) >= 9999.999999
            OR abs(em.cost_usd_output) >= 9999.999999 OR abs(em.cost_usd_total) >= 9999.999999
            OR abs(mm.latency_ms) >= 99999999.99) IS TRUE AS at_limit,
           rs.byte_offset
    FROM bellatrix_migrate.row_sources rs
    JOIN bellatrix_migrate.imports i ON i.id = rs.import_id
    LEFT JOIN evaluation_metrics em ON rs.target_table = 'evaluation_metrics' AND em.id = rs.target_id
    LEFT JOIN master_model_evaluations mm ON rs.target_table = 'master_model_evaluations' AND mm.id = rs.target_id
    WHERE rs.kind = 'raw_metrics'
      AND rs.target_table IN ('evaluation_metrics', 'master_model_evaluations')
      AND rs.file = $2
      AND COALESCE(i.report ->> 'legacy_timezone', 'UTC') = $3
      AND ($1::bigint IS NULL OR rs.import_id = $1)
) r
WHERE $4::bigint IS NULL OR $4::bigint >= $5::bigint OR r.at_limit
   OR random() < $4::float8 / GREATEST($5::float8, 1)
ORDER BY r.line, r.import_id;
