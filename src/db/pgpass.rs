//! The libpq password file (`~/.pgpass`, `PGPASSFILE`, the `passfile` parameter): lines of
//! `hostname:port:database:username:password`, `*` matching anything, `\` escaping `:` and `\`.
//! As libpq does, a file that the group or others may read or write is not used (with a warning),
//! and a Unix-socket host is matched as `localhost`. Feeds `conninfo`, which asks it only when no
//! password was given.

use std::path::{Path, PathBuf};

/// What looking in the password file gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    /// A line matched.
    Found(String),
    /// The file exists and was read; no line matched.
    NoMatch,
    /// There is no such file (not an error: most users have none).
    Missing,
    /// The file was not used; the reason is for a warning and for the authentication hint.
    Refused(String),
}

/// The identity a password is looked up for.
#[derive(Debug, Clone, Copy)]
pub struct Key<'a> {
    /// Host name or address as given; a Unix-socket directory matches as `localhost`.
    pub host: &'a str,
    pub port: u16,
    pub database: &'a str,
    pub user: &'a str,
}

/// Looks `key` up in the password file at `path`.
pub fn lookup(path: &Path, key: Key<'_>) -> Lookup {
    let metadata = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Lookup::Missing,
        Err(e) => {
            return Lookup::Refused(format!(
                "password file {} cannot be read: {e}",
                path.display()
            ))
        }
    };
    if !metadata.is_file() {
        return Lookup::Refused(format!(
            "password file {} is not a plain file",
            path.display()
        ));
    }
    if let Some(reason) = unsafe_permissions(path, &metadata) {
        return Lookup::Refused(reason);
    }
    match std::fs::read_to_string(path) {
        Ok(text) => find(&text, key).map_or(Lookup::NoMatch, Lookup::Found),
        Err(e) => Lookup::Refused(format!(
            "password file {} cannot be read: {e}",
            path.display()
        )),
    }
}

/// libpq ignores a password file with any group or other permission bit (0600 or less is fine).
fn unsafe_permissions(path: &Path, metadata: &std::fs::Metadata) -> Option<String> {
    use std::os::unix::fs::PermissionsExt;
    let mode = metadata.permissions().mode() & 0o777;
    (mode & 0o077 != 0).then(|| {
        format!(
            "password file {} has group or world access (mode {mode:04o}); permissions should be \
             u=rw (0600) or less: chmod 0600 {}",
            path.display(),
            path.display()
        )
    })
}

/// The file libpq would read: `passfile` parameter or `PGPASSFILE`, else `~/.pgpass`.
pub fn default_path(home: Option<&Path>) -> Option<PathBuf> {
    home.map(|h| h.join(".pgpass"))
}

/// The password of the first line matching `key`.
pub fn find(text: &str, key: Key<'_>) -> Option<String> {
    let host = if key.host.is_empty() || key.host.starts_with('/') {
        "localhost"
    } else {
        key.host
    };
    let port = key.port.to_string();
    let wanted = [host, port.as_str(), key.database, key.user];
    text.lines()
        .map(|line| line.strip_suffix('\r').unwrap_or(line))
        .filter(|line| !line.trim().is_empty() && !line.starts_with('#'))
        .filter_map(fields)
        .find(|f| {
            f.iter()
                .zip(wanted)
                .all(|(field, value)| field == "*" || field == value)
        })
        .map(|mut f| f.swap_remove(4))
}

/// Splits a line into its five fields, undoing `\` escapes; `None` for a line with fewer fields.
fn fields(line: &str) -> Option<Vec<String>> {
    let mut out = vec![String::new()];
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let Some(next) = chars.next() {
                    out.last_mut()?.push(next);
                }
            }
            ':' if out.len() < 5 => out.push(String::new()),
            _ => out.last_mut()?.push(c),
        }
    }
    (out.len() == 5).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn key<'a>(host: &'a str, port: u16, database: &'a str, user: &'a str) -> Key<'a> {
        Key {
            host,
            port,
            database,
            user,
        }
    }

    #[test]
    fn the_first_matching_line_wins_and_stars_match_anything() {
        let text = "# comment\n\
                    db.example:5432:prod:alice:first\n\
                    *:*:*:alice:second\n\
                    *:*:*:*:third\n";
        assert_eq!(
            find(text, key("db.example", 5432, "prod", "alice")).as_deref(),
            Some("first")
        );
        assert_eq!(
            find(text, key("db.example", 6432, "prod", "alice")).as_deref(),
            Some("second")
        );
        assert_eq!(
            find(text, key("other", 1, "x", "bob")).as_deref(),
            Some("third")
        );
    }

    #[test]
    fn escaped_colons_and_backslashes_are_part_of_a_field() {
        let text = "h:5432:d:u:pa\\:ss\\\\word\n";
        assert_eq!(
            find(text, key("h", 5432, "d", "u")).as_deref(),
            Some("pa:ss\\word")
        );
        // A colon inside the password field needs no escape: the fifth field is the rest of the line.
        assert_eq!(
            find("h:1:d:u:a:b\n", key("h", 1, "d", "u")).as_deref(),
            Some("a:b")
        );
    }

    #[test]
    fn a_unix_socket_host_matches_as_localhost() {
        let text = "localhost:5432:*:u:sock\n";
        assert_eq!(
            find(text, key("/var/run/postgresql", 5432, "d", "u")).as_deref(),
            Some("sock")
        );
        assert_eq!(find(text, key("127.0.0.1", 5432, "d", "u")), None);
    }

    #[test]
    fn short_lines_and_crlf_are_handled() {
        assert_eq!(find("h:1:d\n", key("h", 1, "d", "u")), None);
        assert_eq!(
            find("h:1:d:u:pw\r\n", key("h", 1, "d", "u")).as_deref(),
            Some("pw")
        );
    }

    #[test]
    fn a_group_or_world_readable_file_is_refused_and_a_private_one_is_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pgpass");
        std::fs::write(&path, "*:*:*:*:secret\n").unwrap();
        let k = key("h", 1, "d", "u");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        match lookup(&path, k) {
            Lookup::Refused(why) => assert!(why.contains("group or world access"), "{why}"),
            other => panic!("expected a refusal, got {other:?}"),
        }
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert_eq!(lookup(&path, k), Lookup::Found("secret".to_owned()));
        assert_eq!(lookup(&dir.path().join("none"), k), Lookup::Missing);
    }
}
