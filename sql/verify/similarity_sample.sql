-- similarity_recomputed: the next batch of sampled score rows with their two responses, for the
-- client to score again (src/verify/similarity.rs). Keyset pages in id order (the primary key), so
-- memory holds one batch whatever the sample; each row in scope is taken with probability
-- $2 / $3 (all when $2 is NULL or not below $3), the rule of text_fidelity's sample.
-- $1: the import whose computed scores to check, or NULL for every score row; $2: the sample size,
-- NULL for all; $3: the rows in scope; $4: the last id of the previous batch (the nil UUID first);
-- $5: the batch size.
SELECT x.id, m.response_text AS master, e.response_text AS candidate
FROM bellatrix_migrate.similarity x
JOIN master_model_evaluations m ON m.id = x.master_id
JOIN evaluation_metrics e ON e.id = x.candidate_id
WHERE ($1::bigint IS NULL OR x.import_id = $1)
  AND x.id > $4::uuid
  AND ($2::bigint IS NULL OR $2::bigint >= $3::bigint OR random() < $2::float8 / GREATEST($3::float8, 1))
ORDER BY x.id
LIMIT $5::bigint;
