//! Dossier statistics of a unit: the figures of a period, per procedure and per month with
//! the monthly trend chart, each number leading to the dossiers behind it; CSV and XLSX
//! downloads of every table.

pub mod imports;
pub mod period;
pub mod procedures;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Response};
use parindex_db::{Breakdown, DossierFilter, DossierLine};
use parindex_domain::calendar::Instant;
use parindex_domain::dossiers::{Figure, Figures};
use parindex_domain::text::Date;
use parindex_reports::chart::{MonthBar, month_chart};
use parindex_reports::{Cell, Table};
use serde::Deserialize;

use crate::core::error::AppError;
use crate::core::i18n::Lang;
use crate::core::layout::{Chrome, LangPref};
use crate::core::state::AppState;
use crate::extract::access::NoUnit;
use crate::extract::{Access, Checked, act};

/// The first and last day of a year.
pub fn year_range(year: i32) -> (Date, Date) {
    (
        Date {
            year,
            month: 1,
            day: 1,
        },
        Date {
            year,
            month: 12,
            day: 31,
        },
    )
}

/// `87.89` → `87,89%`.
fn rate_vi(r: &str) -> String {
    format!("{}%", parindex_domain::text::decimal_vi(r))
}

use parindex_domain::text::count_vi;

/// The live figure of a leaf that scores itself, for the assessment page; empty when the
/// figure is undefined (nothing received or finished in the year).
pub fn figure_text(
    figure: Figure,
    f: &Figures,
    year: i32,
    window: parindex_domain::FigureWindow,
    lang: Lang,
) -> String {
    let Some(value) = figure.value(f) else {
        return String::new();
    };
    let shown = if figure.is_count() {
        parindex_domain::text::decimal_vi(&value)
    } else {
        rate_vi(&value)
    };
    let (from, to) = window.range(year);
    let (when, words) = match (window, lang) {
        (parindex_domain::FigureWindow::CalendarYear, Lang::Vi) => (
            format!("năm {year}"),
            ["hồ sơ tiếp nhận", "đã giải quyết", "trễ hạn"],
        ),
        (parindex_domain::FigureWindow::CalendarYear, Lang::En) => (
            format!("year {year}"),
            ["dossiers received", "resolved", "late"],
        ),
        (parindex_domain::FigureWindow::ReportingYear, Lang::Vi) => (
            format!("năm báo cáo {} – {}", from.to_vi(), to.to_vi()),
            ["hồ sơ tiếp nhận", "đã giải quyết", "trễ hạn"],
        ),
        (parindex_domain::FigureWindow::ReportingYear, Lang::En) => (
            format!("reporting year {} – {}", from.to_vi(), to.to_vi()),
            ["dossiers received", "resolved", "late"],
        ),
    };
    let label = match lang {
        Lang::Vi => figure.label_vi(),
        Lang::En => figure.key(),
    };
    format!(
        "{label}: {shown} ({when}: {} {}, {} {}, {} {})",
        count_vi(f.received),
        words[0],
        count_vi(f.finished),
        words[1],
        count_vi(f.late),
        words[2]
    )
}

pub use crate::core::i18n::Labels;

pub(crate) fn labels(lang: Lang) -> &'static Labels {
    lang.tr().dossiers
}

#[derive(Debug, Default, Deserialize)]
pub struct PeriodQuery {
    pub year: Option<i32>,
    pub from: Option<String>,
    pub to: Option<String>,
    /// `YYYY-MM`: that month only.
    pub month: Option<String>,
    pub procedure: Option<String>,
    /// Drill-down: which dossiers (`late`, `pending_overdue`, …).
    pub filter: Option<String>,
    /// `procedures` or `months` (downloads of the statistics page).
    pub table: Option<String>,
    pub format: Option<String>,
}

/// The period asked for: a month, else from–to, else a year (this year by default).
fn period(q: &PeriodQuery, now: Instant) -> Result<(Date, Date), AppError> {
    let bad = |what: (&str, &str), v: &str| {
        AppError::said(
            axum::http::StatusCode::BAD_REQUEST,
            format!("{} “{v}” không hợp lệ.", what.0),
            format!("The {} “{v}” is not valid.", what.1),
        )
    };
    if let Some(m) = q.month.as_deref().filter(|m| !m.is_empty()) {
        let first = Date::parse(&format!("{m}-01")).ok_or_else(|| bad(("Tháng", "month"), m))?;
        let mut last = first;
        for day in (28..=31).rev() {
            if let Some(d) = Date::parse(&format!("{m}-{day:02}")) {
                last = d;
                break;
            }
        }
        return Ok((first, last));
    }
    let year = q.year.unwrap_or(now.date.year);
    if !(1900..=2200).contains(&year) {
        return Err(bad(("Năm", "year"), &year.to_string()));
    }
    let (mut from, mut to) = year_range(year);
    if let Some(f) = q.from.as_deref().filter(|s| !s.is_empty()) {
        from = Date::parse(f).ok_or_else(|| bad(("Ngày bắt đầu", "start date"), f))?;
    }
    if let Some(t) = q.to.as_deref().filter(|s| !s.is_empty()) {
        to = Date::parse(t).ok_or_else(|| bad(("Ngày kết thúc", "end date"), t))?;
    }
    if to < from {
        return Err(AppError::said(
            axum::http::StatusCode::BAD_REQUEST,
            "Ngày kết thúc trước ngày bắt đầu.",
            "The end date comes before the start date.",
        ));
    }
    Ok((from, to))
}

