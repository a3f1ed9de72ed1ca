//! The registry kept by the secretariat on the web: definitions and values imported from a
//! CSV or XLSX file (all or nothing, errors by the editor's line), and one definition
//! changed on its page. Criteria reading an indicator are recomputed after each change.

use std::collections::HashMap;

use axum::extract::{Multipart, Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use parindex_db::DbError;
use parindex_domain::Points;
use parindex_domain::indicators::{
    Aggregation, Indicator, Period, parse_indicators_csv, parse_values_csv,
};
use parindex_domain::policy::{Action, Target};

use super::{YearQuery, render_list, render_one, year_of};
use crate::core::error::AppError;
use crate::core::flash::{Flash, done};
use crate::core::i18n::Lang;
use crate::core::layout::LangPref;
use crate::core::state::AppState;
use crate::extract::access::{Access, NoUnit, act};
use crate::extract::form::Checked;
use crate::extract::upload::problem_lines;

/// A file without a single row: nothing to import.
pub fn empty_file(name: &str, lang: Lang) -> String {
    match lang {
        Lang::Vi => format!("{name}: tệp không có dòng dữ liệu nào (chỉ có dòng tiêu đề?)."),
        Lang::En => format!("{name}: the file holds no row of data (only the header?)."),
    }
}

/// The words of the forms.
pub struct Words {
    pub manage: &'static str,
    pub import_definitions: &'static str,
    pub definitions_help: &'static str,
    pub import_values: &'static str,
    pub values_help: &'static str,
    pub file: &'static str,
    pub import: &'static str,
    pub nothing_saved: &'static str,
    pub edit: &'static str,
    pub name: &'static str,
    pub period: &'static str,
    pub period_fixed: &'static str,
    pub aggregation: &'static str,
    pub save: &'static str,
    pub history: &'static str,
}

static VI: Words = Words {
    manage: "Cập nhật danh mục chỉ số",
    import_definitions: "Nhập định nghĩa chỉ số",
    definitions_help: "Các cột: code, name, measure, period (tháng, quý, năm), aggregation (tổng, trung bình, cuối kỳ), target, source. Chỉ số đã có giá trị không đổi kỳ được.",
    import_values: "Nhập giá trị của các đơn vị",
    values_help: "Các cột: unit_code, indicator, period (03/2021, Quý 2/2021, 2021…), value, note. Có lỗi ở bất kỳ dòng nào thì không ghi gì.",
    file: "Tệp CSV hoặc XLSX (tối đa 2 MB)",
    import: "Kiểm tra và nhập",
    nothing_saved: "Tệp có lỗi nên chưa ghi gì. Sửa các dòng dưới đây rồi tải lên lại.",
    edit: "Sửa định nghĩa",
    name: "Tên chỉ số",
    period: "Kỳ",
    period_fixed: "Đã có giá trị nên không đổi kỳ được.",
    aggregation: "Cách tính cả năm",
    save: "Lưu định nghĩa",
    history: "Chỉ số theo dõi qua các năm",
};

static EN: Words = Words {
    manage: "Keep the registry",
    import_definitions: "Import indicator definitions",
    definitions_help: "Columns: code, name, measure, period (month, quarter, year), aggregation (sum, average, last), target, source. An indicator with values keeps its period.",
    import_values: "Import the units' values",
    values_help: "Columns: unit_code, indicator, period (03/2021, Q2/2021, 2021…), value, note. An error on any line stores nothing.",
    file: "CSV or XLSX file (at most 2 MB)",
    import: "Check and import",
    nothing_saved: "The file has errors, so nothing was stored. Fix the lines below and upload it again.",
    edit: "Change the definition",
    name: "Name",
    period: "Period",
    period_fixed: "It has values, so its period cannot change.",
    aggregation: "Whole-year value",
    save: "Save the definition",
    history: "Indicators over the years",
};

pub fn words(lang: Lang) -> &'static Words {
    match lang {
        Lang::Vi => &VI,
        Lang::En => &EN,
    }
}

/// Whether the user keeps the registry (imports and definitions).
pub fn may_manage(user: &parindex_db::SessionUser) -> bool {
    crate::extract::may(user, Action::ManageIndicators, &Target::default())
}

