//! Evidence uploads: real multipart bodies through the router, files really written to a
//! store folder and read back; size and type limits, path characters, duplicates, reuse,
//! revisions, completeness before submission — on SQLite and PostgreSQL.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use parindex_domain::access::Role;
use tower::ServiceExt;

use crate::auth::{add_user, send, send_multipart as post_multipart, sign_in};
use crate::common::{data, run, temp_file};

const ORIGIN: Option<&str> = Some("http://127.0.0.1:8080");

fn pdf(text: &str) -> Vec<u8> {
    format!("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n% {text}\n%%EOF\n").into_bytes()
}

fn files_in(dir: &std::path::Path) -> usize {
    walk(dir).len()
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else {
                out.push(p);
            }
        }
    }
    out
}

#[tokio::test]
async fn uploads_are_limited_typed_deduplicated_and_read_back() {
    for (db, url) in parindex_db::testkit::each_db().await {
        let kind = db.kind();
        // The example set, with I.1.1 expecting evidence.
        let yaml = std::fs::read_to_string(data("example-so-2020.yaml")).unwrap().replacen(
            "            name: \"Ban hành kế hoạch CCHC năm\"\n",
            "            name: \"Ban hành kế hoạch CCHC năm\"\n            evidence: \"Kế hoạch CCHC năm\"\n",
            1,
        );
        assert!(yaml.contains("evidence:"));
        let set_file = temp_file(&format!("ev-set-{kind}.yaml"), &yaml);
        assert_eq!(run(&url, &["criteria", "import", &set_file]).code, 0);
        let units = temp_file(
            "ev-units.csv",
            "code,name,parent_code,kind,group\nSKHDT,Sở Kế hoạch và Đầu tư,,so,so\nSTC,Sở Tài chính,,so,so\n",
        );
        assert_eq!(run(&url, &["units", "import", &units]).code, 0);
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
        add_user(&db, "vp1", Role::Focal, Some("SKHDT")).await;
        add_user(&db, "gd", Role::Leader, Some("SKHDT")).await;
        add_user(&db, "stc", Role::Focal, Some("STC")).await;

        let store =
            std::env::temp_dir().join(format!("parindex-files-{}-{kind}", std::process::id()));
        let _ = std::fs::remove_dir_all(&store);
        let mut state = crate::common::demo_state(db.clone());
        state.files = Arc::new(parindex_services::files::FileStore::new(&store));
        state.upload_limit = 16 * 1024;
        let app = parindex_web::router(state);
        let pw = "mat-khau-thu-nghiem";
        let vp1 = format!(
            "sid={}",
            sign_in(&app, "vp1", pw).await.cookie_value("sid").unwrap()
        );
        let gd = format!(
            "sid={}",
            sign_in(&app, "gd", pw).await.cookie_value("sid").unwrap()
        );
        let stc = format!(
            "sid={}",
            sign_in(&app, "stc", pw).await.cookie_value("sid").unwrap()
        );
        let page = "/sets/example-so-2020/units/SKHDT/assess";
        let csrf = send(&app, "GET", page, &vp1, &[], None)
            .await
            .hidden("csrf");
        let up = |code: &str| format!("/sets/example-so-2020/units/SKHDT/leaves/{code}/evidence");

        // A PDF with its document metadata; the name's folders are dropped.
        let plan = pdf("Ke hoach 23/KH-SKHDT");
        let meta = [
            ("csrf", csrf.as_str()),
            ("title", "Kế hoạch CCHC năm 2020"),
            ("doc_number", "23/KH-SKHĐT"),
            ("doc_date", "22/12/2019"),
            ("issuer", "Sở Kế hoạch và Đầu tư"),
            ("signer", "Giám đốc Sở"),
            ("doc_type", "Kế hoạch"),
        ];
        let r = post_multipart(
            &app,
            &up("I.1.1"),
            &vp1,
            &meta,
            Some(("../../etc/Kế hoạch.pdf", &plan)),
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{kind}: {}", r.body);
        let stored = walk(&store);
        assert_eq!(stored.len(), 1, "{stored:?}");
        assert!(stored[0].starts_with(&store), "kept inside the store");
        assert_eq!(std::fs::read(&stored[0]).unwrap(), plan);
        let body = send(&app, "GET", page, &vp1, &[], None).await.body;
        let file_id: i64 = body
            .split("/evidence/files/")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        assert!(
            body.contains("Kế hoạch.pdf (bản 1)") && body.contains("23/KH-SKHĐT · 22/12/2019"),
            "{body}"
        );
        assert!(
            body.contains("ngoài năm đánh giá"),
            "dated 2019 for the 2020 set"
        );

        // Read back: the exact bytes, typed by content, inline; never for another unit.
        let req = Request::get(format!("/evidence/files/{file_id}"))
            .header(header::COOKIE, &vp1)
            .body(Body::empty())
            .unwrap();
        let res = app.clone().oneshot(req).await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(res.headers()[header::CONTENT_TYPE], "application/pdf");
        assert!(
            res.headers()[header::CONTENT_DISPOSITION]
                .to_str()
                .unwrap()
                .starts_with("inline;")
        );
        assert_eq!(
            res.into_body().collect().await.unwrap().to_bytes().to_vec(),
            plan
        );
        assert_eq!(
            send(
                &app,
                "GET",
                &format!("/evidence/files/{file_id}"),
                &stc,
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
                &format!("/evidence/files/{file_id}"),
                "",
                &[],
                None
            )
            .await
            .status,
            StatusCode::SEE_OTHER
        );

        // The self-assessment report cites the evidence under its leaf, as DOCX and PDF;
        // another unit's focal point gets none of it.
        let report = |format: &str, cookie: &str| {
            let req = Request::get(format!("{page}?format={format}"))
                .header(header::COOKIE, cookie)
                .body(Body::empty())
                .unwrap();
            let app = app.clone();
            async move {
                let res = app.oneshot(req).await.unwrap();
                let status = res.status();
                let ctype = res
                    .headers()
                    .get(header::CONTENT_TYPE)
                    .map(|v| v.to_str().unwrap().to_string())
                    .unwrap_or_default();
                let bytes = res.into_body().collect().await.unwrap().to_bytes().to_vec();
                (status, ctype, bytes)
            }
        };
        let cited =
            "Số 23/KH-SKHĐT ngày 22/12/2019 của Sở Kế hoạch và Đầu tư: Kế hoạch CCHC năm 2020";
        let (status, ctype, docx) = report("docx", &vp1).await;
        assert_eq!(status, StatusCode::OK, "{kind}");
        assert!(ctype.contains("wordprocessingml"), "{ctype}");
        let text = parindex_reports::docx::docx_text(&docx).unwrap();
        assert!(text.contains(cited), "{text}");
        assert!(text.contains("SỞ KẾ HOẠCH VÀ ĐẦU TƯ"));
        if crate::common::poppler() {
            let (status, ctype, pdf) = report("pdf", &vp1).await;
            assert_eq!(
                (status, ctype.as_str()),
                (StatusCode::OK, "application/pdf")
            );
            crate::common::assert_fonts_embedded(&pdf);
            let words = parindex_documents::readback::pdf_words(&pdf).unwrap();
            assert!(words.contains(cited), "{words}");
        }
        let (status, _, refused) = report("docx", &stc).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let refused = String::from_utf8_lossy(&refused);
        assert!(!refused.contains("23/KH-SKHĐT") && !refused.contains("Kế hoạch CCHC năm 2020"));
        let (status, _, _) = report("odt", &vp1).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);

        // Too large: 413, nothing stored, no temporary file left.
        let big = pdf(&"x".repeat(20_000));
        let r = post_multipart(
            &app,
            &up("I.1.2"),
            &vp1,
            &[("csrf", &csrf)],
            Some(("lon.pdf", &big)),
        )
        .await;
        assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", r.body);
        assert_eq!(files_in(&store), 1);
        assert_eq!(db.count_evidence_files().await.unwrap(), 1);

        // A renamed executable: 415, nothing stored.
        let exe = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00This program cannot be run in DOS mode.";
        let r = post_multipart(
            &app,
            &up("I.1.2"),
            &vp1,
            &[("csrf", &csrf)],
            Some(("bao-cao.pdf", exe)),
        )
        .await;
        assert_eq!(r.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
        assert_eq!(files_in(&store), 1);

        // An XLSX is recognised by its content (a ZIP with a workbook) and downloaded.
        let mut table = parindex_reports::Table::new("Thống kê", &["Tháng", "Số tin"]);
        table
            .rows
            .push(vec!["1".into(), parindex_reports::Cell::Int(12)]);
        let xlsx = table.to_xlsx().unwrap();
        let r = post_multipart(
            &app,
            &up("I.1.3"),
            &vp1,
            &[("csrf", &csrf), ("title", "Thống kê tin bài")],
            Some(("thong-ke.pdf", &xlsx)),
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let body = send(&app, "GET", page, &vp1, &[], None).await.body;
        let ids: Vec<i64> = body
            .split("/evidence/files/")
            .skip(1)
            .filter_map(|r| r.split('"').next()?.parse().ok())
            .collect();
        let newest = *ids.iter().max().unwrap();
        let req = Request::get(format!("/evidence/files/{newest}"))
            .header(header::COOKIE, &vp1)
            .body(Body::empty())
            .unwrap();
        let res = app.clone().oneshot(req).await.unwrap();
        assert_eq!(
            res.headers()[header::CONTENT_TYPE],
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        );
        assert!(
            res.headers()[header::CONTENT_DISPOSITION]
                .to_str()
                .unwrap()
                .starts_with("attachment;")
        );
        assert_eq!(files_in(&store), 2);

        // The same file again is detected; reusing the evidence is the way.
        let r = post_multipart(
            &app,
            &up("I.8.4"),
            &vp1,
            &[("csrf", &csrf)],
            Some(("ban-sao.pdf", &plan)),
        )
        .await;
        assert_eq!(r.status, StatusCode::CONFLICT);
        assert!(
            r.body.contains("đã có trong tài liệu kiểm chứng"),
            "{}",
            r.body
        );
        let evidence_id = body
            .split("data-evidence=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap()
            .to_string();
        let r = send(
            &app,
            "POST",
            "/sets/example-so-2020/units/SKHDT/leaves/I.8.4/link",
            &vp1,
            &[("csrf", &csrf), ("evidence_id", &evidence_id)],
            ORIGIN,
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        let r = send(
            &app,
            "POST",
            "/sets/example-so-2020/units/STC/leaves/I.8.4/link",
            &stc,
            &[("csrf", "x"), ("evidence_id", &evidence_id)],
            ORIGIN,
        )
        .await;
        assert_eq!(
            r.status,
            StatusCode::FORBIDDEN,
            "another unit cannot take it"
        );
        // Without the form token nothing is stored.
        let r = post_multipart(
            &app,
            &up("I.1.3"),
            &vp1,
            &[("csrf", "wrong")],
            Some(("khac.pdf", &pdf("khac"))),
        )
        .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        assert_eq!(files_in(&store), 2);

        // A new revision keeps the old one.
        let v2 = pdf("Ke hoach 23/KH-SKHDT (ban sua)");
        let r = post_multipart(
            &app,
            &format!("/evidence/{evidence_id}/files"),
            &vp1,
            &[("csrf", &csrf), ("back", page)],
            Some(("Kế hoạch v2.pdf", &v2)),
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let body = send(&app, "GET", page, &vp1, &[], None).await.body;
        assert!(body.contains("Kế hoạch v2.pdf (bản 2)") && body.contains("Kế hoạch.pdf (bản 1)"));
        assert_eq!(files_in(&store), 3);

        // Submission waits for evidence dated in the year (or a note that explains).
        for (code, input) in [
            ("I.1.1", "Kịp thời"),
            ("I.1.2", "100"),
            ("I.1.3", "0"),
            ("I.8.4", "100"),
            ("II.1", "9"),
        ] {
            let r = send(
                &app,
                "POST",
                &format!("/sets/example-so-2020/units/SKHDT/leaves/{code}"),
                &vp1,
                &[
                    ("csrf", &csrf),
                    ("revision", "0"),
                    ("action", "self"),
                    ("input", input),
                ],
                ORIGIN,
            )
            .await;
            assert_eq!(r.status, StatusCode::SEE_OTHER, "{code}");
        }
        let gd_csrf = send(&app, "GET", page, &gd, &[], None).await.hidden("csrf");
        let r = send(
            &app,
            "POST",
            "/sets/example-so-2020/units/SKHDT/submit",
            &gd,
            &[("csrf", &gd_csrf)],
            ORIGIN,
        )
        .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        let summary = r
            .body
            .split(r#"id="error-summary""#)
            .nth(1)
            .and_then(|r| r.split("</div>").next())
            .unwrap_or_default();
        assert!(
            summary.contains("I.1.1</span>: tài liệu kiểm chứng")
                && summary.contains("ngoài năm đánh giá 2020"),
            "{summary}"
        );
        let r = send(
            &app,
            "POST",
            "/sets/example-so-2020/units/SKHDT/leaves/I.1.1",
            &vp1,
            &[
                ("csrf", &csrf),
                ("revision", "1"),
                ("action", "self"),
                ("input", "Kịp thời"),
                ("note", "Kế hoạch năm 2020 ban hành cuối năm 2019, đúng hạn"),
            ],
            ORIGIN,
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        // The same evidence also backs I.8.4, where it still needs explaining.
        let r = send(
            &app,
            "POST",
            "/sets/example-so-2020/units/SKHDT/submit",
            &gd,
            &[("csrf", &gd_csrf)],
            ORIGIN,
        )
        .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        let summary = r
            .body
            .split(r#"id="error-summary""#)
            .nth(1)
            .and_then(|r| r.split("</div>").next())
            .unwrap_or_default();
        assert!(
            summary.contains("I.8.4</span>: tài liệu kiểm chứng") && !summary.contains("I.1.1"),
            "{summary}"
        );
        let r = send(
            &app,
            "POST",
            "/sets/example-so-2020/units/SKHDT/leaves/I.8.4",
            &vp1,
            &[
                ("csrf", &csrf),
                ("revision", "1"),
                ("action", "self"),
                ("input", "100"),
                ("note", "Dùng chung kế hoạch năm"),
            ],
            ORIGIN,
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        let r = send(
            &app,
            "POST",
            "/sets/example-so-2020/units/SKHDT/submit",
            &gd,
            &[("csrf", &gd_csrf), ("confirm", "yes")],
            ORIGIN,
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let actions: Vec<String> = db
            .audit_history(&format!("evidence/{evidence_id}"))
            .await
            .unwrap()
            .into_iter()
            .map(|r| r.entry.action)
            .collect();
        assert_eq!(actions, ["evidence.create", "evidence.revision"]);
        let _ = std::fs::remove_dir_all(&store);
    }
}
