//! Connection settings the way libpq (and so psql) resolves them: a connection string (a
//! `postgresql://` URI or `key=value` pairs) from `--database-url` or `DATABASE_URL`; what it leaves
//! out comes from the `PG*` environment variables, then libpq's defaults; a missing password comes
//! from `PGPASSWORD`, then the password file. tokio-postgres parses the connection string itself but
//! knows none of libpq's TLS files, `passfile` or the `allow`/`verify-*` modes, so those parameters
//! are taken out here and handled by `tls` and `connect`. Pure but for reading the password file and
//! looking for the default certificate files; the environment is passed in, so tests give their own.

use super::pgpass;
use percent_encoding::percent_decode_str;
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio_postgres::config::Host;

/// libpq's `sslmode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
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
    fn parse(value: &str) -> Option<Self> {
        Some(match value {
            "disable" => Self::Disable,
            "allow" => Self::Allow,
            "prefer" => Self::Prefer,
            "require" => Self::Require,
            "verify-ca" => Self::VerifyCa,
            "verify-full" => Self::VerifyFull,
            _ => return None,
        })
    }

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

/// Which certificate authorities the server's certificate is checked against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RootCerts {
    /// None given and no `~/.postgresql/root.crt`: the chain is not checked (`require`, `prefer`).
    None,
    /// A PEM file (`sslrootcert`, or `~/.postgresql/root.crt` when it exists).
    File(PathBuf),
    /// `sslrootcert=system`: the platform's trusted roots.
    System,
}

/// How to use TLS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsSettings {
    pub mode: SslMode,
    pub root: RootCerts,
    /// Client certificate and key (`sslcert`/`sslkey`, or `~/.postgresql/postgresql.{crt,key}`).
    pub client: Option<(PathBuf, PathBuf)>,
}

/// Where the password came from, for the authentication hint (never the password itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PasswordSource {
    ConnectionString,
    Environment,
    File(PathBuf),
    /// No password; the password file was missing, had no matching line, or was refused (reason).
    None {
        file: Option<PathBuf>,
        refused: Option<String>,
    },
}

/// Where the connection string came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
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

/// TCP keepalive settings (libpq's `keepalives*`): on by default, so a connection whose peer
/// vanished during a long transform is noticed in minutes, not the kernel's two hours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Keepalives {
    pub enabled: bool,
    pub idle: Duration,
    pub interval: Duration,
    pub retries: u32,
}

/// Everything needed to connect.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Hosts, ports, user, password, database, application name (TLS mode set per attempt).
    pub pg: tokio_postgres::Config,
    pub tls: TlsSettings,
    /// Bound on each whole connection attempt (resolve, TCP, TLS, authentication); `None` waits.
    pub connect_timeout: Option<Duration>,
    pub keepalives: Keepalives,
    pub origin: Origin,
    pub password: PasswordSource,
}

/// The default `connect_timeout`: libpq waits for ever; a migration tool should not.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(30);

/// The default `application_name`, so the DBA sees who is connected in `pg_stat_activity`.
pub const APPLICATION_NAME: &str = "bellatrix-migrate";

/// A connection string or environment that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("invalid connection string: {0}")]
    Syntax(String),
    #[error("connection parameter `{0}` is not supported (supported: {SUPPORTED})")]
    Unsupported(String),
    #[error("invalid value for connection parameter `{name}`: expected {expected}")]
    Value {
        name: String,
        expected: &'static str,
    },
    #[error("{0}")]
    Tls(String),
}

const SUPPORTED: &str = "host, hostaddr, port, dbname, user, password, passfile, options, \
    application_name, fallback_application_name, connect_timeout, keepalives, keepalives_idle, \
    keepalives_interval, keepalives_retries, tcp_user_timeout, sslmode, sslrootcert, sslcert, \
    sslkey, sslnegotiation, channel_binding, target_session_attrs, load_balance_hosts";

/// Parameters tokio-postgres parses itself.
const PASSED_THROUGH: &[&str] = &[
    "host",
    "hostaddr",
    "port",
    "dbname",
    "user",
    "password",
    "options",
    "tcp_user_timeout",
    "sslnegotiation",
    "channel_binding",
    "target_session_attrs",
    "load_balance_hosts",
];

