-- pricing_history: price and parameter history is a history. Per model, in model_pricing and in
-- model_generation_params: no row ends before it starts, at most one row is open (effective_to NULL),
-- and no two [effective_from, effective_to) ranges overlap, so v_current_model_pricing and
-- v_current_model_params have one answer at any instant. A NULL effective_from reaches back without
-- bound. Both tables are small: always checked whole.
WITH history AS (
    SELECT 'model_pricing' AS tbl, id, model_id, effective_from, effective_to FROM model_pricing
    UNION ALL
    SELECT 'model_generation_params', id, model_id, effective_from, effective_to FROM model_generation_params
), shown AS (
    SELECT h.*,
           '[' || COALESCE(to_char(effective_from AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'), 'unbounded')
               || ', ' || COALESCE(to_char(effective_to AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'), 'open')
               || ')' AS span
    FROM history h
), problems AS (
    SELECT tbl, model_id, tbl || ' row ' || id || ' ends before it starts: ' || span AS problem
    FROM shown
    WHERE effective_to < effective_from
    UNION ALL
    SELECT tbl, model_id, tbl || ': ' || count(*) || ' open rows (effective_to NULL): '
                          || string_agg(span, ', ' ORDER BY effective_from NULLS FIRST, id)
    FROM shown
    WHERE effective_to IS NULL
    GROUP BY tbl, model_id
    HAVING count(*) > 1
    UNION ALL
    SELECT a.tbl, a.model_id, a.tbl || ': ' || a.span || ' overlaps ' || b.span
    FROM shown a
    -- Each pair once, the earlier range first.
    JOIN shown b ON b.tbl = a.tbl AND b.model_id = a.model_id
                AND (COALESCE(a.effective_from, '-infinity'), a.id) < (COALESCE(b.effective_from, '-infinity'), b.id)
    WHERE NOT (a.effective_to < a.effective_from) IS TRUE
      AND NOT (b.effective_to < b.effective_from) IS TRUE
      AND tstzrange(a.effective_from, a.effective_to, '[)') && tstzrange(b.effective_from, b.effective_to, '[)')
), numbered AS (
    SELECT p.problem, COALESCE(m.name, 'id ' || p.model_id) AS model_name,
           row_number() OVER (ORDER BY m.name, p.tbl, p.problem) AS rn
    FROM problems p
    LEFT JOIN models m ON m.id = p.model_id
)
SELECT count(*) = 0 AS ok,
       CASE WHEN count(*) = 0 THEN 'no overlapping or inverted ranges and at most one open row per model ('
                                   || (SELECT count(*) FROM history) || ' pricing and parameter rows)'
            ELSE count(*) || ' problems in price or parameter history: '
                 || string_agg('model ' || model_name || ', ' || problem, '; ' ORDER BY rn) FILTER (WHERE rn <= 10)
       END AS detail
FROM numbered;
