-- similarity_recomputed: the score rows whose stored values differ from the client's recomputation,
-- and which columns differ. The recomputed values arrive as arrays (one element per row), the
-- floats as the exact doubles the similarity step wrote, and are stored-side rounded exactly as
-- sql/similarity/apply.sql rounded them: round(x::numeric, 4) for cosine and jaccard,
-- round(x::numeric, 2) for the fuzzy ratio; the percentage as the text the step copied in.
-- $1 ids, $2 comparison_method, $3 score, $4 similarity_percent (text), $5 cosine, $6 jaccard,
-- $7 fuzzy ratio (NULL where the method computed none), $8 matching notes, $9 total notes,
-- $10 lenient_scan.
SELECT r.id, d.differs
FROM unnest($1::uuid[], $2::text[], $3::float8[], $4::text[], $5::float8[], $6::float8[],
            $7::float8[], $8::integer[], $9::integer[], $10::boolean[])
     AS r(id, method, score, percent, cosine, jaccard, fuzzy, matching, total, lenient_scan)
LEFT JOIN bellatrix_migrate.similarity x ON x.id = r.id
LEFT JOIN similarity_scores s ON s.id = r.id
CROSS JOIN LATERAL (
    SELECT array_remove(ARRAY[
        CASE WHEN x.id IS NULL OR s.id IS NULL THEN 'row gone' END,
        CASE WHEN s.comparison_method IS DISTINCT FROM r.method THEN 'comparison_method' END,
        CASE WHEN x.score IS DISTINCT FROM r.score THEN 'score' END,
        CASE WHEN x.similarity_percent IS DISTINCT FROM r.percent::numeric THEN 'similarity_percent' END,
        CASE WHEN x.matching_notes IS DISTINCT FROM r.matching THEN 'matching_notes' END,
        CASE WHEN x.total_notes IS DISTINCT FROM r.total THEN 'total_notes' END,
        CASE WHEN x.lenient_scan IS DISTINCT FROM r.lenient_scan THEN 'lenient_scan' END,
        CASE WHEN s.cosine_similarity IS DISTINCT FROM round(r.cosine::numeric, 4) THEN 'cosine_similarity' END,
        CASE WHEN s.jaccard_similarity IS DISTINCT FROM round(r.jaccard::numeric, 4) THEN 'jaccard_similarity' END,
        CASE WHEN s.fuzzy_ratio IS DISTINCT FROM round(r.fuzzy::numeric, 2) THEN 'fuzzy_ratio' END,
        CASE WHEN s.semantic_similarity IS NOT NULL THEN 'semantic_similarity' END
    ], NULL) AS differs
) d
WHERE cardinality(d.differs) > 0
ORDER BY r.id;
