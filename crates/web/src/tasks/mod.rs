//! Rectification tasks: from a directive to tasks (preview, then create), the board of a
//! unit's tasks, a task with its occurrences and progress reports, the violation register.

pub use parindex_services::directives::{divisions_of, import_directive, proposals_for, to_task};

// ---------- pages ----------

use askama::Template;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use parindex_db::{SessionUser, TaskSummary};
use parindex_domain::Points;
use parindex_domain::access::Role;
use parindex_domain::schedule::{Repeat, Schedule};
use parindex_domain::text::Date;
use parindex_reports::{Cell, Table};
use serde::Deserialize;

use crate::core::error::AppError;
use crate::core::i18n::{Lang, Tr};
use crate::core::layout::Chrome;
use crate::core::layout::LangPref;
use crate::core::state::AppState;
use crate::extract::access::{DirectiveUnit, NoUnit, OccurrenceUnit, TaskUnit, ViolationUnit};
use crate::extract::{Access, Checked, act};

/// Largest directive form: a 5 MB file and the fields around it.
pub const MAX_DIRECTIVE_FORM: u64 = 5 * 1024 * 1024;

fn vi_date(iso: &str) -> String {
    Date::parse(iso).map_or_else(|| iso.to_string(), Date::to_vi)
}

/// Whether `user` runs `unit`'s tasks (the policy's `RunTasks`).
fn runs_unit_tasks(user: &SessionUser, unit: &str) -> bool {
    crate::extract::may(
        user,
        parindex_domain::policy::Action::RunTasks,
        &parindex_domain::policy::Target::unit(unit, None),
    )
}

fn today(st: &AppState) -> String {
    st.now()[..10].to_string()
}

/// A task's state for the board.
pub fn column(t: &TaskSummary) -> &'static str {
    if t.cancelled {
        "cancelled"
    } else if t.overdue > 0 {
        "overdue"
    } else if t.open == 0 {
        "done"
    } else if t.done > 0 {
        "in_progress"
    } else {
        "not_started"
    }
}

fn column_label(c: &str, t: &Tr) -> &'static str {
    match c {
        "cancelled" => t.st_cancelled,
        "overdue" => t.st_overdue,
        "done" => t.st_done,
        "in_progress" => t.st_in_progress,
        _ => t.st_not_started,
    }
}

pub struct TaskCard {
    /// The points lost last year on the task's criteria (empty when none).
    pub stake: String,
    pub id: i64,
    pub item_ref: String,
    pub title: String,
    pub leads: String,
    pub supports: String,
    pub repeat: String,
    pub next_due: String,
    pub counts: String,
    pub criteria: String,
}

pub struct BoardColumn {
    pub key: &'static str,
    pub label: &'static str,
    pub cards: Vec<TaskCard>,
}

#[derive(Template)]
#[template(path = "tasks.html")]
pub struct BoardPage {
    pub t: &'static Tr,
    pub chrome: Chrome,
    pub unit_code: String,
    pub unit_name: String,
    pub division: String,
    pub divisions: Vec<(String, String)>,
    pub columns: Vec<BoardColumn>,
    pub can_import: bool,
    /// The published set the points at stake come from ("" when none).
    pub stake_set: String,
    /// (division, open tasks it leads, points at stake on their criteria), most first.
    pub stakes: Vec<(String, usize, String)>,
}

#[derive(Deserialize, Default)]
pub struct BoardQuery {
    pub division: Option<String>,
    pub format: Option<String>,
}

fn names(codes: &[String], divisions: &[(String, String)]) -> String {
    parindex_domain::units::names_of(codes, divisions)
}

/// What the unit lost on each criterion in the newest published set (last year's
/// results): the points its open tasks can win back. `None` before any publication.
pub async fn last_year_losses(
    st: &AppState,
    unit: &str,
) -> Result<
    Option<(
        parindex_domain::CriteriaSet,
        std::collections::HashMap<String, Points>,
    )>,
    AppError,
> {
    // The newest published set the unit was assessed in (sets of another level, or years
    // before the unit existed, say nothing about it).
    let mut sets = st.db.list_sets().await?;
    sets.sort_by(|a, b| b.year.cmp(&a.year).then(a.id.cmp(&b.id)));
    let mut found = None;
    for s in sets {
        if st.db.phase(&s.id).await? != Some(parindex_domain::cycle::Phase::Published) {
            continue;
        }
        let Some(set) = st.db.load_set(&s.id).await? else {
            continue;
        };
        if let Some(scores) = st.db.load_unit_scores(&set, unit).await? {
            found = Some((set, scores));
            break;
        }
    }
    let Some((set, scores)) = found else {
        return Ok(None);
    };
    let lost = parindex_domain::scoring::lost_by_code(&set, &scores);
    Ok(Some((set, lost)))
}

pub async fn show_board(
    State(st): State<AppState>,
    Path(unit_code): Path<String>,
    LangPref(lang): LangPref,
    access: Access<act::ReadTasks>,
    Query(q): Query<BoardQuery>,
) -> Result<Response, AppError> {
    let user = access.user;
    let t = lang.tr();
    let unit = st.db.unit(&unit_code).await?.ok_or(AppError::NotFound)?;
    let divisions = st.db.divisions(&unit_code).await?;
    let mut tasks = st.db.tasks(&unit_code, &today(&st)).await?;
    let division = q.division.clone().unwrap_or_default();
    if !division.is_empty() {
        tasks.retain(|x| x.leads.contains(&division) || x.supports.contains(&division));
    }
    if let Some(f) = q.format.as_deref() {
        let mut table = Table::new(
            format!("{} {unit_code}", t.tasks),
            &[
                t.code, t.task, t.lead, t.support, t.schedule, t.next_due, t.status, t.criteria,
            ],
        );
        for x in &tasks {
            table.rows.push(vec![
                x.item_ref.clone().unwrap_or_default().into(),
                x.title.clone().into(),
                names(&x.leads, &divisions).into(),
                names(&x.supports, &divisions).into(),
                x.repeat.label_vi().into(),
                x.next_due
                    .as_deref()
                    .map(vi_date)
                    .unwrap_or_default()
                    .into(),
                column_label(column(x), t).into(),
                x.criteria.join(", ").into(),
            ]);
        }
        return crate::ranking::pages::download_table(&table, f, &format!("nhiem-vu-{unit_code}"));
    }
    let last = last_year_losses(&st, &unit_code).await?;
    let stake_of = |codes: &[String]| -> Option<Points> {
        let (set, lost) = last.as_ref()?;
        Some(parindex_domain::scoring::stake(set, lost, codes)).filter(|p| *p > Points::ZERO)
    };
    let precision = last.as_ref().map_or(3, |(s, _)| s.precision);
    // Per division: the open tasks it leads and the points their criteria lost.
    let mut stakes: Vec<(String, usize, Points)> = Vec::new();
    if last.is_some() {
        let mut owners: Vec<String> = divisions.iter().map(|d| d.0.clone()).collect();
        owners.push(unit_code.clone());
        for code in owners {
            let open: Vec<&TaskSummary> = tasks
                .iter()
                .filter(|x| !x.cancelled && x.open + x.overdue > 0)
                .filter(|x| x.leads.contains(&code) || (x.leads.is_empty() && code == unit_code))
                .collect();
            let criteria: Vec<String> = open.iter().flat_map(|x| x.criteria.clone()).collect();
            if let Some(p) = stake_of(&criteria) {
                stakes.push((
                    names(std::slice::from_ref(&code), &divisions),
                    open.len(),
                    p,
                ));
            }
        }
        stakes.sort_by(|a, b| b.2.cmp(&a.2).then(a.0.cmp(&b.0)));
    }
    let keys = ["overdue", "not_started", "in_progress", "done", "cancelled"];
    let columns = keys
        .iter()
        .map(|k| BoardColumn {
            key: k,
            label: column_label(k, t),
            cards: tasks
                .iter()
                .filter(|x| column(x) == *k)
                .map(|x| TaskCard {
                    stake: stake_of(&x.criteria)
                        .map(|p| p.to_vi(precision))
                        .unwrap_or_default(),
                    id: x.id,
                    item_ref: x.item_ref.clone().unwrap_or_default(),
                    title: x.title.clone(),
                    leads: names(&x.leads, &divisions),
                    supports: names(&x.supports, &divisions),
                    repeat: x.repeat.label_vi(),
                    next_due: x.next_due.as_deref().map(vi_date).unwrap_or_default(),
                    counts: format!("{} ✓ · {} ⏳ · {} ⚠", x.done, x.open, x.overdue),
                    criteria: x.criteria.join(", "),
                })
                .collect(),
        })
        .collect();
    let page = BoardPage {
        t,
        chrome: Chrome::new(
            lang,
            format!("{} — {}", t.tasks, unit.name),
            st.demo,
            Some(&user),
        ),
        unit_code: unit_code.clone(),
        unit_name: unit.name,
        division,
        divisions,
        columns,
        can_import: runs_unit_tasks(&user, &unit_code),
        stake_set: last
            .as_ref()
            .map(|(s, _)| s.name.clone())
            .unwrap_or_default(),
        stakes: stakes
            .into_iter()
            .map(|(d, n, p)| (d, n, p.to_vi(precision)))
            .collect(),
    };
    Ok(Html(page.render()?).into_response())
}

