//! One error type at the web edge. A handler or extractor returns it; the response carries
//! it to [`render_errors`], which knows the request's language and whether it came to the
//! API: a page inside the site's layout, or JSON — never an internal detail.

use askama::Template;
use axum::Json;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use parindex_db::SessionUser;

use crate::core::i18n::{Lang, Tr};
use crate::core::layout::{Chrome, lang_of};
use crate::core::state::AppState;

#[derive(Debug, Clone)]
pub enum AppError {
    NotFound,
    BadRequest(String),
    Forbidden(String),
    /// Refused by the access policy.
    Denied(parindex_domain::policy::Denied),
    /// Sign-in needed; carries the path to come back to.
    SignIn(String),
    /// The account's password must be changed first.
    PasswordChange,
    Conflict(String),
    PayloadTooLarge(String),
    Unsupported(String),
    Internal(String),
    /// A message written in both languages, with its status.
    Said {
        status: StatusCode,
        vi: String,
        en: String,
    },
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

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    t: &'static Tr,
    chrome: Chrome,
    heading: String,
    message: String,
    home: &'static str,
}

impl AppError {
    /// A refusal or a mistake said in both languages.
    pub fn said(status: StatusCode, vi: impl Into<String>, en: impl Into<String>) -> AppError {
        AppError::Said {
            status,
            vi: vi.into(),
            en: en.into(),
        }
    }

    fn status(&self) -> StatusCode {
        match self {
            AppError::Said { status, .. } => *status,
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Forbidden(_) | AppError::Denied(_) => StatusCode::FORBIDDEN,
            AppError::SignIn(_) | AppError::PasswordChange => StatusCode::UNAUTHORIZED,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::Unsupported(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn public_message(&self, lang: Lang) -> String {
        match self {
            AppError::Said { vi, en, .. } => match lang {
                Lang::Vi => vi.clone(),
                Lang::En => en.clone(),
            },
            AppError::NotFound => lang.tr().not_found.to_string(),
            AppError::BadRequest(m)
            | AppError::Forbidden(m)
            | AppError::Conflict(m)
            | AppError::PayloadTooLarge(m)
            | AppError::Unsupported(m) => m.clone(),
            AppError::Denied(d) => match lang {
                Lang::Vi => d.message_vi().to_string(),
                Lang::En => d.message_en().to_string(),
            },
            AppError::PasswordChange => match lang {
                Lang::Vi => "Vui lòng đổi mật khẩu trước khi tiếp tục.".into(),
                Lang::En => "Please change your password before going on.".into(),
            },
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

    /// As an HTML page inside the site's layout (sign-in: a redirect to the form).
    pub fn page_for(self, lang: Lang, user: Option<&SessionUser>) -> Response {
        if let AppError::SignIn(back) = &self {
            return axum::response::Redirect::to(&format!(
                "/login?next={}",
                crate::accounts::account::urlencode(back)
            ))
            .into_response();
        }
        if let AppError::PasswordChange = &self {
            return axum::response::Redirect::to("/account/password").into_response();
        }
        let status = self.status();
        let message = self.public_message(lang);
        let t = lang.tr();
        let heading = match (lang, status) {
            (Lang::Vi, StatusCode::NOT_FOUND) => "Không tìm thấy".to_string(),
            (Lang::Vi, StatusCode::FORBIDDEN) => "Không được phép".to_string(),
            (Lang::Vi, StatusCode::INTERNAL_SERVER_ERROR) => "Lỗi máy chủ".to_string(),
            (Lang::Vi, _) => "Không thực hiện được".to_string(),
            (Lang::En, StatusCode::NOT_FOUND) => "Not found".to_string(),
            (Lang::En, StatusCode::FORBIDDEN) => "Not allowed".to_string(),
            (Lang::En, StatusCode::INTERNAL_SERVER_ERROR) => "Server error".to_string(),
            (Lang::En, _) => "Could not be done".to_string(),
        };
        let page = ErrorPage {
            t,
            chrome: Chrome::new(lang, heading.clone(), false, user),
            heading,
            message: message.clone(),
            home: t.sets,
        };
        match page.render() {
            Ok(body) => (status, Html(body)).into_response(),
            Err(_) => (status, message).into_response(),
        }
    }

    /// As an HTML page inside the layout, without the signed-in user's menu.
    pub fn page(self, lang: Lang) -> Response {
        self.page_for(lang, None)
    }

    /// As JSON `{ "error": "…" }` in the request's language.
    pub fn json(self, lang: Lang) -> Response {
        let status = self.status();
        let msg = self.public_message(lang);
        (status, Json(serde_json::json!({ "error": msg }))).into_response()
    }
}

/// An error on its way to [`render_errors`].
#[derive(Clone)]
struct Pending(AppError);

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let mut res = self.status().into_response();
        res.extensions_mut().insert(Pending(self));
        res
    }
}

/// Renders every `AppError` a handler or extractor returned, in the request's language,
/// inside the layout with the signed-in user's menu (JSON under `/api/`).
pub async fn render_errors(State(st): State<AppState>, req: Request, next: Next) -> Response {
    let lang = lang_of(req.headers(), req.uri());
    let api = req.uri().path().starts_with("/api/");
    let (parts, body) = req.into_parts();
    // Only the headers are kept for the error page (the session behind the cookie).
    let headers = parts.headers.clone();
    let mut res = next.run(Request::from_parts(parts, body)).await;
    let Some(Pending(e)) = res.extensions_mut().remove::<Pending>() else {
        return res;
    };
    if api {
        return e.json(lang);
    }
    let (mut parts, ()) = Request::new(()).into_parts();
    parts.headers = headers;
    let user = crate::extract::user::session_user(&mut parts, &st).await;
    e.page_for(lang, user.as_ref())
}
