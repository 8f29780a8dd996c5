-- What stops the revert of import B (`bellatrix_migrate.revert_id`, the prefix of its ids in
-- `bellatrix_migrate.revert_prefix`): rows that depend on what B wrote and that the revert would
-- not take back with it. Each is a row of t_revert_blockers with a reason; any row refuses the
-- revert ("revert that one first"). "Later imports" are the committed, not reverted, imports after B.
--   references     a row B neither created nor changed refers to a row B created (a foreign key):
--                  deleting B's row would delete, or orphan, the other
--   ledger         a later import recorded a source row as a row B created (a later users.json
--                  version of a user B wrote), or observed a model B created
--   changed        a later import changed a row B created or changed: putting B's image back
--                  would undo that import's change too
--   duplicates     a later import counted records as duplicates of B's rows, or read a grown file
--                  from where B's content ended: its files would stay "imported" with those rows gone
--   configuration  a later import observed a model whose configuration history B also observed:
--                  the history it rebuilt included B's observations
-- A later import that found one of B's files already imported (the same bytes) is no blocker: the
-- revert forgets B's file contents, so importing that file again reads it.
CREATE TEMP TABLE t_revert_blockers (
    reason       text NOT NULL,
    target_table text NOT NULL,
    key          text NOT NULL,
    detail       text NOT NULL
) ON COMMIT DROP;

-- The import and the range of the ids of the rows it created.
CREATE TEMP TABLE t_revert_target ON COMMIT DROP AS
SELECT current_setting('bellatrix_migrate.revert_id')::bigint AS id,
       current_setting('bellatrix_migrate.revert_prefix') AS prefix,
       (current_setting('bellatrix_migrate.revert_prefix') || '000000000000')::uuid AS lo,
       (current_setting('bellatrix_migrate.revert_prefix') || 'ffffffffffff')::uuid AS hi;

CREATE TEMP TABLE t_revert_later ON COMMIT DROP AS
SELECT id FROM bellatrix_migrate.imports
WHERE id > current_setting('bellatrix_migrate.revert_id')::bigint AND outcome = 'committed';

DO $$
DECLARE
    b  bigint := current_setting('bellatrix_migrate.revert_id')::bigint;
    lo uuid := (current_setting('bellatrix_migrate.revert_prefix') || '000000000000')::uuid;
    hi uuid := (current_setting('bellatrix_migrate.revert_prefix') || 'ffffffffffff')::uuid;
    fk record;
BEGIN
    -- Every single-column foreign key between production tables, found in the catalogs, so that a
    -- key the schema gains later is covered too; and those of the migrator's similarity rows (a
    -- later score row's two source rows). At most 100 rows per key are named.
    FOR fk IN
        SELECT format('%I.%I', cn.nspname, c.relname) AS child, a.attname AS col,
               format('%I.%I', pn.nspname, p.relname) AS parent
        FROM pg_constraint k
        JOIN pg_class c ON c.oid = k.conrelid
        JOIN pg_namespace cn ON cn.oid = c.relnamespace
        JOIN pg_class p ON p.oid = k.confrelid
        JOIN pg_namespace pn ON pn.oid = p.relnamespace
        JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = k.conkey[1]
        WHERE k.contype = 'f' AND cardinality(k.conkey) = 1
          AND (cn.nspname = 'public' OR (cn.nspname = 'bellatrix_migrate' AND c.relname = 'similarity'))
          AND pn.nspname = 'public'
    LOOP
        EXECUTE format(
            'INSERT INTO t_revert_blockers (reason, target_table, key, detail) '
            'SELECT ''references'', %1$L, c.id::text, '
            '       format(''%%s %%s, written by %%s, refers (%%s) to %%s %%s, which import %%s created'', '
            '              %1$L, c.id, COALESCE(''import '' || w.id, ''the application or an import before migration 0010''), '
            '              %2$L, %3$L, c.%2$I, $1) '
            'FROM %1$s c '
            'LEFT JOIN LATERAL (SELECT i.id FROM bellatrix_migrate.imports i '
            '                   WHERE starts_with(c.id::text, i.id_prefix) LIMIT 1) w ON true '
            'WHERE c.%2$I BETWEEN $2 AND $3 AND NOT (c.id BETWEEN $2 AND $3) '
            '  AND NOT EXISTS (SELECT 1 FROM bellatrix_migrate.row_images i '
            '                  WHERE i.import_id = $1 AND i.target_table = %1$L AND i.key = c.id::text) '
            'LIMIT 100', fk.child, fk.col, fk.parent)
        USING b, lo, hi;
    END LOOP;
END
$$;

