//! Authorization matrix: every route of the router's own table × every role × a unit of its
//! own, another, its parent and its child × the phases of the cycle. The expected answer
//! comes from the one access policy (the table names each route's action), so a handler that
//! checks something else fails here. Every unit's data carries unique markers (task titles,
//! notes, evidence titles and file names, dossier codes, appraisal reasons) that must never
//! appear in a response to someone the policy keeps from that unit's data — whatever the
//! status.

use std::fmt::Write as _;

use axum::body::Body;
use axum::http::{Request, header};
use http_body_util::BodyExt;
use parindex_domain::access::Role;
use parindex_domain::cycle::Phase;
use parindex_domain::policy::{self, Action, Actor, Denied, Target};
use parindex_web::{Guard, Route};
use tower::ServiceExt;

use crate::auth::{add_user, sign_in};
use crate::common::{data, demo_dbs, run, temp_file};

/// SKHDT is the unit roles' own unit; STC another department; UBND-BRVT the departments'
/// parent; SKHDT-VP a division of SKHDT (the division member's own unit).
const UNITS: [&str; 4] = ["SKHDT", "STC", "UBND-BRVT", "SKHDT-VP"];
const SET: &str = "example-so-2020";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Who {
    Anon,
    Admin,
    Secretariat,
    Appraiser,
    Leader,
    Focal,
    Division,
    Viewer,
}

impl Who {
    const ALL: [Who; 8] = [
        Who::Anon,
        Who::Admin,
        Who::Secretariat,
        Who::Appraiser,
        Who::Leader,
        Who::Focal,
        Who::Division,
        Who::Viewer,
    ];

    fn account(self) -> Option<(Role, Option<&'static str>, Option<&'static str>)> {
        match self {
            Who::Anon => None,
            Who::Admin => Some((Role::Admin, None, None)),
            Who::Secretariat => Some((Role::Secretariat, None, None)),
            Who::Appraiser => Some((Role::Appraiser, None, None)),
            Who::Leader => Some((Role::Leader, Some("SKHDT"), Some("UBND-BRVT"))),
            Who::Focal => Some((Role::Focal, Some("SKHDT"), Some("UBND-BRVT"))),
            Who::Division => Some((Role::Division, Some("SKHDT-VP"), Some("SKHDT"))),
            Who::Viewer => Some((Role::Viewer, Some("SKHDT"), Some("UBND-BRVT"))),
        }
    }

    fn actor(self) -> Option<Actor<'static>> {
        self.account().map(|(role, unit, unit_parent)| Actor {
            role,
            unit,
            unit_parent,
        })
    }

    fn username(self) -> String {
        format!("m.{self:?}").to_lowercase()
    }
}

fn parent_of(unit: &str) -> Option<&'static str> {
    match unit {
        "SKHDT" | "STC" => Some("UBND-BRVT"),
        "SKHDT-VP" => Some("SKHDT"),
        _ => None,
    }
}

/// A unique marker of a unit's data of one kind (never a substring of another's).
fn marker(kind: &str, unit: &str) -> String {
    format!("mk{kind}{}x", unit.to_lowercase().replace('-', "q"))
}

const KINDS: [&str; 6] = ["task", "note", "evid", "file", "hs", "cut"];

/// Whether `who` may see a marker of `kind` of `unit`'s data in `phase` (of the set).
fn may_see(who: Who, kind: &str, unit: &str, phase: Phase) -> bool {
    let actor = who.actor();
    let target = Target::unit(unit, parent_of(unit)).in_phase(Some(phase));
    let ok = |a: Action| policy::decide(actor.as_ref(), a, &target).is_ok();
    match kind {
        "task" => ok(Action::ReadTasks),
        "hs" => ok(Action::ReadDossiers),
        "note" => ok(Action::ReadAssessment) || ok(Action::ReadScoreCard),
        "evid" | "file" => ok(Action::ReadAssessment),
        // An appraiser's reason: the province at once, the unit once released.
        _ => {
            policy::province_wide(actor.as_ref())
                || (parindex_domain::cycle::appraisal_released(Some(phase))
                    && (ok(Action::ReadAssessment) || ok(Action::ReadScoreCard)))
        }
    }
}

