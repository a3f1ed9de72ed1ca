//! Period reports on administrative procedures (`shared/spec/dossiers.md`, "Period
//! reports"): the official table of a unit (a row per procedure) and of the province (a row
//! per unit) for a reporting period of Nghị định 09/2019/NĐ-CP, each number leading to the
//! dossiers behind it; the table downloads as XLSX, CSV, DOCX or PDF.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Response};
use parindex_documents::period_report::{PeriodLine, PeriodReport};
use parindex_domain::period::{EXTRA_COLUMNS, Period, PeriodFigures, PeriodKind, TABLE_COLUMNS};
use parindex_domain::text::{count_vi, decimal_vi};
use serde::Deserialize;

use super::{EXPORT_LIMIT, ListLine, PAGE_LIMIT, labels, list_line};
use crate::core::error::AppError;
use crate::core::i18n::Lang;
use crate::core::layout::{Chrome, LangPref};
use crate::core::state::AppState;
use crate::extract::access::NoUnit;
use crate::extract::{Access, act};

#[derive(Debug, Default, Deserialize)]
pub struct ReportQuery {
    pub year: Option<String>,
    /// `m1`–`m12`, `q1`–`q4`, `h1`, `h2`, `year`.
    pub period: Option<String>,
    pub format: Option<String>,
    /// Drill-down: which number (`carried_over`, `resolved_late`, …).
    pub key: Option<String>,
    pub procedure: Option<String>,
    /// Drill-down of the province's table: one unit's row.
    pub unit: Option<String>,
}

fn bad(vi: String, en: String) -> AppError {
    AppError::said(axum::http::StatusCode::BAD_REQUEST, vi, en)
}

/// The period asked for; by default the quarter today falls in (from the 15th of December,
/// the first quarter of the next year).
fn chosen(q: &ReportQuery, st: &AppState) -> Result<Period, AppError> {
    let today = st.local_instant().date;
    let year = match q.year.as_deref().map(str::trim).filter(|y| !y.is_empty()) {
        Some(y) => y
            .parse::<i32>()
            .ok()
            .filter(|y| (1900..=2200).contains(y))
            .ok_or_else(|| {
                bad(
                    format!("Năm “{y}” không hợp lệ."),
                    format!("The year “{y}” is not valid."),
                )
            })?,
        // The reporting year runs from the 15th of December.
        None if today.month == 12 && today.day >= 15 => today.year + 1,
        None => today.year,
    };
    let kind = match q.period.as_deref().filter(|p| !p.is_empty()) {
        Some(key) => PeriodKind::from_key(key).ok_or_else(|| {
            bad(
                format!("Kỳ báo cáo “{key}” không có (tháng, quý, 6 tháng, năm)."),
                format!("There is no reporting period “{key}” (month, quarter, half, year)."),
            )
        })?,
        None => {
            // The quarter in which today falls (a quarter runs to the 14th of its last month).
            let month = if today.day >= 15 {
                today.month % 12 + 1
            } else {
                today.month
            };
            PeriodKind::Quarter(month.div_ceil(3))
        }
    };
    Period::new(year, kind).map_err(|m| bad(m.clone(), m))
}

/// "quý II năm 2021" or "Q2 2021".
fn period_label(p: &Period, lang: Lang) -> String {
    match lang {
        Lang::Vi => p.label_vi(),
        Lang::En => match p.kind {
            PeriodKind::Month(m) => format!("month {m} of {}", p.year),
            PeriodKind::Quarter(q) => format!("Q{q} {}", p.year),
            PeriodKind::Half(h) => format!("H{h} {}", p.year),
            PeriodKind::Year => format!("year {}", p.year),
        },
    }
}

/// One cell of the table: the number shown and where it leads.
pub struct ReportCell {
    pub value: String,
    /// Empty for the rate.
    pub href: String,
    pub key: &'static str,
}

pub struct ReportRow {
    pub code: String,
    pub name: String,
    /// The row's own page (the unit's report, on the province's table); may be empty.
    pub href: String,
    pub cells: Vec<ReportCell>,
}

