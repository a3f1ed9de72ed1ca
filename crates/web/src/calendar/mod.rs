//! The working-day calendar: a year at a glance (weekends, holidays, make-up working days,
//! working hours) for everyone signed in, and the secretariat's edit of the calendar's
//! YAML (checked line by line before it is saved; audited).

use std::fmt::Write as _;

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
    /// The unit whose calendar is shown (empty: the province's).
    pub unit: String,
    /// Every unit: (code, name, has its own calendar, shown).
    pub units: Vec<(String, String, bool, bool)>,
    /// The shown unit has its own calendar (it can be removed).
    pub unit_has_own: bool,
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

#[derive(Debug, Deserialize)]
pub struct CalendarForm {
    #[serde(default)]
    pub csrf: String,
    #[serde(default)]
    pub yaml: String,
    #[serde(default)]
    pub reason: String,
    pub year: Option<i32>,
    /// A unit's own calendar rather than the province's.
    #[serde(default)]
    pub unit: String,
    /// Removes the unit's own calendar (it follows the province's again).
    #[serde(default)]
    pub clear: String,
}

#[derive(Debug, Default, Deserialize)]
pub struct CalendarQuery {
    pub year: Option<i32>,
    pub unit: Option<String>,
}

async fn render(
    st: &AppState,
    lang: crate::core::i18n::Lang,
    user: &parindex_db::SessionUser,
    year: i32,
    unit: &str,
    edited: Option<(String, Vec<String>)>,
) -> Result<Response, AppError> {
    let l = crate::dossiers::labels(lang);
    let all_units = st.db.list_units().await?;
    let own: std::collections::HashSet<String> =
        st.db.unit_calendars().await?.into_keys().collect();
    let (province, province_source) = st.db.active_calendar().await?;
    let province_yaml = st.db.stored_calendar().await?.map_or_else(
        || parindex_domain::calendar::SHIPPED.to_string(),
        |s| s.yaml,
    );
    let (cal, source, stored_yaml) = if unit.is_empty() {
        (province, province_source, province_yaml)
    } else {
        let name = all_units
            .iter()
            .find(|u| u.code == unit)
            .map(|u| u.name.clone())
            .ok_or(AppError::NotFound)?;
        match st.db.unit_calendar_yaml(unit).await? {
            Some(yaml) => (
                st.db.calendar_of(unit).await?,
                format!("{} {name}", l.unit_calendar_own),
                yaml,
            ),
            None => (
                province,
                format!("{name}: {} ({province_source})", l.unit_calendar_follows),
                province_yaml,
            ),
        }
    };
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
    let periods = |h: &[(u16, u16)]| {
        h.iter()
            .map(|(a, b)| format!("{:02}:{:02}–{:02}:{:02}", a / 60, a % 60, b / 60, b % 60))
            .collect::<Vec<_>>()
            .join(", ")
    };
    // The weekdays with hours of their own follow the common hours: "Thứ 7: 07:30–11:30".
    let mut hours = periods(&cal.hours);
    for (day, h) in cal.day_hours() {
        let _ = write!(
            hours,
            "; {}: {}",
            l.weekdays[usize::from(day - 1)],
            periods(h)
        );
    }
    let (yaml, problems) = edited.unwrap_or_else(|| (stored_yaml, Vec::new()));
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
        unit_has_own: own.contains(unit),
        units: all_units
            .into_iter()
            .map(|u| {
                let has = own.contains(&u.code);
                let shown = u.code == unit;
                (u.code, u.name, has, shown)
            })
            .collect(),
        unit: unit.to_string(),
    };
    Ok((status, Html(page.render()?)).into_response())
}

pub async fn show_calendar(
    State(st): State<AppState>,
    LangPref(lang): LangPref,
    access: Access<act::ReadCalendar, NoUnit>,
    Query(q): Query<CalendarQuery>,
) -> Response {
    let user = access.user;
    let year = q
        .year
        .filter(|y| (1900..=2200).contains(y))
        .unwrap_or_else(|| st.local_instant().date.year);
    let unit = q.unit.unwrap_or_default();
    render(&st, lang, &user, year, unit.trim(), None)
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
    let year = f
        .year
        .filter(|y| (1900..=2200).contains(y))
        .unwrap_or_else(|| st.local_instant().date.year);
    let unit = f.unit.trim();
    if !unit.is_empty() && st.db.unit(unit).await?.is_none() {
        return Err(AppError::NotFound);
    }
    let yaml = f.yaml.replace("\r\n", "\n");
    let clear = !unit.is_empty() && !f.clear.is_empty();
    let mut problems = if clear {
        Vec::new()
    } else {
        match parse_calendar("lịch", &yaml) {
            Ok(_) => Vec::new(),
            Err(p) => p.0.iter().map(ToString::to_string).collect(),
        }
    };
    if f.reason.trim().is_empty() {
        problems.push("Cần ghi lý do sửa (ví dụ: số văn bản thông báo nghỉ lễ).".into());
    }
    if !problems.is_empty() {
        return render(&st, lang, &user, year, unit, Some((yaml, problems))).await;
    }
    let (actor, now) = (user.user.username.clone(), st.now());
    if unit.is_empty() {
        st.db
            .save_calendar(&yaml, &actor, &now, f.reason.trim())
            .await?;
    } else {
        let saved = (!clear).then_some(yaml.as_str());
        st.db
            .set_unit_calendar(unit, saved, &actor, &now, f.reason.trim())
            .await?;
    }
    let back = if unit.is_empty() {
        format!("/calendar?year={year}")
    } else {
        format!("/calendar?year={year}&unit={unit}")
    };
    Ok(crate::core::flash::done(
        &back,
        crate::core::flash::Flash::CalendarSaved,
    ))
}
