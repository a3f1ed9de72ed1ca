//! One error type at the web edge: a page or JSON, never an internal detail.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

use crate::i18n::Lang;

#[derive(Debug)]
pub enum AppError {
    NotFound,
    BadRequest(String),
    Forbidden(String),
    /// Sign-in needed; carries the path to come back to.
    SignIn(String),
    Conflict(String),
    PayloadTooLarge(String),
    Unsupported(String),
    Internal(String),
}

impl From<parindex_db::DbError> for AppError {
    fn from(e: parindex_db::DbError) -> Self {
        AppError::Internal(e.to_string())
    }
}

impl From<askama::Error> for AppError {
    fn from(e: askama::Error) -> Self {
        AppError::Internal(e.to_string())
    }
}

impl AppError {
    fn status(&self) -> StatusCode {
        match self {
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::SignIn(_) => StatusCode::UNAUTHORIZED,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::Unsupported(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn public_message(&self, lang: Lang) -> String {
        match self {
            AppError::NotFound => lang.tr().not_found.to_string(),
            AppError::BadRequest(m)
            | AppError::Forbidden(m)
            | AppError::Conflict(m)
            | AppError::PayloadTooLarge(m)
            | AppError::Unsupported(m) => m.clone(),
            AppError::SignIn(_) => match lang {
                Lang::Vi => "Vui lòng đăng nhập để xem trang này.".into(),
                Lang::En => "Please sign in to see this page.".into(),
            },
            AppError::Internal(detail) => {
                tracing::error!(%detail, "internal error");
                lang.tr().server_error.to_string()
            }
        }
    }

    /// As an HTML page in the user's language (sign-in: a redirect to the form).
    pub fn page(self, lang: Lang) -> Response {
        if let AppError::SignIn(back) = &self {
            return axum::response::Redirect::to(&format!(
                "/login?next={}",
                crate::account::urlencode(back)
            ))
            .into_response();
        }
        let status = self.status();
        let msg = self.public_message(lang);
        let t = lang.tr();
        let body = format!(
            "<!doctype html><html lang=\"{}\"><head><meta charset=\"utf-8\"><title>{}</title>\
             <link rel=\"stylesheet\" href=\"/static/style.css\"></head><body><main>\
             <h1>{}</h1><p>{}</p><p><a href=\"/\">{}</a></p></main></body></html>",
            lang.code(),
            t.app,
            status.as_u16(),
            parindex_reports::chart::xml_escape(&msg),
            t.sets
        );
        (status, Html(body)).into_response()
    }

    /// As JSON `{ "error": "…" }`.
    pub fn json(self) -> Response {
        let status = self.status();
        let msg = self.public_message(Lang::Vi);
        (status, Json(serde_json::json!({ "error": msg }))).into_response()
    }
}
