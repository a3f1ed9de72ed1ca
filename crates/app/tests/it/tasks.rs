//! Rectification tasks over HTTP and the command line, on SQLite and PostgreSQL: the demo's
//! notice played out, import with a preview, progress reports, the violation register.

use axum::http::StatusCode;

use crate::auth::{send, send_multipart as multipart, sid, sign_in};
use crate::common::{data, demo_dbs, run, temp_file};

const ORIGIN: Option<&str> = Some("http://127.0.0.1:8080");

async fn csrf_of(app: &axum::Router, cookie: &str) -> String {
    send(app, "GET", "/account/password", cookie, &[], None)
        .await
        .hidden("csrf")
}

const PLAN: &str = "SỞ KẾ HOẠCH VÀ ĐẦU TƯ\n\nSố: 30/KH-SKHĐT\n\nBà Rịa – Vũng Tàu, ngày 05 tháng 5 năm 2021\n\nKẾ HOẠCH\nTăng cường công khai thủ tục hành chính\n\n\
1. Văn phòng Sở:\n\n- Cập nhật thủ tục hành chính trên trang thông tin điện tử hàng tuần.\n\n- Báo cáo kết quả trước ngày 30/6/2021.\n\n\
2. Phòng Đăng ký kinh doanh:\n\n- Phối hợp với Văn phòng Sở rà soát thủ tục đăng ký doanh nghiệp hàng tháng.\n";

