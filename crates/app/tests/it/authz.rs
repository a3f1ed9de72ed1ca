//! Authorization matrix: every route of the router × every role × own/other unit →
//! the expected status. The routes are read from the router's source, so a new route
//! without a row here fails the test.

use axum::body::Body;
use axum::http::{Request, header};
use http_body_util::BodyExt;
use parindex_domain::access::Role;
use tower::ServiceExt;

use crate::auth::{add_user, sign_in};
use crate::common::{data, demo_dbs, run};

/// Who is asking: a role (or a visitor) and, for unit roles, the unit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Who {
    Anon,
    Admin,
    Secretariat,
    Appraiser,
    Leader,
    Focal,
    Division,
    Viewer,
}

impl Who {
    const ALL: [Who; 8] = [
        Who::Anon,
        Who::Admin,
        Who::Secretariat,
        Who::Appraiser,
        Who::Leader,
        Who::Focal,
        Who::Division,
        Who::Viewer,
    ];

    fn province(self) -> bool {
        matches!(self, Who::Admin | Who::Secretariat | Who::Appraiser)
    }

    fn unit_role(self) -> bool {
        matches!(self, Who::Leader | Who::Focal | Who::Division | Who::Viewer)
    }
}

/// The routes as declared in `crates/web/src/lib.rs`: (method, path).
fn declared_routes() -> Vec<(String, String)> {
    let src = std::fs::read_to_string(format!("{}/../web/src/lib.rs", env!("CARGO_MANIFEST_DIR")))
        .unwrap();
    let mut out = Vec::new();
    for chunk in src.split(".route(").skip(1) {
        let path = chunk.split('"').nth(1).unwrap().to_string();
        let handler = chunk.split(".route(").next().unwrap_or_default();
        let handler = handler.split(".fallback(").next().unwrap_or_default();
        if handler.contains("get(") {
            out.push(("GET".to_string(), path.clone()));
        }
        if handler.contains("post(") {
            out.push(("POST".to_string(), path));
        }
    }
    out
}

