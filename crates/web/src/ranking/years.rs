//! Year over year: a unit's score card beside last year's (same codes) with its rank per
//! published year as a chart, and the province's heat map of weak fields (units × fields).

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Response};
use parindex_domain::Points;
use parindex_domain::scoring::node_totals;
use parindex_reports::chart::{YearRank, heat_map, rank_chart};

use crate::core::error::AppError;
use crate::core::i18n::Tr;
use crate::core::layout::{Chrome, LangPref};
use crate::core::state::AppState;
use crate::extract::MaybeUser;
use crate::ranking::pages::{ViewQuery, as_seen_by, check_visible, shows_rank, unit_scores};

pub struct YearLine {
    pub code: String,
    pub name: String,
    pub depth: usize,
    pub max: String,
    pub now: String,
    pub then: String,
    /// Last year's code where it differs from this year's (a renumbered criterion).
    pub then_code: String,
    pub change: String,
    /// `up`, `down` or empty.
    pub trend: &'static str,
}

/// A predecessor's result in an earlier year.
pub struct HistoryLine {
    pub year: i32,
    pub href: String,
    pub code: String,
    pub name: String,
    pub how: &'static str,
    pub score: String,
    pub index: String,
    /// `3/40`, or empty where this viewer does not see ranks.
    pub rank: String,
}

#[derive(Template)]
#[template(path = "years.html")]
pub struct YearsPage {
    pub t: &'static Tr,
    pub chrome: Chrome,
    pub set_id: String,
    pub set_name: String,
    pub unit_code: String,
    pub unit_name: String,
    pub last_name: String,
    pub lines: Vec<YearLine>,
    pub chart: String,
    pub history: Vec<HistoryLine>,
}

pub async fn show_years(
    State(st): State<AppState>,
    Path((set_id, unit_code)): Path<(String, String)>,
    LangPref(lang): LangPref,
    MaybeUser(user): MaybeUser,
) -> Result<Response, AppError> {
    let t = lang.tr();
    let c = st.computed(&set_id).await?;
    let path = format!("/sets/{set_id}/units/{unit_code}/years");
    check_visible(&st, &c, user.as_ref(), Some(&unit_code), &path)?;
    let now = as_seen_by(&c, user.as_ref(), &unit_scores(&st, &c, &unit_code).await?);
    let now_totals = node_totals(&c.set, &now);
    let now_maxima = parindex_domain::scoring::node_maxima(&c.set, &now);
    let p = c.set.precision;
    // The sets of the same level, oldest first; each one counts only if this viewer may see
    // the unit's card in it.
    let sets = st.db.list_sets().await?;
    let level = sets
        .iter()
        .find(|s| s.id == set_id)
        .map(|s| s.level.clone())
        .unwrap_or_default();
    let mut same: Vec<_> = sets.into_iter().filter(|s| s.level == level).collect();
    same.sort_by(|a, b| a.year.cmp(&b.year).then(a.id.cmp(&b.id)));
    let mut ranks = Vec::new();
    let mut last: Option<(parindex_domain::CriteriaSet, Vec<Points>)> = None;
    // The units this one was formed from, and their results in the earlier years.
    let predecessors = st.db.predecessors(&unit_code).await?;
    let mut history = Vec::new();
    for s in &same {
        let other = if s.id == set_id {
            c.clone()
        } else {
            st.computed(&s.id).await?
        };
        if check_visible(&st, &other, user.as_ref(), Some(&unit_code), &path).is_err() {
            continue;
        }
        if shows_rank(&other, user.as_ref())
            && let Some(r) = other.result(&unit_code)
        {
            ranks.push(YearRank {
                year: other.set.year,
                rank: r.rank,
                of: r.of,
            });
        }
        // A predecessor assessed in a year up to this one (merged before a year's end, it
        // has a score but no rank).
        if other.set.year <= c.set.year {
            for pr in &predecessors {
                let Some(scores) = other.scores_of(&pr.code) else {
                    continue;
                };
                let card = format!("/sets/{}/units/{}", other.set.id, pr.code);
                if check_visible(&st, &other, user.as_ref(), Some(&pr.code), &card).is_err() {
                    continue;
                }
                let seen = as_seen_by(&other, user.as_ref(), scores);
                let Some(own) =
                    parindex_domain::rank_units(&other.set, std::slice::from_ref(&seen))
                        .into_iter()
                        .next()
                else {
                    continue;
                };
                let q = other.set.precision;
                history.push(HistoryLine {
                    year: other.set.year,
                    href: card,
                    code: pr.code.clone(),
                    name: own.unit_name.clone(),
                    how: t.change_kind(pr.how),
                    score: own.score.to_vi(q),
                    index: own.index.to_vi(q),
                    rank: match other.result(&pr.code) {
                        Some(r) if shows_rank(&other, user.as_ref()) => {
                            format!("{}/{}", r.rank, r.of)
                        }
                        _ => String::new(),
                    },
                });
            }
        }
        if other.set.year < c.set.year
            && let Some(scores) = other.scores_of(&unit_code)
        {
            let seen = as_seen_by(&other, user.as_ref(), scores);
            last = Some((other.set.clone(), node_totals(&other.set, &seen)));
        }
    }
    // Last year's criterion of each of this year's: through the mapping (the stored rows,
    // else the proposal by code and name), so that renumbered criteria still compare.
    let matched: std::collections::HashMap<String, String> = match &last {
        Some((set, _)) => st
            .db
            .mapping_in_force(set, &c.set)
            .await?
            .into_iter()
            .filter_map(|m| Some((m.to, m.from?)))
            .collect(),
        None => std::collections::HashMap::new(),
    };
    let lines = c
        .set
        .nodes
        .iter()
        .enumerate()
        .map(|(i, n)| {
            let then = last.as_ref().and_then(|(set, totals)| {
                let from = matched.get(n.code.as_str())?;
                set.position(from).map(|j| totals[j])
            });
            let (change, trend) = match then {
                Some(x) if now_totals[i] > x => {
                    (format!("+{}", (now_totals[i] - x).to_vi(p)), "up")
                }
                Some(x) if now_totals[i] < x => {
                    (format!("−{}", (x - now_totals[i]).to_vi(p)), "down")
                }
                Some(_) => ("0".to_string(), ""),
                None => (String::new(), ""),
            };
            YearLine {
                code: n.code.to_string(),
                name: n.name.clone(),
                depth: n.depth,
                max: now_maxima[i].to_vi(p),
                now: now_totals[i].to_vi(p),
                then: then.map(|x| x.to_vi(p)).unwrap_or_default(),
                then_code: matched
                    .get(n.code.as_str())
                    .filter(|f| f.as_str() != n.code.as_str())
                    .cloned()
                    .unwrap_or_default(),
                change,
                trend,
            }
        })
        .collect();
    let page = YearsPage {
        t,
        chrome: Chrome::new(
            lang,
            format!("{} — {}", t.years, now.unit_name),
            c.set.sample,
            user.as_ref(),
        )
        .crumb(format!("/sets/{set_id}/ranking"), t.ranking)
        .crumb(format!("/sets/{set_id}/units/{unit_code}"), t.score_card),
        set_id: set_id.clone(),
        set_name: c.set.name.clone(),
        unit_code: unit_code.clone(),
        unit_name: now.unit_name.clone(),
        last_name: last
            .as_ref()
            .map(|(s, _)| s.name.clone())
            .unwrap_or_default(),
        lines,
        chart: if ranks.is_empty() {
            String::new()
        } else {
            rank_chart(t.rank_by_year, &ranks)
        },
        history,
    };
    Ok(Html(page.render()?).into_response())
}

