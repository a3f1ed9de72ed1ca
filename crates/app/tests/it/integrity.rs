//! Integrity by construction: each finding of the review, with a test that fails without its
//! fix — on SQLite and PostgreSQL. (The authorization matrix is in `authz.rs`; the readers'
//! bounds and line numbers are tested beside the readers.)

use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use parindex_domain::access::Role;
use tower::ServiceExt;

use crate::auth::{add_user, send, send_multipart, sid, sign_in};
use crate::common::{data, demo_dbs, run, temp_file};

const PASSWORD: &str = "mat-khau-thu-nghiem";

/// A database with the province's units and the example set in self-assessment.
async fn example_dbs() -> Vec<(parindex_db::Db, String)> {
    let dbs = parindex_db::testkit::each_db().await;
    let units = format!("{}/../../data/brvt-units.csv", env!("CARGO_MANIFEST_DIR"));
    for (_, url) in &dbs {
        assert_eq!(run(url, &["units", "import", &units]).code, 0);
        assert_eq!(
            run(url, &["criteria", "import", &data("example-so-2020.yaml")]).code,
            0
        );
        phase(url, "self_assessment");
    }
    dbs
}

fn phase(url: &str, p: &str) {
    let r = run(url, &["cycle", "phase", "--set", "example-so-2020", p]);
    assert_eq!(r.code, 0, "{}", r.stderr);
}

fn app_for(db: &parindex_db::Db) -> axum::Router {
    parindex_web::router(crate::common::demo_state(db.clone()))
}

#[tokio::test]
async fn an_import_page_stores_only_its_own_units_rows() {
    for (db, url) in demo_dbs().await {
        let kind = db.kind();
        let procedures = temp_file(
            &format!("stc-thu-tuc-{kind}.csv"),
            "code,name,unit_code,limit_days,internal_days,online_level,postal\nSTC-01,Thủ tục của Sở Tài chính,STC,5,,,\n",
        );
        assert_eq!(run(&url, &["procedures", "import", &procedures]).code, 0);
        let store =
            std::env::temp_dir().join(format!("parindex-own-rows-{}-{kind}", std::process::id()));
        let mut state = crate::common::demo_state(db.clone());
        state.files = std::sync::Arc::new(parindex_services::files::FileStore::new(&store));
        let app = parindex_web::router(state);
        let vp = sid(&sign_in(&app, "vp.skhdt", "parindex-demo").await);
        let form = send(&app, "GET", "/units/SKHDT/dossiers/import", &vp, &[], None).await;
        let csrf = form.hidden("csrf");
        // The review's file: a row of STC (with an SKHDT procedure), a row of SKHDT with
        // STC's procedure, one good row.
        let csv = "code,unit_code,procedure_code,received_at,finished_at\n\
                   X-1,STC,SKHDT-DN-01,2022-03-01 09:00,2022-03-01 10:00\n\
                   X-2,SKHDT,STC-01,2022-03-01 09:00,\n\
                   X-3,SKHDT,SKHDT-DN-01,2022-03-01 09:00,\n";
        let r = send_multipart(
            &app,
            "/units/SKHDT/dossiers/import",
            &vp,
            &[("csrf", &csrf), ("skip_invalid", "on")],
            Some(("ho-so.csv", csv.as_bytes())),
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{kind}: {}", r.body);
        let job = r.headers["location"].to_str().unwrap().to_string();
        let page = crate::dossiers::finished_job(&app, &job, &vp).await;
        assert!(
            page.contains("ho-so.csv:2: unit_code: hồ sơ của đơn vị `STC`"),
            "{kind}: {page}"
        );
        assert!(
            page.contains("ho-so.csv:3: procedure_code: thủ tục `STC-01` thuộc đơn vị `STC`"),
            "{kind}: {page}"
        );
        // Only SKHDT's good row is stored, even with "skip bad lines".
        let year = |unit: &'static str| {
            let db = db.clone();
            async move {
                let d = |s: &str| parindex_domain::text::Date::parse(s).unwrap();
                let as_of = parindex_domain::calendar::Instant::parse("2023-01-01 00:00").unwrap();
                db.dossier_figures(Some(unit), d("2022-01-01"), d("2022-12-31"), as_of)
                    .await
                    .unwrap()
                    .received
            }
        };
        assert_eq!(year("STC").await, 0, "{kind}");
        assert_eq!(year("SKHDT").await, 1, "{kind}");
        let _ = std::fs::remove_dir_all(&store);
    }
}