pub struct OccurrenceLine {
    pub id: i64,
    pub due: String,
    pub status: String,
    pub late: bool,
    pub report: String,
    pub done: String,
    pub evidence: String,
    pub can_report: bool,
    pub can_start: bool,
}

#[derive(Template)]
#[template(path = "task.html")]
pub struct TaskPage {
    pub t: &'static Tr,
    pub chrome: Chrome,
    pub unit_code: String,
    pub task: TaskCard,
    pub body: String,
    pub references: String,
    pub responsible: String,
    /// `/directives/{id}#line-{n}` when the task came from a directive.
    pub source: String,
    pub occurrences: Vec<OccurrenceLine>,
    /// (author, when, text).
    pub comments: Vec<(String, String, String)>,
    pub can_cancel: bool,
    pub cancelled: bool,
    /// A form that could not be saved: `cancel`, `comment` or `report-{occurrence}`, the
    /// message, and what was typed.
    pub error_for: String,
    pub message: String,
    pub typed: String,
}

/// The task's unit, and whether `user` reports on it: the unit's leader or focal point,
/// or a division the task names.
async fn task_access(
    st: &AppState,
    user: &SessionUser,
    task_id: i64,
) -> Result<(String, bool), AppError> {
    let (unit, units) = st.db.task_owner(task_id).await?.ok_or(AppError::NotFound)?;
    let own_division = user.user.role == Role::Division
        && user
            .user
            .unit_code
            .as_ref()
            .is_some_and(|u| units.contains(u));
    Ok((unit.clone(), runs_unit_tasks(user, &unit) || own_division))
}

pub async fn show_task(
    State(st): State<AppState>,
    Path(task_id): Path<i64>,
    LangPref(lang): LangPref,
    access: Access<act::ReadTasks, TaskUnit>,
) -> Result<Response, AppError> {
    render_task(&st, lang, &access.user, task_id, None).await
}

/// A form of the task page that could not be saved: (which form, message, what was typed).
type TaskProblem = (String, String, String);

async fn render_task(
    st: &AppState,
    lang: Lang,
    user: &SessionUser,
    task_id: i64,
    problem: Option<TaskProblem>,
) -> Result<Response, AppError> {
    let t = lang.tr();
    let status = if problem.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let (error_for, message, typed) = problem.unwrap_or_default();
    let (unit, can_report) = task_access(st, user, task_id).await?;
    let today = today(st);
    let x = st
        .db
        .tasks(&unit, &today)
        .await?
        .into_iter()
        .find(|x| x.id == task_id)
        .ok_or(AppError::NotFound)?;
    let divisions = st.db.divisions(&unit).await?;
    let occurrences = st
        .db
        .occurrences(task_id)
        .await?
        .into_iter()
        .map(|o| {
            // Reported after its day ("Quá hạn" already says it for open ones).
            let late = o
                .done_at
                .as_deref()
                .is_some_and(|d| d.get(..10).unwrap_or(d) > o.due_on.as_str());
            OccurrenceLine {
                id: o.id,
                due: vi_date(&o.due_on),
                status: match o.status.as_str() {
                    "done" => t.st_done,
                    "cancelled" => t.st_cancelled,
                    "in_progress" => t.st_in_progress,
                    _ if o.due_on < today => t.st_overdue,
                    _ => t.st_not_started,
                }
                .to_string(),
                late,
                report: o.report.unwrap_or_default(),
                done: o
                    .done_at
                    .map(|d| {
                        format!(
                            "{} · {}",
                            parindex_domain::text::local_time_vi(&d),
                            o.done_by.unwrap_or_default()
                        )
                    })
                    .unwrap_or_default(),
                evidence: o.evidence_id.map(|e| e.to_string()).unwrap_or_default(),
                can_report: can_report && o.status != "done" && o.status != "cancelled",
                can_start: can_report && o.status == "open",
            }
        })
        .collect();
    // The points its criteria lost in the last published results.
    let stake = last_year_losses(st, &unit)
        .await?
        .and_then(|(set, lost)| {
            let p = parindex_domain::scoring::stake(&set, &lost, &x.criteria);
            (p > Points::ZERO).then(|| format!("{} ({})", p.to_vi(set.precision), set.name))
        })
        .unwrap_or_default();
    let page = TaskPage {
        t,
        chrome: Chrome::new(lang, x.title.clone(), st.demo, Some(user))
            .crumb(format!("/units/{unit}/tasks"), t.tasks),
        unit_code: unit.clone(),
        body: x.body.clone(),
        references: x.references.join("; "),
        responsible: x.responsible.clone().unwrap_or_default(),
        source: x
            .directive_id
            .map(|d| format!("/directives/{d}#line-{}", x.source_line.unwrap_or(1)))
            .unwrap_or_default(),
        task: TaskCard {
            stake,
            id: x.id,
            item_ref: x.item_ref.clone().unwrap_or_default(),
            title: x.title.clone(),
            leads: names(&x.leads, &divisions),
            supports: names(&x.supports, &divisions),
            repeat: x.repeat.label_vi(),
            next_due: x.next_due.as_deref().map(vi_date).unwrap_or_default(),
            counts: format!("{} ✓ · {} ⏳ · {} ⚠", x.done, x.open, x.overdue),
            criteria: x.criteria.join(", "),
        },
        occurrences,
        comments: st
            .db
            .comments(task_id)
            .await?
            .into_iter()
            .map(|(a, at, b)| (a, parindex_domain::text::local_time_vi(&at), b))
            .collect(),
        can_cancel: runs_unit_tasks(user, &unit) && !x.cancelled,
        cancelled: x.cancelled,
        error_for,
        message,
        typed,
    };
    Ok((status, Html(page.render()?)).into_response())
}

