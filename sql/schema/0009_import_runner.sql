-- Who ran each import (`bellatrix-migrate history`): the role (`current_user`) and the
-- `application_name` of the session that wrote its row in the ledger. Both are column defaults, so
-- every path that records an import (a committed one registered by the transform, a dry run or a
-- rolled-back one recorded after its rollback) fills them from its own session at import time.
-- Imports recorded before this migration keep NULL there, which `history` shows as "unknown": the
-- columns are added first without a default, because ADD COLUMN ... DEFAULT would fill the existing
-- rows with whoever runs `init`, which would be wrong.
ALTER TABLE bellatrix_migrate.imports
    ADD COLUMN IF NOT EXISTS run_by TEXT,
    ADD COLUMN IF NOT EXISTS application_name TEXT;

ALTER TABLE bellatrix_migrate.imports
    ALTER COLUMN run_by SET DEFAULT current_user,
    ALTER COLUMN application_name SET DEFAULT current_setting('application_name');
