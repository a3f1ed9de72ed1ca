//! parindex-web: the axum application — server-rendered pages (no JavaScript needed),
//! the JSON API under `/api/v1`, downloads, and the security middleware.

pub mod account;
mod api;
pub mod assess;
pub mod auth;
mod calendar_page;
pub mod cycle;
pub mod dossiers;
mod error;
pub(crate) mod evidence;
pub mod files;
pub mod followup;
pub mod i18n;
pub mod imports;
mod pages;
mod state;
pub mod tasks;

use axum::Router;
use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tower_http::set_header::SetResponseHeaderLayer;

pub use state::AppState;

const CSP: &str = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; \
                   object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

pub const STYLE_CSS: &str = include_str!("../static/style.css");

/// The whole application.
pub fn router(state: AppState) -> Router {
    // Uploads may carry a whole evidence file plus the form around it.
    let upload_limit = axum::extract::DefaultBodyLimit::max(
        usize::try_from(state.upload_limit)
            .unwrap_or(usize::MAX)
            .saturating_add(64 * 1024),
    );
    let dossier_limit = axum::extract::DefaultBodyLimit::max(
        usize::try_from(state.dossier_upload_limit)
            .unwrap_or(usize::MAX)
            .saturating_add(64 * 1024),
    );
    Router::new()
        .route("/", get(pages::home))
        .route(
            "/login",
            get(account::show_login).post(account::submit_login),
        )
        .route("/logout", axum::routing::post(account::submit_logout))
        .route(
            "/account/password",
            get(account::show_password).post(account::submit_password),
        )
        .route(
            "/admin/users",
            get(account::show_users).post(account::submit_user),
        )
        .route(
            "/admin/users/scopes",
            axum::routing::post(account::submit_scopes),
        )
        .route("/sets", get(pages::list_sets))
        .route("/sets/{set_id}", get(pages::show_criteria))
        .route("/sets/{set_id}/ranking", get(pages::show_ranking))
        .route(
            "/sets/{set_id}/units/{unit_code}",
            get(pages::show_score_card),
        )
        .route(
            "/sets/{set_id}/cycle",
            get(cycle::show_cycle).post(cycle::update_cycle),
        )
        .route(
            "/sets/{set_id}/units/{unit_code}/assess",
            get(assess::show_assessment),
        )
        .route(
            "/sets/{set_id}/units/{unit_code}/leaves/{leaf_code}",
            axum::routing::post(assess::save_leaf),
        )
        .route(
            "/sets/{set_id}/units/{unit_code}/leaves/{leaf_code}/delegate",
            axum::routing::post(assess::delegate_leaf),
        )
        .route(
            "/sets/{set_id}/units/{unit_code}/submit",
            axum::routing::post(assess::submit_assessment),
        )
        .route(
            "/sets/{set_id}/units/{unit_code}/leaves/{leaf_code}/evidence",
            axum::routing::post(evidence::upload_evidence).layer(upload_limit),
        )
        .route(
            "/sets/{set_id}/units/{unit_code}/leaves/{leaf_code}/link",
            axum::routing::post(evidence::link_evidence),
        )
        .route(
            "/evidence/{evidence_id}/files",
            axum::routing::post(evidence::upload_revision).layer(upload_limit),
        )
        .route("/evidence/files/{file_id}", get(evidence::show_file))
        .route("/units/{unit_code}/tasks", get(tasks::show_board))
        .route("/units/{unit_code}/violations", get(tasks::show_violations))
        .route("/units/{unit_code}/brief", get(tasks::show_brief))
        .route(
            "/units/{unit_code}/sets/{set_id}/lost",
            get(tasks::show_lost).post(tasks::create_from_lost),
        )
        .route(
            "/units/{unit_code}/directives/new",
            get(tasks::new_directive).post(tasks::post_directive),
        )
        .route("/tasks/{task_id}", get(tasks::show_task))
        .route("/directives/{directive_id}", get(tasks::show_directive))
        .route(
            "/directives/{directive_id}/file",
            get(tasks::directive_file),
        )
        .route(
            "/tasks/{task_id}/comments",
            axum::routing::post(tasks::add_comment),
        )
        .route(
            "/tasks/{task_id}/cancel",
            axum::routing::post(tasks::cancel_task),
        )
        .route(
            "/occurrences/{occurrence_id}/start",
            axum::routing::post(tasks::start_occurrence),
        )
        .route("/units/{unit_code}/calendar", get(tasks::show_calendar))
        .route("/units/{unit_code}/overdue", get(tasks::show_overdue))
        .route("/dossiers", get(dossiers::show_province))
        .route("/units/{unit_code}/dossiers", get(dossiers::show_stats))
        .route("/units/{unit_code}/dossiers/list", get(dossiers::show_list))
        .route(
            "/units/{unit_code}/dossiers/due-soon",
            get(dossiers::show_due_soon),
        )
        .route(
            "/units/{unit_code}/dossiers/import",
            get(imports::show_form)
                .post(imports::start_import)
                .layer(dossier_limit),
        )
        .route(
            "/units/{unit_code}/dossiers/imports/{job_id}",
            get(imports::show_job),
        )
        .route(
            "/units/{unit_code}/dossiers/imports/{job_id}/rejected.csv",
            get(imports::download_rejected),
        )
        .route(
            "/units/{unit_code}/dossiers/{dossier_code}/apology",
            get(dossiers::show_apology).post(dossiers::submit_apology),
        )
        .route("/notifications", get(tasks::show_notifications))
        .route(
            "/calendar",
            get(calendar_page::show_calendar).post(calendar_page::save_calendar),
        )
        .route(
            "/notifications/{notification_id}/ack",
            axum::routing::post(tasks::acknowledge_notification),
        )
        .route(
            "/occurrences/{occurrence_id}/report",
            axum::routing::post(tasks::report_occurrence).layer(upload_limit),
        )
        .route(
            "/violations/{violation_id}",
            axum::routing::post(tasks::decide_violation),
        )
        .route("/static/style.css", get(style_css))
        .route("/health", get(|| async { "ok" }))
        .route("/api/v1/openapi.json", get(api::openapi))
        .route("/api/v1/sets", get(api::list_sets))
        .route("/api/v1/sets/{set_id}", get(api::show_set))
        .route("/api/v1/sets/{set_id}/ranking", get(api::show_ranking))
        .route(
            "/api/v1/sets/{set_id}/units/{unit_code}",
            get(api::show_unit),
        )
        .fallback(pages::not_found)
        .layer(middleware::from_fn(remember_lang))
        .layer(middleware::from_fn(refuse_cross_site_writes))
        .layer(SetResponseHeaderLayer::overriding(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CSP),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        ))
        .with_state(state)
}

