//! `/units/{unit}/procedures`: the unit's administrative procedures as the province lists
//! them, by field (lĩnh vực): legal and internal limits, how far each is offered online,
//! postal return; how many are offered fully online (the notice's "61 procedures at level
//! 4"), and the year's online share over the procedures actually offered online. Each field
//! shows the rule input that reads its procedures only.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Response};
use parindex_db::{Breakdown, CatalogueEntry};
use parindex_domain::dossiers::{Figures, OnlineLevel};
use parindex_domain::text::{count_vi, decimal_vi, slug};

use super::labels;
use crate::core::error::AppError;
use crate::core::i18n::Lang;
use crate::core::layout::{Chrome, LangPref};
use crate::core::state::AppState;
use crate::extract::{Access, act};

#[derive(Debug, Default, serde::Deserialize)]
pub struct CatalogueQuery {
    pub year: Option<i32>,
}

pub struct CatalogueLine {
    pub code: String,
    pub name: String,
    pub limit: String,
    pub online: &'static str,
    pub full: bool,
    pub postal: &'static str,
    pub received: String,
    pub on_time_rate: String,
}

pub struct FieldGroup {
    pub name: String,
    /// The rule input of the field's on-time rate.
    pub input: String,
    pub count: String,
    pub full: String,
    pub on_time_rate: String,
    pub lines: Vec<CatalogueLine>,
}

#[derive(Template)]
#[template(path = "procedures.html")]
pub struct CataloguePage {
    pub t: &'static crate::core::i18n::Tr,
    pub l: &'static super::Labels,
    pub chrome: Chrome,
    pub unit_code: String,
    pub unit_name: String,
    pub year: i32,
    pub total: String,
    pub full: String,
    pub online: String,
    pub postal: String,
    /// Received online ÷ received, over the procedures offered online, for the year.
    pub online_share: String,
    pub groups: Vec<FieldGroup>,
}

fn level_label(lang: Lang, level: Option<OnlineLevel>) -> &'static str {
    let vi = lang == Lang::Vi;
    match level {
        Some(l) if l.is_full() => {
            if vi {
                "Toàn trình"
            } else {
                "Full process"
            }
        }
        Some(l) if l.is_online() => {
            if vi {
                "Một phần"
            } else {
                "Partial"
            }
        }
        Some(_) => {
            if vi {
                "Mức 1–2 (thông tin, biểu mẫu)"
            } else {
                "Levels 1–2 (information, forms)"
            }
        }
        None => "—",
    }
}

