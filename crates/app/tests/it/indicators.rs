//! The indicators registry on the web, over HTTP and in Chromium, on SQLite and PostgreSQL:
//! a unit enters values period by period, its criterion reading the indicator is
//! recomputed, and the province sees every unit side by side.

use axum::http::StatusCode;
use fantoccini::{Client, Locator};
use parindex_domain::access::Role;

use crate::auth::{add_user, send, send_multipart, sid, sign_in};
use crate::browser::{Step, click_and_wait, connect, e, fill, shot, start_driver, text};
use crate::browser_cycle::{login, logout};
use crate::common::{run, temp_file};

const ORIGIN: Option<&str> = Some("http://127.0.0.1:8080");

/// The shipped definitions, a set of `year` whose I.7.1 reads the website posts (48 a year
/// for the whole point), two units and their people.
async fn registry(db: &parindex_db::Db, url: &str, year: i32) {
    let defs = format!("{}/../../data/indicators.csv", env!("CARGO_MANIFEST_DIR"));
    assert_eq!(run(url, &["indicators", "define", &defs]).code, 0);
    let set = temp_file(
        &format!("ind-web-{year}.yaml"),
        &format!(
            "id: ind-{year}\nname: Bộ có chỉ số\nyear: {year}\nlevel: so\nnodes:\n  - code: I\n    name: A\n    children:\n      - {{ code: I.7.1, name: Website, max: 1, rule: {{ kind: proportional, of: 48, input: indicator.website_posts }} }}\n      - {{ code: I.7.2, name: Khác, max: 1, rule: {{ kind: binary }} }}\n"
        ),
    );
    assert_eq!(run(url, &["criteria", "import", &set]).code, 0);
    let units = temp_file(
        "ind-web-units.csv",
        "code,name,parent_code,kind,group\nSKHDT,Sở Kế hoạch và Đầu tư,,so,so\nSTC,Sở Tài chính,,so,so\n",
    );
    assert_eq!(run(url, &["units", "import", &units]).code, 0);
    add_user(db, "vp1", Role::Focal, Some("SKHDT")).await;
    add_user(db, "stc", Role::Focal, Some("STC")).await;
    add_user(db, "tk", Role::Secretariat, None).await;
}