/// The expected status of `method path` for `who` on its own unit (`own`) or another's.
/// The example set is in self-assessment (a draft); SKHDT is the own unit, STC the other.
#[expect(clippy::match_same_arms, reason = "one row per route reads as a table")]
fn expected(method: &str, path: &str, who: Who, own: bool) -> u16 {
    let anon = who == Who::Anon;
    let login_first = if anon { Some(303) } else { None };
    let unit_ok = who.province() || (who.unit_role() && own);
    match (method, path) {
        ("GET", "/") => 303,
        ("GET", "/login" | "/sets" | "/sets/{set_id}" | "/static/style.css" | "/health") => 200,
        ("GET", "/api/v1/openapi.json" | "/api/v1/sets" | "/api/v1/sets/{set_id}") => 200,
        ("POST", "/login") => 403, // no form token
        ("POST", "/logout") => 303,
        ("GET", "/account/password") => login_first.unwrap_or(200),
        ("POST", "/account/password") => login_first.unwrap_or(400), // wrong current password
        ("GET", "/admin/users") => login_first.unwrap_or(if who == Who::Admin { 200 } else { 403 }),
        ("POST", "/admin/users") => {
            login_first.unwrap_or(if who == Who::Admin { 400 } else { 403 })
        }
        ("GET", "/sets/{set_id}/ranking") => {
            login_first.unwrap_or(if who.province() { 200 } else { 403 })
        }
        ("GET", "/api/v1/sets/{set_id}/ranking") => {
            if anon {
                401
            } else if who.province() {
                200
            } else {
                403
            }
        }
        ("GET", "/sets/{set_id}/cycle") => {
            login_first.unwrap_or(if who.province() { 200 } else { 403 })
        }
        ("POST", "/sets/{set_id}/cycle") => {
            login_first.unwrap_or(if matches!(who, Who::Admin | Who::Secretariat) {
                303
            } else {
                403
            })
        }
        ("GET", "/sets/{set_id}/units/{unit_code}" | "/sets/{set_id}/units/{unit_code}/assess") => {
            login_first.unwrap_or(if unit_ok { 200 } else { 403 })
        }
        ("GET", "/api/v1/sets/{set_id}/units/{unit_code}") => {
            if anon {
                401
            } else if unit_ok {
                200
            } else {
                403
            }
        }
        // A bad input is refused with 400 only after the permission check passed.
        ("POST", "/sets/{set_id}/units/{unit_code}/leaves/{leaf_code}") => {
            login_first.unwrap_or(if own && matches!(who, Who::Focal | Who::Leader) {
                400
            } else {
                403
            })
        }
        ("POST", "/sets/{set_id}/units/{unit_code}/leaves/{leaf_code}/delegate") => login_first
            .unwrap_or(if own && matches!(who, Who::Focal | Who::Leader) {
                303
            } else {
                403
            }),
        ("POST", "/admin/users/scopes") => {
            login_first.unwrap_or(if who == Who::Admin { 303 } else { 403 })
        }
        (
            "GET",
            "/units/{unit_code}/tasks"
            | "/units/{unit_code}/violations"
            | "/tasks/{task_id}"
            | "/units/{unit_code}/calendar"
            | "/units/{unit_code}/overdue"
            | "/directives/{directive_id}",
        ) => login_first.unwrap_or(if who == Who::Admin || (who.unit_role() && own) {
            200
        } else {
            403
        }),
        (
            "GET",
            "/units/{unit_code}/dossiers"
            | "/units/{unit_code}/dossiers/list"
            | "/units/{unit_code}/dossiers/due-soon",
        ) => login_first.unwrap_or(if unit_ok { 200 } else { 403 }),
        ("GET", "/units/{unit_code}/dossiers/import") => login_first.unwrap_or(
            if matches!(who, Who::Admin | Who::Secretariat)
                || (own && matches!(who, Who::Focal | Who::Leader))
            {
                200
            } else {
                403
            },
        ),
        // No file in the matrix's form: refused once allowed.
        ("POST", "/units/{unit_code}/dossiers/import") => login_first.unwrap_or(
            if matches!(who, Who::Admin | Who::Secretariat)
                || (own && matches!(who, Who::Focal | Who::Leader))
            {
                400
            } else {
                403
            },
        ),
        // No such import job.
        (
            "GET",
            "/units/{unit_code}/dossiers/imports/{job_id}"
            | "/units/{unit_code}/dossiers/imports/{job_id}/rejected.csv",
        ) => login_first.unwrap_or(
            if matches!(who, Who::Admin | Who::Secretariat)
                || (own && matches!(who, Who::Focal | Who::Leader))
            {
                404
            } else {
                403
            },
        ),
        // The matrix's units have no dossier of that code.
        ("GET", "/units/{unit_code}/dossiers/{dossier_code}/apology") => {
            login_first.unwrap_or(if unit_ok { 404 } else { 403 })
        }
        ("POST", "/units/{unit_code}/dossiers/{dossier_code}/apology") => {
            login_first.unwrap_or(if own && matches!(who, Who::Focal | Who::Leader) {
                404
            } else {
                403
            })
        }
        ("GET", "/notifications" | "/calendar") => login_first.unwrap_or(200),
        ("GET", "/dossiers") => login_first.unwrap_or(if who.province() { 200 } else { 403 }),
        // An empty calendar is refused with its problems once allowed.
        ("POST", "/calendar") => {
            login_first.unwrap_or(if matches!(who, Who::Admin | Who::Secretariat) {
                400
            } else {
                403
            })
        }
        // The matrix's directives were imported from text: no file to give.
        ("GET", "/directives/{directive_id}/file") => {
            login_first.unwrap_or(if who == Who::Admin || (who.unit_role() && own) {
                404
            } else {
                403
            })
        }
        // An empty comment or reason is refused with 400 once allowed.
        ("POST", "/tasks/{task_id}/comments") => {
            login_first.unwrap_or(if who == Who::Admin || (who.unit_role() && own) {
                400
            } else {
                403
            })
        }
        ("POST", "/tasks/{task_id}/cancel") => {
            login_first.unwrap_or(if own && matches!(who, Who::Focal | Who::Leader) {
                400
            } else {
                403
            })
        }
        // The occurrence was reported already: starting it is a conflict once allowed.
        ("POST", "/occurrences/{occurrence_id}/start") => login_first.unwrap_or(
            if own && matches!(who, Who::Focal | Who::Leader | Who::Division) {
                409
            } else {
                403
            },
        ),
        // The example set is still in self-assessment: nothing lost is released yet.
        ("GET" | "POST", "/units/{unit_code}/sets/{set_id}/lost") => login_first.unwrap_or(403),
        // Nobody can acknowledge a notification that is not theirs.
        ("POST", "/notifications/{notification_id}/ack") => login_first.unwrap_or(404),
        ("GET", "/units/{unit_code}/brief") => login_first.unwrap_or(
            if who == Who::Admin || (own && matches!(who, Who::Focal | Who::Leader)) {
                200
            } else {
                403
            },
        ),
        ("GET", "/units/{unit_code}/directives/new") => {
            login_first.unwrap_or(if own && matches!(who, Who::Focal | Who::Leader) {
                200
            } else {
                403
            })
        }
        // An empty preview: the form comes back.
        ("POST", "/units/{unit_code}/directives/new") => {
            login_first.unwrap_or(if own && matches!(who, Who::Focal | Who::Leader) {
                200
            } else {
                403
            })
        }
        // A report without text is refused with 400 once the reporter is allowed; the
        // own task is led by the division SKHDT-VP.
        ("POST", "/occurrences/{occurrence_id}/report") => login_first.unwrap_or(
            if own && matches!(who, Who::Focal | Who::Leader | Who::Division) {
                400
            } else {
                403
            },
        ),
        ("POST", "/violations/{violation_id}") => {
            login_first.unwrap_or(if own && matches!(who, Who::Focal | Who::Leader) {
                400
            } else {
                403
            })
        }
        ("POST", "/sets/{set_id}/units/{unit_code}/submit") => {
            login_first.unwrap_or(if own && who == Who::Leader { 400 } else { 403 })
        }
        ("POST", "/sets/{set_id}/units/{unit_code}/leaves/{leaf_code}/evidence") => login_first
            .unwrap_or(if own && matches!(who, Who::Focal | Who::Leader) {
                400
            } else {
                403
            }),
        ("POST", "/sets/{set_id}/units/{unit_code}/leaves/{leaf_code}/link") => login_first
            .unwrap_or(if own && matches!(who, Who::Focal | Who::Leader) {
                303
            } else {
                403
            }),
        // Evidence belongs to the own unit in `fill` below; "other" uses another unit's.
        ("POST", "/evidence/{evidence_id}/files") => login_first.unwrap_or(
            if own && matches!(who, Who::Focal | Who::Leader | Who::Division) {
                400
            } else {
                403
            },
        ),
        ("GET", "/evidence/files/{file_id}") => {
            login_first.unwrap_or(if unit_ok { 200 } else { 403 })
        }
        other => panic!("no row in the authorization matrix for {other:?}"),
    }
}

