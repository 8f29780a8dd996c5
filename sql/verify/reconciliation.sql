-- reconciliation: every source record ended as exactly one of inserted, updated, duplicate or
-- rejected, per file, per kind and per import, as each import's report says; and the ledger agrees
-- with the reports: for every (import, file) and (import, table) the rows recorded in
-- bellatrix_migrate.row_sources are the records the report says were inserted or updated (a record
-- that updated a row, a later users.json version of a user, is recorded pointing at that row; the
-- other tables' `updated` rows, recomputed or re-described in place, are not in the ledger). Reports
-- written before `updated` existed count it as 0.
-- $1: the import to check, or NULL for every import. During an import its report is recorded in
-- bellatrix_migrate.imports before the checks run, so both modes read the same thing.
-- Over the whole database only imports that wrote their rows are reconciled: dry runs and
-- rolled-back attempts may be kept in `imports` for the history (its `outcome` column, where the
-- ledger has one; read through to_jsonb so this query also runs on a ledger without it) but left no
-- rows. The import under check ($1) is always reconciled, dry run or not.
WITH imports AS (
    SELECT i.id, i.report
    FROM bellatrix_migrate.imports i
    WHERE i.report ? 'files'
      AND CASE WHEN $1::bigint IS NULL
               THEN COALESCE(to_jsonb(i) ->> 'outcome', 'committed') = 'committed'
                    AND i.report ->> 'mode' IS DISTINCT FROM 'dry-run'
               ELSE i.id = $1
          END
), files AS (
    SELECT i.id AS import_id,
           f ->> 'path' AS path,
           f ->> 'kind' AS kind,
           (f ->> 'records')::bigint AS records,
           (f ->> 'inserted')::bigint AS inserted,
           (f ->> 'duplicate')::bigint AS duplicate,
           (f ->> 'rejected')::bigint AS rejected,
           COALESCE((f ->> 'updated')::bigint, 0) AS updated
    FROM imports i
    CROSS JOIN LATERAL jsonb_array_elements(i.report -> 'files') f
), ledger_files AS (
    -- Per file, the rows its records became. A prompt created from a raw row, a log entry or a
    -- root-era result is a by-product of a record counted in its own table, not a record itself;
    -- a prompt created by a prompt-file record is that record. So is a login event of a users.json
    -- record (audit_log), counted in its table only, and a similarity score, named by its
    -- candidate's source line.
    SELECT import_id, file, count(*) AS n
    FROM bellatrix_migrate.row_sources
    WHERE ($1::bigint IS NULL OR import_id = $1)
      AND NOT (target_table = 'prompts' AND kind IN ('raw_metrics', 'bedrock_log', 'results_detailed'))
      AND target_table NOT IN ('audit_log', 'similarity_scores')
    GROUP BY import_id, file
), ledger_tables AS (
    SELECT import_id, target_table, count(*) AS n
    FROM bellatrix_migrate.row_sources
    WHERE $1::bigint IS NULL OR import_id = $1
    GROUP BY import_id, target_table
), tracked_tables AS (
    -- The tables whose rows the ledger records one for one (a table appears here once any import
    -- wrote to it). Not `models`: its ledger rows are configuration observations (every version of
    -- a models.yaml entry), several per model, counted per file but not per table.
    SELECT DISTINCT target_table FROM bellatrix_migrate.row_sources WHERE target_table <> 'models'
), problems AS (
    SELECT import_id, path AS place,
           'import ' || import_id || ', ' || path || ': ' || records || ' records but '
             || (inserted + updated + duplicate + rejected) || ' accounted (' || inserted || ' inserted + '
             || CASE WHEN updated > 0 THEN updated || ' updated + ' ELSE '' END
             || duplicate || ' duplicate + ' || rejected || ' rejected)' AS problem
    FROM files
    WHERE records IS DISTINCT FROM inserted + updated + duplicate + rejected
    UNION ALL
    SELECT f.import_id, f.path,
           'import ' || f.import_id || ', ' || f.path || ': the report says ' || f.inserted
             || ' inserted' || CASE WHEN f.updated > 0 THEN ' + ' || f.updated || ' updated' ELSE '' END
             || ', the ledger holds ' || COALESCE(l.n, 0) || ' rows'
    FROM files f
    LEFT JOIN ledger_files l ON l.import_id = f.import_id AND l.file = f.path
    WHERE f.inserted + f.updated IS DISTINCT FROM COALESCE(l.n, 0)
    UNION ALL
    SELECT l.import_id, l.file,
           'import ' || l.import_id || ': the ledger holds ' || l.n || ' rows of ' || l.file
             || ', a file its report does not list'
    FROM ledger_files l
    WHERE NOT EXISTS (SELECT 1 FROM files f WHERE f.import_id = l.import_id AND f.path = l.file)
      AND EXISTS (SELECT 1 FROM imports i WHERE i.id = l.import_id)
    UNION ALL
    SELECT i.id, t.target_table,
           'import ' || i.id || ', table ' || t.target_table || ': the report says '
             || w.inserted || ' inserted' || CASE WHEN w.updated > 0 THEN ' + ' || w.updated || ' updated' ELSE '' END
             || ', the ledger holds ' || COALESCE(l.n, 0) || ' rows'
    FROM imports i
    CROSS JOIN tracked_tables t
    CROSS JOIN LATERAL (
        SELECT COALESCE((i.report #>> ARRAY['tables', t.target_table, 'inserted'])::bigint, 0) AS inserted,
               CASE WHEN t.target_table = 'users'
                    THEN COALESCE((i.report #>> ARRAY['tables', t.target_table, 'updated'])::bigint, 0)
                    ELSE 0 END AS updated
    ) w
    LEFT JOIN ledger_tables l ON l.import_id = i.id AND l.target_table = t.target_table
    WHERE w.inserted + w.updated IS DISTINCT FROM COALESCE(l.n, 0)
    UNION ALL
    SELECT i.id, '',
           'import ' || i.id || ': ' || (i.report ->> 'source_records') || ' source records but '
             || a.total || ' accounted'
    FROM imports i
    CROSS JOIN LATERAL (
        SELECT COALESCE((i.report #>> '{accounted,inserted}')::bigint, 0)
             + COALESCE((i.report #>> '{accounted,duplicate}')::bigint, 0)
             + COALESCE((i.report #>> '{accounted,rejected}')::bigint, 0)
             + COALESCE((i.report #>> '{accounted,updated}')::bigint, 0) AS total
    ) a
    WHERE (i.report ->> 'source_records')::bigint IS DISTINCT FROM a.total
), numbered AS (
    SELECT problem, row_number() OVER (ORDER BY import_id, place, problem) AS rn FROM problems
), kinds AS (
    SELECT kind, count(*) AS files, sum(records) AS records, sum(inserted) AS inserted,
           sum(duplicate) AS duplicate, sum(rejected) AS rejected, sum(updated) AS updated
    FROM files
    GROUP BY kind
)
SELECT (SELECT count(*) FROM numbered) = 0 AS ok,
       CASE WHEN (SELECT count(*) FROM numbered) = 0 THEN
                (SELECT count(*) FROM imports) || ' import(s), ' || (SELECT count(*) FROM files)
                || ' file(s); ' || COALESCE((
                    SELECT string_agg(kind || ': ' || records || ' records = ' || inserted
                                      || ' inserted + '
                                      || CASE WHEN updated > 0 THEN updated || ' updated + ' ELSE '' END
                                      || duplicate || ' duplicate + ' || rejected
                                      || ' rejected', '; ' ORDER BY kind)
                    FROM kinds), 'no files')
                || '; the ledger matches every file and table'
            ELSE (SELECT count(*) FROM numbered) || ' discrepancies: '
                 || (SELECT string_agg(problem, '; ' ORDER BY rn) FROM numbered WHERE rn <= 10)
       END AS detail;
