//! The secretariat's page of a set's cycle: the phase, each phase's window, extensions
//! granted to units with their reasons, and every unit's progress.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use parindex_db::{Extension, PhaseWindow, SessionUser};
use parindex_domain::cycle::Phase;
use parindex_domain::text::Date;
use serde::Deserialize;

use crate::core::error::AppError;
use crate::core::i18n::{Lang, Tr};
use crate::core::layout::Chrome;
use crate::core::layout::LangPref;
use crate::core::state::AppState;
use crate::extract::access::NoUnit;
use crate::extract::{Access, Checked, act};

pub struct WindowLine {
    pub phase: String,
    pub label: String,
    pub opens_on: String,
    pub closes_on: String,
    pub current: bool,
}

pub struct ProgressLine {
    pub code: String,
    pub name: String,
    pub scored: i64,
    pub submitted: String,
    pub days_left: String,
    pub extension: String,
}

#[derive(Template)]
#[template(path = "cycle.html")]
pub struct CyclePage {
    pub t: &'static Tr,
    pub chrome: Chrome,
    pub set_id: String,
    pub set_name: String,
    pub phase: String,
    pub can_edit: bool,
    pub leaves: usize,
    pub windows: Vec<WindowLine>,
    pub progress: Vec<ProgressLine>,
    pub units: Vec<(String, String)>,
    pub message: String,
}

fn label(p: Phase, lang: Lang) -> &'static str {
    if lang == Lang::En {
        p.label_en()
    } else {
        p.label_vi()
    }
}

async fn render(
    st: &AppState,
    lang: Lang,
    user: &SessionUser,
    set_id: &str,
    message: &str,
    status: StatusCode,
) -> Result<Response, AppError> {
    let t = lang.tr();
    let set = st.db.load_set(set_id).await?.ok_or(AppError::NotFound)?;
    let phase = st.db.phase(set_id).await?;
    let windows = st.db.windows(set_id).await?;
    let extensions = st.db.extensions(set_id).await?;
    let today = Date::parse(&st.now()[..10]).map_or(0, Date::days_since_epoch);
    let closes = phase
        .and_then(|p| windows.iter().find(|w| w.phase == p))
        .and_then(|w| w.closes_on.as_deref())
        .and_then(Date::parse);
    let progress = st.db.progress(set_id).await?;
    let page = CyclePage {
        t,
        chrome: Chrome::new(
            lang,
            format!("{} — {}", t.cycle, set.name),
            set.sample,
            Some(user),
        ),
        set_id: set.id.clone(),
        set_name: set.name.clone(),
        phase: phase.map_or(t.no_cycle, |p| label(p, lang)).to_string(),
        can_edit: crate::extract::may(
            user,
            parindex_domain::policy::Action::ManageCycle,
            &parindex_domain::policy::Target::default(),
        ),
        leaves: set.leaf_count(),
        windows: Phase::ALL
            .iter()
            .map(|p| {
                let w = windows.iter().find(|w| w.phase == *p);
                WindowLine {
                    phase: p.as_str().to_string(),
                    label: label(*p, lang).to_string(),
                    opens_on: w.and_then(|w| w.opens_on.clone()).unwrap_or_default(),
                    closes_on: w.and_then(|w| w.closes_on.clone()).unwrap_or_default(),
                    current: phase == Some(*p),
                }
            })
            .collect(),
        progress: progress
            .iter()
            .map(|p| {
                let ext = phase.and_then(|ph| {
                    extensions
                        .iter()
                        .find(|x| x.unit_code == p.unit_code && x.phase == ph)
                });
                let until = ext.and_then(|x| Date::parse(&x.until_on)).or(closes);
                ProgressLine {
                    code: p.unit_code.clone(),
                    name: p.unit_name.clone(),
                    scored: p.leaves_scored,
                    submitted: p
                        .submitted_at
                        .as_deref()
                        .and_then(|s| Date::parse(&s[..10.min(s.len())]))
                        .map(Date::to_vi)
                        .unwrap_or_default(),
                    days_left: until
                        .map(|d| (d.days_since_epoch() - today).to_string())
                        .unwrap_or_default(),
                    extension: ext
                        .map(|x| {
                            format!(
                                "{} ({})",
                                Date::parse(&x.until_on)
                                    .map_or_else(|| x.until_on.clone(), Date::to_vi),
                                x.reason
                            )
                        })
                        .unwrap_or_default(),
                }
            })
            .collect(),
        units: progress
            .iter()
            .map(|p| (p.unit_code.clone(), p.unit_name.clone()))
            .collect(),
        message: message.to_string(),
    };
    Ok((status, Html(page.render()?)).into_response())
}

