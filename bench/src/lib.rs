//! What the load drivers share: arguments, percentiles, one HTTP exchange.

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::Request;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;

/// The drivers' HTTP client.
pub type Http = Client<HttpConnector, Full<Bytes>>;

/// The number after `name` on the command line, or `default`.
pub fn arg(name: &str, default: u64) -> u64 {
    let args: Vec<String> = std::env::args().collect();
    args.windows(2)
        .find(|w| w[0] == name)
        .and_then(|w| w[1].parse().ok())
        .unwrap_or(default)
}

/// The `p` percentile (0–1) of `v` (sorted in place).
pub fn pct(v: &mut [f64], p: f64) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(f64::total_cmp);
    #[expect(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss,
        reason = "an index into a short vector"
    )]
    let i = ((v.len() as f64 - 1.0) * p).round() as usize;
    v[i]
}

/// One request: its status, headers and body as text.
pub async fn send(
    http: &Http,
    req: Request<Full<Bytes>>,
) -> Result<(u16, hyper::HeaderMap, String), String> {
    let res = http.request(req).await.map_err(|e| e.to_string())?;
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    let body = res
        .into_body()
        .collect()
        .await
        .map_err(|e| e.to_string())?
        .to_bytes();
    Ok((status, headers, String::from_utf8_lossy(&body).into_owned()))
}

/// The sign-in form's token and the cookie that goes with it.
pub async fn login_form(http: &Http, base: &str) -> Result<(String, String), String> {
    let (_, headers, body) = send(
        http,
        Request::get(format!("{base}/login"))
            .body(Full::default())
            .map_err(|e| e.to_string())?,
    )
    .await?;
    let token = body
        .split("name=\"form_token\" value=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .ok_or("no form token")?;
    let cookie = headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("login_csrf="))
        .and_then(|c| c.split(';').next())
        .ok_or("no login cookie")?
        .to_string();
    Ok((token.to_string(), cookie))
}

/// Waits (at most 10 s) until a server just started answers `/health`.
pub async fn wait_for_health(http: &Http, base: &str) {
    for _ in 0..100 {
        if let Ok(req) = Request::get(format!("{base}/health")).body(Full::default())
            && send(http, req).await.is_ok()
        {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}
