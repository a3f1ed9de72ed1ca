//! Last year's criteria mapped to this year's: the secretariat's page, the years page going
//! through the mapping, and a unit starting its self-assessment from last year — on SQLite
//! and PostgreSQL.

use axum::http::StatusCode;
use parindex_domain::access::Role;

use crate::auth::{add_user, send, sid, sign_in};
use crate::common::{data, run, temp_file};

const ORIGIN: Option<&str> = Some("http://127.0.0.1:8080");

/// The example sets of 2020 (scored, SKHDT with an evidence on I.8.4) and 2021 (renumbered
/// criteria, in self-assessment), with a focal point, a unit of another and the secretariat.
pub async fn two_years(db: &parindex_db::Db, url: &str) {
    for f in ["example-so-2020.yaml", "example-so-2021.yaml"] {
        assert_eq!(run(url, &["criteria", "import", &data(f)]).code, 0);
    }
    let units = temp_file(
        "map-units.csv",
        "code,name,parent_code,kind,group\nSKHDT,Sở Kế hoạch và Đầu tư,,so,so\nSTC,Sở Tài chính,,so,so\nSNV,Sở Nội vụ,,so,so\n",
    );
    assert_eq!(run(url, &["units", "import", &units]).code, 0);
    let scores = [
        "scores",
        "import",
        "--set",
        "example-so-2020",
        &data("example-scores.csv"),
    ];
    assert_eq!(run(url, &scores).code, 0);
    let phase = [
        "cycle",
        "phase",
        "--set",
        "example-so-2021",
        "self_assessment",
    ];
    assert_eq!(run(url, &phase).code, 0);
    let meta = parindex_db::EvidenceMeta {
        title: "Báo cáo tình hình giải quyết hồ sơ năm 2020".into(),
        doc_number: Some("15/BC-SKHĐT".into()),
        doc_date: Some("2020-12-20".into()),
        issuer: Some("Sở Kế hoạch và Đầu tư".into()),
        signer: None,
        doc_type: None,
    };
    let file = parindex_db::NewFile {
        file_name: "bao-cao.pdf",
        content_type: "application/pdf",
        size_bytes: 10,
        sha256: "00",
    };
    db.create_evidence(
        "SKHDT",
        &meta,
        &file,
        Some(("example-so-2020", "I.8.4")),
        "vp1",
        "2020-12-21T08:00:00Z",
    )
    .await
    .unwrap();
    add_user(db, "vp1", Role::Focal, Some("SKHDT")).await;
    add_user(db, "stc", Role::Focal, Some("STC")).await;
    add_user(db, "tk", Role::Secretariat, None).await;
}