/// Marks an occurrence done with its progress report (and an evidence file, optionally).
/// The task of an occurrence and its unit, for a user who reports on it (its unit's leader
/// or focal point, or a division it names); anyone else is refused.
async fn reporting(
    st: &AppState,
    user: &SessionUser,
    occurrence_id: i64,
) -> Result<(i64, String), AppError> {
    let task_id = st
        .db
        .occurrence_task(occurrence_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let (unit, can_report) = task_access(st, user, task_id).await?;
    if !can_report {
        return Err(AppError::said(
            StatusCode::FORBIDDEN,
            "Bạn không phụ trách nhiệm vụ này.",
            "You are not in charge of this task.",
        ));
    }
    Ok((task_id, unit))
}

pub async fn report_occurrence(
    State(st): State<AppState>,
    Path(occurrence_id): Path<i64>,
    LangPref(lang): LangPref,
    access: Access<act::ReportTask, OccurrenceUnit>,
    headers: HeaderMap,
    mp: Multipart,
) -> Result<Response, AppError> {
    let user = access.user;
    let (task_id, unit) = reporting(&st, &user, occurrence_id).await?;
    let up = crate::assessment::evidence::read_upload(&st, &user, &headers, mp).await?;
    let report = up.fields.get("report").cloned().unwrap_or_default();
    if report.trim().is_empty() {
        let message = match lang {
            Lang::Vi => "Cần ghi nội dung báo cáo tiến độ (tệp đính kèm, nếu có, cần chọn lại).",
            Lang::En => "Write what was done (choose the attached file again, if any).",
        };
        let problem = (
            format!("report-{occurrence_id}"),
            message.to_string(),
            String::new(),
        );
        return render_task(&st, lang, &user, task_id, Some(problem)).await;
    }
    let evidence_id = match up.file {
        Some((name, kind, size, sha)) => {
            let meta = parindex_db::EvidenceMeta {
                title: format!("Báo cáo: {}", report.chars().take(60).collect::<String>()),
                ..Default::default()
            };
            let file = parindex_db::NewFile {
                file_name: &name,
                content_type: kind.content_type(),
                size_bytes: i64::try_from(size).unwrap_or(i64::MAX),
                sha256: &sha,
            };
            Some(
                st.db
                    .create_evidence(&unit, &meta, &file, None, &user.user.username, &st.now())
                    .await?,
            )
        }
        None => None,
    };
    st.db
        .complete_occurrence(
            occurrence_id,
            report.trim(),
            evidence_id,
            &user.user.username,
            &st.now(),
        )
        .await
        .map_err(|e| match e {
            parindex_db::DbError::Conflict(m) => AppError::Conflict(m),
            other => other.into(),
        })?;
    Ok(crate::core::flash::done(
        &format!("/tasks/{task_id}"),
        crate::core::flash::Flash::Reported,
    ))
}

// ---------- violations ----------

pub struct ViolationLine {
    pub id: i64,
    pub task_id: i64,
    pub task: String,
    pub unit: String,
    pub person: String,
    pub due: String,
    pub detected: String,
    pub done: String,
    pub reason: String,
    pub excused: bool,
}

impl ViolationLine {
    /// A violation as the register and the brief show it (division names, Vietnamese dates).
    fn of(v: parindex_db::Violation, divisions: &[(String, String)]) -> ViolationLine {
        ViolationLine {
            id: v.id,
            task_id: v.task_id,
            task: v.task_title,
            unit: names(std::slice::from_ref(&v.unit_code), divisions),
            person: v.person.unwrap_or_default(),
            due: vi_date(&v.due_on),
            detected: vi_date(&v.detected_on),
            done: v
                .done_at
                .map(|d| parindex_domain::text::local_time_vi(&d))
                .unwrap_or_default(),
            reason: v.reason.unwrap_or_default(),
            excused: v.excused,
        }
    }
}

#[derive(Template)]
#[template(path = "violations.html")]
pub struct ViolationsPage {
    pub t: &'static Tr,
    pub chrome: Chrome,
    pub unit_code: String,
    pub unit_name: String,
    pub lines: Vec<ViolationLine>,
    pub can_decide: bool,
}

pub async fn show_violations(
    State(st): State<AppState>,
    Path(unit_code): Path<String>,
    LangPref(lang): LangPref,
    access: Access<act::ReadTasks>,
    Query(q): Query<BoardQuery>,
) -> Result<Response, AppError> {
    let user = access.user;
    let t = lang.tr();
    let unit = st.db.unit(&unit_code).await?.ok_or(AppError::NotFound)?;
    let mut divisions = st.db.divisions(&unit_code).await?;
    divisions.push((unit_code.clone(), unit.name.clone()));
    let lines: Vec<ViolationLine> = st
        .db
        .violations(&unit_code)
        .await?
        .into_iter()
        .map(|v| ViolationLine::of(v, &divisions))
        .collect();
    if let Some(f) = q.format.as_deref() {
        let mut table = Table::new(
            format!("{} {unit_code}", t.violations),
            &[
                t.task, t.unit, t.person, t.due_date, t.detected, t.done_on, t.reason, t.excused,
            ],
        );
        for v in &lines {
            table.rows.push(vec![
                v.task.clone().into(),
                v.unit.clone().into(),
                v.person.clone().into(),
                v.due.clone().into(),
                v.detected.clone().into(),
                v.done.clone().into(),
                v.reason.clone().into(),
                Cell::Text(if v.excused {
                    "có".into()
                } else {
                    "không".into()
                }),
            ]);
        }
        return crate::ranking::pages::download_table(&table, f, &format!("vi-pham-{unit_code}"));
    }
    let page = ViolationsPage {
        t,
        chrome: Chrome::new(
            lang,
            format!("{} — {}", t.violations, unit.name),
            st.demo,
            Some(&user),
        ),
        unit_code: unit_code.clone(),
        unit_name: unit.name,
        lines,
        can_decide: runs_unit_tasks(&user, &unit_code),
    };
    Ok(Html(page.render()?).into_response())
}

#[derive(Deserialize)]
pub struct DecideForm {
    #[serde(default)]
    pub csrf: String,
    #[serde(default)]
    pub excused: String,
    #[serde(default)]
    pub reason: String,
}

pub async fn decide_violation(
    State(st): State<AppState>,
    Path(id): Path<i64>,
    access: Access<act::RunTasks, ViolationUnit>,
    Checked(f): Checked<DecideForm>,
) -> Result<Response, AppError> {
    let unit = access.unit_code().to_string();
    let user = access.user;
    let reason = f.reason.trim();
    if reason.is_empty() {
        return Err(AppError::said(
            StatusCode::BAD_REQUEST,
            "Cần ghi lý do.",
            "A reason is needed.",
        ));
    }
    st.db
        .excuse_violation(
            id,
            f.excused == "yes",
            reason,
            &user.user.username,
            &st.now(),
        )
        .await?;
    Ok(crate::core::flash::done(
        &format!("/units/{unit}/violations"),
        crate::core::flash::Flash::ViolationDecided,
    ))
}

// ---------- import with preview ----------

pub struct ProposalLine {
    pub index: usize,
    pub item_ref: String,
    pub title: String,
    pub body: String,
    pub lead: String,
    pub supports: String,
    pub criteria: String,
    pub repeat: &'static str,
    pub end_on: String,
    pub line: usize,
}

#[derive(Template)]
#[template(path = "directive_new.html")]
pub struct DirectivePage {
    pub t: &'static Tr,
    pub chrome: Chrome,
    pub unit_code: String,
    pub unit_name: String,
    pub text: String,
    pub subject: String,
    pub proposals: Vec<ProposalLine>,
    pub divisions: Vec<(String, String)>,
    pub warnings: Vec<String>,
    pub error: String,
    /// The uploaded file, kept in the store: name, SHA-256 and its signature for this session.
    pub file_name: String,
    pub file_sha: String,
    pub file_sig: String,
}

impl DirectivePage {
    /// The schedules a proposed task may take: (value, label in the page's language).
    pub fn repeats(&self) -> [(&'static str, &'static str); 5] {
        let t = self.t;
        [
            ("once", t.repeat_once),
            ("weekly", t.repeat_weekly),
            ("monthly", t.repeat_monthly),
            ("quarterly", t.repeat_quarterly),
            ("yearly", t.repeat_yearly),
        ]
    }
}

/// Binds a stored file to the session that uploaded it, so that the confirmation step can
/// only attach a file this user sent.
fn file_signature(csrf: &str, sha: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(
        format!("{csrf}|directive-file|{sha}").as_bytes(),
    ))
}

#[expect(
    clippy::too_many_arguments,
    reason = "a page shown from several steps of the import"
)]
async fn directive_page(
    st: &AppState,
    lang: Lang,
    user: &SessionUser,
    unit_code: &str,
    text: &str,
    file: Option<(&str, &str)>,
    error: &str,
    status: StatusCode,
) -> Result<Response, AppError> {
    let t = lang.tr();
    let unit = st.db.unit(unit_code).await?.ok_or(AppError::NotFound)?;
    let divisions = st.db.divisions(unit_code).await?;
    let today = Date::parse(&today(st)).ok_or_else(|| AppError::Internal("clock".into()))?;
    let (subject, proposals, warnings) = if text.trim().is_empty() || !error.is_empty() {
        (String::new(), Vec::new(), Vec::new())
    } else {
        match proposals_for(&st.db, unit_code, text, today).await {
            Ok((d, ps)) => (
                d.subject.clone().unwrap_or_default(),
                ps.iter()
                    .enumerate()
                    .map(|(i, p)| ProposalLine {
                        index: i,
                        item_ref: p.item_ref.clone(),
                        title: p.title.clone(),
                        body: p.body.clone(),
                        // One lead is editable; several (everyone, a group) stay as proposed.
                        lead: if p.leads.len() == 1 {
                            p.leads[0].clone()
                        } else {
                            "*".to_string()
                        },
                        supports: names(&p.supports, &divisions),
                        criteria: p.criteria.join(", "),
                        repeat: p.schedule.repeat.kind(),
                        end_on: p.schedule.end.to_iso(),
                        line: p.line,
                    })
                    .collect(),
                d.warnings
                    .into_iter()
                    .chain(parindex_domain::tasks::schedule_problems(&ps))
                    .collect(),
            ),
            Err(e) => {
                return Box::pin(directive_page(
                    st,
                    lang,
                    user,
                    unit_code,
                    text,
                    None,
                    &e,
                    StatusCode::UNPROCESSABLE_ENTITY,
                ))
                .await;
            }
        }
    };
    let page = DirectivePage {
        t,
        chrome: Chrome::new(
            lang,
            format!("{} — {}", t.import_directive, unit.name),
            false,
            Some(user),
        ),
        unit_code: unit_code.to_string(),
        unit_name: unit.name,
        text: text.to_string(),
        subject,
        proposals,
        divisions,
        warnings,
        error: error.to_string(),
        file_name: file.map(|f| f.0.to_string()).unwrap_or_default(),
        file_sha: file.map(|f| f.1.to_string()).unwrap_or_default(),
        file_sig: file
            .map(|f| file_signature(&user.csrf_token, f.1))
            .unwrap_or_default(),
    };
    Ok((status, Html(page.render()?)).into_response())
}

pub async fn new_directive(
    State(st): State<AppState>,
    Path(unit_code): Path<String>,
    LangPref(lang): LangPref,
    access: Access<act::RunTasks>,
) -> Response {
    let user = access.user;
    directive_page(&st, lang, &user, &unit_code, "", None, "", StatusCode::OK)
        .await
        .unwrap_or_else(|e| e.page(lang))
}

