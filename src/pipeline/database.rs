//! The database a command works on: the connection settings (the server named, or the local
//! throwaway cluster, started and given its database if needed), `init` (migrations and grants, also
//! run before an import into the local cluster), and the import's one transaction, opened first and
//! holding the import lock for the whole import.

use super::Output;
use crate::audit::{self, Action};
use crate::config::{Config, Database, ImportConfig, InitConfig};
use crate::db::privileges::{self, Needs};
use crate::error::{Error, Result};
use crate::{db, progress, stage};
use deadpool_postgres::Pool;
use tokio_postgres::{Client, IsolationLevel, Transaction};

/// Opens the import's one transaction, first of all: it holds the import lock, which therefore ends
/// with it (commit, rollback or a lost connection), even behind a pooler. Before anything is read or
/// written, a missing privilege fails here, naming it; a role that does not own the bulk-loaded
/// tables is set for the ordinary path (the returned reason why); and a pooler that could not give
/// each of the import's `connections` a server connection of its own at once (it would leave the
/// COPY streams queued for ever) fails here too.
pub async fn begin<'c>(
    control: &'c mut Client,
    pool: &Pool,
    connections: usize,
    config: &ImportConfig,
    quiet: bool,
) -> Result<(Transaction<'c>, Option<String>)> {
    let tx = control
        .build_transaction()
        .isolation_level(IsolationLevel::ReadCommitted)
        .start()
        .await
        .map_err(Error::db("starting the import transaction"))?;
    privileges::check(&tx, Needs::Import).await?;
    let bulk_refusal = privileges::bulk_refusal(&tx).await?;
    db::lock::acquire_saying(&tx, config.lock_timeout, quiet).await?;
    let minimum = stage::copy_connections(1) + 1;
    db::capacity::check(pool, 1, connections, minimum, db::capacity::WAIT).await?;
    Ok((tx, bulk_refusal))
}

/// Applies pending migrations as the owner of the schema, then grants what `--grant-import` and
/// `--grant-verify` ask for, and records both in the audit trail; or, with `--print-grants`, only
/// lists those grants (and records nothing).
pub async fn init(connected: &mut db::Connected, config: &InitConfig) -> Result<Output> {
    let db::Connected {
        client,
        info: connection,
    } = connected;
    if config.print_grants {
        let tx = client
            .transaction()
            .await
            .map_err(Error::db("listing the grants"))?;
        db::migrate::ensure_current(&tx, &connection.server).await?;
        let mut statements = Vec::new();
        for (needs, role) in &config.grants {
            statements.extend(privileges::grant_statements(&tx, *needs, role, true).await?);
        }
        return Ok(Output::Grants(statements));
    }
    let tx = client
        .transaction()
        .await
        .map_err(Error::db("checking ownership"))?;
    privileges::check_owner(&tx).await?;
    tx.commit().await.map_err(Error::db("checking ownership"))?;
    let applied =
        db::migrate::apply(client, |holder| db::lock::announce_wait(holder, None)).await?;
    let mut granted = Vec::new();
    for (needs, role) in &config.grants {
        granted.push((role.clone(), privileges::grant(client, *needs, role).await?));
    }
    record_init(client, &applied, config, &granted).await?;
    Ok(Output::Initialised {
        applied,
        database: connection.server.clone(),
        granted,
    })
}

/// Writes `init`'s row of the audit trail, once its migrations and grants are done: what it
/// applied (or that nothing was pending) and whom it granted to (in a transaction of its own, as
/// each of its steps).
async fn record_init(
    client: &mut Client,
    applied: &[i32],
    config: &InitConfig,
    granted: &[(String, Vec<String>)],
) -> Result<()> {
    let grants: Vec<(&str, &str, usize)> = config
        .grants
        .iter()
        .zip(granted)
        .map(|((needs, role), (_, statements))| (needs.task(), role.as_str(), statements.len()))
        .collect();
    let tx = client
        .transaction()
        .await
        .map_err(Error::db("recording init in the audit trail"))?;
    audit::record(
        &tx,
        Action::Init,
        None,
        audit::init_details(applied, &grants),
    )
    .await?;
    tx.commit()
        .await
        .map_err(Error::db("recording init in the audit trail"))
}

/// The connection settings: the server the user named, or the local cluster (started if needed).
pub async fn settings(config: &Config) -> Result<db::Settings> {
    match &config.database {
        Database::Server(settings) => Ok((**settings).clone()),
        Database::Local(dir) => {
            let shown = dir.clone();
            let dir = dir.clone();
            let local = tokio::task::spawn_blocking(move || db::local::start(&dir))
                .await
                .map_err(Error::join("starting the local cluster"))??;
            for note in &local.notes {
                progress::always(note);
            }
            let cluster = local.cluster;
            let password = cluster.password().map(str::to_owned);
            let local = |name: &str| {
                db::conninfo::local(cluster.port, name, db::cluster::SUPERUSER, password.clone())
            };
            let admin = db::connect(&local("postgres")).await?.client;
            let exists = admin
                .query_opt(
                    "SELECT 1 FROM pg_database WHERE datname = $1",
                    &[&db::local::DATABASE],
                )
                .await
                .map_err(Error::db("looking for the local database"))?
                .is_some();
            if !exists {
                admin
                    .batch_execute(&format!("CREATE DATABASE {}", db::local::DATABASE))
                    .await
                    .map_err(Error::db("creating the local database"))?;
            }
            // Said even with --quiet: data going to a throwaway cluster must never be a surprise.
            progress::always(&format!(
                "no --database-url, DATABASE_URL or PG* variables: using the local throwaway \
                 PostgreSQL in {} (connect with: {}; stop with: bellatrix-migrate local stop)",
                shown.display(),
                db::local::connect_hint(&shown, cluster.port),
            ));
            Ok(local(db::local::DATABASE))
        }
    }
}
