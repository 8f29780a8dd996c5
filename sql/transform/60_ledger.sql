-- Records, for every production row written, the natural key of its source row, so that no later
-- import writes it again. In key order: the keys are hashes, so in any other order each insert lands
-- on a random page of the ledger's primary-key index; sorted, they fill it page by page (a million
-- rows: 13 s unsorted, 8.5 s sorted, the sort included). A raw_metrics row keeps where its record
-- starts in the file, for verify to seek to.
INSERT INTO bellatrix_migrate.row_sources (source_key, kind, target_table, target_id, import_id, file, line, byte_offset)
SELECT t.source_key, CASE WHEN t.run_origin = 'root_results' THEN 'results_detailed' ELSE 'raw_metrics' END,
       CASE WHEN t.is_master THEN 'master_model_evaluations' ELSE 'evaluation_metrics' END,
       t.new_id, current_setting('bellatrix_migrate.import_id')::bigint, t.file_path, t.line, t.byte_offset
FROM t_rows t
WHERE t.new_id IS NOT NULL
ORDER BY t.source_key;

-- Bedrock log entries, users and configuration entries, by their natural keys. A users.json record
-- that updated a user is recorded too, pointing at that user, so that it is known next time.
INSERT INTO bellatrix_migrate.row_sources (source_key, kind, target_table, target_id, import_id, file, line)
SELECT source_key, 'bedrock_log', 'cloudwatch_log_entries', new_id,
       current_setting('bellatrix_migrate.import_id')::bigint, file_path, line
FROM t_log_rows WHERE new_id IS NOT NULL;

INSERT INTO bellatrix_migrate.row_sources (source_key, kind, target_table, target_id, import_id, file, line)
SELECT source_key, 'users_json', 'users', COALESCE(new_id, updated_id),
       current_setting('bellatrix_migrate.import_id')::bigint, file_path, line
FROM t_user_rows WHERE new_id IS NOT NULL OR updated_id IS NOT NULL;

-- The login events of users.json records (49_logins.sql), by their natural key: the user and the
-- instant, with the first record that showed it.
INSERT INTO bellatrix_migrate.row_sources (source_key, kind, target_table, target_id, import_id, file, line)
SELECT source_key, 'users_json', 'audit_log', new_id,
       current_setting('bellatrix_migrate.import_id')::bigint, file_path, line
FROM t_logins WHERE new_id IS NOT NULL;

INSERT INTO bellatrix_migrate.row_sources (source_key, kind, target_table, target_id, import_id, file, line)
SELECT source_key, kind, 'models', model_uuid,
       current_setting('bellatrix_migrate.import_id')::bigint, file_path, line
FROM t_cfg WHERE is_new;

-- A prompt's natural key is its hash: whichever source created it is recorded.
INSERT INTO bellatrix_migrate.row_sources (source_key, kind, target_table, target_id, import_id, file, line)
SELECT 'prompt:' || w.prompt_hash, w.kind, 'prompts', n.id,
       current_setting('bellatrix_migrate.import_id')::bigint, w.file_path, w.line
FROM t_prompt_winners w
JOIN t_new_prompts n ON n.prompt_hash = w.prompt_hash
ON CONFLICT (source_key) DO NOTHING;
