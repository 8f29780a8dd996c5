//! Database access: the connection pool, schema migrations, and the local throwaway cluster used when
//! no database URL is given.

pub mod capacity;
pub mod cluster;
pub mod lock;
pub mod migrate;

use crate::error::{Error, Result};
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use tokio_postgres::NoTls;

/// Builds a pool of at most `size` connections to `url`.
pub fn pool(url: &str, size: usize) -> Result<Pool> {
    let config: tokio_postgres::Config = url
        .parse()
        .map_err(|e: tokio_postgres::Error| Error::Config(format!("database URL: {e}")))?;
    let manager = Manager::from_config(
        config,
        NoTls,
        ManagerConfig {
            recycling_method: RecyclingMethod::Fast,
        },
    );
    Pool::builder(manager)
        .max_size(size.max(2))
        .build()
        .map_err(|e| Error::Config(e.to_string()))
}

/// A database URL fit for logs: user, host, port and database, never the password.
pub fn redacted(url: &str) -> String {
    let Ok(config) = url.parse::<tokio_postgres::Config>() else {
        return "(unparseable database URL)".to_owned();
    };
    let host = config
        .get_hosts()
        .first()
        .map(|h| match h {
            tokio_postgres::config::Host::Tcp(name) => name.clone(),
            tokio_postgres::config::Host::Unix(path) => path.display().to_string(),
        })
        .unwrap_or_else(|| "localhost".to_owned());
    let port = config.get_ports().first().copied().unwrap_or(5432);
    format!(
        "postgresql://{}@{host}:{port}/{}",
        config.get_user().unwrap_or(""),
        config.get_dbname().unwrap_or("")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redaction_drops_the_password() {
        let shown = redacted("postgresql://alice:s3cret@db.example:6543/bellatrix");
        assert_eq!(shown, "postgresql://alice@db.example:6543/bellatrix");
        assert!(!shown.contains("s3cret"));
    }
}
