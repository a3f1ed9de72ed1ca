//! The indicators registry on the web: a unit's values entered period by period with
//! evidence (its leaves that read an indicator recomputed), the province's list, and a page
//! per indicator with its target, the trend and the units side by side.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use parindex_domain::Points;
use parindex_domain::indicators::{Indicator, Value};
use parindex_reports::chart::{Bar, bar_chart};
use serde::Deserialize;

use crate::core::error::AppError;
use crate::core::i18n::{Lang, Tr};
use crate::core::layout::{Chrome, LangPref};
use crate::core::state::AppState;
use crate::extract::access::{Access, NoUnit, act};
use crate::extract::form::Checked;

pub mod manage;

#[derive(Deserialize, Default)]
pub struct YearQuery {
    pub year: Option<i32>,
}

/// A year asked for, within reason; this year otherwise.
fn year_of(st: &AppState, q: &YearQuery) -> i32 {
    let this = st.local_instant().date.year;
    q.year
        .filter(|y| (2000..=this + 1).contains(y))
        .unwrap_or(this)
}

/// `85,5` from `85.5`.
fn vi(p: Points) -> String {
    parindex_domain::text::decimal_vi(p.to_plain())
}

/// The period's label: `T3`, `Q1`, `2021`.
fn short(key: &str) -> String {
    match key.split_once('-') {
        Some((_, m)) if m.starts_with('Q') => m.to_string(),
        Some((_, m)) => format!("T{}", m.trim_start_matches('0')),
        None => key.to_string(),
    }
}

pub struct PeriodCell {
    pub key: String,
    pub label: String,
    /// As stored, or as typed into a form that could not be saved.
    pub value: String,
}

pub struct IndicatorCard {
    pub code: String,
    pub name: String,
    pub measure: String,
    pub how: String,
    pub target: String,
    pub year_value: String,
    pub year_target: String,
    /// `ok`, `bad` or empty (no target or no value).
    pub status: &'static str,
    pub source: String,
    pub cells: Vec<PeriodCell>,
    pub note: String,
    pub evidence: Vec<(i64, String, bool)>,
    pub chart: String,
    pub error: String,
    /// The whole-year value of the five years up to the one shown: (year, value, status).
    pub history: Vec<(i32, String, &'static str)>,
}

#[derive(Template)]
#[template(path = "indicators_unit.html")]
pub struct UnitPage {
    pub t: &'static Tr,
    pub chrome: Chrome,
    pub unit_code: String,
    pub unit_name: String,
    pub year: i32,
    pub years: Vec<i32>,
    pub can_enter: bool,
    pub cards: Vec<IndicatorCard>,
    pub m: &'static manage::Words,
}

fn status(def: &Indicator, value: Option<Points>) -> &'static str {
    match (def.year_target(), value) {
        (Some(t), Some(v)) if v >= t => "ok",
        (Some(_), Some(_)) => "bad",
        _ => "",
    }
}

fn how(def: &Indicator, lang: Lang) -> String {
    match lang {
        Lang::Vi => format!(
            "theo {}, {}",
            def.period.label_vi(),
            def.aggregation.label_vi()
        ),
        Lang::En => format!("per {}, {}", def.period.as_str(), def.aggregation.as_str()),
    }
}

/// The bars of an indicator's periods, scaled to the largest value or the target (empty
/// without values).
fn trend(def: &Indicator, bars: &[Bar]) -> String {
    if bars.is_empty() {
        return String::new();
    }
    let scale = bars
        .iter()
        .map(|b| b.value)
        .chain(def.target)
        .max()
        .unwrap_or(Points::from_whole(1));
    bar_chart(&def.name, bars, scale, 3)
}

/// A form of one indicator that could not be saved: its code, what was typed, the message.
type Typed = (String, HashMap<String, String>, String);

