-- Rebuilds model_pricing and model_generation_params history for every model a new configuration
-- entry touched, from all its observations (this import's and earlier ones'):
-- * observations ordered by effective date (a models.yaml observation wins over a config.py one of
--   the same date); a segment starts where the values change; it ends where the next one starts
--   (NULL for the last: the current row, which v_current_model_pricing shows).
-- * an existing row with the segment's values that starts inside the segment is adopted (its dates
--   are corrected) rather than duplicated; missing segments are inserted.
-- * finally any still-open row that a later row supersedes is closed at the later row's start.
CREATE TEMP TABLE t_cfg_models ON COMMIT DROP AS
SELECT DISTINCT model_uuid AS id FROM t_cfg WHERE is_new;

CREATE TEMP TABLE t_pricing_changes (id uuid, inserted boolean) ON COMMIT DROP;
CREATE TEMP TABLE t_params_changes (id uuid, inserted boolean) ON COMMIT DROP;

CREATE TEMP TABLE t_price_segments ON COMMIT DROP AS
WITH obs AS (
    SELECT DISTINCT ON (model_id, effective_from) model_id, effective_from, price_in, price_out
    FROM bellatrix_migrate.config_observations
    WHERE model_id IN (SELECT id FROM t_cfg_models) AND price_in IS NOT NULL AND price_out IS NOT NULL
    ORDER BY model_id, effective_from, kind = 'models_yaml' DESC, source_key
), marked AS (
    SELECT o.*, lag(price_in) OVER w AS prev_in, lag(price_out) OVER w AS prev_out
    FROM obs o WINDOW w AS (PARTITION BY model_id ORDER BY effective_from)
), starts AS (
    SELECT * FROM marked WHERE prev_in IS NULL OR prev_in <> price_in OR prev_out <> price_out
)
SELECT model_id, effective_from AS seg_from,
       lead(effective_from) OVER (PARTITION BY model_id ORDER BY effective_from) AS seg_to,
       price_in, price_out, NULL::uuid AS row_id
FROM starts;

UPDATE t_price_segments s
SET row_id = (
    SELECT mp.id FROM model_pricing mp
    WHERE mp.model_id = s.model_id
      AND mp.input_per_1k_tokens_usd = s.price_in AND mp.output_per_1k_tokens_usd = s.price_out
      AND mp.effective_from >= s.seg_from AND (s.seg_to IS NULL OR mp.effective_from < s.seg_to)
    ORDER BY mp.effective_from, mp.id
    LIMIT 1);

WITH changed AS (
    UPDATE model_pricing mp SET effective_from = s.seg_from, effective_to = s.seg_to
    FROM t_price_segments s
    WHERE mp.id = s.row_id
      AND (mp.effective_from IS DISTINCT FROM s.seg_from OR mp.effective_to IS DISTINCT FROM s.seg_to)
    RETURNING mp.id
)
INSERT INTO t_pricing_changes SELECT id, FALSE FROM changed;

WITH inserted AS (
    INSERT INTO model_pricing (id, model_id, input_per_1k_tokens_usd, output_per_1k_tokens_usd,
                               effective_from, effective_to, created_at)
    SELECT gen_random_uuid(), model_id, price_in, price_out, seg_from, seg_to, CURRENT_TIMESTAMP
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
WITH obs AS (
    SELECT DISTINCT ON (model_id, effective_from) model_id, effective_from, max_tokens, temperature, top_p
    FROM bellatrix_migrate.config_observations
    WHERE model_id IN (SELECT id FROM t_cfg_models)
      AND (max_tokens IS NOT NULL OR temperature IS NOT NULL OR top_p IS NOT NULL)
    ORDER BY model_id, effective_from, kind = 'models_yaml' DESC, source_key
), marked AS (
    SELECT o.*,
           lag(ROW(max_tokens, temperature, top_p)::text) OVER w AS prev,
           ROW(max_tokens, temperature, top_p)::text AS cur
    FROM obs o WINDOW w AS (PARTITION BY model_id ORDER BY effective_from)
), starts AS (
    SELECT * FROM marked WHERE prev IS NULL OR prev <> cur
)
SELECT model_id, effective_from AS seg_from,
       lead(effective_from) OVER (PARTITION BY model_id ORDER BY effective_from) AS seg_to,
       max_tokens, temperature, top_p, NULL::uuid AS row_id
FROM starts;

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

WITH changed AS (
    UPDATE model_generation_params gp SET effective_from = s.seg_from, effective_to = s.seg_to
    FROM t_param_segments s
    WHERE gp.id = s.row_id
      AND (gp.effective_from IS DISTINCT FROM s.seg_from OR gp.effective_to IS DISTINCT FROM s.seg_to)
    RETURNING gp.id
)
INSERT INTO t_params_changes SELECT id, FALSE FROM changed;

-- Missing values stay NULL (config.py had no top_p): the legacy loader's invented defaults are not
-- copied, so the columns' DEFAULTs are bypassed on purpose.
WITH inserted AS (
    INSERT INTO model_generation_params (id, model_id, max_tokens, temperature, top_p, effective_from,
                                         effective_to, created_at)
    SELECT gen_random_uuid(), model_id, max_tokens, temperature, top_p, seg_from, seg_to, CURRENT_TIMESTAMP
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