/// Query string of a period (and procedure) for links.
fn period_query(from: Date, to: Date, procedure: Option<&str>) -> String {
    let mut q = format!("from={}&to={}", from.to_iso(), to.to_iso());
    if let Some(p) = procedure {
        q.push_str("&procedure=");
        q.push_str(&crate::accounts::account::urlencode(p));
    }
    q
}

/// The unit's name (the caller's `Access` has decided who may read its dossiers).
async fn check_unit(st: &AppState, unit_code: &str) -> Result<String, AppError> {
    Ok(st.db.unit(unit_code).await?.ok_or(AppError::NotFound)?.name)
}

/// One figure line: label, shown value, drill-down filter (empty for rates).
pub struct FigureLine {
    pub label: &'static str,
    pub value: String,
    pub filter: &'static str,
    /// What the figure counts, where its name alone may mislead.
    pub hint: &'static str,
}

fn figure_lines(l: &Labels, f: &Figures) -> Vec<FigureLine> {
    let counts = [
        (f.received, DossierFilter::Received),
        (f.finished, DossierFilter::Finished),
        (f.early, DossierFilter::Early),
        (f.on_time, DossierFilter::OnTime),
        (f.late, DossierFilter::Late),
        (f.pending, DossierFilter::Pending),
        (f.pending_overdue, DossierFilter::PendingOverdue),
        (f.late_without_apology, DossierFilter::LateWithoutApology),
        (f.online, DossierFilter::Online),
        (f.postal, DossierFilter::Postal),
    ];
    let mut out: Vec<FigureLine> = counts
        .iter()
        .zip(l.names)
        .map(|((n, filter), label)| FigureLine {
            label,
            value: count_vi(*n),
            filter: filter.key(),
            hint: if *filter == DossierFilter::LateWithoutApology {
                l.late_without_apology_hint
            } else {
                ""
            },
        })
        .collect();
    for (label, r) in
        l.names[10..13]
            .iter()
            .zip([f.on_time_rate(), f.online_rate(), f.postal_rate()])
    {
        out.push(FigureLine {
            label,
            value: rate_vi(&r),
            filter: "",
            hint: "",
        });
    }
    for (label, days) in
        l.names[13..16]
            .iter()
            .zip([f.avg_days(), f.avg_limit_days(), f.avg_internal_days()])
    {
        out.push(FigureLine {
            label,
            value: days.replace('.', ","),
            filter: "",
            hint: "",
        });
    }
    out.push(FigureLine {
        label: l.names[16],
        value: rate_vi(&f.time_used_rate()),
        filter: "",
        hint: "",
    });
    out
}

/// A row of the per-procedure or per-month table.
pub struct BreakdownLine {
    pub key: String,
    pub label: String,
    pub limit: String,
    pub figures: Figures,
    pub on_time_rate: String,
    pub online_rate: String,
    pub postal_rate: String,
    /// Query string of the dossiers of this row.
    pub query: String,
}

#[derive(Template)]
#[template(path = "dossiers.html")]
pub struct StatsPage {
    pub t: &'static crate::core::i18n::Tr,
    pub l: &'static Labels,
    pub chrome: Chrome,
    pub unit_code: String,
    pub unit_name: String,
    pub year: i32,
    pub from_iso: String,
    pub to_iso: String,
    pub from_vi: String,
    pub to_vi: String,
    pub as_of: String,
    pub procedure: String,
    pub procedures: Vec<(String, String)>,
    pub query: String,
    pub figures: Vec<FigureLine>,
    pub chart: String,
    pub by_procedure: Vec<BreakdownLine>,
    pub by_month: Vec<BreakdownLine>,
}

