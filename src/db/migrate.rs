//! The schema migration runner behind `init`: applies `sql/schema/*.sql` in order, each recorded with
//! a checksum in `bellatrix_migrate.schema_migrations`, all in one transaction under the import lock
//! (a transaction-level advisory lock) so two `init`s never interleave. A small runner rather than a
//! crate because it must also adopt a database the legacy app built itself, where every migration is
//! written to be idempotent.

use super::lock::{self, Holder};
use crate::error::{Error, Result};
use crate::sql::{Migration, BOOTSTRAP, MIGRATIONS};
use sha2::{Digest, Sha256};
use tokio_postgres::{Client, GenericClient, IsolationLevel};

fn checksum(m: &Migration) -> String {
    hex::encode(Sha256::digest(m.sql.as_bytes()))
}

/// Applies every pending migration; returns the versions applied now (empty when up to date).
/// Everything happens in one transaction that first takes the import lock (`super::lock`), so two
/// `init`s, or an `init` and an `import`, never interleave; `on_wait` is told who holds the lock
/// when it has to wait.
pub async fn apply(client: &mut Client, on_wait: impl FnOnce(Option<&Holder>)) -> Result<Vec<i32>> {
    let tx = client
        .build_transaction()
        .isolation_level(IsolationLevel::ReadCommitted)
        .start()
        .await
        .map_err(Error::db("starting the migration transaction"))?;
    lock::acquire(&tx, None, on_wait).await?;
    // SET LOCAL: a session setting would stay behind on a pooled server connection.
    tx.batch_execute("SET LOCAL client_min_messages = warning")
        .await
        .map_err(Error::db("setting client_min_messages"))?;
    tx.batch_execute(BOOTSTRAP)
        .await
        .map_err(Error::db("creating the migration table"))?;
    let applied = applied_checksums(&tx).await?;
    let mut now = Vec::new();
    for m in MIGRATIONS {
        if let Some(current) = pending(&applied, m)? {
            tx.batch_execute(m.sql).await.map_err(Error::db(format!(
                "applying migration {:04}_{}",
                m.version, m.name
            )))?;
            tx.execute(
                "INSERT INTO bellatrix_migrate.schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
                &[&m.version, &m.name, &current],
            )
            .await
            .map_err(Error::db("recording a migration"))?;
            now.push(m.version);
        }
    }
    tx.commit()
        .await
        .map_err(Error::db("committing the migrations"))?;
    Ok(now)
}

async fn applied_checksums(client: &impl GenericClient) -> Result<Vec<(i32, String)>> {
    let rows = client
        .query(
            "SELECT version, checksum FROM bellatrix_migrate.schema_migrations",
            &[],
        )
        .await
        .map_err(Error::db("reading applied migrations"))?;
    Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
}

/// Fails with `NotInitialised` unless every migration is applied with its current checksum.
/// `database` names the server in the error (as `redacted` shows it).
pub async fn ensure_current(client: &impl GenericClient, database: &str) -> Result<()> {
    let exists: bool = client
        .query_one(
            "SELECT to_regclass('bellatrix_migrate.schema_migrations') IS NOT NULL",
            &[],
        )
        .await
        .map_err(Error::db("looking for the migration table"))?
        .get(0);
    let applied = if exists {
        applied_checksums(client).await?
    } else {
        Vec::new()
    };
    for m in MIGRATIONS {
        if pending(&applied, m)?.is_some() {
            return Err(Error::NotInitialised {
                database: database.to_owned(),
                missing: format!("{:04}_{}", m.version, m.name),
            });
        }
    }
    Ok(())
}

/// Whether `m` still has to be applied: `Some(its checksum)` when it is not in `applied`, `None`
/// when it was applied as it is now, and `MigrationChanged` when the applied file differs.
fn pending(applied: &[(i32, String)], m: &Migration) -> Result<Option<String>> {
    let current = checksum(m);
    match applied.iter().find(|(v, _)| *v == m.version) {
        Some((_, sum)) if *sum == current => Ok(None),
        Some((_, sum)) => Err(Error::MigrationChanged {
            version: m.version,
            applied: sum.clone(),
            current,
        }),
        None => Ok(Some(current)),
    }
}
