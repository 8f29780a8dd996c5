-- Per staged file: records inserted, records that duplicate an earlier record (of this import or
-- an earlier one) and records that updated a row an earlier import wrote (a later users.json
-- version of a user; recorded in the ledger like an inserted one), over every kind, for
-- reconciliation. Transform-time rejects (user conflicts) come from rejects.sql. Legacy aggregate
-- rows are derived data, never loaded: each counts as a duplicate of the recomputed
-- model_aggregated_metrics.
SELECT file_no, sum(inserted)::bigint, sum(duplicate)::bigint, sum(updated)::bigint
FROM (
    SELECT file_no, count(*) FILTER (WHERE new_id IS NOT NULL) AS inserted,
           count(*) FILTER (WHERE new_id IS NULL) AS duplicate, 0 AS updated
    FROM t_rows GROUP BY file_no
    UNION ALL
    SELECT file_no, count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted), 0
    FROM t_prompt_records GROUP BY file_no
    UNION ALL
    SELECT file_no, count(*) FILTER (WHERE new_id IS NOT NULL), count(*) FILTER (WHERE new_id IS NULL), 0
    FROM t_log_rows GROUP BY file_no
    UNION ALL
    SELECT file_no, count(*) FILTER (WHERE new_id IS NOT NULL),
           count(*) FILTER (WHERE new_id IS NULL AND updated_id IS NULL AND conflict IS NULL),
           count(*) FILTER (WHERE updated_id IS NOT NULL)
    FROM t_user_rows GROUP BY file_no
    UNION ALL
    SELECT file_no, count(*) FILTER (WHERE is_new), count(*) FILTER (WHERE NOT is_new), 0
    FROM t_cfg GROUP BY file_no
    UNION ALL
    SELECT file_no, 0, count(*), 0 FROM bellatrix_migrate.stage_aggregates GROUP BY file_no
) per_kind
GROUP BY file_no;
