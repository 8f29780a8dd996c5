//! The import lock: one `import` or `init` at a time on a database. It is a transaction-level
//! advisory lock (`pg_advisory_xact_lock`), taken first in the transaction it guards, so commit,
//! rollback or a lost connection releases it: it cannot outlive its transaction, nor stay behind on a
//! server connection that a pooler hands to another client. While another session holds it, the
//! holder is described from `pg_stat_activity`, and an optional timeout bounds the wait.

use crate::error::{Error, Result};
use crate::sql;
use chrono::{DateTime, Utc};
use std::fmt;
use std::time::{Duration, Instant};
use tokio_postgres::error::SqlState;
use tokio_postgres::GenericClient;

/// Advisory lock key shared by `init` and `import` ("bellatrx" in ASCII).
pub const LOCK_KEY: i64 = 0x6265_6c6c_6174_7278;

/// The session holding the import lock, as `pg_stat_activity` shows it to this role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holder {
    pub pid: i32,
    pub application_name: Option<String>,
    pub user: Option<String>,
    /// The holder's client address (a pooler's, behind one); `None` for a Unix socket.
    pub client_addr: Option<String>,
    /// When its transaction began, or, for a lock held outside a transaction (by an older version
    /// of this tool), when it connected. `None` when this role may not see it.
    pub since: Option<DateTime<Utc>>,
    pub in_transaction: bool,
    /// Seconds from `since` to now.
    pub seconds: Option<i64>,
}

impl fmt::Display for Holder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "pid {}", self.pid)?;
        match self.application_name.as_deref() {
            Some("") | None => write!(f, " (no application_name")?,
            Some(name) => write!(f, " (application_name '{name}'")?,
        }
        if let Some(user) = &self.user {
            write!(f, ", user {user}")?;
        }
        if let Some(addr) = &self.client_addr {
            write!(f, ", from {addr}")?;
        }
        match (self.since, self.seconds) {
            (Some(since), seconds) => {
                let what = if self.in_transaction {
                    "in a transaction since"
                } else {
                    "connected since"
                };
                write!(f, ", {what} {}", since.format("%Y-%m-%d %H:%M:%S UTC"))?;
                if let Some(s) = seconds.and_then(|s| u64::try_from(s).ok()) {
                    write!(
                        f,
                        ", {} ago",
                        humantime::format_duration(Duration::from_secs(s))
                    )?;
                }
            }
            (None, _) => write!(f, ", start time not visible to this role")?,
        }
        write!(f, ")")
    }
}

/// Takes the import lock as `acquire` does, saying so on the terminal: while it waits, even with
/// `--quiet`, who holds it (`announce_wait`); once it has it after a wait, how long that took.
pub async fn acquire_saying(
    tx: &impl GenericClient,
    timeout: Option<Duration>,
    quiet: bool,
) -> Result<()> {
    if let Some(waited) = acquire(tx, timeout, |holder| announce_wait(holder, timeout)).await? {
        crate::progress::note(
            quiet,
            &format!("got the import lock after {:.1} s", waited.as_secs_f64()),
        );
    }
    Ok(())
}

/// Says, even with --quiet, that this command waits for another import or init and who that is:
/// a wait that may last is never silent.
pub fn announce_wait(holder: Option<&Holder>, timeout: Option<Duration>) {
    let holder = holder.map_or_else(
        || "a session that has just ended".to_owned(),
        ToString::to_string,
    );
    let until = match timeout {
        Some(t) => format!(
            "waiting at most {} (--lock-timeout)",
            humantime::format_duration(t)
        ),
        None => "waiting for it to finish (--lock-timeout to give up)".to_owned(),
    };
    crate::progress::note(
        false,
        &format!(
            "another import or init is running on this database: the import lock is held by \
             {holder}; {until}"
        ),
    );
}

/// Takes the import lock in the transaction `tx` is running, waiting for another holder for at most
/// `timeout` (`None`: as long as it takes; zero: not at all). Before waiting, `on_wait` is told who
/// holds it (`None` when the holder ended in between). Returns how long it waited, if it did.
pub async fn acquire(
    tx: &impl GenericClient,
    timeout: Option<Duration>,
    on_wait: impl FnOnce(Option<&Holder>),
) -> Result<Option<Duration>> {
    if try_acquire(tx).await? {
        return Ok(None);
    }
    let started = Instant::now();
    let holder = holder(tx).await?;
    on_wait(holder.as_ref());
    let timed_out = |holder: Option<Holder>| Error::LockTimeout {
        timeout: humantime::format_duration(timeout.unwrap_or_default()).to_string(),
        holder: holder.map_or_else(
            || "a session that has just ended".to_owned(),
            |h| h.to_string(),
        ),
    };
    if timeout == Some(Duration::ZERO) {
        return Err(timed_out(holder));
    }
    // lock_timeout bounds this one wait and is then put back: set_config(..., true) is SET LOCAL,
    // nothing of it outlives the transaction (or leaks onto a pooled server connection).
    let previous: String = tx
        .query_one("SELECT current_setting('lock_timeout')", &[])
        .await
        .map_err(Error::db("reading lock_timeout"))?
        .get(0);
    // PostgreSQL takes at most INT_MAX milliseconds.
    let millis = timeout.map_or(0, |t| {
        u64::try_from(t.as_millis())
            .unwrap_or(u64::MAX)
            .clamp(1, 2_147_483_647)
    });
    set_lock_timeout(tx, &format!("{millis}ms")).await?;
    match tx
        .execute("SELECT pg_advisory_xact_lock($1)", &[&LOCK_KEY])
        .await
    {
        Ok(_) => {}
        Err(e) if timeout.is_some() && e.code() == Some(&SqlState::LOCK_NOT_AVAILABLE) => {
            return Err(timed_out(holder));
        }
        Err(e) => return Err(Error::db("waiting for the import lock")(e)),
    }
    set_lock_timeout(tx, &previous).await?;
    Ok(Some(started.elapsed()))
}

