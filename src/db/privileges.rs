//! Least privilege: `init` runs as the owner of the schema; `import` and `verify` may run as a role
//! that only holds the privileges of `sql/privileges/required.sql` (the one list of them), which
//! `init --grant-import ROLE` / `--grant-verify ROLE` grant. Both check them right after connecting,
//! before anything is read or written, and an import that does not own the bulk-loaded tables is told
//! so before reading, to take the ordinary path.

use crate::error::{Error, Result};
use crate::sql::privileges::{BULK_OWNER, GRANTS, INIT_OWNER, MISSING};
use tokio_postgres::{Client, GenericClient};

/// How many objects an error lists (it says how many more there are).
const LISTED: usize = 6;

/// Which command's privileges.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Needs {
    /// `import` (and `--dry-run`): read, insert and update production and ledger tables, staging.
    Import,
    /// `verify`: read only.
    Verify,
}

impl Needs {
    /// The command's name, as the list (`$1` of required.sql) and the `--grant-…` option spell it.
    pub fn task(self) -> &'static str {
        match self {
            Needs::Import => "import",
            Needs::Verify => "verify",
        }
    }
}

async fn current_role(client: &impl GenericClient) -> Result<String> {
    Ok(client
        .query_one("SELECT current_user::text", &[])
        .await
        .map_err(Error::db("asking for the current role"))?
        .get(0))
}

/// Joins lines into one, at most `LISTED` of them and how many more.
fn listing(lines: &[String]) -> String {
    let mut text = lines
        .iter()
        .take(LISTED)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if lines.len() > LISTED {
        text.push_str(&format!(" and {} more", lines.len() - LISTED));
    }
    text
}

/// The privileges `role` (None: the current role) lacks for `needs`, one line per object:
/// `PRIVILEGE, ... on kind name (what for)`.
async fn missing(
    client: &impl GenericClient,
    needs: Needs,
    role: Option<&str>,
) -> Result<Vec<String>> {
    let rows = client
        .query(MISSING, &[&needs.task(), &role])
        .await
        .map_err(Error::db("checking the privileges of the role"))?;
    Ok(rows.iter().map(|r| r.get(0)).collect())
}

/// Fails with `MissingPrivileges`, naming each one, when the current role lacks a privilege `needs`
/// requires. Runs right after connecting: nothing has been read, staged or written yet.
pub async fn check(client: &impl GenericClient, needs: Needs) -> Result<()> {
    let lacking = missing(client, needs, None).await?;
    if lacking.is_empty() {
        return Ok(());
    }
    Err(Error::MissingPrivileges {
        role: current_role(client).await?,
        task: needs.task(),
        missing: listing(&lacking),
    })
}

/// Fails with `NotOwner` unless the current role may create and alter the schema (`init`).
pub async fn check_owner(client: &impl GenericClient) -> Result<()> {
    let problems: Vec<String> = client
        .query(INIT_OWNER, &[&Needs::Import.task(), &None::<&str>])
        .await
        .map_err(Error::db("checking that init runs as the owner"))?
        .iter()
        .map(|r| r.get(0))
        .collect();
    if problems.is_empty() {
        return Ok(());
    }
    Err(Error::NotOwner {
        role: current_role(client).await?,
        problems: listing(&problems),
    })
}

/// The GRANT statements that give `role` what `needs` requires: all of them with `all`, else only
/// those it lacks.
pub async fn grant_statements(
    client: &impl GenericClient,
    needs: Needs,
    role: &str,
    all: bool,
) -> Result<Vec<String>> {
    Ok(client
        .query(GRANTS, &[&needs.task(), &Some(role), &all])
        .await
        .map_err(Error::db("listing the grants"))?
        .iter()
        .map(|r| r.get(0))
        .collect())
}

/// Grants `role` what `needs` requires and it lacks, in one transaction, then checks that it now
/// holds every one; returns the statements run (none when it had them all).
pub async fn grant(client: &mut Client, needs: Needs, role: &str) -> Result<Vec<String>> {
    // Every statement inside the transaction: behind a pooler in transaction mode a statement's
    // prepare and execute then reach the same server connection.
    let tx = client
        .transaction()
        .await
        .map_err(Error::db("starting the grants"))?;
    let known = tx
        .query_opt("SELECT 1 FROM pg_roles WHERE rolname = $1", &[&role])
        .await
        .map_err(Error::db("looking for the role"))?
        .is_some();
    if !known {
        return Err(Error::UnknownRole(role.to_owned()));
    }
    let statements = grant_statements(&tx, needs, role, false).await?;
    for statement in &statements {
        tx.batch_execute(statement)
            .await
            .map_err(Error::db(format!("running {statement}")))?;
    }
    // A GRANT on an object the current role neither owns nor holds with GRANT OPTION only warns.
    let lacking = missing(&tx, needs, Some(role)).await?;
    if !lacking.is_empty() {
        return Err(Error::GrantIncomplete {
            role: role.to_owned(),
            missing: listing(&lacking),
        });
    }
    tx.commit()
        .await
        .map_err(Error::db("committing the grants"))?;
    Ok(statements)
}

/// Why the current role may not take the bulk path (it does not own the tables whose indexes and
/// keys a bulk load rebuilds), or None when it may.
pub async fn bulk_refusal(client: &impl GenericClient) -> Result<Option<String>> {
    let rows = client
        .query(BULK_OWNER, &[])
        .await
        .map_err(Error::db("checking who owns the bulk-loaded tables"))?;
    let tables = |what: &str| -> Vec<String> {
        rows.iter()
            .filter(|r| r.get::<_, String>(0) == what)
            .map(|r| r.get(1))
            .collect()
    };
    let (unowned, unreferenced) = (tables("own"), tables("reference"));
    let obstacle = if !unowned.is_empty() {
        format!("is not the owner of {}", listing(&unowned))
    } else if !unreferenced.is_empty() {
        format!("lacks REFERENCES on {}", listing(&unreferenced))
    } else {
        return Ok(None);
    };
    Ok(Some(format!(
        "role {} {obstacle}",
        current_role(client).await?
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The quoted names in the `tables` array of 27_bulk_prepare.sql.
    fn bulk_prepare_tables() -> Vec<String> {
        let sql = include_str!("../../sql/transform/27_bulk_prepare.sql");
        let start = sql
            .find("tables regclass[] := ARRAY[")
            .expect("the tables array");
        let end = start + sql[start..].find("]::regclass[]").expect("its end");
        sql[start..end]
            .split('\'')
            .skip(1)
            .step_by(2)
            .map(str::to_owned)
            .collect()
    }

    #[test]
    fn the_ownership_check_covers_every_table_the_bulk_path_alters() {
        let tables = bulk_prepare_tables();
        assert_eq!(tables.len(), 7, "{tables:?}");
        for table in tables {
            let (schema, name) = table.split_once('.').unwrap_or(("public", &table));
            assert!(
                BULK_OWNER.contains(&format!("('{schema}', '{name}')")),
                "bulk_owner.sql does not check {table}"
            );
        }
    }

    #[test]
    fn long_listings_say_how_many_more() {
        let lines: Vec<String> = (0..9).map(|i| i.to_string()).collect();
        let text = listing(&lines);
        assert_eq!(text, "0, 1, 2, 3, 4, 5 and 3 more");
        assert_eq!(listing(&lines[..2]), "0, 1");
    }
}
