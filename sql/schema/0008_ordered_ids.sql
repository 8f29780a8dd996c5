-- Time-ordered ids for the rows the migrator writes (docs/decisions.md#time-ordered-ids).
-- A random UUID (gen_random_uuid) lands on a random page of its primary-key index, so a load of a
-- million rows touches the whole index a million times; ids that grow in the order rows are
-- inserted always land on the index's rightmost page, which PostgreSQL appends to without a search.
-- The ids are UUID version 7 (RFC 9562): the first 48 bits are the import's start in Unix
-- milliseconds, then the version and 12 random bits, the variant and 14 random bits, then a 48-bit
-- counter (RFC 9562's "fixed bit-length dedicated counter"), taken from one sequence so that no two
-- ids of one import are equal. The first 80 bits are chosen once per import (set in
-- `bellatrix_migrate.id_prefix` for its transaction), so ids also grow from one import to the next.
CREATE SEQUENCE IF NOT EXISTS bellatrix_migrate.id_counter;

CREATE OR REPLACE FUNCTION bellatrix_migrate.ordered_id() RETURNS uuid
LANGUAGE sql VOLATILE
AS $$
    SELECT (current_setting('bellatrix_migrate.id_prefix')
            || lpad(to_hex(nextval('bellatrix_migrate.id_counter') % 281474976710656), 12, '0'))::uuid
$$;
