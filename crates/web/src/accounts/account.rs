//! Sign-in, sign-out, password change and the accounts page (administrators).

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use parindex_db::{NewUser, SessionUser};
use parindex_domain::access::Role;
use parindex_domain::text::fold;
use serde::Deserialize;

use crate::accounts::auth::{
    LOGIN_CSRF_COOKIE, MIN_PASSWORD_CHARS, SESSION_COOKIE, SESSION_HOURS, cookie, dummy_hash,
    hash_password, new_token, token_hash,
};
use crate::core::error::AppError;
use crate::core::i18n::{Lang, Tr};
use crate::core::layout::Chrome;
use crate::core::layout::LangPref;
use crate::core::state::AppState;
use crate::extract::access::NoUnit;
use crate::extract::{Access, Checked, MaybeUser, act, check_csrf};

/// Sign-in attempts allowed per account and address within `FAILURE_WINDOW_MINUTES`
/// before `429` (a successful one is not counted).
const MAX_FAILURES: i64 = 5;
/// Attempts allowed from one address, whatever the account.
const MAX_PER_SOURCE: i64 = 50;
const FAILURE_WINDOW_MINUTES: i64 = 15;

fn shifted(now: &str, minutes: i64) -> String {
    // RFC 3339 UTC strings of one format compare like instants; compute from the epoch.
    let secs = parse_rfc3339(now).unwrap_or(0) + minutes * 60;
    parindex_domain::text::rfc3339_utc(secs)
}

fn parse_rfc3339(s: &str) -> Option<i64> {
    let (date, time) = s.trim_end_matches('Z').split_once('T')?;
    let d = parindex_domain::text::Date::parse(date)?;
    let mut hms = time.split(':').map(|x| x.parse::<i64>().ok());
    let (h, m, sec) = (hms.next()??, hms.next()??, hms.next()??);
    // Days since the epoch (inverse of `rfc3339_utc`'s civil conversion).
    let (y, mo, da) = (i64::from(d.year), i64::from(d.month), i64::from(d.day));
    let y2 = if mo <= 2 { y - 1 } else { y };
    let era = y2.div_euclid(400);
    let yoe = y2 - era * 400;
    let mp = (mo + 9) % 12;
    let doy = (153 * mp + 2) / 5 + da - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days * 86_400 + h * 3600 + m * 60 + sec)
}

fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') => n.to_string(),
        _ => "/".to_string(),
    }
}

fn with_cookie(mut res: Response, value: &str) -> Response {
    if let Ok(v) = HeaderValue::from_str(value) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    res
}

fn session_cookie(st: &AppState, token: &str) -> String {
    let secure = if st.secure_cookies { "; Secure" } else { "" };
    format!(
        "{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{secure}",
        SESSION_HOURS * 3600
    )
}

/// Starts a session for `user_id` and returns the Set-Cookie value.
async fn start_session(st: &AppState, user_id: i64) -> Result<String, AppError> {
    let token = new_token();
    if token.is_empty() {
        return Err(AppError::Internal("no random source".into()));
    }
    let now = st.now();
    st.db
        .create_session(
            &token_hash(&token),
            user_id,
            &new_token(),
            &now,
            &shifted(&now, SESSION_HOURS * 60),
        )
        .await?;
    Ok(session_cookie(st, &token))
}

pub fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

// ---------- sign in / out ----------

#[derive(Template)]
#[template(path = "login.html")]
pub struct LoginPage {
    pub t: &'static Tr,
    pub chrome: Chrome,
    pub form_token: String,
    pub next: String,
    pub username: String,
    pub error: String,
}

#[derive(Deserialize, Default)]
pub struct NextQuery {
    pub next: Option<String>,
}