async fn render_unit(
    st: &AppState,
    lang: Lang,
    access_user: &parindex_db::SessionUser,
    unit_code: &str,
    year: i32,
    typed: Option<Typed>,
) -> Result<Response, AppError> {
    let t = lang.tr();
    let unit = st.db.unit(unit_code).await?.ok_or(AppError::NotFound)?;
    let defs = st.db.indicators().await?;
    // Every year of the unit's values (a few per indicator and period), for the history.
    let all_years = st.db.indicator_values(None, Some(unit_code), None).await?;
    let values: Vec<Value> = all_years
        .iter()
        .filter(|v| parindex_domain::indicators::year_of(&v.period) == Some(year))
        .cloned()
        .collect();
    let evidence = st.db.unit_evidence(unit_code).await?;
    let can_enter = crate::extract::user::may(
        access_user,
        parindex_domain::policy::Action::EnterIndicators,
        &parindex_domain::policy::Target::unit(unit_code, unit.parent_code.as_deref()),
    );
    let mut cards = Vec::new();
    for def in &defs {
        let mine: Vec<&Value> = values.iter().filter(|v| v.indicator == def.code).collect();
        let pairs: Vec<(String, Points)> =
            mine.iter().map(|v| (v.period.clone(), v.value)).collect();
        let year_value = def.aggregation.of_year(&pairs);
        let form = typed.as_ref().filter(|(c, _, _)| *c == def.code);
        let cells: Vec<PeriodCell> = def
            .period
            .keys_of(year)
            .into_iter()
            .map(|key| {
                let stored = mine
                    .iter()
                    .find(|v| v.period == key)
                    .map(|v| vi(v.value))
                    .unwrap_or_default();
                let value = form
                    .and_then(|(_, f, _)| f.get(&format!("v.{key}")).cloned())
                    .unwrap_or(stored);
                PeriodCell {
                    label: short(&key),
                    key,
                    value,
                }
            })
            .collect();
        let bars: Vec<Bar> = mine
            .iter()
            .map(|v| Bar {
                label: short(&v.period),
                value: v.value,
                highlight: def.target.is_some_and(|tg| v.value < tg),
            })
            .collect();
        let chosen = mine.iter().rev().find_map(|v| v.evidence_id);
        let history = (year - 4..=year)
            .map(|y| {
                let of_year: Vec<(String, Points)> = all_years
                    .iter()
                    .filter(|v| {
                        v.indicator == def.code
                            && parindex_domain::indicators::year_of(&v.period) == Some(y)
                    })
                    .map(|v| (v.period.clone(), v.value))
                    .collect();
                let value = def.aggregation.of_year(&of_year);
                (y, value.map(vi).unwrap_or_default(), status(def, value))
            })
            .collect();
        cards.push(IndicatorCard {
            code: def.code.clone(),
            name: def.name.clone(),
            measure: def.measure.clone(),
            how: how(def, lang),
            target: def.target.map(vi).unwrap_or_default(),
            year_value: year_value.map(vi).unwrap_or_default(),
            year_target: def.year_target().map(vi).unwrap_or_default(),
            status: status(def, year_value),
            source: def.source.clone().unwrap_or_default(),
            cells,
            note: form
                .and_then(|(_, f, _)| f.get("note").cloned())
                .or_else(|| mine.iter().rev().find_map(|v| v.note.clone()))
                .unwrap_or_default(),
            evidence: evidence
                .iter()
                .map(|e| {
                    (
                        e.id,
                        format!("{} — {}", e.id, e.meta.title),
                        Some(e.id) == chosen,
                    )
                })
                .collect(),
            chart: trend(def, &bars),
            error: form.map(|(_, _, m)| m.clone()).unwrap_or_default(),
            history,
        });
    }
    let this = st.local_instant().date.year;
    let page = UnitPage {
        t,
        chrome: Chrome::new(
            lang,
            format!("{} — {}", t.indicators, unit.name),
            false,
            Some(access_user),
        ),
        unit_code: unit_code.to_string(),
        unit_name: unit.name,
        year,
        years: (this - 5..=this).rev().collect(),
        can_enter,
        cards,
        m: manage::words(lang),
    };
    let status = if typed.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    Ok((status, Html(page.render()?)).into_response())
}

pub async fn show_unit(
    State(st): State<AppState>,
    LangPref(lang): LangPref,
    access: Access<act::ReadIndicators>,
    Query(q): Query<YearQuery>,
) -> Result<Response, AppError> {
    let year = year_of(&st, &q);
    let unit = access.unit_code().to_string();
    render_unit(&st, lang, &access.user, &unit, year, None).await
}