/// Parameters taken out of the string and handled here.
const HANDLED: &[&str] = &[
    "sslmode",
    "sslrootcert",
    "sslcert",
    "sslkey",
    "passfile",
    "connect_timeout",
    "keepalives",
    "keepalives_idle",
    "keepalives_interval",
    "keepalives_retries",
    "application_name",
    "fallback_application_name",
];

/// The environment: a variable's value, `None` when unset or empty.
pub type Env<'a> = &'a dyn Fn(&str) -> Option<String>;

/// The process environment, with empty variables treated as unset (as libpq does).
pub fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// The `PG*` variables that name a server: when one is set, the user means that server, never the
/// local throwaway cluster.
pub const TARGET_VARIABLES: &[&str] = &[
    "PGHOST",
    "PGHOSTADDR",
    "PGPORT",
    "PGDATABASE",
    "PGUSER",
    "PGPASSWORD",
    "PGSERVICE",
];

/// Resolves `conninfo` (possibly empty) with `env` as libpq would.
pub fn resolve(conninfo: &str, origin: Origin, env: Env<'_>) -> Result<Settings, SettingsError> {
    if env("PGSERVICE").is_some() {
        return Err(SettingsError::Unsupported("service (PGSERVICE)".to_owned()));
    }
    let (rest, handled) = split(conninfo)?;
    let mut pg: tokio_postgres::Config = rest
        .parse()
        .map_err(|e: tokio_postgres::Error| SettingsError::Syntax(e.to_string()))?;
    if uri_without_port(&rest) {
        // tokio-postgres writes 5432 for a URI host without a port; libpq lets PGPORT fill it.
        pg = without_ports(&pg);
    }
    let param = |name: &str, var: Option<&str>| -> Option<String> {
        handled
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .or_else(|| var.and_then(env))
    };
    fill_target(&mut pg, env)?;
    let home = home_dir(env);
    let password = fill_password(
        &mut pg,
        param("passfile", Some("PGPASSFILE")),
        home.as_deref(),
        env,
    );
    let application_name = param("application_name", Some("PGAPPNAME"))
        .or_else(|| param("fallback_application_name", None))
        .unwrap_or_else(|| APPLICATION_NAME.to_owned());
    pg.application_name(application_name);
    Ok(Settings {
        pg,
        tls: tls_settings(&param, home.as_deref())?,
        connect_timeout: connect_timeout(param("connect_timeout", Some("PGCONNECT_TIMEOUT")))?,
        keepalives: keepalives(&param)?,
        origin,
        password,
    })
}

/// The tool's own local cluster: loopback TCP, no TLS, its superuser, and (when the cluster has
/// one) its generated password.
pub fn local(port: u16, dbname: &str, user: &str, password: Option<String>) -> Settings {
    let mut pg = tokio_postgres::Config::new();
    pg.host("127.0.0.1")
        .port(port)
        .user(user)
        .dbname(dbname)
        .application_name(APPLICATION_NAME);
    let source = match password {
        Some(p) => {
            pg.password(p);
            PasswordSource::ConnectionString
        }
        None => PasswordSource::None {
            file: None,
            refused: None,
        },
    };
    Settings {
        pg,
        tls: TlsSettings {
            mode: SslMode::Disable,
            root: RootCerts::None,
            client: None,
        },
        connect_timeout: Some(DEFAULT_CONNECT_TIMEOUT),
        keepalives: Keepalives {
            enabled: true,
            idle: Duration::from_secs(60),
            interval: Duration::from_secs(15),
            retries: 4,
        },
        origin: Origin::Local,
        password: source,
    }
}