/// Takes the import lock in the running transaction if it is free; false when another holds it.
pub async fn try_acquire(tx: &impl GenericClient) -> Result<bool> {
    Ok(tx
        .query_one("SELECT pg_try_advisory_xact_lock($1)", &[&LOCK_KEY])
        .await
        .map_err(Error::db("taking the import lock"))?
        .get(0))
}

/// The session holding the import lock, if any.
pub async fn holder(client: &impl GenericClient) -> Result<Option<Holder>> {
    let row = client
        .query_opt(sql::LOCK_HOLDER, &[&LOCK_KEY])
        .await
        .map_err(Error::db("looking up who holds the import lock"))?;
    Ok(row.map(|r| Holder {
        pid: r.get(0),
        application_name: r.get(1),
        user: r.get(2),
        client_addr: r.get(3),
        since: r.get(4),
        in_transaction: r.get::<_, Option<bool>>(5).unwrap_or(false),
        seconds: r.get(6),
    }))
}

async fn set_lock_timeout(tx: &impl GenericClient, value: &str) -> Result<()> {
    tx.execute("SELECT set_config('lock_timeout', $1, true)", &[&value])
        .await
        .map(drop)
        .map_err(Error::db("setting lock_timeout"))
}

/// Parses a `--lock-timeout`: whole seconds (`30`) or a duration with units (`30s`, `5m`, `1h 30m`).
pub fn parse_timeout(text: &str) -> std::result::Result<Duration, String> {
    let text = text.trim();
    let timeout = match text.parse::<u64>() {
        Ok(seconds) => Duration::from_secs(seconds),
        Err(_) => humantime::parse_duration(text).map_err(|e| {
            format!("{e}: give seconds (30) or a duration with units (30s, 5m, 1h 30m)")
        })?,
    };
    if timeout > MAX_TIMEOUT {
        return Err(format!(
            "at most {} (PostgreSQL's lock_timeout takes at most 2147483647 ms)",
            humantime::format_duration(MAX_TIMEOUT)
        ));
    }
    Ok(timeout)
}

/// The longest `--lock-timeout`: PostgreSQL's `lock_timeout` is an int of milliseconds.
pub const MAX_TIMEOUT: Duration = Duration::from_millis(2_147_483_647);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeouts_are_seconds_or_durations_with_units() {
        assert_eq!(parse_timeout("30"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_timeout("2s"), Ok(Duration::from_secs(2)));
        assert_eq!(parse_timeout("5m"), Ok(Duration::from_secs(300)));
        assert_eq!(parse_timeout("1h 30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_timeout("250ms"), Ok(Duration::from_millis(250)));
        assert!(parse_timeout("soon").is_err());
        assert!(parse_timeout("-3").is_err());
        assert_eq!(
            parse_timeout("2147483s"),
            Ok(Duration::from_secs(2_147_483))
        );
        assert!(parse_timeout("2147484").is_err());
        assert!(parse_timeout("18446744073709551615").is_err());
        assert!(parse_timeout("30d").is_err());
    }

    #[test]
    fn a_holder_is_described_by_pid_application_and_start() {
        let holder = Holder {
            pid: 4242,
            application_name: Some("bellatrix-migrate".to_owned()),
            user: Some("importer".to_owned()),
            client_addr: Some("10.0.0.5".to_owned()),
            since: DateTime::parse_from_rfc3339("2026-12-01T09:12:03Z")
                .ok()
                .map(|t| t.with_timezone(&Utc)),
            in_transaction: true,
            seconds: Some(75),
        };
        assert_eq!(
            holder.to_string(),
            "pid 4242 (application_name 'bellatrix-migrate', user importer, from 10.0.0.5, \
             in a transaction since 2026-12-01 09:12:03 UTC, 1m 15s ago)"
        );
        let hidden = Holder {
            application_name: None,
            user: None,
            client_addr: None,
            since: None,
            seconds: None,
            in_transaction: false,
            ..holder
        };
        assert_eq!(
            hidden.to_string(),
            "pid 4242 (no application_name, start time not visible to this role)"
        );
    }
}