/// Preview (`action=preview`, pasted text or an uploaded .txt/.docx) or create (`action=create`).
pub async fn post_directive(
    State(st): State<AppState>,
    Path(unit_code): Path<String>,
    LangPref(lang): LangPref,
    access: Access<act::RunTasks>,
    headers: HeaderMap,
    mp: Multipart,
) -> Result<Response, AppError> {
    let user = access.user;
    let (fields, file) =
        crate::assessment::evidence::read_text_upload(&st, &user, &headers, mp).await?;
    let mut kept: Option<(String, String)> = None;
    let text = match file {
        Some((name, bytes)) => {
            let text = if name.to_ascii_lowercase().ends_with(".docx") {
                parindex_reports::docx::docx_text(&bytes).map_err(AppError::BadRequest)?
            } else {
                String::from_utf8(bytes.clone()).map_err(|_| {
                    AppError::said(
                        StatusCode::BAD_REQUEST,
                        "Tệp không phải văn bản UTF-8 (.txt) hay .docx.",
                        "The file is neither UTF-8 text (.txt) nor .docx.",
                    )
                })?
            };
            let mut inc = st
                .files
                .begin()
                .await
                .map_err(|e| AppError::Internal(e.to_string()))?;
            inc.write(&bytes)
                .await
                .map_err(|e| AppError::Internal(e.to_string()))?;
            let (sha, _) = st
                .files
                .commit(inc)
                .await
                .map_err(|e| AppError::Internal(e.to_string()))?;
            kept = Some((name, sha));
            text
        }
        None => fields.get("text").cloned().unwrap_or_default(),
    };
    if fields.get("action").map(String::as_str) != Some("create") {
        let file = kept.as_ref().map(|(n, s)| (n.as_str(), s.as_str()));
        return directive_page(
            &st,
            lang,
            &user,
            &unit_code,
            &text,
            file,
            "",
            StatusCode::OK,
        )
        .await;
    }
    // The file sent at the preview, if its signature shows this session sent it.
    let attached = match (fields.get("file_sha"), fields.get("file_sig")) {
        (Some(sha), Some(sig))
            if !sha.is_empty() && *sig == file_signature(&user.csrf_token, sha) =>
        {
            Some(sha.clone())
        }
        _ => None,
    };
    let today = Date::parse(&today(&st)).ok_or_else(|| AppError::Internal("clock".into()))?;
    let (d, proposals) = proposals_for(&st.db, &unit_code, &text, today)
        .await
        .map_err(AppError::BadRequest)?;
    let divisions = divisions_of(&st.db, &unit_code)
        .await
        .map_err(AppError::Internal)?;
    let mut tasks = Vec::new();
    for (i, p) in proposals.iter().enumerate() {
        let get = |k: &str| {
            fields
                .get(&format!("{k}_{i}"))
                .map(|v| v.trim().to_string())
        };
        if get("include").as_deref() != Some("on") {
            continue;
        }
        let mut task = to_task(p, &divisions);
        if let Some(title) = get("title").filter(|x| !x.is_empty()) {
            task.title = title;
        }
        if let Some(person) = get("person").filter(|x| !x.is_empty()) {
            task.responsible = Some(person);
        }
        if let Some(lead) = get("lead") {
            if lead.is_empty() {
                return Err(AppError::said(
                    axum::http::StatusCode::BAD_REQUEST,
                    format!("Mục {}: cần chọn phòng chủ trì.", p.item_ref),
                    format!("Item {}: choose the lead division.", p.item_ref),
                ));
            }
            if lead != "*" {
                if !divisions.iter().any(|u| u.code == lead) {
                    return Err(AppError::said(
                        axum::http::StatusCode::BAD_REQUEST,
                        format!("Mục {}: phòng “{lead}” không thuộc đơn vị.", p.item_ref),
                        format!(
                            "Item {}: “{lead}” is not a division of the unit.",
                            p.item_ref
                        ),
                    ));
                }
                task.leads = vec![lead];
            }
        }
        let end = match get("end_on").filter(|x| !x.is_empty()) {
            Some(e) => Date::parse(&e).ok_or_else(|| {
                AppError::said(
                    axum::http::StatusCode::BAD_REQUEST,
                    format!("Mục {}: ngày “{e}” không hợp lệ.", p.item_ref),
                    format!("Item {}: the date “{e}” is not valid.", p.item_ref),
                )
            })?,
            None => task.schedule.end,
        };
        let repeat = match get("repeat").as_deref() {
            Some("weekly") => Repeat::Weekly { weekday: 5 },
            Some("monthly") => Repeat::Monthly { day: 31 },
            Some("quarterly") => Repeat::Quarterly { day: 31 },
            Some("yearly") => Repeat::Yearly {
                month: end.month,
                day: end.day,
            },
            Some("once") => Repeat::Once,
            _ => task.schedule.repeat,
        };
        if end < task.schedule.start {
            return Err(AppError::said(
                axum::http::StatusCode::BAD_REQUEST,
                format!("Mục {}: hạn trước ngày bắt đầu.", p.item_ref),
                format!("Item {}: the deadline comes before the start.", p.item_ref),
            ));
        }
        task.schedule = Schedule {
            repeat,
            start: task.schedule.start,
            end,
        };
        task.schedule
            .check()
            .map_err(|e| AppError::BadRequest(format!("Mục {}: {e}.", p.item_ref)))?;
        tasks.push(task);
    }
    if tasks.is_empty() {
        return Err(AppError::said(
            axum::http::StatusCode::BAD_REQUEST,
            "Chưa chọn mục nào để tạo nhiệm vụ.",
            "No item is chosen to make tasks from.",
        ));
    }
    let (did, _) = st
        .db
        .import_directive(
            &unit_code,
            &d,
            &text,
            fields.get("file_name").map(String::as_str),
            &tasks,
            &user.user.username,
            &st.now(),
        )
        .await?;
    if let Some(sha) = attached {
        st.db
            .set_directive_file(did, &sha, &user.user.username, &st.now())
            .await?;
    }
    Ok(crate::core::flash::done(
        &format!("/units/{unit_code}/tasks"),
        crate::core::flash::Flash::TasksCreated,
    ))
}

// ---------- the director's weekly brief ----------

pub struct StakeLine {
    pub code: String,
    pub name: String,
    pub lost: String,
    pub open_tasks: usize,
}

/// `?format=pdf|docx`: a page's official document instead of the page.
#[derive(Debug, Default, serde::Deserialize)]
pub struct DocumentQuery {
    pub format: Option<String>,
}

#[derive(Template)]
#[template(path = "brief.html")]
pub struct BriefPage {
    pub t: &'static Tr,
    pub chrome: Chrome,
    pub unit_code: String,
    pub unit_name: String,
    pub today: String,
    /// (division, overdue occurrences), most first.
    pub overdue: Vec<(String, usize)>,
    pub new_violations: Vec<ViolationLine>,
    /// (due, task id, title, leads).
    pub upcoming: Vec<(String, i64, String, String)>,
    pub set_name: String,
    pub set_id: String,
    pub stakes: Vec<StakeLine>,
    pub outlook: Option<OutlookView>,
    /// The year the report form proposes.
    pub report_year: i32,
}

/// `?year=2021&period=q2[&format=pdf]`: the unit's PAR report for a period.
#[derive(Debug, Default, serde::Deserialize)]
pub struct UnitReportQuery {
    pub year: Option<String>,
    pub period: Option<String>,
    pub format: Option<String>,
}

/// The narrative parts of a report as typed (one field per section).
#[derive(Debug, Default, serde::Deserialize)]
pub struct NarrativeForm {
    #[serde(default)]
    pub csrf: String,
    #[serde(default)]
    pub year: String,
    #[serde(default)]
    pub period: String,
    #[serde(default)]
    pub chi_dao: String,
    #[serde(default)]
    pub the_che: String,
    #[serde(default)]
    pub thu_tuc: String,
    #[serde(default)]
    pub bo_may: String,
    #[serde(default)]
    pub cong_vu: String,
    #[serde(default)]
    pub tai_chinh: String,
    #[serde(default)]
    pub so: String,
    #[serde(default)]
    pub ton_tai: String,
    #[serde(default)]
    pub nhiem_vu: String,
}

impl NarrativeForm {
    /// (section key, text) in the report's order.
    fn sections(&self) -> Vec<(String, String)> {
        let texts = [
            &self.chi_dao,
            &self.the_che,
            &self.thu_tuc,
            &self.bo_may,
            &self.cong_vu,
            &self.tai_chinh,
            &self.so,
            &self.ton_tai,
            &self.nhiem_vu,
        ];
        parindex_documents::unit_report::SECTIONS
            .iter()
            .zip(texts)
            .map(|((k, _), v)| ((*k).to_string(), v.replace("\r\n", "\n")))
            .collect()
    }
}

/// The longest text a section keeps.
const NARRATIVE_MAX_CHARS: usize = 20_000;

fn report_period(
    year: Option<&str>,
    period: Option<&str>,
) -> Result<(parindex_domain::period::Period, String), AppError> {
    use parindex_domain::period::{Period, PeriodKind};
    let bad = |vi: String, en: String| AppError::said(StatusCode::BAD_REQUEST, vi, en);
    let year: i32 = year.and_then(|y| y.trim().parse().ok()).ok_or_else(|| {
        bad(
            "Cần chọn năm báo cáo.".into(),
            "Choose the report's year.".into(),
        )
    })?;
    let key = period.unwrap_or("");
    let Some(kind) = PeriodKind::from_key(key) else {
        return Err(bad(
            format!("Kỳ báo cáo “{key}” không có (tháng, quý, 6 tháng, năm)."),
            format!("There is no reporting period “{key}” (month, quarter, half, year)."),
        ));
    };
    let p = Period::new(year, kind).map_err(|m| bad(m.clone(), m))?;
    Ok((p, format!("{year}-{key}")))
}

pub struct NarrativeSection {
    pub key: String,
    pub field: String,
    pub heading: String,
    pub text: String,
}

#[derive(Template)]
#[template(path = "report.html")]
pub struct ReportPage {
    pub t: &'static Tr,
    pub chrome: Chrome,
    pub unit_code: String,
    pub unit_name: String,
    pub year: String,
    pub period: String,
    /// "quý II năm 2021 (15/03/2021 – 14/06/2021)"; empty until a period is chosen.
    pub label: String,
    pub sections: Vec<NarrativeSection>,
    pub can_edit: bool,
    pub error: String,
}

