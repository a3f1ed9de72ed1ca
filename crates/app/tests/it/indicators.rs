//! The indicators registry on the web, over HTTP and in Chromium, on SQLite and PostgreSQL:
//! a unit enters values period by period, its criterion reading the indicator is
//! recomputed, and the province sees every unit side by side.

use axum::http::StatusCode;
use fantoccini::{Client, Locator};
use parindex_domain::access::Role;

use crate::auth::{add_user, send, sid, sign_in};
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