pub async fn show_catalogue(
    State(st): State<AppState>,
    Path(unit_code): Path<String>,
    LangPref(lang): LangPref,
    access: Access<act::ReadDossiers>,
    Query(q): Query<CatalogueQuery>,
) -> Result<Response, AppError> {
    let l = labels(lang);
    let unit = st.db.unit(&unit_code).await?.ok_or(AppError::NotFound)?;
    let now = st.local_instant();
    let year = q
        .year
        .filter(|y| (1900..=2200).contains(y))
        .unwrap_or(now.date.year);
    let (from, to) = super::year_range(year);
    let catalogue: Vec<CatalogueEntry> = st.db.procedure_catalogue(Some(&unit_code)).await?;
    let figures: std::collections::HashMap<String, Figures> = st
        .db
        .dossier_figures_by(Some(&unit_code), from, to, now, Breakdown::Procedure)
        .await?
        .into_iter()
        .collect();
    let yes_no = |b: Option<bool>| match (b, lang) {
        (Some(true), Lang::Vi) => "Có",
        (Some(true), Lang::En) => "Yes",
        (Some(false), Lang::Vi) => "Không",
        (Some(false), Lang::En) => "No",
        (None, _) => "—",
    };
    let mut groups: Vec<FieldGroup> = Vec::new();
    let mut offered_online = Figures::default();
    for p in &catalogue {
        let f = figures.get(&p.code).copied().unwrap_or_default();
        if p.online_level.is_some_and(OnlineLevel::is_online) {
            offered_online.merge(&f);
        }
        let name = p.field.clone().unwrap_or_else(|| l.no_field.to_string());
        if groups.last().is_none_or(|g| g.name != name) {
            groups.push(FieldGroup {
                input: p
                    .field
                    .as_deref()
                    .map(|f| format!("dossiers.on_time_rate[field={}]", slug(f)))
                    .unwrap_or_default(),
                name,
                count: String::new(),
                full: String::new(),
                on_time_rate: String::new(),
                lines: Vec::new(),
            });
        }
        if let Some(g) = groups.last_mut() {
            g.lines.push(CatalogueLine {
                code: p.code.clone(),
                name: p.name.clone(),
                limit: {
                    let unit = match (p.limit_unit, lang) {
                        (parindex_domain::calendar::LimitUnit::WorkingDays, _) => String::new(),
                        (u, Lang::Vi) => format!(" {}", u.vi()),
                        (u, Lang::En) => format!(" {}", u.as_str().replace('_', " ")),
                    };
                    p.internal_days.map_or_else(
                        || format!("{}{unit}", p.limit_days),
                        |i| format!("{}{unit} ({} {i})", p.limit_days, l.internal_word),
                    )
                },
                online: level_label(lang, p.online_level),
                full: p.online_level.is_some_and(OnlineLevel::is_full),
                postal: yes_no(p.postal),
                received: count_vi(f.received),
                on_time_rate: rate(&f, false),
            });
        }
    }
    for g in &mut groups {
        let mut sum = Figures::default();
        for line in &g.lines {
            if let Some(f) = figures.get(&line.code) {
                sum.merge(f);
            }
        }
        g.count = count_vi(g.lines.len() as u64);
        g.full = count_vi(g.lines.iter().filter(|x| x.full).count() as u64);
        g.on_time_rate = rate(&sum, false);
    }
    let count = |pred: &dyn Fn(&CatalogueEntry) -> bool| {
        count_vi(catalogue.iter().filter(|p| pred(p)).count() as u64)
    };
    let page = CataloguePage {
        t: lang.tr(),
        l,
        chrome: Chrome::new(
            lang,
            format!("{} — {}", l.catalogue_title, unit.name),
            st.demo,
            Some(&access.user),
        )
        .crumb(format!("/units/{unit_code}/dossiers"), l.title),
        total: count_vi(catalogue.len() as u64),
        full: count(&|p| p.online_level.is_some_and(OnlineLevel::is_full)),
        online: count(&|p| p.online_level.is_some_and(OnlineLevel::is_online)),
        postal: count(&|p| p.postal == Some(true)),
        online_share: rate(&offered_online, true),
        unit_code,
        unit_name: unit.name,
        year,
        groups,
    };
    Ok(Html(page.render()?).into_response())
}

/// One unit's line of the province's catalogue.
pub struct UnitCatalogueLine {
    pub code: String,
    pub name: String,
    pub total: String,
    pub full: String,
    pub online: String,
    pub postal: String,
    pub online_share: String,
    pub on_time_rate: String,
}

/// A procedure offered fully online, with its unit and field.
pub struct FullLine {
    pub code: String,
    pub name: String,
    pub unit_code: String,
    pub unit_name: String,
    pub field: String,
}

#[derive(Template)]
#[template(path = "procedures_province.html")]
pub struct ProvinceCataloguePage {
    pub t: &'static crate::core::i18n::Tr,
    pub l: &'static super::Labels,
    pub chrome: Chrome,
    pub year: i32,
    pub total: String,
    pub full: String,
    pub online: String,
    pub postal: String,
    pub online_share: String,
    pub units: Vec<UnitCatalogueLine>,
    /// (field, procedures, fully online).
    pub fields: Vec<(String, String, String)>,
    pub full_list: Vec<FullLine>,
}

/// The online share (`online`) or the on-time rate of `f` as shown, `—` without dossiers.
fn rate(f: &Figures, online: bool) -> String {
    if online {
        if f.received > 0 {
            format!("{}%", decimal_vi(f.online_rate()))
        } else {
            "—".into()
        }
    } else if f.finished > 0 {
        format!("{}%", decimal_vi(f.on_time_rate()))
    } else {
        "—".into()
    }
}

