//! `Checked<T>`: a signed-in user's urlencoded form whose `csrf` field matches the
//! session's token, read once and deserialised into `T`.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::core::error::AppError;
use crate::core::state::AppState;
use crate::extract::user::{back_to, session_user};

/// A form that passed the CSRF check.
pub struct Checked<T>(pub T);

#[derive(Deserialize, Default)]
struct Token {
    #[serde(default)]
    csrf: String,
}

/// Checks the form token of a signed-in user's POST.
pub fn check_csrf(user: &parindex_db::SessionUser, token: &str) -> Result<(), AppError> {
    if !token.is_empty() && token == user.csrf_token {
        Ok(())
    } else {
        Err(AppError::said(
            axum::http::StatusCode::FORBIDDEN,
            "Biểu mẫu đã hết hạn hoặc không hợp lệ. Vui lòng tải lại trang và thử lại.",
            "The form has expired or is not valid. Reload the page and try again.",
        ))
    }
}

impl<T: DeserializeOwned + Send> FromRequest<AppState> for Checked<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, st: &AppState) -> Result<Self, AppError> {
        let (mut parts, body) = req.into_parts();
        let user = session_user(&mut parts, st)
            .await
            .ok_or_else(|| AppError::SignIn(back_to(&parts)))?;
        let bytes = Bytes::from_request(Request::from_parts(parts, body), st)
            .await
            .map_err(|_| {
                AppError::said(
                    axum::http::StatusCode::PAYLOAD_TOO_LARGE,
                    "Biểu mẫu quá lớn.",
                    "The form is too large.",
                )
            })?;
        let token: Token = serde_urlencoded::from_bytes(&bytes).unwrap_or_default();
        check_csrf(&user, &token.csrf)?;
        let form = serde_urlencoded::from_bytes(&bytes).map_err(|_| {
            AppError::said(
                axum::http::StatusCode::BAD_REQUEST,
                "Biểu mẫu không đọc được.",
                "The form could not be read.",
            )
        })?;
        Ok(Checked(form))
    }
}