fn login_page(lang: Lang, next: &str, username: &str, error: &str, status: StatusCode) -> Response {
    let t = lang.tr();
    let token = new_token();
    let page = LoginPage {
        t,
        chrome: Chrome::new(lang, t.login.to_string(), false, None),
        form_token: token.clone(),
        next: next.to_string(),
        username: username.to_string(),
        error: error.to_string(),
    };
    match page.render() {
        Ok(body) => with_cookie(
            (status, Html(body)).into_response(),
            &format!(
                "{LOGIN_CSRF_COOKIE}={token}; Path=/login; HttpOnly; SameSite=Strict; Max-Age=3600"
            ),
        ),
        Err(e) => AppError::from(e).page(lang),
    }
}

pub async fn show_login(LangPref(lang): LangPref, Query(q): Query<NextQuery>) -> Response {
    login_page(lang, &safe_next(q.next.as_deref()), "", "", StatusCode::OK)
}

#[derive(Deserialize)]
pub struct LoginForm {
    pub username: String,
    pub password: String,
    #[serde(default)]
    pub form_token: String,
    #[serde(default)]
    pub next: String,
}

pub struct RawParts(pub Parts);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for RawParts {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(RawParts(parts.clone()))
    }
}

pub async fn submit_login(
    State(st): State<AppState>,
    LangPref(lang): LangPref,
    RawParts(parts): RawParts,
    Form(f): Form<LoginForm>,
) -> Response {
    let t = lang.tr();
    let next = safe_next(Some(&f.next));
    let expected = cookie(&parts, LOGIN_CSRF_COOKIE).unwrap_or_default();
    if expected.is_empty() || expected != f.form_token {
        return login_page(
            lang,
            &next,
            &f.username,
            t.form_expired,
            StatusCode::FORBIDDEN,
        );
    }
    let username = f.username.trim().to_string();
    let source = client_address(&parts, &st.trusted_proxies);
    // Throttled per account *from one address* (a stranger elsewhere never locks the owner
    // out) and per address (one source cannot try many accounts).
    // Usernames have at most 64 characters: a longer one is no account, and its key stays short.
    let folded: String = fold(&username).chars().take(64).collect();
    let keys = [
        (format!("user:{folded}@{source}"), MAX_FAILURES),
        (format!("source:{source}"), MAX_PER_SOURCE),
    ];
    let now = st.now();
    let since = shifted(&now, -FAILURE_WINDOW_MINUTES);
    let r: Result<Response, AppError> = async {
        // Counted before the hash, atomically: a burst is not checked whole.
        let taken = st.db.take_login_attempt(&keys, &now, &since).await?;
        if keys
            .iter()
            .zip(&taken)
            .any(|((_, limit), (n, _))| n > limit)
        {
            return Ok(login_page(
                lang,
                &next,
                &username,
                t.too_many_attempts,
                StatusCode::TOO_MANY_REQUESTS,
            ));
        }
        let record = st.db.login_record(&username).await?;
        let hash = record
            .as_ref()
            .map_or_else(|| dummy_hash().to_string(), |(_, h)| h.clone());
        let ok = check_password(&st, f.password.clone(), hash).await? && record.is_some();
        match record {
            Some((user, _)) if ok => {
                // A success is no failure: its own rows go, and the account's at this address.
                let ids: Vec<i64> = taken.iter().filter_map(|(_, id)| *id).collect();
                st.db.forget_login_attempts(&ids).await?;
                st.db.clear_login_failures(&keys[0].0).await?;
                let set_cookie = start_session(&st, user.id).await?;
                tracing::info!(user = %user.username, "đăng nhập");
                // A password the demo published is replaced before anything else.
                let must_change = !st.demo && st.db.must_change_password(&user.username).await?;
                let to = if must_change {
                    "/account/password"
                } else {
                    next.as_str()
                };
                Ok(with_cookie(Redirect::to(to).into_response(), &set_cookie))
            }
            _ => Ok(login_page(
                lang,
                &next,
                &username,
                t.bad_login,
                StatusCode::UNAUTHORIZED,
            )),
        }
    }
    .await;
    r.unwrap_or_else(|e| e.page(lang))
}