#[expect(
    clippy::too_many_arguments,
    reason = "the page, its period and what was typed"
)]
async fn render_report_page(
    st: &AppState,
    lang: Lang,
    user: &parindex_db::SessionUser,
    unit_code: &str,
    year: Option<&str>,
    period: Option<&str>,
    typed: Option<Vec<(String, String)>>,
    error: String,
) -> Result<Response, AppError> {
    let t = lang.tr();
    let unit = st.db.unit(unit_code).await?.ok_or(AppError::NotFound)?;
    let chosen = match (year, period) {
        (Some(_), Some(_)) => Some(report_period(year, period)?),
        _ => None,
    };
    let mut sections = Vec::new();
    let mut label = String::new();
    if let Some((p, key)) = &chosen {
        label = format!("{} ({} – {})", p.label_vi(), p.from.to_vi(), p.to.to_vi());
        let stored = match &typed {
            Some(v) => v.clone(),
            None => st.db.report_narrative(unit_code, key).await?,
        };
        for (k, heading) in parindex_documents::unit_report::SECTIONS {
            sections.push(NarrativeSection {
                key: k.to_string(),
                field: k.replace('-', "_"),
                heading: heading.to_string(),
                text: stored
                    .iter()
                    .find(|(s, _)| s == k)
                    .map(|(_, v)| v.clone())
                    .unwrap_or_default(),
            });
        }
    }
    let page = ReportPage {
        t,
        chrome: Chrome::new(
            lang,
            format!("{} — {}", t.unit_report, unit.name),
            st.demo,
            Some(user),
        )
        .crumb(format!("/units/{unit_code}/brief"), t.brief),
        unit_code: unit_code.to_string(),
        unit_name: unit.name,
        year: year.map_or_else(|| st.local_instant().date.year.to_string(), str::to_string),
        period: period.unwrap_or("").to_string(),
        label,
        sections,
        can_edit: runs_unit_tasks(user, unit_code),
        error: error.clone(),
    };
    let status = if error.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok((status, Html(page.render()?)).into_response())
}

/// The unit's PAR report for a period: the page to write its narrative parts, or with
/// `format` the document (PDF, DOCX) with the parts parindex knows filled in.
pub async fn unit_report(
    State(st): State<AppState>,
    Path(unit_code): Path<String>,
    LangPref(lang): LangPref,
    access: Access<act::ReadBrief>,
    Query(q): Query<UnitReportQuery>,
) -> Result<Response, AppError> {
    let Some(format) = q.format.as_deref() else {
        return render_report_page(
            &st,
            lang,
            &access.user,
            &unit_code,
            q.year.as_deref(),
            q.period.as_deref(),
            None,
            String::new(),
        )
        .await;
    };
    let format = crate::ranking::pages::document_format(format)?;
    let (period, key) = report_period(q.year.as_deref(), q.period.as_deref())?;
    let narrative = st
        .db
        .report_narrative(&unit_code, &key)
        .await?
        .into_iter()
        .map(|(k, v)| {
            let paras = v
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(str::to_string)
                .collect();
            (k, paras)
        })
        .collect();
    let doc = parindex_services::documents::unit_report(
        &st.db,
        &unit_code,
        period,
        narrative,
        &st.issue(),
        st.local_instant(),
    )
    .await?
    .ok_or(AppError::NotFound)?;
    let name = format!(
        "bao-cao-cchc-{}-{key}",
        crate::ranking::pages::safe_name(&unit_code)
    );
    crate::ranking::pages::document_download(doc, format, &name).await
}

/// Saves the narrative parts of a unit's report for a period.
pub async fn save_unit_report(
    State(st): State<AppState>,
    Path(unit_code): Path<String>,
    LangPref(lang): LangPref,
    access: Access<act::RunTasks>,
    Checked(f): Checked<NarrativeForm>,
) -> Result<Response, AppError> {
    let (_, key) = report_period(Some(&f.year), Some(&f.period))?;
    let sections = f.sections();
    if let Some((k, _)) = sections
        .iter()
        .find(|(_, v)| v.chars().count() > NARRATIVE_MAX_CHARS)
    {
        let error = match lang {
            Lang::Vi => format!("Phần “{k}” dài quá {NARRATIVE_MAX_CHARS} ký tự; hãy rút gọn."),
            Lang::En => format!(
                "The part “{k}” is longer than {NARRATIVE_MAX_CHARS} characters; shorten it."
            ),
        };
        return render_report_page(
            &st,
            lang,
            &access.user,
            &unit_code,
            Some(&f.year),
            Some(&f.period),
            Some(sections),
            error,
        )
        .await;
    }
    st.db
        .save_report_narrative(
            &unit_code,
            &key,
            &sections,
            &access.user.user.username,
            &st.now(),
        )
        .await?;
    Ok(crate::core::flash::done(
        &format!(
            "/units/{unit_code}/report?year={}&period={}",
            f.year.trim(),
            f.period
        ),
        crate::core::flash::Flash::Saved,
    ))
}

/// The year-end outlook on the brief.
pub struct OutlookView {
    pub set_name: String,
    pub expected: String,
    pub low: String,
    pub high: String,
    pub max: String,
    /// (code, criterion, projected figure, expected points, max).
    pub warnings: Vec<(String, String, String, String, String)>,
}

/// The unit's year-end outlook on the current set (`parindex_domain::projection`): its
/// points as the viewer may see them, and the dossier figures of the set's year so far and
/// of the last 90 days. `None` before the set's year begins or without a current set.
async fn brief_outlook(
    st: &AppState,
    user: &parindex_db::SessionUser,
    unit: &str,
) -> Result<Option<OutlookView>, AppError> {
    use parindex_domain::projection::{Trend, YearClock, outlook};
    let Some(set_id) = st.db.current_set_id().await? else {
        return Ok(None);
    };
    let Some(set) = st.db.load_set(&set_id).await? else {
        return Ok(None);
    };
    let now = st.local_instant();
    let Some(start) = Date::new(set.year, 1, 1) else {
        return Ok(None);
    };
    let Some(end) = Date::new(set.year, 12, 31) else {
        return Ok(None);
    };
    if now.date < start {
        return Ok(None);
    }
    let to = if now.date < end { now.date } else { end };
    // A set of another level has no outlook for the unit: it applies when the unit has
    // points in it, or is of the set's level and has not started.
    let mut scores = match st.db.load_unit_scores(&set, unit).await? {
        Some(s) => s,
        None => {
            let same_level = st.db.unit(unit).await?.is_some_and(|u| {
                u.kind
                    .as_deref()
                    .and_then(parindex_domain::Level::parse)
                    .is_some_and(|l| l == set.level)
            });
            if !same_level {
                return Ok(None);
            }
            parindex_domain::UnitScores {
                unit_code: unit.to_string(),
                unit_name: String::new(),
                group: String::new(),
                leaves: std::collections::HashMap::new(),
                line: 0,
            }
        }
    };
    if !parindex_domain::policy::province_wide(Some(&crate::extract::actor(user)))
        && !parindex_domain::cycle::appraisal_released(st.db.phase(&set.id).await?)
    {
        scores = crate::ranking::pages::self_only(&set, &scores);
    }
    let elapsed = to.days_since_epoch() - start.days_since_epoch() + 1;
    let recent_days = elapsed.min(90);
    let recent_from = parindex_domain::schedule::from_days(to.days_since_epoch() - recent_days + 1);
    let mut trends = Vec::new();
    type Window = parindex_domain::FigureWindow;
    let figure_leaves: Vec<(
        usize,
        parindex_domain::dossiers::Figure,
        Option<&str>,
        Window,
    )> = set
        .leaves()
        .filter_map(|(i, n)| {
            n.figure
                .map(|f| (i, f, n.figure_field.as_deref(), n.figure_window))
        })
        .collect();
    for (leaf, figure, field, window) in figure_leaves {
        // A leaf restricted to a field reads that field's procedures only; one of the
        // reporting year starts on 15/12 of the year before.
        let (window_start, window_end) = window.range(set.year);
        let so_far = st
            .db
            .dossier_figures_in(
                Some(unit),
                window_start.min(start),
                window_end.min(to),
                now,
                field,
            )
            .await?;
        let recent = st
            .db
            .dossier_figures_in(Some(unit), recent_from, to, now, field)
            .await?;
        trends.push(Trend {
            leaf,
            figure,
            so_far: figure.value(&so_far),
            recent: figure.value(&recent),
        });
    }
    let year_days = end.days_since_epoch() - start.days_since_epoch() + 1;
    let clock = YearClock {
        elapsed_days: u32::try_from(elapsed).unwrap_or(0),
        year_days: u32::try_from(year_days).unwrap_or(365),
        recent_days: u32::try_from(recent_days).unwrap_or(90),
    };
    let o = outlook(&set, &scores, &trends, clock);
    let p = set.precision;
    Ok(Some(OutlookView {
        set_name: set.name.clone(),
        expected: o.expected.to_vi(p),
        low: o.low.to_vi(p),
        high: o.high.to_vi(p),
        // The unit's own maximum: the outlook leaves out what does not apply to it.
        max: parindex_domain::scoring::unit_totals(&set, &scores)
            .max
            .to_vi(p),
        warnings: o
            .warnings
            .iter()
            .map(|w| {
                let n = &set.nodes[w.leaf];
                let figure = w
                    .projected
                    .as_deref()
                    .map(|v| {
                        let shown = parindex_domain::text::decimal_vi(v);
                        if n.figure.is_some_and(|f| !f.is_count()) {
                            format!("{shown}%")
                        } else {
                            shown
                        }
                    })
                    .unwrap_or_default();
                (
                    n.code.to_string(),
                    n.name.clone(),
                    figure,
                    w.expected.to_vi(p),
                    n.max.to_vi(p),
                )
            })
            .collect(),
    }))
}

