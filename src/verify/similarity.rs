//! ④ The check `similarity_recomputed`: the similarity scores the migrator stored are what the
//! legacy computation gives for their two source texts. Fed the score rows of the similarity step
//! (`src/transform/similarity.rs`): `bellatrix_migrate.similarity` joined to `similarity_scores`.
//!
//! Two halves. Provenance, for every row in scope, in SQL (`sql/verify/similarity_provenance.sql`):
//! the score row names the candidate's run, prompt and model and the master row's model, the master
//! answered the same prompt at or before the candidate, both succeeded, the candidate's response is
//! not empty. Recomputation, for a sample: the two responses are read in keyset batches
//! (`similarity_sample.sql`), scored again on rayon with [`crate::similarity::score`] while the next
//! batch is read, and sent back as arrays to `similarity_compare.sql`, which rounds them exactly as
//! the step stored them and names the columns that differ. Memory holds a batch or two whatever
//! the sample. Details name score ids and column names, never text.

use super::Options;
use crate::error::{Error, Result};
use crate::model::Check;
use crate::similarity::{self, Similarity, Stored};
use crate::sql;
use rayon::prelude::*;
use tokio_postgres::types::ToSql;
use tokio_postgres::GenericClient;
use uuid::Uuid;

/// The check's name in the report.
pub const NAME: &str = "similarity_recomputed";

/// How many checks [`check`] returns.
pub const CHECKS: usize = 1;

/// Score rows (two responses each) read and scored per round trip.
const BATCH: i64 = 500;

/// How many offending rows a detail names (all are counted).
const NAMED: usize = 10;

/// A score row's id and what the step would store for it, recomputed.
#[derive(Debug, Clone, PartialEq)]
struct Expected {
    id: Uuid,
    values: Stored,
}

impl Expected {
    /// The stored values of score row `id`, from its recomputed similarity.
    fn of(id: Uuid, s: &Similarity) -> Self {
        Self {
            id,
            values: s.stored(),
        }
    }
}

/// What the check found.
#[derive(Debug, Default)]
struct Findings {
    /// Score rows in scope (all get the provenance check).
    scoped: u64,
    /// Rows whose provenance disagrees, and the first ones named with what disagrees.
    provenance_wrong: u64,
    provenance_named: String,
    /// Rows scored again.
    recomputed: u64,
    /// Rows whose stored values differ from the recomputation, and the first ones named.
    differ: u64,
    differ_named: Vec<String>,
}

impl Findings {
    fn add_difference(&mut self, id: Uuid, columns: &[String]) {
        self.differ += 1;
        if self.differ_named.len() < NAMED {
            self.differ_named
                .push(format!("{id} ({})", columns.join(", ")));
        }
    }

    /// The check, for a sample of `sample` rows (`None`: all of them).
    fn into_check(self, import: Option<i64>, sample: Option<u64>) -> Check {
        let whose = if import.is_some() {
            "score rows this import computed"
        } else {
            "score rows the migrator stored"
        };
        if self.scoped == 0 {
            return Check::skipped(NAME, &format!("no {whose} to recompute"));
        }
        let chosen = match sample {
            Some(n) if n < self.scoped => {
                format!("a random sample of about {n} of {} {whose}", self.scoped)
            }
            _ => format!("all {} {whose}", self.scoped),
        };
        let ok = self.differ == 0 && self.provenance_wrong == 0;
        if ok {
            return Check::new(
                NAME,
                true,
                format!(
                    "{} rows scored again from their two responses ({chosen}): method, score, \
                     percentage, note counts, lenient_scan and the component scores equal the \
                     stored ones; all {} name their candidate's run, prompt and model and a \
                     successful earlier master answer to the same prompt",
                    self.recomputed, self.scoped
                ),
            );
        }
        let mut parts = Vec::new();
        if self.differ > 0 {
            parts.push(format!(
                "{} of {} rows scored again ({chosen}) differ from what is stored: score id {}",
                self.differ,
                self.recomputed,
                self.differ_named.join("; ")
            ));
        }
        if self.provenance_wrong > 0 {
            parts.push(format!(
                "{} of {} score rows disagree with their candidate and master rows: score id {}",
                self.provenance_wrong, self.scoped, self.provenance_named
            ));
        }
        Check::new(NAME, false, parts.join("; "))
    }
}

