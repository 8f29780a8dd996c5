-- Every import of the ledger, newest first (`bellatrix-migrate history`): its row in
-- bellatrix_migrate.imports and, from its stored report, the files it was given (path, kind, and
-- whether it was read or why not) and how its source records ended. Paths, kinds and counts only:
-- the report holds no legacy text. A count the report lacks is NULL (shown as unknown). A reverted
-- import has when and by whom (migration 0010).
SELECT i.id,
       i.started_at,
       i.finished_at,
       i.outcome,
       i.tool_version,
       i.run_by,
       i.application_name,
       i.reverted_at,
       i.reverted_by,
       (i.report #>> '{accounted,inserted}')::bigint AS inserted,
       (i.report #>> '{accounted,duplicate}')::bigint AS duplicate,
       (i.report #>> '{accounted,rejected}')::bigint AS rejected,
       (i.report #>> '{accounted,updated}')::bigint AS updated,
       COALESCE((
           SELECT jsonb_agg(jsonb_build_object(
                      'path', COALESCE(f ->> 'path', ''),
                      'kind', COALESCE(f ->> 'kind', 'unknown'),
                      'status', f ->> 'status',
                      'disposition', f ->> 'disposition'
                  ) ORDER BY n)
           FROM jsonb_array_elements(
                    CASE WHEN jsonb_typeof(i.report -> 'files') = 'array'
                         THEN i.report -> 'files' ELSE '[]'::jsonb END
                ) WITH ORDINALITY AS e (f, n)
       ), '[]'::jsonb) AS files
FROM bellatrix_migrate.imports i
ORDER BY i.started_at DESC, i.id DESC
