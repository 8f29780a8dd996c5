-- The imported contents a file grown by appends may continue: those that ended with a whole record
-- and its line ending (a resume point), of the kinds read from a resume point (raw_metrics).
SELECT sha256, size, last_import, kind, variant, records, rejected, resume_line_ends,
       resume_first_crlf, last_path
FROM bellatrix_migrate.files
WHERE resume_line_ends IS NOT NULL AND kind = 'raw_metrics';