/// Runs the check over the score rows `import` computed (or every migrator score row), recomputing
/// `options.sample` of them (all when `None`).
pub async fn check(
    client: &impl GenericClient,
    import: Option<i64>,
    options: &Options,
) -> Result<Check> {
    let mut findings = Findings::default();
    let row = client
        .query_one(sql::SIMILARITY_PROVENANCE, &[&import])
        .await
        .map_err(Error::db("checking where the similarity scores come from"))?;
    let context = "reading the provenance of the similarity scores";
    let scoped: i64 = row.try_get(0).map_err(Error::db(context))?;
    let wrong: i64 = row.try_get(1).map_err(Error::db(context))?;
    findings.scoped = u64::try_from(scoped).unwrap_or(0);
    findings.provenance_wrong = u64::try_from(wrong).unwrap_or(0);
    findings.provenance_named = row
        .try_get::<_, Option<String>>(2)
        .map_err(Error::db(context))?
        .unwrap_or_default();
    if scoped > 0 {
        recompute(client, import, options.sample, scoped, &mut findings).await?;
    }
    Ok(findings.into_check(import, options.sample))
}

/// Scores the sampled rows again, batch by batch (scoring one while the next is read), and compares
/// each batch with what is stored.
async fn recompute(
    client: &impl GenericClient,
    import: Option<i64>,
    sample: Option<u64>,
    scoped: i64,
    findings: &mut Findings,
) -> Result<()> {
    let sample = sample.map(|n| i64::try_from(n).unwrap_or(i64::MAX));
    // The random sample is about `sample` rows; never more.
    let cap = sample.unwrap_or(i64::MAX);
    let mut after = Uuid::nil();
    let mut read: i64 = 0;
    let mut done = false;
    let mut scoring: Option<tokio::task::JoinHandle<Vec<Expected>>> = None;
    loop {
        let limit = BATCH.min(cap - read);
        let rows = if done || limit <= 0 {
            Vec::new()
        } else {
            let params: [&(dyn ToSql + Sync); 5] = [&import, &sample, &scoped, &after, &limit];
            client
                .query(sql::SIMILARITY_SAMPLE, &params)
                .await
                .map_err(Error::db("reading the similarity pairs to score again"))?
        };
        if let Some(previous) = scoring.take() {
            let expected = previous
                .await
                .map_err(Error::join("scoring similarity pairs again"))?;
            compare(client, &expected, findings).await?;
        }
        if rows.is_empty() {
            return Ok(());
        }
        done = i64::try_from(rows.len()).unwrap_or(i64::MAX) < limit;
        read += i64::try_from(rows.len()).unwrap_or(i64::MAX);
        let context = "reading a similarity pair to score again";
        let mut pairs = Vec::with_capacity(rows.len());
        for row in &rows {
            let id: Uuid = row.try_get(0).map_err(Error::db(context))?;
            let master: String = row.try_get(1).map_err(Error::db(context))?;
            let candidate: Option<String> = row.try_get(2).map_err(Error::db(context))?;
            pairs.push((id, master, candidate.unwrap_or_default()));
            after = id;
        }
        scoring = Some(tokio::task::spawn_blocking(move || {
            pairs
                .par_iter()
                .map(|(id, master, candidate)| {
                    Expected::of(*id, &similarity::score(master, candidate))
                })
                .collect()
        }));
    }
}

