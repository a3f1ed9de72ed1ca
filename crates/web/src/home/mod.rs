//! The home page of a signed-in user (`/`): what to do next, by role, each line a link to
//! the page where it is done. Everything shown is what the policy lets the user open.
//!
//! A visitor is sent to the published ranking (or the list of sets when there is none).

use askama::Template;
use axum::extract::State;
use axum::response::{Html, IntoResponse, Response};
use parindex_db::SessionUser;
use parindex_domain::access::Role;
use parindex_domain::cycle::Phase;
use parindex_domain::policy::{Action, Target};
use parindex_domain::text::Date;

use crate::core::error::AppError;
use crate::core::i18n::{Lang, Tr};
use crate::core::layout::{Chrome, LangPref};
use crate::core::state::AppState;
use crate::extract::{MaybeUser, may};

/// How many lines a home list shows before "and N more" (the page behind shows them all).
const SHOWN: usize = 8;
/// Working days ahead that count as "due soon" for dossiers (as the due-soon page).
const DOSSIER_DAYS: u32 = 2;

/// The set the home is about: the current cycle's phase and what is left of its window.
pub struct SetStatus {
    pub id: String,
    pub name: String,
    pub phase: String,
    /// The current phase's closing date (`dd/mm/yyyy`), or empty.
    pub closes: String,
    /// Days left until it closes (for the user's unit: its extension counts), or empty.
    pub days_left: String,
    pub overdue: bool,
    pub sample: bool,
    pub can_read_cycle: bool,
    pub can_manage_cycle: bool,
    pub can_map: bool,
}

/// A line of a home list: text and the link that opens it.
pub struct Line {
    pub href: String,
    pub text: String,
    pub detail: String,
}

/// A unit's own work: self-assessment, tasks, dossiers.
pub struct UnitWork {
    pub code: String,
    pub name: String,
    pub assess_href: String,
    pub scored: usize,
    pub total: usize,
    pub unscored: Vec<Line>,
    pub unscored_more: usize,
    pub evidence_gaps: Vec<Line>,
    pub evidence_more: usize,
    pub submitted: String,
    /// The leader may submit now: every gap is listed with `unscored` and `evidence_gaps`.
    pub can_submit: bool,
    pub show_assessment: bool,
}

/// Tasks of a unit (or of a division within its department).
pub struct TaskWork {
    pub board_href: String,
    pub overdue: Vec<Line>,
    pub overdue_more: usize,
    pub this_week: Vec<Line>,
    pub this_week_more: usize,
}

/// Dossiers of a unit without an apology slip: due in the next working days, and overdue.
pub struct DossierWork {
    pub href: String,
    pub due_soon: u64,
    pub overdue: u64,
    pub until: String,
}

/// The secretariat's view of every unit.
pub struct UnitProgress {
    pub href: String,
    pub code: String,
    pub name: String,
    pub scored: i64,
    pub submitted: String,
}

/// A unit on an appraiser's worklist.
pub struct Worklist {
    pub href: String,
    pub name: String,
    pub to_appraise: usize,
    pub to_answer: usize,
}

#[derive(Template)]
#[template(path = "home.html")]
pub struct HomePage {
    pub t: &'static Tr,
    pub chrome: Chrome,
    pub greeting: String,
    pub role: &'static str,
    pub set: Option<SetStatus>,
    pub unit: Option<UnitWork>,
    pub tasks: Option<TaskWork>,
    pub dossiers: Option<DossierWork>,
    pub brief_href: String,
    pub unread: usize,
    pub progress: Vec<UnitProgress>,
    pub total_leaves: usize,
    pub province_dossiers: String,
    pub scopes: String,
    pub worklist: Vec<Worklist>,
    pub accounts: Option<usize>,
    pub ranking_href: String,
}

pub async fn show_home(
    State(st): State<AppState>,
    LangPref(lang): LangPref,
    MaybeUser(user): MaybeUser,
) -> Result<Response, AppError> {
    let Some(user) = user else {
        return Ok(crate::ranking::pages::visitor_home(&st, lang, None).await);
    };
    // As every guarded page: a password the demo published is changed first.
    if user.must_change_password && !st.demo {
        return Err(AppError::PasswordChange);
    }
    let page = build(&st, lang, &user).await?;
    Ok(Html(page.render()?).into_response())
}