/// `/procedures`: every unit's procedures counted together — the notice's "61 procedures
/// at level 4" is a province's figure — by unit and by field, with the list of those
/// offered fully online.
pub async fn show_province_catalogue(
    State(st): State<AppState>,
    LangPref(lang): LangPref,
    access: Access<act::ReadProvinceDossiers, crate::extract::access::NoUnit>,
    Query(q): Query<CatalogueQuery>,
) -> Result<Response, AppError> {
    use std::collections::{BTreeMap, HashMap};
    let l = labels(lang);
    let now = st.local_instant();
    let year = q
        .year
        .filter(|y| (1900..=2200).contains(y))
        .unwrap_or(now.date.year);
    let (from, to) = super::year_range(year);
    let catalogue = st.db.procedure_catalogue(None).await?;
    let figures: HashMap<String, Figures> = st
        .db
        .dossier_figures_by(None, from, to, now, Breakdown::Procedure)
        .await?
        .into_iter()
        .collect();
    let names: HashMap<String, String> = st
        .db
        .list_units()
        .await?
        .into_iter()
        .map(|u| (u.code, u.name))
        .collect();
    let name_of = |code: &str| names.get(code).cloned().unwrap_or_else(|| code.to_string());
    // By unit (code order) and by field (name order): counts and the figures of the year.
    #[derive(Default)]
    struct Tally {
        total: u64,
        full: u64,
        online: u64,
        postal: u64,
        all: Figures,
        offered_online: Figures,
    }
    let mut by_unit: BTreeMap<String, Tally> = BTreeMap::new();
    let mut by_field: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    let mut province = Tally::default();
    let mut full_list = Vec::new();
    for p in &catalogue {
        let f = figures.get(&p.code).copied().unwrap_or_default();
        let full = p.online_level.is_some_and(OnlineLevel::is_full);
        let online = p.online_level.is_some_and(OnlineLevel::is_online);
        for t in [
            by_unit.entry(p.unit_code.clone()).or_default(),
            &mut province,
        ] {
            t.total += 1;
            t.full += u64::from(full);
            t.online += u64::from(online);
            t.postal += u64::from(p.postal == Some(true));
            t.all.merge(&f);
            if online {
                t.offered_online.merge(&f);
            }
        }
        let field = p.field.clone().unwrap_or_else(|| l.no_field.to_string());
        let e = by_field.entry(field.clone()).or_default();
        e.0 += 1;
        e.1 += u64::from(full);
        if full {
            full_list.push(FullLine {
                code: p.code.clone(),
                name: p.name.clone(),
                unit_name: name_of(&p.unit_code),
                unit_code: p.unit_code.clone(),
                field,
            });
        }
    }
    full_list.sort_by(|a, b| a.unit_code.cmp(&b.unit_code).then(a.code.cmp(&b.code)));
    let page = ProvinceCataloguePage {
        t: lang.tr(),
        l,
        chrome: Chrome::new(
            lang,
            l.province_catalogue_title,
            st.demo,
            Some(&access.user),
        )
        .crumb("/dossiers", l.title),
        year,
        total: count_vi(province.total),
        full: count_vi(province.full),
        online: count_vi(province.online),
        postal: count_vi(province.postal),
        online_share: rate(&province.offered_online, true),
        units: by_unit
            .into_iter()
            .map(|(code, t)| UnitCatalogueLine {
                name: name_of(&code),
                code,
                total: count_vi(t.total),
                full: count_vi(t.full),
                online: count_vi(t.online),
                postal: count_vi(t.postal),
                online_share: rate(&t.offered_online, true),
                on_time_rate: rate(&t.all, false),
            })
            .collect(),
        fields: by_field
            .into_iter()
            .map(|(name, (n, full))| (name, count_vi(n), count_vi(full)))
            .collect(),
        full_list,
    };
    Ok(Html(page.render()?).into_response())
}