/// Fills hosts, ports, user and database from the environment, then libpq's defaults.
fn fill_target(pg: &mut tokio_postgres::Config, env: Env<'_>) -> Result<(), SettingsError> {
    if pg.get_hosts().is_empty() && pg.get_hostaddrs().is_empty() {
        if let Some(hosts) = env("PGHOST") {
            for host in hosts.split(',') {
                pg.host(host);
            }
        } else if let Some(addr) = env("PGHOSTADDR") {
            let addr = addr.parse().map_err(|_| SettingsError::Value {
                name: "hostaddr (PGHOSTADDR)".to_owned(),
                expected: "an IP address",
            })?;
            pg.hostaddr(addr);
        } else {
            pg.host(default_socket_dir());
        }
    }
    if pg.get_ports().is_empty() {
        for port in env("PGPORT").as_deref().unwrap_or("5432").split(',') {
            pg.port(port.trim().parse().map_err(|_| SettingsError::Value {
                name: "port (PGPORT)".to_owned(),
                expected: "a port number",
            })?);
        }
    }
    if pg.get_user().is_none() {
        pg.user(env("PGUSER").unwrap_or_else(os_user));
    }
    if pg.get_dbname().is_none() {
        let db = env("PGDATABASE").unwrap_or_else(|| pg.get_user().unwrap_or_default().to_owned());
        pg.dbname(db);
    }
    Ok(())
}

/// Whether `conninfo` is a URI that names hosts but no port for any of them.
fn uri_without_port(conninfo: &str) -> bool {
    let Some(rest) = conninfo
        .strip_prefix("postgresql://")
        .or_else(|| conninfo.strip_prefix("postgres://"))
    else {
        return false;
    };
    let authority = rest.split(['/', '?']).next().unwrap_or_default();
    let hosts = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    !hosts.is_empty()
        && hosts.split(',').all(|chunk| {
            let after_bracket = chunk.rsplit_once(']').map_or(chunk, |(_, p)| p);
            !after_bracket.contains(':')
        })
}

/// A copy of `pg` without its ports (tokio-postgres has no way to remove them).
fn without_ports(pg: &tokio_postgres::Config) -> tokio_postgres::Config {
    let mut out = tokio_postgres::Config::new();
    if let Some(user) = pg.get_user() {
        out.user(user);
    }
    if let Some(password) = pg.get_password() {
        out.password(password);
    }
    if let Some(dbname) = pg.get_dbname() {
        out.dbname(dbname);
    }
    if let Some(options) = pg.get_options() {
        out.options(options);
    }
    for host in pg.get_hosts() {
        match host {
            Host::Tcp(name) => out.host(name),
            Host::Unix(path) => out.host_path(path),
        };
    }
    for addr in pg.get_hostaddrs() {
        out.hostaddr(*addr);
    }
    if let Some(timeout) = pg.get_tcp_user_timeout() {
        out.tcp_user_timeout(*timeout);
    }
    out.target_session_attrs(pg.get_target_session_attrs())
        .channel_binding(pg.get_channel_binding())
        .load_balance_hosts(pg.get_load_balance_hosts())
        .ssl_negotiation(pg.get_ssl_negotiation());
    out
}

/// libpq's default host: the Unix-socket directory (Debian's, else the upstream `/tmp`).
fn default_socket_dir() -> &'static str {
    if Path::new("/var/run/postgresql").is_dir() {
        "/var/run/postgresql"
    } else {
        "/tmp"
    }
}

fn os_user() -> String {
    nix::unistd::User::from_uid(nix::unistd::getuid())
        .ok()
        .flatten()
        .map(|u| u.name)
        .unwrap_or_else(|| "postgres".to_owned())
}

fn home_dir(env: Env<'_>) -> Option<PathBuf> {
    env("HOME").map(PathBuf::from).or_else(|| {
        nix::unistd::User::from_uid(nix::unistd::getuid())
            .ok()
            .flatten()
            .map(|u| u.dir)
    })
}