fn row_cells(f: &PeriodFigures, list: &str) -> Vec<ReportCell> {
    let numbers = f.table_row();
    TABLE_COLUMNS
        .iter()
        .enumerate()
        .map(|(i, (key, _, _))| match numbers.get(i) {
            Some(n) => ReportCell {
                value: count_vi(*n),
                href: format!("{list}&key={key}"),
                key,
            },
            None => ReportCell {
                value: decimal_vi(f.on_time_rate()),
                href: String::new(),
                key,
            },
        })
        .collect()
}

#[derive(Template)]
#[template(path = "dossier_period.html")]
pub struct ReportPage {
    pub t: &'static crate::core::i18n::Tr,
    pub l: &'static super::Labels,
    pub chrome: Chrome,
    /// Where the chooser and downloads go (`/units/X/dossiers/report` or `/dossiers/report`).
    pub action: String,
    pub heading: String,
    pub scope: String,
    pub label: String,
    pub range: String,
    pub year: i32,
    pub period_key: String,
    pub options: Vec<(String, String)>,
    pub query: String,
    pub columns: Vec<&'static str>,
    pub first: &'static str,
    pub total: Vec<ReportCell>,
    pub rows: Vec<ReportRow>,
    /// Withdrawn, refused, results returned by how: (label, cell).
    pub extra: Vec<(&'static str, ReportCell)>,
    /// The figures in a sentence.
    pub summary: String,
    pub stats_href: String,
}

fn options(year: i32, lang: Lang) -> Vec<(String, String)> {
    PeriodKind::all()
        .into_iter()
        .filter_map(|k| Period::new(year, k).ok())
        .map(|p| {
            (
                p.kind.key(),
                format!(
                    "{} ({} – {})",
                    period_label(&p, lang),
                    p.from.to_vi(),
                    p.to.to_vi()
                ),
            )
        })
        .collect()
}

fn summary(l: &super::Labels, f: &PeriodFigures) -> String {
    l.report_summary
        .replace("{received}", &count_vi(f.received_total()))
        .replace("{carried}", &count_vi(f.carried_over))
        .replace("{resolved}", &count_vi(f.resolved_total()))
        .replace("{rate}", &decimal_vi(f.on_time_rate()))
        .replace(
            "{pending}",
            &count_vi(f.pending_in_time + f.pending_overdue),
        )
        .replace("{overdue}", &count_vi(f.pending_overdue))
}

async fn download(
    st: &AppState,
    unit: Option<&str>,
    report: &PeriodReport,
    period: &Period,
    format: &str,
) -> Result<Response, AppError> {
    let name = format!(
        "bao-cao-tthc-{}-{}-{}",
        unit.unwrap_or("toan-tinh"),
        period.year,
        period.kind.key()
    );
    match format {
        "xlsx" | "csv" => {
            crate::ranking::pages::download_table(&report.export_table(), format, &name)
        }
        other => {
            let format = crate::ranking::pages::document_format(other)?;
            let issue = st.issue();
            let head =
                parindex_services::documents::period_letterhead(&st.db, unit, &issue).await?;
            let doc = parindex_documents::period_report::period_report_document(report, &head);
            crate::ranking::pages::document_download(doc, format, &name).await
        }
    }
}

fn page(
    lang: Lang,
    unit: Option<&str>,
    report: &PeriodReport,
    period: &Period,
    chrome: Chrome,
    action: String,
) -> Result<Response, AppError> {
    let l = labels(lang);
    let query = format!("year={}&period={}", period.year, period.kind.key());
    let list = match unit {
        Some(_) => format!("{action}/list?{query}"),
        None => format!("/dossiers/report/list?{query}"),
    };
    let rows = report
        .rows
        .iter()
        .map(|r: &PeriodLine| {
            let enc = crate::accounts::account::urlencode(&r.code);
            let (href, list) = match unit {
                Some(_) => (String::new(), format!("{list}&procedure={enc}")),
                None => (
                    format!("/units/{enc}/dossiers/report?{query}"),
                    format!("/units/{enc}/dossiers/report/list?{query}"),
                ),
            };
            ReportRow {
                code: r.code.clone(),
                name: r.name.clone(),
                href,
                cells: row_cells(&r.figures, &list),
            }
        })
        .collect();
    let p = ReportPage {
        t: lang.tr(),
        l,
        chrome,
        heading: l.report_title.to_string(),
        scope: report.scope.clone(),
        label: period_label(period, lang),
        range: report.range.clone(),
        year: period.year,
        period_key: period.kind.key(),
        options: options(period.year, lang),
        columns: TABLE_COLUMNS
            .iter()
            .map(|(_, vi, en)| if lang == Lang::En { *en } else { *vi })
            .collect(),
        first: if unit.is_some() { l.procedure } else { l.unit },
        total: row_cells(&report.total, &list),
        extra: EXTRA_COLUMNS
            .iter()
            .zip(report.total.extra_row())
            .map(|((key, vi, en), n)| {
                (
                    if lang == Lang::En { *en } else { *vi },
                    ReportCell {
                        value: count_vi(n),
                        href: format!("{list}&key={key}"),
                        key,
                    },
                )
            })
            .collect(),
        rows,
        summary: summary(l, &report.total),
        stats_href: match unit {
            Some(u) => format!(
                "/units/{}/dossiers?from={}&to={}",
                crate::accounts::account::urlencode(u),
                period.from.to_iso(),
                period.to.to_iso()
            ),
            None => format!(
                "/dossiers?from={}&to={}",
                period.from.to_iso(),
                period.to.to_iso()
            ),
        },
        query,
        action,
    };
    Ok(Html(p.render()?).into_response())
}

/// `/units/{unit}/dossiers/report`: the unit's period table, a row per procedure.
pub async fn show_unit_report(
    State(st): State<AppState>,
    Path(unit_code): Path<String>,
    LangPref(lang): LangPref,
    access: Access<act::ReadDossiers>,
    Query(q): Query<ReportQuery>,
) -> Result<Response, AppError> {
    let user = access.user;
    let l = labels(lang);
    let period = chosen(&q, &st)?;
    let report = parindex_services::documents::period_report(&st.db, Some(&unit_code), period)
        .await?
        .ok_or(AppError::NotFound)?;
    if let Some(format) = q.format.as_deref() {
        return download(&st, Some(&unit_code), &report, &period, format).await;
    }
    let chrome = Chrome::new(
        lang,
        format!("{} — {}", l.report_title, report.scope),
        st.demo,
        Some(&user),
    )
    .crumb(format!("/units/{unit_code}/dossiers"), l.title);
    let action = format!(
        "/units/{}/dossiers/report",
        crate::accounts::account::urlencode(&unit_code)
    );
    page(lang, Some(&unit_code), &report, &period, chrome, action)
}

/// `/dossiers/report`: the province's period table, a row per unit.
pub async fn show_province_report(
    State(st): State<AppState>,
    LangPref(lang): LangPref,
    access: Access<act::ReadProvinceDossiers, NoUnit>,
    Query(q): Query<ReportQuery>,
) -> Result<Response, AppError> {
    let user = access.user;
    let l = labels(lang);
    let period = chosen(&q, &st)?;
    let report = parindex_services::documents::period_report(&st.db, None, period)
        .await?
        .ok_or(AppError::NotFound)?;
    if let Some(format) = q.format.as_deref() {
        return download(&st, None, &report, &period, format).await;
    }
    let chrome = Chrome::new(
        lang,
        format!("{} — {}", l.report_title, report.scope),
        st.demo,
        Some(&user),
    )
    .crumb("/dossiers", l.province);
    page(
        lang,
        None,
        &report,
        &period,
        chrome,
        "/dossiers/report".into(),
    )
}

#[derive(Template)]
#[template(path = "dossier_period_list.html")]
pub struct ReportListPage {
    pub t: &'static crate::core::i18n::Tr,
    pub l: &'static super::Labels,
    pub chrome: Chrome,
    pub heading: String,
    pub sub: String,
    pub back: String,
    pub query: String,
    pub action: String,
    pub total: String,
    pub shown: String,
    /// The unit of the list; empty when it spans the province (each line then shows its
    /// unit).
    pub unit_code: String,
    pub lines: Vec<ListLine>,
}

#[expect(clippy::too_many_arguments, reason = "the parts of one page")]
async fn list_page(
    st: &AppState,
    lang: Lang,
    user: &parindex_db::SessionUser,
    unit: Option<&str>,
    q: &ReportQuery,
    chrome_title: String,
    back: String,
    action: String,
) -> Result<Response, AppError> {
    let l = labels(lang);
    let period = chosen(q, st)?;
    let key = q.key.as_deref().unwrap_or("received_total");
    let column = TABLE_COLUMNS
        .iter()
        .chain(EXTRA_COLUMNS.iter())
        .find(|(k, _, _)| *k == key && *k != "on_time_rate")
        .map(|(_, vi, en)| if lang == Lang::En { *en } else { *vi })
        .ok_or_else(|| {
            bad(
                format!("Cột “{key}” không có trong bảng."),
                format!("The table has no column “{key}”."),
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
        .period_list(unit, period.from, period.to, key, procedure, limit)
        .await?
        .ok_or(AppError::NotFound)?;
    let now = st.local_instant();
    let lines: Vec<ListLine> = rows.iter().map(|d| list_line(l, d, now)).collect();
    let label = period_label(&period, lang);
    let heading = format!(
        "{column}{} — {label}",
        procedure.map(|p| format!(" — {p}")).unwrap_or_default()
    );
    let mut query = format!(
        "year={}&period={}&key={key}",
        period.year,
        period.kind.key()
    );
    if let Some(p) = procedure {
        query.push_str("&procedure=");
        query.push_str(&crate::accounts::account::urlencode(p));
    }
    if let Some(format) = q.format.as_deref() {
        let table = super::list_table(
            l,
            format!("{heading} — {}", unit.unwrap_or("")),
            &lines,
            true,
        );
        return crate::ranking::pages::download_table(
            &table,
            format,
            &format!(
                "ho-so-{}-{}-{}-{key}",
                unit.unwrap_or("toan-tinh"),
                period.year,
                period.kind.key()
            ),
        );
    }
    let chrome = Chrome::new(
        lang,
        format!("{heading} — {chrome_title}"),
        st.demo,
        Some(user),
    );
    let chrome = match unit {
        Some(u) => chrome
            .crumb(format!("/units/{u}/dossiers"), l.title)
            .crumb(back.clone(), l.report_title),
        None => chrome
            .crumb("/dossiers", l.province)
            .crumb(back.clone(), l.report_title),
    };
    let page = ReportListPage {
        t: lang.tr(),
        l,
        chrome,
        heading,
        sub: format!(
            "{chrome_title} · {} – {}",
            period.from.to_vi(),
            period.to.to_vi()
        ),
        back,
        query,
        action,
        total: count_vi(u64::try_from(total).unwrap_or(0)),
        shown: count_vi(u64::try_from(lines.len()).unwrap_or(0)),
        unit_code: unit.unwrap_or("").to_string(),
        lines,
    };
    Ok(Html(page.render()?).into_response())
}

/// `/units/{unit}/dossiers/report/list`: the unit's dossiers behind one number.
pub async fn show_unit_report_list(
    State(st): State<AppState>,
    Path(unit_code): Path<String>,
    LangPref(lang): LangPref,
    access: Access<act::ReadDossiers>,
    Query(q): Query<ReportQuery>,
) -> Result<Response, AppError> {
    let name = st
        .db
        .unit(&unit_code)
        .await?
        .ok_or(AppError::NotFound)?
        .name;
    let enc = crate::accounts::account::urlencode(&unit_code);
    let period = chosen(&q, &st)?;
    let back = format!(
        "/units/{enc}/dossiers/report?year={}&period={}",
        period.year,
        period.kind.key()
    );
    let action = format!("/units/{enc}/dossiers/report/list");
    list_page(
        &st,
        lang,
        &access.user,
        Some(&unit_code),
        &q,
        name,
        back,
        action,
    )
    .await
}

/// `/dossiers/report/list`: every unit's dossiers behind one number of the province's total.
pub async fn show_province_report_list(
    State(st): State<AppState>,
    LangPref(lang): LangPref,
    access: Access<act::ReadProvinceDossiers, NoUnit>,
    Query(q): Query<ReportQuery>,
) -> Result<Response, AppError> {
    let period = chosen(&q, &st)?;
    let back = format!(
        "/dossiers/report?year={}&period={}",
        period.year,
        period.kind.key()
    );
    let scope = labels(lang).province.to_string();
    list_page(
        &st,
        lang,
        &access.user,
        None,
        &q,
        scope,
        back,
        "/dossiers/report/list".into(),
    )
    .await
}