/// Checks a password on the verifier's own threads (see `AppState::passwords`).
pub async fn check_password(
    st: &AppState,
    password: String,
    hash: String,
) -> Result<bool, AppError> {
    st.passwords
        .verify(password, hash)
        .await
        .ok_or_else(|| AppError::Internal("password workers gone".into()))
}

/// The client's address: the peer, or — when the peer is a trusted proxy — the nearest
/// address in `X-Forwarded-For` (all its header lines, read right to left) that is not
/// itself a trusted proxy; `unknown` when no peer is known (in-process tests).
pub fn client_address(parts: &Parts, trusted: &[std::net::IpAddr]) -> String {
    let Some(peer) = parts
        .extensions
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0.ip().to_canonical())
    else {
        return "unknown".to_string();
    };
    let trusts = |ip: &std::net::IpAddr| trusted.iter().any(|t| t.to_canonical() == *ip);
    if !trusts(&peer) {
        return peer.to_string();
    }
    let hops: Vec<&str> = parts
        .headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .collect();
    for hop in hops.iter().rev() {
        let Some(ip) = forwarded_ip(hop) else {
            // An entry that is no address: nothing left of it can be trusted.
            break;
        };
        if !trusts(&ip) {
            return ip.to_string();
        }
    }
    peer.to_string()
}

/// One `X-Forwarded-For` entry as an address: `1.2.3.4`, `1.2.3.4:5678`, `::1`, `[::1]:80`.
fn forwarded_ip(hop: &str) -> Option<std::net::IpAddr> {
    let hop = hop.trim();
    if let Ok(ip) = hop.parse::<std::net::IpAddr>() {
        return Some(ip.to_canonical());
    }
    hop.parse::<std::net::SocketAddr>()
        .ok()
        .map(|a| a.ip().to_canonical())
}

#[derive(Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    pub csrf: String,
}

pub async fn submit_logout(
    State(st): State<AppState>,
    LangPref(lang): LangPref,
    MaybeUser(user): MaybeUser,
    RawParts(parts): RawParts,
    Form(f): Form<CsrfForm>,
) -> Response {
    let expire = format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0");
    let Some(user) = user else {
        return with_cookie(Redirect::to("/").into_response(), &expire);
    };
    if let Err(e) = check_csrf(&user, &f.csrf) {
        return e.page(lang);
    }
    if let Some(token) = cookie(&parts, SESSION_COOKIE)
        && let Err(e) = st.db.delete_session(&token_hash(token)).await
    {
        return AppError::from(e).page(lang);
    }
    with_cookie(Redirect::to("/").into_response(), &expire)
}

// ---------- password ----------

#[derive(Template)]
#[template(path = "password.html")]
pub struct PasswordPage {
    pub t: &'static Tr,
    pub chrome: Chrome,
    pub error: String,
    pub done: bool,
}

fn password_page(
    lang: Lang,
    user: &SessionUser,
    error: &str,
    done: bool,
    status: StatusCode,
) -> Response {
    let t = lang.tr();
    let page = PasswordPage {
        t,
        chrome: Chrome::new(lang, t.change_password.to_string(), false, Some(user)),
        error: error.to_string(),
        done,
    };
    match page.render() {
        Ok(body) => (status, Html(body)).into_response(),
        Err(e) => AppError::from(e).page(lang),
    }
}

pub async fn show_password(
    LangPref(lang): LangPref,
    access: Access<act::OwnAccount, NoUnit>,
) -> Response {
    password_page(lang, &access.user, "", false, StatusCode::OK)
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    pub csrf: String,
    pub current: String,
    pub new_password: String,
    pub confirm: String,
}