/// The password: given, else `PGPASSWORD`, else the password file's first matching line.
fn fill_password(
    pg: &mut tokio_postgres::Config,
    passfile: Option<String>,
    home: Option<&Path>,
    env: Env<'_>,
) -> PasswordSource {
    if pg.get_password().is_some() {
        return PasswordSource::ConnectionString;
    }
    if let Some(password) = env("PGPASSWORD") {
        pg.password(password);
        return PasswordSource::Environment;
    }
    let Some(file) = passfile
        .map(PathBuf::from)
        .or_else(|| pgpass::default_path(home))
    else {
        return PasswordSource::None {
            file: None,
            refused: None,
        };
    };
    let ports = pg.get_ports().to_vec();
    let hosts: Vec<String> = pg.get_hosts().iter().map(host_name).collect();
    let (user, database) = (
        pg.get_user().unwrap_or_default().to_owned(),
        pg.get_dbname().unwrap_or_default().to_owned(),
    );
    for (i, host) in hosts.iter().enumerate() {
        let port = ports.get(i).or(ports.first()).copied().unwrap_or(5432);
        let key = pgpass::Key {
            host,
            port,
            database: &database,
            user: &user,
        };
        match pgpass::lookup(&file, key) {
            pgpass::Lookup::Found(password) => {
                pg.password(password);
                return PasswordSource::File(file);
            }
            pgpass::Lookup::Refused(reason) => {
                return PasswordSource::None {
                    file: Some(file),
                    refused: Some(reason),
                }
            }
            pgpass::Lookup::NoMatch | pgpass::Lookup::Missing => {}
        }
    }
    PasswordSource::None {
        file: Some(file),
        refused: None,
    }
}

/// A host as text: a name, or a Unix-socket directory.
pub fn host_name(host: &Host) -> String {
    match host {
        Host::Tcp(name) => name.clone(),
        Host::Unix(path) => path.display().to_string(),
    }
}

fn tls_settings(
    param: &dyn Fn(&str, Option<&str>) -> Option<String>,
    home: Option<&Path>,
) -> Result<TlsSettings, SettingsError> {
    let explicit_mode = match param("sslmode", Some("PGSSLMODE")) {
        Some(value) => Some(SslMode::parse(&value).ok_or(SettingsError::Value {
            name: "sslmode".to_owned(),
            expected: "disable, allow, prefer, require, verify-ca or verify-full",
        })?),
        None => None,
    };
    let pg_dir = home.map(|h| h.join(".postgresql"));
    let root = match param("sslrootcert", Some("PGSSLROOTCERT")) {
        Some(value) if value == "system" => RootCerts::System,
        Some(file) => RootCerts::File(PathBuf::from(file)),
        None => pg_dir
            .as_ref()
            .map(|d| d.join("root.crt"))
            .filter(|p| p.is_file())
            .map_or(RootCerts::None, RootCerts::File),
    };
    let mode = match (explicit_mode, &root) {
        (None, RootCerts::System) => SslMode::VerifyFull,
        (Some(mode), RootCerts::System)
            if mode != SslMode::VerifyFull && mode != SslMode::Disable =>
        {
            return Err(SettingsError::Tls(format!(
                "weak sslmode \"{}\" may not be used with sslrootcert=system (use \"verify-full\")",
                mode.as_str()
            )))
        }
        (mode, _) => mode.unwrap_or(SslMode::Prefer),
    };
    if mode >= SslMode::VerifyCa && root == RootCerts::None {
        return Err(SettingsError::Tls(format!(
            "sslmode={} needs the certificate authority that signed the server's certificate: set \
             sslrootcert=FILE (or sslrootcert=system for the platform's roots), or put it in \
             ~/.postgresql/root.crt",
            mode.as_str()
        )));
    }
    if let RootCerts::File(file) = &root {
        if mode != SslMode::Disable && !file.is_file() {
            return Err(SettingsError::Tls(format!(
                "root certificate file {} does not exist",
                file.display()
            )));
        }
    }
    let default_file = |name: &str| {
        pg_dir
            .as_ref()
            .map(|d| d.join(name))
            .filter(|p| p.is_file())
    };
    let cert = param("sslcert", Some("PGSSLCERT"))
        .map(PathBuf::from)
        .or_else(|| default_file("postgresql.crt"));
    let key = param("sslkey", Some("PGSSLKEY"))
        .map(PathBuf::from)
        .or_else(|| default_file("postgresql.key"));
    let client = match (cert, key) {
        (Some(cert), Some(key)) => Some((cert, key)),
        (None, None) => None,
        (Some(cert), None) => {
            return Err(SettingsError::Tls(format!(
                "client certificate {} given without its key: set sslkey",
                cert.display()
            )))
        }
        (None, Some(_)) => {
            return Err(SettingsError::Tls(
                "sslkey given without a client certificate: set sslcert".to_owned(),
            ))
        }
    };
    Ok(TlsSettings { mode, root, client })
}

