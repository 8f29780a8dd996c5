//! The similarity step: after the transform, in the same transaction, the score rows of the prompts
//! the run touched are brought to what the legacy dashboard would have shown
//! (docs/decisions.md#similarity). The server pairs candidates with master rows and works out what
//! changed (`sql/similarity/pairs.sql`); the client scores the new pairs ([`crate::similarity`]),
//! streamed through a cursor in batches and scored on rayon while the next batch is fetched, and
//! copies the scores back; the server then writes the score rows and their ledger rows
//! (`apply.sql`). Memory holds one batch being scored and one being fetched, whatever the size of
//! the database.

use crate::error::{Error, Result};
use crate::model::report::SimilarityCounts;
use crate::model::SimilaritySettings as Settings;
use crate::similarity::{self, Similarity};
use crate::sql;
use bytes::Bytes;
use futures_util::SinkExt;
use rayon::prelude::*;
use std::fmt::Write as _;
use std::sync::Arc;
use std::time::Instant;
use tokio_postgres::{Row, Transaction};
use uuid::Uuid;

/// The pairs fetched per round trip: about 10 MB of responses at their largest.
const BATCH: usize = 1000;

/// One pair to score: its ids, the master's response (shared by the pairs of one master row) and
/// the candidate's.
struct Pair {
    candidate_id: Uuid,
    master_id: Uuid,
    master: Arc<String>,
    candidate: String,
}

/// Runs the step in `tx`, the run's one transaction (its import id and id prefix set), and says what
/// it found and did.
pub async fn apply(tx: &Transaction<'_>, settings: Settings) -> Result<SimilarityCounts> {
    let started = Instant::now();
    let window = settings.window.as_secs().to_string();
    let all = if settings.all_prompts { "on" } else { "off" };
    tx.execute(
        "SELECT set_config('bellatrix_migrate.similarity_window', $1, true), \
                set_config('bellatrix_migrate.similarity_all', $2, true)",
        &[&window, &all],
    )
    .await
    .map_err(Error::db("setting the similarity window"))?;
    tx.batch_execute(sql::similarity::PAIRS)
        .await
        .map_err(Error::db("pairing candidates with master rows"))?;
    score_pairs(tx).await?;
    tx.batch_execute(sql::similarity::APPLY)
        .await
        .map_err(Error::db("writing the similarity scores"))?;
    let counts: serde_json::Value = tx
        .query_one(sql::similarity::COUNTS, &[])
        .await
        .map_err(Error::db("counting the similarity scores"))?
        .get(0);
    let mut counts: SimilarityCounts = serde_json::from_value(counts)
        .map_err(Error::report_json("reading the similarity counts"))?;
    counts.window_seconds = settings.window.as_secs();
    counts.all_prompts = settings.all_prompts;
    counts.seconds = started.elapsed().as_secs_f64();
    Ok(counts)
}

/// Streams the pairs to score, scores each batch on rayon while the next is fetched, and copies
/// the scores into `t_sim_scores`.
async fn score_pairs(tx: &Transaction<'_>) -> Result<()> {
    tx.batch_execute(sql::similarity::STREAM)
        .await
        .map_err(Error::db("opening the cursor over the pairs to score"))?;
    let fetch = format!("FETCH {BATCH} FROM bellatrix_similarity");
    let mut master = Arc::new(String::new());
    let mut scoring: Option<tokio::task::JoinHandle<String>> = None;
    loop {
        let rows = tx
            .query(fetch.as_str(), &[])
            .await
            .map_err(Error::db("fetching the pairs to score"))?;
        if let Some(previous) = scoring.take() {
            let copy = previous
                .await
                .map_err(Error::join("scoring similarity pairs"))?;
            copy_scores(tx, copy).await?;
        }
        if rows.is_empty() {
            break;
        }
        let pairs = to_pairs(&rows, &mut master)?;
        scoring = Some(tokio::task::spawn_blocking(move || score_batch(&pairs)));
    }
    tx.batch_execute("CLOSE bellatrix_similarity")
        .await
        .map_err(Error::db("closing the cursor over the pairs to score"))
}

