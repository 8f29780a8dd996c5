-- Rebuilds model_pricing and model_generation_params history of the models 15_config_models.sql
-- decided again (t_cfg_models), from all their observations (t_cfg_obs, with effective dates), so
-- the history is the same whatever order the versions were imported in (docs/decisions.md,
-- "Configuration history"):
-- * per model, the observations in effective-date order (one per date: a models.yaml observation
--   before a config.py one, then the latest key); a segment starts where the values change and ends
--   where the next one starts (NULL for the last: the current row, which v_current_model_pricing shows).
-- * a models.yaml version that no longer lists a model an earlier version listed ends its segment at
--   that version's date (the model is inactive, 15); a later version listing it again starts a new one.
-- * existing rows are adopted rather than duplicated: first a row with the segment's values that starts
--   inside it, then any other row with those values, then any other row of the model (its values and
--   dates corrected); missing segments are inserted. So importing the same observations again, in
--   any split, changes nothing.
-- * finally any still-open row that a later row supersedes is closed at the later row's start.
CREATE TEMP TABLE t_pricing_changes (id uuid, inserted boolean) ON COMMIT DROP;
CREATE TEMP TABLE t_params_changes (id uuid, inserted boolean) ON COMMIT DROP;

-- Where each model is missing from a models.yaml version after one that listed it.
CREATE TEMP TABLE t_cfg_absent ON COMMIT DROP AS
WITH versions AS (
    SELECT DISTINCT effective_from AS v FROM bellatrix_migrate.config_observations WHERE kind = 'models_yaml'
), listed AS (
    SELECT model_id, min(effective_from) AS first_listed FROM t_cfg_obs WHERE kind = 'models_yaml' GROUP BY model_id
)
SELECT l.model_id, v.v AS eff
FROM listed l JOIN versions v ON v.v > l.first_listed
WHERE NOT EXISTS (SELECT 1 FROM t_cfg_obs o
                  WHERE o.model_id = l.model_id AND o.kind = 'models_yaml' AND o.effective_from = v.v);

CREATE TEMP TABLE t_price_segments ON COMMIT DROP AS
WITH points AS (
    SELECT * FROM (
        SELECT DISTINCT ON (model_id, eff) model_id, eff, FALSE AS absent, price_in, price_out
        FROM t_cfg_obs
        WHERE price_in IS NOT NULL AND price_out IS NOT NULL
        ORDER BY model_id, eff, kind = 'models_yaml' DESC, source_key DESC) observed
    UNION ALL
    SELECT model_id, eff, TRUE, NULL, NULL FROM t_cfg_absent
), marked AS (
    SELECT p.*, lag(ROW(absent, price_in, price_out)::text) OVER w AS prev,
           ROW(absent, price_in, price_out)::text AS cur
    FROM points p WINDOW w AS (PARTITION BY model_id ORDER BY eff)
), spans AS (
    SELECT model_id, eff AS seg_from, lead(eff) OVER (PARTITION BY model_id ORDER BY eff) AS seg_to,
           absent, price_in, price_out
    FROM marked WHERE prev IS NULL OR prev <> cur
)
SELECT model_id, seg_from, seg_to, price_in, price_out, NULL::uuid AS row_id
FROM spans WHERE NOT absent;

UPDATE t_price_segments s
SET row_id = (
    SELECT mp.id FROM model_pricing mp
    WHERE mp.model_id = s.model_id
      AND mp.input_per_1k_tokens_usd = s.price_in AND mp.output_per_1k_tokens_usd = s.price_out
      AND mp.effective_from >= s.seg_from AND (s.seg_to IS NULL OR mp.effective_from < s.seg_to)
    ORDER BY mp.effective_from, mp.id
    LIMIT 1);

-- Rows not adopted yet, paired in date order with the segments still without a row: those with the
-- same values first, then any.
WITH free_rows AS (
    SELECT mp.id, mp.model_id,
           row_number() OVER (PARTITION BY mp.model_id, mp.input_per_1k_tokens_usd, mp.output_per_1k_tokens_usd
                              ORDER BY mp.effective_from, mp.id) AS n,
           mp.input_per_1k_tokens_usd AS price_in, mp.output_per_1k_tokens_usd AS price_out
    FROM model_pricing mp
    WHERE mp.model_id IN (SELECT model_id FROM t_price_segments)
      AND NOT EXISTS (SELECT 1 FROM t_price_segments s WHERE s.row_id = mp.id)
), free_segments AS (
    SELECT model_id, seg_from, price_in, price_out,
           row_number() OVER (PARTITION BY model_id, price_in, price_out ORDER BY seg_from) AS n
    FROM t_price_segments WHERE row_id IS NULL
)
UPDATE t_price_segments s SET row_id = r.id
FROM free_segments f
JOIN free_rows r ON r.model_id = f.model_id AND r.price_in = f.price_in AND r.price_out = f.price_out AND r.n = f.n
WHERE s.row_id IS NULL AND s.model_id = f.model_id AND s.seg_from = f.seg_from;

