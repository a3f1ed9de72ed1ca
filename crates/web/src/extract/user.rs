//! The signed-in user of a request, looked up once and kept in the request's extensions.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use parindex_db::SessionUser;
use parindex_domain::policy::Actor;

use crate::accounts::auth::{SESSION_COOKIE, cookie, token_hash};
use crate::core::state::AppState;

/// The signed-in user, if any (`None` for visitors).
pub struct MaybeUser(pub Option<SessionUser>);

#[derive(Clone)]
struct Looked(Option<SessionUser>);

/// The session behind the request's cookie, read from the database at most once a request.
pub async fn session_user(parts: &mut Parts, st: &AppState) -> Option<SessionUser> {
    if let Some(Looked(u)) = parts.extensions.get::<Looked>() {
        return u.clone();
    }
    let user = match cookie(parts, SESSION_COOKIE).filter(|t| t.len() == 64) {
        Some(token) => match st.db.session(&token_hash(token), &st.now()).await {
            Ok(u) => u,
            Err(e) => {
                // A fault of the database: the request goes on as a visitor's.
                tracing::error!(error = %e, "đọc phiên đăng nhập");
                None
            }
        },
        None => None,
    };
    parts.extensions.insert(Looked(user.clone()));
    user
}

impl FromRequestParts<AppState> for MaybeUser {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, st: &AppState) -> Result<Self, Self::Rejection> {
        Ok(MaybeUser(session_user(parts, st).await))
    }
}

/// The path (and query) to come back to after signing in.
pub fn back_to(parts: &Parts) -> String {
    parts
        .uri
        .path_and_query()
        .map_or_else(|| parts.uri.path().to_string(), |p| p.as_str().to_string())
}

/// The policy's view of a signed-in user.
pub fn actor(u: &SessionUser) -> Actor<'_> {
    Actor {
        role: u.user.role,
        unit: u.user.unit_code.as_deref(),
        unit_parent: u.unit_parent.as_deref(),
    }
}

/// Whether `user` may take `action` on `target` (for what a page offers: buttons, links).
pub fn may(
    user: &SessionUser,
    action: parindex_domain::policy::Action,
    target: &parindex_domain::policy::Target<'_>,
) -> bool {
    parindex_domain::policy::decide(Some(&actor(user)), action, target).is_ok()
}
