//! ① `data/users.json` (docs/formats.md#users_json): one key per user, `{email, password_hash,
//! created_at, last_login}`. bcrypt hashes are copied verbatim (the database era checks the same
//! scheme); naive local times are read in `--legacy-timezone` and listed in
//! `metadata.timestamp_zone_assumed`. Feeds `stage_users`; the transform decides each user against
//! the database (47_users.sql): a later version updates the user the migrator wrote, a conflict
//! with another user is reported, never overwritten.

use super::context::{FileCtx, Parsed};
use super::json_text::{broken_document, nul_field, JsonText};
use super::positions::{item_lines, line_of};
use super::values::{parse_timestamp, TimestampZone};
use crate::model::{natural_key, Kind, UserRecord};
use chrono::{DateTime, Utc};
use serde_json::{json, Value};

/// Whether `s` has the shape of a bcrypt hash (`$2a$`/`$2b$`/`$2y$`, two-digit cost, 53 characters
/// of salt and digest): anything else would lock its user out, so it is rejected, not copied.
pub fn is_bcrypt(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 60
        && s.starts_with("$2")
        && matches!(b[2], b'a' | b'b' | b'y')
        && b[3] == b'$'
        && b[4].is_ascii_digit()
        && b[5].is_ascii_digit()
        && b[6] == b'$'
        && b[7..]
            .iter()
            .all(|c| c.is_ascii_alphanumeric() || *c == b'.' || *c == b'/')
}

/// Reads users.json. A user holding invalid UTF-8, a NUL character or a lone surrogate is
/// rejected; a document that does not parse rejects every user it began.
pub fn read(bytes: &[u8], ctx: &FileCtx) -> Parsed<UserRecord> {
    let mut out = Parsed::default();
    let prepared = JsonText::new(bytes.strip_prefix(super::source::BOM).unwrap_or(bytes));
    let text: &str = &prepared.text;
    let map = match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(map)) => map,
        Ok(_) => {
            let reason = "users.json is not a JSON object";
            out.records = 1;
            out.rejects.push(ctx.reject(1, None, None, reason));
            out.file_rejected = Some(reason.to_owned());
            return out;
        }
        Err(e) => return broken_document(text, 1, &e, ctx, "users.json"),
    };
    let lines = item_lines(text, 1);
    for (i, (username, user)) in map.iter().enumerate() {
        out.records += 1;
        let line = line_of(&lines, i);
        let nul = if username.contains('\0') {
            Some("username".to_owned())
        } else {
            nul_field(user)
        };
        if let Some(field) = nul {
            let reason = prepared.reason(line, lines.get(i + 1).copied(), &field);
            out.rejects
                .push(ctx.reject(line, None, Some(field.as_str()), reason));
            continue;
        }
        match user_record(username, user, ctx, line) {
            Ok(r) => out.rows.push(r),
            Err((field, reason)) => out
                .rejects
                .push(ctx.reject(line, None, Some(field), reason)),
        }
    }
    out
}

/// A time as read: the instant and how it was written (naive ones are read in `--legacy-timezone`).
type Time = (DateTime<Utc>, TimestampZone);

/// A `users.json` time: `None` when absent or null.
fn time(
    user: &Value,
    field: &'static str,
    ctx: &FileCtx,
) -> Result<Option<Time>, (&'static str, String)> {
    match user.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => parse_timestamp(s, &ctx.legacy_tz)
            .map(Some)
            .map_err(|e| (field, e.to_string())),
        Some(_) => Err((field, format!("{field} is not a string"))),
    }
}