fn role_label(role: Role, lang: Lang) -> &'static str {
    match lang {
        Lang::Vi => role.label_vi(),
        Lang::En => role.label_en(),
    }
}

fn vi_date(iso: &str) -> String {
    Date::parse(iso.get(..10).unwrap_or(iso)).map_or_else(|| iso.to_string(), Date::to_vi)
}

/// The first [`SHOWN`] lines and how many more there are.
fn first(mut lines: Vec<Line>) -> (Vec<Line>, usize) {
    let more = lines.len().saturating_sub(SHOWN);
    lines.truncate(SHOWN);
    (lines, more)
}

async fn build(st: &AppState, lang: Lang, user: &SessionUser) -> Result<HomePage, AppError> {
    let t = lang.tr();
    let today = st.local_instant().date;
    let role = user.user.role;
    // The unit whose work this is: a division works in its department's assessment and
    // tasks (its own tasks are those it leads).
    let own = user.user.unit_code.clone();
    let work_unit = match role {
        Role::Division => user.unit_parent.clone(),
        _ => own.clone(),
    };
    let set_id = st.db.current_set_id().await?;
    let mut set_status = None;
    let mut set_sample = false;
    let mut unit = None;
    let mut progress = Vec::new();
    let mut worklist = Vec::new();
    let mut total_leaves = 0;
    let mut ranking_href = String::new();
    if let Some(set_id) = set_id.as_deref()
        && let Some(set) = st.db.load_set(set_id).await?
    {
        let phase = st.db.phase(set_id).await?;
        set_sample = set.sample;
        total_leaves = set.leaf_count();
        let windows = st.db.windows(set_id).await?;
        let mut closes = phase
            .and_then(|p| windows.iter().find(|w| w.phase == p))
            .and_then(|w| w.closes_on.as_deref())
            .and_then(Date::parse);
        if let (Some(p), Some(u)) = (phase, work_unit.as_deref())
            && let Some(x) = st.db.extension(set_id, u, p).await?
        {
            closes = Date::parse(&x.until_on).or(closes);
        }
        let days = closes.map(|c| c.days_since_epoch() - today.days_since_epoch());
        let any = Target::default().in_phase(phase);
        if may(user, Action::ReadRanking, &any) {
            ranking_href = format!("/sets/{set_id}/ranking");
        }
        set_status = Some(SetStatus {
            id: set.id.clone(),
            name: set.name.clone(),
            phase: phase
                .map_or(t.no_cycle, |p| phase_label(p, lang))
                .to_string(),
            closes: closes.map(Date::to_vi).unwrap_or_default(),
            days_left: days.map(|d| d.to_string()).unwrap_or_default(),
            overdue: days.is_some_and(|d| d < 0),
            sample: set.sample,
            can_read_cycle: may(user, Action::ReadCycle, &any),
            can_manage_cycle: may(user, Action::ManageCycle, &any),
            can_map: may(user, Action::MapCriteria, &any),
        });
        if let Some(u) = work_unit.as_deref() {
            unit = unit_work(st, user, &set, phase, u).await?;
        }
        if matches!(role, Role::Secretariat | Role::Admin) {
            progress = st
                .db
                .progress(set_id)
                .await?
                .into_iter()
                .map(|p| UnitProgress {
                    href: format!("/sets/{set_id}/units/{}/assess", p.unit_code),
                    code: p.unit_code,
                    name: p.unit_name,
                    scored: p.leaves_scored,
                    submitted: p.submitted_at.as_deref().map(vi_date).unwrap_or_default(),
                })
                .collect();
        }
        if role == Role::Appraiser {
            worklist = appraiser_worklist(st, user, &set, phase).await?;
        }
    }
    // The ranking this user may open: the current set's, else the published one.
    if ranking_href.is_empty()
        && let Some(id) = st.db.home_set_id().await?
    {
        let any = Target::default().in_phase(st.db.phase(&id).await?);
        if may(user, Action::ReadRanking, &any) {
            ranking_href = format!("/sets/{id}/ranking");
        }
    }
    let tasks = match work_unit.as_deref() {
        Some(u) if may(user, Action::ReadTasks, &Target::unit(u, None)) => {
            let lead = (role == Role::Division).then_some(own.as_deref()).flatten();
            Some(task_work(st, u, lead, today).await?)
        }
        _ => None,
    };
    let dossiers = match work_unit.as_deref() {
        Some(u) if may(user, Action::ReadDossiers, &Target::unit(u, None)) => {
            dossier_work(st, u).await?
        }
        _ => None,
    };
    let brief_href = work_unit
        .as_deref()
        .filter(|u| may(user, Action::ReadBrief, &Target::unit(u, None)))
        .map(|u| format!("/units/{u}/brief"))
        .unwrap_or_default();
    let province_dossiers = if may(user, Action::ReadProvinceDossiers, &Target::default()) {
        "/dossiers".to_string()
    } else {
        String::new()
    };
    let unread = st
        .db
        .notifications(&user.user.username)
        .await?
        .iter()
        .filter(|n| n.acknowledged_at.is_none())
        .count();
    let accounts = if may(user, Action::ManageAccounts, &Target::default()) {
        Some(st.db.list_users().await?.len())
    } else {
        None
    };
    let scopes = if role == Role::Appraiser {
        let s = st.db.appraiser_scopes(&user.user.username).await?;
        if s.is_empty() {
            t.all_fields.to_string()
        } else {
            s.join(", ")
        }
    } else {
        String::new()
    };
    let unit_name = match own.as_deref() {
        Some(u) => st.db.unit(u).await?.map(|u| u.name).unwrap_or_default(),
        None => String::new(),
    };
    let greeting = if unit_name.is_empty() {
        user.user.display_name.clone()
    } else {
        format!("{} — {unit_name}", user.user.display_name)
    };
    // Sample data shows wherever the set or the unit's figures are the demo's.
    let sample = set_sample || st.demo;
    Ok(HomePage {
        t,
        chrome: Chrome::new(lang, t.home.to_string(), sample, Some(user)),
        greeting,
        role: role_label(role, lang),
        set: set_status,
        unit,
        tasks,
        dossiers,
        brief_href,
        unread,
        progress,
        total_leaves,
        province_dossiers,
        scopes,
        worklist,
        accounts,
        ranking_href,
    })
}