#[derive(Template)]
#[template(path = "heatmap.html")]
pub struct HeatMapPage {
    pub t: &'static Tr,
    pub chrome: Chrome,
    pub set_id: String,
    pub set_name: String,
    pub group: String,
    pub groups: Vec<String>,
    pub chart: String,
    /// The weakest field of each unit: (unit, field code, share).
    pub weakest: Vec<(String, String, String)>,
}

pub async fn show_heatmap(
    State(st): State<AppState>,
    Path(set_id): Path<String>,
    LangPref(lang): LangPref,
    MaybeUser(user): MaybeUser,
    Query(q): Query<ViewQuery>,
) -> Result<Response, AppError> {
    let t = lang.tr();
    let c = st.computed(&set_id).await?;
    check_visible(
        &st,
        &c,
        user.as_ref(),
        None,
        &format!("/sets/{set_id}/heatmap"),
    )?;
    // Every unit's fields side by side: as much as the ranking tells, so only for who may
    // see ranks.
    if !shows_rank(&c, user.as_ref()) {
        return Err(AppError::said(
            axum::http::StatusCode::FORBIDDEN,
            "Kết quả xếp hạng chưa được công bố.",
            "The ranking is not published yet.",
        ));
    }
    let groups = c.groups();
    let group = match q.group {
        Some(g) if groups.contains(&g) => g,
        Some(g) => {
            return Err(AppError::said(
                axum::http::StatusCode::BAD_REQUEST,
                format!("Nhóm “{g}” không có trong bộ chỉ số này."),
                format!("The group “{g}” is not in this criteria set."),
            ));
        }
        None => groups.first().cloned().unwrap_or_default(),
    };
    // The fields: the nodes one level under the roots (I.1 … I.8, II.1 …); a root
    // without children is a field of its own.
    let fields: Vec<usize> = c
        .set
        .nodes
        .iter()
        .enumerate()
        .filter(|(_, n)| n.depth == 2 || (n.depth == 1 && n.children.is_empty()))
        // A bonus or penalty part at 0 is no weakness.
        .filter(|(_, n)| n.kind == parindex_domain::NodeKind::Regular)
        .map(|(i, _)| i)
        .collect();
    let columns: Vec<String> = fields
        .iter()
        .map(|i| c.set.nodes[*i].code.to_string())
        .collect();
    let mut rows = Vec::new();
    let mut weakest = Vec::new();
    for r in c.results.iter().filter(|r| r.group == group) {
        let Some(scores) = c.scores_of(&r.unit_code) else {
            continue;
        };
        let totals = node_totals(&c.set, scores);
        let maxima = parindex_domain::scoring::node_maxima(&c.set, scores);
        let shares: Vec<Option<Points>> = fields
            .iter()
            .map(|i| {
                let max = maxima[*i];
                (max > Points::ZERO).then(|| parindex_domain::scoring::index_of(totals[*i], max, 1))
            })
            .collect();
        if let Some((j, share)) = shares
            .iter()
            .enumerate()
            .filter_map(|(j, s)| s.map(|s| (j, s)))
            .min_by_key(|(_, s)| *s)
        {
            weakest.push((r.unit_name.clone(), columns[j].clone(), share.to_vi(1)));
        }
        rows.push((format!("{}. {}", r.rank, r.unit_name), shares));
    }
    let page = HeatMapPage {
        t,
        chrome: Chrome::new(
            lang,
            format!("{} — {}", t.heat_map, c.set.name),
            c.set.sample,
            user.as_ref(),
        )
        .crumb(format!("/sets/{set_id}/ranking"), t.ranking),
        set_id: set_id.clone(),
        set_name: c.set.name.clone(),
        chart: heat_map(t.heat_map, &columns, &rows),
        group,
        groups,
        weakest,
    };
    Ok(Html(page.render()?).into_response())
}
