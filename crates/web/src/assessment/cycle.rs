//! The secretariat's page of a set's cycle: the phase, each phase's window, extensions
//! granted to units with their reasons, and every unit's progress.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use parindex_db::{Extension, PhaseWindow, SessionUser};
use parindex_domain::cycle::Phase;
use parindex_domain::text::Date;
use serde::Deserialize;

use crate::core::error::AppError;
use crate::core::flash::Flash;
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
    /// A form that could not be saved: which one (`phase`, `window`, `extension`), the
    /// message, and what was typed.
    pub error_for: String,
    pub message: String,
    pub typed: CycleForm,
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
    problem: Option<(CycleForm, String)>,
    status: StatusCode,
) -> Result<Response, AppError> {
    let (typed, message) = problem.unwrap_or_default();
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
        error_for: if message.is_empty() {
            String::new()
        } else {
            typed.action.clone()
        },
        message,
        typed,
    };
    Ok((status, Html(page.render()?)).into_response())
}

pub async fn show_cycle(
    State(st): State<AppState>,
    Path(set_id): Path<String>,
    LangPref(lang): LangPref,
    access: Access<act::ReadCycle, NoUnit>,
) -> Result<Response, AppError> {
    render(&st, lang, &access.user, &set_id, None, StatusCode::OK).await
}

#[derive(Deserialize, Default, Clone)]
pub struct CycleForm {
    #[serde(default)]
    pub csrf: String,
    #[serde(default)]
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
    /// `yes` on the confirmation step of a phase change.
    #[serde(default)]
    pub confirm: String,
}

fn date_field(s: &str, what: &str) -> Result<Option<String>, String> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    Date::parse(s)
        .map(|d| Some(d.to_iso()))
        .ok_or_else(|| format!("{what}: ngày “{s}” không hợp lệ (dd/mm/yyyy)."))
}

