//! Database access: connection settings resolved as libpq does (`conninfo`, `pgpass`), TLS
//! (`tls`), connections opened stage by stage with timeouts and hints (`connect`), the pool for the
//! COPY streams, schema migrations, and the local throwaway cluster used when no server is named.

pub mod capacity;
pub mod cluster;
pub mod connect;
pub mod conninfo;
pub mod local;
pub mod lock;
pub mod migrate;
pub mod pgpass;
pub mod tls;

pub use connect::{ConnectError, Connected, ConnectionInfo};
pub use conninfo::{Origin, Settings, SettingsError};
pub mod privileges;

use crate::error::{Error, Result};
use deadpool_postgres::Pool;

/// Opens the control connection.
pub async fn connect(settings: &Settings) -> Result<Connected> {
    Ok(connect::connect(settings).await?)
}

/// A pool of at most `size` further connections, with the TLS mode the control connection used.
pub fn pool(settings: &Settings, control: &ConnectionInfo, size: usize) -> Result<Pool> {
    connect::pool(settings, control, size).map_err(Error::Pool)
}

/// The first server of `settings` fit for logs: user, host, port and database, never the password.
pub fn redacted(settings: &Settings) -> String {
    let pg = &settings.pg;
    let host = pg
        .get_hosts()
        .first()
        .map(conninfo::host_name)
        .or_else(|| pg.get_hostaddrs().first().map(ToString::to_string))
        .unwrap_or_else(|| "localhost".to_owned());
    let port = pg.get_ports().first().copied().unwrap_or(5432);
    format!(
        "postgresql://{}@{host}:{port}/{}",
        pg.get_user().unwrap_or(""),
        pg.get_dbname().unwrap_or("")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redaction_drops_the_password() {
        let env = |_: &str| None;
        let settings = conninfo::resolve(
            "postgresql://alice:s3cret@db.example:6543/bellatrix",
            Origin::Flag,
            &env,
        )
        .unwrap();
        let shown = redacted(&settings);
        assert_eq!(shown, "postgresql://alice@db.example:6543/bellatrix");
        assert!(!shown.contains("s3cret"));
    }
}