/// libpq's `connect_timeout`: whole seconds, at least 2; 0 waits for ever. Default 30 s.
fn connect_timeout(value: Option<String>) -> Result<Option<Duration>, SettingsError> {
    let Some(value) = value else {
        return Ok(Some(DEFAULT_CONNECT_TIMEOUT));
    };
    let seconds: i64 = value.trim().parse().map_err(|_| SettingsError::Value {
        name: "connect_timeout".to_owned(),
        expected: "whole seconds",
    })?;
    Ok(match u64::try_from(seconds) {
        Ok(0) | Err(_) => None,
        Ok(s) => Some(Duration::from_secs(s.max(2))),
    })
}

fn keepalives(
    param: &dyn Fn(&str, Option<&str>) -> Option<String>,
) -> Result<Keepalives, SettingsError> {
    let number = |name: &str, default: u64| -> Result<u64, SettingsError> {
        param(name, None).map_or(Ok(default), |v| {
            v.trim().parse().map_err(|_| SettingsError::Value {
                name: name.to_owned(),
                expected: "a whole number",
            })
        })
    };
    Ok(Keepalives {
        enabled: number("keepalives", 1)? != 0,
        idle: Duration::from_secs(number("keepalives_idle", 60)?.max(1)),
        interval: Duration::from_secs(number("keepalives_interval", 15)?.max(1)),
        retries: u32::try_from(number("keepalives_retries", 4)?).unwrap_or(u32::MAX),
    })
}

/// Splits a connection string into what tokio-postgres parses and the parameters handled here.
fn split(conninfo: &str) -> Result<(String, Vec<(String, String)>), SettingsError> {
    let conninfo = conninfo.trim();
    if conninfo.starts_with("postgresql://") || conninfo.starts_with("postgres://") {
        split_uri(conninfo)
    } else {
        split_keywords(conninfo)
    }
}

fn classify(key: &str) -> Result<bool, SettingsError> {
    if PASSED_THROUGH.contains(&key) {
        Ok(false)
    } else if HANDLED.contains(&key) {
        Ok(true)
    } else {
        Err(SettingsError::Unsupported(key.to_owned()))
    }
}

fn split_uri(uri: &str) -> Result<(String, Vec<(String, String)>), SettingsError> {
    let Some((base, query)) = uri.split_once('?') else {
        return Ok((uri.to_owned(), Vec::new()));
    };
    let decode = |s: &str| -> Result<String, SettingsError> {
        percent_decode_str(s)
            .decode_utf8()
            .map(|v| v.into_owned())
            .map_err(|_| SettingsError::Syntax("a query parameter is not valid UTF-8".to_owned()))
    };
    let mut kept = Vec::new();
    let mut handled = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair
            .split_once('=')
            .ok_or_else(|| SettingsError::Syntax("a query parameter has no `=`".to_owned()))?;
        let key = decode(key)?;
        if classify(&key)? {
            handled.push((key, decode(value)?));
        } else {
            kept.push(pair);
        }
    }
    let rest = if kept.is_empty() {
        base.to_owned()
    } else {
        format!("{base}?{}", kept.join("&"))
    };
    Ok((rest, handled))
}

fn split_keywords(conninfo: &str) -> Result<(String, Vec<(String, String)>), SettingsError> {
    let mut kept = Vec::new();
    let mut handled = Vec::new();
    for (key, value) in keyword_pairs(conninfo)? {
        if classify(&key)? {
            handled.push((key, value));
        } else {
            let quoted = value.replace('\\', "\\\\").replace('\'', "\\'");
            kept.push(format!("{key}='{quoted}'"));
        }
    }
    Ok((kept.join(" "), handled))
}

