//! How a run reached its database, as the report and the terminal say it: plain data that `db`
//! fills when it connects (`db::connect`) and that the report serialises (its `connection` key). The
//! libpq words it is made of (`Origin`, `SslMode`, `Verification`) live here too; `db` parses and
//! decides them.

/// How the connection was made, for the report and the terminal.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct ConnectionInfo {
    /// `postgresql://user@host:port/db`, never the password.
    pub server: String,
    pub origin: Origin,
    pub encrypted: bool,
    pub sslmode: SslMode,
    /// What the server's certificate was checked for (only when encrypted).
    pub verification: Option<Verification>,
    pub server_version: String,
}

impl ConnectionInfo {
    /// One line for the terminal and the text report.
    pub fn describe(&self) -> String {
        let security = match (self.encrypted, self.verification) {
            (false, _) => "not encrypted".to_owned(),
            (true, Some(Verification::ChainAndHostName)) => {
                "encrypted (TLS; certificate verified for the host name)".to_owned()
            }
            (true, Some(Verification::Chain)) => {
                "encrypted (TLS; certificate chain verified, host name not checked)".to_owned()
            }
            (true, _) => "encrypted (TLS; server certificate not verified)".to_owned(),
        };
        format!(
            "{} (PostgreSQL {}), {security}, sslmode={}",
            self.server,
            self.server_version,
            self.sslmode.as_str()
        )
    }
}

/// libpq's `sslmode`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum SslMode {
    Disable,
    Allow,
    Prefer,
    Require,
    VerifyCa,
    VerifyFull,
}

impl SslMode {
    /// The name libpq uses.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Disable => "disable",
            Self::Allow => "allow",
            Self::Prefer => "prefer",
            Self::Require => "require",
            Self::VerifyCa => "verify-ca",
            Self::VerifyFull => "verify-full",
        }
    }
}

/// Where the connection string came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Origin {
    #[serde(rename = "--database-url")]
    Flag,
    #[serde(rename = "DATABASE_URL")]
    DatabaseUrl,
    #[serde(rename = "PG* environment variables")]
    Environment,
    #[serde(rename = "local throwaway cluster")]
    Local,
}

/// What the server's certificate was checked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verification {
    /// Encrypted, but the server is not authenticated (no root certificate to check against).
    NotVerified,
    /// Signed by a trusted authority; the host name is not checked.
    Chain,
    /// Signed by a trusted authority and issued for the host connected to.
    ChainAndHostName,
}
