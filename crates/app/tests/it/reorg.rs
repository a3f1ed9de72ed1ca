//! Reorganised units: a ranking of a year holds the units that exist at its end; a merged
//! unit keeps its card, and its successor's card leads to it — on SQLite and PostgreSQL.

use axum::http::StatusCode;
use parindex_domain::access::Role;

use crate::auth::{add_user, send, send_multipart, sid, sign_in};
use crate::common::{data, run, temp_file};

/// The 2020 example set with three departments scored, and a secretariat account `tk`.
pub async fn three_departments(db: &parindex_db::Db, url: &str) {
    assert_eq!(
        run(url, &["criteria", "import", &data("example-so-2020.yaml")]).code,
        0
    );
    let units = temp_file(
        "reorg-units.csv",
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
    add_user(db, "tk", Role::Secretariat, None).await;
}

#[tokio::test]
async fn a_year_ranks_the_units_of_its_end_and_successors_show_their_predecessors() {
    for (db, url) in parindex_db::testkit::each_db().await {
        let kind = db.kind();
        three_departments(&db, &url).await;
        let before = run(&url, &["ranking", "--format", "json"]);
        assert!(before.stdout.contains("\"SNV\""), "{kind}");
        // SNV merged into STC from 01/07/2020 (a made-up reorganisation), from a change file
        // as Excel saves it; a wrong line stores nothing.
        let bad = temp_file(
            "reorg-bad.csv",
            "\u{feff}effective,change,from_code,to_code,to_name\r\n01/07/2020,sáp nhập,SNV,STC,\r\n01/07/2020,gộp,SKHDT,STC,\r\n",
        );
        let r = run(&url, &["units", "changes", &bad]);
        assert_ne!(r.code, 0);
        assert!(
            r.stderr.contains("reorg-bad.csv:3: thay đổi `gộp`"),
            "{}",
            r.stderr
        );
        assert!(
            db.unit("SNV").await.unwrap().unwrap().merged_into.is_none(),
            "{kind}"
        );
        let merged = temp_file(
            "reorg-merge.csv",
            "effective,change,from_code,to_code,to_name\n01/07/2020,Sáp nhập,SNV,STC,\n",
        );
        let r = run(&url, &["units", "changes", &merged]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        let snv = db.unit("SNV").await.unwrap().unwrap();
        assert_eq!(
            (snv.valid_to.as_deref(), snv.merged_into.as_deref()),
            (Some("2020-06-30"), Some("STC")),
            "{kind}"
        );
        let after = run(&url, &["ranking", "--format", "json"]);
        let json: serde_json::Value = serde_json::from_str(&after.stdout).unwrap();
        let codes: Vec<&str> = json["units"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["unit_code"].as_str().unwrap())
            .collect();
        assert_eq!(codes, ["STC", "SKHDT"], "{kind}");
        assert_eq!(json["units"][0]["of"], 2);

        let app = parindex_web::router(crate::common::demo_state(db.clone()));
        let tk = sid(&sign_in(&app, "tk", "mat-khau-thu-nghiem").await);
        let api = send(
            &app,
            "GET",
            "/api/v1/sets/example-so-2020/ranking",
            &tk,
            &[],
            None,
        )
        .await;
        assert!(!api.body.contains("\"SNV\""), "{kind}");
        let stc = send(
            &app,
            "GET",
            "/sets/example-so-2020/units/STC",
            &tk,
            &[],
            None,
        )
        .await;
        assert!(stc.body.contains(r#"id="predecessors""#), "{kind}");
        assert!(
            stc.body
                .contains(r#"href="/sets/example-so-2020/units/STC/years#history""#),
            "the successor's card leads to its predecessors' history"
        );
        assert!(stc.body.contains("Sở Nội vụ (sáp nhập, đến 30/06/2020)"));
        let years = send(
            &app,
            "GET",
            "/sets/example-so-2020/units/STC/years",
            &tk,
            &[],
            None,
        )
        .await;
        let history = years
            .body
            .split(r#"id="history-table""#)
            .nth(1)
            .unwrap_or_else(|| panic!("{kind}: no history on the years page"));
        assert!(
            history.contains(r#"href="/sets/example-so-2020/units/SNV""#)
                && history.contains("11,950"),
            "{kind}: the merged unit's own score, linked to its card"
        );
        let snv = send(
            &app,
            "GET",
            "/sets/example-so-2020/units/SNV",
            &tk,
            &[],
            None,
        )
        .await;
        assert_eq!(snv.status, StatusCode::OK, "{kind}");
        assert!(
            snv.body.contains("Sở Tài chính"),
            "the card names its successor"
        );
        assert!(snv.body.contains("11,950"), "and keeps its own score");
    }
}

#[tokio::test]
async fn the_units_page_records_a_split_and_a_rename_for_the_secretariat_only() {
    for (db, url) in parindex_db::testkit::each_db().await {
        let kind = db.kind();
        three_departments(&db, &url).await;
        add_user(&db, "vp1", Role::Focal, Some("SKHDT")).await;
        let app = parindex_web::router(crate::common::demo_state(db.clone()));
        let pw = "mat-khau-thu-nghiem";
        let tk = sid(&sign_in(&app, "tk", pw).await);
        let vp1 = sid(&sign_in(&app, "vp1", pw).await);
        let refused = send(&app, "GET", "/units", &vp1, &[], None).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "{kind}");
        assert!(!refused.body.contains("Sở Nội vụ"), "{kind}");
        let home = send(&app, "GET", "/", &tk, &[], None).await;
        assert!(
            home.body.contains(r#"href="/units""#),
            "{kind}: in the menu"
        );
        let page = send(&app, "GET", "/units", &tk, &[], None).await;
        assert!(page.body.contains(r#"<tr data-code="SNV">"#), "{kind}");
        let csrf = page.hidden("csrf");
        let file = "effective,change,from_code,to_code,to_name,kind,group\n01/01/2021,chia tách,SKHDT,SKHDT-DT,Sở Đầu tư,,\n01/01/2021,split,SKHDT,SKHDT-KH,Sở Kế hoạch,,\n15/03/2021,đổi tên,STC,,Sở Tài chính – Ngân sách,,\n";
        let upload = |bytes: &'static [u8]| {
            let (app, tk, csrf) = (app.clone(), tk.clone(), csrf.clone());
            async move {
                send_multipart(
                    &app,
                    "/units",
                    &tk,
                    &[("csrf", &csrf)],
                    Some(("thay-doi.csv", bytes)),
                )
                .await
            }
        };
        let r = upload(file.as_bytes()).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{kind}: {}", r.body);
        // The same file again changes nothing.
        assert_eq!(upload(file.as_bytes()).await.status, StatusCode::SEE_OTHER);
        let changes = db.unit_changes(100).await.unwrap();
        assert_eq!(changes.len(), 3, "{kind}: {changes:?}");
        let preds = db.predecessors("SKHDT-KH").await.unwrap();
        assert_eq!(
            preds
                .iter()
                .map(|p| (p.code.as_str(), p.how.as_str(), p.until.as_deref()))
                .collect::<Vec<_>>(),
            [("SKHDT", "split", Some("2020-12-31"))],
            "{kind}"
        );
        let former = db.unit_former_names("STC").await.unwrap();
        assert_eq!(former.len(), 1, "{kind}");
        assert_eq!(former[0].0, "Sở Tài chính");
        assert!(
            former[0].1 == "2021-03-14T17:00:00Z",
            "{kind}: the name ends on the change's date, {former:?}"
        );
        let audit = db.audit_history("unit/SKHDT").await.unwrap();
        assert!(
            audit
                .iter()
                .filter(|a| a.entry.action == "unit.change")
                .count()
                == 2,
            "{kind}"
        );
        let page = send(&app, "GET", "/units?all=1", &tk, &[], None).await;
        let list = page
            .body
            .split(r#"id="change-list""#)
            .nth(1)
            .unwrap_or_default();
        assert!(
            list.contains("SKHDT-KH — Sở Kế hoạch") && list.contains("chia tách"),
            "{kind}"
        );
        assert!(list.contains("15/03/2021") && list.contains("Sở Tài chính – Ngân sách"));
        // A bad file: its line named, nothing recorded.
        let r =
            upload(b"effective,change,from_code,to_code,to_name\n01/01/2022,merge,SKHDT-DT,NEW,\n")
                .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{kind}");
        assert!(
            r.body.contains("thay-doi.csv:2: đơn vị mới `NEW` cần tên"),
            "{}",
            r.body
        );
        assert_eq!(db.unit_changes(100).await.unwrap().len(), 3);
    }
}

#[tokio::test]
async fn the_demo_tells_the_merged_citys_commune_story() {
    for (db, url) in crate::common::demo_dbs().await {
        let kind = db.kind();
        let r = run(
            &url,
            &["ranking", "--set", "hcm-xa-2025", "--format", "json"],
        );
        assert_eq!(r.code, 0, "{kind}: {}", r.stderr);
        let json: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
        let units = json["units"].as_array().unwrap();
        assert_eq!(
            units.len(),
            5,
            "{kind}: the new wards, communes and special zone"
        );
        let ward = units
            .iter()
            .find(|u| u["unit_code"] == "HCM-VUNGTAU")
            .unwrap();
        assert_eq!(ward["max"], "97.00", "{kind}: V.3 does not apply to a ward");
        let commune = units
            .iter()
            .find(|u| u["unit_code"] == "HCM-LONGHAI")
            .unwrap();
        assert_eq!(commune["max"], "100.00", "{kind}");
        // Ranked by index: ranks follow the index, not the score.
        let mut by_index: Vec<(f64, u64)> = units
            .iter()
            .map(|u| {
                (
                    u["index"].as_str().unwrap().parse().unwrap(),
                    u["rank"].as_u64().unwrap(),
                )
            })
            .collect();
        by_index.sort_by(|a, b| b.0.total_cmp(&a.0));
        assert!(
            by_index.windows(2).all(|w| w[0].1 <= w[1].1),
            "{kind}: {by_index:?}"
        );
        let before = run(
            &url,
            &["ranking", "--set", "hcm-xa-2024", "--format", "json"],
        );
        let before: serde_json::Value = serde_json::from_str(&before.stdout).unwrap();
        assert_eq!(before["units"].as_array().unwrap().len(), 10, "{kind}");
        let app = parindex_web::router(crate::common::demo_state(db.clone()));
        let snv = sid(&sign_in(&app, "snv", "parindex-demo").await);
        let years = send(
            &app,
            "GET",
            "/sets/hcm-xa-2025/units/HCM-VUNGTAU/years",
            &snv,
            &[],
            None,
        )
        .await;
        let history = years
            .body
            .split(r#"id="history-table""#)
            .nth(1)
            .unwrap_or_else(|| panic!("{kind}: no history: {}", years.body));
        for old in [
            "Phường 1 (TP Vũng Tàu)",
            "Phường 2 (TP Vũng Tàu)",
            "Phường Thắng Nhì",
        ] {
            assert!(history.contains(old), "{kind}: {old} missing");
        }
        assert!(history.contains(r#"href="/sets/hcm-xa-2024/units/VT-P1""#));
        // The department-level story stays the home's.
        let home = send(&app, "GET", "/", "", &[], None).await;
        assert_eq!(
            home.headers[axum::http::header::LOCATION],
            "/sets/brvt-so-2020/ranking",
            "{kind}"
        );
    }
}
