//! The working-day calendar: a year at a glance (weekends, holidays, make-up working days,
//! working hours) for everyone signed in, and the secretariat's edit of the calendar's
//! YAML (checked line by line before it is saved; audited).

use askama::Template;
use axum::extract::{Query, State};
use axum::response::{Html, IntoResponse, Response};
use parindex_domain::calendar::{Calendar, parse_calendar};
use parindex_domain::schedule::{from_days, weekday};
use parindex_domain::text::Date;
use serde::Deserialize;

use crate::core::error::AppError;
use crate::core::layout::{Chrome, LangPref};
use crate::core::state::AppState;
use crate::extract::access::NoUnit;
use crate::extract::{Access, Checked, act};

/// One day cell: day of month (0 = padding) and its class.
pub struct DayCell {
    pub day: u8,
    pub class: &'static str,
    pub iso: String,
}

pub struct MonthGrid {
    pub name: &'static str,
    pub weeks: Vec<Vec<DayCell>>,
    pub working: u32,
}

#[derive(Template)]
#[template(path = "calendar_year.html")]
pub struct CalendarPage {
    pub t: &'static crate::core::i18n::Tr,
    pub l: &'static crate::dossiers::Labels,
    pub chrome: Chrome,
    pub year: i32,
    pub source: String,
    pub hours: String,
    pub months: Vec<MonthGrid>,
    pub working_days: u32,
    pub off_weekdays: Vec<String>,
    pub makeup_days: Vec<String>,
    pub known_years: String,
    pub can_edit: bool,
    pub yaml: String,
    pub problems: Vec<String>,
}

fn month_grid(l: &crate::dossiers::Labels, cal: &Calendar, year: i32, month: u8) -> MonthGrid {
    let first = Date {
        year,
        month,
        day: 1,
    };
    let start = first.days_since_epoch();
    let mut weeks = Vec::new();
    let mut week: Vec<DayCell> = (1..weekday(first))
        .map(|_| DayCell {
            day: 0,
            class: "pad",
            iso: String::new(),
        })
        .collect();
    let mut working = 0;
    for offset in 0..31 {
        let d = from_days(start + offset);
        if d.month != month {
            break;
        }
        let work = cal.is_working_day(d);
        if work {
            working += 1;
        }
        let class = match (work, cal.is_weekend(d)) {
            (true, true) => "makeup",
            (true, false) => "work",
            (false, true) => "weekend",
            (false, false) => "holiday",
        };
        week.push(DayCell {
            day: d.day,
            class,
            iso: d.to_iso(),
        });
        if week.len() == 7 {
            weeks.push(std::mem::take(&mut week));
        }
    }
    if !week.is_empty() {
        while week.len() < 7 {
            week.push(DayCell {
                day: 0,
                class: "pad",
                iso: String::new(),
            });
        }
        weeks.push(week);
    }
    MonthGrid {
        name: l.months[usize::from(month - 1)],
        weeks,
        working,
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct YearQuery {
    pub year: Option<i32>,
}

#[derive(Debug, Deserialize)]
pub struct CalendarForm {
    #[serde(default)]
    pub csrf: String,
    #[serde(default)]
    pub yaml: String,
    #[serde(default)]
    pub reason: String,
    pub year: Option<i32>,
}

async fn render(
    st: &AppState,
    lang: crate::core::i18n::Lang,
    user: &parindex_db::SessionUser,
    year: i32,
    edited: Option<(String, Vec<String>)>,
) -> Result<Response, AppError> {
    let (cal, source) = st.db.active_calendar().await?;
    let stored = st.db.stored_calendar().await?;
    let l = crate::dossiers::labels(lang);
    let months: Vec<MonthGrid> = (1..=12).map(|m| month_grid(l, &cal, year, m)).collect();
    let mut off_weekdays = Vec::new();
    let mut makeup_days = Vec::new();
    for m in &months {
        for w in &m.weeks {
            for d in w {
                if let Some(date) = Date::parse(&d.iso) {
                    match d.class {
                        "holiday" => off_weekdays.push(date.to_vi()),
                        "makeup" => makeup_days.push(date.to_vi()),
                        _ => {}
                    }
                }
            }
        }
    }
    let hours = cal
        .hours
        .iter()
        .map(|(a, b)| format!("{:02}:{:02}–{:02}:{:02}", a / 60, a % 60, b / 60, b % 60))
        .collect::<Vec<_>>()
        .join(", ");
    let (yaml, problems) = edited.unwrap_or_else(|| {
        (
            stored.map_or_else(
                || parindex_domain::calendar::SHIPPED.to_string(),
                |s| s.yaml,
            ),
            Vec::new(),
        )
    });
    let status = if problems.is_empty() {
        axum::http::StatusCode::OK
    } else {
        axum::http::StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = CalendarPage {
        t: lang.tr(),
        l,
        chrome: Chrome::new(lang, format!("{} {year}", l.calendar_of), false, Some(user)),
        year,
        source,
        hours,
        working_days: months.iter().map(|m| m.working).sum(),
        months,
        off_weekdays,
        makeup_days,
        known_years: cal
            .years
            .map_or_else(|| "không giới hạn".to_string(), |(a, b)| format!("{a}–{b}")),
        can_edit: crate::extract::may(
            user,
            parindex_domain::policy::Action::EditCalendar,
            &parindex_domain::policy::Target::default(),
        ),
        yaml,
        problems,
    };
    Ok((status, Html(page.render()?)).into_response())
}

pub async fn show_calendar(
    State(st): State<AppState>,
    LangPref(lang): LangPref,
    access: Access<act::ReadCalendar, NoUnit>,
    Query(q): Query<YearQuery>,
) -> Response {
    let user = access.user;
    let year = q
        .year
        .filter(|y| (1900..=2200).contains(y))
        .unwrap_or_else(|| st.local_instant().date.year);
    render(&st, lang, &user, year, None)
        .await
        .unwrap_or_else(|e| e.page(lang))
}

pub async fn save_calendar(
    State(st): State<AppState>,
    LangPref(lang): LangPref,
    access: Access<act::EditCalendar, NoUnit>,
    Checked(f): Checked<CalendarForm>,
) -> Result<Response, AppError> {
    let user = access.user;
    let year = f.year.unwrap_or_else(|| st.local_instant().date.year);
    let yaml = f.yaml.replace("\r\n", "\n");
    let mut problems = match parse_calendar("lịch", &yaml) {
        Ok(_) => Vec::new(),
        Err(p) => p.0.iter().map(ToString::to_string).collect(),
    };
    if f.reason.trim().is_empty() {
        problems.push("Cần ghi lý do sửa (ví dụ: số văn bản thông báo nghỉ lễ).".into());
    }
    if !problems.is_empty() {
        return render(&st, lang, &user, year, Some((yaml, problems))).await;
    }
    st.db
        .save_calendar(&yaml, &user.user.username, &st.now(), f.reason.trim())
        .await?;
    Ok(crate::core::flash::done(
        &format!("/calendar?year={year}"),
        crate::core::flash::Flash::CalendarSaved,
    ))
}