#[tokio::test]
async fn a_unit_enters_indicator_values_and_its_criterion_follows() {
    for (db, url) in parindex_db::testkit::each_db().await {
        let kind = db.kind();
        registry(&db, &url, 2021).await;
        let app = parindex_web::router(crate::common::demo_state(db.clone()));
        let pw = "mat-khau-thu-nghiem";
        let vp1 = sid(&sign_in(&app, "vp1", pw).await);
        let stc = sid(&sign_in(&app, "stc", pw).await);
        let tk = sid(&sign_in(&app, "tk", pw).await);
        let page = "/units/SKHDT/indicators?year=2021";
        let form = send(&app, "GET", page, &vp1, &[], None).await;
        assert_eq!(form.status, StatusCode::OK, "{kind}");
        assert!(
            form.body.contains(r#"href="/units/SKHDT/indicators""#),
            "in the menu"
        );
        assert!(form.body.contains(r#"name="v.2021-01""#));
        let csrf = form.hidden("csrf");
        let stc_csrf = send(&app, "GET", "/units/STC/indicators", &stc, &[], None)
            .await
            .hidden("csrf");
        let post = |who: &str, token: &str, values: &[(&str, &str)]| {
            let mut form: Vec<(String, String)> = vec![
                ("csrf".into(), token.to_string()),
                ("indicator".into(), "website_posts".into()),
                ("year".into(), "2021".into()),
            ];
            form.extend(
                values
                    .iter()
                    .map(|(k, v)| ((*k).to_string(), (*v).to_string())),
            );
            let (app, who) = (app.clone(), who.to_string());
            async move {
                let form: Vec<(&str, &str)> =
                    form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
                send(&app, "POST", "/units/SKHDT/indicators", &who, &form, ORIGIN).await
            }
        };
        // Another unit cannot enter SKHDT's values, nor read them.
        let refused = post(&stc, &stc_csrf, &[("v.2021-01", "6")]).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "{kind}");
        let read = send(&app, "GET", page, &stc, &[], None).await;
        assert_eq!(read.status, StatusCode::FORBIDDEN);
        assert!(!read.body.contains("Sở Kế hoạch"), "{kind}");
        // A typing slip: the page again with what was typed, nothing stored.
        let bad = post(&vp1, &csrf, &[("v.2021-01", "6"), ("v.2021-02", "mười")]).await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{kind}");
        assert!(bad.body.contains("Kỳ T2: “mười”"), "{}", bad.body);
        assert!(bad.body.contains(r#"value="mười""#));
        assert!(
            db.indicator_values(None, None, None)
                .await
                .unwrap()
                .is_empty()
        );
        let saved = post(
            &vp1,
            &csrf,
            &[
                ("v.2021-01", "6"),
                ("v.2021-02", "18"),
                ("note", "Chuyên mục mới"),
            ],
        )
        .await;
        assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
        let after = send(&app, "GET", page, &vp1, &[], None).await;
        assert!(after.body.contains(r#"value="18""#), "{kind}");
        assert!(after.body.contains("24 / 48"), "{kind}");
        let set = db.load_set("ind-2021").await.unwrap().unwrap();
        let scores = db.load_unit_scores(&set, "SKHDT").await.unwrap().unwrap();
        let leaf = set.position("I.7.1").unwrap();
        assert_eq!(scores.leaves[&leaf].effective.to_plain(), "0.5", "{kind}");
        // The province: the list, then the indicator with the units side by side.
        assert_eq!(
            send(&app, "GET", "/indicators", &vp1, &[], None)
                .await
                .status,
            StatusCode::FORBIDDEN
        );
        let list = send(&app, "GET", "/indicators", &tk, &[], None).await;
        assert!(
            list.body.contains(r#"href="/indicators/website_posts""#),
            "{kind}"
        );
        let one = send(
            &app,
            "GET",
            "/indicators/website_posts?year=2021",
            &tk,
            &[],
            None,
        )
        .await;
        let row = one
            .body
            .split(r#"<tr data-unit="SKHDT">"#)
            .nth(1)
            .and_then(|r| r.split("</tr>").next())
            .unwrap_or_default()
            .to_string();
        assert!(row.contains(">24<"), "{row}");
        assert!(one.body.contains("<svg"), "a trend chart");
    }
}

/// Values as a workbook saved by Excel would hold them: periods typed as text.
fn values_workbook(rows: &[[&str; 4]]) -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (c, h) in ["unit_code", "indicator", "period", "value"]
        .iter()
        .enumerate()
    {
        sheet
            .write_string(0, u16::try_from(c).unwrap(), *h)
            .unwrap();
    }
    for (r, row) in rows.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            let (r, c) = (u32::try_from(r + 1).unwrap(), u16::try_from(c).unwrap());
            match v.parse::<f64>() {
                Ok(n) if c == 3 => sheet.write_number(r, c, n).unwrap(),
                _ => sheet.write_string(r, c, *v).unwrap(),
            };
        }
    }
    book.save_to_buffer().unwrap()
}

#[tokio::test]
async fn the_secretariat_keeps_the_registry_on_the_web() {
    for (db, url) in parindex_db::testkit::each_db().await {
        let kind = db.kind();
        registry(&db, &url, 2021).await;
        let app = parindex_web::router(crate::common::demo_state(db.clone()));
        let pw = "mat-khau-thu-nghiem";
        let tk = sid(&sign_in(&app, "tk", pw).await);
        let vp1 = sid(&sign_in(&app, "vp1", pw).await);
        let list = send(&app, "GET", "/indicators", &tk, &[], None).await;
        assert!(list.body.contains(r#"id="values-form""#), "{kind}");
        let csrf = list.hidden("csrf");
        // A unit's focal point may not import for the province.
        let vp1_csrf = send(&app, "GET", "/units/SKHDT/indicators", &vp1, &[], None)
            .await
            .hidden("csrf");
        let refused = send_multipart(
            &app,
            "/indicators/import/values",
            &vp1,
            &[("csrf", &vp1_csrf)],
            Some((
                "v.csv",
                b"unit_code,indicator,period,value
SKHDT,website_posts,01/2021,4
",
            )),
        )
        .await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "{kind}");
        // A file with slips, as Excel saves it: each named by its line, nothing stored.
        let bad = "\u{feff}unit_code,indicator,period,value,note\r\nSKHDT,website_posts,01/2021,4,\r\n\r\nSKHDT,website_posts,13/2021,4,\r\nSKHDT,tin_bai,02/2021,4,\r\n";
        let r = send_multipart(
            &app,
            "/indicators/import/values",
            &tk,
            &[("csrf", &csrf)],
            Some(("gia-tri.csv", bad.as_bytes())),
        )
        .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{kind}");
        assert!(r.body.contains("gia-tri.csv:4:"), "{}", r.body);
        assert!(r.body.contains("gia-tri.csv:5:"), "{}", r.body);
        let unknown = send_multipart(
            &app,
            "/indicators/import/values",
            &tk,
            &[("csrf", &csrf)],
            Some((
                "gia-tri.csv",
                b"unit_code,indicator,period,value\nSKHDT,website_posts,01/2021,4\nXYZ,website_posts,01/2021,4\n",
            )),
        )
        .await;
        assert!(
            unknown.body.contains("gia-tri.csv:3: đơn vị `XYZ`"),
            "{kind}: {}",
            unknown.body
        );
        assert!(
            db.indicator_values(None, None, None)
                .await
                .unwrap()
                .is_empty()
        );
        // The workbook: stored, the criterion reading the indicator recomputed.
        let book = values_workbook(&[
            ["SKHDT", "website_posts", "T1/2021", "12"],
            ["SKHDT", "website_posts", "Tháng 2/2021", "12"],
            ["STC", "website_posts", "03/2021", "5"],
        ]);
        let ok = send_multipart(
            &app,
            "/indicators/import/values",
            &tk,
            &[("csrf", &csrf)],
            Some(("gia-tri.xlsx", &book)),
        )
        .await;
        assert_eq!(ok.status, StatusCode::SEE_OTHER, "{kind}: {}", ok.body);
        let one = send(
            &app,
            "GET",
            "/indicators/website_posts?year=2021",
            &tk,
            &[],
            None,
        )
        .await;
        let row = one
            .body
            .split(r#"<tr data-unit="SKHDT">"#)
            .nth(1)
            .and_then(|r| r.split("</tr>").next())
            .unwrap_or_default()
            .to_string();
        assert!(row.contains(">24<"), "{kind}: {row}");
        // The unit's page of the next year keeps 2021 in its history line.
        let next = send(
            &app,
            "GET",
            "/units/SKHDT/indicators?year=2022",
            &vp1,
            &[],
            None,
        )
        .await;
        let years = next
            .body
            .split(r#"id="years-website_posts""#)
            .nth(1)
            .and_then(|r| r.split("</p>").next())
            .unwrap_or_default()
            .to_string();
        assert!(
            years.contains(r#"year=2021#ind-website_posts">2021</a> <span class="lost">24</span>"#),
            "{kind}: {years}"
        );
        let set = db.load_set("ind-2021").await.unwrap().unwrap();
        let scores = db.load_unit_scores(&set, "SKHDT").await.unwrap().unwrap();
        let leaf = set.position("I.7.1").unwrap();
        assert_eq!(scores.leaves[&leaf].effective.to_plain(), "0.5", "{kind}");
        // The definition on its page: a slip shown with what was typed; the period is fixed
        // once values exist; a new target saved and shown.
        assert!(one.body.contains(r#"id="definition-form""#), "{kind}");
        assert!(one.body.contains("không đổi kỳ được"), "{kind}");
        let edit = |target: &'static str, period: &'static str| {
            let (app, tk, csrf) = (app.clone(), tk.clone(), csrf.clone());
            async move {
                let form = [
                    ("csrf", csrf.as_str()),
                    ("name", "Tin bài trên trang thông tin điện tử"),
                    ("measure", "bài"),
                    ("period", period),
                    ("aggregation", "sum"),
                    ("target", target),
                    ("source", "Thông báo SKHĐT 04/2021"),
                ];
                send(
                    &app,
                    "POST",
                    "/indicators/website_posts/definition?year=2021",
                    &tk,
                    &form,
                    ORIGIN,
                )
                .await
            }
        };
        let slip = edit("bốn", "month").await;
        assert_eq!(slip.status, StatusCode::UNPROCESSABLE_ENTITY, "{kind}");
        assert!(slip.body.contains(r#"id="edit-error""#) && slip.body.contains(r#"value="bốn""#));
        let moved = edit("4", "quarter").await;
        assert_eq!(moved.status, StatusCode::UNPROCESSABLE_ENTITY, "{kind}");
        assert!(
            moved.body.contains("đã có giá trị theo tháng"),
            "{}",
            moved.body
        );
        assert!(
            moved
                .body
                .contains(r#"<input type="hidden" name="period" value="month">"#),
            "{kind}: the form offers the stored period again"
        );
        let saved = edit("5,5", "month").await;
        assert_eq!(
            saved.status,
            StatusCode::SEE_OTHER,
            "{kind}: {}",
            saved.body
        );
        let after = send(
            &app,
            "GET",
            "/indicators/website_posts?year=2021",
            &tk,
            &[],
            None,
        )
        .await;
        assert!(
            after.body.contains("Tin bài trên trang thông tin điện tử"),
            "{kind}"
        );
        assert!(after.body.contains(r#"value="5,5""#), "{kind}");
        let def = db
            .indicators()
            .await
            .unwrap()
            .into_iter()
            .find(|d| d.code == "website_posts")
            .unwrap();
        assert_eq!(
            def.target.map(parindex_domain::Points::to_plain).as_deref(),
            Some("5.5")
        );
        // A target in the thousands, as the page shows it, saved twice unchanged.
        for _ in 0..2 {
            let r = edit("1.500", "month").await;
            assert_eq!(r.status, StatusCode::SEE_OTHER, "{kind}: {}", r.body);
            let target = db
                .indicators()
                .await
                .unwrap()
                .into_iter()
                .find(|d| d.code == "website_posts")
                .unwrap()
                .target;
            assert_eq!(
                target.map(parindex_domain::Points::to_plain).as_deref(),
                Some("1500"),
                "{kind}"
            );
            let page = send(
                &app,
                "GET",
                "/indicators/website_posts?year=2021",
                &tk,
                &[],
                None,
            )
            .await;
            assert!(
                page.body.contains(r#"name="target" value="1.500""#),
                "{kind}"
            );
        }
        let audit = db.audit_history("indicator/website_posts").await.unwrap();
        assert!(
            audit
                .iter()
                .any(|a| a.entry.action == "indicator.define" && a.entry.actor == "tk"),
            "{kind}"
        );
        // Definitions from a file: a new indicator, a bad line refused with its number.
        let defs_bad = "code,name,measure,period,aggregation,target,source\nmeetings,Họp giao ban,cuộc,tuần,sum,4,\n";
        let r = send_multipart(
            &app,
            "/indicators/import/definitions",
            &tk,
            &[("csrf", &csrf)],
            Some(("chi-so.csv", defs_bad.as_bytes())),
        )
        .await;
        assert!(r.body.contains("chi-so.csv:2:"), "{kind}: {}", r.body);
        let defs = "code,name,measure,period,aggregation,target,source\nmeetings,Họp giao ban,cuộc,month,sum,4,\n";
        let r = send_multipart(
            &app,
            "/indicators/import/definitions",
            &tk,
            &[("csrf", &csrf)],
            Some(("chi-so.csv", defs.as_bytes())),
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{kind}: {}", r.body);
        let list = send(&app, "GET", "/indicators", &tk, &[], None).await;
        assert!(
            list.body.contains(r#"href="/indicators/meetings""#),
            "{kind}"
        );
    }
}

async fn journey(c: &Client, base: &str, year: i32) -> Step {
    login(c, base, "vp1").await?;
    click_and_wait(c, "nav a[href='/units/SKHDT/indicators']").await?;
    fill(c, &format!("#v-website_posts-{year}-01"), "6").await?;
    click_and_wait(
        c,
        "#ind-website_posts form.indicator-form button[type=submit]",
    )
    .await?;
    if !text(c, "#flash").await?.contains("Đã lưu") {
        return Err("no confirmation".into());
    }
    let shown = text(c, "#ind-website_posts .year-value").await?;
    if !shown.starts_with('6') {
        return Err(format!("year value: {shown}"));
    }
    logout(c).await?;
    login(c, base, "tk").await?;
    click_and_wait(c, "nav a[href='/indicators']").await?;
    click_and_wait(c, "a[href='/indicators/website_posts']").await?;
    let row = c
        .find(Locator::Css("tr[data-unit='SKHDT'] .year-value"))
        .await
        .map_err(e)?
        .text()
        .await
        .map_err(e)?;
    if row.trim() != "6" {
        return Err(format!("SKHDT's year on the indicator's page: {row}"));
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn indicators_in_chromium() {
    let Some(driver) = start_driver() else { return };
    for (db, url) in parindex_db::testkit::each_db().await {
        let kind = db.kind();
        let state = crate::common::demo_state(db.clone());
        let year = state.local_instant().date.year;
        registry(&db, &url, year).await;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let server = tokio::spawn(axum::serve(listener, parindex_web::router(state)).into_future());
        let client = connect(&driver).await;
        let result = journey(&client, &base, year).await;
        if result.is_err() {
            shot(&client, &format!("browser-indicators-failure-{kind}")).await;
        }
        let _ = client.close().await;
        server.abort();
        if let Err(err) = result {
            panic!("indicators journey on {kind}: {err}");
        }
    }
}
