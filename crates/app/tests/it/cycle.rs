//! The yearly cycle end to end over HTTP: self-assessment with a conflict, submission,
//! appraisal with reasons, explanation, answer, publication — on SQLite and PostgreSQL.

use axum::http::StatusCode;
use parindex_domain::access::Role;

use crate::auth::{add_user, send, sid, sign_in};
use crate::common::{data, run, temp_file};

const ORIGIN: Option<&str> = Some("http://127.0.0.1:8080");

#[tokio::test]
async fn self_assessment_appraisal_explanation_publication() {
    for (db, url) in parindex_db::testkit::each_db().await {
        let kind = db.kind();
        assert_eq!(
            run(&url, &["criteria", "import", &data("example-so-2020.yaml")]).code,
            0
        );
        let units = temp_file(
            "cycle-units.csv",
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
        add_user(&db, "vp2", Role::Focal, Some("SKHDT")).await;
        add_user(&db, "gd", Role::Leader, Some("SKHDT")).await;
        add_user(&db, "stc", Role::Focal, Some("STC")).await;
        add_user(&db, "td", Role::Appraiser, None).await;
        let fresh = || parindex_web::router(crate::common::demo_state(db.clone()));
        let app = fresh();
        let pw = "mat-khau-thu-nghiem";
        let vp1 = sid(&sign_in(&app, "vp1", pw).await);
        let vp2 = sid(&sign_in(&app, "vp2", pw).await);
        let gd = sid(&sign_in(&app, "gd", pw).await);
        let stc = sid(&sign_in(&app, "stc", pw).await);
        let td = sid(&sign_in(&app, "td", pw).await);
        let page = "/sets/example-so-2020/units/SKHDT/assess";
        let leaf = |code: &str| format!("/sets/example-so-2020/units/SKHDT/leaves/{code}");

        let form = send(&app, "GET", page, &vp1, &[], None).await;
        assert_eq!(form.status, StatusCode::OK, "{kind}");
        assert_eq!(
            form.body.matches(r#"name="action" value="self""#).count(),
            5
        );
        assert!(form.body.contains(r#"<dd id="scored">0/5</dd>"#));
        let csrf1 = form.hidden("csrf");
        let csrf2 = send(&app, "GET", page, &vp2, &[], None)
            .await
            .hidden("csrf");
        assert_eq!(
            send(&app, "GET", page, &stc, &[], None).await.status,
            StatusCode::FORBIDDEN,
            "another unit"
        );

        // Two focal points save the same leaf from the same revision: the second gets a conflict.
        let saved = send(
            &app,
            "POST",
            &leaf("I.1.1"),
            &vp1,
            &[
                ("csrf", &csrf1),
                ("revision", "0"),
                ("action", "self"),
                ("input", "Kịp thời"),
                ("note", "Kế hoạch 23/KH-SKHĐT"),
            ],
            ORIGIN,
        )
        .await;
        assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
        let clash = send(
            &app,
            "POST",
            &leaf("I.1.1"),
            &vp2,
            &[
                ("csrf", &csrf2),
                ("revision", "0"),
                ("action", "self"),
                ("input", "Chậm"),
            ],
            ORIGIN,
        )
        .await;
        assert_eq!(clash.status, StatusCode::CONFLICT);
        assert!(
            clash.body.contains("vp1")
                && clash.body.contains("Kịp thời")
                && clash.body.contains("Chậm"),
            "{}",
            clash.body
        );
        let bad = send(
            &app,
            "POST",
            &leaf("I.1.2"),
            &vp1,
            &[
                ("csrf", &csrf1),
                ("revision", "0"),
                ("action", "self"),
                ("input", "nhiều"),
            ],
            ORIGIN,
        )
        .await;
        // The same page again, with what was typed and the message by the field.
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(bad.body.contains("không phải là số"), "{}", bad.body);
        assert!(bad.body.contains(r#"value="nhiều""#), "{}", bad.body);
        assert!(bad.body.contains(r#"aria-invalid="true""#), "{}", bad.body);
        assert!(!bad.body.contains('`'), "no backticks: {}", bad.body);
        // On an English page, in English: what the criterion's rule accepts.
        let bad_en = send(
            &app,
            "POST",
            &leaf("I.1.2"),
            &format!("{vp1}; lang=en"),
            &[
                ("csrf", &csrf1),
                ("revision", "0"),
                ("action", "self"),
                ("input", "nhiều"),
            ],
            ORIGIN,
        )
        .await;
        assert_eq!(bad_en.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            bad_en
                .body
                .contains("“nhiều” is not accepted here (maximum 2; ≥ 100 → 2"),
            "{}",
            bad_en.body
        );
        assert!(!bad_en.body.contains("không phải là số"));

        // The leader cannot submit while leaves are missing.
        let gd_csrf = send(&app, "GET", page, &gd, &[], None).await.hidden("csrf");
        let early = send(
            &app,
            "POST",
            "/sets/example-so-2020/units/SKHDT/submit",
            &gd,
            &[("csrf", &gd_csrf)],
            ORIGIN,
        )
        .await;
        // Every gap at once, each linked to its criterion.
        assert_eq!(early.status, StatusCode::UNPROCESSABLE_ENTITY);
        let summary = early
            .body
            .split(r#"id="error-summary""#)
            .nth(1)
            .and_then(|r| r.split("</div>").next())
            .unwrap_or_default();
        for code in ["I.1.2", "I.1.3", "I.8.4", "II.1"] {
            assert!(
                summary.contains(&format!("href=\"#leaf-{}\"", code.replace('.', "-"))),
                "{code}: {summary}"
            );
        }
        assert_eq!(summary.matches("chưa chấm").count(), 4, "{summary}");
        for (code, input) in [
            ("I.1.2", "100"),
            ("I.1.3", "0"),
            ("I.8.4", "97.5"),
            ("II.1", "9"),
        ] {
            let r = send(
                &app,
                "POST",
                &leaf(code),
                &vp1,
                &[
                    ("csrf", &csrf1),
                    ("revision", "0"),
                    ("action", "self"),
                    ("input", input),
                ],
                ORIGIN,
            )
            .await;
            assert_eq!(r.status, StatusCode::SEE_OTHER, "{code}: {}", r.body);
        }
        // Submitting asks for a confirmation first; nothing is submitted until then.
        let ask = send(
            &app,
            "POST",
            "/sets/example-so-2020/units/SKHDT/submit",
            &gd,
            &[("csrf", &gd_csrf)],
            ORIGIN,
        )
        .await;
        assert_eq!(ask.status, StatusCode::OK);
        assert!(ask.body.contains(r#"id="confirm-step""#), "{}", ask.body);
        assert!(
            db.submission("example-so-2020", "SKHDT")
                .await
                .unwrap()
                .is_none()
        );
        let done = send(
            &app,
            "POST",
            "/sets/example-so-2020/units/SKHDT/submit",
            &gd,
            &[("csrf", &gd_csrf), ("confirm", "yes")],
            ORIGIN,
        )
        .await;
        assert_eq!(done.status, StatusCode::SEE_OTHER);
        // The page it returns to says so.
        let flash = done.set_cookie("flash").unwrap();
        let back = send(
            &app,
            "GET",
            page,
            &format!("{gd}; {}", flash.split(';').next().unwrap()),
            &[],
            None,
        )
        .await;
        assert!(back.body.contains(r#"id="flash""#), "{}", back.body);
        assert!(
            back.body.contains("Đã nộp bản tự đánh giá"),
            "{}",
            back.body
        );
        let locked = send(
            &app,
            "POST",
            &leaf("I.1.1"),
            &vp1,
            &[
                ("csrf", &csrf1),
                ("revision", "1"),
                ("action", "self"),
                ("input", "Chậm"),
            ],
            ORIGIN,
        )
        .await;
        assert_eq!(locked.status, StatusCode::FORBIDDEN, "submitted: locked");
        // Self score: 1 + 2 + 0.5 + 1.95 + 9 = 14.45; nobody else sees it before publication.
        let own = send(
            &app,
            "GET",
            "/sets/example-so-2020/units/SKHDT",
            &vp1,
            &[],
            None,
        )
        .await;
        assert!(
            own.body.contains(r#"<dd id="score">14,450</dd>"#),
            "{}",
            own.body
        );

        // Appraisal: a cut needs a reason.
        assert_eq!(
            run(
                &url,
                &["cycle", "phase", "--set", "example-so-2020", "appraisal"]
            )
            .code,
            0
        );
        let app = fresh();
        let td_page = send(&app, "GET", page, &td, &[], None).await;
        let td_csrf = td_page.hidden("csrf");
        assert_eq!(td_page.body.matches(r#"value="appraise""#).count(), 5);
        let no_reason = send(
            &app,
            "POST",
            &leaf("I.1.1"),
            &td,
            &[
                ("csrf", &td_csrf),
                ("revision", "1"),
                ("action", "appraise"),
                ("appraised", "0.5"),
            ],
            ORIGIN,
        )
        .await;
        assert_eq!(no_reason.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            no_reason.body.contains("Cần ghi lý do"),
            "{}",
            no_reason.body
        );
        let cut = send(
            &app,
            "POST",
            &leaf("I.1.1"),
            &td,
            &[
                ("csrf", &td_csrf),
                ("revision", "1"),
                ("action", "appraise"),
                ("appraised", "0.5"),
                ("reason", "Kế hoạch ban hành sau ngày 31/12"),
            ],
            ORIGIN,
        )
        .await;
        assert_eq!(cut.status, StatusCode::SEE_OTHER, "{}", cut.body);
        let hidden = send(&app, "GET", page, &vp1, &[], None).await;
        assert!(
            !hidden.body.contains("sau ngày 31/12"),
            "not released before the explanation phase"
        );

        // Explanation: the unit contests; the appraiser accepts with final points.
        assert_eq!(
            run(
                &url,
                &["cycle", "phase", "--set", "example-so-2020", "explanation"]
            )
            .code,
            0
        );
        let app = fresh();
        let unit_page = send(&app, "GET", page, &vp1, &[], None).await;
        assert!(unit_page.body.contains("sau ngày 31/12"));
        assert_eq!(
            unit_page.body.matches(r#"value="explain""#).count(),
            1,
            "only the cut leaf"
        );
        let ex = send(
            &app,
            "POST",
            &leaf("I.1.1"),
            &vp1,
            &[
                ("csrf", &csrf1),
                ("revision", "2"),
                ("action", "explain"),
                ("text", "Kế hoạch ký ngày 22/12/2020, đính kèm"),
            ],
            ORIGIN,
        )
        .await;
        assert_eq!(ex.status, StatusCode::SEE_OTHER, "{}", ex.body);
        assert_eq!(
            run(
                &url,
                &[
                    "cycle",
                    "phase",
                    "--set",
                    "example-so-2020",
                    "final_appraisal"
                ]
            )
            .code,
            0
        );
        let app = fresh();
        let ans = send(
            &app,
            "POST",
            &leaf("I.1.1"),
            &td,
            &[
                ("csrf", &td_csrf),
                ("revision", "3"),
                ("action", "answer"),
                ("decision", "accept"),
                ("final_points", "1"),
                ("reason", "Chấp nhận: văn bản ký 22/12/2020"),
            ],
            ORIGIN,
        )
        .await;
        assert_eq!(ans.status, StatusCode::SEE_OTHER, "{}", ans.body);

        // Published: the public ranking shows the final points (14.45).
        assert_eq!(
            run(
                &url,
                &["cycle", "phase", "--set", "example-so-2020", "published"]
            )
            .code,
            0
        );
        let app = fresh();
        let ranking = send(
            &app,
            "GET",
            "/api/v1/sets/example-so-2020/ranking",
            "",
            &[],
            None,
        )
        .await;
        let v: serde_json::Value = serde_json::from_str(&ranking.body).unwrap();
        assert_eq!(v["units"][0]["unit_code"], "SKHDT");
        assert_eq!(v["units"][0]["score"], "14.450", "{kind}");
        let history = db
            .audit_history("example-so-2020/SKHDT/I.1.1")
            .await
            .unwrap();
        let actions: Vec<&str> = history.iter().map(|r| r.entry.action.as_str()).collect();
        assert_eq!(
            actions,
            [
                "points.self",
                "points.appraised",
                "explanation",
                "explanation.answer"
            ]
        );
        assert_eq!(
            history[1].entry.reason.as_deref(),
            Some("Kế hoạch ban hành sau ngày 31/12")
        );
        assert_eq!(run(&url, &["audit", "verify"]).code, 0);
    }
}

#[tokio::test]
async fn secretariat_sets_windows_and_grants_extensions() {
    for (db, url) in parindex_db::testkit::each_db().await {
        assert_eq!(
            run(&url, &["criteria", "import", &data("example-so-2020.yaml")]).code,
            0
        );
        let units = temp_file(
            "x-units.csv",
            "code,name,parent_code,kind,group\nSKHDT,Sở Kế hoạch và Đầu tư,,so,so\nSTC,Sở Tài chính,,so,so\n",
        );
        assert_eq!(run(&url, &["units", "import", &units]).code, 0);
        add_user(&db, "snv", Role::Secretariat, None).await;
        add_user(&db, "vp1", Role::Focal, Some("SKHDT")).await;
        let app = parindex_web::router(crate::common::demo_state(db.clone()));
        let pw = "mat-khau-thu-nghiem";
        let snv = sid(&sign_in(&app, "snv", pw).await);
        let vp1 = sid(&sign_in(&app, "vp1", pw).await);
        assert_eq!(
            send(&app, "GET", "/sets/example-so-2020/cycle", &vp1, &[], None)
                .await
                .status,
            StatusCode::FORBIDDEN
        );
        let page = send(&app, "GET", "/sets/example-so-2020/cycle", &snv, &[], None).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(
            page.body.contains(r#"<tr data-unit="SKHDT">"#)
                && page.body.contains(r#"<tr data-unit="STC">"#)
        );
        let csrf = page.hidden("csrf");
        let post = |form: Vec<(&'static str, String)>| {
            let app = app.clone();
            let snv = snv.clone();
            async move {
                let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
                send(
                    &app,
                    "POST",
                    "/sets/example-so-2020/cycle",
                    &snv,
                    &pairs,
                    ORIGIN,
                )
                .await
            }
        };
        let r = post(vec![
            ("csrf", csrf.clone()),
            ("action", "phase".into()),
            ("phase", "self_assessment".into()),
            ("confirm", "yes".into()),
        ])
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        let r = post(vec![
            ("csrf", csrf.clone()),
            ("action", "window".into()),
            ("phase", "self_assessment".into()),
            ("opens_on", "2026-01-01".into()),
            ("closes_on", "2026-02-01".into()),
        ])
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let backwards = post(vec![
            ("csrf", csrf.clone()),
            ("action", "window".into()),
            ("phase", "appraisal".into()),
            ("opens_on", "2026-03-01".into()),
            ("closes_on", "2026-02-01".into()),
        ])
        .await;
        assert_eq!(backwards.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(backwards.body.contains("Ngày đóng phải sau ngày mở"));

        // The window has closed: the unit can no longer save…
        let form = send(
            &app,
            "GET",
            "/sets/example-so-2020/units/SKHDT/assess",
            &vp1,
            &[],
            None,
        )
        .await;
        assert!(form.body.contains("Đã hết hạn"), "{}", form.body);
        let vcsrf = form.hidden("csrf");
        let save = [
            ("csrf", vcsrf.as_str()),
            ("revision", "0"),
            ("action", "self"),
            ("input", "Kịp thời"),
        ];
        let late = send(
            &app,
            "POST",
            "/sets/example-so-2020/units/SKHDT/leaves/I.1.1",
            &vp1,
            &save,
            ORIGIN,
        )
        .await;
        assert_eq!(late.status, StatusCode::FORBIDDEN, "{}", late.body);
        // …until the secretariat grants an extension, with its reason.
        let no_reason = post(vec![
            ("csrf", csrf.clone()),
            ("action", "extension".into()),
            ("phase", "self_assessment".into()),
            ("unit", "SKHDT".into()),
            ("until_on", "31/12/2099".into()),
        ])
        .await;
        assert_eq!(no_reason.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(no_reason.body.contains("Cần ghi lý do gia hạn"));
        assert!(no_reason.body.contains(r#"value="31/12/2099""#));
        let granted = post(vec![
            ("csrf", csrf.clone()),
            ("action", "extension".into()),
            ("phase", "self_assessment".into()),
            ("unit", "SKHDT".into()),
            ("until_on", "31/12/2099".into()),
            ("reason", "Thay đổi lãnh đạo".into()),
        ])
        .await;
        assert_eq!(granted.status, StatusCode::SEE_OTHER, "{}", granted.body);
        let ok = send(
            &app,
            "POST",
            "/sets/example-so-2020/units/SKHDT/leaves/I.1.1",
            &vp1,
            &save,
            ORIGIN,
        )
        .await;
        assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
        let page = send(&app, "GET", "/sets/example-so-2020/cycle", &snv, &[], None).await;
        let row = page
            .body
            .split(r#"<tr data-unit="SKHDT">"#)
            .nth(1)
            .unwrap()
            .split("</tr>")
            .next()
            .unwrap()
            .to_string();
        assert!(
            row.contains("31/12/2099 (Thay đổi lãnh đạo)")
                && row.contains(r#"<td class="num">1</td>"#),
            "{row}"
        );
        let history = db.audit_history("example-so-2020/SKHDT").await.unwrap();
        assert!(history.iter().any(|r| r.entry.action == "phase.extension"
            && r.entry.reason.as_deref() == Some("Thay đổi lãnh đạo")));
    }
}

#[tokio::test]
async fn delegation_to_divisions_and_appraisers_by_field() {
    for (db, url) in parindex_db::testkit::each_db().await {
        assert_eq!(
            run(&url, &["criteria", "import", &data("example-so-2020.yaml")]).code,
            0
        );
        let units = temp_file(
            "d-units.csv",
            "code,name,parent_code,kind,group\nSKHDT,Sở Kế hoạch và Đầu tư,,so,so\nSKHDT-VP,Văn phòng Sở,SKHDT,phong,\nSKHDT-DTPT,Phòng Đầu tư phát triển,SKHDT,phong,\nSTC,Sở Tài chính,,so,so\n",
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
        add_user(&db, "nv", Role::Division, Some("SKHDT-VP")).await;
        add_user(&db, "td8", Role::Appraiser, None).await;
        add_user(&db, "admin", Role::Admin, None).await;
        let app = parindex_web::router(crate::common::demo_state(db.clone()));
        let pw = "mat-khau-thu-nghiem";
        let vp1 = sid(&sign_in(&app, "vp1", pw).await);
        let nv = sid(&sign_in(&app, "nv", pw).await);
        let td8 = sid(&sign_in(&app, "td8", pw).await);
        let admin = sid(&sign_in(&app, "admin", pw).await);
        let page = "/sets/example-so-2020/units/SKHDT/assess";
        let leaf = "/sets/example-so-2020/units/SKHDT/leaves/I.1.1";
        let vcsrf = send(&app, "GET", page, &vp1, &[], None)
            .await
            .hidden("csrf");
        let ncsrf = send(&app, "GET", page, &nv, &[], None).await.hidden("csrf");
        let save = |csrf: &str| {
            vec![
                ("csrf", csrf.to_string()),
                ("revision", "0".into()),
                ("action", "self".into()),
                ("input", "Kịp thời".into()),
            ]
        };
        let post = |uri: &str, cookie: &str, form: Vec<(&'static str, String)>| {
            let (app, uri, cookie) = (app.clone(), uri.to_string(), cookie.to_string());
            async move {
                let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
                send(&app, "POST", &uri, &cookie, &pairs, ORIGIN).await
            }
        };
        assert_eq!(
            post(leaf, &nv, save(&ncsrf)).await.status,
            StatusCode::FORBIDDEN,
            "not delegated yet"
        );
        let d = post(
            &format!("{leaf}/delegate"),
            &vp1,
            vec![("csrf", vcsrf.clone()), ("division", "SKHDT-VP".into())],
        )
        .await;
        assert_eq!(d.status, StatusCode::SEE_OTHER, "{}", d.body);
        let foreign = post(
            &format!("{leaf}/delegate"),
            &vp1,
            vec![("csrf", vcsrf.clone()), ("division", "STC".into())],
        )
        .await;
        assert_eq!(
            foreign.status,
            StatusCode::BAD_REQUEST,
            "only the unit's own divisions"
        );
        assert!(
            send(&app, "GET", page, &nv, &[], None)
                .await
                .body
                .contains("Giao cho: Văn phòng Sở")
        );
        assert_eq!(
            post(leaf, &nv, save(&ncsrf)).await.status,
            StatusCode::SEE_OTHER,
            "the division scores its criterion"
        );
        assert_eq!(
            post(
                "/sets/example-so-2020/units/SKHDT/leaves/I.8.4",
                &nv,
                vec![
                    ("csrf", ncsrf.clone()),
                    ("revision", "0".into()),
                    ("action", "self".into()),
                    ("input", "90".into())
                ]
            )
            .await
            .status,
            StatusCode::FORBIDDEN,
            "only what was delegated"
        );

        // An appraiser assigned field I.8 appraises I.8.4, not I.1.1.
        let users_page = send(&app, "GET", "/admin/users", &admin, &[], None).await;
        let acsrf = users_page.hidden("csrf");
        let bad = post(
            "/admin/users/scopes",
            &admin,
            vec![
                ("csrf", acsrf.clone()),
                ("username", "td8".into()),
                ("scopes", "I..8".into()),
            ],
        )
        .await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        let r = post(
            "/admin/users/scopes",
            &admin,
            vec![
                ("csrf", acsrf.clone()),
                ("username", "td8".into()),
                ("scopes", "I.8".into()),
            ],
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert_eq!(db.appraiser_scopes("td8").await.unwrap(), ["I.8"]);
        assert_eq!(
            run(
                &url,
                &["cycle", "phase", "--set", "example-so-2020", "appraisal"]
            )
            .code,
            0
        );
        let app = parindex_web::router(crate::common::demo_state(db.clone()));
        let tpage = send(&app, "GET", page, &td8, &[], None).await;
        assert_eq!(
            tpage.body.matches(r#"value="appraise""#).count(),
            1,
            "only I.8.4"
        );
        let tcsrf = tpage.hidden("csrf");
        let appraise = |code: &str| format!("/sets/example-so-2020/units/SKHDT/leaves/{code}");
        let appraise_form = |rev: &'static str| {
            [
                ("csrf", tcsrf.as_str()),
                ("revision", rev),
                ("action", "appraise"),
                ("appraised", "1"),
                ("reason", "kiểm tra"),
            ]
        };
        let out = send(
            &app,
            "POST",
            &appraise("I.1.1"),
            &td8,
            &appraise_form("1"),
            ORIGIN,
        )
        .await;
        assert_eq!(out.status, StatusCode::FORBIDDEN);
        let inside = send(
            &app,
            "POST",
            &appraise("I.8.4"),
            &td8,
            &appraise_form("0"),
            ORIGIN,
        )
        .await;
        assert_eq!(inside.status, StatusCode::SEE_OTHER, "{}", inside.body);
    }
}