async fn style_css() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        STYLE_CSS,
    )
}

/// A write whose `Origin` (or `Sec-Fetch-Site`) says it comes from another site is refused.
async fn refuse_cross_site_writes(req: Request, next: Next) -> Response {
    if !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        let headers = req.headers();
        let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
        let origin_host = headers
            .get(header::ORIGIN)
            .and_then(|o| o.to_str().ok())
            .map(|o| o.split_once("://").map_or(o, |(_, rest)| rest));
        let cross_origin = match (origin_host, host) {
            (Some(o), Some(h)) if o != "null" => o != h,
            (Some(_), _) => true,
            (None, _) => false,
        };
        let cross_fetch = headers
            .get("sec-fetch-site")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v == "cross-site");
        if cross_origin || cross_fetch {
            return (StatusCode::FORBIDDEN, "Yêu cầu từ trang khác bị từ chối.").into_response();
        }
    }
    next.run(req).await
}

/// `?lang=en` switches the interface language and remembers it in a cookie.
async fn remember_lang(req: Request<Body>, next: Next) -> Response {
    let chosen = req
        .uri()
        .query()
        .and_then(|q| q.split('&').find_map(|kv| kv.strip_prefix("lang=")))
        .filter(|l| *l == "vi" || *l == "en")
        .map(str::to_string);
    let mut res = next.run(req).await;
    if let Some(l) = chosen
        && let Ok(v) = HeaderValue::from_str(&format!(
            "lang={l}; Path=/; Max-Age=31536000; SameSite=Lax; HttpOnly"
        ))
    {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    res
}
