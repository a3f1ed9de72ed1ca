//! Dossier statistics pages on the demo, on SQLite and PostgreSQL: the figures of a year,
//! per procedure and per month with the trend chart, the dossiers behind a number,
//! downloads, and the leaf that scores itself from them.

use axum::http::StatusCode;

use crate::auth::{send, sid, sign_in};
use crate::common::demo_dbs;

/// The number in the figures table on the row of `filter`.
fn figure(page: &str, filter: &str) -> String {
    let row = page
        .split(&format!(r#"<tr data-filter="{filter}">"#))
        .nth(1)
        .unwrap_or_else(|| panic!("no row {filter}"));
    let cell = row.split("</tr>").next().unwrap();
    let link = cell.rsplit("\">").next().unwrap();
    link.split('<').next().unwrap().to_string()
}

#[tokio::test]
async fn figures_months_procedures_and_the_dossiers_behind_them() {
    for (db, _) in demo_dbs().await {
        let kind = db.kind();
        let app = parindex_web::router(parindex_web::AppState::new(db.clone()));
        let vp = sid(&sign_in(&app, "vp.skhdt", "parindex-demo").await);
        let stc = sid(&sign_in(&app, "vp.stc", "parindex-demo").await);
        let appraiser = sid(&sign_in(&app, "thamdinh", "parindex-demo").await);

        let page = send(
            &app,
            "GET",
            "/units/SKHDT/dossiers?year=2020",
            &vp,
            &[],
            None,
        )
        .await;
        assert_eq!(page.status, StatusCode::OK, "{kind}: {}", page.body);
        let p = &page.body;
        // The same numbers as `parindex dossiers stats` for 2020 (see the CLI test).
        assert_eq!(figure(p, "received"), "1.500", "{kind}");
        assert_eq!(figure(p, "late"), "177");
        assert!(p.contains("87,89%"), "on-time rate");
        // Twelve months in the table and the chart, each bar a link to its dossiers.
        assert_eq!(p.matches(r#"<tr data-month="2020-"#).count(), 12);
        assert_eq!(p.matches(r#"class="month" data-month=""#).count(), 12);
        assert!(p.contains(r#"<polyline class="rate""#));
        let procedures = p.matches("<tr data-procedure=").count();
        assert!(procedures >= 5, "{procedures} procedures");

        // The dossiers behind "late": exactly as many as the figure says.
        let list = send(
            &app,
            "GET",
            "/units/SKHDT/dossiers/list?from=2020-01-01&to=2020-12-31&filter=late",
            &vp,
            &[],
            None,
        )
        .await;
        assert_eq!(list.status, StatusCode::OK);
        assert!(list.body.contains(r#"<strong id="total">177</strong>"#));
        assert_eq!(list.body.matches(r#"class="late"><td>"#).count(), 177);
        let csv = send(
            &app,
            "GET",
            "/units/SKHDT/dossiers/list?from=2020-01-01&to=2020-12-31&filter=late&format=csv",
            &vp,
            &[],
            None,
        )
        .await;
        assert_eq!(csv.status, StatusCode::OK);
        assert_eq!(
            csv.body.trim_start_matches('\u{feff}').lines().count(),
            1 + 177
        );
        assert!(csv.body.contains(",Trễ hạn,"));
        // A month's drill-down holds that month only.
        let jan = send(
            &app,
            "GET",
            "/units/SKHDT/dossiers/list?month=2020-01&filter=received",
            &vp,
            &[],
            None,
        )
        .await;
        let jan_total = p
            .split(r#"<tr data-month="2020-01">"#)
            .nth(1)
            .unwrap()
            .split("filter=received\">")
            .nth(1)
            .unwrap()
            .split('<')
            .next()
            .unwrap()
            .to_string();
        assert!(
            jan.body
                .contains(&format!(r#"<strong id="total">{jan_total}</strong>"#)),
            "January: {jan_total}"
        );
        for row in jan.body.split("<tr data-code=").skip(1) {
            let received = row.split("<td>").nth(3).unwrap();
            assert!(received.contains("/01/2020 "), "only January: {row}");
        }

        // Downloads of the tables.
        let xlsx = send(
            &app,
            "GET",
            "/units/SKHDT/dossiers?year=2020&table=procedures&format=xlsx",
            &vp,
            &[],
            None,
        )
        .await;
        assert_eq!(xlsx.status, StatusCode::OK);
        assert!(xlsx.body.starts_with("PK"), "an XLSX file");
        let months = send(
            &app,
            "GET",
            "/units/SKHDT/dossiers?year=2020&table=months&format=csv",
            &vp,
            &[],
            None,
        )
        .await;
        assert_eq!(
            months.body.trim_start_matches('\u{feff}').lines().count(),
            1 + 12
        );

        // Another department may not look; the appraisers may.
        let other = send(&app, "GET", "/units/SKHDT/dossiers", &stc, &[], None).await;
        assert_eq!(other.status, StatusCode::FORBIDDEN);
        let ok = send(
            &app,
            "GET",
            "/units/SKHDT/dossiers?year=2021",
            &appraiser,
            &[],
            None,
        )
        .await;
        assert_eq!(ok.status, StatusCode::OK);
        assert!(ok.body.contains("92,67%"));
        let bad = send(
            &app,
            "GET",
            "/units/SKHDT/dossiers?month=2021-13",
            &vp,
            &[],
            None,
        )
        .await;
        assert_eq!(bad.status, StatusCode::BAD_REQUEST);
        assert!(!bad.body.contains("sqlx"));

        // The 2021 self-assessment shows I.8.4 computed from 2021's dossiers, with a link.
        let assess = send(
            &app,
            "GET",
            "/sets/brvt-so-2021/units/SKHDT/assess",
            &vp,
            &[],
            None,
        )
        .await;
        assert_eq!(assess.status, StatusCode::OK);
        let leaf = assess
            .body
            .split(r#"id="computed-I-8-4""#)
            .nth(1)
            .expect("I.8.4 is computed")
            .split("</p>")
            .next()
            .unwrap()
            .to_string();
        assert!(
            leaf.contains("92,67%") && leaf.contains(r#"href="/units/SKHDT/dossiers?year=2021""#),
            "{leaf}"
        );
    }
}
