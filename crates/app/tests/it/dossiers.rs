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
        // Another province's server: its slips are headed with its own name.
        let mut state = crate::common::demo_state(db.clone());
        state.slip_governing_body = "UBND tỉnh Đồng Nai".into();
        state.slip_place = "Đồng Nai".into();
        let app = parindex_web::router(state);
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
        // The province: every unit with dossiers side by side, for the province-wide roles.
        let province = send(&app, "GET", "/dossiers?year=2020", &appraiser, &[], None).await;
        assert_eq!(province.status, StatusCode::OK, "{kind}: {}", province.body);
        let p = &province.body;
        assert!(p.contains(r#"<tr data-unit="SKHDT"><td><a href="/units/SKHDT/dossiers?from=2020-01-01&#38;to=2020-12-31">"#), "{kind}: {p}");
        assert_eq!(
            p.matches("<tr data-unit=").count(),
            1,
            "{kind}: only SKHDT has dossiers in the demo"
        );
        assert_eq!(figure(p, "received"), "1.500", "{kind}");
        assert_eq!(figure(p, "late"), "177", "{kind}");
        assert!(p.contains("87,89%"), "{kind}");
        assert!(p.contains(r#"<a href="/dossiers">"#), "{kind}: in the menu");
        let csv = send(
            &app,
            "GET",
            "/dossiers?year=2020&format=csv",
            &appraiser,
            &[],
            None,
        )
        .await;
        assert_eq!(csv.status, StatusCode::OK);
        let lines: Vec<&str> = csv.body.trim_start_matches('\u{feff}').lines().collect();
        assert_eq!(lines.len(), 2, "{kind}: {}", csv.body);
        assert!(
            lines[1].starts_with("SKHDT — ") && lines[1].contains(",1500,"),
            "{kind}: {}",
            csv.body
        );
        let unit_only = send(&app, "GET", "/dossiers?year=2020", &vp, &[], None).await;
        assert_eq!(unit_only.status, StatusCode::FORBIDDEN, "{kind}");
        assert!(!page_menu_has_province(
            &send(
                &app,
                "GET",
                "/units/SKHDT/dossiers?year=2020",
                &vp,
                &[],
                None
            )
            .await
            .body
        ));
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
        assert!(
            form.body
                .contains("Nghị định số 118/2025/NĐ-CP: gửi chậm nhất một ngày trước hạn")
        );
        assert_eq!(
            send(&app, "GET", &path, &stc, &[], None).await.status,
            StatusCode::FORBIDDEN
        );
        // The appraiser may read it but does not issue it.
        let seen = send(&app, "GET", &path, &appraiser, &[], None).await;
        assert_eq!(seen.status, StatusCode::OK);
        assert!(!seen.body.contains(r#"id="apology-form""#));
        let due_soon = |cookie: String| {
            let app = app.clone();
            async move {
                send(
                    &app,
                    "GET",
                    "/units/SKHDT/dossiers/due-soon?days=2",
                    &cookie,
                    &[],
                    None,
                )
                .await
            }
        };
        let before = due_soon(vp.clone()).await;
        assert_eq!(before.status, StatusCode::OK);
        // Every dossier still in process is long overdue in the demo's past years.
        let listed = before.body.matches("<tr data-code=").count();
        assert_eq!(listed, 66, "{}", before.body);
        assert!(
            before
                .body
                .contains(&format!(r#"<tr data-code="{code}" class="late">"#))
        );
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
        assert_eq!(missing.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(missing.body.contains("Cần ghi lý do chậm"));
        let ok = post(vec![
            ("csrf", csrf.clone()),
            ("reason", "chờ ý kiến Sở Xây dựng".into()),
            ("new_due", "2030-01-10T16:00".into()),
            ("applicant", "Công ty TNHH An Bình".into()),
        ])
        .await;
        assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
        let after = due_soon(vp.clone()).await;
        assert_eq!(after.body.matches("<tr data-code=").count(), listed - 1);
        assert!(!after.body.contains(&format!(r#"<tr data-code="{code}""#)));
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
        assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(again.body.contains("chỉ được hẹn lại một lần"));
        let docx = app
            .clone()
            .oneshot_get_bytes(&format!("{path}?format=docx"), &vp)
            .await;
        let text = parindex_reports::docx::docx_text(&docx).unwrap();
        // Issued today, after 01/07/2025: the form of Nghị định 118/2025, though the dossier
        // was received under Nghị định 61/2018.
        assert!(
            text.contains("VĂN BẢN XIN LỖI VÀ ĐỀ NGHỊ GIA HẠN THỜI GIAN GIẢI QUYẾT"),
            "{text}"
        );
        assert!(text.contains("Mẫu 04, Thông tư 03/2025/TT-VPCP"), "{text}");
        assert!(text.contains(&format!("mã hồ sơ: {code};")), "{text}");
        assert!(
            issued
                .body
                .contains("VĂN BẢN XIN LỖI VÀ ĐỀ NGHỊ GIA HẠN THỜI GIAN GIẢI QUYẾT (DOCX)")
        );
        assert!(text.contains("Kính gửi: Công ty TNHH An Bình"));
        assert!(text.contains("16 giờ 00 phút, ngày 10 tháng 01 năm 2030"));
        assert!(text.contains("UBND TỈNH ĐỒNG NAI"), "{text}");
        assert!(text.contains("Đồng Nai, ngày "), "{text}");
        assert!(!text.contains("Vũng Tàu"), "{text}");

        // The same pages in English (the interface's second language).
        for (page, english, vietnamese) in [
            (
                "/units/SKHDT/dossiers".to_string(),
                "Import dossiers (CSV, XLSX)",
                "Nhập hồ sơ",
            ),
            (
                "/units/SKHDT/dossiers/due-soon".to_string(),
                "Dossiers due soon with no apology slip",
                "Lập phiếu",
            ),
            (
                "/units/SKHDT/dossiers/import".to_string(),
                "Store the good rows and skip the bad ones",
                "Lưu các dòng đúng",
            ),
            ("/calendar".to_string(), "January", "Tháng 1"),
            (path.clone(), "Addressed to", "Kính gửi"),
            (
                "/units/SKHDT/dossiers/list?from=2021-01-01&to=2021-12-31&filter=late".to_string(),
                "<td>Late</td>",
                "Trễ hạn",
            ),
        ] {
            let sep = if page.contains('?') { '&' } else { '?' };
            let r = send(&app, "GET", &format!("{page}{sep}lang=en"), &vp, &[], None).await;
            assert_eq!(r.status, StatusCode::OK, "{page}");
            assert!(r.body.contains(english), "{page}: {}", r.body);
            assert!(!r.body.contains(vietnamese), "{page}: {}", r.body);
        }
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

/// Follows an import job's page until it is done.
pub async fn finished_job(app: &axum::Router, location: &str, cookie: &str) -> String {
    for _ in 0..300 {
        let page = send(app, "GET", location, cookie, &[], None).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        if !page.body.contains(r#"id="progress""#) {
            assert!(!page.body.contains("http-equiv=\"refresh\""));
            return page.body;
        }
        assert!(
            page.body.contains("http-equiv=\"refresh\""),
            "it follows itself"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the import did not finish");
}

#[tokio::test]
async fn the_import_page_reports_every_bad_line_then_stores() {
    use crate::auth::send_multipart;
    for (db, _) in demo_dbs().await {
        let kind = db.kind();
        let store =
            std::env::temp_dir().join(format!("parindex-import-{}-{kind}", std::process::id()));
        let mut state = crate::common::demo_state(db.clone());
        state.files = std::sync::Arc::new(parindex_services::files::FileStore::new(&store));
        let turn = state.import_turn.clone();
        let app = parindex_web::router(state);
        let vp = sid(&sign_in(&app, "vp.skhdt", "parindex-demo").await);
        let viewer = sid(&sign_in(&app, "nv.dtpt", "parindex-demo").await);
        let form = send(&app, "GET", "/units/SKHDT/dossiers/import", &vp, &[], None).await;
        assert_eq!(form.status, StatusCode::OK);
        let csrf = form.hidden("csrf");
        assert_eq!(
            send(
                &app,
                "GET",
                "/units/SKHDT/dossiers/import",
                &viewer,
                &[],
                None
            )
            .await
            .status,
            StatusCode::FORBIDDEN
        );
        let procedure = db
            .procedure_briefs()
            .await
            .unwrap()
            .into_keys()
            .next()
            .unwrap();
        let csv = format!(
            "code,unit_code,procedure_code,received_at,finished_at\n\
             WEB-1,SKHDT,{procedure},2022-03-01 09:00,2022-03-02 10:00\n\
             WEB-2,SKHDT,KHONG-CO,2022-03-01 09:00,\n\
             WEB-3,SKHDT,{procedure},2022-02-30 09:00,\n"
        );
        // All or nothing: both bad lines reported, nothing stored.
        let r = send_multipart(
            &app,
            "/units/SKHDT/dossiers/import",
            &vp,
            &[("csrf", &csrf)],
            Some(("ho-so.csv", csv.as_bytes())),
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{kind}: {}", r.body);
        let job = r.headers["location"].to_str().unwrap().to_string();
        let page = finished_job(&app, &job, &vp).await;
        assert!(
            page.contains(r#"id="result""#)
                && page.contains("Không lưu hồ sơ nào: 2 dòng lỗi trong 3 dòng"),
            "{page}"
        );
        assert!(
            page.contains("ho-so.csv:3: procedure_code: thủ tục `KHONG-CO`"),
            "{page}"
        );
        assert!(page.contains("ho-so.csv:4: received_at:"), "{page}");
        let year = |y: &str| {
            let db = db.clone();
            let y = y.to_string();
            async move {
                let (from, to) = (
                    parindex_domain::text::Date::parse(&format!("{y}-01-01")).unwrap(),
                    parindex_domain::text::Date::parse(&format!("{y}-12-31")).unwrap(),
                );
                let as_of = parindex_domain::calendar::Instant::parse("2023-01-01 00:00").unwrap();
                db.dossier_figures(Some("SKHDT"), from, to, as_of)
                    .await
                    .unwrap()
                    .received
            }
        };
        assert_eq!(year("2022").await, 0);
        // Another unit's job is not found from this unit.
        let elsewhere = job.replace("/units/SKHDT/", "/units/STC/");
        assert_ne!(
            send(&app, "GET", &elsewhere, &vp, &[], None).await.status,
            StatusCode::OK
        );

        // Keeping the good rows: one stored, the two others in the CSV with their reason.
        let r = send_multipart(
            &app,
            "/units/SKHDT/dossiers/import",
            &vp,
            &[("csrf", &csrf), ("skip_invalid", "yes")],
            Some(("ho-so.csv", csv.as_bytes())),
        )
        .await;
        let job = r.headers["location"].to_str().unwrap().to_string();
        let page = finished_job(&app, &job, &vp).await;
        assert!(page.contains(r#"<strong id="stored">1</strong>"#), "{page}");
        assert_eq!(year("2022").await, 1);
        let rejected = send(&app, "GET", &format!("{job}/rejected.csv"), &vp, &[], None).await;
        assert_eq!(rejected.status, StatusCode::OK);
        let lines: Vec<&str> = rejected
            .body
            .trim_start_matches('\u{feff}')
            .lines()
            .collect();
        assert_eq!(lines.len(), 3, "{}", rejected.body);
        assert!(lines[0].ends_with(",reason") && lines[1].starts_with("WEB-2,"));

        // After a restart (a new process, nothing in memory) the report and the rejected
        // rows are read back from the database and the file store, for the unit only.
        let mut restarted = crate::common::demo_state(db.clone());
        restarted.files = std::sync::Arc::new(parindex_services::files::FileStore::new(&store));
        let again = parindex_web::router(restarted);
        let vp2 = sid(&sign_in(&again, "vp.skhdt", "parindex-demo").await);
        let kept = send(&again, "GET", &job, &vp2, &[], None).await;
        assert_eq!(kept.status, StatusCode::OK, "{kind}: {}", kept.body);
        assert!(
            kept.body.contains(r#"<strong id="stored">1</strong>"#)
                && kept.body.contains("ho-so.csv:3: procedure_code")
                && !kept.body.contains(r#"id="progress""#),
            "{kind}: {}",
            kept.body
        );
        let kept_rows = send(
            &again,
            "GET",
            &format!("{job}/rejected.csv"),
            &vp2,
            &[],
            None,
        )
        .await;
        assert_eq!(kept_rows.status, StatusCode::OK);
        assert_eq!(kept_rows.body, rejected.body);
        let stc = sid(&sign_in(&again, "vp.stc", "parindex-demo").await);
        let elsewhere = job.replace("/units/SKHDT/", "/units/STC/");
        assert_ne!(
            send(&again, "GET", &elsewhere, &stc, &[], None)
                .await
                .status,
            StatusCode::OK
        );
        assert_ne!(
            send(&again, "GET", &job, &stc, &[], None).await.status,
            StatusCode::OK
        );

        // While another upload writes, the next one waits its turn and says so; it is
        // stored once the other is done (not refused on the database's write lock).
        let held = turn.lock().await;
        let next = format!(
            "code,unit_code,procedure_code,received_at,finished_at\n\
             WEB-4,SKHDT,{procedure},2022-03-03 09:00,2022-03-04 10:00\n"
        );
        let r = send_multipart(
            &app,
            "/units/SKHDT/dossiers/import",
            &vp,
            &[("csrf", &csrf)],
            Some(("ho-so-2.csv", next.as_bytes())),
        )
        .await;
        let job = r.headers["location"].to_str().unwrap().to_string();
        let mut waited = false;
        for _ in 0..100 {
            let page = send(&app, "GET", &job, &vp, &[], None).await;
            if page.body.contains("Đang chờ lần nhập trước ghi xong") {
                waited = true;
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        assert!(waited, "{kind}: the waiting upload says so");
        assert_eq!(year("2022").await, 1, "nothing written while waiting");
        drop(held);
        let page = finished_job(&app, &job, &vp).await;
        assert!(page.contains(r#"<strong id="stored">1</strong>"#), "{page}");
        assert_eq!(year("2022").await, 2);

        // Not a spreadsheet nor a CSV: refused, nothing left behind.
        let r = send_multipart(
            &app,
            "/units/SKHDT/dossiers/import",
            &vp,
            &[("csrf", &csrf)],
            Some(("ho-so.exe", b"MZ\x90\x00binary")),
        )
        .await;
        assert_eq!(r.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
        let left = std::fs::read_dir(store.join("tmp")).map_or(0, Iterator::count);
        assert_eq!(left, 0, "no temporary file stays");
        let _ = std::fs::remove_dir_all(&store);
    }
}

#[tokio::test]
async fn a_hostile_workbook_upload_is_refused_and_leaves_no_temporary_file() {
    use crate::auth::send_multipart;
    let (db, _) = demo_dbs().await.remove(0);
    let store = std::env::temp_dir().join(format!("parindex-hostile-{}", std::process::id()));
    let mut state = crate::common::demo_state(db.clone());
    state.files = std::sync::Arc::new(parindex_web::files::FileStore::new(&store));
    let app = parindex_web::router(state);
    let vp = sid(&sign_in(&app, "vp.skhdt", "parindex-demo").await);
    let form = send(&app, "GET", "/units/SKHDT/dossiers/import", &vp, &[], None).await;
    let csrf = form.hidden("csrf");
    let r = send_multipart(
        &app,
        "/units/SKHDT/dossiers/import",
        &vp,
        &[("csrf", &csrf)],
        Some((
            "ho-so.xlsx",
            &crate::common::tiny_workbook("10000000000000000"),
        )),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let job = r.headers["location"].to_str().unwrap().to_string();
    let page = finished_job(&app, &job, &vp).await;
    assert!(
        page.contains("ho-so.xlsx: phần `xl/sharedStrings.xml` khai báo 10000000000000000"),
        "{page}"
    );
    let left: Vec<_> = std::fs::read_dir(store.join("tmp"))
        .map(|d| d.map(|e| e.unwrap().file_name()).collect())
        .unwrap_or_default();
    assert!(left.is_empty(), "temporary files left: {left:?}");
    let _ = std::fs::remove_dir_all(&store);
}

#[tokio::test]
async fn the_calendar_page_shows_a_year_and_the_secretariat_edits_it() {
    for (db, _) in demo_dbs().await {
        let kind = db.kind();
        let app = parindex_web::router(crate::common::demo_state(db.clone()));
        let vp = sid(&sign_in(&app, "vp.skhdt", "parindex-demo").await);
        let snv = sid(&sign_in(&app, "snv", "parindex-demo").await);
        let page = send(&app, "GET", "/calendar?year=2021", &vp, &[], None).await;
        assert_eq!(page.status, StatusCode::OK, "{kind}");
        let p = &page.body;
        // Tết Tân Sửu: Wednesday 10/02 off, Saturday 13/02 a weekend, 250 working days.
        assert!(p.contains(r#"<td class="day holiday" data-date="2021-02-10">10</td>"#));
        assert!(p.contains(r#"<td class="day weekend" data-date="2021-02-13">13</td>"#));
        assert!(
            p.contains(r#"<strong id="working-days">250</strong>"#),
            "{p}"
        );
        assert!(p.contains("07:30–11:30, 13:30–17:00"));
        assert!(p.contains("lịch kèm theo parindex"));
        assert!(
            !p.contains(r#"id="calendar-form""#),
            "only the secretariat edits"
        );
        let csrf = page.hidden("csrf");
        let origin = Some("http://127.0.0.1:8080");
        let yaml = parindex_domain::calendar::SHIPPED
            .replace("  - 2021-04-21\n", "  - 2021-04-21\n  - 2021-03-08\n");
        assert_ne!(yaml, parindex_domain::calendar::SHIPPED);
        let refused = send(
            &app,
            "POST",
            "/calendar",
            &vp,
            &[("csrf", &csrf), ("yaml", &yaml), ("reason", "thử")],
            origin,
        )
        .await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN);

        let form = send(&app, "GET", "/calendar?year=2021", &snv, &[], None).await;
        assert!(form.body.contains(r#"id="calendar-form""#));
        let csrf = form.hidden("csrf");
        let broken = yaml.replace("weekend: [sat, sun]", "weekend: [sat, funday]");
        assert_ne!(broken, yaml);
        let bad = send(
            &app,
            "POST",
            "/calendar",
            &snv,
            &[
                ("csrf", &csrf),
                ("yaml", &broken),
                ("reason", "thử"),
                ("year", "2021"),
            ],
            origin,
        )
        .await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(bad.body.contains("funday"), "{}", bad.body);
        assert!(
            db.stored_calendar().await.unwrap().is_none(),
            "nothing saved"
        );
        let ok = send(
            &app,
            "POST",
            "/calendar",
            &snv,
            &[
                ("csrf", &csrf),
                ("yaml", &yaml),
                ("reason", "Nghỉ bù theo văn bản mẫu"),
                ("year", "2021"),
            ],
            origin,
        )
        .await;
        assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
        let page = send(&app, "GET", "/calendar?year=2021", &vp, &[], None).await;
        assert!(
            page.body
                .contains(r#"<td class="day holiday" data-date="2021-03-08">8</td>"#)
        );
        assert!(
            page.body
                .contains(r#"<strong id="working-days">249</strong>"#)
        );
        assert!(page.body.contains("lịch do snv cập nhật"));
        let (cal, _) = db.active_calendar().await.unwrap();
        let monday = parindex_domain::text::Date::parse("2021-03-08").unwrap();
        assert!(!cal.is_working_day(monday), "imports now count it off");
        let audit = db.audit_history("calendar").await.unwrap();
        assert_eq!(audit.len(), 1);
    }
}

fn page_menu_has_province(body: &str) -> bool {
    body.contains(r#"<a href="/dossiers">"#)
}

/// The period table counted plainly from the rows, as `shared/spec/dossiers.md` says.
fn count_period(rows: &[(&str, &str, &str, &str, &str)], start: &str, end: &str) -> [u64; 9] {
    // (received, due after pauses, finished, channel, outcome); instants as
    // "YYYY-MM-DD HH:MM" order as text.
    let mut c = [0u64; 9];
    for (received, due, finished, channel, outcome) in rows {
        let finished = (!finished.is_empty()).then_some(*finished);
        if *received >= end || finished.is_some_and(|f| f < start) {
            continue;
        }
        if *received < start {
            c[0] += 1;
        } else {
            match *channel {
                "online" => c[1] += 1,
                "direct" => c[2] += 1,
                _ => c[3] += 1,
            }
        }
        match finished {
            // Withdrawn: neither resolved nor pending.
            Some(f) if f < end && *outcome == "withdrawn" => {}
            Some(f) if f < end => {
                if f[..10] < due[..10] {
                    c[4] += 1;
                } else if f <= *due {
                    c[5] += 1;
                } else {
                    c[6] += 1;
                }
            }
            _ => {
                if *due >= end {
                    c[7] += 1;
                } else {
                    c[8] += 1;
                }
            }
        }
    }
    c
}

#[tokio::test]
async fn period_reports_count_as_the_decree_says() {
    use crate::common::{run, temp_file};
    use std::fmt::Write as _;
    // Q1 2021 runs from 15/12/2020 00:00 to 14/03/2021 23:59.
    let rows = [
        // Carried over, finished early in the period.
        (
            "C1",
            "2020-12-01 08:00",
            "2020-12-20 17:00",
            "2020-12-18 10:00",
            "direct",
        ),
        // Finished before the period: not in it.
        (
            "C2",
            "2020-12-10 08:00",
            "2020-12-14 17:00",
            "2020-12-14 16:00",
            "direct",
        ),
        // Finished on the 14th at 23:59, after its due: late, in the period.
        (
            "C3",
            "2021-01-05 08:00",
            "2021-01-10 17:00",
            "2021-03-14 23:59",
            "online",
        ),
        // Finished at 00:00 on the 15th: still pending at the period's end, in time.
        (
            "C4",
            "2021-01-06 08:00",
            "2021-03-20 17:00",
            "2021-03-15 00:00",
            "postal",
        ),
        // Never finished, due passed: pending overdue.
        ("C5", "2021-02-01 08:00", "2021-02-05 17:00", "", "direct"),
        // Received at the next period's first minute: not in it.
        ("C6", "2021-03-15 00:00", "2021-03-20 17:00", "", "online"),
        // Finished the same day before its due hour: on time.
        (
            "C7",
            "2021-03-01 08:00",
            "2021-03-01 17:00",
            "2021-03-01 16:00",
            "direct",
        ),
        // Carried over and still overdue.
        ("C8", "2020-11-02 08:00", "2020-11-10 17:00", "", "direct"),
    ];
    for (db, url) in parindex_db::testkit::each_db().await {
        let kind = db.kind();
        let units = temp_file(
            &format!("p-units-{kind}.csv"),
            "code,name,parent_code,kind,group\nSKHDT,Sở Kế hoạch và Đầu tư,,so,so\n",
        );
        assert_eq!(run(&url, &["units", "import", &units]).code, 0);
        let procs = temp_file(
            &format!("p-procs-{kind}.csv"),
            "code,name,unit_code,limit_days\nP1,Đăng ký đầu tư,SKHDT,5\n",
        );
        assert_eq!(run(&url, &["procedures", "import", &procs]).code, 0);
        let mut csv = String::from(
            "code,unit_code,procedure_code,received_at,due_at,finished_at,channel\r\n",
        );
        for (code, r, d, f, ch) in &rows {
            let _ = write!(csv, "{code},SKHDT,P1,{r},{d},{f},{ch}\r\n");
        }
        let file = temp_file(&format!("p-dossiers-{kind}.csv"), &csv);
        let r = run(&url, &["dossiers", "import", &file]);
        assert_eq!(r.code, 0, "{kind}: {}", r.stderr);
        let q1 = parindex_domain::period::Period::new(
            2021,
            parindex_domain::period::PeriodKind::Quarter(1),
        )
        .unwrap();
        let f = db
            .period_figures(Some("SKHDT"), q1.from, q1.to)
            .await
            .unwrap();
        let got = f.counts();
        let mut plain: Vec<(&str, &str, &str, &str, &str)> = rows
            .iter()
            .map(|(_, r, d, f, c)| (*r, *d, *f, *c, ""))
            .collect();
        assert_eq!(
            got,
            count_period(&plain, "2020-12-15 00:00", "2021-03-15 00:00"),
            "{kind}"
        );
        assert_eq!(got, [2, 1, 2, 1, 1, 1, 1, 1, 2], "{kind}");
        assert_eq!(f.received_total(), 6);
        assert_eq!(f.on_time_rate(), "66.67");
        // The command line prints the same table with the contract's keys.
        let r = run(
            &url,
            &[
                "dossiers",
                "report",
                "--unit",
                "SKHDT",
                "--year",
                "2021",
                "--quarter",
                "1",
                "--format",
                "json",
            ],
        );
        assert_eq!(r.code, 0, "{kind}: {}", r.stderr);
        let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
        let keys = [
            "carried_over",
            "received_online",
            "received_direct",
            "received_postal",
            "resolved_early",
            "resolved_on_time",
            "resolved_late",
            "pending_in_time",
            "pending_overdue",
        ];
        let printed: Vec<u64> = keys.iter().map(|k| v[k].as_u64().unwrap()).collect();
        assert_eq!(printed, got.to_vec(), "{kind}");
        assert_eq!(v["received_total"], 6);
        assert_eq!(v["resolved_total"], 3);
        assert_eq!(v["on_time_rate"], "66.67");
        assert_eq!(v["unit_code"], "SKHDT");
        assert_eq!(v["from"], "2020-12-15");
        assert_eq!(v["to"], "2021-03-14");
        assert_eq!(v["procedures"][0]["code"], "P1");
        assert_eq!(v["procedures"][0]["received_total"], 6);
        // Every drill-down list holds as many dossiers as its number.
        for (i, key) in keys.iter().enumerate() {
            let (n, lines) = db
                .period_list(Some("SKHDT"), q1.from, q1.to, key, None, 100)
                .await
                .unwrap()
                .unwrap();
            assert_eq!(u64::try_from(n).unwrap(), got[i], "{kind}: {key}");
            assert_eq!(lines.len() as u64, got[i]);
        }
        let (_, late) = db
            .period_list(Some("SKHDT"), q1.from, q1.to, "resolved_late", None, 10)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(late[0].code, "C3", "finished at 23:59 on the 14th");
        assert!(
            db.period_list(None, q1.from, q1.to, "nothing", None, 1)
                .await
                .unwrap()
                .is_none()
        );
        // XLSX and DOCX in the official table's layout; the province's JSON by unit.
        let xlsx = temp_file(&format!("p-report-{kind}.xlsx"), "");
        let r = run(
            &url,
            &[
                "dossiers",
                "report",
                "--year",
                "2021",
                "--quarter",
                "1",
                "--format",
                "xlsx",
                "--output",
                &xlsx,
            ],
        );
        assert_eq!(r.code, 0, "{}", r.stderr);
        let back = temp_file(&format!("p-report-{kind}.csv"), "");
        parindex_reports::sheet_csv::xlsx_file_to_csv(
            std::path::Path::new(&xlsx),
            std::path::Path::new(&back),
        )
        .unwrap();
        let back = std::fs::read_to_string(&back).unwrap();
        assert!(back.contains("Kỳ trước chuyển qua"), "{back}");
        assert!(
            back.contains("SKHDT,Sở Kế hoạch và Đầu tư,6,2,1,2,1,3,1,1,1,3,1,2,66.67"),
            "{back}"
        );
        let docx = temp_file(&format!("p-report-{kind}.docx"), "");
        let r = run(
            &url,
            &[
                "dossiers",
                "report",
                "--unit",
                "SKHDT",
                "--year",
                "2021",
                "--quarter",
                "1",
                "--format",
                "docx",
                "--output",
                &docx,
            ],
        );
        assert_eq!(r.code, 0, "{}", r.stderr);
        let text = parindex_reports::docx::docx_text(&std::fs::read(&docx).unwrap()).unwrap();
        assert!(text.contains("quý I năm 2021"), "{text}");
        assert!(
            text.contains("Tổng số hồ sơ nhận giải quyết: 6 (kỳ trước chuyển qua 2"),
            "{text}"
        );
        let r = run(
            &url,
            &["dossiers", "report", "--year", "2021", "--quarter", "5"],
        );
        assert_eq!(r.code, 2);
        assert!(r.stderr.contains("quý 5 không có"), "{}", r.stderr);
        // Pauses, outcomes and returns: the optional columns.
        let more = temp_file(
            &format!("p-more-{kind}.csv"),
            "code,unit_code,procedure_code,received_at,due_at,finished_at,channel,outcome,paused_days,returned_at,return_channel\r\n\
             C9,SKHDT,P1,2021-03-01 08:00,2021-03-03 17:00,2021-03-05 10:00,direct,,2,,\r\n\
             C10,SKHDT,P1,2021-02-22 08:00,2021-03-01 17:00,2021-03-02 09:00,direct,withdrawn,,,\r\n\
             C11,SKHDT,P1,2021-01-11 08:00,2021-01-20 17:00,2021-01-19 10:00,direct,từ chối,,2021-01-21 09:00,bưu chính\r\n\
             C12,SKHDT,P1,2020-12-01 08:00,2020-12-07 17:00,2020-12-10 10:00,postal,approved,,2020-12-16 10:00,postal\r\n",
        );
        let r = run(&url, &["dossiers", "import", &more]);
        assert_eq!(r.code, 0, "{kind}: {}", r.stderr);
        // C9's two paused working days move its due from Wednesday to Friday: on time.
        plain.extend([
            (
                "2021-03-01 08:00",
                "2021-03-05 17:00",
                "2021-03-05 10:00",
                "direct",
                "",
            ),
            (
                "2021-02-22 08:00",
                "2021-03-01 17:00",
                "2021-03-02 09:00",
                "direct",
                "withdrawn",
            ),
            (
                "2021-01-11 08:00",
                "2021-01-20 17:00",
                "2021-01-19 10:00",
                "direct",
                "refused",
            ),
            (
                "2020-12-01 08:00",
                "2020-12-07 17:00",
                "2020-12-10 10:00",
                "postal",
                "",
            ),
        ]);
        let f = db
            .period_figures(Some("SKHDT"), q1.from, q1.to)
            .await
            .unwrap();
        assert_eq!(
            f.counts(),
            count_period(&plain, "2020-12-15 00:00", "2021-03-15 00:00"),
            "{kind}"
        );
        assert_eq!(f.counts(), [2, 1, 5, 1, 2, 2, 1, 1, 2], "{kind}");
        assert_eq!(
            (f.withdrawn, f.refused, f.returned_postal),
            (1, 1, 2),
            "{kind}"
        );
        assert_eq!(
            f.received_total(),
            f.resolved_total() + f.withdrawn + f.pending_in_time + f.pending_overdue
        );
        let (_, withdrawn) = db
            .period_list(Some("SKHDT"), q1.from, q1.to, "withdrawn", None, 10)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(withdrawn[0].code, "C10");
        // A withdrawn dossier needs no apology slip.
        let slip = temp_file(&format!("p-slip-{kind}.docx"), "");
        let r = run(
            &url,
            &[
                "dossiers",
                "apology",
                "--unit",
                "SKHDT",
                "--code",
                "C10",
                "--reason",
                "x",
                "--new-due",
                "2021-03-10 16:00",
                "--at",
                "2021-02-26 08:00",
                "--output",
                &slip,
            ],
        );
        assert_eq!(r.code, 1, "{kind}: {}", r.stdout);
        assert!(r.stderr.contains("đã được công dân rút"), "{}", r.stderr);
        let (n, resolved) = db
            .period_list(Some("SKHDT"), q1.from, q1.to, "resolved_total", None, 10)
            .await
            .unwrap()
            .unwrap();
        let codes: Vec<&str> = resolved.iter().map(|d| d.code.as_str()).collect();
        assert_eq!(n, 5, "{kind}: the withdrawn one is not resolved: {codes:?}");
        let (n, _) = db
            .period_list(Some("SKHDT"), q1.from, q1.to, "received_total", None, 20)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(u64::try_from(n).unwrap(), f.received_total(), "{kind}");
        // The statistics of receipt dates leave the withdrawn one out of the finished.
        let r = run(
            &url,
            &[
                "dossiers",
                "stats",
                "--unit",
                "SKHDT",
                "--from",
                "2021-01-01",
                "--to",
                "2021-03-31",
                "--as-of",
                "2021-04-01 00:00",
                "--format",
                "json",
            ],
        );
        let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
        assert_eq!(
            (&v["received"], &v["finished"], &v["late"], &v["pending"]),
            (
                &serde_json::json!(8),
                &serde_json::json!(5),
                &serde_json::json!(1),
                &serde_json::json!(2)
            ),
            "{kind}: {v}"
        );
        // A slip's single new date missed as well: counted in the period it passed.
        let missed = temp_file(
            &format!("p-missed-{kind}.csv"),
            "code,unit_code,procedure_code,received_at,due_at,finished_at,apology_at,new_due_at\r\n\
             C13,SKHDT,P1,2021-02-01 08:00,2021-02-05 17:00,2021-03-01 10:00,2021-02-03 08:00,2021-02-25 17:00\r\n\
             C14,SKHDT,P1,2021-02-01 08:00,2021-02-05 17:00,2021-02-24 10:00,2021-02-03 08:00,2021-02-25 17:00\r\n",
        );
        let r = run(&url, &["dossiers", "import", &missed]);
        assert_eq!(r.code, 0, "{kind}: {}", r.stderr);
        plain.extend([
            (
                "2021-02-01 08:00",
                "2021-02-05 17:00",
                "2021-03-01 10:00",
                "direct",
                "",
            ),
            (
                "2021-02-01 08:00",
                "2021-02-05 17:00",
                "2021-02-24 10:00",
                "direct",
                "",
            ),
        ]);
        let f = db
            .period_figures(Some("SKHDT"), q1.from, q1.to)
            .await
            .unwrap();
        assert_eq!(f.missed_new_due, 1, "{kind}");
        let (_, lines) = db
            .period_list(Some("SKHDT"), q1.from, q1.to, "missed_new_due", None, 10)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(lines.len(), 1);
        assert_eq!(lines[0].code, "C13", "C14 kept its new date");
        let q2 = parindex_domain::period::Period::new(
            2021,
            parindex_domain::period::PeriodKind::Quarter(2),
        )
        .unwrap();
        let f2 = db
            .period_figures(Some("SKHDT"), q2.from, q2.to)
            .await
            .unwrap();
        assert_eq!(f2.missed_new_due, 0, "{kind}: its new date passed in Q1");
        let bad = temp_file(
            &format!("p-bad-{kind}.csv"),
            "code,unit_code,procedure_code,received_at,finished_at,outcome,paused_days,returned_at,return_channel\r\n\
             B1,SKHDT,P1,2021-03-01 08:00,,refused,,,\r\n\
             B2,SKHDT,P1,2021-03-01 08:00,2021-03-02 08:00,lost,-1,2021-03-01 09:00,pigeon\r\n",
        );
        let r = run(&url, &["dossiers", "import", &bad]);
        assert_eq!(r.code, 1);
        for m in [
            ":2: outcome: có kết quả xử lý nhưng không có thời điểm kết thúc",
            ":3: outcome: `lost` không hợp lệ",
            ":3: paused_days: `-1`",
            ":3: returned_at: ngày trả kết quả 01/03/2021 09:00 trước ngày có kết quả",
            ":3: return_channel: `pigeon` không hợp lệ",
        ] {
            assert!(r.stderr.contains(m), "{kind}: {m}: {}", r.stderr);
        }
        // A new date before the due instant that a pause moved is refused.
        let early = temp_file(
            &format!("p-early-{kind}.csv"),
            "code,unit_code,procedure_code,received_at,due_at,paused_days,apology_at,new_due_at\r\n\
             B3,SKHDT,P1,2021-03-01 08:00,2021-03-03 17:00,2,2021-03-02 08:00,2021-03-04 17:00\r\n",
        );
        let r = run(&url, &["dossiers", "import", &early]);
        assert_eq!(r.code, 1, "{kind}");
        assert!(
            r.stderr.contains(
                ":2: new_due_at: ngày hẹn lại 04/03/2021 17:00 không sau hạn trả 05/03/2021 17:00"
            ),
            "{kind}: {}",
            r.stderr
        );
        // Every other period of 2021 against the plain count, and the province's total.
        for kind_ in [
            parindex_domain::period::PeriodKind::Month(1),
            parindex_domain::period::PeriodKind::Month(3),
            parindex_domain::period::PeriodKind::Quarter(2),
            parindex_domain::period::PeriodKind::Half(1),
            parindex_domain::period::PeriodKind::Year,
        ] {
            let p = parindex_domain::period::Period::new(2021, kind_).unwrap();
            let start = format!("{} 00:00", p.from.to_iso());
            let end = format!(
                "{} 00:00",
                parindex_domain::schedule::from_days(p.to.days_since_epoch() + 1).to_iso()
            );
            let f = db.period_figures(None, p.from, p.to).await.unwrap();
            let got = f.counts();
            assert_eq!(got, count_period(&plain, &start, &end), "{kind}: {kind_:?}");
        }
    }
}

/// The cell of `key` on the row `row` of the period table (its shown number).
fn period_cell(page: &str, row: &str, key: &str) -> String {
    let tr = page
        .split(&format!(r#"<tr data-row="{row}""#))
        .nth(1)
        .unwrap_or_else(|| panic!("no row {row}"));
    let tr = tr.split("</tr>").next().unwrap();
    let td = tr
        .split(&format!(r#"data-key="{key}">"#))
        .nth(1)
        .unwrap_or_else(|| panic!("no cell {key}"));
    let td = td.split("</td>").next().unwrap();
    let text = td.rsplit("\">").next().unwrap();
    text.split('<').next().unwrap().to_string()
}

#[tokio::test]
async fn period_report_pages_lead_to_the_dossiers_behind_each_number() {
    use parindex_domain::period::{Period, PeriodKind, TABLE_COLUMNS};
    use parindex_domain::text::count_vi;
    for (db, _) in demo_dbs().await {
        let kind = db.kind();
        let app = parindex_web::router(crate::common::demo_state(db.clone()));
        let vp = sid(&sign_in(&app, "vp.skhdt", "parindex-demo").await);
        let stc = sid(&sign_in(&app, "vp.stc", "parindex-demo").await);
        let snv = sid(&sign_in(&app, "snv", "parindex-demo").await);

        // Reachable from the unit's statistics page.
        let stats = send(
            &app,
            "GET",
            "/units/SKHDT/dossiers?year=2020",
            &vp,
            &[],
            None,
        )
        .await;
        assert!(
            stats
                .body
                .contains(r#"href="/units/SKHDT/dossiers/report""#)
        );

        let q2 = Period::new(2020, PeriodKind::Quarter(2)).unwrap();
        let page = send(
            &app,
            "GET",
            "/units/SKHDT/dossiers/report?year=2020&period=q2",
            &vp,
            &[],
            None,
        )
        .await;
        assert_eq!(page.status, StatusCode::OK, "{kind}: {}", page.body);
        let p = &page.body;
        assert!(
            p.contains("quý II năm 2020 (15/03/2020 – 14/06/2020)"),
            "{kind}"
        );
        let total = db
            .period_figures(Some("SKHDT"), q2.from, q2.to)
            .await
            .unwrap();
        assert!(
            total.received_total() > 0 && total.carried_over > 0,
            "{total:?}"
        );
        let numbers = total.table_row();
        for (i, (key, _, _)) in TABLE_COLUMNS.iter().take(12).enumerate() {
            assert_eq!(
                period_cell(p, "*", key),
                count_vi(numbers[i]),
                "{kind}: {key}"
            );
            // Every number leads to exactly that many dossiers.
            let (n, _) = db
                .period_list(Some("SKHDT"), q2.from, q2.to, key, None, 1)
                .await
                .unwrap()
                .unwrap();
            assert_eq!(u64::try_from(n).unwrap(), numbers[i], "{kind}: {key}");
        }
        assert_eq!(
            period_cell(p, "*", "on_time_rate"),
            parindex_domain::text::decimal_vi(total.on_time_rate())
        );
        // One row per procedure with a dossier in the period; the rows add up to the total.
        let rows = db
            .period_figures_by(
                Some("SKHDT"),
                q2.from,
                q2.to,
                Some(parindex_db::PeriodRows::Procedure),
            )
            .await
            .unwrap();
        assert_eq!(p.matches("<tr data-row=").count(), 1 + rows.len(), "{kind}");
        let sum = rows.iter().fold(
            parindex_domain::period::PeriodFigures::default(),
            |a, (_, f)| a.plus(f),
        );
        assert_eq!(sum, total);
        // The late ones, followed from the page.
        let href = p
            .split(r#"<tr data-row="*""#)
            .nth(1)
            .unwrap()
            .split(r#"data-key="resolved_late"><a href=""#)
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap()
            .replace("&#38;", "&");
        let late = send(&app, "GET", &href, &vp, &[], None).await;
        assert_eq!(late.status, StatusCode::OK, "{href}");
        assert!(
            late.body.contains(&format!(
                r#"<strong id="total">{}</strong>"#,
                count_vi(total.resolved_late)
            )),
            "{kind}: {href}: {}",
            late.body
        );
        for row in late.body.split("<tr data-code=").skip(1) {
            assert!(row.contains(r#"class="late""#), "{row}");
        }
        // The same list as CSV: one line per dossier, each naming its unit.
        let late_csv = send(&app, "GET", &format!("{href}&format=csv"), &vp, &[], None).await;
        let body = late_csv.body.trim_start_matches('\u{feff}');
        let data: Vec<&str> = body.lines().skip(1).collect();
        assert_eq!(data.len() as u64, total.resolved_late, "{kind}");
        assert!(data.iter().all(|l| l.starts_with("SKHDT,")), "{body}");
        // Downloads: the table as XLSX, CSV with the contract's keys, DOCX with the figures.
        let csv = send(
            &app,
            "GET",
            "/units/SKHDT/dossiers/report?year=2020&period=q2&format=csv",
            &vp,
            &[],
            None,
        )
        .await;
        let csv_body = csv.body.trim_start_matches('\u{feff}');
        assert!(
            csv_body.starts_with("code,name,received_total,carried_over,"),
            "{csv_body}"
        );
        assert!(csv_body.contains(&format!("*,Tổng cộng,{},{}", numbers[0], numbers[1])));
        assert_eq!(csv_body.lines().count(), 2 + rows.len());
        let xlsx = send(
            &app,
            "GET",
            "/units/SKHDT/dossiers/report?year=2020&period=q2&format=xlsx",
            &vp,
            &[],
            None,
        )
        .await;
        assert!(xlsx.body.starts_with("PK"));
        let docx = app
            .clone()
            .oneshot_get_bytes(
                "/units/SKHDT/dossiers/report?year=2020&period=q2&format=docx",
                &vp,
            )
            .await;
        let text = parindex_reports::docx::docx_text(&docx).unwrap();
        assert!(text.contains("Tình hình, kết quả giải quyết thủ tục hành chính quý II năm 2020"));
        assert!(text.contains(&format!(
            "Tổng số hồ sơ nhận giải quyết: {}",
            count_vi(total.received_total())
        )));

        // Another unit's office sees neither the page nor its numbers.
        for uri in [
            "/units/SKHDT/dossiers/report?year=2020&period=q2",
            "/units/SKHDT/dossiers/report/list?year=2020&period=q2&key=resolved_late",
            "/units/SKHDT/dossiers/report?year=2020&period=q2&format=csv",
            "/dossiers/report?year=2020&period=q2",
        ] {
            let refused = send(&app, "GET", uri, &stc, &[], None).await;
            assert_eq!(refused.status, StatusCode::FORBIDDEN, "{kind}: {uri}");
            assert!(!refused.body.contains("data-row"), "{uri}");
            assert!(!refused.body.contains("Tổng cộng"), "{uri}");
        }
        // Nor does the unit's office see the province's table.
        let refused = send(&app, "GET", "/dossiers/report", &vp, &[], None).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN);

        // The province: one row per unit, each leading to its own report; bad input said.
        let year = Period::new(2020, PeriodKind::Year).unwrap();
        let prov = send(
            &app,
            "GET",
            "/dossiers/report?year=2020&period=year",
            &snv,
            &[],
            None,
        )
        .await;
        assert_eq!(prov.status, StatusCode::OK, "{}", prov.body);
        let all = db.period_figures(None, year.from, year.to).await.unwrap();
        assert_eq!(
            period_cell(&prov.body, "*", "resolved_total"),
            count_vi(all.resolved_total())
        );
        assert!(prov.body.contains(r#"<tr data-row="SKHDT">"#));
        assert!(
            prov.body
                .contains(r#"href="/units/SKHDT/dossiers/report?year=2020&#38;period=year""#)
        );
        let overdue = send(
            &app,
            "GET",
            "/dossiers/report/list?year=2020&period=year&key=pending_overdue",
            &snv,
            &[],
            None,
        )
        .await;
        assert!(overdue.body.contains(&format!(
            r#"<strong id="total">{}</strong>"#,
            count_vi(all.pending_overdue)
        )));
        // Codes are unique per unit only: the province's list names each dossier's unit.
        assert!(overdue.body.contains("<td>SKHDT</td>"), "{}", overdue.body);
        let bad = send(
            &app,
            "GET",
            "/dossiers/report?year=2020&period=q9",
            &snv,
            &[],
            None,
        )
        .await;
        assert_eq!(bad.status, StatusCode::BAD_REQUEST);
        assert!(
            bad.body.contains("Kỳ báo cáo “q9” không có"),
            "{}",
            bad.body
        );
    }
}

#[tokio::test]
async fn the_catalogue_by_field_and_figures_of_one_field() {
    for (db, url) in demo_dbs().await {
        let kind = db.kind();
        let app = parindex_web::router(crate::common::demo_state(db.clone()));
        let vp = sid(&sign_in(&app, "vp.skhdt", "parindex-demo").await);
        let stc = sid(&sign_in(&app, "vp.stc", "parindex-demo").await);
        let stats = send(
            &app,
            "GET",
            "/units/SKHDT/dossiers?year=2020",
            &vp,
            &[],
            None,
        )
        .await;
        assert!(stats.body.contains(r#"href="/units/SKHDT/procedures""#));
        let page = send(
            &app,
            "GET",
            "/units/SKHDT/procedures?year=2020",
            &vp,
            &[],
            None,
        )
        .await;
        assert_eq!(page.status, StatusCode::OK, "{kind}: {}", page.body);
        let p = &page.body;
        let cell = |fig: &str| {
            p.split(&format!(r#"<tr data-figure="{fig}"><td>"#))
                .nth(1)
                .unwrap()
                .split(r#"<td class="num">"#)
                .nth(1)
                .unwrap()
                .split('<')
                .next()
                .unwrap()
                .to_string()
        };
        // The sample catalogue: three procedures fully online, two partly, one not.
        assert_eq!(cell("total"), "6", "{kind}");
        assert_eq!(cell("full"), "3");
        assert_eq!(cell("online"), "5");
        assert_eq!(cell("postal"), "5");
        assert!(p.contains("<h2>Đầu tư tại Việt Nam</h2>"));
        assert!(p.contains("<code>dossiers.on_time_rate[field=dau-tu-tai-viet-nam]</code>"));
        assert_eq!(p.matches("<tr data-procedure=").count(), 6);
        // The online share over the procedures offered online, against the rows.
        let (from, to) = (
            parindex_domain::text::Date::parse("2020-01-01").unwrap(),
            parindex_domain::text::Date::parse("2020-12-31").unwrap(),
        );
        let as_of = parindex_domain::calendar::Instant::parse("2026-12-01 00:00").unwrap();
        let by_procedure = db
            .dossier_figures_by(
                Some("SKHDT"),
                from,
                to,
                as_of,
                parindex_db::Breakdown::Procedure,
            )
            .await
            .unwrap();
        let online_codes = [
            "SKHDT-DN-01",
            "SKHDT-DN-02",
            "SKHDT-DN-03",
            "SKHDT-DT-01",
            "SKHDT-DT-02",
        ];
        let (mut online, mut received) = (0u64, 0u64);
        for (code, f) in &by_procedure {
            if online_codes.contains(&code.as_str()) {
                online += f.online;
                received += f.received;
            }
        }
        assert!(received > 0);
        assert_eq!(
            cell("online-share"),
            format!(
                "{}%",
                parindex_domain::text::decimal_vi(parindex_domain::dossiers::rate(
                    online, received
                ))
            )
        );
        // The figures of one field: the sum of its procedures', not the unit's.
        let field = db
            .dossier_figures_in(Some("SKHDT"), from, to, as_of, Some("dau-tu-tai-viet-nam"))
            .await
            .unwrap();
        let mut want = parindex_domain::dossiers::Figures::default();
        for (code, f) in &by_procedure {
            if code.starts_with("SKHDT-DT-") {
                want.merge(f);
            }
        }
        assert_eq!(field, want, "{kind}");
        let all = db
            .dossier_figures(Some("SKHDT"), from, to, as_of)
            .await
            .unwrap();
        assert!(field.received < all.received && field.received > 0);
        let none = db
            .dossier_figures_in(Some("SKHDT"), from, to, as_of, Some("khong-co"))
            .await
            .unwrap();
        assert_eq!(none.received, 0);
        // Another unit's office is refused, with nothing of the catalogue.
        let refused = send(&app, "GET", "/units/SKHDT/procedures", &stc, &[], None).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN);
        assert!(!refused.body.contains("SKHDT-DT-01"));
        // The province's catalogue: every unit's procedures counted together.
        let procs = crate::common::temp_file(
            "stc-procedures.csv",
            "code,name,unit_code,limit_days,internal_days,online_level,postal,field\nSTC-NS-01,Thẩm tra quyết toán (mẫu),STC,20,,full,yes,Ngân sách\nSTC-NS-02,Cấp mã số đơn vị có quan hệ với ngân sách (mẫu),STC,2,,partial,no,Ngân sách\n",
        );
        assert_eq!(
            crate::common::run(&url, &["procedures", "import", &procs]).code,
            0
        );
        let snv = sid(&sign_in(&app, "snv", "parindex-demo").await);
        let stats = send(&app, "GET", "/dossiers?year=2020", &snv, &[], None).await;
        assert!(
            stats.body.contains(r#"href="/procedures""#),
            "{kind}: linked"
        );
        let province = send(&app, "GET", "/procedures?year=2020", &snv, &[], None).await;
        assert_eq!(province.status, StatusCode::OK, "{kind}: {}", province.body);
        let share = cell("online-share");
        let p = &province.body;
        let cell = |fig: &str| {
            p.split(&format!(r#"<tr data-figure="{fig}"><td>"#))
                .nth(1)
                .unwrap()
                .split(r#"<td class="num">"#)
                .nth(1)
                .unwrap()
                .split('<')
                .next()
                .unwrap()
                .to_string()
        };
        assert_eq!(cell("total"), "8", "{kind}");
        assert_eq!(cell("full"), "4", "{kind}");
        assert_eq!(cell("online"), "7");
        assert_eq!(cell("postal"), "6");
        // STC has no dossiers: the province's share is SKHDT's.
        assert_eq!(cell("online-share"), share, "{kind}");
        let row = |unit: &str| {
            p.split(&format!(r#"<tr data-unit="{unit}">"#))
                .nth(1)
                .and_then(|r| r.split("</tr>").next())
                .unwrap_or_default()
                .to_string()
        };
        assert!(
            row("STC").contains(r#"<td class="num">2</td><td class="num">1</td>"#),
            "{}",
            row("STC")
        );
        assert!(row("SKHDT").contains(r#"<td class="num">6</td><td class="num">3</td>"#));
        let full = p.split(r#"id="full-list""#).nth(1).unwrap_or_default();
        assert_eq!(full.matches("<tr data-procedure=").count(), 4, "{kind}");
        assert!(full.contains("STC-NS-01") && !full.contains("STC-NS-02"));
        let refused = send(&app, "GET", "/procedures", &vp, &[], None).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "{kind}");
        assert!(!refused.body.contains("STC-NS-01"));
    }
}

/// The figures of KBNN's dossiers received in 2021.
async fn kbnn_2021(db: &parindex_db::Db) -> parindex_domain::dossiers::Figures {
    db.dossier_figures(
        Some("KBNN"),
        parindex_domain::text::Date::parse("2021-01-01").unwrap(),
        parindex_domain::text::Date::parse("2021-12-31").unwrap(),
        parindex_domain::calendar::Instant::parse("2022-01-01 00:00").unwrap(),
    )
    .await
    .unwrap()
}

#[tokio::test]
async fn limits_in_calendar_days_and_working_hours_set_the_due_instant() {
    use crate::common::{run, temp_file};
    for (db, url) in parindex_db::testkit::each_db().await {
        let kind = db.kind();
        let units = temp_file(
            &format!("l-units-{kind}.csv"),
            "code,name,parent_code,kind,group\nKBNN,Kho bạc Nhà nước tỉnh,,so,so\n",
        );
        assert_eq!(run(&url, &["units", "import", &units]).code, 0);
        let procs = temp_file(
            &format!("l-procs-{kind}.csv"),
            "\u{feff}code,name,unit_code,limit_days,limit_unit,field\r\n\
             H8,Kiểm soát chi điện tử,KBNN,8,giờ làm việc,Kho bạc\r\n\
             C5,Đăng ký mẫu dấu,KBNN,5,calendar_days,Kho bạc\r\n\
             W2,Cấp mã quan hệ ngân sách,KBNN,2,,Kho bạc\r\n",
        );
        let r = run(&url, &["procedures", "import", &procs]);
        assert_eq!(r.code, 0, "{kind}: {}", r.stderr);
        let csv = temp_file(
            &format!("l-dossiers-{kind}.csv"),
            "code,unit_code,procedure_code,received_at,paused_days,finished_at\r\n\
             D1,KBNN,H8,2021-03-01 09:15,,2021-03-01 15:00\r\n\
             D2,KBNN,C5,2021-02-05 09:00,,2021-02-08 10:00\r\n\
             D3,KBNN,W2,2021-03-05 16:00,,2021-03-08 10:00\r\n\
             D4,KBNN,H8,2021-03-05 16:00,1,\r\n",
        );
        let r = run(&url, &["dossiers", "import", &csv]);
        assert_eq!(r.code, 0, "{kind}: {}", r.stderr);
        for (code, due) in [
            // Eight working hours: 2h15 on Monday morning, 3h30 after lunch, 2h15 on Tuesday.
            ("D1", "2021-03-02 09:45"),
            // Five calendar days end on a Tết holiday: the next working day.
            ("D2", "2021-02-17 09:00"),
            // Two working days, the usual way.
            ("D3", "2021-03-09 16:00"),
            // Eight working hours from Friday 16:00 (1h, then Monday 4h and 3h: 16:30),
            // then one paused working day.
            ("D4", "2021-03-09 16:30"),
        ] {
            let d = db.dossier("KBNN", code).await.unwrap().unwrap();
            assert_eq!(d.line.due_at, due, "{kind}: {code}");
        }
        // The average limit of the finished dossiers is in working days: 8 working hours
        // are one, 5 calendar days four (five in seven, rounded up), then two: 7 / 3.
        let year = kbnn_2021(&db).await;
        assert_eq!(
            (year.timed, year.avg_limit_days()),
            (3, "2.33".to_string()),
            "{kind}"
        );
        // The same sums when the unit's rollups are rebuilt from its dossiers (a re-import).
        let r = run(&url, &["dossiers", "import", &csv]);
        assert_eq!(r.code, 0, "{kind}: {}", r.stderr);
        let again = kbnn_2021(&db).await;
        assert_eq!(again.avg_limit_days(), "2.33", "{kind}");
        let bad = temp_file(
            &format!("l-bad-{kind}.csv"),
            "code,name,unit_code,limit_days,limit_unit\nB1,X,KBNN,3,minutes\n",
        );
        let r = run(&url, &["procedures", "import", &bad]);
        assert_eq!(r.code, 1);
        assert!(
            r.stderr.contains(":2: limit_unit: `minutes` không hợp lệ"),
            "{}",
            r.stderr
        );
    }
}

#[tokio::test]
async fn a_unit_with_its_own_calendar_counts_its_saturdays() {
    use crate::common::{run, temp_file};
    for (db, url) in parindex_db::testkit::each_db().await {
        let kind = db.kind();
        let units = temp_file(
            &format!("c-units-{kind}.csv"),
            "code,name,parent_code,kind,group\nTTHC,Trung tâm Phục vụ hành chính công,,so,so\nSXD,Sở Xây dựng,,so,so\n",
        );
        assert_eq!(run(&url, &["units", "import", &units]).code, 0);
        let procs = temp_file(
            &format!("c-procs-{kind}.csv"),
            "code,name,unit_code,limit_days\nT1,Chứng thực bản sao,TTHC,1\nX1,Cấp phép xây dựng,SXD,1\n",
        );
        assert_eq!(run(&url, &["procedures", "import", &procs]).code, 0);
        // The centre works on Saturdays (only Sunday off).
        let cal = temp_file(
            &format!("c-cal-{kind}.yaml"),
            "name: \"Trung tâm — làm việc thứ Bảy\"\r\nyears: 2021..2021\r\nweekend: [sun]\r\nhours:\r\n  - \"07:30-11:30\"\r\n  - \"13:30-17:00\"\r\n",
        );
        let r = run(
            &url,
            &[
                "calendar",
                "unit",
                "--unit",
                "TTHC",
                &cal,
                "--reason",
                "QĐ số 12/QĐ-UBND",
            ],
        );
        assert_eq!(r.code, 0, "{kind}: {}", r.stderr);
        let bad = temp_file(&format!("c-bad-{kind}.yaml"), "weekend: [caturday]\n");
        let r = run(&url, &["calendar", "unit", "--unit", "TTHC", &bad]);
        assert_eq!(r.code, 1, "{}", r.stderr);
        assert!(r.stderr.contains("c-bad"), "{}", r.stderr);
        let csv = temp_file(
            &format!("c-dossiers-{kind}.csv"),
            "code,unit_code,procedure_code,received_at\n\
             A,TTHC,T1,2021-03-05 09:00\n\
             B,SXD,X1,2021-03-05 09:00\n",
        );
        let r = run(&url, &["dossiers", "import", &csv]);
        assert_eq!(r.code, 0, "{kind}: {}", r.stderr);
        // Friday plus one working day: Saturday at the centre, Monday elsewhere.
        let a = db.dossier("TTHC", "A").await.unwrap().unwrap();
        assert_eq!(a.line.due_at, "2021-03-06 09:00", "{kind}");
        let b = db.dossier("SXD", "B").await.unwrap().unwrap();
        assert_eq!(b.line.due_at, "2021-03-08 09:00", "{kind}");
        let audit = db.audit_history("calendar").await.unwrap();
        assert!(
            audit.iter().any(|e| e.entry.entity == "calendar/TTHC"),
            "{kind}"
        );
        // On the calendar page: each unit's calendar, chosen from a list.
        crate::auth::add_user(&db, "tk", parindex_domain::access::Role::Secretariat, None).await;
        let app = parindex_web::router(crate::common::demo_state(db.clone()));
        let tk = sid(&sign_in(&app, "tk", "mat-khau-thu-nghiem").await);
        let centre = send(&app, "GET", "/calendar?year=2021&unit=TTHC", &tk, &[], None).await;
        assert_eq!(centre.status, StatusCode::OK, "{kind}");
        assert!(
            centre
                .body
                .contains(r#"<td class="day work" data-date="2021-03-06">6</td>"#),
            "{kind}"
        );
        assert!(
            centre
                .body
                .contains("Lịch riêng của Trung tâm Phục vụ hành chính công")
        );
        assert!(centre.body.contains(r#"id="clear-unit-calendar""#));
        let other = send(&app, "GET", "/calendar?year=2021&unit=SXD", &tk, &[], None).await;
        assert!(
            other
                .body
                .contains(r#"<td class="day weekend" data-date="2021-03-06">6</td>"#),
            "{kind}"
        );
        assert!(other.body.contains("theo lịch chung của tỉnh"));
        let missing = send(&app, "GET", "/calendar?unit=NOPE", &tk, &[], None).await;
        assert_eq!(missing.status, StatusCode::NOT_FOUND, "{kind}");
        let csrf = centre.hidden("csrf");
        let origin = Some("http://127.0.0.1:8080");
        // Saved for SXD from the page (a slip first: shown again, nothing saved).
        let sat = std::fs::read_to_string(&cal).unwrap();
        let slip = send(
            &app,
            "POST",
            "/calendar",
            &tk,
            &[
                ("csrf", &csrf),
                ("unit", "SXD"),
                ("yaml", "weekend: [caturday]"),
                ("reason", "thử"),
                ("year", "2021"),
            ],
            origin,
        )
        .await;
        assert_eq!(slip.status, StatusCode::UNPROCESSABLE_ENTITY, "{kind}");
        assert!(slip.body.contains("caturday") && slip.body.contains(r#"name="unit" value="SXD""#));
        let saved = send(
            &app,
            "POST",
            "/calendar",
            &tk,
            &[
                ("csrf", &csrf),
                ("unit", "SXD"),
                ("yaml", &sat),
                ("reason", "QĐ 13/QĐ-UBND"),
                ("year", "2021"),
            ],
            origin,
        )
        .await;
        assert_eq!(
            saved.status,
            StatusCode::SEE_OTHER,
            "{kind}: {}",
            saved.body
        );
        assert_eq!(
            saved.headers[axum::http::header::LOCATION],
            "/calendar?year=2021&unit=SXD"
        );
        assert!(
            db.unit_calendars().await.unwrap().contains_key("SXD"),
            "{kind}"
        );
        let audit = db.audit_history("calendar/SXD").await.unwrap();
        assert_eq!(
            audit.last().unwrap().entry.reason.as_deref(),
            Some("QĐ 13/QĐ-UBND")
        );
        // Cleared from the page: the centre follows the province again.
        let cleared = send(
            &app,
            "POST",
            "/calendar",
            &tk,
            &[
                ("csrf", &csrf),
                ("unit", "TTHC"),
                ("clear", "yes"),
                ("yaml", ""),
                ("reason", "Hết làm thứ Bảy"),
                ("year", "2021"),
            ],
            origin,
        )
        .await;
        assert_eq!(
            cleared.status,
            StatusCode::SEE_OTHER,
            "{kind}: {}",
            cleared.body
        );
        assert!(
            !db.unit_calendars().await.unwrap().contains_key("TTHC"),
            "{kind}"
        );
        let r = run(&url, &["calendar", "unit", "--unit", "SXD", "--clear"]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        assert!(db.unit_calendars().await.unwrap().is_empty());
        let r = run(&url, &["calendar", "unit", "--unit", "NOPE", &cal]);
        assert_eq!(r.code, 1);
    }
}