/// Sends one batch of recomputed values to the server, which names the rows whose stored values
/// differ.
async fn compare(
    client: &impl GenericClient,
    batch: &[Expected],
    findings: &mut Findings,
) -> Result<()> {
    if batch.is_empty() {
        return Ok(());
    }
    let count = |n: Option<u32>| n.map(|n| i32::try_from(n).unwrap_or(i32::MAX));
    let ids: Vec<Uuid> = batch.iter().map(|e| e.id).collect();
    let values: Vec<&Stored> = batch.iter().map(|e| &e.values).collect();
    let methods: Vec<&str> = values.iter().map(|v| v.method).collect();
    let scores: Vec<f64> = values.iter().map(|v| v.score).collect();
    let percents: Vec<&str> = values.iter().map(|v| v.percent.as_str()).collect();
    let cosines: Vec<Option<f64>> = values.iter().map(|v| v.cosine).collect();
    let jaccards: Vec<Option<f64>> = values.iter().map(|v| v.jaccard).collect();
    let fuzzies: Vec<Option<f64>> = values.iter().map(|v| v.fuzzy).collect();
    let matching: Vec<Option<i32>> = values.iter().map(|v| count(v.matching)).collect();
    let totals: Vec<Option<i32>> = values.iter().map(|v| count(v.total)).collect();
    let lenient: Vec<bool> = values.iter().map(|v| v.lenient_scan).collect();
    let params: [&(dyn ToSql + Sync); 10] = [
        &ids, &methods, &scores, &percents, &cosines, &jaccards, &fuzzies, &matching, &totals,
        &lenient,
    ];
    let context = "comparing the recomputed similarity scores with the stored ones";
    let rows = client
        .query(sql::SIMILARITY_COMPARE, &params)
        .await
        .map_err(Error::db(context))?;
    findings.recomputed += u64::try_from(batch.len()).unwrap_or(0);
    for row in rows {
        let id: Uuid = row.try_get(0).map_err(Error::db(context))?;
        let columns: Vec<String> = row.try_get(1).map_err(Error::db(context))?;
        findings.add_difference(id, &columns);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u128) -> Uuid {
        Uuid::from_u128(n)
    }

    #[test]
    fn identical_texts_store_a_full_score_and_no_components() {
        let e = Expected::of(id(1), &similarity::score("same", "same"));
        assert_eq!(e.values.method, "combined");
        assert_eq!(e.values.score, 1.0);
        assert_eq!(e.values.percent, "100.00");
        assert_eq!(
            (e.values.cosine, e.values.jaccard, e.values.fuzzy),
            (None, None, None)
        );
        assert_eq!((e.values.matching, e.values.total), (None, None));
        assert!(!e.values.lenient_scan);
    }

    #[test]
    fn a_combined_score_stores_its_three_components_unrounded() {
        let s = similarity::score("the pump was checked", "the pump was replaced");
        let e = Expected::of(id(1), &s);
        assert_eq!(e.values.method, "combined");
        assert_eq!(e.values.score, s.score);
        assert_eq!(e.values.cosine, s.cosine_similarity());
        assert!(
            e.values.cosine.is_some() && e.values.jaccard.is_some() && e.values.fuzzy.is_some()
        );
        assert_eq!(e.values.percent, format!("{:.2}", s.score * 100.0));
        assert_eq!(e.values.matching, None);
    }

    #[test]
    fn a_note_audit_stores_its_note_counts() {
        let master = r#"[{"linkId": "1", "result": "Yes"}, {"linkId": "2", "result": "No"}]"#;
        let candidate = r#"[{"linkId": "1", "result": "yes"}, {"linkId": "2", "result": "Yes"}]"#;
        let e = Expected::of(id(1), &similarity::score(master, candidate));
        assert_eq!(e.values.method, "noteaudit_exact_match");
        assert_eq!((e.values.matching, e.values.total), (Some(1), Some(2)));
        assert_eq!(e.values.percent, "50.00");
        assert_eq!(
            (e.values.cosine, e.values.jaccard, e.values.fuzzy),
            (None, None, None)
        );
    }

    #[test]
    fn no_score_rows_skip_the_check_saying_so() {
        let check = Findings::default().into_check(Some(7), Some(1000));
        assert!(check.skipped && check.ok, "{check:?}");
        assert_eq!(
            check.detail,
            "no score rows this import computed to recompute"
        );
    }

    #[test]
    fn matching_rows_pass_and_say_how_they_were_chosen() {
        let findings = Findings {
            scoped: 5000,
            recomputed: 1003,
            ..Findings::default()
        };
        let check = findings.into_check(None, Some(1000));
        assert!(check.ok && !check.skipped, "{check:?}");
        assert!(
            check.detail.starts_with(
                "1003 rows scored again from their two responses (a random sample of about 1000 \
                 of 5000 score rows the migrator stored)"
            ),
            "{}",
            check.detail
        );
        let all = Findings {
            scoped: 3,
            recomputed: 3,
            ..Findings::default()
        };
        assert!(all
            .into_check(Some(1), Some(1000))
            .detail
            .contains("(all 3 score rows this import computed)"));
    }

    #[test]
    fn differences_fail_naming_the_first_ids_and_columns_and_counting_all() {
        let mut findings = Findings {
            scoped: 20,
            recomputed: 20,
            provenance_wrong: 1,
            provenance_named: format!("{} (model_a_id)", id(99)),
            ..Findings::default()
        };
        for n in 0..12 {
            findings.add_difference(id(n), &["score".to_owned(), "fuzzy_ratio".to_owned()]);
        }
        let check = findings.into_check(None, None);
        assert!(!check.ok);
        assert!(
            check.detail.starts_with(&format!(
                "12 of 20 rows scored again (all 20 score rows the migrator stored) differ from \
                 what is stored: score id {} (score, fuzzy_ratio); ",
                id(0)
            )),
            "{}",
            check.detail
        );
        assert!(check.detail.contains(&id(9).to_string()));
        assert!(!check.detail.contains(&id(10).to_string()), "ten named");
        assert!(check.detail.ends_with(&format!(
            "1 of 20 score rows disagree with their candidate and master rows: score id {} \
             (model_a_id)",
            id(99)
        )));
    }
}
