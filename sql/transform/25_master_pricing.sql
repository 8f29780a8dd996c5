-- Master (OpenAI) models get the price table hard-coded in the app's master_model_evaluator.py
-- (docs/formats.md#models_yaml), effective from 2025-11-14 when master evaluation appeared. Ids the table
-- does not know (gpt-5) were priced as gpt-3.5-turbo by the app; such models are marked
-- metadata.price_assumed. Only models without any pricing row are priced.
WITH prices (name, price_in, price_out) AS (
    VALUES ('gpt-3.5-turbo', 0.0005, 0.0015), ('chatgpt', 0.0005, 0.0015),
           ('gpt-4', 0.03, 0.06), ('gpt-4-turbo-preview', 0.01, 0.03), ('gpt-4-turbo', 0.01, 0.03),
           ('gpt-4o', 0.005, 0.015)
), targets AS (
    SELECT m.id, p.price_in, p.price_out
    FROM models m LEFT JOIN prices p ON p.name = lower(m.name)
    WHERE m.is_master_model
      AND m.id IN (SELECT model_uuid FROM t_model_keys)
      AND NOT EXISTS (SELECT 1 FROM model_pricing mp WHERE mp.model_id = m.id)
), marked AS (
    UPDATE models m
    SET metadata = COALESCE(m.metadata, '{}'::jsonb) || jsonb_build_object(
        'price_source', 'master_model_evaluator.py price table',
        'price_assumed', t.price_in IS NULL)
    FROM targets t WHERE m.id = t.id
    RETURNING m.id
), inserted AS (
    INSERT INTO model_pricing (id, model_id, input_per_1k_tokens_usd, output_per_1k_tokens_usd,
                               effective_from, effective_to, created_at)
    SELECT bellatrix_migrate.ordered_id(), t.id, COALESCE(t.price_in, 0.0005), COALESCE(t.price_out, 0.0015),
           TIMESTAMPTZ '2025-11-14 00:00:00+00', NULL, CURRENT_TIMESTAMP
    FROM targets t
    RETURNING id
)
INSERT INTO t_pricing_changes SELECT id, TRUE FROM inserted;
