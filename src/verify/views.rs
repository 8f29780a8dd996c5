//! `views_match_base_tables` in an import, by construction: the four views are compared with the
//! schema's own definitions instead of recomputing their totals over whole tables (seconds per
//! import at a million rows, whatever the import's size, and nothing an import writes can change a
//! view). Each definition of migration 0001 is created as a temporary view and PostgreSQL renders
//! both (`pg_get_viewdef`); equal renderings mean the view computes what the schema says, so its
//! totals equal the base tables' by definition. Anything else (a view replaced, dropped or failing
//! to plan) falls back to the full comparison in `sql/verify/views.sql`, which `verify` always runs.

use crate::error::{Error, Result};
use crate::model::Check;
use crate::sql;
use tokio_postgres::GenericClient;

/// The check's name, as the full query reports it.
pub const NAME: &str = "views_match_base_tables";

/// The views of migration 0001 as (name, the query after `AS`), in the order it creates them.
pub fn schema_views() -> Vec<(&'static str, &'static str)> {
    let text = sql::MIGRATIONS[0].sql;
    let mut views = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("\nCREATE VIEW ") {
        let after = &rest[start + "\nCREATE VIEW ".len()..];
        let Some((name, body)) = after.split_once(" AS\n") else {
            break;
        };
        let Some(end) = body.find(";\n") else {
            break;
        };
        views.push((name.trim(), &body[..end]));
        rest = &body[end..];
    }
    views
}

/// The check passed by construction, or None when a view is not (or no longer) the schema's and the
/// totals must be compared. Runs inside a savepoint that is rolled back, so the temporary views
/// leave nothing behind, and a failure of any statement only means "compare the totals".
pub async fn by_definition(client: &impl GenericClient) -> Result<Option<Check>> {
    let views = schema_views();
    client
        .batch_execute("SAVEPOINT bellatrix_views")
        .await
        .map_err(Error::db("comparing the views with the schema"))?;
    let same = all_as_defined(client, &views).await;
    client
        .batch_execute("ROLLBACK TO SAVEPOINT bellatrix_views; RELEASE SAVEPOINT bellatrix_views")
        .await
        .map_err(Error::db("comparing the views with the schema"))?;
    Ok((same && !views.is_empty()).then(|| {
        let names: Vec<&str> = views.iter().map(|(name, _)| *name).collect();
        Check::new(
            NAME,
            true,
            format!(
                "{} are exactly the schema's definitions (as PostgreSQL renders them) and plan, so \
                 their totals are the base tables' by definition; `verify` recomputes them",
                names.join(", ")
            ),
        )
    }))
}

/// Whether every view renders as its definition does and can be planned; false on any error.
async fn all_as_defined(client: &impl GenericClient, views: &[(&str, &str)]) -> bool {
    for (name, body) in views {
        let expected = format!("pg_temp.bellatrix_expected_{name}");
        let created = client
            .batch_execute(&format!(
                "CREATE TEMP VIEW bellatrix_expected_{name} AS {body}"
            ))
            .await;
        if created.is_err() {
            return false;
        }
        let same = client
            .query_one(
                "SELECT pg_get_viewdef($1::text::regclass) = pg_get_viewdef($2::text::regclass)",
                &[name, &expected],
            )
            .await
            .map(|row| row.get::<_, bool>(0));
        let plans = client
            .batch_execute(&format!("EXPLAIN SELECT * FROM {name}"))
            .await;
        if !matches!(same, Ok(true)) || plans.is_err() {
            return false;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_four_views_of_the_schema_are_found_whole() {
        let views = schema_views();
        let names: Vec<&str> = views.iter().map(|(n, _)| *n).collect();
        assert_eq!(
            names,
            [
                "v_current_model_pricing",
                "v_current_model_params",
                "v_evaluation_summary",
                "v_model_performance"
            ]
        );
        for (name, body) in views {
            assert!(body.starts_with("SELECT"), "{name}: {body}");
            assert!(!body.contains(';'), "{name}: {body}");
            assert!(body.contains("FROM "), "{name}: {body}");
        }
    }
}
