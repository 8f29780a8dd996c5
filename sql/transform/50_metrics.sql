-- Moves the new rows into production: ordinary rows to evaluation_metrics, `Master: ` rows to
-- master_model_evaluations (their run is optional). Ids were assigned in 10_rows.sql so the ledger
-- can name each production row. Texts come from the staged row itself (t_rows leaves them out).
INSERT INTO evaluation_metrics (id, run_id, model_id, prompt_id, user_id, input_tokens, output_tokens,
                                latency_ms, cost_usd_input, cost_usd_output, cost_usd_total, json_valid,
                                response_text, cleaned_response, original_response, status, error_message,
                                evaluated_at, created_at, metadata)
SELECT t.new_id, r.id, k.model_uuid, p.id, NULL, t.input_tokens, t.output_tokens,
       t.latency_ms, t.cost_usd_input, t.cost_usd_output, t.cost_usd_total, t.json_valid,
       s.response_text, NULL, NULL, t.status, s.error_message,
       t.evaluated_at, CURRENT_TIMESTAMP, t.metadata
FROM t_rows t
JOIN bellatrix_migrate.stage_raw_metrics s ON s.ctid = t.stage_ctid
JOIN evaluation_runs r ON r.run_id = t.run_id
JOIN t_model_keys k ON k.model_key = t.model_key
JOIN t_prompt_ids p ON p.prompt_hash = t.prompt_hash
WHERE t.new_id IS NOT NULL AND NOT t.is_master;

INSERT INTO master_model_evaluations (id, run_id, prompt_id, model_id, user_id, input_tokens,
                                      output_tokens, latency_ms, response_text, status, error_message,
                                      evaluated_at, created_at, metadata)
SELECT t.new_id, r.id, p.id, k.model_uuid, NULL, t.input_tokens, t.output_tokens, t.latency_ms,
       COALESCE(s.response_text, ''), t.status, s.error_message, t.evaluated_at, CURRENT_TIMESTAMP,
       t.metadata || jsonb_build_object('cost_usd_total', t.cost_usd_total,
                                        'cost_usd_input', t.cost_usd_input,
                                        'cost_usd_output', t.cost_usd_output,
                                        'json_valid', t.json_valid)
FROM t_rows t
JOIN bellatrix_migrate.stage_raw_metrics s ON s.ctid = t.stage_ctid
LEFT JOIN evaluation_runs r ON r.run_id = t.run_id
JOIN t_model_keys k ON k.model_key = t.model_key
JOIN t_prompt_ids p ON p.prompt_hash = t.prompt_hash
WHERE t.new_id IS NOT NULL AND t.is_master;