/// The unit whose data a route touches (by its path), if any.
fn unit_scoped(path: &str) -> bool {
    [
        "{unit_code}",
        "{task_id}",
        "{occurrence_id}",
        "{violation_id}",
        "{directive_id}",
        "{evidence_id}",
        "{file_id}",
    ]
    .iter()
    .any(|p| path.contains(p))
}

/// Routes whose handler checks more than the route's action (a leaf's own state, a task's
/// lead division): once the policy allows, they may still refuse with 403.
fn checks_further(path: &str) -> bool {
    path.contains("{leaf_code}")
        || path.starts_with("/occurrences/")
        || path == "/evidence/{evidence_id}/files"
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// Anything but a server error.
    Any,
    SignIn,
    Refused,
    Allowed,
}

fn expect(route: &Route, who: Who, unit: &str, phase: Phase) -> Expect {
    let Guard::Policy(action) = route.guard else {
        return Expect::Any;
    };
    let mut target = if unit_scoped(route.path) {
        Target::unit(unit, parent_of(unit))
    } else {
        Target::default()
    };
    if route.path.contains("{set_id}") {
        target = target.in_phase(Some(phase));
    }
    match policy::decide(who.actor().as_ref(), action, &target) {
        Ok(()) => Expect::Allowed,
        Err(Denied::SignIn) => Expect::SignIn,
        Err(_) => Expect::Refused,
    }
}

/// Ids of one unit's records.
#[derive(Clone, Copy, Default)]
struct Ids {
    task: i64,
    occurrence: i64,
    violation: i64,
    directive: i64,
    evidence: i64,
    file: i64,
}

fn fill(path: &str, unit: &str, ids: &Ids) -> String {
    path.replace("{task_id}", &ids.task.to_string())
        .replace("{notification_id}", "999999")
        .replace("{directive_id}", &ids.directive.to_string())
        .replace("{occurrence_id}", &ids.occurrence.to_string())
        .replace("{violation_id}", &ids.violation.to_string())
        .replace("{set_id}", SET)
        .replace("{unit_code}", unit)
        .replace("{leaf_code}", "I.1.1")
        .replace("{dossier_code}", &marker("hs", unit))
        .replace("{job_id}", "khong-co")
        .replace("{evidence_id}", &ids.evidence.to_string())
        .replace("{file_id}", &ids.file.to_string())
}

const PDF: &[u8] = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n";