#[tokio::test]
async fn unreleased_cuts_stay_with_the_appraisers() {
    for (db, url) in example_dbs().await {
        let kind = db.kind();
        add_user(&db, "dm.skhdt", Role::Focal, Some("SKHDT")).await;
        add_user(&db, "td.bimat", Role::Appraiser, None).await;
        let set = db.load_set("example-so-2020").await.unwrap().unwrap();
        let leaf = set.position("I.1.1").unwrap();
        let self_assess = parindex_db::LeafChange::SelfAssessment {
            input: Some("Kịp thời".into()),
            self_points: Some(parindex_domain::Points::parse("1").unwrap()),
            note: None,
        };
        db.save_leaf(
            &set,
            "SKHDT",
            leaf,
            &self_assess,
            0,
            "dm.skhdt",
            "2026-11-27T08:00:00Z",
        )
        .await
        .unwrap();
        // The unit's own loss on I.1.2 (1 of 2 points): at stake on the brief.
        let own = parindex_db::LeafChange::SelfAssessment {
            input: Some("85".into()),
            self_points: Some(parindex_domain::Points::parse("1").unwrap()),
            note: None,
        };
        db.save_leaf(
            &set,
            "SKHDT",
            set.position("I.1.2").unwrap(),
            &own,
            0,
            "dm.skhdt",
            "2026-11-27T08:05:00Z",
        )
        .await
        .unwrap();
        phase(&url, "appraisal");
        let cut = parindex_db::LeafChange::Appraisal {
            appraised: Some(parindex_domain::Points::parse("0").unwrap()),
            reason: Some("Ban hành chậm".into()),
        };
        db.save_leaf(
            &set,
            "SKHDT",
            leaf,
            &cut,
            1,
            "td.bimat",
            "2026-11-28T08:00:00Z",
        )
        .await
        .unwrap();
        let app = app_for(&db);
        let focal = sid(&sign_in(&app, "dm.skhdt", PASSWORD).await);
        // The director's brief: I.1.1 scored in full by the unit, not at stake yet.
        let brief = send(&app, "GET", "/units/SKHDT/brief", &focal, &[], None).await;
        assert_eq!(brief.status, StatusCode::OK, "{kind}");
        assert!(
            brief.body.contains(r#"<td class="code">I.1.2</td>"#),
            "{kind}: {}",
            brief.body
        );
        assert!(
            !brief.body.contains(r#"<td class="code">I.1.1</td>"#),
            "{kind}: the cut shows on the brief: {}",
            brief.body
        );
        // The assessment page: no appraised value, no appraiser, in the history or anywhere.
        let page = send(
            &app,
            "GET",
            "/sets/example-so-2020/units/SKHDT/assess",
            &focal,
            &[],
            None,
        )
        .await;
        assert_eq!(page.status, StatusCode::OK, "{kind}");
        for secret in ["td.bimat", "Ban hành chậm", "appraised=", "effective="] {
            assert!(!page.body.contains(secret), "{kind}: shows {secret}");
        }
        assert!(
            page.body.contains("Tự chấm — → 1"),
            "{kind}: the unit's own step"
        );
        // Released at explanation: then the unit sees it all.
        phase(&url, "explanation");
        tokio::time::sleep(Duration::from_millis(1100)).await;
        let page = send(
            &app,
            "GET",
            "/sets/example-so-2020/units/SKHDT/assess",
            &focal,
            &[],
            None,
        )
        .await;
        assert!(page.body.contains("Ban hành chậm"), "{kind}");
        // The history in words, in the province's time: the step, who, when, why.
        assert!(
            page.body.contains(
                "<li>Tự chấm 1 → thẩm định 0, td.bimat, 28/11/2026 15:00: Lý do “Ban hành chậm”</li>"
            ),
            "{kind}: {}",
            page.body
        );
        let brief = send(&app, "GET", "/units/SKHDT/brief", &focal, &[], None).await;
        assert!(
            brief.body.contains(r#"<td class="code">I.1.1</td>"#),
            "{kind}"
        );
    }
}

#[tokio::test]
async fn evidence_revisions_lock_with_the_submission() {
    for (db, _) in example_dbs().await {
        let kind = db.kind();
        add_user(&db, "dm.skhdt", Role::Focal, Some("SKHDT")).await;
        add_user(&db, "pb.vp", Role::Division, Some("SKHDT-VP")).await;
        let store =
            std::env::temp_dir().join(format!("parindex-revisions-{}-{kind}", std::process::id()));
        let mut state = crate::common::demo_state(db.clone());
        state.files = std::sync::Arc::new(parindex_services::files::FileStore::new(&store));
        let app = parindex_web::router(state);
        let focal = sid(&sign_in(&app, "dm.skhdt", PASSWORD).await);
        let page = send(
            &app,
            "GET",
            "/sets/example-so-2020/units/SKHDT/assess",
            &focal,
            &[],
            None,
        )
        .await;
        let csrf = page.hidden("csrf");
        let pdf = b"%PDF-1.4\n1 0 obj << >> endobj\n%%EOF\n";
        let r = send_multipart(
            &app,
            "/sets/example-so-2020/units/SKHDT/leaves/I.1.1/evidence",
            &focal,
            &[("csrf", &csrf), ("title", "Kế hoạch CCHC")],
            Some(("ke-hoach.pdf", pdf)),
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{kind}: {}", r.body);
        let evidence = db.unit_evidence("SKHDT").await.unwrap()[0].id;
        // The division member (I.1.1 is delegated to it) adds a revision while open…
        db.set_delegation(
            "example-so-2020",
            "SKHDT",
            "I.1.1",
            Some("SKHDT-VP"),
            "dm.skhdt",
            "2026-11-27T08:00:00Z",
        )
        .await
        .unwrap();
        let division = sid(&sign_in(&app, "pb.vp", PASSWORD).await);
        let dcsrf = send(&app, "GET", "/account/password", &division, &[], None)
            .await
            .hidden("csrf");
        let revise = |bytes: &'static [u8]| {
            let app = app.clone();
            let division = division.clone();
            let dcsrf = dcsrf.clone();
            async move {
                send_multipart(
                    &app,
                    &format!("/evidence/{evidence}/files"),
                    &division,
                    &[("csrf", &dcsrf)],
                    Some(("ban-2.pdf", bytes)),
                )
                .await
            }
        };
        let open = revise(b"%PDF-1.4\n% ban 2\n%%EOF\n").await;
        assert_eq!(open.status, StatusCode::SEE_OTHER, "{kind}: {}", open.body);
        // …but not once the leader has submitted.
        let set = db.load_set("example-so-2020").await.unwrap().unwrap();
        let change = parindex_db::LeafChange::SelfAssessment {
            input: Some("Kịp thời".into()),
            self_points: Some(parindex_domain::Points::parse("1").unwrap()),
            note: None,
        };
        db.save_leaf(
            &set,
            "SKHDT",
            set.position("I.1.1").unwrap(),
            &change,
            0,
            "dm.skhdt",
            "2026-11-28T07:00:00Z",
        )
        .await
        .unwrap();
        db.submit_assessment(
            "example-so-2020",
            "SKHDT",
            "ld.skhdt",
            "2026-11-28T08:00:00Z",
        )
        .await
        .unwrap();
        let files = db.unit_evidence("SKHDT").await.unwrap()[0].files.len();
        let late = revise(b"%PDF-1.4\n% ban 3\n%%EOF\n").await;
        assert_eq!(late.status, StatusCode::FORBIDDEN, "{kind}: {}", late.body);
        assert!(late.body.contains("phiên bản mới"), "{kind}: {}", late.body);
        assert_eq!(
            db.unit_evidence("SKHDT").await.unwrap()[0].files.len(),
            files
        );
        let _ = std::fs::remove_dir_all(&store);
    }
}

/// A sign-in attempt from `addr` (the client address the server sees).
async fn sign_in_from(app: &axum::Router, user: &str, password: &str, addr: &str) -> StatusCode {
    let form = send(app, "GET", "/login", "", &[], None).await;
    let token = form.cookie_value("login_csrf").unwrap();
    let body = format!("username={user}&password={password}&form_token={token}&next=%2F");
    let mut req = Request::post("/login")
        .header(header::HOST, "127.0.0.1:8080")
        .header(header::ORIGIN, "http://127.0.0.1:8080")
        .header(header::COOKIE, format!("login_csrf={token}"))
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(body))
        .unwrap();
    let peer: std::net::SocketAddr = format!("{addr}:40000").parse().unwrap();
    req.extensions_mut()
        .insert(axum::extract::ConnectInfo(peer));
    let res = app.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let _ = res.into_body().collect().await;
    status
}

#[tokio::test]
async fn sign_in_is_throttled_per_address_and_counted_before_the_hash() {
    for (db, _) in example_dbs().await {
        let kind = db.kind();
        add_user(&db, "dm.skhdt", Role::Focal, Some("SKHDT")).await;
        let app = app_for(&db);
        // A stranger's guesses lock out the stranger…
        for _ in 0..5 {
            assert_eq!(
                sign_in_from(&app, "dm.skhdt", "doan-sai", "203.0.113.9").await,
                StatusCode::UNAUTHORIZED
            );
        }
        assert_eq!(
            sign_in_from(&app, "dm.skhdt", PASSWORD, "203.0.113.9").await,
            StatusCode::TOO_MANY_REQUESTS,
            "{kind}"
        );
        // …never the owner at the office.
        assert_eq!(
            sign_in_from(&app, "dm.skhdt", PASSWORD, "10.1.2.3").await,
            StatusCode::SEE_OTHER,
            "{kind}"
        );
        // A burst of 40 parallel guesses from one address: counted before the hash, so at
        // most five are checked (401), the others refused at once (429).
        let burst: Vec<_> = (0..40)
            .map(|_| {
                let app = app.clone();
                tokio::spawn(async move {
                    sign_in_from(&app, "dm.skhdt", "doan-sai", "198.51.100.7").await
                })
            })
            .collect();
        let mut checked = 0;
        let mut refused = 0;
        for b in burst {
            match b.await.unwrap() {
                StatusCode::UNAUTHORIZED => checked += 1,
                StatusCode::TOO_MANY_REQUESTS => refused += 1,
                other => panic!("{kind}: {other}"),
            }
        }
        assert_eq!((checked, refused), (5, 35), "{kind}");
    }
}

#[tokio::test]
async fn cached_ranking_pages_carry_no_other_session() {
    for (db, url) in example_dbs().await {
        let kind = db.kind();
        add_user(&db, "td.mot", Role::Appraiser, None).await;
        add_user(&db, "td.hai", Role::Appraiser, None).await;
        // Two people with the same display name.
        for u in ["td.mot", "td.hai"] {
            let sql = "UPDATE users SET display_name = 'Nguyễn Văn A' WHERE username = $1";
            match &db {
                parindex_db::Db::Sqlite(p) => {
                    sqlx::query(sql).bind(u).execute(p).await.unwrap();
                }
                parindex_db::Db::Postgres(p) => {
                    sqlx::query(sql).bind(u).execute(p).await.unwrap();
                }
            }
        }
        let _ = url;
        let app = app_for(&db);
        let one = sid(&sign_in(&app, "td.mot", PASSWORD).await);
        let two = sid(&sign_in(&app, "td.hai", PASSWORD).await);
        let own_token = |cookie: &str| {
            let app = app.clone();
            let cookie = cookie.to_string();
            async move {
                send(&app, "GET", "/account/password", &cookie, &[], None)
                    .await
                    .hidden("csrf")
            }
        };
        let (t1, t2) = (own_token(&one).await, own_token(&two).await);
        assert_ne!(t1, t2);
        let r1 = send(
            &app,
            "GET",
            "/sets/example-so-2020/ranking",
            &one,
            &[],
            None,
        )
        .await;
        let r2 = send(
            &app,
            "GET",
            "/sets/example-so-2020/ranking",
            &two,
            &[],
            None,
        )
        .await;
        assert_eq!(r2.status, StatusCode::OK, "{kind}");
        assert!(r1.body.contains(&t1) && !r1.body.contains(&t2), "{kind}");
        assert!(r2.body.contains(&t2) && !r2.body.contains(&t1), "{kind}");
        // Signing out from the (possibly cached) page works.
        let out = send(
            &app,
            "POST",
            "/logout",
            &two,
            &[("csrf", &r2.hidden("csrf"))],
            Some("http://127.0.0.1:8080"),
        )
        .await;
        assert_eq!(out.status, StatusCode::SEE_OTHER, "{kind}: {}", out.body);
    }
}

/// What someone who can write the database does to hide a change: edit a record, then
/// recompute every hash after it and the head.
async fn rewrite_trail(db: &parindex_db::Db, id: i64) {
    type Row = (
        i64,
        String,
        String,
        String,
        String,
        Option<String>,
        Option<String>,
        Option<String>,
    );
    let select = "SELECT id, happened_at, actor, action, entity, old_value, new_value, reason FROM audit_log ORDER BY id";
    let rows: Vec<Row> = match db {
        parindex_db::Db::Sqlite(p) => sqlx::query_as(select).fetch_all(p).await.unwrap(),
        parindex_db::Db::Postgres(p) => sqlx::query_as(select).fetch_all(p).await.unwrap(),
    };
    let mut prev = parindex_domain::access::GENESIS.to_string();
    for r in rows {
        let entry = parindex_domain::access::AuditEntry {
            at: r.1,
            actor: r.2,
            action: r.3,
            entity: r.4,
            old_value: r.5,
            new_value: if r.0 == id {
                Some("đã bị sửa".into())
            } else {
                r.6
            },
            reason: r.7,
        };
        let hash = parindex_domain::access::chain_hash(&prev, &entry);
        let update = "UPDATE audit_log SET new_value = $1, prev_hash = $2, hash = $3 WHERE id = $4";
        match db {
            parindex_db::Db::Sqlite(p) => {
                sqlx::query(update)
                    .bind(&entry.new_value)
                    .bind(&prev)
                    .bind(&hash)
                    .bind(r.0)
                    .execute(p)
                    .await
                    .unwrap();
            }
            parindex_db::Db::Postgres(p) => {
                sqlx::query(update)
                    .bind(&entry.new_value)
                    .bind(&prev)
                    .bind(&hash)
                    .bind(r.0)
                    .execute(p)
                    .await
                    .unwrap();
            }
        }
        prev = hash;
    }
    let head = "UPDATE audit_head SET hash = $1 WHERE id = 1";
    match db {
        parindex_db::Db::Sqlite(p) => {
            sqlx::query(head).bind(&prev).execute(p).await.unwrap();
        }
        parindex_db::Db::Postgres(p) => {
            sqlx::query(head).bind(&prev).execute(p).await.unwrap();
        }
    }
}

#[tokio::test]
async fn the_audit_head_kept_outside_exposes_a_rewritten_trail() {
    for (db, url) in example_dbs().await {
        let kind = db.kind();
        let head = run(&url, &["audit", "head"]);
        assert_eq!(head.code, 0, "{}", head.stderr);
        let head = head.stdout.trim().to_string();
        let (n, hash) = head.split_once(' ').unwrap();
        let n: i64 = n.parse().unwrap();
        assert!(n >= 3 && hash.len() == 64, "{head}");
        assert_eq!(run(&url, &["audit", "verify", "--head", &head]).code, 0);
        // Later records do not change record N.
        phase(&url, "appraisal");
        assert_eq!(run(&url, &["audit", "verify", "--head", &head]).code, 0);
        // The published ranking prints a head for anyone to keep.
        phase(&url, "published");
        let page = send(
            &app_for(&db),
            "GET",
            "/sets/example-so-2020/ranking",
            "",
            &[],
            None,
        )
        .await;
        assert_eq!(page.status, StatusCode::OK, "{kind}");
        let printed = page
            .body
            .split(r#"id="audit-head""#)
            .nth(1)
            .and_then(|r| r.split("<code>").nth(1))
            .and_then(|r| r.split("</code>").next())
            .unwrap()
            .to_string();
        assert_eq!(run(&url, &["audit", "verify", "--head", &printed]).code, 0);
        // A rewrite with every hash recomputed: the chain alone looks intact…
        rewrite_trail(&db, 2).await;
        let alone = run(&url, &["audit", "verify"]);
        assert_eq!(alone.code, 0, "{kind}: {}", alone.stderr);
        // …the heads kept outside do not.
        assert_eq!(run(&url, &["audit", "verify", "--head", &printed]).code, 1);
        let against = run(&url, &["audit", "verify", "--head", &head]);
        assert_eq!(against.code, 1, "{kind}: {}", against.stdout);
        assert!(
            against.stderr.contains(&format!("bản ghi số {n}")),
            "{kind}: {}",
            against.stderr
        );
        assert_eq!(run(&url, &["audit", "verify", "--head", "abc"]).code, 2);
    }
}

#[tokio::test]
async fn phases_move_back_only_by_the_secretariat_with_a_reason() {
    for (db, url) in example_dbs().await {
        let kind = db.kind();
        add_user(&db, "tt.snv", Role::Secretariat, None).await;
        add_user(&db, "qt.admin", Role::Admin, None).await;
        phase(&url, "published");
        let app = app_for(&db);
        let back = |cookie: String, reason: &'static str| {
            let app = app.clone();
            async move {
                let csrf = send(
                    &app,
                    "GET",
                    "/sets/example-so-2020/cycle",
                    &cookie,
                    &[],
                    None,
                )
                .await
                .hidden("csrf");
                send(
                    &app,
                    "POST",
                    "/sets/example-so-2020/cycle",
                    &cookie,
                    &[
                        ("csrf", &csrf),
                        ("action", "phase"),
                        ("phase", "explanation"),
                        ("reason", reason),
                        ("confirm", "yes"),
                    ],
                    Some("http://127.0.0.1:8080"),
                )
                .await
            }
        };
        let admin = sid(&sign_in(&app, "qt.admin", PASSWORD).await);
        let secretariat = sid(&sign_in(&app, "tt.snv", PASSWORD).await);
        assert_eq!(
            back(admin, "Sửa sai").await.status,
            StatusCode::FORBIDDEN,
            "{kind}"
        );
        assert_eq!(
            back(secretariat.clone(), "").await.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{kind}"
        );
        assert_eq!(
            db.phase("example-so-2020").await.unwrap(),
            Some(parindex_domain::cycle::Phase::Published)
        );
        let r = back(secretariat, "Kết luận thanh tra số 12").await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{kind}: {}", r.body);
        let trail = db.audit_history("set/example-so-2020").await.unwrap();
        let last = trail.last().unwrap();
        assert_eq!(last.entry.new_value.as_deref(), Some("explanation"));
        assert_eq!(
            last.entry.reason.as_deref(),
            Some("Kết luận thanh tra số 12")
        );
    }
}

#[tokio::test]
async fn demo_passwords_are_changed_first_outside_the_demo() {
    for (db, _) in demo_dbs().await {
        let kind = db.kind();
        // As `serve` without `--demo` runs it.
        let app = parindex_web::router(parindex_web::AppState::new(db.clone()));
        let r = sign_in(&app, "admin", "parindex-demo").await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{kind}");
        assert_eq!(r.headers["location"], "/account/password", "{kind}");
        let admin = sid(&r);
        let users = send(&app, "GET", "/admin/users", &admin, &[], None).await;
        assert_eq!(users.headers["location"], "/account/password", "{kind}");
        let csrf = send(&app, "GET", "/account/password", &admin, &[], None)
            .await
            .hidden("csrf");
        let changed = send(
            &app,
            "POST",
            "/account/password",
            &admin,
            &[
                ("csrf", &csrf),
                ("current", "parindex-demo"),
                ("new_password", "mat-khau-rieng-2026"),
                ("confirm", "mat-khau-rieng-2026"),
            ],
            Some("http://127.0.0.1:8080"),
        )
        .await;
        assert_eq!(changed.status, StatusCode::OK, "{kind}: {}", changed.body);
        let admin = sid(&changed);
        let users = send(&app, "GET", "/admin/users", &admin, &[], None).await;
        assert_eq!(users.status, StatusCode::OK, "{kind}");
        // Under --demo the published passwords stay usable.
        let demo = app_for(&db);
        let r = sign_in(&demo, "vp.skhdt", "parindex-demo").await;
        assert_eq!(r.headers["location"], "/sets", "{kind}");
    }
}

#[tokio::test]
async fn hsts_only_behind_https() {
    for (db, _) in example_dbs().await {
        let mut state = parindex_web::AppState::new(db.clone());
        let plain = parindex_web::router(state.clone());
        state.secure_cookies = true;
        let secure = parindex_web::router(state);
        let get = |app: axum::Router| async move {
            app.oneshot(Request::get("/health").body(Body::empty()).unwrap())
                .await
                .unwrap()
        };
        assert!(
            !get(plain)
                .await
                .headers()
                .contains_key(header::STRICT_TRANSPORT_SECURITY)
        );
        let r = get(secure).await;
        assert!(
            r.headers()[header::STRICT_TRANSPORT_SECURITY]
                .to_str()
                .unwrap()
                .starts_with("max-age=")
        );
    }
}

#[tokio::test]
async fn a_half_sent_request_is_dropped() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let (db, _) = parindex_db::testkit::each_db().await.remove(0);
    let app = parindex_web::router(parindex_web::AppState::new(db));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(parindex_web::core::server::serve_with(
        listener,
        app,
        async {
            let _ = stopped.await;
        },
        parindex_web::core::server::Timeouts {
            header_read: Duration::from_millis(300),
            body_idle: Duration::from_secs(5),
        },
    ));
    // A whole request is answered.
    let mut ok = tokio::net::TcpStream::connect(addr).await.unwrap();
    ok.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut answer = String::new();
    ok.read_to_string(&mut answer).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    // Headers never finished: the server closes the connection.
    let mut slow = tokio::net::TcpStream::connect(addr).await.unwrap();
    slow.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    let mut buf = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), slow.read_to_end(&mut buf)).await;
    assert!(read.is_ok(), "still open after 5 s");
    assert!(!String::from_utf8_lossy(&buf).contains("200 OK"));
    let _ = stop.send(());
    server.await.unwrap().unwrap();
}

