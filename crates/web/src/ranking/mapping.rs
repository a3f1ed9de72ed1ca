//! The mapping of last year's criteria to this year's, as the secretariat checks and edits
//! it: every criterion of this year with the one proposed (same code, similar name) or
//! chosen, changed with a list of last year's criteria of the same kind (leaf or group).

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Response};
use parindex_domain::CriteriaSet;
use parindex_domain::mapping::{How, Match, similarity};
use serde::Deserialize;

use crate::core::error::AppError;
use crate::core::i18n::Tr;
use crate::core::layout::{Chrome, LangPref};
use crate::core::state::AppState;
use crate::extract::access::{Access, NoUnit, act};
use crate::extract::form::Checked;

#[derive(Deserialize, Default)]
pub struct MappingQuery {
    pub from: Option<String>,
}

pub struct MapLine {
    pub code: String,
    pub name: String,
    pub depth: usize,
    /// Form field: `m.I.8.4`.
    pub field: String,
    /// Last year's criteria of the same kind: (code, label, chosen).
    pub options: Vec<(String, String, bool)>,
    pub how: &'static str,
    /// `code`, `name`, `manual` or `none`: for styling and tests.
    pub how_key: &'static str,
    pub similarity: String,
}

#[derive(Template)]
#[template(path = "mapping.html")]
pub struct MappingPage {
    pub t: &'static Tr,
    pub chrome: Chrome,
    pub set_id: String,
    pub set_name: String,
    /// Earlier sets of the level: (id, label, chosen).
    pub froms: Vec<(String, String, bool)>,
    pub from_id: String,
    pub from_name: String,
    pub lines: Vec<MapLine>,
    /// Counts: by code, by name, manual, new.
    pub counts: [usize; 4],
}

/// The earlier set asked for (or the newest), with the set being mapped to.
async fn sets(
    st: &AppState,
    set_id: &str,
    from: Option<&str>,
) -> Result<(CriteriaSet, Vec<(String, String, i64)>, Option<CriteriaSet>), AppError> {
    let to = st.db.load_set(set_id).await?.ok_or(AppError::NotFound)?;
    let earlier: Vec<(String, String, i64)> = st
        .db
        .earlier_sets(&to)
        .await?
        .into_iter()
        .map(|s| (s.id, s.name, s.year))
        .collect();
    let chosen = match from {
        Some(f) => Some(
            earlier
                .iter()
                .find(|(id, _, _)| id == f)
                .map(|(id, _, _)| id.clone())
                .ok_or(AppError::NotFound)?,
        ),
        None => earlier.first().map(|(id, _, _)| id.clone()),
    };
    let from_set = match chosen {
        Some(id) => st.db.load_set(&id).await?,
        None => None,
    };
    Ok((to, earlier, from_set))
}