/// The fields of `times` that were naive, for `metadata.timestamp_zone_assumed` (counted in the
/// report's `naive_timestamps`).
fn naive_fields(times: &[(&'static str, Option<Time>)]) -> Vec<&'static str> {
    times
        .iter()
        .filter(|(_, t)| matches!(t, Some((_, TimestampZone::AssumedLocal))))
        .map(|(field, _)| *field)
        .collect()
}

fn user_record(
    username: &str,
    user: &Value,
    ctx: &FileCtx,
    line: u64,
) -> Result<UserRecord, (&'static str, String)> {
    if username.is_empty() || username.chars().count() > 100 {
        return Err((
            "username",
            "username is empty or longer than 100 characters".to_owned(),
        ));
    }
    let email = user
        .get("email")
        .and_then(Value::as_str)
        .filter(|e| !e.is_empty())
        .ok_or(("email", "user has no email".to_owned()))?;
    if email.chars().count() > 255 {
        return Err(("email", "email is longer than 255 characters".to_owned()));
    }
    let hash = user
        .get("password_hash")
        .and_then(Value::as_str)
        .ok_or(("password_hash", "user has no password_hash".to_owned()))?;
    if !is_bcrypt(hash) {
        return Err((
            "password_hash",
            "password_hash is not a bcrypt hash".to_owned(),
        ));
    }
    let created = time(user, "created_at", ctx)?;
    let login = time(user, "last_login", ctx)?;
    let naive = naive_fields(&[("created_at", created), ("last_login", login)]);
    let (created_at, last_login) = (created.map(|t| t.0), login.map(|t| t.0));
    let as_written = |field| user.get(field).and_then(Value::as_str).unwrap_or("");
    let mut metadata = json!({
        "legacy_source": ctx.display,
        "source": {"file": ctx.display, "line": line},
        "legacy_timezone": ctx.legacy_tz.name(),
        "created_at_missing": created_at.is_none(),
    });
    if !naive.is_empty() {
        metadata["timestamp_zone_assumed"] = json!(naive);
    }
    // `last_login` is part of the key: a later version of a user is a new source record, which
    // the transform decides against the stored user (47_users.sql).
    let key = natural_key(&[
        Kind::UsersJson.name(),
        username,
        email,
        hash,
        as_written("created_at"),
        as_written("last_login"),
    ]);
    Ok(UserRecord {
        file_no: ctx.file_no,
        line: i64::try_from(line).unwrap_or(i64::MAX),
        source_key: key,
        username: username.to_owned(),
        email: email.to_owned(),
        password_hash: hash.to_owned(),
        created_at,
        last_login,
        metadata,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const HASH: &str = "$2b$12$abcdefghijklmnopqrstuuABCDEFGHIJKLMNOPQRSTUVWXYZ01234";

    #[test]
    fn bcrypt_shape() {
        assert_eq!(HASH.len(), 60);
        assert!(is_bcrypt(HASH));
        assert!(!is_bcrypt("$1$abc"));
        assert!(!is_bcrypt(&HASH.replace("$12$", "$x2$")));
    }

    #[test]
    fn users_with_naive_times_in_the_legacy_zone() {
        let doc = format!(
            "{{\n  \"ann\": {{\n    \"email\": \"ann@example.test\",\n    \"password_hash\": \"{HASH}\",\n    \"created_at\": \"2025-11-21T18:02:11.123456\",\n    \"last_login\": null\n  }},\n  \"bob\": {{\n    \"email\": \"\",\n    \"password_hash\": \"{HASH}\"\n  }}\n}}"
        );
        let mut ctx = FileCtx::for_tests("users.json");
        ctx.legacy_tz = chrono_tz::Asia::Kolkata;
        let parsed = read(doc.as_bytes(), &ctx);
        assert_eq!((parsed.records, parsed.rows.len()), (2, 1));
        let ann = &parsed.rows[0];
        assert_eq!(ann.line, 2);
        assert_eq!(ann.password_hash, HASH);
        assert_eq!(
            ann.created_at.map(|t| t.to_rfc3339()).as_deref(),
            Some("2025-11-21T12:32:11.123456+00:00")
        );
        assert_eq!(ann.last_login, None);
        assert_eq!(
            ann.metadata["timestamp_zone_assumed"],
            json!(["created_at"])
        );
        assert_eq!(parsed.rejects[0].line, 8);
        assert_eq!(parsed.rejects[0].field.as_deref(), Some("email"));
    }

    #[test]
    fn a_users_file_cut_short_is_rejected_whole_and_a_nul_rejects_one_user() {
        let doc = format!(
            "{{\n  \"ann\": {{\"email\": \"a@x\", \"password_hash\": \"{HASH}\"}},\n  \"bob\": {{\"email\": \"b@x\", \"pass"
        );
        let parsed = read(doc.as_bytes(), &FileCtx::for_tests("users.json"));
        assert_eq!((parsed.records, parsed.rows.len()), (2, 0));
        assert!(parsed.file_rejected.is_some());
        let doc = format!(
            "{{\"ann\": {{\"email\": \"a\\u0000@x\", \"password_hash\": \"{HASH}\"}},\n\"bob\": {{\"email\": \"b@x\", \"password_hash\": \"{HASH}\"}}}}"
        );
        let parsed = read(doc.as_bytes(), &FileCtx::for_tests("users.json"));
        assert_eq!((parsed.records, parsed.rows.len()), (2, 1));
        assert_eq!(parsed.rejects[0].field.as_deref(), Some("email"));
    }

    #[test]
    fn a_later_login_is_a_new_record_and_zoned_times_are_not_naive() {
        let user = |login: &str| {
            format!(
                "{{\"ann\": {{\"email\": \"a@x\", \"password_hash\": \"{HASH}\", \"created_at\": \"2025-11-21T18:02:11Z\", \"last_login\": {login}}}}}"
            )
        };
        let ctx = FileCtx::for_tests("users.json");
        let read_one = |login: &str| read(user(login).as_bytes(), &ctx).rows.remove(0);
        let (never, once, again) = (
            read_one("null"),
            read_one("\"2025-11-22T09:15:00\""),
            read_one("\"2025-11-25T07:30:00Z\""),
        );
        assert_ne!(never.source_key, once.source_key);
        assert_ne!(once.source_key, again.source_key);
        assert_eq!(
            once.source_key,
            read_one("\"2025-11-22T09:15:00\"").source_key
        );
        assert_eq!(
            once.metadata["timestamp_zone_assumed"],
            json!(["last_login"])
        );
        assert!(never.metadata.get("timestamp_zone_assumed").is_none());
        assert!(again.metadata.get("timestamp_zone_assumed").is_none());
    }
}