struct Ids {
    own_evidence: i64,
    other_evidence: i64,
    own_file: i64,
    other_file: i64,
    /// (task, occurrence, violation) of the own unit and of the other.
    own_task: (i64, i64, i64),
    other_task: (i64, i64, i64),
    own_directive: i64,
    other_directive: i64,
}

fn fill(path: &str, own: bool, ids: &Ids) -> String {
    let (task, occurrence, violation) = if own { ids.own_task } else { ids.other_task };
    path.replace("{task_id}", &task.to_string())
        .replace("{notification_id}", "999999")
        .replace(
            "{directive_id}",
            &(if own {
                ids.own_directive
            } else {
                ids.other_directive
            })
            .to_string(),
        )
        .replace("{occurrence_id}", &occurrence.to_string())
        .replace("{violation_id}", &violation.to_string())
        .replace("{set_id}", "example-so-2020")
        .replace("{unit_code}", if own { "SKHDT" } else { "STC" })
        .replace("{leaf_code}", "I.1.1")
        .replace("{dossier_code}", "HS-KHONG-CO")
        .replace("{job_id}", "khong-co")
        .replace(
            "{evidence_id}",
            &(if own {
                ids.own_evidence
            } else {
                ids.other_evidence
            })
            .to_string(),
        )
        .replace(
            "{file_id}",
            &(if own { ids.own_file } else { ids.other_file }).to_string(),
        )
}

