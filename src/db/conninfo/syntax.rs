//! The two forms of a libpq connection string, split into what tokio-postgres parses itself and
//! the parameters `conninfo` handles (TLS files, `passfile`, timeouts, keepalives, application
//! names): URI query values are percent-decoded, `key = 'value'` pairs follow libpq's quoting.

use super::SettingsError;
use percent_encoding::percent_decode_str;
use tokio_postgres::config::Host;

pub(super) const SUPPORTED: &str =
    "host, hostaddr, port, dbname, user, password, passfile, options, \
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

/// Whether `conninfo` is a URI that names hosts but no port for any of them.
pub(super) fn uri_without_port(conninfo: &str) -> bool {
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
pub(super) fn without_ports(pg: &tokio_postgres::Config) -> tokio_postgres::Config {
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

/// Splits a connection string into what tokio-postgres parses and the parameters handled here.
pub(super) fn split(conninfo: &str) -> Result<(String, Vec<(String, String)>), SettingsError> {
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