WITH free_rows AS (
    SELECT mp.id, mp.model_id, row_number() OVER (PARTITION BY mp.model_id ORDER BY mp.effective_from, mp.id) AS n
    FROM model_pricing mp
    WHERE mp.model_id IN (SELECT model_id FROM t_price_segments)
      AND NOT EXISTS (SELECT 1 FROM t_price_segments s WHERE s.row_id = mp.id)
), free_segments AS (
    SELECT model_id, seg_from, row_number() OVER (PARTITION BY model_id ORDER BY seg_from) AS n
    FROM t_price_segments WHERE row_id IS NULL
)
UPDATE t_price_segments s SET row_id = r.id
FROM free_segments f
JOIN free_rows r ON r.model_id = f.model_id AND r.n = f.n
WHERE s.row_id IS NULL AND s.model_id = f.model_id AND s.seg_from = f.seg_from;

WITH changed AS (
    UPDATE model_pricing mp
    SET effective_from = s.seg_from, effective_to = s.seg_to,
        input_per_1k_tokens_usd = s.price_in, output_per_1k_tokens_usd = s.price_out
    FROM t_price_segments s
    WHERE mp.id = s.row_id
      AND (mp.effective_from, mp.effective_to, mp.input_per_1k_tokens_usd, mp.output_per_1k_tokens_usd)
          IS DISTINCT FROM (s.seg_from, s.seg_to, s.price_in, s.price_out)
    RETURNING mp.id
)
INSERT INTO t_pricing_changes SELECT id, FALSE FROM changed;

WITH inserted AS (
    INSERT INTO model_pricing (id, model_id, input_per_1k_tokens_usd, output_per_1k_tokens_usd,
                               effective_from, effective_to, created_at)
    SELECT bellatrix_migrate.ordered_id(), model_id, price_in, price_out, seg_from, seg_to, CURRENT_TIMESTAMP
    FROM t_price_segments WHERE row_id IS NULL
    RETURNING id
)
INSERT INTO t_pricing_changes SELECT id, TRUE FROM inserted;

WITH ordered AS (
    SELECT id, effective_to,
           lead(effective_from) OVER (PARTITION BY model_id ORDER BY effective_from, id) AS next_from
    FROM model_pricing WHERE model_id IN (SELECT id FROM t_cfg_models)
), closed AS (
    UPDATE model_pricing mp SET effective_to = o.next_from
    FROM ordered o
    WHERE mp.id = o.id AND o.effective_to IS NULL AND o.next_from IS NOT NULL
    RETURNING mp.id
)
INSERT INTO t_pricing_changes SELECT id, FALSE FROM closed;

CREATE TEMP TABLE t_param_segments ON COMMIT DROP AS
WITH points AS (
    SELECT * FROM (
        SELECT DISTINCT ON (model_id, eff) model_id, eff, FALSE AS absent, max_tokens, temperature, top_p
        FROM t_cfg_obs
        WHERE max_tokens IS NOT NULL OR temperature IS NOT NULL OR top_p IS NOT NULL
        ORDER BY model_id, eff, kind = 'models_yaml' DESC, source_key DESC) observed
    UNION ALL
    SELECT model_id, eff, TRUE, NULL, NULL, NULL FROM t_cfg_absent
), marked AS (
    SELECT p.*, lag(ROW(absent, max_tokens, temperature, top_p)::text) OVER w AS prev,
           ROW(absent, max_tokens, temperature, top_p)::text AS cur
    FROM points p WINDOW w AS (PARTITION BY model_id ORDER BY eff)
), spans AS (
    SELECT model_id, eff AS seg_from, lead(eff) OVER (PARTITION BY model_id ORDER BY eff) AS seg_to,
           absent, max_tokens, temperature, top_p
    FROM marked WHERE prev IS NULL OR prev <> cur
)
SELECT model_id, seg_from, seg_to, max_tokens, temperature, top_p, NULL::uuid AS row_id
FROM spans WHERE NOT absent;

