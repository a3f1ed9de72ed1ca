//! Security middleware: headers on every response, cross-site writes refused, the
//! language remembered.

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

pub const CSP: &str = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; \
                   object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// HSTS, sent only when the server runs behind HTTPS (`--secure-cookies`).
pub const HSTS: &str = "max-age=31536000; includeSubDomains";

/// A write whose `Origin` (or `Sec-Fetch-Site`) says it comes from another site is refused.
pub async fn refuse_cross_site_writes(req: Request, next: Next) -> Response {
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
pub async fn remember_lang(req: Request<Body>, next: Next) -> Response {
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