fn phase_label(p: Phase, lang: Lang) -> &'static str {
    match lang {
        Lang::Vi => p.label_vi(),
        Lang::En => p.label_en(),
    }
}

async fn unit_work(
    st: &AppState,
    user: &SessionUser,
    set: &parindex_domain::CriteriaSet,
    phase: Option<Phase>,
    unit_code: &str,
) -> Result<Option<UnitWork>, AppError> {
    let Some(unit) = st.db.unit(unit_code).await? else {
        return Ok(None);
    };
    let submission = st.db.submission(&set.id, unit_code).await?;
    let closed = crate::extract::access::window_closed(st, &set.id, unit_code, phase).await?;
    let target = Target {
        unit: Some(unit_code),
        unit_parent: unit.parent_code.as_deref(),
        phase,
        submitted: submission.is_some(),
        closed,
    };
    if !may(user, Action::ReadAssessment, &target) {
        return Ok(None);
    }
    let stored: std::collections::HashMap<_, _> = st
        .db
        .unit_leaves(&set.id, unit_code)
        .await?
        .into_iter()
        .collect();
    let assess_href = format!("/sets/{}/units/{unit_code}/assess", set.id);
    let mut unscored = Vec::new();
    let mut scored = 0;
    for (_, n) in set.leaves() {
        let code = n.code.as_str();
        if stored
            .get(code)
            .is_some_and(|l| l.score.self_points.is_some() || l.score.not_applicable.is_some())
        {
            scored += 1;
        } else {
            unscored.push(Line {
                href: format!("{assess_href}#leaf-{}", code.replace('.', "-")),
                text: code.to_string(),
                detail: n.name.clone(),
            });
        }
    }
    let evidence = st.db.unit_evidence(unit_code).await?;
    let links = st.db.leaf_evidence(&set.id, unit_code).await?;
    let gaps = crate::assessment::assess::evidence_problems(set, &stored, &links, &evidence)
        .into_iter()
        .map(|p| {
            let code = p.split(':').next().unwrap_or_default().to_string();
            let problem = p.get(code.len() + 1..).unwrap_or_default().trim();
            // "Evidence missing" is the list's title; another problem is said in full.
            let detail = match set.position(&code) {
                Some(i) if problem.starts_with("thiếu") => set.nodes[i].name.clone(),
                _ => problem.to_string(),
            };
            Line {
                href: format!("{assess_href}#leaf-{}", code.replace('.', "-")),
                detail,
                text: code,
            }
        })
        .collect();
    let (unscored, unscored_more) = first(unscored);
    let (evidence_gaps, evidence_more) = first(gaps);
    Ok(Some(UnitWork {
        code: unit_code.to_string(),
        name: unit.name,
        assess_href,
        scored,
        total: set.leaf_count(),
        unscored,
        unscored_more,
        evidence_gaps,
        evidence_more,
        submitted: submission
            .as_ref()
            .map(|(at, _)| vi_date(at))
            .unwrap_or_default(),
        can_submit: may(user, Action::Submit, &target),
        show_assessment: phase.is_some(),
    }))
}