/// The definition form as shown: stored values, or what was typed with the refusal.
pub struct DefinitionForm {
    pub name: String,
    pub measure: String,
    pub period: String,
    pub aggregation: String,
    pub target: String,
    pub source: String,
    pub error: String,
    /// Labels in English.
    pub en: bool,
}

impl DefinitionForm {
    pub fn of(d: &Indicator) -> Self {
        DefinitionForm {
            name: d.name.clone(),
            measure: d.measure.clone(),
            period: d.period.as_str().to_string(),
            aggregation: d.aggregation.as_str().to_string(),
            target: d
                .target
                .map(|t| parindex_domain::text::decimal_vi(t.to_plain()))
                .unwrap_or_default(),
            source: d.source.clone().unwrap_or_default(),
            error: String::new(),
            en: false,
        }
    }

    /// The choices of a select: (value, label, chosen).
    pub fn periods(&self) -> Vec<(&'static str, &'static str, bool)> {
        [Period::Month, Period::Quarter, Period::Year]
            .into_iter()
            .map(|p| {
                let label = if self.en { p.as_str() } else { p.label_vi() };
                (p.as_str(), label, p.as_str() == self.period)
            })
            .collect()
    }

    pub fn aggregations(&self) -> Vec<(&'static str, &'static str, bool)> {
        [Aggregation::Sum, Aggregation::Average, Aggregation::Last]
            .into_iter()
            .map(|a| {
                let label = if self.en { a.as_str() } else { a.label_vi() };
                (a.as_str(), label, a.as_str() == self.aggregation)
            })
            .collect()
    }
}

/// Recomputes the criteria that read indicators (sets not yet published) and forgets the
/// memo of each set changed.
async fn refresh(st: &AppState, actor: &str, now: &str) -> Result<(), AppError> {
    for c in st.db.refresh_indicator_leaves(actor, now).await? {
        st.invalidate(&c.set_id);
    }
    Ok(())
}

/// The rows of an imported file, or the lines the list page shows instead: the file is
/// empty, or its problems by line (capped).
fn rows_or_refusal<T>(
    parsed: Result<Vec<T>, parindex_domain::problem::Problems>,
    name: &str,
    lang: Lang,
) -> Result<Vec<T>, Vec<String>> {
    match parsed {
        Ok(rows) if rows.is_empty() => Err(vec![empty_file(name, lang)]),
        Ok(rows) => Ok(rows),
        Err(p) => Err(problem_lines(
            p.0.iter().map(ToString::to_string).collect(),
            lang,
        )),
    }
}

pub async fn import_definitions(
    State(st): State<AppState>,
    LangPref(lang): LangPref,
    access: Access<act::ManageIndicators, NoUnit>,
    headers: HeaderMap,
    mp: Multipart,
) -> Result<Response, AppError> {
    let (_, name, text) =
        crate::extract::upload::read_table(&st, &access.user, &headers, mp).await?;
    let defs = match rows_or_refusal(parse_indicators_csv(&name, &text), &name, lang) {
        Ok(d) => d,
        Err(lines) => return render_list(&st, lang, &access.user, lines).await,
    };
    let actor = access.user.user.username.clone();
    let now = st.now();
    match st.db.define_indicators(&defs, &actor, &now).await {
        Ok(_) => {}
        Err(DbError::Conflict(m)) => {
            let m = match lang {
                Lang::Vi => m,
                Lang::En => {
                    "an indicator that has values keeps its period (define a new code)".into()
                }
            };
            return render_list(&st, lang, &access.user, vec![format!("{name}: {m}")]).await;
        }
        Err(e) => return Err(e.into()),
    }
    refresh(&st, &actor, &now).await?;
    Ok(done("/indicators", Flash::IndicatorsImported))
}

pub async fn import_values(
    State(st): State<AppState>,
    LangPref(lang): LangPref,
    access: Access<act::ManageIndicators, NoUnit>,
    headers: HeaderMap,
    mp: Multipart,
) -> Result<Response, AppError> {
    let (_, name, text) =
        crate::extract::upload::read_table(&st, &access.user, &headers, mp).await?;
    let defs = st.db.indicators().await?;
    let values = match rows_or_refusal(parse_values_csv(&name, &text, &defs), &name, lang) {
        Ok(v) => v,
        Err(lines) => return render_list(&st, lang, &access.user, lines).await,
    };
    let actor = access.user.user.username.clone();
    let now = st.now();
    match st.db.set_indicator_values(&values, &actor, &now).await {
        Ok(_) => {}
        Err(DbError::UnknownUnits(missing)) => {
            let lines = missing
                .iter()
                .map(|(code, line)| match lang {
                    Lang::Vi => format!(
                        "{name}:{line}: {}",
                        parindex_domain::units::unknown_unit(code)
                    ),
                    Lang::En => format!("{name}:{line}: unit `{code}` is not in the list of units"),
                })
                .collect();
            return render_list(&st, lang, &access.user, problem_lines(lines, lang)).await;
        }
        Err(e) => return Err(e.into()),
    }
    refresh(&st, &actor, &now).await?;
    Ok(done("/indicators", Flash::IndicatorsImported))
}