fn multipart(fields: &[(&str, &str)], file: Option<(&str, &str, &[u8])>) -> (String, Vec<u8>) {
    let b = "----matrix";
    let mut body = Vec::new();
    for (k, v) in fields {
        body.extend_from_slice(
            format!("--{b}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    if let Some((name, ctype, bytes)) = file {
        body.extend_from_slice(
            format!(
                "--{b}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: {ctype}\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{b}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={b}"), body)
}

/// A request body that passes CSRF and reaches the handler: real saves and uploads where
/// they change nothing another cell relies on, else a body refused once allowed.
fn body_for(path: &str, csrf: &str, unit: &str, ids: &Ids) -> (String, Vec<u8>) {
    if path.ends_with("/evidence") {
        return multipart(
            &[("csrf", csrf), ("title", "Tài liệu kiểm chứng thử")],
            Some(("bang-chung.pdf", "application/pdf", PDF)),
        );
    }
    if path.ends_with("/files") {
        return multipart(
            &[("csrf", csrf)],
            Some(("ban-moi.pdf", "application/pdf", PDF)),
        );
    }
    if path.ends_with("/dossiers/import") {
        // One real row of the unit in the path.
        let csv = format!(
            "code,unit_code,procedure_code,received_at,finished_at\nMT-{unit},{unit},{},2020-03-03 08:00,\n",
            marker("tt", unit)
        );
        return multipart(
            &[("csrf", csrf)],
            Some(("ho-so.csv", "text/csv", csv.as_bytes())),
        );
    }
    if path == "/units/{unit_code}/report" {
        return (
            "application/x-www-form-urlencoded".into(),
            format!(
                "csrf={csrf}&year=2021&period=q2&chi_dao=Ban+h%C3%A0nh+k%E1%BA%BF+ho%E1%BA%A1ch"
            )
            .into_bytes(),
        );
    }
    if path.ends_with("/report") || path.ends_with("/directives/new") {
        return multipart(&[("csrf", csrf), ("action", "preview")], None);
    }
    let fields = match path {
        "/account/password" => {
            format!("csrf={csrf}&current=sai&new_password=12345678&confirm=12345678")
        }
        "/admin/users" => {
            format!("csrf={csrf}&username=x&display_name=&role=viewer&unit=&password=1")
        }
        "/sets/{set_id}/cycle" => format!("csrf={csrf}&action=window&phase=appraisal"),
        "/sets/{set_id}/units/{unit_code}/leaves/{leaf_code}" => {
            format!("csrf={csrf}&revision=0&action=self&input=K%E1%BB%8Bp+th%E1%BB%9Di")
        }
        "/sets/{set_id}/units/{unit_code}/leaves/{leaf_code}/link" => {
            format!("csrf={csrf}&evidence_id={}", ids.evidence)
        }
        "/sets/{set_id}/units/{unit_code}/leaves/{leaf_code}/delegate" => {
            format!("csrf={csrf}&division=")
        }
        "/admin/users/scopes" => format!("csrf={csrf}&username=m.appraiser&scopes=I.1"),
        _ => format!("csrf={csrf}&username=a&password=b&form_token=x"),
    };
    (
        "application/x-www-form-urlencoded".to_string(),
        fields.into_bytes(),
    )
}

/// Loads every unit's marked data: a task (with an occurrence, a violation), a directive,
/// evidence linked to I.1.1 with a file, a self-assessed note, a procedure and a dossier.
async fn seed(db: &parindex_db::Db, url: &str, store: &std::path::Path) -> Vec<(String, Ids)> {
    let now = "2026-11-27T10:00:00Z";
    let set = db.load_set(SET).await.unwrap().unwrap();
    let leaf = set.position("I.1.1").unwrap();
    let mut procedures =
        String::from("code,name,unit_code,limit_days,internal_days,online_level,postal\n");
    let mut dossiers = String::from("code,unit_code,procedure_code,received_at,finished_at\n");
    for unit in UNITS {
        let _ = writeln!(
            procedures,
            "{},Thủ tục thử,{unit},3,2,full,yes",
            marker("tt", unit)
        );
        let _ = writeln!(
            dossiers,
            "{},{unit},{},2020-03-02 08:00,",
            marker("hs", unit),
            marker("tt", unit)
        );
    }
    let p = temp_file("matrix-thu-tuc.csv", &procedures);
    let r = run(url, &["procedures", "import", &p]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let d = temp_file("matrix-ho-so.csv", &dossiers);
    let r = run(url, &["dossiers", "import", &d]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let text = std::fs::read_to_string(data("tb-skhdt-2021-04-chan-chinh-cchc.txt")).unwrap();
    let mut out = Vec::new();
    for unit in UNITS {
        let day = |s: &str| parindex_domain::text::Date::parse(s).unwrap();
        let task = parindex_db::NewTask {
            item_ref: None,
            source_line: None,
            title: marker("task", unit),
            body: "Cập nhật website hằng tuần".into(),
            responsible: None,
            leads: vec![unit.into()],
            supports: vec![],
            criteria: vec![],
            references: vec![],
            schedule: parindex_domain::schedule::Schedule {
                repeat: parindex_domain::schedule::Repeat::Monthly { day: 31 },
                start: day("2020-01-01"),
                end: day("2020-03-31"),
            },
        };
        let task_id = db.create_task(unit, &task, "test", now).await.unwrap();
        let occurrence = db.occurrences(task_id).await.unwrap()[1].id;
        let d = parindex_domain::directive::parse_directive(&text, &[]).unwrap();
        let directive = db
            .import_directive(unit, &d, &text, None, &[], "test", now)
            .await
            .unwrap()
            .0;
        let sha = format!("{:0>64}", unit.to_lowercase().replace('-', ""));
        std::fs::create_dir_all(store.join(&sha[..2])).unwrap();
        std::fs::write(store.join(&sha[..2]).join(&sha), PDF).unwrap();
        let file_name = format!("{}.pdf", marker("file", unit));
        let meta = parindex_db::EvidenceMeta {
            title: marker("evid", unit),
            ..Default::default()
        };
        let file = parindex_db::NewFile {
            file_name: &file_name,
            content_type: "application/pdf",
            size_bytes: i64::try_from(PDF.len()).unwrap(),
            sha256: &sha,
        };
        let evidence = db
            .create_evidence(unit, &meta, &file, Some((SET, "I.1.1")), "test", now)
            .await
            .unwrap();
        let file = db.unit_evidence(unit).await.unwrap()[0].files[0].id;
        let change = parindex_db::LeafChange::SelfAssessment {
            input: Some("Kịp thời".into()),
            self_points: Some(parindex_domain::Points::parse("1").unwrap()),
            note: Some(marker("note", unit)),
        };
        db.save_leaf(&set, unit, leaf, &change, 0, "test", now)
            .await
            .unwrap();
        out.push((
            unit.to_string(),
            Ids {
                task: task_id,
                occurrence,
                directive,
                evidence,
                file,
                ..Ids::default()
            },
        ));
    }
    db.sweep_violations("2020-05-01", now).await.unwrap();
    for (unit, ids) in &mut out {
        ids.violation = db.violations(unit).await.unwrap()[0].id;
        db.complete_occurrence(ids.occurrence, "Đã báo cáo", None, "test", now)
            .await
            .unwrap();
    }
    out
}

/// Cuts every unit's I.1.1 with a marked reason (the appraisers' step).
async fn appraise(db: &parindex_db::Db) {
    let set = db.load_set(SET).await.unwrap().unwrap();
    let leaf = set.position("I.1.1").unwrap();
    for unit in UNITS {
        let revision = db
            .unit_leaves(SET, unit)
            .await
            .unwrap()
            .into_iter()
            .find(|(c, _)| c == "I.1.1")
            .unwrap()
            .1
            .revision;
        let change = parindex_db::LeafChange::Appraisal {
            appraised: Some(parindex_domain::Points::parse("0.5").unwrap()),
            reason: Some(marker("cut", unit)),
        };
        db.save_leaf(
            &set,
            unit,
            leaf,
            &change,
            revision,
            "m.appraiser",
            "2026-11-28T10:00:00Z",
        )
        .await
        .unwrap();
    }
}

#[tokio::test]
async fn every_route_every_role_every_unit_every_phase() {
    let mut routes = parindex_web::route_table();
    assert!(routes.len() >= 60, "{routes:?}");
    // Signing out ends the sessions the other rows use: last.
    routes.sort_by_key(|r| r.method == "POST" && r.path == "/logout");
    for (db, url) in demo_dbs().await {
        let kind = db.kind();
        assert_eq!(
            run(&url, &["criteria", "import", &data("example-so-2020.yaml")]).code,
            0
        );
        assert_eq!(
            run(&url, &["cycle", "phase", "--set", SET, "self_assessment"]).code,
            0
        );
        for w in &Who::ALL[1..] {
            let (role, unit, _) = w.account().unwrap();
            add_user(&db, &w.username(), role, unit).await;
        }
        let store =
            std::env::temp_dir().join(format!("parindex-matrix-{}-{kind}", std::process::id()));
        let ids = seed(&db, &url, &store).await;

        let mut state = crate::common::demo_state(db.clone());
        state.files = std::sync::Arc::new(parindex_services::files::FileStore::new(&store));
        let app = parindex_web::router(state);
        let mut sessions = vec![(Who::Anon, String::new(), String::new())];
        for w in &Who::ALL[1..] {
            let r = sign_in(&app, &w.username(), "mat-khau-thu-nghiem").await;
            assert_eq!(r.status, 303, "{kind}: {}", r.body);
            let cookie = format!("sid={}", r.cookie_value("sid").unwrap());
            let page =
                crate::auth::send(&app, "GET", "/account/password", &cookie, &[], None).await;
            assert!(
                page.body.contains("name=\"csrf\""),
                "{kind} {w:?}: {} {}",
                page.status,
                page.body
            );
            sessions.push((*w, cookie, page.hidden("csrf")));
        }
        let mut failures = Vec::new();
        let mut checked = 0;
        let mut allowed = 0;
        let mut refused = 0;
        for phase in [
            Phase::SelfAssessment,
            Phase::Appraisal,
            Phase::Explanation,
            Phase::FinalAppraisal,
            Phase::Published,
        ] {
            if phase != Phase::SelfAssessment {
                let r = run(&url, &["cycle", "phase", "--set", SET, phase.as_str()]);
                assert_eq!(r.code, 0, "{}", r.stderr);
                // The server trusts a set's version for a second before reading it again.
                tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
            }
            if phase == Phase::Appraisal {
                appraise(&db).await;
            }
            for route in &routes {
                // Signing out ends the sessions: at the very end (the routes are sorted
                // so that it comes last). Routes without a set are seen in the first phase.
                let runs = if route.path == "/logout" {
                    phase == Phase::Published
                } else {
                    phase == Phase::SelfAssessment || route.path.contains("{set_id}")
                };
                if !runs {
                    continue;
                }
                for (who, cookie, csrf) in &sessions {
                    for (unit, unit_ids) in &ids {
                        let uri = fill(route.path, unit, unit_ids);
                        let mut req = Request::builder()
                            .method(route.method)
                            .uri(&uri)
                            .header(header::HOST, "127.0.0.1:8080");
                        if !cookie.is_empty() {
                            req = req.header(header::COOKIE, cookie);
                        }
                        let body = if route.method == "POST" {
                            let (ctype, body) = body_for(route.path, csrf, unit, unit_ids);
                            req = req
                                .header(header::CONTENT_TYPE, ctype)
                                .header(header::ORIGIN, "http://127.0.0.1:8080");
                            body
                        } else {
                            Vec::new()
                        };
                        let res = app
                            .clone()
                            .oneshot(req.body(Body::from(body)).unwrap())
                            .await
                            .unwrap();
                        let got = res.status().as_u16();
                        let location = res
                            .headers()
                            .get(header::LOCATION)
                            .and_then(|v| v.to_str().ok())
                            .unwrap_or_default()
                            .to_string();
                        let text = String::from_utf8_lossy(
                            &res.into_body().collect().await.unwrap().to_bytes(),
                        )
                        .into_owned();
                        checked += 1;
                        let cell =
                            format!("{} {uri} as {who:?} in {}", route.method, phase.as_str());
                        let want = expect(route, *who, unit, phase);
                        let api = route.path.starts_with("/api/");
                        let ok = match want {
                            Expect::Any => got < 500,
                            Expect::SignIn => {
                                if api {
                                    got == 401
                                } else {
                                    got == 303 && location.starts_with("/login")
                                }
                            }
                            Expect::Refused => got == 403,
                            Expect::Allowed => {
                                got < 500
                                    && got != 401
                                    && (got != 403 || checks_further(route.path))
                                    && !location.starts_with("/login")
                            }
                        };
                        match want {
                            Expect::Allowed => allowed += 1,
                            Expect::Refused | Expect::SignIn => refused += 1,
                            Expect::Any => {}
                        }
                        if !ok {
                            failures.push(format!("{cell}: got {got}, want {want:?}"));
                        }
                        for data_unit in UNITS {
                            for k in KINDS {
                                if text.contains(&marker(k, data_unit))
                                    && !may_see(*who, k, data_unit, phase)
                                {
                                    failures.push(format!(
                                        "{cell}: shows {k} of {data_unit} (got {got})"
                                    ));
                                }
                            }
                        }
                    }
                }
            }
        }
        let _ = std::fs::remove_dir_all(&store);
        assert!(
            failures.is_empty(),
            "{kind}: {} of {checked} cells differ:\n{}",
            failures.len(),
            failures.join("\n")
        );
        // The matrix says something either way.
        assert!(
            allowed > 500 && refused > 500,
            "{allowed} allowed, {refused} refused"
        );
    }
}

/// The markers do what the matrix relies on: a unit's own people see them.
#[tokio::test]
async fn own_data_is_visible_to_its_unit() {
    assert!(may_see(Who::Focal, "task", "SKHDT", Phase::SelfAssessment));
    assert!(may_see(
        Who::Division,
        "task",
        "SKHDT",
        Phase::SelfAssessment
    ));
    assert!(!may_see(Who::Focal, "task", "STC", Phase::SelfAssessment));
    assert!(!may_see(Who::Focal, "cut", "SKHDT", Phase::Appraisal));
    assert!(may_see(Who::Focal, "cut", "SKHDT", Phase::Explanation));
    assert_ne!(marker("task", "SKHDT"), marker("task", "SKHDT-VP"));
    assert!(!marker("task", "SKHDT-VP").contains(&marker("task", "SKHDT")));
}