/// libpq's `key = value` grammar: values bare or in single quotes, `\` escaping the next character.
fn keyword_pairs(conninfo: &str) -> Result<Vec<(String, String)>, SettingsError> {
    let mut pairs = Vec::new();
    let mut chars = conninfo.chars().peekable();
    let skip_space = |chars: &mut std::iter::Peekable<std::str::Chars<'_>>| {
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
    };
    loop {
        skip_space(&mut chars);
        if chars.peek().is_none() {
            return Ok(pairs);
        }
        let mut key = String::new();
        while let Some(c) = chars.next_if(|c| *c != '=' && !c.is_whitespace()) {
            key.push(c);
        }
        skip_space(&mut chars);
        if chars.next() != Some('=') {
            return Err(SettingsError::Syntax(format!(
                "missing \"=\" after \"{key}\" in connection info string"
            )));
        }
        skip_space(&mut chars);
        let mut value = String::new();
        if chars.next_if_eq(&'\'').is_some() {
            loop {
                match chars.next() {
                    Some('\'') => break,
                    Some('\\') => value.extend(chars.next()),
                    Some(c) => value.push(c),
                    None => {
                        return Err(SettingsError::Syntax(
                            "unterminated quoted string in connection info string".to_owned(),
                        ))
                    }
                }
            }
        } else {
            while let Some(c) = chars.next_if(|c| !c.is_whitespace()) {
                if c == '\\' {
                    value.extend(chars.next());
                } else {
                    value.push(c);
                }
            }
        }
        pairs.push((key, value));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn with_env(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |name| map.get(name).cloned()
    }

    fn hosts(s: &Settings) -> Vec<String> {
        s.pg.get_hosts().iter().map(host_name).collect()
    }

    #[test]
    fn the_connection_string_wins_over_the_environment_which_fills_the_rest() {
        let env = with_env(&[
            ("PGHOST", "envhost"),
            ("PGPORT", "6000"),
            ("PGUSER", "envuser"),
            ("PGDATABASE", "envdb"),
            ("PGPASSWORD", "envpw"),
            ("HOME", "/nonexistent"),
        ]);
        let s = resolve("postgresql://alice@db.example/prod", Origin::Flag, &env).unwrap();
        assert_eq!(hosts(&s), ["db.example"]);
        assert_eq!(s.pg.get_ports(), [6000]);
        assert_eq!(s.pg.get_user(), Some("alice"));
        assert_eq!(s.pg.get_dbname(), Some("prod"));
        assert_eq!(s.pg.get_password(), Some(&b"envpw"[..]));
        assert_eq!(s.password, PasswordSource::Environment);
        let s = resolve("", Origin::Environment, &env).unwrap();
        assert_eq!(hosts(&s), ["envhost"]);
        assert_eq!(s.pg.get_user(), Some("envuser"));
        assert_eq!(s.pg.get_dbname(), Some("envdb"));
    }

    #[test]
    fn a_uri_port_wins_over_pgport_and_a_missing_one_comes_from_it() {
        let env = with_env(&[("PGPORT", "6000"), ("HOME", "/none")]);
        let s = resolve("postgresql://u@h:7000/d", Origin::Flag, &env).unwrap();
        assert_eq!(s.pg.get_ports(), [7000]);
        let s = resolve(
            "postgresql://u@h1,h2/d?target_session_attrs=read-write",
            Origin::Flag,
            &env,
        )
        .unwrap();
        assert_eq!(s.pg.get_ports(), [6000]);
        assert_eq!(hosts(&s), ["h1", "h2"]);
        let s = resolve("postgresql://u@[::1]/d", Origin::Flag, &env).unwrap();
        assert_eq!(s.pg.get_ports(), [6000]);
    }

    #[test]
    fn libpq_only_parameters_are_taken_out_of_a_uri() {
        let dir = tempfile::tempdir().unwrap();
        let ca = dir.path().join("ca.pem");
        std::fs::write(&ca, "x").unwrap();
        let uri = format!(
            "postgresql://u@h:5433/d?sslmode=verify-full&sslrootcert={}&application_name=cutover&connect_timeout=5&target_session_attrs=read-write",
            ca.display()
        );
        let s = resolve(&uri, Origin::Flag, &with_env(&[("HOME", "/nonexistent")])).unwrap();
        assert_eq!(s.tls.mode, SslMode::VerifyFull);
        assert_eq!(s.tls.root, RootCerts::File(ca));
        assert_eq!(s.pg.get_application_name(), Some("cutover"));
        assert_eq!(s.connect_timeout, Some(Duration::from_secs(5)));
        assert_eq!(s.pg.get_ports(), [5433]);
    }

    #[test]
    fn keyword_strings_with_quotes_are_understood() {
        let env = with_env(&[("HOME", "/nonexistent")]);
        let s = resolve(
            "host=h port=5434 dbname='my db' user=u password='it\\'s' sslmode=require",
            Origin::Flag,
            &env,
        )
        .unwrap();
        assert_eq!(s.pg.get_dbname(), Some("my db"));
        assert_eq!(s.pg.get_password(), Some(&b"it's"[..]));
        assert_eq!(s.tls.mode, SslMode::Require);
        assert_eq!(s.tls.root, RootCerts::None);
    }

    #[test]
    fn defaults_are_prefer_thirty_seconds_and_our_application_name() {
        let s = resolve(
            "postgresql://u@h/d",
            Origin::Flag,
            &with_env(&[("HOME", "/none")]),
        )
        .unwrap();
        assert_eq!(s.tls.mode, SslMode::Prefer);
        assert_eq!(s.connect_timeout, Some(DEFAULT_CONNECT_TIMEOUT));
        assert_eq!(s.pg.get_application_name(), Some(APPLICATION_NAME));
        assert!(s.keepalives.enabled);
        let env = with_env(&[
            ("HOME", "/none"),
            ("PGAPPNAME", "mine"),
            ("PGCONNECT_TIMEOUT", "0"),
        ]);
        let s = resolve("postgresql://u@h/d", Origin::Flag, &env).unwrap();
        assert_eq!(s.pg.get_application_name(), Some("mine"));
        assert_eq!(s.connect_timeout, None);
    }

    #[test]
    fn system_roots_imply_verify_full_and_refuse_weaker_modes() {
        let env = with_env(&[("HOME", "/none")]);
        let s = resolve("postgresql://u@h/d?sslrootcert=system", Origin::Flag, &env).unwrap();
        assert_eq!(s.tls.mode, SslMode::VerifyFull);
        let e = resolve(
            "postgresql://u@h/d?sslrootcert=system&sslmode=require",
            Origin::Flag,
            &env,
        )
        .unwrap_err();
        assert!(e.to_string().contains("weak sslmode"), "{e}");
    }

    #[test]
    fn verification_without_a_root_certificate_is_refused_before_connecting() {
        let env = with_env(&[("HOME", "/none"), ("PGSSLMODE", "verify-ca")]);
        let e = resolve("postgresql://u@h/d", Origin::Flag, &env).unwrap_err();
        assert!(e.to_string().contains("sslrootcert"), "{e}");
        let e = resolve(
            "postgresql://u@h/d?sslrootcert=/no/such.pem",
            Origin::Flag,
            &env,
        )
        .unwrap_err();
        assert!(e.to_string().contains("does not exist"), "{e}");
    }

    #[test]
    fn unknown_parameters_are_named_and_bad_values_never_echoed() {
        let env = with_env(&[("HOME", "/none")]);
        let e = resolve("postgresql://u@h/d?sslcrl=x", Origin::Flag, &env).unwrap_err();
        assert!(e.to_string().contains("`sslcrl`"), "{e}");
        let e = resolve("host=h sslmode=sometimes", Origin::Flag, &env).unwrap_err();
        assert!(!e.to_string().contains("sometimes"), "{e}");
        let e = resolve("", Origin::Environment, &with_env(&[("PGSERVICE", "prod")])).unwrap_err();
        assert!(e.to_string().contains("service"), "{e}");
    }

    #[test]
    fn the_password_file_supplies_a_missing_password() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("pgpass");
        std::fs::write(&file, "h:5432:d:u:from-file\n").unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
        let path = file.display().to_string();
        let env = with_env(&[("HOME", "/none"), ("PGPASSFILE", &path)]);
        let s = resolve("postgresql://u@h/d", Origin::Flag, &env).unwrap();
        assert_eq!(s.pg.get_password(), Some(&b"from-file"[..]));
        assert_eq!(s.password, PasswordSource::File(file.clone()));
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
        let s = resolve("postgresql://u@h/d", Origin::Flag, &env).unwrap();
        assert_eq!(s.pg.get_password(), None);
        assert!(matches!(
            s.password,
            PasswordSource::None {
                refused: Some(_),
                ..
            }
        ));
    }
}
