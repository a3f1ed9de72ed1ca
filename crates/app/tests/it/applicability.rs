//! The secretariat marks a leaf not applicable to a unit, with a reason, and back; the
//! unit's maximum shrinks on every surface; units cannot do it — on SQLite and PostgreSQL.

use axum::http::StatusCode;
use parindex_domain::access::Role;

use crate::auth::{add_user, send, sid, sign_in};
use crate::common::{data, run, temp_file};

const ORIGIN: Option<&str> = Some("http://127.0.0.1:8080");

#[tokio::test]
async fn the_secretariat_marks_a_leaf_not_applicable_with_a_reason() {
    for (db, url) in parindex_db::testkit::each_db().await {
        let kind = db.kind();
        assert_eq!(
            run(&url, &["criteria", "import", &data("example-so-2020.yaml")]).code,
            0
        );
        let units = temp_file(
            "na-units.csv",
            "code,name,parent_code,kind,group\nSKHDT,Sở Kế hoạch và Đầu tư,,so,so\nSTC,Sở Tài chính,,so,so\n",
        );
        assert_eq!(run(&url, &["units", "import", &units]).code, 0);
        let phase = [
            "cycle",
            "phase",
            "--set",
            "example-so-2020",
            "self_assessment",
        ];
        assert_eq!(run(&url, &phase).code, 0);
        add_user(&db, "vp1", Role::Focal, Some("SKHDT")).await;
        add_user(&db, "stc", Role::Focal, Some("STC")).await;
        add_user(&db, "tk", Role::Secretariat, None).await;
        let app = parindex_web::router(crate::common::demo_state(db.clone()));
        let pw = "mat-khau-thu-nghiem";
        let vp1 = sid(&sign_in(&app, "vp1", pw).await);
        let stc = sid(&sign_in(&app, "stc", pw).await);
        let tk = sid(&sign_in(&app, "tk", pw).await);
        let page = "/sets/example-so-2020/units/SKHDT/assess";
        let na = "/sets/example-so-2020/units/SKHDT/leaves/I.8.4/applicability";

        // Only the secretariat is offered the form.
        let unit_page = send(&app, "GET", page, &vp1, &[], None).await;
        assert!(!unit_page.body.contains("na-form"), "{kind}");
        let tk_page = send(&app, "GET", page, &tk, &[], None).await;
        assert_eq!(tk_page.status, StatusCode::OK, "{kind}");
        assert_eq!(tk_page.body.matches("na-form").count(), 5);
        let csrf = tk_page.hidden("csrf");
        let unit_csrf = unit_page.hidden("csrf");
        let stc_csrf = send(
            &app,
            "GET",
            "/sets/example-so-2020/units/STC/assess",
            &stc,
            &[],
            None,
        )
        .await
        .hidden("csrf");
        let mark = |who: &str, token: &str, revision: &str, applies: &str, reason: &str| {
            let form = [
                ("csrf", token.to_string()),
                ("revision", revision.to_string()),
                ("applies", applies.to_string()),
                ("reason", reason.to_string()),
            ];
            let (app, who) = (app.clone(), who.to_string());
            async move {
                let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
                send(&app, "POST", na, &who, &form, ORIGIN).await
            }
        };

        // A unit cannot mark its own leaf, nor another unit's (each with its own token).
        for (who, token) in [(&vp1, &unit_csrf), (&stc, &stc_csrf)] {
            let refused = mark(who, token, "0", "no", "x").await;
            assert_eq!(refused.status, StatusCode::FORBIDDEN, "{kind}");
            assert!(!refused.body.contains("Sở Kế hoạch và Đầu tư"), "{kind}");
        }

        // Without a reason: the page again, the message by the field, nothing stored.
        let no_reason = mark(&tk, &csrf, "0", "no", "   ").await;
        assert_eq!(no_reason.status, StatusCode::UNPROCESSABLE_ENTITY, "{kind}");
        assert!(
            no_reason.body.contains("Hãy ghi lý do"),
            "{}",
            no_reason.body
        );
        assert!(no_reason.body.contains("err-na-I-8-4"));
        assert!(!no_reason.body.contains(r#"id="na-I-8-4""#));

        let reason = "Sở không có thủ tục hành chính thuộc lĩnh vực đầu tư";
        let marked = mark(&tk, &csrf, "0", "no", reason).await;
        assert_eq!(marked.status, StatusCode::SEE_OTHER, "{}", marked.body);

        // The unit sees why, cannot score the leaf, and its maximum shrinks by 2.
        let seen = send(&app, "GET", page, &vp1, &[], None).await;
        assert!(seen.body.contains(r#"id="na-I-8-4""#), "{kind}");
        assert!(seen.body.contains(reason));
        assert_eq!(
            seen.body.matches(r#"name="action" value="self""#).count(),
            4,
            "{kind}"
        );
        assert!(seen.body.contains(r#"<dd id="scored">1/5</dd>"#), "{kind}");
        assert!(seen.body.contains("Không áp dụng cho đơn vị"));
        let self_on_na = send(
            &app,
            "POST",
            "/sets/example-so-2020/units/SKHDT/leaves/I.8.4",
            &vp1,
            &[
                ("csrf", &unit_csrf),
                ("revision", "1"),
                ("action", "self"),
                ("input", "90"),
            ],
            ORIGIN,
        )
        .await;
        assert_eq!(self_on_na.status, StatusCode::FORBIDDEN, "{kind}");
        let card = send(
            &app,
            "GET",
            "/sets/example-so-2020/units/SKHDT",
            &tk,
            &[],
            None,
        )
        .await;
        assert!(card.body.contains("/ 13,500"), "{}", card.body);
        assert!(card.body.contains("Không áp dụng: Sở không có"), "{kind}");
        let api = send(
            &app,
            "GET",
            "/api/v1/sets/example-so-2020/units/SKHDT",
            &tk,
            &[],
            None,
        )
        .await;
        let json: serde_json::Value = serde_json::from_str(&api.body).unwrap();
        assert_eq!(json["units"][0]["max"], "13.500", "{kind}");
        let leaf = json["units"][0]["leaves"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["code"] == "I.8.4")
            .unwrap()
            .clone();
        assert_eq!(leaf["not_applicable"], true);
        assert_eq!(leaf["lost"], "0.000");
        // The ranking carries the unit's own maximum beside the set's.
        let ranking = send(
            &app,
            "GET",
            "/api/v1/sets/example-so-2020/ranking",
            &tk,
            &[],
            None,
        )
        .await;
        let json: serde_json::Value = serde_json::from_str(&ranking.body).unwrap();
        assert_eq!(json["total_max"], "15.500", "{kind}");
        let row = json["units"]
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["unit_code"] == "SKHDT")
            .cloned()
            .unwrap();
        assert_eq!(row["max"], "13.500", "{kind}");

        // Audited, with the reason; applicable again, the leaf is the unit's to score.
        let history = db
            .audit_history("example-so-2020/SKHDT/I.8.4")
            .await
            .unwrap();
        let step = history
            .iter()
            .find(|r| r.entry.action == "points.not_applicable")
            .expect("audited");
        assert_eq!(step.entry.actor, "tk");
        assert_eq!(step.entry.reason.as_deref(), Some(reason));
        let again = mark(&tk, &csrf, "1", "yes", "").await;
        assert_eq!(again.status, StatusCode::SEE_OTHER, "{}", again.body);
        let back = send(&app, "GET", page, &vp1, &[], None).await;
        assert_eq!(
            back.body.matches(r#"name="action" value="self""#).count(),
            5,
            "{kind}"
        );
        assert!(!back.body.contains(r#"id="na-I-8-4""#));
    }
}

/// Recomputing the dossier figures leaves a not-applicable figure leaf as it was marked.
#[tokio::test]
async fn recomputed_figures_keep_a_leaf_not_applicable() {
    for (db, _) in crate::common::demo_dbs().await {
        let set = db.load_set("brvt-so-2021").await.unwrap().unwrap();
        let leaf = set.position("I.8.4").unwrap();
        assert!(set.nodes[leaf].figure.is_some());
        let revision = |db: parindex_db::Db| async move {
            db.unit_leaves("brvt-so-2021", "SKHDT")
                .await
                .unwrap()
                .into_iter()
                .find(|(c, _)| c == "I.8.4")
                .map_or(0, |(_, l)| l.revision)
        };
        // No figure stored, then not applicable: a recomputation would write the figure.
        let clear = parindex_db::LeafChange::SelfAssessment {
            input: None,
            self_points: None,
            note: None,
        };
        let r = revision(db.clone()).await;
        db.save_leaf(
            &set,
            "SKHDT",
            leaf,
            &clear,
            r,
            "test",
            "2026-12-07T10:00:00Z",
        )
        .await
        .unwrap();
        let mark = parindex_db::LeafChange::Applicability {
            not_applicable: Some("Không có thủ tục đầu tư".into()),
        };
        let r = revision(db.clone()).await;
        db.save_leaf(&set, "SKHDT", leaf, &mark, r, "snv", "2026-12-07T10:00:00Z")
            .await
            .unwrap();
        let as_of = parindex_domain::calendar::Instant::parse("2026-12-07T10:00").unwrap();
        let changes = db
            .refresh_figure_leaves(as_of, "test", "2026-12-07T10:00:00Z")
            .await
            .unwrap();
        assert!(
            !changes
                .iter()
                .any(|c| c.set_id == "brvt-so-2021" && c.unit_code == "SKHDT"),
            "{}",
            db.kind()
        );
        let after = db.load_unit_scores(&set, "SKHDT").await.unwrap().unwrap();
        let l = &after.leaves[&leaf];
        assert_eq!(
            l.not_applicable.as_deref(),
            Some("Không có thủ tục đầu tư"),
            "{}",
            db.kind()
        );
        assert_eq!(l.input, None, "{}", db.kind());
    }
}