pub async fn show_brief(
    State(st): State<AppState>,
    Path(unit_code): Path<String>,
    LangPref(lang): LangPref,
    access: Access<act::ReadBrief>,
    Query(q): Query<DocumentQuery>,
) -> Result<Response, AppError> {
    let user = access.user;
    let t = lang.tr();
    let unit = st.db.unit(&unit_code).await?.ok_or(AppError::NotFound)?;
    let mut divisions = st.db.divisions(&unit_code).await?;
    divisions.push((unit_code.clone(), unit.name.clone()));
    let today = Date::parse(&today(&st)).ok_or_else(|| AppError::Internal("clock".into()))?;
    let horizon = parindex_domain::schedule::from_days(today.days_since_epoch() + 14);
    let week_ago = parindex_domain::schedule::from_days(today.days_since_epoch() - 7).to_iso();
    let open = st
        .db
        .open_occurrences(&unit_code, &horizon.to_iso())
        .await?;
    let mut overdue: Vec<(String, usize)> = Vec::new();
    for (_, _, _, _, leads, _) in open.iter().filter(|o| o.3 < today.to_iso()) {
        let who = if leads.is_empty() {
            vec![unit_code.clone()]
        } else {
            leads.clone()
        };
        for l in who {
            let name = names(std::slice::from_ref(&l), &divisions);
            match overdue.iter_mut().find(|(n, _)| *n == name) {
                Some((_, c)) => *c += 1,
                None => overdue.push((name, 1)),
            }
        }
    }
    overdue.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let upcoming: Vec<(String, i64, String, String)> = open
        .iter()
        .filter(|o| o.3 >= today.to_iso())
        .take(20)
        .map(|(_, task, title, due, leads, _)| {
            (vi_date(due), *task, title.clone(), names(leads, &divisions))
        })
        .collect();
    let new_violations: Vec<ViolationLine> = st
        .db
        .violations(&unit_code)
        .await?
        .into_iter()
        .filter(|v| v.detected_on >= week_ago)
        .map(|v| ViolationLine::of(v, &divisions))
        .collect();
    // Points still at stake: the unit's newest assessment, criteria that lost points,
    // and how many open tasks work on each.
    let mut set_name = String::new();
    let mut set_id = String::new();
    let mut stakes = Vec::new();
    for s in st.db.list_sets().await? {
        let Some(set) = st.db.load_set(&s.id).await? else {
            continue;
        };
        let Some(mut scores) = st.db.load_unit_scores(&set, &unit_code).await? else {
            continue;
        };
        // Before the release the unit's people see their own points only (an
        // administrator reading the brief sees what the appraisers decided).
        if !parindex_domain::policy::province_wide(Some(&crate::extract::actor(&user)))
            && !parindex_domain::cycle::appraisal_released(st.db.phase(&set.id).await?)
        {
            scores = crate::ranking::pages::self_only(&set, &scores);
        }
        if scores.leaves.is_empty() {
            continue;
        }
        set_name = set.name.clone();
        set_id = set.id.clone();
        let tasks = st.db.tasks(&unit_code, &today.to_iso()).await?;
        // A criterion not scored yet (no points, no figure) has lost nothing yet: it is work
        // to do, not a loss.
        let scored = |i: &usize| {
            scores.leaves.get(i).is_some_and(|l| {
                l.self_points.is_some()
                    || l.appraised.is_some()
                    || l.final_points.is_some()
                    || l.input.is_some()
            })
        };
        for (i, lost) in crate::ranking::pages::weakest_leaves(&set, &scores, usize::MAX)
            .into_iter()
            .filter(|(i, _)| scored(i))
            .take(10)
        {
            let n = &set.nodes[i];
            stakes.push(StakeLine {
                code: n.code.to_string(),
                name: n.name.clone(),
                lost: lost.to_vi(set.precision),
                open_tasks: tasks
                    .iter()
                    .filter(|x| {
                        x.open + x.overdue > 0 && x.criteria.iter().any(|c| c == n.code.as_str())
                    })
                    .count(),
            });
        }
        break;
    }
    let format = q
        .format
        .as_deref()
        .map(crate::ranking::pages::document_format)
        .transpose()?;
    let outlook = brief_outlook(&st, &user, &unit_code).await?;
    if let Some(f) = format {
        // Official documents are written in Vietnamese whatever the page's language.
        let t_vi = crate::core::i18n::Lang::Vi.tr();
        let brief = parindex_documents::brief::Brief {
            unit_name: unit.name.clone(),
            today: today.to_vi(),
            overdue: overdue.clone(),
            upcoming: upcoming
                .iter()
                .map(|(d, _, t, l)| (d.clone(), t.clone(), l.clone()))
                .collect(),
            violations: new_violations
                .iter()
                .map(|v: &ViolationLine| (v.due.clone(), v.task.clone(), v.unit.clone()))
                .collect(),
            set_name: set_name.clone(),
            stakes: stakes
                .iter()
                .map(|s| (s.code.clone(), s.name.clone(), s.lost.clone(), s.open_tasks))
                .collect(),
            outlook: outlook
                .as_ref()
                .map(|o| {
                    format!(
                        "{}: điểm dự kiến cuối năm {} trên {} (khoảng {} – {}). {}",
                        o.set_name, o.expected, o.max, o.low, o.high, t_vi.outlook_help
                    )
                })
                .unwrap_or_default(),
            warnings: outlook
                .as_ref()
                .map(|o| o.warnings.clone())
                .unwrap_or_default(),
        };
        let head =
            parindex_services::documents::letterhead(&st.db, &unit_code, &st.issue()).await?;
        let doc = parindex_documents::brief::brief_document(&brief, &head);
        let name = format!("ban-tin-{}", crate::ranking::pages::safe_name(&unit_code));
        return crate::ranking::pages::document_download(doc, f, &name).await;
    }
    let page = BriefPage {
        t,
        chrome: Chrome::new(
            lang,
            format!("{} — {}", t.brief, unit.name),
            st.demo,
            Some(&user),
        ),
        unit_code: unit_code.clone(),
        unit_name: unit.name,
        today: today.to_vi(),
        overdue,
        new_violations,
        upcoming,
        set_name,
        set_id,
        stakes,
        outlook,
        report_year: today.year,
    };
    Ok(Html(page.render()?).into_response())
}

// ---------- notifications ----------

pub struct NoticeLine {
    pub id: i64,
    pub title: String,
    pub body: String,
    pub at: String,
    pub acknowledged: String,
}

#[derive(Template)]
#[template(path = "notifications.html")]
pub struct NotificationsPage {
    pub t: &'static Tr,
    pub chrome: Chrome,
    pub lines: Vec<NoticeLine>,
}

pub async fn show_notifications(
    State(st): State<AppState>,
    LangPref(lang): LangPref,
    access: Access<act::OwnAccount, NoUnit>,
) -> Result<Response, AppError> {
    let user = access.user;
    let t = lang.tr();
    let lines = st
        .db
        .notifications(&user.user.username)
        .await?
        .into_iter()
        .map(|n| NoticeLine {
            id: n.id,
            title: n.title,
            body: n.body,
            at: parindex_domain::text::local_time_vi(&n.created_at),
            acknowledged: n
                .acknowledged_at
                .map(|a| parindex_domain::text::local_time_vi(&a))
                .unwrap_or_default(),
        })
        .collect();
    let page = NotificationsPage {
        t,
        chrome: Chrome::new(lang, t.notifications.to_string(), false, Some(&user)),
        lines,
    };
    Ok(Html(page.render()?).into_response())
}

pub async fn acknowledge_notification(
    State(st): State<AppState>,
    Path(id): Path<i64>,
    LangPref(lang): LangPref,
    access: Access<act::OwnAccount, NoUnit>,
    Checked(_): Checked<crate::accounts::account::CsrfForm>,
) -> Response {
    let user = access.user;
    match st.db.acknowledge(id, &user.user.username, &st.now()).await {
        Ok(true) => {
            crate::core::flash::done("/notifications", crate::core::flash::Flash::Acknowledged)
        }
        Ok(false) => AppError::NotFound.page(lang),
        Err(e) => AppError::from(e).page(lang),
    }
}

// ---------- from points lost to tasks ----------

pub struct LostLine {
    pub index: usize,
    pub code: String,
    pub name: String,
    pub lost: String,
    pub max: String,
    pub division: String,
    pub open_tasks: usize,
}

#[derive(Template)]
#[template(path = "lost.html")]
pub struct LostPage {
    pub t: &'static Tr,
    pub chrome: Chrome,
    pub unit_code: String,
    pub unit_name: String,
    pub set_id: String,
    pub set_name: String,
    pub end_on: String,
    pub divisions: Vec<(String, String)>,
    pub lines: Vec<LostLine>,
}

