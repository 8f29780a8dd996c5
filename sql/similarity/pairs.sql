-- Finds, for the prompts this run touched, the score rows the database should hold
-- (docs/decisions.md#similarity), and what must change to get there: t_sim_todo lists the pairs the
-- client scores (similarity/stream.sql), t_sim_gone the migrator's score rows no pair holds any more.
-- Settings: `bellatrix_migrate.similarity_window` (seconds a master row may precede its candidate),
-- `bellatrix_migrate.similarity_all` ('on': every prompt, the `similarity` command), and the
-- import's `import_id` and `id_prefix`.
--
-- The prompts touched: those of the metric and master rows this import created (their ids carry its
-- prefix) or changed (re-linked to their real prompt, merged into another model: their images), as
-- they were and as they are. A score depends only on the rows of its prompt, so the other prompts'
-- scores stand. A placeholder prompt has no text: its rows are never paired, only counted.
CREATE TEMP TABLE t_sim_prompts ON COMMIT DROP AS
WITH settings AS (
    SELECT (current_setting('bellatrix_migrate.id_prefix') || '000000000000')::uuid AS lo,
           (current_setting('bellatrix_migrate.id_prefix') || 'ffffffffffff')::uuid AS hi,
           current_setting('bellatrix_migrate.import_id')::bigint AS import_id,
           current_setting('bellatrix_migrate.similarity_all') = 'on' AS all_prompts
), touched AS (
    SELECT e.prompt_id FROM evaluation_metrics e, settings s WHERE e.id BETWEEN s.lo AND s.hi
    UNION
    SELECT m.prompt_id FROM master_model_evaluations m, settings s WHERE m.id BETWEEN s.lo AND s.hi
    UNION
    SELECT changed.prompt_id
    FROM bellatrix_migrate.row_images i
    JOIN settings s ON i.import_id = s.import_id
    CROSS JOIN LATERAL (
        SELECT (i.image ->> 'prompt_id')::uuid
        UNION ALL
        SELECT e.prompt_id FROM evaluation_metrics e
        WHERE i.target_table = 'public.evaluation_metrics' AND e.id = (i.image ->> 'id')::uuid
        UNION ALL
        SELECT m.prompt_id FROM master_model_evaluations m
        WHERE i.target_table = 'public.master_model_evaluations' AND m.id = (i.image ->> 'id')::uuid
    ) changed (prompt_id)
    WHERE i.target_table IN ('public.evaluation_metrics', 'public.master_model_evaluations')
    UNION
    SELECT p.id FROM prompts p, settings s WHERE s.all_prompts
)
SELECT DISTINCT p.id AS prompt_id, p.source_type IS NOT DISTINCT FROM 'legacy_placeholder' AS placeholder
FROM touched t
JOIN prompts p ON p.id = t.prompt_id;
ANALYZE t_sim_prompts;

-- Each candidate (a successful metric row with a non-empty response) and the latest successful
-- master row of its prompt at or before it, within the window. Masters and candidates of a prompt
-- in one time line: the running count of masters numbers the group each row falls in, which starts
-- with its master (no master for the rows before a prompt's first). At one instant a master comes
-- before a candidate (the dashboard called the master first), and two masters are ordered by their
-- model's name (master models are named by their OpenAI id and have no Bedrock id), then by the
-- hash of their response: never by their ids, which follow the import order and would make the
-- pair depend on which part of a drop came first. Window functions only, no join: inside an import
-- the new rows have no planner statistics yet, and a join of two estimates would be a guess.
CREATE TEMP TABLE t_sim_candidates ON COMMIT DROP AS
WITH events AS (
    SELECT m.prompt_id, m.evaluated_at AS at, 0 AS side, mm.name || ' ' || md5(m.response_text) AS tie, m.id,
           m.model_id, NULL::uuid AS run_id, NULL::numeric AS latency_ms, NULL::integer AS output_tokens,
           t.placeholder
    FROM master_model_evaluations m
    JOIN t_sim_prompts t ON t.prompt_id = m.prompt_id
    JOIN models mm ON mm.id = m.model_id
    WHERE m.status = 'success' AND m.evaluated_at IS NOT NULL
    UNION ALL
    SELECT e.prompt_id, e.evaluated_at, 1, NULL, e.id, e.model_id, e.run_id, e.latency_ms, e.output_tokens,
           t.placeholder
    FROM evaluation_metrics e
    JOIN t_sim_prompts t ON t.prompt_id = e.prompt_id
    WHERE e.status = 'success' AND octet_length(e.response_text) > 0 AND e.evaluated_at IS NOT NULL
), numbered AS (
    SELECT *, count(*) FILTER (WHERE side = 0)
                  OVER (PARTITION BY prompt_id ORDER BY at, side, tie, id ROWS UNBOUNDED PRECEDING) AS master_no
    FROM events
), grouped AS (
    SELECT *, first_value(side) OVER g AS first_side, first_value(id) OVER g AS first_id,
           first_value(model_id) OVER g AS first_model_id, first_value(at) OVER g AS first_at
    FROM numbered
    WINDOW g AS (PARTITION BY prompt_id, master_no ORDER BY at, side, tie, id)
)
SELECT id AS candidate_id, prompt_id, run_id, model_id, at, latency_ms, output_tokens, placeholder,
       CASE WHEN paired THEN first_id END AS master_id,
       CASE WHEN paired THEN first_model_id END AS master_model_id
FROM (SELECT *, first_side = 0 AND NOT placeholder
                AND at - first_at <= make_interval(secs => current_setting('bellatrix_migrate.similarity_window')::double precision) AS paired
      FROM grouped
      WHERE side = 1) c;
ANALYZE t_sim_candidates;

-- One score row per (run, prompt, master model, candidate model), the unique key of
-- similarity_scores: when several candidates of one run share it (a prompt asked twice of one model
-- in one run), the latest holds it; at one instant the longer call, then the one with more output
-- tokens, then the id decide.
CREATE TEMP TABLE t_sim_wanted ON COMMIT DROP AS
SELECT DISTINCT ON (run_id, prompt_id, master_model_id, model_id) *
FROM t_sim_candidates
WHERE master_id IS NOT NULL
ORDER BY run_id, prompt_id, master_model_id, model_id, at DESC, latency_ms DESC, output_tokens DESC, candidate_id DESC;
ANALYZE t_sim_wanted;

-- The score rows of these prompts now: the migrator's (with the pair that holds each) and the
-- application's (no pair; never changed).
CREATE TEMP TABLE t_sim_stored ON COMMIT DROP AS
SELECT s.id, s.run_id, s.prompt_id, s.model_a_id, s.model_b_id, x.candidate_id, x.master_id
FROM similarity_scores s
JOIN t_sim_prompts t ON t.prompt_id = s.prompt_id
LEFT JOIN bellatrix_migrate.similarity x ON x.id = s.id;
ANALYZE t_sim_stored;

-- The pairs to score: a key no row holds yet, or one whose migrator row names another pair.
CREATE TEMP TABLE t_sim_todo ON COMMIT DROP AS
SELECT w.candidate_id, w.master_id, st.id AS existing_id
FROM t_sim_wanted w
LEFT JOIN t_sim_stored st
       ON st.run_id = w.run_id AND st.prompt_id = w.prompt_id
      AND st.model_a_id = w.master_model_id AND st.model_b_id = w.model_id
WHERE st.id IS NULL
   OR (st.candidate_id IS NOT NULL
       AND (st.candidate_id, st.master_id) IS DISTINCT FROM (w.candidate_id, w.master_id));

-- The migrator's rows whose key no pair holds any more (a candidate now paired with a later master
-- of another model).
CREATE TEMP TABLE t_sim_gone ON COMMIT DROP AS
SELECT st.id
FROM t_sim_stored st
WHERE st.candidate_id IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM t_sim_wanted w
                  WHERE w.run_id = st.run_id AND w.prompt_id = st.prompt_id
                    AND w.master_model_id = st.model_a_id AND w.model_id = st.model_b_id);

-- The scores the client computes for t_sim_todo (similarity/stream.sql), copied in.
CREATE TEMP TABLE t_sim_scores (
    candidate_id  uuid NOT NULL,
    master_id     uuid NOT NULL,
    method        text NOT NULL,
    score         double precision NOT NULL,
    percent       numeric(5,2) NOT NULL,
    cosine        double precision,
    jaccard       double precision,
    fuzzy         double precision,
    matching      integer,
    total         integer,
    lenient_scan  boolean NOT NULL
) ON COMMIT DROP;