UPDATE t_param_segments s
SET row_id = (
    SELECT gp.id FROM model_generation_params gp
    WHERE gp.model_id = s.model_id
      AND gp.max_tokens IS NOT DISTINCT FROM s.max_tokens
      AND gp.temperature IS NOT DISTINCT FROM s.temperature
      AND gp.top_p IS NOT DISTINCT FROM s.top_p
      AND gp.effective_from >= s.seg_from AND (s.seg_to IS NULL OR gp.effective_from < s.seg_to)
    ORDER BY gp.effective_from, gp.id
    LIMIT 1);

WITH free_rows AS (
    SELECT gp.id, gp.model_id, ROW(gp.max_tokens, gp.temperature, gp.top_p)::text AS vals,
           row_number() OVER (PARTITION BY gp.model_id, ROW(gp.max_tokens, gp.temperature, gp.top_p)::text
                              ORDER BY gp.effective_from, gp.id) AS n
    FROM model_generation_params gp
    WHERE gp.model_id IN (SELECT model_id FROM t_param_segments)
      AND NOT EXISTS (SELECT 1 FROM t_param_segments s WHERE s.row_id = gp.id)
), free_segments AS (
    SELECT model_id, seg_from, ROW(max_tokens, temperature, top_p)::text AS vals,
           row_number() OVER (PARTITION BY model_id, ROW(max_tokens, temperature, top_p)::text ORDER BY seg_from) AS n
    FROM t_param_segments WHERE row_id IS NULL
)
UPDATE t_param_segments s SET row_id = r.id
FROM free_segments f
JOIN free_rows r ON r.model_id = f.model_id AND r.vals = f.vals AND r.n = f.n
WHERE s.row_id IS NULL AND s.model_id = f.model_id AND s.seg_from = f.seg_from;

WITH free_rows AS (
    SELECT gp.id, gp.model_id, row_number() OVER (PARTITION BY gp.model_id ORDER BY gp.effective_from, gp.id) AS n
    FROM model_generation_params gp
    WHERE gp.model_id IN (SELECT model_id FROM t_param_segments)
      AND NOT EXISTS (SELECT 1 FROM t_param_segments s WHERE s.row_id = gp.id)
), free_segments AS (
    SELECT model_id, seg_from, row_number() OVER (PARTITION BY model_id ORDER BY seg_from) AS n
    FROM t_param_segments WHERE row_id IS NULL
)
UPDATE t_param_segments s SET row_id = r.id
FROM free_segments f
JOIN free_rows r ON r.model_id = f.model_id AND r.n = f.n
WHERE s.row_id IS NULL AND s.model_id = f.model_id AND s.seg_from = f.seg_from;

WITH changed AS (
    UPDATE model_generation_params gp
    SET effective_from = s.seg_from, effective_to = s.seg_to,
        max_tokens = s.max_tokens, temperature = s.temperature, top_p = s.top_p
    FROM t_param_segments s
    WHERE gp.id = s.row_id
      AND (gp.effective_from, gp.effective_to, gp.max_tokens, gp.temperature, gp.top_p)
          IS DISTINCT FROM (s.seg_from, s.seg_to, s.max_tokens, s.temperature, s.top_p)
    RETURNING gp.id
)
INSERT INTO t_params_changes SELECT id, FALSE FROM changed;

-- Missing values stay NULL (config.py had no top_p): the legacy loader's invented defaults are not
-- copied, so the columns' DEFAULTs are bypassed on purpose.
WITH inserted AS (
    INSERT INTO model_generation_params (id, model_id, max_tokens, temperature, top_p, effective_from,
                                         effective_to, created_at)
    SELECT bellatrix_migrate.ordered_id(), model_id, max_tokens, temperature, top_p, seg_from, seg_to, CURRENT_TIMESTAMP
    FROM t_param_segments WHERE row_id IS NULL
    RETURNING id
)
INSERT INTO t_params_changes SELECT id, TRUE FROM inserted;

WITH ordered AS (
    SELECT id, effective_to,
           lead(effective_from) OVER (PARTITION BY model_id ORDER BY effective_from, id) AS next_from
    FROM model_generation_params WHERE model_id IN (SELECT id FROM t_cfg_models)
), closed AS (
    UPDATE model_generation_params gp SET effective_to = o.next_from
    FROM ordered o
    WHERE gp.id = o.id AND o.effective_to IS NULL AND o.next_from IS NOT NULL
    RETURNING gp.id
)
INSERT INTO t_params_changes SELECT id, FALSE FROM closed;