pub async fn save_unit(
    State(st): State<AppState>,
    LangPref(lang): LangPref,
    access: Access<act::EnterIndicators>,
    Checked(form): Checked<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let unit = access.unit_code().to_string();
    let fields: HashMap<String, String> = form.into_iter().collect();
    let code = fields.get("indicator").cloned().unwrap_or_default();
    let year = fields
        .get("year")
        .and_then(|y| y.parse::<i32>().ok())
        .ok_or(AppError::NotFound)?;
    let def = st
        .db
        .indicators()
        .await?
        .into_iter()
        .find(|d| d.code == code)
        .ok_or(AppError::NotFound)?;
    let note = Some(parindex_domain::text::nfc(
        fields.get("note").map_or("", |n| n.trim()),
    ))
    .filter(|n| !n.is_empty());
    let evidence_id = match fields
        .get("evidence")
        .map(|e| e.trim())
        .filter(|e| !e.is_empty())
    {
        None => None,
        Some(e) => {
            let id = e.parse::<i64>().map_err(|_| AppError::NotFound)?;
            // Only the unit's own evidence.
            if st.db.evidence_unit(id).await?.as_deref() != Some(unit.as_str()) {
                return Err(AppError::said(
                    StatusCode::FORBIDDEN,
                    "Tài liệu kiểm chứng không thuộc đơn vị này.",
                    "The evidence does not belong to this unit.",
                ));
            }
            Some(id)
        }
    };
    // Bounded by the indicator's periods in the year (12 at most).
    let mut values = Vec::new();
    for key in def.period.keys_of(year) {
        let typed = fields.get(&format!("v.{key}")).map_or("", |v| v.trim());
        if typed.is_empty() {
            continue;
        }
        // As the page shows numbers: `1.500` is fifteen hundred, `5,5` five and a half.
        match Points::parse(&parindex_domain::text::plain_decimal(typed, true)) {
            Ok(v) if !v.is_negative() => values.push(Value {
                unit_code: unit.clone(),
                indicator: def.code.clone(),
                period: key,
                value: v,
                note: note.clone(),
                evidence_id,
                line: 0,
            }),
            _ => {
                let message = match lang {
                    Lang::Vi => format!(
                        "Kỳ {}: “{typed}” không phải một số không âm (tối đa 3 chữ số thập phân).",
                        short(&key)
                    ),
                    Lang::En => format!(
                        "Period {}: “{typed}” is not a non-negative number (at most 3 decimals).",
                        short(&key)
                    ),
                };
                return render_unit(
                    &st,
                    lang,
                    &access.user,
                    &unit,
                    year,
                    Some((def.code, fields, message)),
                )
                .await;
            }
        }
    }
    let actor = access.user.user.username.clone();
    let now = st.now();
    st.db.set_indicator_values(&values, &actor, &now).await?;
    for c in st.db.refresh_indicator_leaves(&actor, &now).await? {
        st.invalidate(&c.set_id);
    }
    Ok(crate::core::flash::done(
        &format!("/units/{unit}/indicators?year={year}#ind-{}", def.code),
        crate::core::flash::Flash::Saved,
    ))
}

pub struct ListLine {
    pub code: String,
    pub name: String,
    pub measure: String,
    pub how: String,
    pub target: String,
    pub source: String,
}

#[derive(Template)]
#[template(path = "indicators.html")]
pub struct ListPage {
    pub t: &'static Tr,
    pub m: &'static manage::Words,
    pub chrome: Chrome,
    pub lines: Vec<ListLine>,
    /// The user may import definitions and values.
    pub can_manage: bool,
    /// A file's problems (nothing stored), each `file:line: message`.
    pub problems: Vec<String>,
}

pub async fn show_list(
    State(st): State<AppState>,
    LangPref(lang): LangPref,
    access: Access<act::ReadProvinceIndicators, NoUnit>,
) -> Result<Response, AppError> {
    render_list(&st, lang, &access.user, Vec::new()).await
}

async fn render_list(
    st: &AppState,
    lang: Lang,
    user: &parindex_db::SessionUser,
    problems: Vec<String>,
) -> Result<Response, AppError> {
    let t = lang.tr();
    let lines = st
        .db
        .indicators()
        .await?
        .iter()
        .map(|d| ListLine {
            code: d.code.clone(),
            name: d.name.clone(),
            measure: d.measure.clone(),
            how: how(d, lang),
            target: d.target.map(vi).unwrap_or_default(),
            source: d.source.clone().unwrap_or_default(),
        })
        .collect();
    let status = if problems.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = ListPage {
        t,
        m: manage::words(lang),
        chrome: Chrome::new(lang, t.indicators.to_string(), false, Some(user)),
        lines,
        can_manage: manage::may_manage(user),
        problems,
    };
    Ok((status, Html(page.render()?)).into_response())
}

pub struct UnitLine {
    pub code: String,
    pub name: String,
    pub cells: Vec<String>,
    pub year_value: String,
    pub status: &'static str,
}

