//! Accounts: `user add`, sign-in with rate limiting and CSRF, sign-out, password change,
//! the accounts page, and `audit verify` — on SQLite and PostgreSQL.

use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode, header};
use http_body_util::BodyExt;
use tower::ServiceExt;

use crate::common::{demo_dbs, run, run_with_stdin};

pub struct Resp {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Resp {
    pub fn set_cookie(&self, name: &str) -> Option<String> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.starts_with(&format!("{name}=")))
            .map(str::to_string)
    }

    pub fn cookie_value(&self, name: &str) -> Option<String> {
        self.set_cookie(name).and_then(|c| {
            c.split(';')
                .next()
                .map(|kv| kv[name.len() + 1..].to_string())
        })
    }

    pub fn hidden(&self, name: &str) -> String {
        let marker = format!(r#"name="{name}" value=""#);
        let start = self.body.find(&marker).expect("hidden field") + marker.len();
        self.body[start..].split('"').next().unwrap().to_string()
    }
}

pub async fn send(
    app: &axum::Router,
    method: &str,
    uri: &str,
    cookies: &str,
    form: &[(&str, &str)],
    origin: Option<&str>,
) -> Resp {
    let body: String = form
        .iter()
        .map(|(k, v)| format!("{k}={}", urlencode(v)))
        .collect::<Vec<_>>()
        .join("&");
    let mut req = Request::builder()
        .method(method)
        .uri(uri)
        .header(header::HOST, "127.0.0.1:8080");
    if !cookies.is_empty() {
        req = req.header(header::COOKIE, cookies);
    }
    if let Some(o) = origin {
        req = req.header(header::ORIGIN, o);
    }
    if method == "POST" {
        req = req.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    }
    let res = app
        .clone()
        .oneshot(req.body(Body::from(body)).unwrap())
        .await
        .unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    let body =
        String::from_utf8_lossy(&res.into_body().collect().await.unwrap().to_bytes()).into_owned();
    Resp {
        status,
        headers,
        body,
    }
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Signs in and returns the session cookie (`sid=…`).
pub async fn sign_in(app: &axum::Router, user: &str, password: &str) -> Resp {
    let form = send(app, "GET", "/login", "", &[], None).await;
    let token = form.cookie_value("login_csrf").unwrap();
    let hidden = form.hidden("form_token");
    assert_eq!(token, hidden);
    send(
        app,
        "POST",
        "/login",
        &format!("login_csrf={token}"),
        &[
            ("username", user),
            ("password", password),
            ("form_token", &hidden),
            ("next", "/sets"),
        ],
        Some("http://127.0.0.1:8080"),
    )
    .await
}

#[tokio::test]
async fn accounts_sign_in_and_audit() {
    for (db, url) in demo_dbs().await {
        let kind = db.kind();
        // Accounts from the command line.
        let r = run_with_stdin(
            &url,
            &[
                "user",
                "add",
                "--username",
                "quantri",
                "--role",
                "admin",
                "--name",
                "Quản trị",
                "--password-stdin",
            ],
            "mật-khẩu-quản-trị\n",
        );
        assert_eq!(r.code, 0, "{kind}: {}", r.stderr);
        let r = run_with_stdin(
            &url,
            &[
                "user",
                "add",
                "--username",
                "dm.skhdt",
                "--role",
                "focal",
                "--unit",
                "SKHDT",
                "--password-stdin",
            ],
            "dau-moi-2021\n",
        );
        assert_eq!(r.code, 0, "{}", r.stderr);
        let dup = run_with_stdin(
            &url,
            &[
                "user",
                "add",
                "--username",
                "quantri",
                "--role",
                "viewer",
                "--password-stdin",
            ],
            "12345678\n",
        );
        assert_eq!(dup.code, 1);
        assert!(dup.stderr.contains("đã có"), "{}", dup.stderr);
        let no_unit = run_with_stdin(
            &url,
            &[
                "user",
                "add",
                "--username",
                "x.y",
                "--role",
                "leader",
                "--password-stdin",
            ],
            "12345678\n",
        );
        assert_eq!(no_unit.code, 1);
        assert!(
            no_unit.stderr.contains("cần chọn đơn vị"),
            "{}",
            no_unit.stderr
        );
        assert_eq!(
            run(
                &url,
                &["user", "add", "--username", "x.y", "--role", "viewer"]
            )
            .code,
            2
        );
        let short = run_with_stdin(
            &url,
            &[
                "user",
                "add",
                "--username",
                "x.y",
                "--role",
                "viewer",
                "--password-stdin",
            ],
            "ngan\n",
        );
        assert_eq!(short.code, 1);

        let app = parindex_web::router(crate::common::demo_state(db.clone()));

        // The sign-in form and a successful sign-in.
        let form = send(&app, "GET", "/login", "", &[], None).await;
        assert_eq!(form.status, StatusCode::OK);
        assert!(
            form.body.contains(r#"name="username""#) && form.body.contains(r#"name="password""#)
        );
        let ok = sign_in(&app, "quantri", "mật-khẩu-quản-trị").await;
        assert_eq!(ok.status, StatusCode::SEE_OTHER, "{kind}: {}", ok.body);
        assert_eq!(ok.headers[header::LOCATION], "/sets");
        let sid = ok.set_cookie("sid").unwrap();
        assert!(
            sid.contains("HttpOnly") && sid.contains("SameSite=Lax"),
            "{sid}"
        );
        let admin_cookie = format!("sid={}", ok.cookie_value("sid").unwrap());

        // A signed-in page shows the user and a sign-out form.
        let page = send(&app, "GET", "/sets", &admin_cookie, &[], None).await;
        assert!(page.body.contains("Quản trị") && page.body.contains(r#"action="/logout""#));

        // Accounts page: administrators only.
        let anon = send(&app, "GET", "/admin/users", "", &[], None).await;
        assert_eq!(anon.status, StatusCode::SEE_OTHER);
        assert_eq!(anon.headers[header::LOCATION], "/login?next=/admin/users");
        let users = send(&app, "GET", "/admin/users", &admin_cookie, &[], None).await;
        assert_eq!(users.status, StatusCode::OK);
        assert!(users.body.contains("dm.skhdt"));
        let csrf = users.hidden("csrf");
        let created = send(
            &app,
            "POST",
            "/admin/users",
            &admin_cookie,
            &[
                ("csrf", &csrf),
                ("username", "thamdinh1"),
                ("display_name", "Thẩm định viên"),
                ("role", "appraiser"),
                ("unit", ""),
                ("password", "tham-dinh-2021"),
            ],
            Some("http://127.0.0.1:8080"),
        )
        .await;
        assert_eq!(created.status, StatusCode::OK, "{}", created.body);
        assert!(
            created.body.contains("thamdinh1") && created.body.contains("Thành viên thẩm định")
        );
        // A leader without a unit: the form comes back with what was typed (not the
        // password) and the message, nothing created.
        let bad = send(
            &app,
            "POST",
            "/admin/users",
            &admin_cookie,
            &[
                ("csrf", &csrf),
                ("username", "lanhdao2"),
                ("display_name", "Lãnh đạo mới"),
                ("role", "leader"),
                ("unit", ""),
                ("password", "lanh-dao-2021"),
            ],
            Some("http://127.0.0.1:8080"),
        )
        .await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
        assert!(bad.body.contains(r#"value="lanhdao2""#), "{}", bad.body);
        assert!(bad.body.contains(r#"value="Lãnh đạo mới""#));
        assert!(bad.body.contains(r#"<option value="leader" selected>"#));
        assert!(!bad.body.contains("lanh-dao-2021"), "never the password");
        assert!(
            !db.list_users()
                .await
                .unwrap()
                .iter()
                .any(|u| u.username == "lanhdao2")
        );
        let forged = send(
            &app,
            "POST",
            "/admin/users",
            &admin_cookie,
            &[
                ("csrf", "wrong"),
                ("username", "hacker"),
                ("display_name", ""),
                ("role", "admin"),
                ("unit", ""),
                ("password", "12345678"),
            ],
            None,
        )
        .await;
        assert_eq!(forged.status, StatusCode::FORBIDDEN);
        let cross = send(
            &app,
            "POST",
            "/admin/users",
            &admin_cookie,
            &[("csrf", &csrf)],
            Some("https://evil.example"),
        )
        .await;
        assert_eq!(cross.status, StatusCode::FORBIDDEN);
        let focal = sign_in(&app, "dm.skhdt", "dau-moi-2021").await;
        let focal_cookie = format!("sid={}", focal.cookie_value("sid").unwrap());
        let denied = send(&app, "GET", "/admin/users", &focal_cookie, &[], None).await;
        assert_eq!(denied.status, StatusCode::FORBIDDEN);

        // Password change ends the other sessions and keeps this one.
        let pw_page = send(&app, "GET", "/account/password", &focal_cookie, &[], None).await;
        let pcsrf = pw_page.hidden("csrf");
        let bad = send(
            &app,
            "POST",
            "/account/password",
            &focal_cookie,
            &[
                ("csrf", &pcsrf),
                ("current", "sai"),
                ("new_password", "moi-moi-moi"),
                ("confirm", "moi-moi-moi"),
            ],
            None,
        )
        .await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        let changed = send(
            &app,
            "POST",
            "/account/password",
            &focal_cookie,
            &[
                ("csrf", &pcsrf),
                ("current", "dau-moi-2021"),
                ("new_password", "mat-khau-moi-2021"),
                ("confirm", "mat-khau-moi-2021"),
            ],
            None,
        )
        .await;
        assert_eq!(changed.status, StatusCode::OK, "{}", changed.body);
        let fresh = format!("sid={}", changed.cookie_value("sid").unwrap());
        assert_eq!(
            send(&app, "GET", "/account/password", &focal_cookie, &[], None)
                .await
                .status,
            StatusCode::SEE_OTHER,
            "old session ended"
        );
        assert_eq!(
            send(&app, "GET", "/account/password", &fresh, &[], None)
                .await
                .status,
            StatusCode::OK
        );
        assert_eq!(
            sign_in(&app, "dm.skhdt", "mat-khau-moi-2021").await.status,
            StatusCode::SEE_OTHER
        );

        // Sign-out.
        let out = send(
            &app,
            "POST",
            "/logout",
            &admin_cookie,
            &[("csrf", &csrf)],
            None,
        )
        .await;
        assert_eq!(out.status, StatusCode::SEE_OTHER);
        assert!(out.set_cookie("sid").unwrap().contains("Max-Age=0"));
        assert_eq!(
            send(&app, "GET", "/admin/users", &admin_cookie, &[], None)
                .await
                .status,
            StatusCode::SEE_OTHER
        );

        // Failures: 401 with no session, then 429 after five, even with the right password.
        for _ in 0..5 {
            let r = sign_in(&app, "quantri", "sai-mật-khẩu").await;
            assert_eq!(r.status, StatusCode::UNAUTHORIZED);
            assert!(r.set_cookie("sid").is_none());
            assert!(r.body.contains("không đúng"));
        }
        assert_eq!(
            sign_in(&app, "quantri", "sai-mật-khẩu").await.status,
            StatusCode::TOO_MANY_REQUESTS
        );
        assert_eq!(
            sign_in(&app, "quantri", "mật-khẩu-quản-trị").await.status,
            StatusCode::TOO_MANY_REQUESTS
        );
        // A form without its token is refused; so is a cross-site post.
        let no_token = send(
            &app,
            "POST",
            "/login",
            "",
            &[
                ("username", "dm.skhdt"),
                ("password", "mat-khau-moi-2021"),
                ("form_token", "x"),
            ],
            None,
        )
        .await;
        assert_eq!(no_token.status, StatusCode::FORBIDDEN);
        let cross = send(
            &app,
            "POST",
            "/login",
            "",
            &[("username", "a"), ("password", "b")],
            Some("https://evil.example"),
        )
        .await;
        assert_eq!(cross.status, StatusCode::FORBIDDEN);

        // Every change above is in the audit trail, and tampering is detected.
        let ok = run(&url, &["audit", "verify"]);
        assert_eq!(ok.code, 0, "{kind}: {}", ok.stderr);
        assert!(ok.stdout.contains("toàn vẹn"), "{}", ok.stdout);
        let history = db.audit_history("user/thamdinh1").await.unwrap();
        assert_eq!(history.len(), 1);
        assert_eq!(history[0].entry.actor, "quantri");
        let target = db.audit_history("brvt-so-2020/SKHDT/I.8.4").await.unwrap()[0].id;
        tamper(&db, target).await;
        let broken = run(&url, &["audit", "verify"]);
        assert_eq!(broken.code, 1, "{kind}");
        assert!(
            broken.stderr.contains(&format!("bản ghi số {target}")),
            "{}",
            broken.stderr
        );
    }
}

async fn tamper(db: &parindex_db::Db, id: i64) {
    let sql = "UPDATE audit_log SET new_value = 'self=-; appraised=-; final=-; input=0; effective=4' WHERE id = $1";
    match db {
        parindex_db::Db::Sqlite(p) => {
            sqlx::query(sql).bind(id).execute(p).await.unwrap();
        }
        parindex_db::Db::Postgres(p) => {
            sqlx::query(sql).bind(id).execute(p).await.unwrap();
        }
    }
}

pub async fn add_user(
    db: &parindex_db::Db,
    username: &str,
    role: parindex_domain::access::Role,
    unit: Option<&str>,
) {
    let hash = parindex_services::passwords::hash_password("mat-khau-thu-nghiem").unwrap();
    let new = parindex_db::NewUser {
        username,
        display_name: username,
        password_hash: &hash,
        role,
        unit_code: unit,
    };
    db.create_user(&new, "test", "2026-11-27T10:00:00Z")
        .await
        .unwrap();
}

#[tokio::test]
async fn drafts_are_seen_only_by_their_unit_and_the_province() {
    use parindex_domain::access::Role;
    for (db, url) in demo_dbs().await {
        let kind = db.kind();
        add_user(&db, "t.vp", Role::Focal, Some("SKHDT")).await;
        add_user(&db, "nv.phong", Role::Division, Some("SKHDT-VP")).await;
        add_user(&db, "t.td", Role::Appraiser, None).await;
        assert_eq!(
            run(
                &url,
                &["cycle", "phase", "--set", "brvt-so-2020", "appraisal"]
            )
            .code,
            0
        );
        let shown = run(&url, &["cycle", "show", "--set", "brvt-so-2020"]);
        assert!(
            shown.stdout.contains("Thẩm định") && shown.stdout.contains("SKHDT"),
            "{}",
            shown.stdout
        );
        let app = parindex_web::router(crate::common::demo_state(db.clone()));
        let cookie = |r: Resp| format!("sid={}", r.cookie_value("sid").unwrap());
        let focal = cookie(sign_in(&app, "t.vp", "mat-khau-thu-nghiem").await);
        let division = cookie(sign_in(&app, "nv.phong", "mat-khau-thu-nghiem").await);
        let appraiser = cookie(sign_in(&app, "t.td", "mat-khau-thu-nghiem").await);

        let anon = send(&app, "GET", "/sets/brvt-so-2020/ranking", "", &[], None).await;
        assert_eq!(anon.status, StatusCode::SEE_OTHER, "{kind}");
        assert!(
            anon.headers[header::LOCATION]
                .to_str()
                .unwrap()
                .starts_with("/login?next=/sets/brvt-so-2020/ranking")
        );
        assert_eq!(
            send(
                &app,
                "GET",
                "/api/v1/sets/brvt-so-2020/ranking",
                "",
                &[],
                None
            )
            .await
            .status,
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(
            send(&app, "GET", "/sets/brvt-so-2020/ranking", &focal, &[], None)
                .await
                .status,
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            send(
                &app,
                "GET",
                "/sets/brvt-so-2020/ranking?format=csv",
                &focal,
                &[],
                None
            )
            .await
            .status,
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            send(
                &app,
                "GET",
                "/sets/brvt-so-2020/units/STC",
                &focal,
                &[],
                None
            )
            .await
            .status,
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            send(
                &app,
                "GET",
                "/sets/brvt-so-2020/units/STC?format=xlsx",
                &division,
                &[],
                None
            )
            .await
            .status,
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            send(
                &app,
                "GET",
                "/api/v1/sets/brvt-so-2020/units/STC",
                &focal,
                &[],
                None
            )
            .await
            .status,
            StatusCode::FORBIDDEN
        );

        // The unit sees its own self-assessment, without the appraisers' cuts or its rank.
        let own = send(
            &app,
            "GET",
            "/sets/brvt-so-2020/units/SKHDT",
            &focal,
            &[],
            None,
        )
        .await;
        assert_eq!(own.status, StatusCode::OK);
        assert!(
            own.body.contains(r#"<dd id="score">90,120</dd>"#),
            "{}",
            own.body
        );
        assert!(own.body.contains(r#"<dd id="rank">—</dd>"#));
        let by_division = send(
            &app,
            "GET",
            "/api/v1/sets/brvt-so-2020/units/SKHDT",
            &division,
            &[],
            None,
        )
        .await;
        assert_eq!(by_division.status, StatusCode::OK);
        let v: serde_json::Value = serde_json::from_str(&by_division.body).unwrap();
        assert_eq!(v["units"][0]["score"], "90.120");
        assert_eq!(
            v["units"][0]["leaves"][8]["appraised"],
            serde_json::Value::Null
        );

        // Province-wide roles see everything, appraised points included.
        let ranking = send(
            &app,
            "GET",
            "/sets/brvt-so-2020/ranking",
            &appraiser,
            &[],
            None,
        )
        .await;
        assert_eq!(ranking.status, StatusCode::OK);
        assert!(ranking.body.contains("85,620"));

        // Published again: public.
        assert_eq!(
            run(
                &url,
                &["cycle", "phase", "--set", "brvt-so-2020", "published"]
            )
            .code,
            0
        );
        let app = parindex_web::router(crate::common::demo_state(db.clone()));
        assert_eq!(
            send(&app, "GET", "/sets/brvt-so-2020/units/STC", "", &[], None)
                .await
                .status,
            StatusCode::OK
        );
        assert_eq!(
            run(&url, &["cycle", "phase", "--set", "brvt-so-2020", "nope"]).code,
            2
        );
    }
}

/// The `sid=…` cookie a sign-in set.
pub fn sid(r: &Resp) -> String {
    format!("sid={}", r.cookie_value("sid").unwrap())
}

/// A multipart form (fields, then an optional file) posted with a session cookie.
pub async fn send_multipart(
    app: &axum::Router,
    uri: &str,
    cookie: &str,
    fields: &[(&str, &str)],
    file: Option<(&str, &[u8])>,
) -> Resp {
    let b = "----parindex-test";
    let mut body = Vec::new();
    for (k, v) in fields {
        body.extend(
            format!("--{b}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    if let Some((name, bytes)) = file {
        body.extend(format!("--{b}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n\r\n").as_bytes());
        body.extend(bytes);
        body.extend(b"\r\n");
    }
    body.extend(format!("--{b}--\r\n").as_bytes());
    let req = Request::post(uri)
        .header(header::HOST, "127.0.0.1:8080")
        .header(header::ORIGIN, "http://127.0.0.1:8080")
        .header(header::COOKIE, cookie)
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={b}"),
        )
        .header(header::CONTENT_LENGTH, body.len())
        .body(Body::from(body))
        .unwrap();
    let res = app.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    let body =
        String::from_utf8_lossy(&res.into_body().collect().await.unwrap().to_bytes()).into_owned();
    Resp {
        status,
        headers,
        body,
    }
}