struct LostContext {
    set: parindex_domain::CriteriaSet,
    scores: parindex_domain::UnitScores,
    divisions: Vec<(String, String)>,
    table: Vec<(String, String)>,
}

async fn lost_context(st: &AppState, unit: &str, set_id: &str) -> Result<LostContext, AppError> {
    let set = st.db.load_set(set_id).await?.ok_or(AppError::NotFound)?;
    let scores = st
        .db
        .load_unit_scores(&set, unit)
        .await?
        .ok_or(AppError::NotFound)?;
    let divisions = st.db.divisions(unit).await?;
    let table = st.db.responsibilities(set_id, unit).await?;
    Ok(LostContext {
        set,
        scores,
        divisions,
        table,
    })
}

pub async fn show_lost(
    State(st): State<AppState>,
    Path((unit_code, set_id)): Path<(String, String)>,
    LangPref(lang): LangPref,
    access: Access<act::ReadLost>,
) -> Result<Response, AppError> {
    let user = access.user;
    let t = lang.tr();
    let cx = lost_context(&st, &unit_code, &set_id).await?;
    let unit = st.db.unit(&unit_code).await?.ok_or(AppError::NotFound)?;
    let tasks = st.db.tasks(&unit_code, &today(&st)).await?;
    let p = cx.set.precision;
    let lines = crate::ranking::pages::weakest_leaves(&cx.set, &cx.scores, usize::MAX)
        .into_iter()
        .map(|(i, lost)| {
            let n = &cx.set.nodes[i];
            LostLine {
                index: i,
                code: n.code.to_string(),
                name: n.name.clone(),
                lost: lost.to_vi(p),
                max: n.max.to_vi(p),
                division: parindex_domain::tasks::responsible_division(
                    &cx.set,
                    i,
                    &cx.table,
                    &cx.divisions,
                )
                .unwrap_or_default(),
                open_tasks: tasks
                    .iter()
                    .filter(|x| {
                        x.open + x.overdue > 0 && x.criteria.iter().any(|c| c == n.code.as_str())
                    })
                    .count(),
            }
        })
        .collect();
    let end = Date::new(cx.set.year + 1, 12, 31)
        .map(Date::to_iso)
        .unwrap_or_default();
    let page = LostPage {
        t,
        chrome: Chrome::new(
            lang,
            format!("{} — {}", t.lost_to_tasks, unit.name),
            cx.set.sample,
            Some(&user),
        )
        .crumb(format!("/units/{unit_code}/tasks"), t.tasks),
        unit_code: unit_code.clone(),
        unit_name: unit.name,
        set_id: set_id.clone(),
        set_name: cx.set.name.clone(),
        end_on: end,
        divisions: cx.divisions,
        lines,
    };
    Ok(Html(page.render()?).into_response())
}

pub async fn create_from_lost(
    State(st): State<AppState>,
    Path((unit_code, set_id)): Path<(String, String)>,
    access: Access<act::ReadLost>,
    Checked(f): Checked<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let user = access.user;
    let get = |k: &str| {
        f.iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.trim().to_string())
    };
    let cx = lost_context(&st, &unit_code, &set_id).await?;
    let today = Date::parse(&today(&st)).ok_or_else(|| AppError::Internal("clock".into()))?;
    let end = match get("end_on").filter(|e| !e.is_empty()) {
        Some(e) => Date::parse(&e).ok_or_else(|| {
            AppError::said(
                axum::http::StatusCode::BAD_REQUEST,
                format!("Ngày “{e}” không hợp lệ."),
                format!("The date “{e}” is not valid."),
            )
        })?,
        None => Date::new(cx.set.year + 1, 12, 31).unwrap_or(today),
    };
    let start = if today < end { today } else { end };
    Schedule {
        repeat: Repeat::Quarterly { day: 31 },
        start,
        end,
    }
    .check()
    .map_err(|e| AppError::BadRequest(format!("{e}.")))?;
    let p = cx.set.precision;
    let mut created = 0;
    for (i, lost) in crate::ranking::pages::weakest_leaves(&cx.set, &cx.scores, usize::MAX) {
        if get(&format!("include_{i}")).as_deref() != Some("on") {
            continue;
        }
        let division = get(&format!("division_{i}"))
            .filter(|d| !d.is_empty())
            .ok_or_else(|| {
                AppError::said(
                    axum::http::StatusCode::BAD_REQUEST,
                    format!(
                        "Tiêu chí {}: cần chọn phòng phụ trách.",
                        cx.set.nodes[i].code
                    ),
                    format!(
                        "Criterion {}: choose the division in charge.",
                        cx.set.nodes[i].code
                    ),
                )
            })?;
        if !cx.divisions.iter().any(|(c, _)| *c == division) {
            return Err(AppError::said(
                axum::http::StatusCode::BAD_REQUEST,
                format!("“{division}” không phải là phòng của đơn vị."),
                format!("“{division}” is not a division of the unit."),
            ));
        }
        let n = &cx.set.nodes[i];
        st.db
            .set_responsibility(
                &set_id,
                &unit_code,
                n.code.as_str(),
                &division,
                &user.user.username,
                &st.now(),
            )
            .await?;
        let task = parindex_db::NewTask {
            item_ref: Some(n.code.to_string()),
            source_line: None,
            title: format!("Khắc phục tiêu chí {}: {}", n.code, n.name),
            body: format!(
                "{} bị mất {} / {} điểm ({}). Đề xuất giải pháp, thực hiện và báo cáo tiến độ hằng quý.",
                n.code,
                lost.to_vi(p),
                n.max.to_vi(p),
                cx.set.name
            ),
            responsible: None,
            leads: vec![division],
            supports: vec![],
            criteria: vec![n.code.to_string()],
            references: vec![],
            schedule: Schedule {
                repeat: Repeat::Quarterly { day: 31 },
                start,
                end,
            },
        };
        st.db
            .create_task(&unit_code, &task, &user.user.username, &st.now())
            .await?;
        created += 1;
    }
    if created == 0 {
        return Err(AppError::said(
            StatusCode::BAD_REQUEST,
            "Chưa chọn tiêu chí nào.",
            "No criterion is chosen.",
        ));
    }
    Ok(crate::core::flash::done(
        &format!("/units/{unit_code}/tasks"),
        crate::core::flash::Flash::TasksCreated,
    ))
}

// ---------- comments, cancelling, starting ----------

#[derive(Deserialize)]
pub struct TextForm {
    #[serde(default)]
    pub csrf: String,
    #[serde(default)]
    pub text: String,
}

pub async fn add_comment(
    State(st): State<AppState>,
    Path(task_id): Path<i64>,
    access: Access<act::CommentTask, TaskUnit>,
    Checked(f): Checked<TextForm>,
) -> Result<Response, AppError> {
    let user = access.user;
    let text = f.text.trim();
    if text.is_empty() {
        return Err(AppError::said(
            StatusCode::BAD_REQUEST,
            "Ý kiến trống.",
            "The comment is empty.",
        ));
    }
    st.db
        .add_comment(task_id, &user.user.username, text, &st.now())
        .await?;
    Ok(crate::core::flash::done(
        &format!("/tasks/{task_id}"),
        crate::core::flash::Flash::Commented,
    ))
}

#[derive(Deserialize)]
pub struct CancelForm {
    #[serde(default)]
    pub csrf: String,
    #[serde(default)]
    pub text: String,
    /// `yes` on the confirmation step.
    #[serde(default)]
    pub confirm: String,
}

pub async fn cancel_task(
    State(st): State<AppState>,
    Path(task_id): Path<i64>,
    LangPref(lang): LangPref,
    access: Access<act::RunTasks, TaskUnit>,
    Checked(f): Checked<CancelForm>,
) -> Result<Response, AppError> {
    let user = access.user;
    let t = lang.tr();
    let reason = f.text.trim();
    if reason.is_empty() {
        let message = match lang {
            Lang::Vi => "Cần ghi lý do hủy nhiệm vụ.",
            Lang::En => "A reason is needed to cancel the task.",
        };
        let problem = ("cancel".to_string(), message.to_string(), String::new());
        return render_task(&st, lang, &user, task_id, Some(problem)).await;
    }
    if !crate::core::confirm::confirmed(&f.confirm) {
        let title = st.db.task_title(task_id).await?.ok_or(AppError::NotFound)?;
        return crate::core::confirm::ask(
            lang,
            &user,
            t.confirm_cancel_title.to_string(),
            t.confirm_cancel_text.to_string(),
            vec![title, format!("{}: {reason}", t.reason)],
            format!("/tasks/{task_id}/cancel"),
            vec![("text".into(), reason.to_string())],
            true,
            format!("/tasks/{task_id}"),
        );
    }
    st.db
        .cancel_task(task_id, reason, &user.user.username, &st.now())
        .await
        .map_err(|e| match e {
            parindex_db::DbError::Conflict(m) => AppError::Conflict(m),
            other => other.into(),
        })?;
    st.db
        .add_comment(
            task_id,
            &user.user.username,
            &format!("Hủy nhiệm vụ: {reason}"),
            &st.now(),
        )
        .await?;
    Ok(crate::core::flash::done(
        &format!("/tasks/{task_id}"),
        crate::core::flash::Flash::TaskCancelled,
    ))
}

