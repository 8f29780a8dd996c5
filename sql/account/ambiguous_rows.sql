-- New rows of this import read with a tie-break decision (the row shape or the backslashes could be
-- read two ways; the reader's choice is in the row's metadata), for the reviewer.
SELECT count(*) FROM t_rows WHERE new_id IS NOT NULL AND (metadata ? 'shape_ambiguous' OR metadata ? 'backslash_ambiguous')