#[tokio::test]
async fn demo_notice_import_reports_and_violations() {
    for (db, _) in demo_dbs().await {
        let kind = db.kind();
        // The demo: the notice's 53 tasks, 2021 played out, the missed ones recorded.
        let tasks = db.tasks("SKHDT", "2026-11-27").await.unwrap();
        assert_eq!(tasks.len(), 53, "{kind}");
        let violations = db.violations("SKHDT").await.unwrap();
        let missed = violations.iter().filter(|v| v.done_at.is_none()).count();
        let late = violations.iter().filter(|v| v.done_at.is_some()).count();
        assert_eq!(missed, 15);
        assert!(late > 10, "every fifth report four days late: {late}");

        let app = parindex_web::router(crate::common::demo_state(db.clone()));
        let vp = sid(&sign_in(&app, "vp.skhdt", "parindex-demo").await);
        let nv = sid(&sign_in(&app, "nv.dtpt", "parindex-demo").await);
        let stc = sid(&sign_in(&app, "vp.stc", "parindex-demo").await);
        let board = send(&app, "GET", "/units/SKHDT/tasks", &vp, &[], None).await;
        assert_eq!(board.status, StatusCode::OK);
        assert!(board.body.contains(r#"data-column="overdue""#) && board.body.contains("Quá hạn"));
        assert_eq!(board.body.matches(r#"class="card""#).count(), 53);
        // Points at stake from the published 2020 results, per division and per card.
        assert!(board.body.contains(r#"id="division-stakes""#), "{kind}");
        assert!(board.body.contains(r#"class="stake""#), "{kind}");
        let i84 = tasks.iter().find(|x| x.criteria == ["I.8.4"]).unwrap();
        let set = db.load_set("brvt-so-2020").await.unwrap().unwrap();
        let scores = db.load_unit_scores(&set, "SKHDT").await.unwrap().unwrap();
        let i = set.position("I.8.4").unwrap();
        let lost = set.nodes[i].max
            - scores
                .leaves
                .get(&i)
                .map_or(parindex_domain::Points::ZERO, |l| l.effective);
        let page = send(&app, "GET", &format!("/tasks/{}", i84.id), &vp, &[], None).await;
        let stake = page
            .body
            .split(r#"id="stake""#)
            .nth(1)
            .and_then(|r| r.split("</dd>").next())
            .unwrap_or_else(|| unreachable!("{kind}: no stake on the task page"));
        assert!(
            stake.contains(&lost.to_vi(3)),
            "{kind}: {stake} ≠ {}",
            lost.to_vi(3)
        );
        let filtered = send(
            &app,
            "GET",
            "/units/SKHDT/tasks?division=SKHDT-DTPT",
            &vp,
            &[],
            None,
        )
        .await;
        let dtpt_cards = filtered.body.matches(r#"class="card""#).count();
        // The general items ("các phòng") whose criterion names an owner division are led
        // by that division alone: DTPT leads I.8.4 (owner Phòng Đầu tư phát triển), not
        // I.1.5.1 or I.7.1 (Văn phòng Sở) nor I.2.1.x (Phòng Thanh tra).
        assert_eq!(
            dtpt_cards,
            8 + 1 + 1,
            "the division's own 8, the general item without a criterion, and I.8.4"
        );
        assert_eq!(
            send(&app, "GET", "/units/SKHDT/tasks", &stc, &[], None)
                .await
                .status,
            StatusCode::FORBIDDEN
        );
        let xlsx = send(
            &app,
            "GET",
            "/units/SKHDT/tasks?format=xlsx",
            &vp,
            &[],
            None,
        )
        .await;
        assert_eq!(xlsx.status, StatusCode::OK);

        // The director's brief: overdue by division, the points still at stake.
        let gd = sid(&sign_in(&app, "gd.skhdt", "parindex-demo").await);
        let brief = send(&app, "GET", "/units/SKHDT/brief", &gd, &[], None).await;
        assert_eq!(brief.status, StatusCode::OK);
        assert!(
            brief.body.contains(r#"id="overdue""#),
            "{kind}: missed reports show by division"
        );
        let stakes = brief
            .body
            .split(r#"id="stakes""#)
            .nth(1)
            .unwrap()
            .split("</table>")
            .next()
            .unwrap()
            .to_string();
        assert!(
            stakes.contains(r#"<td class="code">I.8.4</td>"#) && stakes.contains("3,250"),
            "{stakes}"
        );
        assert_eq!(
            send(&app, "GET", "/units/SKHDT/brief", &nv, &[], None)
                .await
                .status,
            StatusCode::FORBIDDEN
        );

        // From points lost to tasks, through the criterion → division table.
        let lost = send(
            &app,
            "GET",
            "/units/SKHDT/sets/brvt-so-2020/lost",
            &vp,
            &[],
            None,
        )
        .await;
        assert_eq!(lost.status, StatusCode::OK, "{}", lost.body);
        assert_eq!(
            lost.body.matches("<tr data-code=").count(),
            10,
            "five criteria of the notice and five survey leaves"
        );
        let row = |code: &str| {
            lost.body
                .split(&format!(r#"<tr data-code="{code}">"#))
                .nth(1)
                .unwrap()
                .split("</tr>")
                .next()
                .unwrap()
                .to_string()
        };
        assert!(
            row("I.8.4").contains(r#"<option value="SKHDT-DTPT" selected>"#),
            "seeded from the set's owner"
        );
        assert!(row("I.7.1").contains(r#"<option value="SKHDT-VP" selected>"#));
        let index = |code: &str| {
            row(code)
                .split("name=\"include_")
                .nth(1)
                .unwrap()
                .split('"')
                .next()
                .unwrap()
                .to_string()
        };
        let i84 = index("I.8.4");
        let made = send(
            &app,
            "POST",
            "/units/SKHDT/sets/brvt-so-2020/lost",
            &vp,
            &[
                ("csrf", &csrf_of(&app, &vp).await),
                (&format!("include_{i84}"), "on"),
                (&format!("division_{i84}"), "SKHDT-DKKD"),
                ("end_on", "2026-12-31"),
            ],
            ORIGIN,
        )
        .await;
        assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.body);
        assert_eq!(
            db.responsibilities("brvt-so-2020", "SKHDT").await.unwrap(),
            [("I.8.4".to_string(), "SKHDT-DKKD".to_string())]
        );
        let fixed = db
            .tasks("SKHDT", "2026-11-27")
            .await
            .unwrap()
            .into_iter()
            .find(|t| t.title.starts_with("Khắc phục tiêu chí I.8.4"))
            .unwrap();
        assert_eq!(
            (fixed.leads.clone(), fixed.criteria.clone()),
            (vec!["SKHDT-DKKD".to_string()], vec!["I.8.4".to_string()])
        );
        let again = send(
            &app,
            "GET",
            "/units/SKHDT/sets/brvt-so-2020/lost",
            &vp,
            &[],
            None,
        )
        .await;
        let row84 = again
            .body
            .split(r#"<tr data-code="I.8.4">"#)
            .nth(1)
            .unwrap()
            .split("</tr>")
            .next()
            .unwrap()
            .to_string();
        assert!(
            row84.contains(r#"<option value="SKHDT-DKKD" selected>"#),
            "the table remembers"
        );
        assert_eq!(
            send(
                &app,
                "GET",
                "/units/SKHDT/sets/brvt-so-2020/lost",
                &nv,
                &[],
                None
            )
            .await
            .status,
            StatusCode::FORBIDDEN
        );

        // Import with a preview; one title edited, one item left out.
        let csrf = send(&app, "GET", "/units/SKHDT/directives/new", &vp, &[], None)
            .await
            .hidden("csrf");
        let preview = multipart(
            &app,
            "/units/SKHDT/directives/new",
            &vp,
            &[("csrf", &csrf), ("action", "preview"), ("text", PLAN)],
            None,
        )
        .await;
        assert_eq!(preview.status, StatusCode::OK, "{}", preview.body);
        assert_eq!(
            preview.body.matches("data-proposal=").count(),
            3,
            "{}",
            preview.body
        );
        assert!(
            preview
                .body
                .contains("Tăng cường công khai thủ tục hành chính")
        );
        let created = multipart(
            &app,
            "/units/SKHDT/directives/new",
            &vp,
            &[
                ("csrf", &csrf),
                ("action", "create"),
                ("text", PLAN),
                ("include_0", "on"),
                ("title_0", "Cập nhật TTHC lên website mỗi thứ Sáu"),
                ("person_0", "Nguyễn Thị Văn thư"),
                ("lead_0", "SKHDT-VP"),
                ("repeat_0", "weekly"),
                ("end_on_0", "2021-12-31"),
                ("include_2", "on"),
                ("title_2", ""),
                ("lead_2", "SKHDT-DKKD"),
                ("repeat_2", "monthly"),
                ("end_on_2", "2021-12-31"),
            ],
            None,
        )
        .await;
        assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.body);
        let tasks = db.tasks("SKHDT", "2021-05-10").await.unwrap();
        assert_eq!(
            tasks.len(),
            56,
            "53 + one from the points lost + two imported"
        );
        let web = tasks
            .iter()
            .find(|t| t.title == "Cập nhật TTHC lên website mỗi thứ Sáu")
            .unwrap();
        assert_eq!(web.leads, ["SKHDT-VP"]);
        assert_eq!(web.responsible.as_deref(), Some("Nguyễn Thị Văn thư"));
        assert!(matches!(
            web.repeat,
            parindex_domain::schedule::Repeat::Weekly { weekday: 5 }
        ));
        let monthly = tasks.last().unwrap();
        assert_eq!(
            (monthly.leads.clone(), monthly.supports.clone()),
            (vec!["SKHDT-DKKD".to_string()], vec!["SKHDT-VP".to_string()])
        );
        assert_eq!(
            db.occurrences(monthly.id).await.unwrap().len(),
            8,
            "May–December"
        );
        let no_lead = multipart(
            &app,
            "/units/SKHDT/directives/new",
            &vp,
            &[
                ("csrf", &csrf),
                ("action", "create"),
                ("text", PLAN),
                ("include_1", "on"),
                ("lead_1", ""),
            ],
            None,
        )
        .await;
        assert_eq!(no_lead.status, StatusCode::BAD_REQUEST);

        // A directive sent as a file keeps its file; a forged signature attaches nothing.
        let with_file = multipart(
            &app,
            "/units/SKHDT/directives/new",
            &vp,
            &[("csrf", &csrf), ("action", "preview")],
            Some(("ke-hoach-30.txt", PLAN.as_bytes())),
        )
        .await;
        assert_eq!(with_file.status, StatusCode::OK);
        let (sha, sig) = (with_file.hidden("file_sha"), with_file.hidden("file_sig"));
        assert_eq!(sha.len(), 64);
        for (sig, kept) in [("forged", false), (sig.as_str(), true)] {
            let r = multipart(
                &app,
                "/units/SKHDT/directives/new",
                &vp,
                &[
                    ("csrf", &csrf),
                    ("action", "create"),
                    ("text", PLAN),
                    ("file_name", "ke-hoach-30.txt"),
                    ("file_sha", &sha),
                    ("file_sig", sig),
                    ("include_0", "on"),
                    ("lead_0", "SKHDT-VP"),
                ],
                None,
            )
            .await;
            assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
            let newest = db
                .tasks("SKHDT", "2026-11-27")
                .await
                .unwrap()
                .last()
                .unwrap()
                .directive_id
                .unwrap();
            let d = db.directive(newest).await.unwrap().unwrap();
            assert_eq!(d.file_sha256.is_some(), kept);
            if kept {
                let file = send(
                    &app,
                    "GET",
                    &format!("/directives/{newest}/file"),
                    &vp,
                    &[],
                    None,
                )
                .await;
                assert_eq!(file.body, PLAN);
            }
        }

        // A division reports on its own task, with a file; others cannot.
        let own = db
            .tasks("SKHDT", "2026-11-27")
            .await
            .unwrap()
            .into_iter()
            .find(|t| t.leads.contains(&"SKHDT-DTPT".to_string()) && t.overdue > 0)
            .unwrap();
        let occ = db
            .occurrences(own.id)
            .await
            .unwrap()
            .into_iter()
            .find(|o| o.status == "open")
            .unwrap();
        let page = send(&app, "GET", &format!("/tasks/{}", own.id), &nv, &[], None).await;
        // The task links back to its paragraph of the notice.
        let source = page
            .body
            .split(r#"<a href=""#)
            .find(|s| s.starts_with("/directives/"))
            .unwrap()
            .split('"')
            .next()
            .unwrap()
            .to_string();
        let line = source.rsplit("#line-").next().unwrap().to_string();
        let notice = send(
            &app,
            "GET",
            source.split('#').next().unwrap(),
            &nv,
            &[],
            None,
        )
        .await;
        assert_eq!(notice.status, StatusCode::OK);
        let para = notice
            .body
            .split(&format!(r#"<p id="line-{line}">"#))
            .nth(1)
            .unwrap()
            .split("</p>")
            .next()
            .unwrap()
            .to_string();
        assert!(
            para.contains(&format!(r#"href="/tasks/{}""#, own.id)),
            "{para}"
        );
        assert!(
            page.body
                .contains(&format!(r#"action="/occurrences/{}/report""#, occ.id))
        );
        let ncsrf = page.hidden("csrf");
        let report = multipart(
            &app,
            &format!("/occurrences/{}/report", occ.id),
            &nv,
            &[
                ("csrf", &ncsrf),
                ("report", "Đã rà soát 12 hồ sơ, 0 trễ hạn"),
            ],
            Some(("bao-cao.pdf", b"%PDF-1.4\n%%EOF\n")),
        )
        .await;
        assert_eq!(report.status, StatusCode::SEE_OTHER, "{}", report.body);
        let done = db
            .occurrences(own.id)
            .await
            .unwrap()
            .into_iter()
            .find(|o| o.id == occ.id)
            .unwrap();
        assert_eq!(done.status, "done");
        assert!(done.evidence_id.is_some(), "the file became evidence");
        let twice = multipart(
            &app,
            &format!("/occurrences/{}/report", occ.id),
            &nv,
            &[("csrf", &ncsrf), ("report", "lại")],
            None,
        )
        .await;
        assert_eq!(twice.status, StatusCode::CONFLICT);
        let stc_csrf = send(&app, "GET", "/account/password", &stc, &[], None)
            .await
            .hidden("csrf");
        let foreign = multipart(
            &app,
            &format!("/occurrences/{}/report", occ.id),
            &stc,
            &[("csrf", &stc_csrf), ("report", "x")],
            None,
        )
        .await;
        assert_eq!(foreign.status, StatusCode::FORBIDDEN);

        // Comments, starting an occurrence, cancelling a task with its reason.
        let vcsrf = csrf_of(&app, &vp).await;
        let c = send(
            &app,
            "POST",
            &format!("/tasks/{}/comments", own.id),
            &nv,
            &[("csrf", &ncsrf), ("text", "Cần thêm số liệu quý II")],
            ORIGIN,
        )
        .await;
        assert_eq!(c.status, StatusCode::SEE_OTHER);
        assert_eq!(
            db.comments(own.id).await.unwrap()[0].2,
            "Cần thêm số liệu quý II"
        );
        let web_id = web.id;
        let next = db
            .occurrences(web_id)
            .await
            .unwrap()
            .into_iter()
            .find(|o| o.status == "open")
            .unwrap();
        let st = send(
            &app,
            "POST",
            &format!("/occurrences/{}/start", next.id),
            &vp,
            &[("csrf", &vcsrf)],
            ORIGIN,
        )
        .await;
        assert_eq!(st.status, StatusCode::SEE_OTHER);
        assert_eq!(
            db.occurrences(web_id)
                .await
                .unwrap()
                .into_iter()
                .find(|o| o.id == next.id)
                .unwrap()
                .status,
            "in_progress"
        );
        let no_reason = send(
            &app,
            "POST",
            &format!("/tasks/{web_id}/cancel"),
            &vp,
            &[("csrf", &vcsrf), ("text", "")],
            ORIGIN,
        )
        .await;
        assert_eq!(no_reason.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            no_reason.body.contains("Cần ghi lý do hủy"),
            "{}",
            no_reason.body
        );
        let by_division = send(
            &app,
            "POST",
            &format!("/tasks/{web_id}/cancel"),
            &nv,
            &[("csrf", &ncsrf), ("text", "x")],
            ORIGIN,
        )
        .await;
        assert_eq!(by_division.status, StatusCode::FORBIDDEN);
        let cancel = send(
            &app,
            "POST",
            &format!("/tasks/{web_id}/cancel"),
            &vp,
            &[("csrf", &vcsrf), ("text", "Đã gộp vào nhiệm vụ II.1.15")],
            ORIGIN,
        )
        .await;
        // A second step asks first, with the task and the reason; nothing is cancelled yet.
        assert_eq!(cancel.status, StatusCode::OK);
        assert!(
            cancel.body.contains(r#"id="confirm-step""#),
            "{}",
            cancel.body
        );
        assert!(cancel.body.contains("Đã gộp vào nhiệm vụ II.1.15"));
        assert!(cancel.body.contains("btn danger"), "destructive looks so");
        assert!(
            db.occurrences(web_id)
                .await
                .unwrap()
                .iter()
                .all(|o| o.status != "cancelled")
        );
        let cancel = send(
            &app,
            "POST",
            &format!("/tasks/{web_id}/cancel"),
            &vp,
            &[
                ("csrf", &vcsrf),
                ("text", "Đã gộp vào nhiệm vụ II.1.15"),
                ("confirm", "yes"),
            ],
            ORIGIN,
        )
        .await;
        assert_eq!(cancel.status, StatusCode::SEE_OTHER);
        assert!(
            db.occurrences(web_id)
                .await
                .unwrap()
                .iter()
                .all(|o| o.status == "cancelled")
        );
        let page = send(&app, "GET", &format!("/tasks/{web_id}"), &vp, &[], None).await;
        assert!(
            page.body
                .contains("Hủy nhiệm vụ: Đã gộp vào nhiệm vụ II.1.15")
        );
        // Calendar of a month and the overdue list.
        let cal = send(
            &app,
            "GET",
            "/units/SKHDT/calendar?month=2021-06",
            &vp,
            &[],
            None,
        )
        .await;
        assert_eq!(cal.status, StatusCode::OK);
        assert!(
            cal.body.contains("30/06/2021")
                && cal.body.contains("2021-05")
                && cal.body.contains("2021-07")
        );
        let overdue_csv = send(
            &app,
            "GET",
            "/units/SKHDT/overdue?format=csv",
            &vp,
            &[],
            None,
        )
        .await;
        assert!(overdue_csv.body.lines().count() > 5, "{}", overdue_csv.body);

        // The register: a late report was recorded; the Office excuses one with a reason.
        let register = send(&app, "GET", "/units/SKHDT/violations", &vp, &[], None).await;
        assert!(register.body.contains("hoàn thành muộn"), "{kind}");
        let vid = db.violations("SKHDT").await.unwrap()[0].id;
        let excuse = send(
            &app,
            "POST",
            &format!("/violations/{vid}"),
            &vp,
            &[
                ("csrf", &csrf),
                ("excused", "yes"),
                ("reason", "Nghỉ lễ 30/4–1/5"),
            ],
            ORIGIN,
        )
        .await;
        assert_eq!(excuse.status, StatusCode::SEE_OTHER, "{}", excuse.body);
        assert!(
            db.violations("SKHDT")
                .await
                .unwrap()
                .iter()
                .any(|v| v.id == vid && v.excused)
        );
        let export = send(
            &app,
            "GET",
            "/units/SKHDT/violations?format=csv",
            &vp,
            &[],
            None,
        )
        .await;
        assert!(export.body.contains("Nghỉ lễ 30/4–1/5"));
        assert!(
            db.audit_history(&format!("violation/{vid}"))
                .await
                .unwrap()
                .len()
                == 1
        );
    }
}

#[tokio::test]
async fn directive_import_and_sweep_from_the_command_line() {
    for (db, url) in parindex_db::testkit::each_db().await {
        let units = temp_file(
            "dir-units.csv",
            "code,name,parent_code,kind,group\nSKHDT,Sở Kế hoạch và Đầu tư,,so,so\nSKHDT-VP,Văn phòng Sở,SKHDT,phong,\nSKHDT-DTPT,Phòng Đầu tư phát triển,SKHDT,phong,\nSKHDT-DKKD,Phòng Đăng ký kinh doanh,SKHDT,phong,\nSKHDT-TTRA,Phòng Thanh tra,SKHDT,phong,\n",
        );
        assert_eq!(run(&url, &["units", "import", &units]).code, 0);
        let r = run(
            &url,
            &[
                "directive",
                "import",
                &data("tb-skhdt-2021-04-chan-chinh-cchc.txt"),
                "--unit",
                "SKHDT",
            ],
        );
        assert_eq!(r.code, 0, "{}", r.stderr);
        assert!(r.stdout.contains("Đã tạo 53 nhiệm vụ"), "{}", r.stdout);
        let tasks = db.tasks("SKHDT", "2021-04-01").await.unwrap();
        // General items go to every division; the grouped planning divisions are unknown here.
        assert_eq!(tasks[0].leads.len(), 4);
        let grouped = tasks
            .iter()
            .find(|t| t.item_ref.as_deref() == Some("II.5.1"))
            .unwrap();
        assert!(
            grouped.leads.is_empty()
                && grouped
                    .responsible
                    .as_deref()
                    .unwrap_or_default()
                    .contains("đấu thầu"),
            "{grouped:?}"
        );
        let sweep = run(&url, &["tasks", "sweep", "--today", "01/07/2021"]);
        assert_eq!(sweep.code, 0, "{}", sweep.stderr);
        let n = db.violations("SKHDT").await.unwrap().len();
        assert!(
            n > 0 && sweep.stdout.contains(&format!("Đã ghi nhận {n} vi phạm")),
            "{}",
            sweep.stdout
        );
        let again = run(&url, &["tasks", "sweep", "--today", "01/07/2021"]);
        assert!(
            again.stdout.contains("Đã ghi nhận 0 vi phạm"),
            "once per occurrence"
        );
        assert_eq!(
            run(
                &url,
                &[
                    "directive",
                    "import",
                    &data("tb-skhdt-2021-04-chan-chinh-cchc.txt"),
                    "--unit",
                    "NOPE"
                ]
            )
            .code,
            1
        );
    }
}

#[tokio::test]
async fn a_directive_repeating_for_centuries_is_refused_and_stores_nothing() {
    let (db, url) = parindex_db::testkit::sqlite().await;
    let units = temp_file(
        "far-units.csv",
        "code,name,parent_code,kind,group\nSKHDT,Sở Kế hoạch và Đầu tư,,so,so\nSKHDT-VP,Văn phòng Sở,SKHDT,phong,\nSKHDT-DKKD,Phòng Đăng ký kinh doanh,SKHDT,phong,\n",
    );
    assert_eq!(run(&url, &["units", "import", &units]).code, 0);
    let far = temp_file(
        "far-plan.txt",
        &PLAN.replace(
            "trên trang thông tin điện tử hàng tuần.",
            "trên trang thông tin điện tử hàng tuần đến ngày 31/12/3000.",
        ),
    );
    let r = run(&url, &["directive", "import", &far, "--unit", "SKHDT"]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stderr.contains(&format!("{far}: dòng 12: mục "))
            && r.stderr
                .contains("hạn 31/12/3000 quá 10 năm kể từ ngày bắt đầu 05/05/2021"),
        "{}",
        r.stderr
    );
    assert_eq!(db.count_occurrences().await.unwrap(), 0);
    assert!(db.tasks("SKHDT", "2021-05-05").await.unwrap().is_empty());
    // Ten years at most: the same plan with a near deadline is stored.
    let near = temp_file(
        "near-plan.txt",
        &PLAN.replace(
            "trên trang thông tin điện tử hàng tuần.",
            "trên trang thông tin điện tử hàng tuần đến ngày 05/05/2031.",
        ),
    );
    let r = run(&url, &["directive", "import", &near, "--unit", "SKHDT"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reminders_and_escalation_reach_the_smtp_sink() {
    use crate::common::{SmtpSink, run_with_stdin};
    for (db, url) in parindex_db::testkit::each_db().await {
        let kind = db.kind();
        let units = temp_file(
            "rem-units.csv",
            "code,name,parent_code,kind,group\nSKHDT,Sở Kế hoạch và Đầu tư,,so,so\nSKHDT-VP,Văn phòng Sở,SKHDT,phong,\n",
        );
        assert_eq!(run(&url, &["units", "import", &units]).code, 0);
        for (user, role, unit, email) in [
            ("nv1", "division", "SKHDT-VP", Some("nv@vp.test")),
            ("tp1", "leader", "SKHDT-VP", Some("tp@vp.test")),
            ("gd1", "leader", "SKHDT", Some("gd@skhdt.test")),
            ("vp1", "focal", "SKHDT", None),
        ] {
            let mut args = vec![
                "user",
                "add",
                "--username",
                user,
                "--role",
                role,
                "--unit",
                unit,
                "--password-stdin",
            ];
            if let Some(e) = email {
                args.extend(["--email", e]);
            }
            let r = run_with_stdin(&url, &args, "mat-khau-thu-nghiem\n");
            assert_eq!(r.code, 0, "{}", r.stderr);
        }
        let day = |s: &str| parindex_domain::text::Date::parse(s).unwrap();
        let task = parindex_db::NewTask {
            item_ref: Some("II.1.2".into()),
            source_line: None,
            title: "Báo cáo cắt giảm thời gian TTHC".into(),
            body: "Báo cáo danh sách TTHC cắt giảm".into(),
            responsible: None,
            leads: vec!["SKHDT-VP".into()],
            supports: vec![],
            criteria: vec!["I.8.4".into()],
            references: vec![],
            schedule: parindex_domain::schedule::Schedule {
                repeat: parindex_domain::schedule::Repeat::Once,
                start: day("2021-04-20"),
                end: day("2021-06-30"),
            },
        };
        db.create_task("SKHDT", &task, "test", "2021-04-20T08:00:00Z")
            .await
            .unwrap();

        let sink = SmtpSink::start().await;
        let smtp = format!("smtp://127.0.0.1:{}", sink.port);
        let mut expected: Vec<(&str, &str)> = Vec::new();
        // Days are working days (the shipped calendar): reminders 7, 3 and 1 working days
        // before Wednesday 30/06/2021, then 3 and 7 working days late.
        for (today, new) in [
            ("2021-06-20", None),
            ("2021-06-23", Some(("nv@vp.test", "Nhắc hạn 30/06/2021"))),
            ("2021-06-23", None),
            // Saturday: three working days (28, 29, 30) are left.
            ("2021-06-26", Some(("nv@vp.test", "Nhắc hạn 30/06/2021"))),
            ("2021-06-29", Some(("nv@vp.test", "Nhắc hạn 30/06/2021"))),
            ("2021-07-01", Some(("nv@vp.test", "Quá hạn"))),
            // Saturday: two working days late, not yet the head's turn.
            ("2021-07-03", None),
            ("2021-07-05", Some(("tp@vp.test", "Nhắc trưởng phòng"))),
            ("2021-07-07", None),
            ("2021-07-09", Some(("gd@skhdt.test", "Báo cáo Giám đốc"))),
            ("2021-07-12", None),
        ] {
            let r = run(
                &url,
                &["tasks", "remind", "--today", today, "--smtp", &smtp],
            );
            assert_eq!(r.code, 0, "{today}: {}", r.stderr);
            expected.extend(new);
            let got = sink.messages.lock().await.clone();
            assert_eq!(got.len(), expected.len(), "{kind} {today}: {got:?}");
        }
        let got = sink.messages.lock().await.clone();
        for (m, (to, subject)) in got.iter().zip(&expected) {
            assert_eq!(m.rcpt, [to.to_string()]);
            assert!(m.subject().contains(subject), "{} ≠ {subject}", m.subject());
            assert!(
                m.subject().contains("Báo cáo cắt giảm thời gian TTHC"),
                "{}",
                m.subject()
            );
        }
        // The director's carries the audit trail's head (kept outside the database).
        let director = db.notifications("gd1").await.unwrap();
        let head = director
            .iter()
            .find_map(|n| n.body.split("Mã đầu nhật ký kiểm tra: ").nth(1))
            .and_then(|r| r.split(" (").next())
            .unwrap_or_else(|| panic!("{kind}: {director:?}"))
            .to_string();
        assert_eq!(
            run(&url, &["audit", "verify", "--head", &head]).code,
            0,
            "{head}"
        );
        // The same notices in the application; the assignee acknowledges one.
        let nv = db.notifications("nv1").await.unwrap();
        assert_eq!(nv.len(), 4);
        let app = parindex_web::router(crate::common::demo_state(db.clone()));
        let cookie = sid(&sign_in(&app, "nv1", "mat-khau-thu-nghiem").await);
        let page = send(&app, "GET", "/notifications", &cookie, &[], None).await;
        assert_eq!(page.body.matches("data-notification=").count(), 4);
        let csrf = page.hidden("csrf");
        let ack = send(
            &app,
            "POST",
            &format!("/notifications/{}/ack", nv[0].id),
            &cookie,
            &[("csrf", &csrf)],
            ORIGIN,
        )
        .await;
        assert_eq!(ack.status, StatusCode::SEE_OTHER);
        assert!(
            db.notifications("nv1").await.unwrap()[0]
                .acknowledged_at
                .is_some()
        );
        let gd = sid(&sign_in(&app, "gd1", "mat-khau-thu-nghiem").await);
        let gd_csrf = send(&app, "GET", "/notifications", &gd, &[], None)
            .await
            .hidden("csrf");
        let foreign = send(
            &app,
            "POST",
            &format!("/notifications/{}/ack", nv[1].id),
            &gd,
            &[("csrf", &gd_csrf)],
            ORIGIN,
        )
        .await;
        assert_eq!(foreign.status, StatusCode::NOT_FOUND, "only one's own");
        // Once reported, nobody is chased any more.
        let task_id = db.tasks("SKHDT", "2021-07-09").await.unwrap()[0].id;
        let occ = db.occurrences(task_id).await.unwrap()[0].id;
        db.complete_occurrence(occ, "Đã báo cáo", None, "nv1", "2021-07-09T09:00:00Z")
            .await
            .unwrap();
        assert_eq!(
            run(
                &url,
                &["tasks", "remind", "--today", "2021-07-20", "--smtp", &smtp]
            )
            .code,
            0
        );
        assert_eq!(sink.messages.lock().await.len(), expected.len());

        // Deadlines on days off move to the next working day: the 1st of May 2021 is a
        // Saturday inside the 30/4–3/5 holidays, so the monthly report is due on Tuesday
        // 04/05; 01/06 is a Tuesday and stays.
        let monthly = parindex_db::NewTask {
            title: "Báo cáo tháng".into(),
            schedule: parindex_domain::schedule::Schedule {
                repeat: parindex_domain::schedule::Repeat::Monthly { day: 1 },
                start: day("2021-04-20"),
                end: day("2021-06-30"),
            },
            ..task.clone()
        };
        let id = db
            .create_task("SKHDT", &monthly, "test", "2021-07-12T08:00:00Z")
            .await
            .unwrap();
        let dues: Vec<String> = db
            .occurrences(id)
            .await
            .unwrap()
            .into_iter()
            .map(|o| o.due_on)
            .collect();
        assert_eq!(dues, ["2021-05-04", "2021-06-01"], "{kind}");
    }
}
