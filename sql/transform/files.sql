-- Records the files of this import in the ledger by content hash: new contents with their counts,
-- known contents (skipped as already imported) with this import as their last. A content that
-- ended with a whole record and its line ending keeps where a grown copy of it may be read from.
INSERT INTO bellatrix_migrate.files (sha256, size, kind, variant, records, rejected, last_path, first_import, last_import,
                                     resume_line_ends, resume_first_crlf)
SELECT DISTINCT ON (sha256) sha256, size, kind, variant, records, rejected, path,
       current_setting('bellatrix_migrate.import_id')::bigint,
       current_setting('bellatrix_migrate.import_id')::bigint,
       resume_line_ends, resume_first_crlf
FROM bellatrix_migrate.stage_files
ORDER BY sha256, file_no
ON CONFLICT (sha256) DO UPDATE
SET last_path = EXCLUDED.last_path, last_import = EXCLUDED.last_import;
