-- Grown files and byte offsets (docs/decisions.md, "Grown files").
-- * files.resume_line_ends: set when the content ends with a whole record and its line ending,
--   outside any quoted field: a later file that begins with exactly these bytes (its first `size`
--   bytes have this SHA-256) is read only from there, its records numbered from line
--   resume_line_ends + 1. resume_first_crlf is the offset of the content's first CRLF line ending
--   (NULL: none), which the reader of what follows needs (the doubled-backslash window). NULL
--   resume_line_ends (contents of other kinds, one cut short, or recorded before this migration):
--   such a file is read completely, as before.
-- * row_sources.byte_offset: where a raw_metrics row's source record starts in its file, so that
--   verify's fidelity re-read seeks to a sampled record instead of reading the file; NULL for rows
--   of other kinds and rows imported before this migration (read sequentially as before).
ALTER TABLE bellatrix_migrate.files
    ADD COLUMN IF NOT EXISTS resume_line_ends BIGINT,
    ADD COLUMN IF NOT EXISTS resume_first_crlf BIGINT;

ALTER TABLE bellatrix_migrate.row_sources
    ADD COLUMN IF NOT EXISTS byte_offset BIGINT;

ALTER TABLE bellatrix_migrate.stage_raw_metrics
    ADD COLUMN IF NOT EXISTS byte_offset BIGINT;

ALTER TABLE bellatrix_migrate.stage_files
    ADD COLUMN IF NOT EXISTS resume_line_ends BIGINT,
    ADD COLUMN IF NOT EXISTS resume_first_crlf BIGINT;