pub async fn submit_password(
    State(st): State<AppState>,
    LangPref(lang): LangPref,
    access: Access<act::OwnAccount, NoUnit>,
    Checked(f): Checked<PasswordForm>,
) -> Result<Response, AppError> {
    let t = lang.tr();
    let user = access.user;
    let Some((_, hash)) = st.db.login_record(&user.user.username).await? else {
        return Err(AppError::NotFound);
    };
    if !check_password(&st, f.current.clone(), hash.clone()).await? {
        return Ok(password_page(
            lang,
            &user,
            t.wrong_current_password,
            false,
            StatusCode::UNPROCESSABLE_ENTITY,
        ));
    }
    if f.new_password.chars().count() < MIN_PASSWORD_CHARS {
        return Ok(password_page(
            lang,
            &user,
            t.password_too_short,
            false,
            StatusCode::UNPROCESSABLE_ENTITY,
        ));
    }
    if f.new_password != f.confirm {
        return Ok(password_page(
            lang,
            &user,
            t.passwords_differ,
            false,
            StatusCode::UNPROCESSABLE_ENTITY,
        ));
    }
    let hash = hash_password(&f.new_password).map_err(AppError::Internal)?;
    st.db
        .set_password(user.user.id, &hash, &user.user.username, &st.now())
        .await?;
    // Every session ended with the old password; this one continues with a new token.
    let set_cookie = start_session(&st, user.user.id).await?;
    let fresh = st
        .db
        .session(
            &token_hash(set_cookie.split(['=', ';']).nth(1).unwrap_or_default()),
            &st.now(),
        )
        .await?
        .ok_or(AppError::Internal("new session missing".into()))?;
    Ok(with_cookie(
        password_page(lang, &fresh, "", true, StatusCode::OK),
        &set_cookie,
    ))
}

// ---------- accounts (administrators) ----------

pub struct UserLine {
    pub username: String,
    pub display_name: String,
    pub role: String,
    pub unit: String,
    pub active: bool,
    pub appraiser: bool,
    /// Assigned fields or criteria of an appraiser, comma-separated.
    pub scopes: String,
}

pub struct Choice {
    pub value: String,
    pub label: String,
}

#[derive(Template)]
#[template(path = "users.html")]
pub struct UsersPage {
    pub t: &'static Tr,
    pub chrome: Chrome,
    pub users: Vec<UserLine>,
    pub roles: Vec<Choice>,
    pub units: Vec<Choice>,
    pub error: String,
    pub created: String,
    /// What was typed into the new account's form when it could not be saved (never the
    /// password).
    pub typed: NewUserForm,
}

async fn users_page(
    st: &AppState,
    lang: Lang,
    admin: &SessionUser,
    error: &str,
    created: &str,
    status: StatusCode,
    typed: NewUserForm,
) -> Result<Response, AppError> {
    let t = lang.tr();
    let users = st.db.list_users().await?;
    let units = st.db.list_units().await?;
    let mut scopes = std::collections::HashMap::new();
    for u in users.iter().filter(|u| u.role == Role::Appraiser) {
        scopes.insert(
            u.username.clone(),
            st.db.appraiser_scopes(&u.username).await?.join(", "),
        );
    }
    let page = UsersPage {
        t,
        chrome: Chrome::new(lang, t.accounts.to_string(), false, Some(admin)),
        users: users
            .into_iter()
            .map(|u| UserLine {
                appraiser: u.role == Role::Appraiser,
                scopes: scopes.get(&u.username).cloned().unwrap_or_default(),
                role: if lang == Lang::En {
                    u.role.label_en()
                } else {
                    u.role.label_vi()
                }
                .to_string(),
                username: u.username,
                display_name: u.display_name,
                unit: u.unit_code.unwrap_or_default(),
                active: u.active,
            })
            .collect(),
        roles: Role::ALL
            .iter()
            .map(|r| Choice {
                value: r.as_str().to_string(),
                label: if lang == Lang::En {
                    r.label_en()
                } else {
                    r.label_vi()
                }
                .to_string(),
            })
            .collect(),
        units: units
            .into_iter()
            .map(|u| Choice {
                label: format!("{} — {}", u.code, u.name),
                value: u.code,
            })
            .collect(),
        error: error.to_string(),
        created: created.to_string(),
        typed,
    };
    Ok((status, Html(page.render()?)).into_response())
}

