//! HTTP tests in process: pages, downloads, API, headers, errors.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use tower::ServiceExt;

use crate::common::demo_dbs;

async fn get(app: &axum::Router, uri: &str) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
    let res = app
        .clone()
        .oneshot(Request::get(uri).body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    let body = res.into_body().collect().await.unwrap().to_bytes().to_vec();
    (status, headers, body)
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[tokio::test]
async fn pages_downloads_and_api() {
    for (db, _) in demo_dbs().await {
        let kind = db.kind();
        let app = parindex_web::router(crate::common::demo_state(db));

        let (s, h, _) = get(&app, "/").await;
        assert_eq!(s, StatusCode::SEE_OTHER, "{kind}");
        assert_eq!(h[header::LOCATION], "/sets/brvt-so-2020/ranking");

        let (s, h, body) = get(&app, "/sets/brvt-so-2020/ranking").await;
        assert_eq!(s, StatusCode::OK);
        assert!(
            h[header::CONTENT_SECURITY_POLICY]
                .to_str()
                .unwrap()
                .contains("default-src 'self'")
        );
        assert_eq!(h[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
        let page = text(&body);
        assert!(page.contains("<svg"), "chart");
        assert!(page.contains("85,620"));
        assert!(page.contains("Dữ liệu mẫu"), "sample banner");
        assert!(
            page.contains(r#"<tr data-unit="SKHDT"><td class="num">11/21</td>"#),
            "{page}"
        );
        // Served again from the cache, identical.
        let (_, _, again) = get(&app, "/sets/brvt-so-2020/ranking").await;
        assert_eq!(again, body);

        let (s, h, csv) = get(&app, "/sets/brvt-so-2020/ranking?group=so&format=csv").await;
        assert_eq!(s, StatusCode::OK);
        assert!(
            h[header::CONTENT_DISPOSITION]
                .to_str()
                .unwrap()
                .contains("xep-hang-brvt-so-2020-so.csv")
        );
        assert!(csv.starts_with("\u{feff}".as_bytes()));
        assert!(
            text(&csv).contains("11,SKHDT,Sở Kế hoạch và Đầu tư,so,85.620,85.620,Khá,14.380"),
            "{}",
            text(&csv)
        );
        assert!(
            text(&csv).contains("rank,unit_code,unit_name,group,score,index,band,lost"),
            "the CSV keeps the codes"
        );
        let (_, _, xlsx) = get(&app, "/sets/brvt-so-2020/ranking?format=xlsx").await;
        assert!(xlsx.starts_with(b"PK"));
        // The XLSX is read by people: titles in the page's language under the set's name,
        // scores as numbers.
        let path = std::env::temp_dir().join(format!("web-rank-{}.xlsx", std::process::id()));
        std::fs::write(&path, &xlsx).unwrap();
        let back = path.with_extension("csv");
        parindex_reports::sheet_csv::xlsx_file_to_csv(&path, &back).unwrap();
        let sheet = std::fs::read_to_string(&back).unwrap();
        assert!(sheet.contains("Xếp hạng — Bộ chỉ số CCHC"), "{sheet}");
        assert!(sheet.contains("Hạng,Mã,Đơn vị"), "{sheet}");
        assert!(sheet.contains(",85.62,"), "{sheet}");
        let (s, _, _) = get(&app, "/sets/brvt-so-2020/ranking?format=odt").await;
        assert_eq!(s, StatusCode::BAD_REQUEST);
        let (s, _, _) = get(&app, "/sets/brvt-so-2020/ranking?group=nope").await;
        assert_eq!(s, StatusCode::BAD_REQUEST);

        let (s, _, body) = get(&app, "/sets/brvt-so-2020/units/SKHDT").await;
        assert_eq!(s, StatusCode::OK);
        let card = text(&body);
        assert!(card.contains(r#"<dd id="score">85,620</dd>"#));
        assert!(card.contains(r#"<dd id="rank">11/21</dd>"#));
        let weakest = card
            .split(r#"id="weakest""#)
            .nth(1)
            .unwrap()
            .split("</table>")
            .next()
            .unwrap();
        for code in ["I.1.5.1", "I.2.1.1", "I.2.1.2", "I.7.1", "I.8.4"] {
            assert!(
                weakest.contains(&format!(r#"<td class="code">{code}</td>"#)),
                "{code} in {weakest}"
            );
        }
        assert_eq!(weakest.matches(r#"<td class="code">"#).count(), 5);
        assert!(
            card.contains("Sở Tài chính (đến 28/02/2025)"),
            "merger shown"
        );
        let (_, _, csv) = get(&app, "/sets/brvt-so-2020/units/SKHDT?format=csv").await;
        assert!(text(&csv).contains("I.8.4,"), "score card CSV");

        let (_, _, body) = get(&app, "/sets/brvt-so-2020?q=dang%20ky%20kinh%20doanh").await;
        assert!(!text(&body).contains("data-code=\"I.8.4\""));
        let (_, _, body) = get(&app, "/sets/brvt-so-2020?q=phan%20mem%20chi%20dao").await;
        assert!(
            text(&body).contains("data-code=\"I.1.5.1\""),
            "search without diacritics"
        );
        let (_, _, body) = get(&app, "/sets/brvt-so-2020").await;
        assert_eq!(text(&body).matches("class=\"row leaf").count(), 36);
        let (_, _, x) = get(&app, "/sets/brvt-so-2020?format=xlsx").await;
        assert!(x.starts_with(b"PK"));
        let (_, _, x) = get(&app, "/sets?format=csv").await;
        assert!(text(&x).contains("brvt-so-2020"));

        let (_, h, body) = get(&app, "/sets/brvt-so-2020/ranking?lang=en").await;
        assert!(text(&body).contains("Ranking"));
        assert!(
            h[header::SET_COOKIE]
                .to_str()
                .unwrap()
                .starts_with("lang=en")
        );

        let (s, _, body) = get(&app, "/api/v1/sets/brvt-so-2020/ranking?group=so").await;
        assert_eq!(s, StatusCode::OK);
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v["units"][10]["unit_code"], "SKHDT");
        assert_eq!(v["units"][10]["score"], "85.620");
        let (_, _, body) = get(&app, "/api/v1/sets/brvt-so-2020/units/SKHDT").await;
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v["units"][0]["leaves"].as_array().unwrap().len(), 36);
        let (_, _, body) = get(&app, "/api/v1/sets/brvt-so-2020").await;
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v["total_max"], "100.000");
        let (_, _, body) = get(&app, "/api/v1/openapi.json").await;
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v["openapi"], "3.1.0");
        let (s, _, body) = get(&app, "/api/v1/sets/nope/ranking").await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        assert!(text(&body).contains("error"));

        let (s, _, body) = get(&app, "/sets/nope/units/SKHDT").await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        assert!(text(&body).contains("Không tìm thấy"));
        let (s, _, _) = get(&app, "/sets/brvt-so-2020/units/NOPE").await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        let (s, h, _) = get(&app, "/static/style.css").await;
        assert_eq!(s, StatusCode::OK);
        assert!(
            h[header::CONTENT_TYPE]
                .to_str()
                .unwrap()
                .starts_with("text/css")
        );
    }
}

#[tokio::test]
async fn cross_site_posts_are_refused() {
    let (db, _) = parindex_db::testkit::sqlite().await;
    let app = parindex_web::router(crate::common::demo_state(db));
    let post = |origin: &'static str| {
        Request::post("/sets")
            .header(header::HOST, "127.0.0.1:8080")
            .header(header::ORIGIN, origin)
            .body(Body::empty())
            .unwrap()
    };
    let res = app
        .clone()
        .oneshot(post("https://evil.example"))
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = app
        .clone()
        .oneshot(post("http://127.0.0.1:8080"))
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        StatusCode::METHOD_NOT_ALLOWED,
        "same origin reaches the router"
    );
}

#[tokio::test]
async fn empty_database_says_what_to_do() {
    let (db, _) = parindex_db::testkit::sqlite().await;
    let app = parindex_web::router(crate::common::demo_state(db));
    let (s, _, body) = get(&app, "/").await;
    assert_eq!(s, StatusCode::OK);
    assert!(text(&body).contains("parindex criteria import"));
}

/// After signing in, each demo user's menu leads to the work of their own unit, and every
/// link of it opens (users click, they do not type URLs).
#[tokio::test]
async fn each_users_menu_leads_to_their_work() {
    use crate::auth::{send, sid, sign_in};
    let (db, _) = crate::common::demo_dbs().await.remove(0);
    let app = parindex_web::router(crate::common::demo_state(db));
    for (user, want, never) in [
        (
            "vp.skhdt",
            &[
                "/units/SKHDT/tasks",
                "/units/SKHDT/dossiers",
                "/units/SKHDT/brief",
            ][..],
            &["/dossiers\"", "/units/STC/"][..],
        ),
        (
            "nv.dtpt",
            &["/units/SKHDT/tasks", "/units/SKHDT/dossiers"][..],
            &["/units/SKHDT/brief", "/dossiers\""][..],
        ),
        ("snv", &["/dossiers"][..], &["/units/"][..]),
        ("vp.stc", &["/units/STC/tasks"][..], &["/units/SKHDT/"][..]),
    ] {
        let cookie = sid(&sign_in(&app, user, "parindex-demo").await);
        let page = send(&app, "GET", "/calendar", &cookie, &[], None).await;
        let nav = page
            .body
            .split("<nav>")
            .nth(1)
            .and_then(|r| r.split("</nav>").next())
            .unwrap_or_default()
            .to_string();
        for href in want {
            assert!(nav.contains(&format!("href=\"{href}")), "{user}: {nav}");
            let opened = send(&app, "GET", href, &cookie, &[], None).await;
            assert_eq!(opened.status, axum::http::StatusCode::OK, "{user} {href}");
        }
        for href in never {
            assert!(
                !nav.contains(&format!("href=\"{href}")),
                "{user} sees {href}: {nav}"
            );
        }
    }
}

/// The `href`s of a page's main part (not the header's menu), same-site only.
fn main_links(body: &str) -> Vec<String> {
    let main = body.split("<main").nth(1).unwrap_or_default();
    main.split("href=\"")
        .skip(1)
        .filter_map(|r| r.split('"').next())
        .filter(|h| h.starts_with('/'))
        .map(|h| h.replace("&amp;", "&"))
        .collect()
}

/// Each role's home (`/` once signed in) says what to do next, shows only its own unit's
/// work, and every link on it opens.
#[tokio::test]
async fn each_roles_home_says_what_to_do_next() {
    use crate::auth::{send, sid, sign_in};
    use axum::http::StatusCode;
    for (db, _) in crate::common::demo_dbs().await {
        let app = parindex_web::router(crate::common::demo_state(db));
        // A visitor lands on the published ranking.
        let visitor = send(&app, "GET", "/", "", &[], None).await;
        assert_eq!(visitor.status, StatusCode::SEE_OTHER);
        for (user, want, never) in [
            (
                "vp.skhdt",
                &[
                    "id=\"my-assessment\"",
                    "href=\"/sets/brvt-so-2021/units/SKHDT/assess\"",
                    "id=\"unscored\"",
                    "id=\"my-tasks\"",
                    "id=\"my-dossiers\"",
                    "Tự đánh giá",
                ][..],
                &[
                    "/units/STC/",
                    "id=\"units-progress\"",
                    "id=\"phase-controls\"",
                ][..],
            ),
            (
                "gd.skhdt",
                &[
                    "id=\"readiness\"",
                    "id=\"open-brief\"",
                    "id=\"my-assessment\"",
                ][..],
                &["/units/STC/", "id=\"units-progress\""][..],
            ),
            (
                "nv.dtpt",
                &["id=\"my-tasks\"", "/units/SKHDT/tasks"][..],
                &["/units/STC/", "id=\"open-brief\"", "id=\"units-progress\""][..],
            ),
            (
                "snv",
                &[
                    "id=\"units-progress\"",
                    "id=\"phase-controls\"",
                    "href=\"/dossiers\"",
                    "STC",
                    "SKHDT",
                ][..],
                &["id=\"my-assessment\""][..],
            ),
            (
                "thamdinh",
                &["id=\"worklist\"", "Việc thẩm định"][..],
                &["id=\"phase-controls\"", "id=\"my-assessment\""][..],
            ),
            (
                "admin",
                &["id=\"manage-accounts\""][..],
                &["id=\"my-assessment\""][..],
            ),
            (
                "vp.stc",
                &["href=\"/sets/brvt-so-2021/units/STC/assess\""][..],
                &["/units/SKHDT/", "SKHDT"][..],
            ),
        ] {
            let cookie = sid(&sign_in(&app, user, "parindex-demo").await);
            let home = send(&app, "GET", "/", &cookie, &[], None).await;
            assert_eq!(home.status, StatusCode::OK, "{user}");
            let main = home.body.split("<main").nth(1).unwrap_or_default();
            for w in want {
                assert!(main.contains(w), "{user}: no {w} in {main}");
            }
            for n in never {
                assert!(!main.contains(n), "{user}: {n} in {main}");
            }
            for href in main_links(&home.body) {
                let opened = send(&app, "GET", &href, &cookie, &[], None).await;
                assert_eq!(opened.status, StatusCode::OK, "{user}: {href}");
            }
            // The English home has the same sections, in English.
            let en = send(&app, "GET", "/?lang=en", &cookie, &[], None).await;
            assert!(en.body.contains("<h1>Home</h1>"), "{user}");
            assert!(!en.body.contains("Trang chủ</h1>"), "{user}");
        }
    }
}

/// Lists that used to mislead: overdue dossiers apart from those due soon, unscored
/// criteria not counted as points lost, the late-without-slip figure explained; the
/// sample-data banner on generated data only.
#[tokio::test]
async fn lists_say_what_they_hold() {
    use crate::auth::{add_user, send, sid, sign_in};
    use axum::http::StatusCode;
    for (db, _) in crate::common::demo_dbs().await {
        let kind = db.kind();
        let app = parindex_web::router(crate::common::demo_state(db.clone()));
        let vp = sid(&sign_in(&app, "vp.skhdt", "parindex-demo").await);
        // The demo's open dossiers are all from 2020–21: every one is overdue, none due soon.
        let due = send(
            &app,
            "GET",
            "/units/SKHDT/dossiers/due-soon",
            &vp,
            &[],
            None,
        )
        .await;
        assert_eq!(due.status, StatusCode::OK, "{kind}");
        let overdue = due.body.split(r#"id="overdue""#).nth(1).unwrap_or_default();
        assert!(overdue.matches("<tr data-code=").count() > 0, "{kind}");
        assert!(
            !due.body.contains(r#"id="due-soon""#),
            "{kind}: nothing is due soon"
        );
        assert!(due.body.contains("Dữ liệu mẫu"), "{kind}: sample banner");
        // The home counts the same dossiers as the list shows (counted in the database).
        let listed = overdue.matches("<tr data-code=").count();
        let home = send(&app, "GET", "/", &vp, &[], None).await;
        assert!(
            home.body.contains(&format!(
                r#"<dd id="dossiers-overdue" class="lost">{listed}</dd>"#
            )),
            "{kind}: {listed} overdue: {}",
            home.body
        );
        assert!(
            home.body.contains(r#"<dd id="dossiers-due-soon">0</dd>"#),
            "{kind}"
        );
        // The figure of late dossiers without a timely slip says why it exceeds the late.
        let stats = send(
            &app,
            "GET",
            "/units/SKHDT/dossiers?year=2021",
            &vp,
            &[],
            None,
        )
        .await;
        assert!(
            stats.body.contains("có thể lớn hơn số hồ sơ trễ hạn"),
            "{kind}"
        );
        assert!(stats.body.contains("Dữ liệu mẫu"), "{kind}: sample banner");
        // One 2021 criterion scored below its maximum: the brief's points at stake hold it
        // and none of the criteria not scored yet.
        let page = "/sets/brvt-so-2021/units/SKHDT/assess";
        let form = send(&app, "GET", page, &vp, &[], None).await;
        let csrf = form.hidden("csrf");
        let saved = send(
            &app,
            "POST",
            "/sets/brvt-so-2021/units/SKHDT/leaves/I.1.4",
            &vp,
            &[
                ("csrf", &csrf),
                ("revision", "0"),
                ("action", "self"),
                ("input", "Không thực hiện"),
            ],
            Some("http://127.0.0.1:8080"),
        )
        .await;
        assert_eq!(
            saved.status,
            StatusCode::SEE_OTHER,
            "{kind}: {}",
            saved.body
        );
        let gd = sid(&sign_in(&app, "gd.skhdt", "parindex-demo").await);
        let brief = send(&app, "GET", "/units/SKHDT/brief", &gd, &[], None).await;
        let stakes = brief
            .body
            .split(r#"id="stakes""#)
            .nth(1)
            .and_then(|r| r.split("</table>").next())
            .unwrap_or_default();
        assert_eq!(
            stakes.matches(r#"<td class="code">"#).count(),
            1,
            "{kind}: {stakes}"
        );
        assert!(stakes.contains(">I.1.4<"), "{kind}: {stakes}");
        // A mistake on an English page is said in English, inside the layout.
        let task = db.tasks("SKHDT", "2021-06-01").await.unwrap()[0].id;
        let csrf = send(&app, "GET", &format!("/tasks/{task}"), &vp, &[], None)
            .await
            .hidden("csrf");
        let empty = send(
            &app,
            "POST",
            &format!("/tasks/{task}/comments?lang=en"),
            &format!("{vp}; lang=en"),
            &[("csrf", &csrf), ("text", "  ")],
            Some("http://127.0.0.1:8080"),
        )
        .await;
        assert_eq!(empty.status, StatusCode::BAD_REQUEST, "{kind}");
        assert!(
            empty.body.contains("The comment is empty."),
            "{kind}: {}",
            empty.body
        );
        assert!(empty.body.contains(r#"<html lang="en">"#), "{kind}");
        assert!(!empty.body.contains("Ý kiến trống"), "{kind}");
        // A server without the demo shows no sample banner on its task pages.
        let real = parindex_web::router(parindex_web::AppState::new(db.clone()));
        add_user(
            &db,
            "vp.that",
            parindex_domain::access::Role::Focal,
            Some("SKHDT"),
        )
        .await;
        let who = sid(&sign_in(&real, "vp.that", "mat-khau-thu-nghiem").await);
        let tasks = send(&real, "GET", "/units/SKHDT/tasks", &who, &[], None).await;
        assert_eq!(tasks.status, StatusCode::OK, "{kind}");
        assert!(!tasks.body.contains("Dữ liệu mẫu"), "{kind}");
    }
}

/// After a change of a few units' points the ranking is recomputed from those units only;
/// what it holds is what a full read gives, through saves, a submission and an import.
#[tokio::test]
async fn the_ranking_recomputed_after_a_change_equals_a_full_read() {
    use crate::auth::{send, sid, sign_in};
    for (db, url) in crate::common::demo_dbs().await {
        let kind = db.kind();
        let st = crate::common::demo_state(db.clone());
        let app = parindex_web::router(st.clone());
        let set = "brvt-so-2021";
        let fresh = || async {
            parindex_web::AppState::new(db.clone())
                .computed(set)
                .await
                .unwrap()
        };
        let before = st.computed(set).await.unwrap();
        assert_eq!(before.results, fresh().await.results, "{kind}");
        let origin = Some("http://127.0.0.1:8080");
        for (user, unit, leaf, input) in [
            ("vp.skhdt", "SKHDT", "I.1.4", "Hoàn thành"),
            ("vp.stc", "STC", "I.1.4", "Hoàn thành một phần"),
            ("vp.skhdt", "SKHDT", "I.1.1.1", "Kịp thời"),
        ] {
            let cookie = sid(&sign_in(&app, user, "parindex-demo").await);
            let page = format!("/sets/{set}/units/{unit}/assess");
            let csrf = send(&app, "GET", &page, &cookie, &[], None)
                .await
                .hidden("csrf");
            let revision = db
                .unit_leaves(set, unit)
                .await
                .unwrap()
                .into_iter()
                .find(|(c, _)| c == leaf)
                .map_or(0, |(_, l)| l.revision)
                .to_string();
            let r = send(
                &app,
                "POST",
                &format!("/sets/{set}/units/{unit}/leaves/{leaf}"),
                &cookie,
                &[
                    ("csrf", &csrf),
                    ("revision", &revision),
                    ("action", "self"),
                    ("input", input),
                ],
                origin,
            )
            .await;
            assert_eq!(
                r.status,
                axum::http::StatusCode::SEE_OTHER,
                "{kind}: {}",
                r.body
            );
            let now = st.computed(set).await.unwrap();
            let full = fresh().await;
            assert_eq!(now.results, full.results, "{kind}: after {unit} {leaf}");
            assert_eq!(now.scores, full.scores, "{kind}: after {unit} {leaf}");
            assert_ne!(now.version, before.version, "{kind}");
        }
        // An import changes every unit: the ranking still equals a full read.
        let csv = crate::common::temp_file(
            "recompute-scores.csv",
            "unit_code,unit_name,group,criterion,self,appraised,final,input,note\nSTC,,,I.1.4,2,,,Hoàn thành,\n",
        );
        let r = crate::common::run(&url, &["scores", "import", "--set", set, &csv]);
        assert_eq!(r.code, 0, "{kind}: {}", r.stderr);
        tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
        let now = st.computed(set).await.unwrap();
        assert_eq!(
            now.results,
            fresh().await.results,
            "{kind}: after the import"
        );
    }
}

/// The score card's what-if page: a plain GET form; the same answer as `parindex whatif`;
/// ranks only for whoever may see them; other units' people refused; mistakes kept.
#[tokio::test]
async fn the_whatif_page_tries_points_without_saving() {
    use crate::auth::{send, sid, sign_in};
    use axum::http::StatusCode;
    for (db, _) in crate::common::demo_dbs().await {
        let kind = db.kind();
        let app = parindex_web::router(crate::common::demo_state(db.clone()));
        let vp = sid(&sign_in(&app, "vp.skhdt", "parindex-demo").await);
        let card = send(
            &app,
            "GET",
            "/sets/brvt-so-2020/units/SKHDT",
            &vp,
            &[],
            None,
        )
        .await;
        assert!(
            card.body
                .contains(r#"href="/sets/brvt-so-2020/units/SKHDT/whatif""#),
            "{kind}: reachable from the score card"
        );
        let base = "/sets/brvt-so-2020/units/SKHDT/whatif";
        let form = send(&app, "GET", base, &vp, &[], None).await;
        assert_eq!(form.status, StatusCode::OK, "{kind}");
        assert_eq!(form.body.matches(r#"<tr id="try-"#).count(), 36, "{kind}");
        assert!(!form.body.contains(r#"id="whatif-result""#));
        let tried = send(
            &app,
            "GET",
            &format!("{base}?p.I.2.1.1=3&p.I.2.1.2=2%2C5"),
            &vp,
            &[],
            None,
        )
        .await;
        assert_eq!(tried.status, StatusCode::OK, "{kind}");
        let result = tried
            .body
            .split(r#"id="whatif-result""#)
            .nth(1)
            .and_then(|r| r.split("</section>").next())
            .unwrap_or_default();
        assert!(
            result.contains(r#"<td class="num">85,620</td>"#),
            "{kind}: {result}"
        );
        assert!(
            result.contains(r#"<td class="num">90,120</td>"#),
            "{kind}: {result}"
        );
        assert!(
            result.contains(r#"<td class="num">11/21</td>"#),
            "{kind}: {result}"
        );
        assert!(
            result.contains(r#"<td class="num">4/21</td>"#),
            "{kind}: {result}"
        );
        assert_eq!(result.matches("<li>").count(), 7, "{kind}: {result}");
        assert!(result.contains("VPUBND — "), "{kind}: {result}");
        // Nothing was saved.
        let again = send(
            &app,
            "GET",
            "/sets/brvt-so-2020/units/SKHDT",
            &vp,
            &[],
            None,
        )
        .await;
        assert!(
            again.body.contains(r#"<dd id="score">85,620</dd>"#),
            "{kind}"
        );
        // A mistake keeps what was typed and says where.
        let bad = send(&app, "GET", &format!("{base}?p.II.1=99"), &vp, &[], None).await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{kind}");
        assert!(bad.body.contains(r#"id="error-summary""#), "{kind}");
        assert!(bad.body.contains(r#"value="99""#), "{kind}");
        assert!(!bad.body.contains(r#"id="whatif-result""#), "{kind}");
        // A published score card is public: a visitor may try points on it too.
        let visitor = send(&app, "GET", &format!("{base}?p.I.2.1.1=3"), "", &[], None).await;
        assert_eq!(visitor.status, StatusCode::OK, "{kind}");
        // A draft: another unit's people are refused, and shown nothing of it.
        let stc = sid(&sign_in(&app, "vp.stc", "parindex-demo").await);
        let refused = send(
            &app,
            "GET",
            "/sets/brvt-so-2021/units/SKHDT/whatif",
            &stc,
            &[],
            None,
        )
        .await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "{kind}");
        assert!(!refused.body.contains("try-I.1.1"), "{kind}");
        assert!(!refused.body.contains("Sở Kế hoạch"), "{kind}");
        // Before publication a unit tries its own points, without ranks among units.
        let draft = send(
            &app,
            "GET",
            "/sets/brvt-so-2021/units/SKHDT/whatif?p.I.1.4=2",
            &vp,
            &[],
            None,
        )
        .await;
        assert_eq!(draft.status, StatusCode::OK, "{kind}");
        assert!(draft.body.contains(r#"id="whatif-result""#), "{kind}");
        assert!(!draft.body.contains(r#"id="overtakes""#), "{kind}");
        assert!(draft.body.contains(r#"<td class="num">—</td>"#), "{kind}");
    }
}

/// GET `path` with `cookie`: status, content type and the body's bytes.
async fn get_bytes(
    app: &axum::Router,
    path: &str,
    cookie: &str,
) -> (axum::http::StatusCode, String, Vec<u8>) {
    use axum::body::Body;
    use axum::http::{Request, header};
    use http_body_util::BodyExt;
    use tower::ServiceExt;
    let req = Request::get(path)
        .header(header::COOKIE, cookie)
        .body(Body::empty())
        .unwrap();
    let res = app.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let ctype = res
        .headers()
        .get(header::CONTENT_TYPE)
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    (
        status,
        ctype,
        res.into_body().collect().await.unwrap().to_bytes().to_vec(),
    )
}

#[tokio::test]
async fn official_documents_download_from_their_pages() {
    use crate::auth::{send, sid, sign_in};
    use axum::http::StatusCode;
    for (db, _) in crate::common::demo_dbs().await {
        let kind = db.kind();
        let app = parindex_web::router(crate::common::demo_state(db.clone()));
        // A visitor: the published ranking links to its results appendix.
        let page = send(&app, "GET", "/sets/brvt-so-2020/ranking", "", &[], None).await;
        assert!(
            page.body
                .contains("/sets/brvt-so-2020/ranking?group=so&amp;format=pdf"),
            "{kind}"
        );
        let (status, ctype, docx) =
            get_bytes(&app, "/sets/brvt-so-2020/ranking?group=so&format=docx", "").await;
        assert_eq!(status, StatusCode::OK, "{kind}");
        assert!(ctype.contains("wordprocessingml"));
        let text = parindex_reports::docx::docx_text(&docx).unwrap();
        let line = text
            .split("\n\n")
            .collect::<Vec<_>>()
            .windows(3)
            .find(|w| w[1] == "Sở Kế hoạch và Đầu tư")
            .map_or_else(
                || unreachable!("{text}"),
                |w| (w[0].to_string(), w[2].to_string()),
            );
        assert_eq!(line, ("11/21".to_string(), "85,620".to_string()), "{kind}");
        if crate::common::poppler() {
            let (status, ctype, pdf) =
                get_bytes(&app, "/sets/brvt-so-2020/ranking?group=so&format=pdf", "").await;
            assert_eq!(
                (status, ctype.as_str()),
                (StatusCode::OK, "application/pdf")
            );
            crate::common::assert_fonts_embedded(&pdf);
            let layout = parindex_documents::readback::pdf_layout(&pdf, None).unwrap();
            assert!(layout.contains("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"));
        }
        // The unit's draft ranking of 2021 is not the unit's to print.
        let vp = sid(&sign_in(&app, "vp.skhdt", "parindex-demo").await);
        let (status, _, _) = get_bytes(&app, "/sets/brvt-so-2021/ranking?format=pdf", &vp).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{kind}");

        // The director's brief prints from its page; another unit's leader gets nothing.
        let gd = sid(&sign_in(&app, "gd.skhdt", "parindex-demo").await);
        let brief = send(&app, "GET", "/units/SKHDT/brief", &gd, &[], None).await;
        assert!(
            brief.body.contains("/units/SKHDT/brief?format=pdf"),
            "{kind}"
        );
        let (status, _, docx) = get_bytes(&app, "/units/SKHDT/brief?format=docx", &gd).await;
        assert_eq!(status, StatusCode::OK, "{kind}");
        let text = parindex_reports::docx::docx_text(&docx).unwrap();
        assert!(text.contains("BÁO CÁO NHANH") && text.contains("SỞ KẾ HOẠCH VÀ ĐẦU TƯ"));
        assert!(text.contains("IV. ĐIỂM CÒN CÓ THỂ GIÀNH LẠI"), "{text}");
        if crate::common::poppler() {
            let (status, ctype, pdf) = get_bytes(&app, "/units/SKHDT/brief?format=pdf", &gd).await;
            assert_eq!(
                (status, ctype.as_str()),
                (StatusCode::OK, "application/pdf")
            );
            crate::common::assert_fonts_embedded(&pdf);
            let words = parindex_documents::readback::pdf_words(&pdf).unwrap();
            assert!(
                words.contains("BÁO CÁO NHANH") && words.contains("SỞ KẾ HOẠCH VÀ ĐẦU TƯ"),
                "{words}"
            );
        }
        let stc = sid(&sign_in(&app, "vp.stc", "parindex-demo").await);
        let (status, _, body) = get_bytes(&app, "/units/SKHDT/brief?format=docx", &stc).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{kind}");
        assert!(!String::from_utf8_lossy(&body).contains("Kế hoạch và Đầu tư"));

        // The period's PAR report from the brief's form.
        assert!(
            brief.body.contains(r#"action="/units/SKHDT/report""#),
            "{kind}"
        );
        let (status, _, docx) = get_bytes(
            &app,
            "/units/SKHDT/report?year=2021&period=q2&format=docx",
            &gd,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{kind}");
        let text = parindex_reports::docx::docx_text(&docx).unwrap();
        assert!(text.contains("Kết quả thực hiện công tác cải cách hành chính quý II năm 2021"));
        assert!(
            text.contains(parindex_documents::unit_report::TO_WRITE),
            "{kind}"
        );
        let (status, _, _) = get_bytes(
            &app,
            "/units/SKHDT/report?year=2021&period=q9&format=docx",
            &gd,
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{kind}");
        let (status, _, body) = get_bytes(
            &app,
            "/units/SKHDT/report?year=2021&period=q2&format=docx",
            &stc,
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{kind}");
        assert!(!String::from_utf8_lossy(&body).contains("Kế hoạch và Đầu tư"));

        // The narrative parts are written on the report's page, kept, and put in the document.
        let page = send(
            &app,
            "GET",
            "/units/SKHDT/report?year=2021&period=q2",
            &gd,
            &[],
            None,
        )
        .await;
        assert_eq!(page.status, StatusCode::OK, "{kind}");
        assert!(
            page.body
                .contains("quý II năm 2021 (15/03/2021 – 14/06/2021)"),
            "{kind}"
        );
        let csrf = page.hidden("csrf");
        let text = "Sở đã ban hành kế hoạch kiểm tra CCHC quý II & giao từng phòng.";
        let too_long = "x".repeat(20_001);
        let refused = send(
            &app,
            "POST",
            "/units/SKHDT/report",
            &gd,
            &[
                ("csrf", &csrf),
                ("year", "2021"),
                ("period", "q2"),
                ("chi_dao", text),
                ("ton_tai", &too_long),
            ],
            Some("http://127.0.0.1:8080"),
        )
        .await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{kind}");
        assert!(
            refused
                .body
                .contains("Sở đã ban hành kế hoạch kiểm tra CCHC quý II &#38; giao từng phòng."),
            "{kind}: the typed text is kept"
        );
        let saved = send(
            &app,
            "POST",
            "/units/SKHDT/report",
            &gd,
            &[
                ("csrf", &csrf),
                ("year", "2021"),
                ("period", "q2"),
                ("chi_dao", text),
                ("ton_tai", "Còn chậm."),
            ],
            Some("http://127.0.0.1:8080"),
        )
        .await;
        assert_eq!(
            saved.status,
            StatusCode::SEE_OTHER,
            "{kind}: {}",
            saved.body
        );
        let page = send(
            &app,
            "GET",
            "/units/SKHDT/report?year=2021&period=q2",
            &gd,
            &[],
            None,
        )
        .await;
        assert!(
            page.body.contains(
                "Sở đã ban hành kế hoạch kiểm tra CCHC quý II &#38; giao từng phòng.</textarea>"
            ),
            "{kind}"
        );
        let (_, _, docx) = get_bytes(
            &app,
            "/units/SKHDT/report?year=2021&period=q2&format=docx",
            &gd,
        )
        .await;
        let doc = parindex_reports::docx::docx_text(&docx).unwrap();
        assert!(doc.contains(text) && doc.contains("Còn chậm."), "{kind}");
        // Another quarter keeps its own (none yet); another unit may not write here.
        let (_, _, q3) = get_bytes(
            &app,
            "/units/SKHDT/report?year=2021&period=q3&format=docx",
            &gd,
        )
        .await;
        assert!(
            !parindex_reports::docx::docx_text(&q3)
                .unwrap()
                .contains(text)
        );
        let stc_csrf = send(&app, "GET", "/account/password", &stc, &[], None)
            .await
            .hidden("csrf");
        let foreign = send(
            &app,
            "POST",
            "/units/SKHDT/report",
            &stc,
            &[
                ("csrf", &stc_csrf),
                ("year", "2021"),
                ("period", "q2"),
                ("chi_dao", "ghi đè"),
            ],
            Some("http://127.0.0.1:8080"),
        )
        .await;
        assert_eq!(foreign.status, StatusCode::FORBIDDEN, "{kind}");
        let (_, _, docx) = get_bytes(
            &app,
            "/units/SKHDT/report?year=2021&period=q2&format=docx",
            &gd,
        )
        .await;
        assert!(
            !parindex_reports::docx::docx_text(&docx)
                .unwrap()
                .contains("ghi đè")
        );
    }
}

#[tokio::test]
async fn year_over_year_and_the_heat_map() {
    use crate::auth::{send, sid, sign_in};
    use axum::http::StatusCode;
    for (db, _) in crate::common::demo_dbs().await {
        let kind = db.kind();
        let app = parindex_web::router(crate::common::demo_state(db.clone()));
        // The secretariat compares SKHDT's 2021 card with 2020 (same codes) and sees its
        // rank in the published year.
        let snv = sid(&sign_in(&app, "snv", "parindex-demo").await);
        let card = send(
            &app,
            "GET",
            "/sets/brvt-so-2021/units/SKHDT",
            &snv,
            &[],
            None,
        )
        .await;
        assert!(
            card.body
                .contains(r#"href="/sets/brvt-so-2021/units/SKHDT/years""#),
            "{kind}: reachable from the score card"
        );
        let page = send(
            &app,
            "GET",
            "/sets/brvt-so-2021/units/SKHDT/years",
            &snv,
            &[],
            None,
        )
        .await;
        assert_eq!(page.status, StatusCode::OK, "{kind}: {}", page.body);
        // Last year's column holds SKHDT's 2020 total on the field I (its sum of 2020).
        let set = db.load_set("brvt-so-2020").await.unwrap().unwrap();
        let scores = db.load_unit_scores(&set, "SKHDT").await.unwrap().unwrap();
        let totals = parindex_domain::scoring::node_totals(&set, &scores);
        let i = set.position("I").unwrap();
        let row = page
            .body
            .split(r#"<tr id="y-I" class="field">"#)
            .nth(1)
            .and_then(|r| r.split("</tr>").next())
            .unwrap_or_else(|| unreachable!("{kind}: no row for I"));
        assert!(row.contains(&totals[i].to_vi(3)), "{kind}: {row}");
        let chart = page
            .body
            .split(r#"id="rank-chart""#)
            .nth(1)
            .unwrap_or_else(|| unreachable!("{kind}: no rank chart"));
        assert!(chart.contains("2020: 11/21"), "{kind}");

        // The heat map of the published 2020 ranking: every unit, every field, weakest listed.
        let ranking = send(&app, "GET", "/sets/brvt-so-2020/ranking", "", &[], None).await;
        assert!(ranking.body.contains(r#"id="heatmap-link""#), "{kind}");
        let heat = send(&app, "GET", "/sets/brvt-so-2020/heatmap", "", &[], None).await;
        assert_eq!(heat.status, StatusCode::OK, "{kind}");
        assert!(heat.body.contains("<svg"), "{kind}");
        assert_eq!(
            heat.body.matches("<rect").count(),
            21 * 13 + 5,
            "{kind}: 21 units × 13 fields (I.1–I.8, II.1–II.5) and a legend of 5"
        );
        let weakest = heat.body.split(r#"id="weakest""#).nth(1).unwrap();
        assert_eq!(weakest.matches("<tr>").count(), 21 + 1, "{kind}");
        // A unit's focal point may not see the province's draft of 2021 laid out by unit.
        let vp = sid(&sign_in(&app, "vp.skhdt", "parindex-demo").await);
        let draft = send(&app, "GET", "/sets/brvt-so-2021/heatmap", &vp, &[], None).await;
        assert_eq!(draft.status, StatusCode::FORBIDDEN, "{kind}");
        assert!(!draft.body.contains("Sở Tài chính"), "{kind}");
    }
}

#[tokio::test]
async fn the_brief_projects_the_year_end_and_warns_early() {
    use crate::auth::{send, sid, sign_in};
    use axum::http::StatusCode;
    for (db, _) in crate::common::demo_dbs().await {
        let kind = db.kind();
        let app = parindex_web::router(crate::common::demo_state(db.clone()));
        let gd = sid(&sign_in(&app, "gd.skhdt", "parindex-demo").await);
        let brief = send(&app, "GET", "/units/SKHDT/brief", &gd, &[], None).await;
        assert_eq!(brief.status, StatusCode::OK, "{kind}");
        assert!(brief.body.contains(r#"id="outlook""#), "{kind}");
        // The 2021 set's year is over: I.8.4 is projected at SKHDT's on-time rate of 2021,
        // and warned about when that rate costs points.
        let set = db.load_set("brvt-so-2021").await.unwrap().unwrap();
        let i = set.position("I.8.4").unwrap();
        let node = &set.nodes[i];
        let d = |s: &str| parindex_domain::text::Date::parse(s).unwrap();
        let figures = db
            .dossier_figures(
                Some("SKHDT"),
                d("2021-01-01"),
                d("2021-12-31"),
                parindex_domain::calendar::Instant::parse("2026-12-02 08:00").unwrap(),
            )
            .await
            .unwrap();
        let rate = figures.on_time_rate();
        let points = node
            .rule
            .as_ref()
            .unwrap()
            .points_from_input(node.max, &rate)
            .unwrap();
        assert!(
            points < node.max,
            "{kind}: the demo's SKHDT loses points on I.8.4 ({rate})"
        );
        let row = brief
            .body
            .split(r#"id="early-warning""#)
            .nth(1)
            .and_then(|r| r.split("I.8.4").nth(1))
            .and_then(|r| r.split("</tr>").next())
            .unwrap_or_else(|| unreachable!("{kind}: I.8.4 not warned"));
        assert!(
            row.contains(&format!("{}%", parindex_domain::text::decimal_vi(&rate))),
            "{kind}: {row}"
        );
        assert!(row.contains(&points.to_vi(3)), "{kind}: {row}");
        // The printed brief carries the outlook too.
        let (status, _, docx) = get_bytes(&app, "/units/SKHDT/brief?format=docx", &gd).await;
        assert_eq!(status, StatusCode::OK);
        let text = parindex_reports::docx::docx_text(&docx).unwrap();
        assert!(
            text.contains("V. DỰ BÁO CUỐI NĂM VÀ CẢNH BÁO SỚM"),
            "{kind}"
        );
        assert!(text.contains("I.8.4"), "{kind}");
    }
}