INSERT INTO t_revert_blockers (reason, target_table, key, detail)
(SELECT 'ledger', 'bellatrix_migrate.row_sources', r.source_key,
        format('import %s recorded its %s record %s:%s as %s %s, which import %s created',
               r.import_id, r.kind, r.file, r.line, r.target_table, r.target_id, g.id)
 FROM bellatrix_migrate.row_sources r
 JOIN t_revert_later l ON l.id = r.import_id
 JOIN t_revert_target g ON r.target_id BETWEEN g.lo AND g.hi
 LIMIT 100)
UNION ALL
(SELECT 'ledger', 'bellatrix_migrate.config_observations', o.source_key,
        format('import %s observed model %s (%s:%s), which import %s created',
               o.import_id, o.model_id, o.file, o.line, g.id)
 FROM bellatrix_migrate.config_observations o
 JOIN t_revert_later l ON l.id = o.import_id
 JOIN t_revert_target g ON o.model_id BETWEEN g.lo AND g.hi
 LIMIT 100);

INSERT INTO t_revert_blockers (reason, target_table, key, detail)
SELECT 'changed', i.target_table, i.key,
       format('import %s changed %s %s, which import %s %s', i.import_id, i.target_table, i.key,
              current_setting('bellatrix_migrate.revert_id'),
              CASE WHEN mine.op IS NULL THEN 'created' ELSE 'changed' END)
FROM bellatrix_migrate.row_images i
JOIN t_revert_later l ON l.id = i.import_id
LEFT JOIN bellatrix_migrate.row_images mine
       ON mine.import_id = current_setting('bellatrix_migrate.revert_id')::bigint
      AND mine.target_table = i.target_table AND mine.key = i.key
WHERE i.target_table <> 'bellatrix_migrate.files'
  AND (mine.op IS NOT NULL
       OR (i.key_column = 'id' AND starts_with(i.key, current_setting('bellatrix_migrate.revert_prefix')))
       OR (i.target_table = 'bellatrix_migrate.row_sources' AND EXISTS (
               SELECT 1 FROM bellatrix_migrate.row_sources r
               WHERE r.source_key = i.key AND r.import_id = current_setting('bellatrix_migrate.revert_id')::bigint))
       OR (i.target_table = 'bellatrix_migrate.config_observations' AND EXISTS (
               SELECT 1 FROM bellatrix_migrate.config_observations o
               WHERE o.source_key = i.key AND o.import_id = current_setting('bellatrix_migrate.revert_id')::bigint)))
LIMIT 100;

INSERT INTO t_revert_blockers (reason, target_table, key, detail)
SELECT 'duplicates', 'bellatrix_migrate.imports', l.id::text,
       format('import %s counted %s records of %s as duplicates of rows import %s wrote (in %s)',
              l.id, g ->> 'count', g ->> 'file', current_setting('bellatrix_migrate.revert_id'), g ->> 'of_file')
FROM t_revert_later l
JOIN bellatrix_migrate.imports i ON i.id = l.id
CROSS JOIN LATERAL jsonb_array_elements(COALESCE(i.report -> 'duplicate_groups', '[]')) g
WHERE (g ->> 'of_import')::bigint = current_setting('bellatrix_migrate.revert_id')::bigint
  AND NOT COALESCE((g ->> 'whole_file')::boolean, false)
UNION ALL
SELECT 'duplicates', 'bellatrix_migrate.imports', l.id::text,
       format('import %s read %s from where the content import %s recorded ends (%s bytes)',
              l.id, f ->> 'path', current_setting('bellatrix_migrate.revert_id'), f -> 'resumed' ->> 'bytes')
FROM t_revert_later l
JOIN bellatrix_migrate.imports i ON i.id = l.id
CROSS JOIN LATERAL jsonb_array_elements(COALESCE(i.report -> 'files', '[]')) f
WHERE (f -> 'resumed' ->> 'import_id')::bigint = current_setting('bellatrix_migrate.revert_id')::bigint;

INSERT INTO t_revert_blockers (reason, target_table, key, detail)
SELECT DISTINCT ON (o.model_id, o.import_id)
       'configuration', 'bellatrix_migrate.config_observations', o.source_key,
       format('import %s observed model %s (%s:%s), whose configuration history import %s also observed',
              o.import_id, o.model_id, o.file, o.line, current_setting('bellatrix_migrate.revert_id'))
FROM bellatrix_migrate.config_observations o
JOIN t_revert_later l ON l.id = o.import_id
WHERE o.model_id IN (SELECT model_id FROM bellatrix_migrate.config_observations
                     WHERE import_id = current_setting('bellatrix_migrate.revert_id')::bigint)
ORDER BY o.model_id, o.import_id, o.source_key
LIMIT 100;