#[tokio::test]
async fn mapping_years_and_a_self_assessment_started_from_last_year() {
    for (db, url) in parindex_db::testkit::each_db().await {
        let kind = db.kind();
        two_years(&db, &url).await;
        let app = parindex_web::router(crate::common::demo_state(db.clone()));
        let pw = "mat-khau-thu-nghiem";
        let vp1 = sid(&sign_in(&app, "vp1", pw).await);
        let stc = sid(&sign_in(&app, "stc", pw).await);
        let tk = sid(&sign_in(&app, "tk", pw).await);
        let mapping = "/sets/example-so-2021/mapping";

        // The secretariat reaches the page from the set's page; units cannot open it.
        let set_page = send(&app, "GET", "/sets/example-so-2021", &tk, &[], None).await;
        assert!(
            set_page
                .body
                .contains(r#"href="/sets/example-so-2021/mapping""#),
            "{kind}"
        );
        let refused = send(&app, "GET", mapping, &vp1, &[], None).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "{kind}");
        assert!(!refused.body.contains("Tỷ lệ hồ sơ"), "{kind}");
        let page = send(&app, "GET", mapping, &tk, &[], None).await;
        assert_eq!(page.status, StatusCode::OK, "{kind}");
        let row = |body: &str, code: &str| {
            let start = body
                .find(&format!(r#"<tr data-code="{code}""#))
                .unwrap_or_else(|| panic!("row {code}"));
            body[start..].split("</tr>").next().unwrap().to_string()
        };
        let i83 = row(&page.body, "I.8.3");
        assert!(i83.contains(r#"<option value="I.8.4" selected>"#), "{i83}");
        assert!(i83.contains("tên tương tự"), "{i83}");
        assert!(row(&page.body, "I.8.4").contains("how-none"));
        let csrf = page.hidden("csrf");
        let post = |path: &'static str, who: &str, form: Vec<(&'static str, String)>| {
            let (app, who) = (app.clone(), who.to_string());
            async move {
                let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
                send(&app, "POST", path, &who, &form, ORIGIN).await
            }
        };
        let remap = |choices: &[(&'static str, &str)]| {
            let mut form = vec![
                ("csrf", csrf.clone()),
                ("from", "example-so-2020".to_string()),
            ];
            form.extend(choices.iter().map(|(k, v)| (*k, (*v).to_string())));
            post(mapping, &tk, form)
        };
        let prefill = "/sets/example-so-2021/units/SKHDT/prefill";

        // The secretariat matches the new I.8.4 by hand; the rest stays as proposed.
        let saved = remap(&[("m.I.8.4", "I.8.4"), ("m.I.8.3", "I.8.4")]).await;
        assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
        let page = send(&app, "GET", mapping, &tk, &[], None).await;
        let i84 = row(&page.body, "I.8.4");
        assert!(
            i84.contains("how-manual") && i84.contains(r#"<option value="I.8.4" selected>"#),
            "{i84}"
        );
        let audit = db
            .audit_history("mapping/example-so-2020/example-so-2021")
            .await
            .unwrap();
        // The page as shown is kept; one row was chosen by hand.
        let manual: Vec<_> = audit
            .iter()
            .filter(|r| {
                r.entry
                    .new_value
                    .as_deref()
                    .is_some_and(|v| v.contains("manual"))
            })
            .collect();
        assert_eq!(manual.len(), 1, "{kind}");
        assert_eq!(manual[0].entry.actor, "tk");
        // A leaf offered for a group is refused.
        let bad = remap(&[("m.I.8.4", "I.8")]).await;
        assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{kind}");
        // Put I.8.4 back as new, for what follows.
        let back = remap(&[("m.I.8.4", "")]).await;
        assert_eq!(back.status, StatusCode::SEE_OTHER);

        // The unit starts 2021 from 2020: inputs the new rules read, through the mapping.
        let assess = "/sets/example-so-2021/units/SKHDT/assess";
        let form = send(&app, "GET", assess, &vp1, &[], None).await;
        assert!(form.body.contains(r#"id="prefill""#), "{kind}");
        let unit_csrf = form.hidden("csrf");
        let stc_csrf = send(
            &app,
            "GET",
            "/sets/example-so-2021/units/STC/assess",
            &stc,
            &[],
            None,
        )
        .await
        .hidden("csrf");
        let other = post(prefill, &stc, vec![("csrf", stc_csrf)]).await;
        assert_eq!(other.status, StatusCode::FORBIDDEN, "{kind}");
        let done = post(prefill, &vp1, vec![("csrf", unit_csrf.clone())]).await;
        assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
        let leaves: std::collections::HashMap<String, parindex_db::StoredLeaf> = db
            .unit_leaves("example-so-2021", "SKHDT")
            .await
            .unwrap()
            .into_iter()
            .collect();
        let input = |c: &str| leaves.get(c).and_then(|l| l.score.input.clone());
        let points = |c: &str| {
            leaves
                .get(c)
                .and_then(|l| l.score.self_points)
                .map(parindex_domain::Points::to_plain)
        };
        // 2020's I.1.2 (85 %) is 2021's I.1.3; 2020's I.1.3 (1 violation) is 2021's I.1.2.
        assert_eq!(input("I.1.3").as_deref(), Some("85"), "{kind}");
        assert_eq!(points("I.1.3").as_deref(), Some("1"));
        assert_eq!(input("I.1.2").as_deref(), Some("1"));
        assert_eq!(points("I.1.2").as_deref(), Some("0.25"));
        assert_eq!(input("I.8.3").as_deref(), Some("97.5"));
        assert_eq!(points("I.8.3").as_deref(), Some("1.95"));
        assert_eq!(input("II.1").as_deref(), Some("8.25"));
        // No input last year (points only), and the new criterion: left empty.
        assert!(
            !leaves.contains_key("I.1.1") && !leaves.contains_key("I.8.4"),
            "{kind}"
        );
        // The evidence follows the criterion; the history says where it came from.
        let links = db.leaf_evidence("example-so-2021", "SKHDT").await.unwrap();
        assert!(links.iter().any(|(c, _)| c == "I.8.3"), "{links:?}");
        let page = send(&app, "GET", assess, &vp1, &[], None).await;
        assert!(page.body.contains(r#"id="prefilled-I-8-3""#), "{kind}");
        assert!(
            page.body
                .contains("Lấy từ năm trước: example-so-2020 I.8.4"),
            "{kind}"
        );
        assert!(
            page.body
                .contains("Báo cáo tình hình giải quyết hồ sơ năm 2020")
        );
        // Nothing is overwritten a second time.
        let again = post(prefill, &vp1, vec![("csrf", unit_csrf.clone())]).await;
        assert_eq!(again.status, StatusCode::SEE_OTHER);
        let history = db.audit_history("example-so-2021/SKHDT").await.unwrap();
        let prefills = history
            .iter()
            .filter(|r| r.entry.action == "points.prefill")
            .count();
        assert_eq!(prefills, 4, "{kind}");

        // The years page compares through the mapping: 2021's I.8.3 beside 2020's I.8.4.
        let years = send(
            &app,
            "GET",
            "/sets/example-so-2021/units/SKHDT/years",
            &tk,
            &[],
            None,
        )
        .await;
        assert_eq!(years.status, StatusCode::OK, "{kind}");
        let line = years
            .body
            .split(r#"<tr id="y-I.8.3""#)
            .nth(1)
            .and_then(|r| r.split("</tr>").next())
            .unwrap_or_default()
            .to_string();
        assert!(line.contains("(I.8.4)"), "{line}");
        assert!(line.contains("1,950"), "{line}");
    }
}