fn breakdown_table(title: String, l: &Labels, first: &str, lines: &[BreakdownLine]) -> Table {
    let mut headers = vec![first];
    headers.extend_from_slice(&l.names[..13]);
    headers.push(l.names[13]);
    headers.push(l.names[16]);
    let mut table = Table::new(title, &headers);
    for b in lines {
        let f = &b.figures;
        let mut row: Vec<Cell> = vec![b.label.clone().into()];
        for n in [
            f.received,
            f.finished,
            f.early,
            f.on_time,
            f.late,
            f.pending,
            f.pending_overdue,
            f.late_without_apology,
            f.online,
            f.postal,
        ] {
            row.push(Cell::Int(i64::try_from(n).unwrap_or(i64::MAX)));
        }
        row.push(b.on_time_rate.clone().into());
        row.push(b.online_rate.clone().into());
        row.push(b.postal_rate.clone().into());
        row.push(f.avg_days().into());
        row.push(f.time_used_rate().into());
        table.rows.push(row);
    }
    table
}

pub async fn show_stats(
    State(st): State<AppState>,
    Path(unit_code): Path<String>,
    LangPref(lang): LangPref,
    access: Access<act::ReadDossiers>,
    Query(q): Query<PeriodQuery>,
) -> Result<Response, AppError> {
    let user = access.user;
    let t = lang.tr();
    let l = labels(lang);
    let unit_name = check_unit(&st, &unit_code).await?;
    let now = st.local_instant();
    let (from, to) = period(&q, now)?;
    let names = st.db.procedure_names().await?;
    let procedure = q
        .procedure
        .as_deref()
        .filter(|p| !p.is_empty())
        .map(str::to_string);
    let total = match &procedure {
        None => {
            st.db
                .dossier_figures(Some(&unit_code), from, to, now)
                .await?
        }
        Some(p) => st
            .db
            .dossier_figures_by(Some(&unit_code), from, to, now, Breakdown::Procedure)
            .await?
            .into_iter()
            .find(|(k, _)| k == p)
            .map(|(_, f)| f)
            .unwrap_or_default(),
    };
    let line =
        |key: String, label: String, limit: String, f: Figures, query: String| BreakdownLine {
            on_time_rate: f.on_time_rate(),
            online_rate: f.online_rate(),
            postal_rate: f.postal_rate(),
            key,
            label,
            limit,
            figures: f,
            query,
        };
    let by_procedure: Vec<BreakdownLine> = st
        .db
        .dossier_figures_by(Some(&unit_code), from, to, now, Breakdown::Procedure)
        .await?
        .into_iter()
        .map(|(code, f)| {
            let (name, limit) = names.get(&code).map_or_else(
                || (String::new(), String::new()),
                |(n, d, i)| {
                    let limit = i.map_or_else(|| d.to_string(), |i| format!("{d} (nội bộ {i})"));
                    (n.clone(), limit)
                },
            );
            let query = period_query(from, to, Some(&code));
            line(code.clone(), format!("{code} — {name}"), limit, f, query)
        })
        .collect();
    // Months of the chosen procedure (or all), from the rollups.
    let months_raw = match &procedure {
        None => {
            st.db
                .dossier_figures_by(Some(&unit_code), from, to, now, Breakdown::Month)
                .await?
        }
        Some(p) => months_of_procedure(&st, &unit_code, from, to, now, p).await?,
    };
    let by_month: Vec<BreakdownLine> = months_raw
        .into_iter()
        .map(|(m, f)| {
            let label = format!("{}/{}", m.get(5..7).unwrap_or(""), m.get(..4).unwrap_or(""));
            let mut query = format!("month={m}");
            if let Some(p) = &procedure {
                query.push_str("&procedure=");
                query.push_str(&crate::accounts::account::urlencode(p));
            }
            line(m, label, String::new(), f, query)
        })
        .collect();
    if let Some(format) = q.format.as_deref() {
        let (title, first, lines, name) = if q.table.as_deref() == Some("months") {
            (l.by_month, l.month, &by_month, "thang")
        } else {
            (l.by_procedure, l.procedure, &by_procedure, "thu-tuc")
        };
        let table = breakdown_table(
            format!(
                "{} — {unit_code} — {title} ({} – {})",
                l.title,
                from.to_vi(),
                to.to_vi()
            ),
            l,
            first,
            lines,
        );
        return crate::ranking::pages::download_table(
            &table,
            format,
            &format!("ho-so-{unit_code}-{name}-{}-{}", from.to_iso(), to.to_iso()),
        );
    }
    let chart = month_chart(
        &format!("{} — {unit_name}", l.title),
        &by_month
            .iter()
            .map(|b| MonthBar {
                label: b.label.clone(),
                on_time: b.figures.early + b.figures.on_time,
                late: b.figures.late,
                pending: b.figures.pending,
                rate_hundredths: (b.figures.finished > 0)
                    .then(|| b.on_time_rate.replace('.', "").parse::<u64>().unwrap_or(0)),
                link: format!(
                    "/units/{unit_code}/dossiers/list?{}&filter=received",
                    b.query
                ),
            })
            .collect::<Vec<_>>(),
    );
    let mut procedures: Vec<(String, String)> = names
        .iter()
        .filter(|(code, _)| by_procedure.iter().any(|b| &b.key == *code))
        .map(|(code, (name, _, _))| (code.clone(), format!("{code} — {name}")))
        .collect();
    procedures.sort();
    let page = StatsPage {
        t,
        l,
        chrome: Chrome::new(
            lang,
            format!("{} — {unit_name}", l.title),
            st.demo,
            Some(&user),
        ),
        query: period_query(from, to, procedure.as_deref()),
        unit_code: unit_code.clone(),
        unit_name,
        year: from.year,
        from_iso: from.to_iso(),
        to_iso: to.to_iso(),
        from_vi: from.to_vi(),
        to_vi: to.to_vi(),
        as_of: now.to_vi(),
        procedure: procedure.unwrap_or_default(),
        procedures,
        figures: figure_lines(l, &total),
        chart,
        by_procedure,
        by_month,
    };
    Ok(Html(page.render()?).into_response())
}

