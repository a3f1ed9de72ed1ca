//! Reorganised units: a ranking of a year holds the units that exist at its end; a merged
//! unit keeps its card, and its successor's card leads to it — on SQLite and PostgreSQL.

use axum::http::StatusCode;
use parindex_domain::access::Role;

use crate::auth::{add_user, send, sid, sign_in};
use crate::common::{data, run, temp_file};

#[tokio::test]
async fn a_year_ranks_the_units_of_its_end_and_successors_show_their_predecessors() {
    for (db, url) in parindex_db::testkit::each_db().await {
        let kind = db.kind();
        assert_eq!(
            run(&url, &["criteria", "import", &data("example-so-2020.yaml")]).code,
            0
        );
        let units = temp_file(
            "reorg-units.csv",
            "code,name,parent_code,kind,group\nSKHDT,Sở Kế hoạch và Đầu tư,,so,so\nSTC,Sở Tài chính,,so,so\nSNV,Sở Nội vụ,,so,so\n",
        );
        assert_eq!(run(&url, &["units", "import", &units]).code, 0);
        let scores = [
            "scores",
            "import",
            "--set",
            "example-so-2020",
            &data("example-scores.csv"),
        ];
        assert_eq!(run(&url, &scores).code, 0);
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

        add_user(&db, "tk", Role::Secretariat, None).await;
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
                .contains(r#"href="/sets/example-so-2020/units/SNV""#)
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