/// Changes one definition from its page; a refusal shows the form again as typed.
pub async fn edit_definition(
    State(st): State<AppState>,
    Path(code): Path<String>,
    LangPref(lang): LangPref,
    access: Access<act::ManageIndicators, NoUnit>,
    Query(q): Query<YearQuery>,
    Checked(form): Checked<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let year = year_of(&st, &q);
    let old = st
        .db
        .indicators()
        .await?
        .into_iter()
        .find(|d| d.code == code)
        .ok_or(AppError::NotFound)?;
    let f: HashMap<String, String> = form.into_iter().collect();
    let get = |k: &str| parindex_domain::text::nfc(f.get(k).map_or("", |v| v.trim()));
    let mut typed = DefinitionForm {
        name: get("name"),
        measure: get("measure"),
        period: get("period"),
        aggregation: get("aggregation"),
        target: get("target"),
        source: get("source"),
        error: String::new(),
        en: lang == Lang::En,
    };
    let said = |vi: &str, en: &str| match lang {
        Lang::Vi => vi.to_string(),
        Lang::En => en.to_string(),
    };
    let target = if typed.target.is_empty() {
        Ok(None)
    } else {
        match Points::parse(&parindex_domain::text::plain_decimal(&typed.target, true)) {
            Ok(v) if !v.is_negative() => Ok(Some(v)),
            _ => Err(said(
                "Chỉ tiêu phải là một số không âm (tối đa 3 chữ số thập phân), hoặc để trống.",
                "The target must be a non-negative number (at most 3 decimals), or empty.",
            )),
        }
    };
    let def = match (
        target,
        Period::parse(&typed.period),
        Aggregation::parse(&typed.aggregation),
    ) {
        (_, _, _) if typed.name.is_empty() => Err(said(
            "Tên chỉ số không được để trống.",
            "The name cannot be empty.",
        )),
        (_, _, _) if typed.name.chars().count() > 300 || typed.source.chars().count() > 500 => {
            Err(said(
                "Tên (tối đa 300 ký tự) hoặc nguồn (tối đa 500 ký tự) quá dài.",
                "The name (300 characters) or the source (500) is too long.",
            ))
        }
        (Err(m), _, _) => Err(m),
        (Ok(target), Some(period), Some(aggregation)) => Ok(Indicator {
            code: old.code.clone(),
            name: typed.name.clone(),
            measure: typed.measure.clone(),
            period,
            aggregation,
            target,
            source: Some(typed.source.clone()).filter(|s| !s.is_empty()),
        }),
        _ => Err(said(
            "Kỳ hoặc cách tính không hợp lệ.",
            "The period or the aggregation is not valid.",
        )),
    };
    let def = match def {
        Ok(d) => d,
        Err(m) => {
            typed.error = m;
            return render_one(&st, lang, &access.user, &code, year, Some(typed)).await;
        }
    };
    let actor = access.user.user.username.clone();
    let now = st.now();
    match st.db.define_indicators(&[def], &actor, &now).await {
        Ok(_) => {}
        Err(DbError::Conflict(m)) => {
            // The stored period stays: the form offers it again.
            typed.period = old.period.as_str().to_string();
            typed.error = match lang {
                Lang::Vi => m,
                Lang::En => {
                    "The indicator has values, so its period cannot change (define a new code)."
                        .into()
                }
            };
            return render_one(&st, lang, &access.user, &code, year, Some(typed)).await;
        }
        Err(e) => return Err(e.into()),
    }
    refresh(&st, &actor, &now).await?;
    Ok(done(
        &format!("/indicators/{code}?year={year}"),
        Flash::Saved,
    ))
}