#[derive(Template)]
#[template(path = "dossiers_province.html")]
pub struct ProvincePage {
    pub t: &'static crate::core::i18n::Tr,
    pub l: &'static Labels,
    pub chrome: Chrome,
    pub from_iso: String,
    pub to_iso: String,
    pub from_vi: String,
    pub to_vi: String,
    pub as_of: String,
    pub query: String,
    pub figures: Vec<FigureLine>,
    pub by_unit: Vec<BreakdownLine>,
}

/// `/dossiers`: the figures of every unit side by side (province-wide roles only), each
/// unit leading to its own page; the table downloads as XLSX or CSV.
pub async fn show_province(
    State(st): State<AppState>,
    LangPref(lang): LangPref,
    access: Access<act::ReadProvinceDossiers, NoUnit>,
    Query(q): Query<PeriodQuery>,
) -> Result<Response, AppError> {
    let user = access.user;
    let t = lang.tr();
    let l = labels(lang);
    let now = st.local_instant();
    let (from, to) = period(&q, now)?;
    let total = st.db.dossier_figures(None, from, to, now).await?;
    let names: std::collections::HashMap<String, String> = st
        .db
        .list_units()
        .await?
        .into_iter()
        .map(|u| (u.code, u.name))
        .collect();
    let query = period_query(from, to, None);
    let by_unit: Vec<BreakdownLine> = st
        .db
        .dossier_figures_by(None, from, to, now, Breakdown::Unit)
        .await?
        .into_iter()
        .map(|(code, f)| BreakdownLine {
            on_time_rate: f.on_time_rate(),
            online_rate: f.online_rate(),
            postal_rate: f.postal_rate(),
            label: format!("{code} — {}", names.get(&code).map_or("", String::as_str)),
            key: code,
            limit: String::new(),
            figures: f,
            query: query.clone(),
        })
        .collect();
    if let Some(format) = q.format.as_deref() {
        let table = breakdown_table(
            format!("{} ({} – {})", l.province, from.to_vi(), to.to_vi()),
            l,
            l.unit,
            &by_unit,
        );
        return crate::ranking::pages::download_table(
            &table,
            format,
            &format!("ho-so-toan-tinh-{}-{}", from.to_iso(), to.to_iso()),
        );
    }
    let page = ProvincePage {
        t,
        l,
        chrome: Chrome::new(lang, l.province.to_string(), st.demo, Some(&user)),
        from_iso: from.to_iso(),
        to_iso: to.to_iso(),
        from_vi: from.to_vi(),
        to_vi: to.to_vi(),
        as_of: now.to_vi(),
        query,
        figures: figure_lines(l, &total),
        by_unit,
    };
    Ok(Html(page.render()?).into_response())
}

/// Months of one procedure: the month breakdown restricted to it, month by month.
async fn months_of_procedure(
    st: &AppState,
    unit: &str,
    from: Date,
    to: Date,
    now: Instant,
    procedure: &str,
) -> Result<Vec<(String, Figures)>, AppError> {
    let mut out = Vec::new();
    let (mut y, mut m) = (from.year, from.month);
    while (y, m) <= (to.year, to.month) {
        let first = Date {
            year: y,
            month: m,
            day: 1,
        };
        let last = (28..=31)
            .rev()
            .find_map(|d| Date::parse(&format!("{y:04}-{m:02}-{d:02}")))
            .unwrap_or(first);
        let start = if first < from { from } else { first };
        let end = if last > to { to } else { last };
        if let Some((_, f)) = st
            .db
            .dossier_figures_by(Some(unit), start, end, now, Breakdown::Procedure)
            .await?
            .into_iter()
            .find(|(k, _)| k == procedure)
        {
            out.push((format!("{y:04}-{m:02}"), f));
        }
        if m == 12 {
            (y, m) = (y + 1, 1);
        } else {
            m += 1;
        }
    }
    Ok(out)
}

