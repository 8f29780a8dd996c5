-- Sizes of file contents already imported: only files of these sizes need hashing before reading.
SELECT DISTINCT size FROM bellatrix_migrate.files;
