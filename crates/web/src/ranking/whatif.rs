//! The what-if page of a score card: try other points on some criteria and see the unit's
//! score, index, band and — for whoever may see ranks — its rank and the units it would
//! overtake, every other unit unchanged. A plain GET form: works without JavaScript.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use parindex_domain::Points;
use parindex_domain::whatif::{Standing, what_if};

use crate::core::error::AppError;
use crate::core::i18n::{Lang, Tr};
use crate::core::layout::{Chrome, LangPref};
use crate::core::state::AppState;
use crate::extract::MaybeUser;

/// One criterion of the form: its current points and what may be tried.
pub struct TryLine {
    pub code: String,
    pub name: String,
    pub max: String,
    pub current: String,
    /// The field's name in the query (`p.I.1.1`).
    pub field: String,
    /// Fixed levels (value, label, chosen); empty: any points from 0 to max.
    pub levels: Vec<(String, String, bool)>,
    /// What was typed, for a free field.
    pub typed: String,
    pub changed: bool,
    pub error: String,
}

/// A standing as shown: Vietnamese decimals.
pub struct Shown {
    pub score: String,
    pub index: String,
    pub rank: String,
    pub band: String,
}

impl Shown {
    fn of(s: &Standing, ranks: bool) -> Shown {
        let vi = |x: &str| parindex_domain::text::decimal_vi(x);
        Shown {
            score: vi(&s.score),
            index: vi(&s.index),
            rank: if ranks {
                format!("{}/{}", s.rank, s.of)
            } else {
                "—".into()
            },
            band: s.band.clone().unwrap_or_default(),
        }
    }
}

#[derive(Template)]
#[template(path = "whatif.html")]
pub struct WhatIfPage {
    pub t: &'static Tr,
    pub chrome: Chrome,
    pub set_id: String,
    pub set_name: String,
    pub unit_code: String,
    pub unit_name: String,
    pub lines: Vec<TryLine>,
    /// Before and after, once something was tried.
    pub result: Option<(Shown, Shown)>,
    /// The units overtaken (names), for whoever may see ranks.
    pub overtakes: Vec<String>,
    pub ranks: bool,
    pub errors: usize,
}

pub async fn show_whatif(
    State(st): State<AppState>,
    Path((set_id, unit_code)): Path<(String, String)>,
    LangPref(lang): LangPref,
    MaybeUser(user): MaybeUser,
    Query(query): Query<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let t = lang.tr();
    let c = st.computed(&set_id).await?;
    // Whoever may read the score card may try points on it (a published one: anyone).
    crate::ranking::pages::check_visible(
        &st,
        &c,
        user.as_ref(),
        Some(&unit_code),
        &format!("/sets/{set_id}/units/{unit_code}/whatif"),
    )?;
    let own = crate::ranking::pages::unit_scores(&st, &c, &unit_code).await?;
    let own = crate::ranking::pages::as_seen_by(&c, user.as_ref(), &own);
    let ranks = crate::ranking::pages::shows_rank(&c, user.as_ref());
    let p = c.set.precision;
    // Bounded by the set: only a leaf's own field is read.
    let asked = |field: &str| {
        query
            .iter()
            .find(|(k, _)| k == field)
            .map(|(_, v)| v.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    let mut lines = Vec::new();
    let mut changes = Vec::new();
    for (i, n) in c.set.leaves() {
        // A leaf that does not apply to the unit can win nothing: not offered.
        if parindex_domain::scoring::not_applicable(&own, i) {
            continue;
        }
        let current = own.leaves.get(&i).map_or(Points::ZERO, |l| l.effective);
        let field = format!("p.{}", n.code);
        let typed = asked(&field);
        let mut error = String::new();
        let mut tried = None;
        if let Some(v) = &typed {
            match Points::parse(v) {
                Ok(points) => match n.rule.as_ref().map(|r| r.check_points(n.max, points)) {
                    Some(Err(_)) => {
                        error = match lang {
                            Lang::Vi => format!(
                                "“{v}” không được: từ 0 đến {} theo quy tắc của tiêu chí.",
                                n.max.to_vi_short()
                            ),
                            Lang::En => format!(
                                "“{v}” is not allowed: 0 to {} as the criterion's rule gives.",
                                n.max.to_plain()
                            ),
                        };
                    }
                    _ => tried = Some(points),
                },
                Err(_) => {
                    error = match lang {
                        Lang::Vi => format!("“{v}” không phải là số điểm."),
                        Lang::En => format!("“{v}” is not a number of points."),
                    };
                }
            }
        }
        let chosen = tried.unwrap_or(current);
        if let Some(points) = tried.filter(|p| *p != current) {
            changes.push((n.code.to_string(), points));
        }
        lines.push(TryLine {
            code: n.code.to_string(),
            name: n.name.clone(),
            max: n.max.to_vi(p),
            current: current.to_vi(p),
            levels: n
                .rule
                .as_ref()
                .map(|r| r.fixed_levels(n.max))
                .unwrap_or_default()
                .into_iter()
                .map(|l| (l.to_plain(), l.to_vi_short(), l == chosen))
                .collect(),
            typed: typed.unwrap_or_else(|| current.to_vi_short()),
            changed: tried.is_some_and(|t| t != current),
            field,
            error,
        });
    }
    let errors = lines.iter().filter(|l| !l.error.is_empty()).count();
    let (result, overtakes) = if changes.is_empty() || errors > 0 {
        (None, Vec::new())
    } else {
        // Whoever may not see ranks is answered from the unit's own points alone.
        let mut units: Vec<parindex_domain::UnitScores> =
            if ranks { c.scores.clone() } else { Vec::new() };
        match units.iter().position(|u| u.unit_code == unit_code) {
            Some(i) => units[i] = own.clone(),
            None => units.push(own.clone()),
        }
        let answer = what_if(&c.set, &units, &unit_code, &changes).map_err(AppError::BadRequest)?;
        let names = answer
            .overtakes
            .iter()
            .map(|u| {
                c.result(u).map_or_else(
                    || u.clone(),
                    |r| format!("{} — {}", r.unit_code, r.unit_name),
                )
            })
            .collect();
        (
            Some((
                Shown::of(&answer.before, ranks),
                Shown::of(&answer.after, ranks),
            )),
            if ranks { names } else { Vec::new() },
        )
    };
    let status = if errors > 0 {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let page = WhatIfPage {
        t,
        chrome: Chrome::new(
            lang,
            format!("{} — {}", t.whatif, own.unit_name),
            c.set.sample,
            user.as_ref(),
        )
        .crumb(format!("/sets/{set_id}/ranking"), t.ranking)
        .crumb(format!("/sets/{set_id}/units/{unit_code}"), t.score_card),
        set_id,
        set_name: c.set.name.clone(),
        unit_code,
        unit_name: own.unit_name.clone(),
        lines,
        result,
        overtakes,
        ranks,
        errors,
    };
    Ok((status, Html(page.render()?)).into_response())
}