/// How many dossiers a list page shows; downloads hold up to `EXPORT_LIMIT`.
pub(crate) const PAGE_LIMIT: i64 = 500;
pub(crate) const EXPORT_LIMIT: i64 = 200_000;

pub struct ListLine {
    pub unit_code: String,
    pub code: String,
    pub procedure: String,
    pub received: String,
    pub due: String,
    pub finished: String,
    pub channel: &'static str,
    pub status: &'static str,
    pub status_class: &'static str,
    pub apology: String,
    pub new_due: String,
}

fn vi_instant(s: &str) -> String {
    Instant::parse(s).map_or_else(|| s.to_string(), Instant::to_vi)
}

pub(crate) fn list_line(l: &'static Labels, d: &DossierLine, now: Instant) -> ListLine {
    let overdue = d.finished_at.is_none() && Instant::parse(&d.due_at).is_some_and(|due| due < now);
    let (status, status_class) = match (d.status.as_str(), overdue) {
        ("early", _) => (l.statuses[0], "early"),
        ("on_time", _) => (l.statuses[1], "on-time"),
        ("late", _) => (l.statuses[2], "late"),
        ("withdrawn", _) => (l.statuses[5], "withdrawn"),
        (_, true) => (l.statuses[3], "late"),
        _ => (l.statuses[4], "pending"),
    };
    ListLine {
        unit_code: d.unit_code.clone(),
        code: d.code.clone(),
        procedure: d.procedure_code.clone(),
        received: vi_instant(&d.received_at),
        due: vi_instant(&d.due_at),
        finished: d.finished_at.as_deref().map(vi_instant).unwrap_or_default(),
        channel: match d.channel.as_str() {
            "online" => l.channels[0],
            "postal" => l.channels[1],
            _ => l.channels[2],
        },
        status,
        status_class,
        apology: d
            .apology_at
            .as_deref()
            .map(|a| {
                let mark = if d.timely_apology { "" } else { l.late_mark };
                format!("{}{mark}", vi_instant(a))
            })
            .unwrap_or_default(),
        new_due: d.new_due_at.as_deref().map(vi_instant).unwrap_or_default(),
    }
}

/// A list of dossiers as a download, with each line's unit first when `with_unit`.
pub(crate) fn list_table(l: &Labels, title: String, lines: &[ListLine], with_unit: bool) -> Table {
    let mut headers = Vec::with_capacity(10);
    if with_unit {
        headers.push(l.unit);
    }
    headers.extend([
        l.code,
        l.procedure,
        l.received_at,
        l.due_at,
        l.finished_at,
        l.channel,
        l.status,
        l.apology,
        l.new_due,
    ]);
    let mut table = Table::new(title, &headers);
    for d in lines {
        let mut row: Vec<Cell> = Vec::with_capacity(10);
        if with_unit {
            row.push(d.unit_code.clone().into());
        }
        row.extend([
            d.code.clone().into(),
            d.procedure.clone().into(),
            d.received.clone().into(),
            d.due.clone().into(),
            d.finished.clone().into(),
            d.channel.into(),
            d.status.into(),
            d.apology.clone().into(),
            d.new_due.clone().into(),
        ]);
        table.rows.push(row);
    }
    table
}

#[derive(Template)]
#[template(path = "dossier_list.html")]
pub struct ListPage {
    pub t: &'static crate::core::i18n::Tr,
    pub l: &'static Labels,
    pub chrome: Chrome,
    pub unit_code: String,
    pub unit_name: String,
    pub heading: String,
    pub total: String,
    pub shown: String,
    pub query: String,
    pub back_query: String,
    pub lines: Vec<ListLine>,
}