#[tokio::test]
async fn writes_of_every_kind_are_in_the_trail() {
    for (db, url) in demo_dbs().await {
        let kind = db.kind();
        let task = db.tasks("SKHDT", "2021-04-20").await.unwrap()[0].id;
        db.add_comment(task, "vp.skhdt", "Đã giao phòng", "2026-11-27T08:00:00Z")
            .await
            .unwrap();
        let comment = db.audit_history(&format!("task/{task}")).await.unwrap();
        assert!(
            comment.iter().any(|r| r.entry.action == "task.comment"
                && r.entry.new_value.as_deref() == Some("Đã giao phòng")),
            "{kind}"
        );
        let csv = temp_file(
            &format!("trail-{kind}.csv"),
            "code,unit_code,procedure_code,received_at,finished_at\nTR-1,SKHDT,SKHDT-DN-01,2022-03-01 09:00,\n",
        );
        assert_eq!(run(&url, &["dossiers", "import", &csv]).code, 0);
        let imports = db.audit_history(&format!("dossiers/{csv}")).await.unwrap();
        assert_eq!(imports.len(), 1, "{kind}");
        assert_eq!(imports[0].entry.action, "dossiers.import");
        let r = run(
            &url,
            &[
                "dossiers",
                "apology",
                "--unit",
                "SKHDT",
                "--code",
                "TR-1",
                "--reason",
                "Chờ ý kiến liên ngành",
                "--new-due",
                "2022-03-20 16:00",
                "--output",
                &temp_file(&format!("trail-{kind}.docx"), ""),
            ],
        );
        assert_eq!(r.code, 0, "{kind}: {}", r.stderr);
        let slip = db.audit_history("dossier/SKHDT/TR-1").await.unwrap();
        assert_eq!(slip.len(), 1, "{kind}");
        assert_eq!(
            slip[0].entry.reason.as_deref(),
            Some("Chờ ý kiến liên ngành")
        );
        assert_eq!(run(&url, &["audit", "verify"]).code, 0);
    }
}

#[tokio::test]
async fn the_server_sweeps_half_written_uploads_at_start() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let dir = std::env::temp_dir().join(format!("parindex-sweep-start-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("files").join("tmp")).unwrap();
    let left = dir.join("files").join("tmp").join("bo-do.part");
    std::fs::write(&left, b"half an upload").unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut server = tokio::process::Command::new(crate::common::BIN)
        .arg("--db")
        .arg(format!("sqlite://{}/sweep.db", dir.display()))
        .args(["serve", "--addr", &format!("127.0.0.1:{port}"), "--files"])
        .arg(dir.join("files"))
        .env("PARINDEX_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut up = false;
    for _ in 0..100 {
        if let Ok(mut s) = tokio::net::TcpStream::connect(("127.0.0.1", port)).await {
            s.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                .await
                .unwrap();
            let mut answer = String::new();
            let _ = s.read_to_string(&mut answer).await;
            if answer.starts_with("HTTP/1.1 200") {
                up = true;
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let _ = server.kill().await;
    assert!(up, "the server did not start");
    assert!(!left.exists(), "a half-written upload survived the start");
    let _ = std::fs::remove_dir_all(&dir);
}
