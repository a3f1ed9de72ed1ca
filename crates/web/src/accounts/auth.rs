//! Session cookies; passwords and tokens come from `parindex_services::passwords`.

use axum::http::header;
use axum::http::request::Parts;

pub const SESSION_COOKIE: &str = "sid";
pub const LOGIN_CSRF_COOKIE: &str = "login_csrf";
/// Sessions last a working day and a half.
pub const SESSION_HOURS: i64 = 12;
pub use parindex_services::passwords::MIN_PASSWORD_CHARS;

pub use parindex_services::passwords::{
    dummy_hash, hash_password, new_token, token_hash, verify_password,
};

pub fn cookie<'a>(parts: &'a Parts, name: &str) -> Option<&'a str> {
    parts
        .headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|c| {
            c.trim()
                .strip_prefix(name)
                .and_then(|r| r.strip_prefix('='))
        })
}