pub async fn show_list(
    State(st): State<AppState>,
    Path(unit_code): Path<String>,
    LangPref(lang): LangPref,
    access: Access<act::ReadDossiers>,
    Query(q): Query<PeriodQuery>,
) -> Result<Response, AppError> {
    let user = access.user;
    let t = lang.tr();
    let l = labels(lang);
    let unit_name = check_unit(&st, &unit_code).await?;
    let now = st.local_instant();
    let (from, to) = period(&q, now)?;
    let filter_key = q.filter.as_deref().unwrap_or("received");
    let filter = DossierFilter::parse(filter_key).ok_or_else(|| {
        AppError::said(
            axum::http::StatusCode::BAD_REQUEST,
            format!("Bộ lọc “{filter_key}” không hợp lệ."),
            format!("The filter “{filter_key}” is not valid."),
        )
    })?;
    let procedure = q.procedure.as_deref().filter(|p| !p.is_empty());
    let limit = if q.format.is_some() {
        EXPORT_LIMIT
    } else {
        PAGE_LIMIT
    };
    let (total, rows) = st
        .db
        .dossier_list(&unit_code, from, to, now, procedure, filter, limit)
        .await?;
    let name = DossierFilter::ALL
        .iter()
        .position(|f| *f == filter)
        .map_or("", |i| l.names[i]);
    let heading = format!(
        "{}: {name}{} — {} – {}",
        l.list,
        procedure.map(|p| format!(" — {p}")).unwrap_or_default(),
        from.to_vi(),
        to.to_vi()
    );
    let lines: Vec<ListLine> = rows.iter().map(|d| list_line(l, d, now)).collect();
    if let Some(format) = q.format.as_deref() {
        let table = list_table(l, format!("{heading} — {unit_code}"), &lines, false);
        return crate::ranking::pages::download_table(
            &table,
            format,
            &format!(
                "ho-so-{unit_code}-{}-{}-{}",
                filter.key(),
                from.to_iso(),
                to.to_iso()
            ),
        );
    }
    let query = format!(
        "{}&filter={}",
        period_query(from, to, procedure),
        filter.key()
    );
    let page = ListPage {
        t,
        l,
        chrome: Chrome::new(
            lang,
            format!("{heading} — {unit_name}"),
            st.demo,
            Some(&user),
        ),
        unit_code: unit_code.clone(),
        unit_name,
        heading,
        total: count_vi(u64::try_from(total).unwrap_or(0)),
        shown: count_vi(u64::try_from(lines.len()).unwrap_or(0)),
        back_query: period_query(from, to, procedure),
        query,
        lines,
    };
    Ok(Html(page.render()?).into_response())
}

// ---------- apology slips ----------

/// Whether `user` issues the unit's slips (the policy's `IssueApology`).
fn issues_slips(user: &parindex_db::SessionUser, unit: &str) -> bool {
    crate::extract::may(
        user,
        parindex_domain::policy::Action::IssueApology,
        &parindex_domain::policy::Target::unit(unit, None),
    )
}

#[derive(Template)]
#[template(path = "apology.html")]
pub struct ApologyPage {
    pub t: &'static crate::core::i18n::Tr,
    pub l: &'static Labels,
    pub chrome: Chrome,
    pub unit_code: String,
    pub unit_name: String,
    pub line: ListLine,
    pub procedure_name: String,
    pub form_title: &'static str,
    /// The decree in force on the day of issue.
    pub decree: &'static str,
    pub issued: bool,
    pub reason: String,
    pub applicant: String,
    pub can_issue: bool,
    pub error: String,
}

