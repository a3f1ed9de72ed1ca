//! Passwords (argon2id), session tokens (random, stored hashed) and the signed-in user.

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use parindex_db::SessionUser;
use sha2::{Digest, Sha256};

use crate::state::AppState;

pub const SESSION_COOKIE: &str = "sid";
pub const LOGIN_CSRF_COOKIE: &str = "login_csrf";
/// Sessions last a working day and a half.
pub const SESSION_HOURS: i64 = 12;
pub const MIN_PASSWORD_CHARS: usize = 8;

/// An argon2id PHC string with a random salt.
pub fn hash_password(password: &str) -> Result<String, String> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| format!("không băm được mật khẩu: {e}"))
}

pub fn verify_password(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|h| {
        Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok()
    })
}

/// A PHC string of no real password: verifying against it costs as much as a real one,
/// so that a wrong username takes as long as a wrong password.
pub fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash_password("không-phải-mật-khẩu-nào").unwrap_or_default())
}

/// 32 random bytes, hex.
pub fn new_token() -> String {
    let mut b = [0u8; 32];
    // The operating system's generator; failure here means no safe token can be made.
    if getrandom::fill(&mut b).is_err() {
        return String::new();
    }
    hex::encode(b)
}

pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

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

/// The viewer of the domain's visibility rules for a signed-in user.
pub fn viewer(u: &SessionUser) -> parindex_domain::cycle::Viewer<'_> {
    parindex_domain::cycle::Viewer {
        role: u.user.role,
        unit: u.user.unit_code.as_deref(),
        unit_parent: u.unit_parent.as_deref(),
    }
}

/// The signed-in user, if any (`None` for visitors).
pub struct MaybeUser(pub Option<SessionUser>);

impl FromRequestParts<AppState> for MaybeUser {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, st: &AppState) -> Result<Self, Self::Rejection> {
        let Some(token) = cookie(parts, SESSION_COOKIE).filter(|t| t.len() == 64) else {
            return Ok(MaybeUser(None));
        };
        let user = st
            .db
            .session(&token_hash(token), &st.now())
            .await
            .ok()
            .flatten();
        Ok(MaybeUser(user))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_verify_and_tokens_are_random() {
        let h = hash_password("mật khẩu đủ dài").unwrap_or_default();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("mật khẩu đủ dài", &h));
        assert!(!verify_password("mật khẩu sai", &h));
        assert!(!verify_password("x", "not a hash"));
        let (a, b) = (new_token(), new_token());
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
        assert_eq!(token_hash(&a).len(), 64);
    }
}
