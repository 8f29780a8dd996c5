//! The text files of a cluster, as pure functions where they can be: the `.pgpass` line and its
//! password, the port `postgresql.conf` sets, and the private (0600) write the password goes
//! through.

use super::{ClusterError, SUPERUSER};
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;

/// A password for a new cluster: 32 random letters and digits (no character that `.pgpass` or a
/// URL would have to escape).
pub fn generate_password() -> String {
    use rand::Rng;
    rand::rng()
        .sample_iter(&rand::distr::Alphanumeric)
        .take(32)
        .map(char::from)
        .collect()
}

/// The `.pgpass` line for the superuser of a cluster on `port` of 127.0.0.1.
pub fn pgpass_line(port: u16, password: &str) -> String {
    format!("127.0.0.1:{port}:*:{SUPERUSER}:{password}\n")
}

/// The superuser's password in `.pgpass` text, from the first line for 127.0.0.1 and that user
/// (any port: the port may have moved since).
pub fn password_in_pgpass(text: &str) -> Option<String> {
    text.lines().find_map(|line| {
        let fields: Vec<&str> = line.splitn(5, ':').collect();
        match fields.as_slice() {
            ["127.0.0.1", _, _, SUPERUSER, password] if !password.is_empty() => {
                Some((*password).to_owned())
            }
            _ => None,
        }
    })
}

/// Writes `text` to `path` readable by its owner only (0600, created so, never wider), through a
/// temporary file renamed into place.
pub(crate) fn write_private(
    path: &Path,
    text: &str,
    owner: Option<(u32, u32)>,
) -> Result<(), ClusterError> {
    let failed = |source| ClusterError::File {
        action: "writing",
        path: path.to_path_buf(),
        source,
    };
    let temporary = path.with_extension("tmp");
    let _ = std::fs::remove_file(&temporary);
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&temporary)
        .map_err(failed)?;
    file.set_permissions(std::fs::Permissions::from_mode(0o600))
        .and_then(|()| file.write_all(text.as_bytes()))
        .and_then(|()| file.sync_all())
        .map_err(failed)?;
    if let Some((uid, gid)) = owner {
        std::os::unix::fs::chown(&temporary, Some(uid), Some(gid)).map_err(failed)?;
    }
    std::fs::rename(&temporary, path).map_err(failed)
}

/// The port `postgresql.conf` text sets (its last uncommented `port` line), if any.
pub fn configured_port(conf: &str) -> Option<u16> {
    conf.lines()
        .rev()
        .find_map(port_setting)
        .and_then(|value| value.parse().ok())
}

/// The value of a `port = N` line (`port N` and a trailing comment allowed).
fn port_setting(line: &str) -> Option<&str> {
    let rest = line.trim_start().strip_prefix("port")?;
    if !rest.starts_with([' ', '\t', '=']) {
        return None;
    }
    let value = rest.trim_start().trim_start_matches('=').trim_start();
    let value = value.split('#').next().unwrap_or("").trim();
    Some(value.trim_matches('\''))
}

/// `postgresql.conf` text with every uncommented `port` line set to `port` (one added when none).
pub fn with_port(conf: &str, port: u16) -> String {
    let mut found = false;
    let mut out = String::with_capacity(conf.len() + 16);
    for line in conf.lines() {
        if port_setting(line).is_some() {
            found = true;
            out.push_str(&format!("port = {port}"));
        } else {
            out.push_str(line);
        }
        out.push('\n');
    }
    if !found {
        out.push_str(&format!("port = {port}\n"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pgpass_line_gives_back_its_password() {
        let line = pgpass_line(5433, "Ab3dE");
        assert_eq!(line, "127.0.0.1:5433:*:postgres:Ab3dE\n");
        assert_eq!(password_in_pgpass(&line).as_deref(), Some("Ab3dE"));
        assert_eq!(password_in_pgpass("localhost:5433:*:postgres:x\n"), None);
        assert_eq!(password_in_pgpass("127.0.0.1:5433:*:alice:x\n"), None);
    }

    #[test]
    fn generated_passwords_are_long_plain_and_different() {
        let (a, b) = (generate_password(), generate_password());
        assert_eq!(a.len(), 32);
        assert!(a.chars().all(|c| c.is_ascii_alphanumeric()), "{a}");
        assert_ne!(a, b);
    }

    #[test]
    fn the_last_port_line_of_postgresql_conf_counts() {
        let conf = "#port = 5432\t\t# (change requires restart)\nport = 5433\nportal = 1\nport=5434 # ours\n";
        assert_eq!(configured_port(conf), Some(5434));
        assert_eq!(configured_port("#port = 5432\n"), None);
        assert_eq!(configured_port("port '6000'\n"), Some(6000));
    }

    #[test]
    fn moving_the_port_rewrites_every_port_line_and_keeps_the_rest() {
        let conf = "#port = 5432\nport = 5433\nlisten_addresses = '127.0.0.1'\nport=5434\n";
        let moved = with_port(conf, 6000);
        assert_eq!(
            moved,
            "#port = 5432\nport = 6000\nlisten_addresses = '127.0.0.1'\nport = 6000\n"
        );
        assert_eq!(configured_port(&moved), Some(6000));
        assert_eq!(
            with_port("fsync = off\n", 7000),
            "fsync = off\nport = 7000\n"
        );
    }
}