pub async fn show_cycle(
    State(st): State<AppState>,
    Path(set_id): Path<String>,
    LangPref(lang): LangPref,
    access: Access<act::ReadCycle, NoUnit>,
) -> Result<Response, AppError> {
    render(&st, lang, &access.user, &set_id, "", StatusCode::OK).await
}

#[derive(Deserialize)]
pub struct CycleForm {
    #[serde(default)]
    pub csrf: String,
    pub action: String,
    #[serde(default)]
    pub phase: String,
    #[serde(default)]
    pub opens_on: String,
    #[serde(default)]
    pub closes_on: String,
    #[serde(default)]
    pub unit: String,
    #[serde(default)]
    pub until_on: String,
    #[serde(default)]
    pub reason: String,
}

fn date_field(s: &str, what: &str) -> Result<Option<String>, AppError> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    Date::parse(s).map(|d| Some(d.to_iso())).ok_or_else(|| {
        AppError::BadRequest(format!("{what}: ngày `{s}` không hợp lệ (dd/mm/yyyy)"))
    })
}

pub async fn update_cycle(
    State(st): State<AppState>,
    Path(set_id): Path<String>,
    access: Access<act::ManageCycle, NoUnit>,
    Checked(f): Checked<CycleForm>,
) -> Result<Response, AppError> {
    let back = format!("/sets/{set_id}/cycle");
    let user = access.user;
    st.db.load_set(&set_id).await?.ok_or(AppError::NotFound)?;
    let phase = Phase::parse(&f.phase)
        .ok_or_else(|| AppError::BadRequest(format!("Giai đoạn `{}` không hợp lệ.", f.phase)));
    let now = st.now();
    match f.action.as_str() {
        "phase" => {
            let to = phase?;
            // Backwards (a published set reopened included): the secretariat only, with
            // a reason kept in the audit trail.
            let backwards = access.phase.is_some_and(|from| to < from);
            let reason = Some(f.reason.trim()).filter(|r| !r.is_empty());
            if backwards {
                let target = parindex_domain::policy::Target::default().in_phase(access.phase);
                parindex_domain::policy::decide(
                    Some(&crate::extract::actor(&user)),
                    parindex_domain::policy::Action::ReopenCycle,
                    &target,
                )
                .map_err(AppError::Denied)?;
                if reason.is_none() {
                    return Err(AppError::BadRequest(
                        "Cần ghi lý do khi đưa chu kỳ về giai đoạn trước (hoặc mở lại kết quả đã công bố).".into(),
                    ));
                }
            }
            st.db
                .set_phase_with_reason(&set_id, to, &user.user.username, &now, reason)
                .await?;
        }
        "window" => {
            let w = PhaseWindow {
                phase: phase?,
                opens_on: date_field(&f.opens_on, "ngày mở")?,
                closes_on: date_field(&f.closes_on, "ngày đóng")?,
            };
            if let (Some(o), Some(c)) = (&w.opens_on, &w.closes_on)
                && o > c
            {
                return Err(AppError::BadRequest("Ngày đóng phải sau ngày mở.".into()));
            }
            st.db
                .set_window(&set_id, &w, &user.user.username, &now)
                .await?;
        }
        "extension" => {
            let until = date_field(&f.until_on, "gia hạn đến")?
                .ok_or_else(|| AppError::BadRequest("Cần chọn ngày gia hạn.".into()))?;
            let reason = f.reason.trim();
            if reason.is_empty() {
                return Err(AppError::BadRequest("Cần ghi lý do gia hạn.".into()));
            }
            st.db
                .unit(&f.unit)
                .await?
                .ok_or_else(|| AppError::BadRequest("Đơn vị không có trong danh sách.".into()))?;
            let x = Extension {
                unit_code: f.unit.clone(),
                phase: phase?,
                until_on: until,
                reason: reason.to_string(),
                granted_by: user.user.username.clone(),
            };
            st.db.grant_extension(&set_id, &x, &now).await?;
        }
        other => {
            return Err(AppError::BadRequest(format!(
                "Thao tác `{other}` không hợp lệ."
            )));
        }
    }
    st.invalidate(&set_id);
    Ok(Redirect::to(&back).into_response())
}