#[derive(Template)]
#[template(path = "indicator.html")]
pub struct OnePage {
    pub t: &'static Tr,
    pub chrome: Chrome,
    pub code: String,
    pub name: String,
    pub measure: String,
    pub how: String,
    pub target: String,
    pub year_target: String,
    pub source: String,
    pub year: i32,
    pub years: Vec<i32>,
    pub heads: Vec<String>,
    pub units: Vec<UnitLine>,
    pub chart: String,
    pub m: &'static manage::Words,
    /// The definition's form (when the user may change it): the values shown, and why the
    /// last attempt was refused.
    pub edit: Option<manage::DefinitionForm>,
    /// The indicator has values: its period cannot change.
    pub period_fixed: bool,
}

pub async fn show_one(
    State(st): State<AppState>,
    Path(code): Path<String>,
    LangPref(lang): LangPref,
    access: Access<act::ReadProvinceIndicators, NoUnit>,
    Query(q): Query<YearQuery>,
) -> Result<Response, AppError> {
    let year = year_of(&st, &q);
    render_one(&st, lang, &access.user, &code, year, None).await
}

async fn render_one(
    st: &AppState,
    lang: Lang,
    user: &parindex_db::SessionUser,
    code: &str,
    year: i32,
    typed: Option<manage::DefinitionForm>,
) -> Result<Response, AppError> {
    let t = lang.tr();
    let def = st
        .db
        .indicators()
        .await?
        .into_iter()
        .find(|d| d.code == code)
        .ok_or(AppError::NotFound)?;
    let values = st.db.indicator_values(Some(code), None, Some(year)).await?;
    let keys = def.period.keys_of(year);
    let mut units: Vec<UnitLine> = Vec::new();
    let mut codes: Vec<&str> = values.iter().map(|v| v.unit_code.as_str()).collect();
    codes.dedup();
    for u in codes {
        let mine: Vec<(String, Points)> = values
            .iter()
            .filter(|v| v.unit_code == u)
            .map(|v| (v.period.clone(), v.value))
            .collect();
        let year_value = def.aggregation.of_year(&mine);
        units.push(UnitLine {
            code: u.to_string(),
            name: st
                .db
                .unit(u)
                .await?
                .map_or_else(|| u.to_string(), |x| x.name),
            cells: keys
                .iter()
                .map(|k| {
                    mine.iter()
                        .find(|(p, _)| p == k)
                        .map(|(_, v)| vi(*v))
                        .unwrap_or_default()
                })
                .collect(),
            year_value: year_value.map(vi).unwrap_or_default(),
            status: status(&def, year_value),
        });
    }
    // The trend: each period over the units that reported it, as the indicator aggregates
    // a year (a sum adds the units up; an average or a last value averages them).
    let bars: Vec<Bar> = keys
        .iter()
        .filter_map(|k| {
            let of_period: Vec<(String, Points)> = values
                .iter()
                .filter(|v| &v.period == k)
                .map(|v| (v.unit_code.clone(), v.value))
                .collect();
            let value = match def.aggregation {
                parindex_domain::indicators::Aggregation::Sum => {
                    parindex_domain::indicators::Aggregation::Sum.of_year(&of_period)
                }
                _ => parindex_domain::indicators::Aggregation::Average.of_year(&of_period),
            }?;
            Some(Bar {
                label: short(k),
                value,
                highlight: false,
            })
        })
        .collect();
    let this = st.local_instant().date.year;
    let refused = typed.as_ref().is_some_and(|f| !f.error.is_empty());
    let edit = if manage::may_manage(user) {
        let mut f = typed.unwrap_or_else(|| manage::DefinitionForm::of(&def));
        f.en = lang == Lang::En;
        Some(f)
    } else {
        None
    };
    let page = OnePage {
        t,
        m: manage::words(lang),
        edit,
        period_fixed: st.db.has_indicator_values(code).await?,
        chrome: Chrome::new(lang, def.name.clone(), false, Some(user))
            .crumb("/indicators", t.indicators),
        code: def.code.clone(),
        name: def.name.clone(),
        measure: def.measure.clone(),
        how: how(&def, lang),
        target: def.target.map(vi).unwrap_or_default(),
        year_target: def.year_target().map(vi).unwrap_or_default(),
        source: def.source.clone().unwrap_or_default(),
        year,
        years: (this - 5..=this).rev().collect(),
        heads: keys.iter().map(|k| short(k)).collect(),
        units,
        chart: trend(&def, &bars),
    };
    let status = if refused {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    Ok((status, Html(page.render()?)).into_response())
}