pub async fn start_occurrence(
    State(st): State<AppState>,
    Path(occurrence_id): Path<i64>,
    access: Access<act::ReportTask, OccurrenceUnit>,
    Checked(_): Checked<crate::accounts::account::CsrfForm>,
) -> Result<Response, AppError> {
    let user = access.user;
    let (task_id, _) = reporting(&st, &user, occurrence_id).await?;
    st.db
        .start_occurrence(occurrence_id, &user.user.username, &st.now())
        .await
        .map_err(|e| match e {
            parindex_db::DbError::Conflict(m) => AppError::Conflict(m),
            other => other.into(),
        })?;
    Ok(crate::core::flash::done(
        &format!("/tasks/{task_id}"),
        crate::core::flash::Flash::Started,
    ))
}

// ---------- calendar and overdue list ----------

/// (day, task id, title, leads, status label, overdue).
type DayLine = (String, i64, String, String, String, bool);

#[derive(Template)]
#[template(path = "calendar.html")]
pub struct CalendarPage {
    pub t: &'static Tr,
    pub chrome: Chrome,
    pub unit_code: String,
    pub unit_name: String,
    pub heading: String,
    pub prev: String,
    pub next: String,
    pub overdue_only: bool,
    pub lines: Vec<DayLine>,
}

#[derive(Deserialize, Default)]
pub struct CalendarQuery {
    pub month: Option<String>,
    pub format: Option<String>,
}

async fn calendar_lines(
    st: &AppState,
    unit: &str,
    from: &str,
    to: &str,
    t: &Tr,
    only_overdue: bool,
) -> Result<Vec<DayLine>, AppError> {
    let mut divisions = st.db.divisions(unit).await?;
    divisions.push((unit.to_string(), unit.to_string()));
    let today = today(st);
    Ok(st
        .db
        .occurrences_between(unit, from, to)
        .await?
        .into_iter()
        .filter_map(|(_, task, title, due, status, leads)| {
            let overdue = matches!(status.as_str(), "open" | "in_progress") && due < today;
            if only_overdue && !overdue {
                return None;
            }
            let label = match status.as_str() {
                "done" => t.st_done,
                "cancelled" => t.st_cancelled,
                _ if overdue => t.st_overdue,
                "in_progress" => t.st_in_progress,
                _ => t.st_not_started,
            };
            Some((
                vi_date(&due),
                task,
                title,
                names(&leads, &divisions),
                label.to_string(),
                overdue,
            ))
        })
        .collect())
}

pub async fn show_calendar(
    State(st): State<AppState>,
    Path(unit_code): Path<String>,
    LangPref(lang): LangPref,
    access: Access<act::ReadTasks>,
    Query(q): Query<CalendarQuery>,
) -> Result<Response, AppError> {
    let user = access.user;
    let t = lang.tr();
    let unit = st.db.unit(&unit_code).await?.ok_or(AppError::NotFound)?;
    let today = Date::parse(&today(&st)).ok_or_else(|| AppError::Internal("clock".into()))?;
    let (y, m) = q
        .month
        .as_deref()
        .and_then(|s| s.split_once('-'))
        .and_then(|(y, m)| {
            Some((
                y.parse::<i32>().ok()?,
                m.parse::<u8>().ok().filter(|m| (1..=12).contains(m))?,
            ))
        })
        .unwrap_or((today.year, today.month));
    let first = Date::new(y, m, 1).ok_or_else(|| {
        AppError::said(
            StatusCode::BAD_REQUEST,
            "Tháng không hợp lệ.",
            "Not a valid month.",
        )
    })?;
    let last = (28..=31)
        .rev()
        .find_map(|d| Date::new(y, m, d))
        .unwrap_or(first);
    let (py, pm) = if m == 1 { (y - 1, 12) } else { (y, m - 1) };
    let (ny, nm) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
    let lines = calendar_lines(&st, &unit_code, &first.to_iso(), &last.to_iso(), t, false).await?;
    let page = CalendarPage {
        t,
        chrome: Chrome::new(
            lang,
            format!("{} — {}", t.calendar, unit.name),
            st.demo,
            Some(&user),
        ),
        unit_code: unit_code.clone(),
        unit_name: unit.name,
        heading: format!("{} {m:02}/{y}", t.month),
        prev: format!("{py:04}-{pm:02}"),
        next: format!("{ny:04}-{nm:02}"),
        overdue_only: false,
        lines,
    };
    Ok(Html(page.render()?).into_response())
}

pub async fn show_overdue(
    State(st): State<AppState>,
    Path(unit_code): Path<String>,
    LangPref(lang): LangPref,
    access: Access<act::ReadTasks>,
    Query(q): Query<CalendarQuery>,
) -> Result<Response, AppError> {
    let user = access.user;
    let t = lang.tr();
    let unit = st.db.unit(&unit_code).await?.ok_or(AppError::NotFound)?;
    let lines = calendar_lines(&st, &unit_code, "0000-01-01", &today(&st), t, true).await?;
    if let Some(f) = q.format.as_deref() {
        let mut table = Table::new(
            format!("{} {unit_code}", t.st_overdue),
            &[t.due_date, t.task, t.lead, t.status],
        );
        for l in &lines {
            table.rows.push(vec![
                l.0.clone().into(),
                l.2.clone().into(),
                l.3.clone().into(),
                l.4.clone().into(),
            ]);
        }
        return crate::ranking::pages::download_table(&table, f, &format!("qua-han-{unit_code}"));
    }
    let page = CalendarPage {
        t,
        chrome: Chrome::new(
            lang,
            format!("{} — {}", t.st_overdue, unit.name),
            st.demo,
            Some(&user),
        ),
        unit_code: unit_code.clone(),
        unit_name: unit.name,
        heading: t.overdue_list.to_string(),
        prev: String::new(),
        next: String::new(),
        overdue_only: true,
        lines,
    };
    Ok(Html(page.render()?).into_response())
}

// ---------- a stored directive, each task at its paragraph ----------

#[derive(Template)]
#[template(path = "directive.html")]
pub struct DirectiveShowPage {
    pub t: &'static Tr,
    pub chrome: Chrome,
    pub unit_code: String,
    pub heading: String,
    pub meta: String,
    pub directive_id: i64,
    pub has_file: bool,
    /// (line number, text, tasks starting there: (id, ref, title)).
    pub lines: Vec<(usize, String, Vec<(i64, String, String)>)>,
}

pub async fn show_directive(
    State(st): State<AppState>,
    Path(id): Path<i64>,
    LangPref(lang): LangPref,
    access: Access<act::ReadTasks, DirectiveUnit>,
) -> Result<Response, AppError> {
    let user = access.user;
    let t = lang.tr();
    let d = st.db.directive(id).await?.ok_or(AppError::NotFound)?;
    let tasks = st.db.directive_tasks(id).await?;
    let text = parindex_domain::text::nfc(&d.source_text.replace("\r\n", "\n"));
    let lines = text
        .lines()
        .enumerate()
        .map(|(i, l)| {
            let n = i + 1;
            let here = tasks
                .iter()
                .filter(|(_, _, _, line)| *line == i64::try_from(n).ok())
                .map(|(tid, r, title, _)| (*tid, r.clone().unwrap_or_default(), title.clone()))
                .collect();
            (n, l.to_string(), here)
        })
        .collect();
    let page = DirectiveShowPage {
        t,
        chrome: Chrome::new(
            lang,
            d.subject
                .clone()
                .unwrap_or_else(|| t.import_directive.to_string()),
            false,
            Some(&user),
        ),
        unit_code: d.unit_code.clone(),
        heading: d.subject.clone().unwrap_or_default(),
        directive_id: d.id,
        has_file: d.file_sha256.is_some(),
        meta: [
            d.symbol.clone(),
            d.doc_date.clone(),
            d.signer.clone(),
            d.file_name.clone(),
            Some(format!(
                "{} · {}",
                d.created_by,
                parindex_domain::text::local_time_vi(&d.created_at)
            )),
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" · "),
        lines,
    };
    Ok(Html(page.render()?).into_response())
}

/// The file a directive was imported from, for its unit.
pub async fn directive_file(
    State(st): State<AppState>,
    Path(id): Path<i64>,
    _access: Access<act::ReadTasks, DirectiveUnit>,
) -> Result<Response, AppError> {
    let d = st.db.directive(id).await?.ok_or(AppError::NotFound)?;
    let sha = d.file_sha256.ok_or(AppError::NotFound)?;
    let bytes = st
        .files
        .read(&sha)
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?;
    let docx = d
        .file_name
        .as_deref()
        .is_some_and(|n| n.to_ascii_lowercase().ends_with(".docx"));
    let ctype = if docx {
        parindex_services::files::Kind::Docx.content_type()
    } else {
        "text/plain; charset=utf-8"
    };
    let mut res = bytes.into_response();
    res.headers_mut().insert(
        axum::http::header::CONTENT_TYPE,
        axum::http::HeaderValue::from_static(ctype),
    );
    res.headers_mut().insert(
        axum::http::header::CONTENT_DISPOSITION,
        axum::http::HeaderValue::from_static("attachment; filename=\"van-ban\""),
    );
    Ok(res)
}
