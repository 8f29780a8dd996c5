//! The connections an import uses at once, checked before anything is written. An import keeps one
//! transaction open on its control connection while the COPY streams (up to seven) fill staging on
//! the others; a server or pooler that gives fewer server connections leaves the rest waiting in its
//! queue (a PgBouncer pool smaller than that used to hang without a word). So each connection opens a
//! transaction and asks for its server process, all at once: behind PgBouncer, in session and in
//! transaction mode alike, every one of them then holds a server connection of its own, and they all
//! answer only if the pool has room for all of them. The control connection is checked out first and
//! takes the import lock; the others are asked only once it holds the lock, so an import waiting for
//! another holds one server connection, not eight.

use crate::error::{Error, Result};
use deadpool_postgres::Pool;
use futures_util::future::join_all;
use std::collections::HashSet;
use std::time::Duration;
use tokio_postgres::SimpleQueryMessage;

/// How long the connections have to answer together.
pub const WAIT: Duration = Duration::from_secs(10);

/// Fails with `TooFewConnections` unless `needed` connections each have a server connection of their
/// own within `wait`: the `held` ones the caller already has checked out of `pool` (each in an open
/// transaction, so pinned to its server), and `needed - held` more of `pool`, asked here. `minimum`
/// is what the smallest import (`--jobs 1`) uses, for the hint. The connections asked here go back
/// to the pool, their transactions rolled back.
pub async fn check(
    pool: &Pool,
    held: usize,
    needed: usize,
    minimum: usize,
    wait: Duration,
) -> Result<()> {
    let more = needed.saturating_sub(held);
    // Connecting has its own timeout (connect_timeout); what may wait for ever is the first
    // statement, in the pooler's queue.
    let clients = join_all((0..more).map(|_| pool.get()))
        .await
        .into_iter()
        .collect::<Result<Vec<_>, _>>()?;
    let answers = join_all(clients.iter().map(|client| {
        tokio::time::timeout(wait, client.simple_query("BEGIN; SELECT pg_backend_pid()"))
    }))
    .await;
    let mut pids = HashSet::new();
    for answer in answers {
        match answer {
            Ok(Ok(messages)) => {
                if let Some(pid) = messages.iter().find_map(|m| match m {
                    SimpleQueryMessage::Row(row) => row.get(0).map(str::to_owned),
                    _ => None,
                }) {
                    pids.insert(pid);
                }
            }
            Ok(Err(e)) => {
                return Err(Error::db(format!(
                    "opening a transaction on each of the {needed} connections an import uses"
                ))(e))
            }
            Err(_elapsed) => {}
        }
    }
    if pids.len() < more {
        // The connections still waiting are dropped with the pool: the pooler forgets their queries.
        return Err(Error::TooFewConnections {
            got: held + pids.len(),
            needed,
            wait_secs: wait.as_secs(),
            hint: hint(needed, minimum),
        });
    }
    for client in &clients {
        client
            .batch_execute("ROLLBACK")
            .await
            .map_err(Error::db("ending the connection check"))?;
    }
    Ok(())
}

/// What to change when the connections did not all answer.
fn hint(needed: usize, minimum: usize) -> String {
    let jobs = if needed > minimum {
        format!(", or import with --jobs 1, which uses {minimum}")
    } else {
        String::new()
    };
    format!(
        "behind PgBouncer, the pool for this database and user must give the import {needed} server \
         connections at once, besides what its other clients hold: raise default_pool_size (or \
         pool_size, max_db_connections, max_user_connections){jobs}"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hint_names_the_pool_setting_and_the_smaller_import() {
        let h = hint(8, 7);
        assert!(h.contains("8 server connections"), "{h}");
        assert!(h.contains("default_pool_size"), "{h}");
        assert!(h.contains("--jobs 1, which uses 7"), "{h}");
        assert!(!hint(7, 7).contains("--jobs"));
    }
}
