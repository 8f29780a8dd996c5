-- Whether an import's metric and master rows are every row of their tables (a first load). Then the
-- checks scoped to those rows run in their whole-table form: the same rows, read without the
-- semi-join through the ledger that picks an import's rows out of a larger table.
-- $1, $2: the rows the import inserted into evaluation_metrics and master_model_evaluations.
SELECT (SELECT count(*) FROM evaluation_metrics) = $1::bigint
   AND (SELECT count(*) FROM master_model_evaluations) = $2::bigint;
