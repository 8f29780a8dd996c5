-- Takes import B (`bellatrix_migrate.revert_id`, the prefix of its ids in
-- `bellatrix_migrate.revert_prefix`) back, in the revert's one transaction, once blockers.sql found
-- nothing that depends on it. What each step did goes to t_revert_done (step, table, rows), for the
-- report; a dry run does the same and rolls back, so its figures are the revert's.
--   1. reinserted  the earlier rows B deleted (a placeholder prompt nothing used any more, a model
--                  merged into another), from their images, parents before children
--   2. restored    the earlier rows B changed (re-linked metric rows, a prompt's attributes, run
--                  counters and aggregates, models, prices, users, ledger rows), every column put
--                  back as it was before B (`updated_at` aside: the tables' triggers set it to now)
--   3. deleted     the rows B created (their ids carry its prefix), children before parents; B's
--                  ledger rows, changes and configuration observations; the file contents it
--                  recorded first, so that importing those files again reads them
-- The migrator's similarity rows go with their score rows (a foreign key ON DELETE CASCADE), and
-- come back or get their columns back from their images like the ledger's.
-- Run counters and aggregates need no recomputation of their own: those of runs B created go with
-- the runs, and those B changed get their images back; the checks that follow recompute them.
CREATE TEMP TABLE t_revert_done (step text NOT NULL, target_table text NOT NULL, n bigint NOT NULL) ON COMMIT DROP;

DO $$
DECLARE
    b  bigint := current_setting('bellatrix_migrate.revert_id')::bigint;
    lo uuid := (current_setting('bellatrix_migrate.revert_prefix') || '000000000000')::uuid;
    hi uuid := (current_setting('bellatrix_migrate.revert_prefix') || 'ffffffffffff')::uuid;
    production text[] := ARRAY['public.users', 'public.model_providers', 'public.models',
                               'public.model_pricing', 'public.model_generation_params',
                               'public.prompts', 'public.evaluation_runs', 'public.evaluation_metrics',
                               'public.master_model_evaluations', 'public.model_aggregated_metrics',
                               'public.similarity_scores', 'public.cloudwatch_log_entries',
                               'public.audit_log'];
    ledger text[] := ARRAY['bellatrix_migrate.config_observations', 'bellatrix_migrate.row_sources',
                           'bellatrix_migrate.files', 'bellatrix_migrate.similarity'];
    t text;
    key_column text;
    cols text;
    n bigint;
BEGIN
    FOREACH t IN ARRAY production || ledger LOOP
        EXECUTE format(
            'INSERT INTO %1$s SELECT (jsonb_populate_record(NULL::%1$s, image)).* '
            'FROM bellatrix_migrate.row_images WHERE import_id = $1 AND target_table = $2 AND op = ''D''', t)
        USING b, t;
        GET DIAGNOSTICS n = ROW_COUNT;
        INSERT INTO t_revert_done VALUES ('reinserted', t, n);
    END LOOP;

    FOREACH t IN ARRAY production || ledger LOOP
        SELECT i.key_column INTO key_column FROM bellatrix_migrate.row_images i
        WHERE i.import_id = b AND i.target_table = t AND i.op = 'U' LIMIT 1;
        IF key_column IS NULL THEN
            INSERT INTO t_revert_done VALUES ('restored', t, 0);
            CONTINUE;
        END IF;
        SELECT string_agg(format('%I', a.attname), ', ' ORDER BY a.attnum) INTO cols
        FROM pg_attribute a
        WHERE a.attrelid = t::regclass AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = '';
        EXECUTE format(
            'UPDATE %1$s t SET (%2$s) = ROW(%3$s) '
            'FROM (SELECT (jsonb_populate_record(NULL::%1$s, image)).* FROM bellatrix_migrate.row_images '
            '      WHERE import_id = $1 AND target_table = $2 AND op = ''U'') r '
            'WHERE t.%4$I = r.%4$I',
            t, cols, (SELECT string_agg('r.' || c, ', ') FROM unnest(string_to_array(cols, ', ')) c),
            key_column)
        USING b, t;
        GET DIAGNOSTICS n = ROW_COUNT;
        INSERT INTO t_revert_done VALUES ('restored', t, n);
    END LOOP;

    FOREACH t IN ARRAY (SELECT array_agg(x ORDER BY o DESC) FROM unnest(production) WITH ORDINALITY u (x, o)) LOOP
        EXECUTE format('DELETE FROM %s WHERE id BETWEEN $1 AND $2', t) USING lo, hi;
        GET DIAGNOSTICS n = ROW_COUNT;
        INSERT INTO t_revert_done VALUES ('deleted', t, n);
    END LOOP;
    -- The import's ledger rows, changes and observations, and the file contents it recorded first.
    FOR t, key_column IN VALUES ('bellatrix_migrate.row_sources', 'import_id'),
                                ('bellatrix_migrate.row_changes', 'import_id'),
                                ('bellatrix_migrate.config_observations', 'import_id'),
                                ('bellatrix_migrate.files', 'first_import') LOOP
        EXECUTE format('DELETE FROM %s WHERE %I = $1', t, key_column) USING b;
        GET DIAGNOSTICS n = ROW_COUNT;
        INSERT INTO t_revert_done VALUES ('deleted', t, n);
    END LOOP;
    DELETE FROM bellatrix_migrate.row_images WHERE import_id = b;
END
$$;