pub async fn show_mapping(
    State(st): State<AppState>,
    Path(set_id): Path<String>,
    LangPref(lang): LangPref,
    access: Access<act::MapCriteria, NoUnit>,
    Query(q): Query<MappingQuery>,
) -> Result<Response, AppError> {
    let t = lang.tr();
    let (to, earlier, from) = sets(&st, &set_id, q.from.as_deref()).await?;
    let rows = match &from {
        Some(f) => st.db.mapping_in_force(f, &to).await?,
        None => Vec::new(),
    };
    let mut counts = [0; 4];
    let lines = rows
        .iter()
        .filter_map(|m| {
            let i = to.position(&m.to)?;
            let n = &to.nodes[i];
            counts[match m.how {
                How::Code => 0,
                How::Name => 1,
                How::Manual => 2,
                How::Unmatched => 3,
            }] += 1;
            let options = from
                .as_ref()
                .map(|f| {
                    f.nodes
                        .iter()
                        .filter(|o| o.is_leaf() == n.is_leaf())
                        .map(|o| {
                            let code = o.code.to_string();
                            let chosen = m.from.as_deref() == Some(code.as_str());
                            (code.clone(), format!("{code} — {}", o.name), chosen)
                        })
                        .collect()
                })
                .unwrap_or_default();
            Some(MapLine {
                code: m.to.clone(),
                name: n.name.clone(),
                depth: n.depth,
                field: format!("m.{}", m.to),
                options,
                how: match lang {
                    crate::core::i18n::Lang::Vi => m.how.label_vi(),
                    crate::core::i18n::Lang::En => m.how.label_en(),
                },
                how_key: m.how.as_str(),
                similarity: if m.from.is_some() {
                    format!("{}%", m.similarity)
                } else {
                    String::new()
                },
            })
        })
        .collect();
    let from_id = from.as_ref().map(|f| f.id.clone()).unwrap_or_default();
    let page = MappingPage {
        t,
        chrome: Chrome::new(
            lang,
            format!("{} — {}", t.mapping, to.name),
            to.sample,
            Some(&access.user),
        )
        .crumb(format!("/sets/{}", to.id), t.criteria),
        froms: earlier
            .iter()
            .map(|(id, name, year)| (id.clone(), format!("{name} ({year})"), *id == from_id))
            .collect(),
        from_name: from.as_ref().map(|f| f.name.clone()).unwrap_or_default(),
        from_id,
        set_id: to.id.clone(),
        set_name: to.name.clone(),
        lines,
        counts,
    };
    Ok(Html(page.render()?).into_response())
}

pub async fn save_mapping(
    State(st): State<AppState>,
    Path(set_id): Path<String>,
    access: Access<act::MapCriteria, NoUnit>,
    Checked(form): Checked<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let from_id = form
        .iter()
        .find(|(k, _)| k == "from")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    let (to, _, from) = sets(&st, &set_id, Some(&from_id)).await?;
    let from = from.ok_or(AppError::NotFound)?;
    let in_force = st.db.mapping_in_force(&from, &to).await?;
    let fields: std::collections::HashMap<&str, &str> =
        form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    // Only this year's criteria are read, each once: the loop is bounded by the set. What
    // the page showed is what is kept: a proposal left as it was is stored as a proposal (so
    // that a choice made elsewhere on the page cannot take its criterion away afterwards).
    let mut changed: Vec<Match> = Vec::new();
    for m in &in_force {
        let field = format!("m.{}", m.to);
        let Some(chosen) = fields.get(field.as_str()) else {
            continue;
        };
        let chosen = Some(chosen.trim()).filter(|c| !c.is_empty());
        if chosen == m.from.as_deref() {
            changed.push(m.clone());
            continue;
        }
        let Some(i) = to.position(&m.to) else {
            continue;
        };
        let row = match chosen {
            // A person's "new this year" is a choice too: a saved proposal never replaces it.
            None => Match {
                to: m.to.clone(),
                from: None,
                how: How::Manual,
                similarity: 0,
            },
            Some(code) => {
                let j = from
                    .position(code)
                    .filter(|&j| from.nodes[j].is_leaf() == to.nodes[i].is_leaf())
                    .ok_or_else(|| {
                        AppError::said(
                            axum::http::StatusCode::BAD_REQUEST,
                            format!(
                                "Mã “{code}” không phải tiêu chí cùng loại (lá với lá, nhóm với nhóm) trong {}.",
                                from.name
                            ),
                            format!(
                                "“{code}” is not a criterion of the same kind (leaf with leaf, group with group) in {}.",
                                from.name
                            ),
                        )
                    })?;
                Match {
                    to: m.to.clone(),
                    from: Some(code.to_string()),
                    how: How::Manual,
                    similarity: similarity(&to.nodes[i].name, &from.nodes[j].name),
                }
            }
        };
        changed.push(row);
    }
    st.db
        .save_mapping(
            &from.id,
            &to.id,
            &changed,
            false,
            &access.user.user.username,
            &st.now(),
        )
        .await?;
    Ok(crate::core::flash::done(
        &format!("/sets/{}/mapping?from={}", to.id, from.id),
        crate::core::flash::Flash::MappingSaved,
    ))
}