pub async fn update_cycle(
    State(st): State<AppState>,
    Path(set_id): Path<String>,
    LangPref(lang): LangPref,
    access: Access<act::ManageCycle, NoUnit>,
    Checked(f): Checked<CycleForm>,
) -> Result<Response, AppError> {
    let back = format!("/sets/{set_id}/cycle");
    let user = &access.user;
    let set = st.db.load_set(&set_id).await?.ok_or(AppError::NotFound)?;
    let now = st.now();
    let what = match change(&st, &access, &set, lang, &f, &now).await? {
        Ok(Some(what)) => what,
        // The phase change waits for its confirmation.
        Ok(None) => return confirm_phase(&st, lang, user, &set, access.phase, &f).await,
        Err(message) => {
            return render(
                &st,
                lang,
                user,
                &set_id,
                Some((f, message)),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
    };
    st.invalidate(&set_id);
    Ok(crate::core::flash::done(&back, what))
}

/// Applies the form: the success to report, `None` when a phase change still needs its
/// confirmation, or the message for a form to show again.
async fn change(
    st: &AppState,
    access: &Access<act::ManageCycle, NoUnit>,
    set: &parindex_domain::CriteriaSet,
    lang: Lang,
    f: &CycleForm,
    now: &str,
) -> Result<Result<Option<Flash>, String>, AppError> {
    let user = &access.user;
    let set_id = set.id.as_str();
    let vi = lang == Lang::Vi;
    let phase = Phase::parse(&f.phase).ok_or_else(|| {
        if vi {
            "Cần chọn một giai đoạn.".to_string()
        } else {
            "Choose a phase.".to_string()
        }
    });
    Ok(Ok(Some(match f.action.as_str() {
        "phase" => {
            let to = match phase {
                Ok(p) => p,
                Err(m) => return Ok(Err(m)),
            };
            // Backwards (a published set reopened included): the secretariat only, with
            // a reason kept in the audit trail.
            let backwards = access.phase.is_some_and(|from| to < from);
            let reason = Some(f.reason.trim()).filter(|r| !r.is_empty());
            if backwards {
                let target = parindex_domain::policy::Target::default().in_phase(access.phase);
                parindex_domain::policy::decide(
                    Some(&crate::extract::actor(user)),
                    parindex_domain::policy::Action::ReopenCycle,
                    &target,
                )
                .map_err(AppError::Denied)?;
                if reason.is_none() {
                    return Ok(Err(if vi {
                        "Cần ghi lý do khi đưa chu kỳ về giai đoạn trước (hoặc mở lại kết quả đã công bố).".into()
                    } else {
                        "A reason is needed to move the cycle back (or reopen published results)."
                            .into()
                    }));
                }
            }
            if !crate::core::confirm::confirmed(&f.confirm) {
                return Ok(Ok(None));
            }
            st.db
                .set_phase_with_reason(set_id, to, &user.user.username, now, reason)
                .await?;
            Flash::PhaseChanged
        }
        "window" => {
            let dates = phase.and_then(|p| {
                Ok(PhaseWindow {
                    phase: p,
                    opens_on: date_field(&f.opens_on, if vi { "Ngày mở" } else { "Opens on" })?,
                    closes_on: date_field(
                        &f.closes_on,
                        if vi { "Ngày đóng" } else { "Closes on" },
                    )?,
                })
            });
            let w = match dates {
                Ok(w) => w,
                Err(m) => return Ok(Err(m)),
            };
            if let (Some(o), Some(c)) = (&w.opens_on, &w.closes_on)
                && o > c
            {
                return Ok(Err(if vi {
                    "Ngày đóng phải sau ngày mở.".into()
                } else {
                    "The closing date must come after the opening date.".into()
                }));
            }
            st.db
                .set_window(set_id, &w, &user.user.username, now)
                .await?;
            Flash::WindowSaved
        }
        "extension" => {
            let until = match date_field(&f.until_on, if vi { "Gia hạn đến" } else { "Until" })
            {
                Ok(Some(u)) => u,
                Ok(None) => {
                    return Ok(Err(if vi {
                        "Cần chọn ngày gia hạn.".into()
                    } else {
                        "Choose the date the extension runs to.".into()
                    }));
                }
                Err(m) => return Ok(Err(m)),
            };
            let reason = f.reason.trim();
            if reason.is_empty() {
                return Ok(Err(if vi {
                    "Cần ghi lý do gia hạn.".into()
                } else {
                    "A reason is needed for an extension.".into()
                }));
            }
            let phase = match phase {
                Ok(p) => p,
                Err(m) => return Ok(Err(m)),
            };
            if st.db.unit(&f.unit).await?.is_none() {
                return Ok(Err(if vi {
                    "Đơn vị không có trong danh sách.".into()
                } else {
                    "The unit is not in the list.".into()
                }));
            }
            let x = Extension {
                unit_code: f.unit.clone(),
                phase,
                until_on: until,
                reason: reason.to_string(),
                granted_by: user.user.username.clone(),
            };
            st.db.grant_extension(set_id, &x, now).await?;
            Flash::ExtensionGranted
        }
        _ => {
            return Ok(Err(if vi {
                "Thao tác không hợp lệ.".into()
            } else {
                "Unknown action.".into()
            }));
        }
    })))
}

/// The second step of a phase change: from which phase to which, and who has not
/// submitted yet.
async fn confirm_phase(
    st: &AppState,
    lang: Lang,
    user: &SessionUser,
    set: &parindex_domain::CriteriaSet,
    from: Option<Phase>,
    f: &CycleForm,
) -> Result<Response, AppError> {
    let t = lang.tr();
    let to = Phase::parse(&f.phase).ok_or(AppError::NotFound)?;
    let waiting: Vec<String> = st
        .db
        .progress(&set.id)
        .await?
        .into_iter()
        .filter(|p| p.submitted_at.is_none())
        .map(|p| format!("{} — {}", p.unit_code, p.unit_name))
        .collect();
    let mut items = vec![format!(
        "{} → {}",
        from.map_or(t.no_cycle, |p| label(p, lang)),
        label(to, lang)
    )];
    if !f.reason.trim().is_empty() {
        items.push(format!("{}: {}", t.reason, f.reason.trim()));
    }
    if !waiting.is_empty() {
        items.push(format!("{} ({}):", t.not_submitted, waiting.len()));
        items.extend(waiting.into_iter().take(50));
    }
    crate::core::confirm::ask(
        lang,
        user,
        format!("{} — {}", t.change_phase, set.name),
        t.confirm_phase_text.to_string(),
        items,
        format!("/sets/{}/cycle", set.id),
        vec![
            ("action".into(), "phase".into()),
            ("phase".into(), to.as_str().into()),
            ("reason".into(), f.reason.trim().to_string()),
        ],
        from.is_some_and(|from| to < from),
        format!("/sets/{}/cycle", set.id),
    )
}