pub async fn show_users(
    State(st): State<AppState>,
    LangPref(lang): LangPref,
    access: Access<act::ManageAccounts, NoUnit>,
) -> Result<Response, AppError> {
    users_page(
        &st,
        lang,
        &access.user,
        "",
        "",
        StatusCode::OK,
        NewUserForm::default(),
    )
    .await
}

#[derive(Deserialize, Default)]
pub struct NewUserForm {
    #[serde(default)]
    pub csrf: String,
    #[serde(default)]
    pub username: String,
    #[serde(default)]
    pub display_name: String,
    #[serde(default)]
    pub role: String,
    #[serde(default)]
    pub unit: String,
    #[serde(default)]
    pub password: String,
}

impl NewUserForm {
    /// The form as typed, without its password.
    fn typed(&self) -> NewUserForm {
        NewUserForm {
            username: self.username.clone(),
            display_name: self.display_name.clone(),
            role: self.role.clone(),
            unit: self.unit.clone(),
            ..NewUserForm::default()
        }
    }
}

pub use parindex_services::passwords::validate_new_user;

pub async fn submit_user(
    State(st): State<AppState>,
    LangPref(lang): LangPref,
    access: Access<act::ManageAccounts, NoUnit>,
    Checked(f): Checked<NewUserForm>,
) -> Result<Response, AppError> {
    let admin = access.user;
    let unit = Some(f.unit.trim()).filter(|u| !u.is_empty());
    let username = f.username.trim();
    let role = match validate_new_user(username, &f.role, unit, &f.password) {
        Ok(r) => r,
        Err(m) => {
            return users_page(
                &st,
                lang,
                &admin,
                &m,
                "",
                StatusCode::UNPROCESSABLE_ENTITY,
                f.typed(),
            )
            .await;
        }
    };
    let hash = hash_password(&f.password).map_err(AppError::Internal)?;
    let display = if f.display_name.trim().is_empty() {
        username
    } else {
        f.display_name.trim()
    };
    let new = NewUser {
        username,
        display_name: display,
        password_hash: &hash,
        role,
        unit_code: unit,
    };
    match st
        .db
        .create_user(&new, &admin.user.username, &st.now())
        .await
    {
        Ok(_) => {
            users_page(
                &st,
                lang,
                &admin,
                "",
                username,
                StatusCode::OK,
                NewUserForm::default(),
            )
            .await
        }
        Err(parindex_db::DbError::Conflict(m)) => {
            users_page(&st, lang, &admin, &m, "", StatusCode::CONFLICT, f.typed()).await
        }
        Err(parindex_db::DbError::UnknownUnits(_)) => {
            users_page(
                &st,
                lang,
                &admin,
                if lang == Lang::En {
                    "The unit is not in the list."
                } else {
                    "Đơn vị không có trong danh sách."
                },
                "",
                StatusCode::UNPROCESSABLE_ENTITY,
                f.typed(),
            )
            .await
        }
        Err(e) => Err(AppError::from(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_round_trip() {
        for s in [
            "2026-11-27T10:00:00Z",
            "2000-02-29T23:59:59Z",
            "1970-01-01T00:00:00Z",
        ] {
            let secs = parse_rfc3339(s).unwrap_or(-1);
            assert_eq!(parindex_domain::text::rfc3339_utc(secs), s);
        }
        assert_eq!(shifted("2026-11-27T10:00:00Z", -15), "2026-11-27T09:45:00Z");
    }

    fn parts(peer: &str, forwarded: &[&str]) -> Parts {
        let mut req = axum::http::Request::new(());
        req.extensions_mut().insert(axum::extract::ConnectInfo(
            peer.parse::<std::net::SocketAddr>()
                .unwrap_or_else(|_| std::net::SocketAddr::from(([0, 0, 0, 0], 0))),
        ));
        for f in forwarded {
            if let Ok(v) = axum::http::HeaderValue::from_str(f) {
                req.headers_mut().append("x-forwarded-for", v);
            }
        }
        req.into_parts().0
    }

    #[test]
    fn a_forwarded_address_is_taken_only_from_a_trusted_proxy() {
        let proxy: std::net::IpAddr = [10, 0, 0, 2].into();
        let trusted = [proxy];
        // Not through the proxy: the header is the client's own words.
        assert_eq!(
            client_address(&parts("203.0.113.9:5000", &["1.1.1.1"]), &trusted),
            "203.0.113.9"
        );
        // Through the proxy: the address it added (the last), not the client's forgery.
        let p = parts("10.0.0.2:5000", &["6.6.6.6", "198.51.100.7"]);
        assert_eq!(client_address(&p, &trusted), "198.51.100.7");
        let p = parts("10.0.0.2:5000", &["6.6.6.6, 198.51.100.7:4431"]);
        assert_eq!(client_address(&p, &trusted), "198.51.100.7");
        // An IPv4 peer seen as IPv6 is the same proxy.
        let p = parts("[::ffff:10.0.0.2]:5000", &["198.51.100.8"]);
        assert_eq!(client_address(&p, &trusted), "198.51.100.8");
        // Garbage stops the walk: the proxy itself is the client.
        let p = parts("10.0.0.2:5000", &["nonsense"]);
        assert_eq!(client_address(&p, &trusted), "10.0.0.2");
    }

    #[test]
    fn next_stays_on_this_site() {
        assert_eq!(safe_next(Some("/sets")), "/sets");
        assert_eq!(safe_next(Some("//evil.example")), "/");
        assert_eq!(safe_next(Some("https://evil.example")), "/");
        assert_eq!(safe_next(None), "/");
    }
}

#[derive(Deserialize)]
pub struct ScopeForm {
    #[serde(default)]
    pub csrf: String,
    pub username: String,
    #[serde(default)]
    pub scopes: String,
}

/// Code prefixes from `I.1, I.2; II` (each a valid criterion code).
pub fn parse_scopes(text: &str) -> Result<Vec<String>, String> {
    text.split([',', ';', ' '])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            parindex_domain::Code::parse(s)
                .map(|c| c.to_string())
                .ok_or_else(|| format!("Mã `{s}` không hợp lệ (ví dụ: I.2 hoặc I.8.4)."))
        })
        .collect()
}

/// Assigns an appraiser the fields or criteria they appraise.
pub async fn submit_scopes(
    State(st): State<AppState>,
    LangPref(lang): LangPref,
    access: Access<act::ManageAccounts, NoUnit>,
    Checked(f): Checked<ScopeForm>,
) -> Result<Response, AppError> {
    let admin = access.user;
    let scopes = match parse_scopes(&f.scopes) {
        Ok(s) => s,
        Err(m) => {
            return users_page(
                &st,
                lang,
                &admin,
                &m,
                "",
                StatusCode::UNPROCESSABLE_ENTITY,
                NewUserForm::default(),
            )
            .await;
        }
    };
    let target = st
        .db
        .list_users()
        .await?
        .into_iter()
        .find(|u| u.username == f.username)
        .ok_or(AppError::NotFound)?;
    if target.role != Role::Appraiser {
        return Err(AppError::said(
            StatusCode::BAD_REQUEST,
            "Chỉ thành viên thẩm định được giao lĩnh vực.",
            "Only appraisers are assigned fields.",
        ));
    }
    st.db
        .set_appraiser_scopes(&target.username, &scopes, &admin.user.username, &st.now())
        .await?;
    Ok(crate::core::flash::done(
        "/admin/users",
        crate::core::flash::Flash::ScopesSaved,
    ))
}
