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

        // An apology slip for a dossier still in process: the form, the record, the DOCX.
        let pending = send(
            &app,
            "GET",
            "/units/SKHDT/dossiers/list?from=2021-01-01&to=2021-12-31&filter=pending",
            &vp,
            &[],
            None,
        )
        .await;
        let code = pending
            .body
            .split(r#"<tr data-code=""#)
            .nth(1)
            .expect("a pending dossier")
            .split('"')
            .next()
            .unwrap()
            .to_string();
        let path = format!("/units/SKHDT/dossiers/{code}/apology");
        assert!(
            pending
                .body
                .contains(&format!(r#"href="{path}">Lập phiếu</a>"#))
        );
        let form = send(&app, "GET", &path, &vp, &[], None).await;
        assert_eq!(form.status, StatusCode::OK);
        assert!(form.body.contains(r#"id="apology-form""#), "{}", form.body);
        assert_eq!(
            send(&app, "GET", &path, &stc, &[], None).await.status,
            StatusCode::FORBIDDEN
        );
        // The appraiser may read it but does not issue it.
        let seen = send(&app, "GET", &path, &appraiser, &[], None).await;
        assert_eq!(seen.status, StatusCode::OK);
        assert!(!seen.body.contains(r#"id="apology-form""#));
        let csrf = form.hidden("csrf");
        let post = |fields: Vec<(&'static str, String)>| {
            let app = app.clone();
            let vp = vp.clone();
            let path = path.clone();
            async move {
                let fields: Vec<(&str, &str)> =
                    fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
                send(
                    &app,
                    "POST",
                    &path,
                    &vp,
                    &fields,
                    Some("http://127.0.0.1:8080"),
                )
                .await
            }
        };
        let missing = post(vec![
            ("csrf", csrf.clone()),
            ("reason", String::new()),
            ("new_due", "2030-01-10T16:00".into()),
        ])
        .await;
        assert_eq!(missing.status, StatusCode::BAD_REQUEST);
        assert!(missing.body.contains("Cần ghi lý do chậm"));
        let ok = post(vec![
            ("csrf", csrf.clone()),
            ("reason", "chờ ý kiến Sở Xây dựng".into()),
            ("new_due", "2030-01-10T16:00".into()),
            ("applicant", "Công ty TNHH An Bình".into()),
        ])
        .await;
        assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
        let issued = send(&app, "GET", &path, &vp, &[], None).await;
        assert!(
            issued.body.contains(r#"id="new-due">10/01/2030 16:00"#),
            "{}",
            issued.body
        );
        assert!(!issued.body.contains(r#"id="apology-form""#));
        let again = post(vec![
            ("csrf", csrf.clone()),
            ("reason", "lần hai".into()),
            ("new_due", "2030-02-10T16:00".into()),
        ])
        .await;
        assert_eq!(again.status, StatusCode::BAD_REQUEST);
        assert!(again.body.contains("chỉ được hẹn lại một lần"));
        let docx = app
            .clone()
            .oneshot_get_bytes(&format!("{path}?format=docx"), &vp)
            .await;
        let text = parindex_reports::docx::docx_text(&docx).unwrap();
        assert!(
            text.contains("PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ"),
            "{text}"
        );
        assert!(text.contains(&format!("Mã hồ sơ: {code}.")));
        assert!(text.contains("Kính gửi: Công ty TNHH An Bình"));
        assert!(text.contains("16 giờ 00 phút, ngày 10 tháng 01 năm 2030"));
    }
}

/// GET with a session cookie, the body as bytes (for binary downloads).
trait GetBytes {
    async fn oneshot_get_bytes(self, uri: &str, cookie: &str) -> Vec<u8>;
}

impl GetBytes for axum::Router {
    async fn oneshot_get_bytes(self, uri: &str, cookie: &str) -> Vec<u8> {
        use http_body_util::BodyExt;
        use tower::ServiceExt;
        let res = self
            .oneshot(
                axum::http::Request::get(uri)
                    .header(axum::http::header::COOKIE, cookie)
                    .body(axum::body::Body::empty())
                    .unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        res.into_body().collect().await.unwrap().to_bytes().to_vec()
    }
}
