//! The staging record of one `users.json` user (→ `stage_users`).

use super::staged;
use chrono::{DateTime, Utc};
use serde_json::Value;

/// One `users.json` user.
#[derive(Debug, Clone, PartialEq)]
pub struct UserRecord {
    pub file_no: i32,
    pub line: i64,
    pub source_key: String,
    pub username: String,
    pub email: String,
    pub password_hash: String,
    pub created_at: Option<DateTime<Utc>>,
    pub last_login: Option<DateTime<Utc>>,
    pub metadata: Value,
}

staged! {
    UserRecord as r => "stage_users" {
        file_no: INT4,
        line: INT8,
        source_key: TEXT,
        username: TEXT,
        email: TEXT,
        password_hash: TEXT,
        created_at: TIMESTAMPTZ,
        last_login: TIMESTAMPTZ,
        metadata: JSONB,
    }
}