#[derive(Debug, Default, Deserialize)]
pub struct SlipQuery {
    pub format: Option<String>,
    pub signer_title: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct SlipForm {
    #[serde(default)]
    pub csrf: String,
    #[serde(default)]
    pub reason: String,
    /// `YYYY-MM-DDTHH:MM` (a datetime-local input) or `YYYY-MM-DD HH:MM`.
    #[serde(default)]
    pub new_due: String,
    #[serde(default)]
    pub applicant: String,
}

async fn slip_page(
    st: &AppState,
    lang: Lang,
    user: &parindex_db::SessionUser,
    unit_code: &str,
    code: &str,
    error: String,
) -> Result<Response, AppError> {
    let unit_name = check_unit(st, unit_code).await?;
    let d = st
        .db
        .dossier(unit_code, code)
        .await?
        .ok_or(AppError::NotFound)?;
    // The form and rules of the day the slip is (or was) issued.
    let issue_day = d
        .line
        .apology_at
        .as_deref()
        .and_then(Instant::parse)
        .map_or(st.local_instant().date, |i| i.date);
    let form = Some(parindex_reports::apology::SlipForm::for_issue(issue_day));
    let issued = d.line.apology_at.is_some();
    let needs = !issued && !matches!(d.line.status.as_str(), "early" | "on_time" | "withdrawn");
    let l = labels(lang);
    let page = ApologyPage {
        t: lang.tr(),
        l,
        chrome: Chrome::new(lang, format!("{} — {code}", l.apology), st.demo, Some(user))
            .crumb(format!("/units/{unit_code}/dossiers"), l.title)
            .crumb(format!("/units/{unit_code}/dossiers/list"), l.list),
        unit_code: unit_code.to_string(),
        unit_name,
        line: list_line(l, &d.line, st.local_instant()),
        procedure_name: d.procedure_name,
        form_title: form.map_or("", parindex_reports::apology::SlipForm::title),
        decree: form.map_or("", parindex_reports::apology::SlipForm::decree),
        issued,
        reason: d.apology_reason.unwrap_or_default(),
        applicant: d.apology_applicant.unwrap_or_default(),
        can_issue: needs && issues_slips(user, unit_code),
        error,
    };
    let status = if page.error.is_empty() {
        axum::http::StatusCode::OK
    } else {
        axum::http::StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok((status, Html(page.render()?)).into_response())
}

/// A dossier's apology slip: the form to issue it, or the issued slip as DOCX.
pub async fn show_apology(
    State(st): State<AppState>,
    Path((unit_code, code)): Path<(String, String)>,
    LangPref(lang): LangPref,
    access: Access<act::ReadDossiers>,
    Query(q): Query<SlipQuery>,
) -> Result<Response, AppError> {
    let user = access.user;
    let Some(format @ ("docx" | "pdf")) = q.format.as_deref() else {
        return slip_page(&st, lang, &user, &unit_code, &code, String::new()).await;
    };
    let format = crate::ranking::pages::document_format(format)?;
    check_unit(&st, &unit_code).await?;
    let d = st
        .db
        .dossier(&unit_code, &code)
        .await?
        .ok_or(AppError::NotFound)?;
    let (Some(at), Some(new_due)) = (
        d.line.apology_at.as_deref().and_then(Instant::parse),
        d.line.new_due_at.as_deref().and_then(Instant::parse),
    ) else {
        return Err(AppError::NotFound);
    };
    let stored = |s: &str| {
        Instant::parse(s).ok_or_else(|| AppError::Internal(format!("thời điểm đã lưu `{s}` hỏng")))
    };
    let slip = parindex_reports::apology::ApologySlip {
        governing_body: st.slip_governing_body.clone(),
        agency: d.unit_name,
        number: String::new(),
        place: st.slip_place.clone(),
        issued: at.date,
        applicant: d.apology_applicant.unwrap_or_default(),
        procedure: if d.procedure_name.is_empty() {
            d.line.procedure_code.clone()
        } else {
            d.procedure_name
        },
        dossier_code: d.line.code.clone(),
        received: stored(&d.line.received_at)?,
        due: stored(&d.line.due_at)?,
        reason: d.apology_reason.unwrap_or_default(),
        new_due,
        signer_title: q.signer_title.clone().unwrap_or_else(|| "Giám đốc".into()),
        signer_name: String::new(),
    };
    let name = format!("phieu-xin-loi-{}", crate::ranking::pages::safe_name(&code));
    let doc = parindex_documents::apology::slip_document(&slip);
    crate::ranking::pages::document_download(doc, format, &name).await
}

/// Issues a dossier's apology slip: records it with its single new date.
pub async fn submit_apology(
    State(st): State<AppState>,
    Path((unit_code, code)): Path<(String, String)>,
    LangPref(lang): LangPref,
    access: Access<act::IssueApology>,
    Checked(f): Checked<SlipForm>,
) -> Result<Response, AppError> {
    let back = format!("/units/{unit_code}/dossiers/{code}/apology");
    let user = access.user;
    let d = st
        .db
        .dossier(&unit_code, &code)
        .await?
        .ok_or(AppError::NotFound)?;
    let new_due = Instant::parse(&f.new_due.replace('T', " "));
    let problem = if f.reason.trim().is_empty() {
        Some("Cần ghi lý do chậm.".to_string())
    } else if new_due.is_none() {
        Some(format!("Ngày giờ hẹn lại `{}` không hợp lệ.", f.new_due))
    } else {
        None
    };
    if let Some(p) = problem {
        return slip_page(&st, lang, &user, &unit_code, &code, p).await;
    }
    let (Some(new_due), Some(due)) = (new_due, Instant::parse(&d.line.due_at)) else {
        return Err(AppError::Internal("hạn đã lưu hỏng".into()));
    };
    let cal = st.db.calendar_of(&unit_code).await?;
    let at = st.local_instant();
    let record = parindex_db::NewApology {
        at,
        new_due,
        reason: f.reason.trim().to_string(),
        applicant: f.applicant.trim().to_string(),
        by: user.user.username.clone(),
        timely: parindex_domain::dossiers::has_timely_apology(&cal, Some(at), due),
    };
    match st.db.record_apology(&unit_code, &code, &record).await {
        Ok(Some(())) => {}
        Ok(None) => return Err(AppError::NotFound),
        Err(parindex_db::DbError::Conflict(m)) => {
            return slip_page(&st, lang, &user, &unit_code, &code, m).await;
        }
        Err(e) => return Err(e.into()),
    }
    st.db
        .refresh_figure_leaves(at, &user.user.username, &st.now())
        .await?;
    Ok(crate::core::flash::done(
        &back,
        crate::core::flash::Flash::ApologyIssued,
    ))
}

// ---------- due soon, no slip yet ----------

#[derive(Debug, Default, Deserialize)]
pub struct DueSoonQuery {
    pub days: Option<u32>,
    pub format: Option<String>,
}

pub struct DueLine {
    pub code: String,
    pub procedure: String,
    pub received: String,
    pub due: String,
    pub overdue: bool,
}

#[derive(Template)]
#[template(path = "due_soon.html")]
pub struct DueSoonPage {
    pub t: &'static crate::core::i18n::Tr,
    pub l: &'static Labels,
    pub chrome: Chrome,
    pub unit_code: String,
    pub unit_name: String,
    pub days: u32,
    pub until: String,
    pub now: String,
    /// Due soon and overdue ones, each shown in its own table.
    pub lines: Vec<DueLine>,
    pub soon_count: usize,
    pub overdue_count: usize,
}

/// Unfinished dossiers with no apology slip due within N working days (or overdue): the
/// ones to act on while Nghị định 61/2018 still allows a timely slip.
pub async fn show_due_soon(
    State(st): State<AppState>,
    Path(unit_code): Path<String>,
    LangPref(lang): LangPref,
    access: Access<act::ReadDossiers>,
    Query(q): Query<DueSoonQuery>,
) -> Result<Response, AppError> {
    let user = access.user;
    let unit_name = check_unit(&st, &unit_code).await?;
    let days = q.days.unwrap_or(2).clamp(1, 30);
    let now = st.local_instant();
    let cal = st.db.calendar_of(&unit_code).await?;
    let until = cal.due_instant(now, days).map_err(AppError::BadRequest)?;
    let lines: Vec<DueLine> = st
        .db
        .dossiers_due_without_slip(Some(&unit_code), until)
        .await?
        .into_iter()
        .map(|d| DueLine {
            overdue: Instant::parse(&d.due_at).is_some_and(|due| due < now),
            received: vi_instant(&d.received_at),
            due: vi_instant(&d.due_at),
            code: d.code,
            procedure: d.procedure_code,
        })
        .collect();
    if let Some(format) = q.format.as_deref() {
        let mut table = Table::new(
            format!("Hồ sơ sắp đến hạn chưa có phiếu xin lỗi — {unit_code}"),
            &["Mã hồ sơ", "Thủ tục", "Tiếp nhận", "Hẹn trả", "Tình trạng"],
        );
        for l in &lines {
            table.rows.push(vec![
                l.code.clone().into(),
                l.procedure.clone().into(),
                l.received.clone().into(),
                l.due.clone().into(),
                if l.overdue {
                    "Đã quá hạn"
                } else {
                    "Sắp đến hạn"
                }
                .into(),
            ]);
        }
        return crate::ranking::pages::download_table(
            &table,
            format,
            &format!("sap-den-han-{unit_code}"),
        );
    }
    let l = labels(lang);
    let page = DueSoonPage {
        t: lang.tr(),
        l,
        chrome: Chrome::new(
            lang,
            format!("{} — {unit_name}", l.due_soon_title),
            st.demo,
            Some(&user),
        )
        .crumb(format!("/units/{unit_code}/dossiers"), l.title),
        unit_code: unit_code.clone(),
        unit_name,
        days,
        until: until.to_vi(),
        now: now.to_vi(),
        soon_count: lines.iter().filter(|d| !d.overdue).count(),
        overdue_count: lines.iter().filter(|d| d.overdue).count(),
        lines,
    };
    Ok(Html(page.render()?).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_the_vietnamese_way() {
        assert_eq!(count_vi(0), "0");
        assert_eq!(count_vi(999), "999");
        assert_eq!(count_vi(1461), "1.461");
        assert_eq!(count_vi(10_000_000), "10.000.000");
        assert_eq!(rate_vi("87.89"), "87,89%");
    }

    #[test]
    fn a_period_is_a_month_a_range_or_a_year() {
        let now = Instant::parse("2021-06-15 10:00").unwrap();
        let q = |s: &str| -> PeriodQuery {
            let uri: axum::http::Uri = format!("http://x/?{s}").parse().unwrap();
            Query::<PeriodQuery>::try_from_uri(&uri).unwrap().0
        };
        let iso = |(a, b): (Date, Date)| (a.to_iso(), b.to_iso());
        assert_eq!(
            iso(period(&q(""), now).unwrap()),
            ("2021-01-01".into(), "2021-12-31".into())
        );
        assert_eq!(
            iso(period(&q("month=2020-02"), now).unwrap()),
            ("2020-02-01".into(), "2020-02-29".into())
        );
        assert_eq!(
            iso(period(&q("year=2020&from=2020-03-01"), now).unwrap()),
            ("2020-03-01".into(), "2020-12-31".into())
        );
        assert!(period(&q("from=2021-05-01&to=2021-04-01"), now).is_err());
        assert!(period(&q("month=2021-13"), now).is_err());
    }
}