/// A request body that passes CSRF and reaches the permission check.
fn body_for(path: &str, csrf: &str, ids: &Ids) -> (String, Vec<u8>) {
    if path.ends_with("/evidence")
        || path.ends_with("/files")
        || path.ends_with("/report")
        || path.ends_with("/directives/new")
        || path.ends_with("/dossiers/import")
    {
        let b = "----matrix";
        // A preview of nothing, or a report without text: refused with 400 once allowed.
        let body = format!(
            "--{b}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n--{b}\r\nContent-Disposition: form-data; name=\"action\"\r\n\r\npreview\r\n--{b}--\r\n"
        );
        return (
            format!("multipart/form-data; boundary={b}"),
            body.into_bytes(),
        );
    }
    let fields = match path {
        "/account/password" => {
            format!("csrf={csrf}&current=sai&new_password=12345678&confirm=12345678")
        }
        "/admin/users" => {
            format!("csrf={csrf}&username=x&display_name=&role=viewer&unit=&password=1")
        }
        "/sets/{set_id}/cycle" => format!("csrf={csrf}&action=phase&phase=self_assessment"),
        "/sets/{set_id}/units/{unit_code}/leaves/{leaf_code}" => {
            format!("csrf={csrf}&revision=0&action=self&input=xyz")
        }
        "/sets/{set_id}/units/{unit_code}/leaves/{leaf_code}/link" => {
            format!("csrf={csrf}&evidence_id={}", ids.own_evidence)
        }
        "/sets/{set_id}/units/{unit_code}/leaves/{leaf_code}/delegate" => {
            format!("csrf={csrf}&division=")
        }
        "/admin/users/scopes" => format!("csrf={csrf}&username=m.appraiser&scopes=I.1"),
        _ => format!("csrf={csrf}&username=a&password=b&form_token=x"),
    };
    (
        "application/x-www-form-urlencoded".to_string(),
        fields.into_bytes(),
    )
}