async fn task_work(
    st: &AppState,
    unit: &str,
    lead: Option<&str>,
    today: Date,
) -> Result<TaskWork, AppError> {
    let week = parindex_domain::schedule::from_days(today.days_since_epoch() + 7).to_iso();
    let today = today.to_iso();
    let mut overdue = Vec::new();
    let mut this_week = Vec::new();
    for (_, task, title, due, leads, _) in st.db.open_occurrences(unit, &week).await? {
        if lead.is_some_and(|l| !leads.iter().any(|x| x == l)) {
            continue;
        }
        let line = Line {
            href: format!("/tasks/{task}"),
            text: title,
            detail: vi_date(&due),
        };
        if due < today {
            overdue.push(line);
        } else {
            this_week.push(line);
        }
    }
    let (overdue, overdue_more) = first(overdue);
    let (this_week, this_week_more) = first(this_week);
    Ok(TaskWork {
        board_href: format!("/units/{unit}/tasks"),
        overdue,
        overdue_more,
        this_week,
        this_week_more,
    })
}

async fn dossier_work(st: &AppState, unit: &str) -> Result<Option<DossierWork>, AppError> {
    let now = st.local_instant();
    let cal = st.db.calendar_of(unit).await?;
    let Ok(until) = cal.due_instant(now, DOSSIER_DAYS) else {
        return Ok(None);
    };
    let (overdue, due_soon) = st.db.count_due_without_slip(Some(unit), now, until).await?;
    Ok(Some(DossierWork {
        href: format!("/units/{unit}/dossiers/due-soon"),
        due_soon,
        overdue,
        until: until.to_vi(),
    }))
}

/// The units an appraiser has work on: leaves of their fields that a submitted unit scored
/// and no appraiser has yet, and explanations waiting for an answer.
async fn appraiser_worklist(
    st: &AppState,
    user: &SessionUser,
    set: &parindex_domain::CriteriaSet,
    phase: Option<Phase>,
) -> Result<Vec<Worklist>, AppError> {
    let scopes = st.db.appraiser_scopes(&user.user.username).await?;
    let mut out = Vec::new();
    for p in st.db.progress(&set.id).await? {
        if p.submitted_at.is_none() {
            continue;
        }
        let target = Target::unit(&p.unit_code, None).in_phase(phase);
        if !may(user, Action::ReadAssessment, &target) {
            continue;
        }
        let leaves = st.db.unit_leaves(&set.id, &p.unit_code).await?;
        // A leaf that does not apply to the unit is nobody's to appraise or answer.
        let mine = leaves.iter().filter(|(c, l)| {
            crate::assessment::assess::in_scope(&scopes, c) && l.score.not_applicable.is_none()
        });
        let to_appraise = mine
            .clone()
            .filter(|(_, l)| l.score.self_points.is_some() && l.score.appraised.is_none())
            .count();
        let to_answer = mine
            .filter(|(_, l)| l.explanation_status.as_deref() == Some("pending"))
            .count();
        out.push(Worklist {
            href: format!("/sets/{}/units/{}/assess", set.id, p.unit_code),
            name: format!("{} — {}", p.unit_code, p.unit_name),
            to_appraise,
            to_answer,
        });
    }
    // Work first: units with explanations to answer, then those with most left.
    out.sort_by(|a, b| {
        (b.to_answer, b.to_appraise)
            .cmp(&(a.to_answer, a.to_appraise))
            .then(a.name.cmp(&b.name))
    });
    Ok(out)
}