/// The pairs of one fetched batch; `master` carries the current master row's response from one
/// batch to the next (it is sent with the first pair of its master row only).
fn to_pairs(rows: &[Row], master: &mut Arc<String>) -> Result<Vec<Pair>> {
    let context = "reading the pairs to score";
    let mut pairs = Vec::with_capacity(rows.len());
    for row in rows {
        let candidate_id: Uuid = row.try_get(0).map_err(Error::db(context))?;
        let master_id: Uuid = row.try_get(1).map_err(Error::db(context))?;
        if let Some(text) = row
            .try_get::<_, Option<String>>(2)
            .map_err(Error::db(context))?
        {
            *master = Arc::new(text);
        }
        let candidate: Option<String> = row.try_get(3).map_err(Error::db(context))?;
        pairs.push(Pair {
            candidate_id,
            master_id,
            master: Arc::clone(master),
            candidate: candidate.unwrap_or_default(),
        });
    }
    Ok(pairs)
}

/// Scores a batch on rayon's threads, as rows of COPY's text format.
fn score_batch(pairs: &[Pair]) -> String {
    pairs
        .par_iter()
        .map(|p| {
            copy_line(
                p.candidate_id,
                p.master_id,
                &similarity::score(&p.master, &p.candidate),
            )
        })
        .collect()
}

/// One row of `t_sim_scores` in COPY's text format. Floats are written with Rust's shortest
/// round-trip digits, which PostgreSQL reads back to the same double.
fn copy_line(candidate_id: Uuid, master_id: Uuid, s: &Similarity) -> String {
    let v = s.stored();
    let optional = |x: Option<f64>| x.map_or_else(|| "\\N".to_owned(), |x| format!("{x:?}"));
    let count = |x: Option<u32>| x.map_or_else(|| "\\N".to_owned(), |x| x.to_string());
    let mut line = String::with_capacity(160);
    let _ = writeln!(
        line,
        "{candidate_id}\t{master_id}\t{}\t{:?}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
        v.method,
        v.score,
        v.percent,
        optional(v.cosine),
        optional(v.jaccard),
        optional(v.fuzzy),
        count(v.matching),
        count(v.total),
        v.lenient_scan,
    );
    line
}

/// Copies one batch of scores into `t_sim_scores`.
async fn copy_scores(tx: &Transaction<'_>, rows: String) -> Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let context = "copying the similarity scores in";
    let sink = tx
        .copy_in(sql::similarity::COPY_SCORES)
        .await
        .map_err(Error::db(context))?;
    futures_util::pin_mut!(sink);
    sink.send(Bytes::from(rows))
        .await
        .map_err(Error::db(context))?;
    sink.finish().await.map_err(Error::db(context))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_copy_line_has_every_column_and_nulls_where_the_method_computed_nothing() {
        let id = Uuid::nil();
        let line = copy_line(id, id, &similarity::score("same", "same"));
        let fields: Vec<&str> = line.trim_end().split('\t').collect();
        assert_eq!(fields.len(), 11);
        assert_eq!(
            &fields[2..],
            ["combined", "1.0", "100.00", "\\N", "\\N", "\\N", "\\N", "\\N", "false"]
        );
    }

    #[test]
    fn a_combined_score_writes_its_parts_with_every_digit() {
        let id = Uuid::nil();
        let s = similarity::score("the pump was checked", "the pump was replaced");
        let line = copy_line(id, id, &s);
        let fields: Vec<&str> = line.trim_end().split('\t').collect();
        assert_eq!(fields[2], "combined");
        assert_eq!(fields[3].parse::<f64>().ok(), Some(s.score));
        assert_eq!(fields[5].parse::<f64>().ok(), s.cosine_similarity());
        assert_eq!(fields[7].parse::<f64>().ok(), s.fuzzy_ratio());
    }
}