#[tokio::test]
async fn every_route_every_role_own_and_other_unit() {
    let mut routes = declared_routes();
    assert!(routes.len() >= 25, "{routes:?}");
    // Signing out ends the sessions the other rows use: last.
    routes.sort_by_key(|(m, p)| m == "POST" && p == "/logout");
    for (db, url) in demo_dbs().await {
        let kind = db.kind();
        assert_eq!(
            run(&url, &["criteria", "import", &data("example-so-2020.yaml")]).code,
            0
        );
        assert_eq!(
            run(
                &url,
                &[
                    "cycle",
                    "phase",
                    "--set",
                    "example-so-2020",
                    "self_assessment"
                ]
            )
            .code,
            0
        );
        let users = [
            (Who::Admin, Role::Admin, None),
            (Who::Secretariat, Role::Secretariat, None),
            (Who::Appraiser, Role::Appraiser, None),
            (Who::Leader, Role::Leader, Some("SKHDT")),
            (Who::Focal, Role::Focal, Some("SKHDT")),
            (Who::Division, Role::Division, Some("SKHDT-VP")),
            (Who::Viewer, Role::Viewer, Some("SKHDT")),
        ];
        for (w, r, unit) in users {
            add_user(&db, &format!("m.{w:?}").to_lowercase(), r, unit).await;
        }
        add_user(&db, "stcfocal", Role::Focal, Some("STC")).await;
        // One evidence of each unit.
        let meta = parindex_db::EvidenceMeta {
            title: "Kế hoạch".into(),
            ..Default::default()
        };
        let mk = |sha: &'static str| parindex_db::NewFile {
            file_name: "a.pdf",
            content_type: "application/pdf",
            size_bytes: 10,
            sha256: sha,
        };
        let now = "2026-11-27T10:00:00Z";
        let own_evidence = db
            .create_evidence("SKHDT", &meta, &mk("aa"), None, "test", now)
            .await
            .unwrap();
        let other_evidence = db
            .create_evidence("STC", &meta, &mk("bb"), None, "test", now)
            .await
            .unwrap();
        let store =
            std::env::temp_dir().join(format!("parindex-matrix-{}-{kind}", std::process::id()));
        for sha in ["aa", "bb"] {
            std::fs::create_dir_all(store.join(sha)).unwrap();
            std::fs::write(store.join(sha).join(sha), b"%PDF-1.4\n%%EOF\n").unwrap();
        }
        let file_of = |unit: &'static str| {
            let db = db.clone();
            async move { db.unit_evidence(unit).await.unwrap()[0].files[0].id }
        };
        let task_of = |unit: &'static str, lead: &'static str| {
            let db = db.clone();
            async move {
                let day = |s: &str| parindex_domain::text::Date::parse(s).unwrap();
                let task = parindex_db::NewTask {
                    item_ref: None,
                    source_line: None,
                    title: "Cập nhật website".into(),
                    body: "Cập nhật website hằng tuần".into(),
                    responsible: None,
                    leads: vec![lead.into()],
                    supports: vec![],
                    criteria: vec![],
                    references: vec![],
                    schedule: parindex_domain::schedule::Schedule {
                        repeat: parindex_domain::schedule::Repeat::Monthly { day: 31 },
                        start: day("2020-01-01"),
                        end: day("2020-03-31"),
                    },
                };
                let id = db.create_task(unit, &task, "test", now).await.unwrap();
                let occ = db.occurrences(id).await.unwrap();
                (id, occ[1].id)
            }
        };
        let directive_of = |unit: &'static str| {
            let db = db.clone();
            async move {
                let text =
                    std::fs::read_to_string(data("tb-skhdt-2021-04-chan-chinh-cchc.txt")).unwrap();
                let d = parindex_domain::directive::parse_directive(&text, &[]).unwrap();
                db.import_directive(unit, &d, &text, None, &[], "test", now)
                    .await
                    .unwrap()
                    .0
            }
        };
        let (own_t, own_o) = task_of("SKHDT", "SKHDT-VP").await;
        let (other_t, other_o) = task_of("STC", "STC").await;
        db.sweep_violations("2020-05-01", now).await.unwrap();
        let own_v = db.violations("SKHDT").await.unwrap()[0].id;
        db.complete_occurrence(own_o, "Đã báo cáo", None, "test", now)
            .await
            .unwrap();
        db.complete_occurrence(other_o, "Đã báo cáo", None, "test", now)
            .await
            .unwrap();
        let other_v = db.violations("STC").await.unwrap()[0].id;
        let ids = Ids {
            own_evidence,
            other_evidence,
            own_file: file_of("SKHDT").await,
            other_file: file_of("STC").await,
            own_task: (own_t, own_o, own_v),
            other_task: (other_t, other_o, other_v),
            own_directive: directive_of("SKHDT").await,
            other_directive: directive_of("STC").await,
        };

        let mut state = parindex_web::AppState::new(db.clone());
        state.files = std::sync::Arc::new(parindex_web::files::FileStore::new(&store));
        let app = parindex_web::router(state);
        let mut sessions = vec![(Who::Anon, String::new(), String::new())];
        for w in &Who::ALL[1..] {
            let r = sign_in(
                &app,
                &format!("m.{w:?}").to_lowercase(),
                "mat-khau-thu-nghiem",
            )
            .await;
            let cookie = format!("sid={}", r.cookie_value("sid").unwrap());
            let page =
                crate::auth::send(&app, "GET", "/account/password", &cookie, &[], None).await;
            sessions.push((*w, cookie, page.hidden("csrf")));
        }
        let mut failures = Vec::new();
        let mut checked = 0;
        for (method, path) in &routes {
            for (who, cookie, csrf) in &sessions {
                for own in [true, false] {
                    let uri = fill(path, own, &ids);
                    let mut req = Request::builder()
                        .method(method.as_str())
                        .uri(&uri)
                        .header(header::HOST, "127.0.0.1:8080");
                    if !cookie.is_empty() {
                        req = req.header(header::COOKIE, cookie);
                    }
                    let body = if method == "POST" {
                        let (ctype, body) = body_for(path, csrf, &ids);
                        req = req
                            .header(header::CONTENT_TYPE, ctype)
                            .header(header::ORIGIN, "http://127.0.0.1:8080");
                        body
                    } else {
                        Vec::new()
                    };
                    let res = app
                        .clone()
                        .oneshot(req.body(Body::from(body)).unwrap())
                        .await
                        .unwrap();
                    let got = res.status().as_u16();
                    let _ = res.into_body().collect().await;
                    let want = expected(method, path, *who, own);
                    checked += 1;
                    if got != want {
                        failures.push(format!("{method} {uri} as {who:?}: got {got}, want {want}"));
                    }
                }
            }
        }
        let _ = std::fs::remove_dir_all(&store);
        assert!(
            failures.is_empty(),
            "{kind}: {} of {checked} cells differ:\n{}",
            failures.len(),
            failures.join("\n")
        );
    }
}
