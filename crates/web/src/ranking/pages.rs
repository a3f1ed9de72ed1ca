//! HTML pages: sets, ranking with chart, score card, criteria browser; each table also
//! downloads as CSV or XLSX (`?format=csv|xlsx`).

use askama::Template;
use axum::extract::{Path, Query, State};

use axum::http::{HeaderValue, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use parindex_domain::text::fold;
use parindex_domain::{CriteriaSet, Points, UnitScores};
use parindex_reports::chart::{Bar, bar_chart};
use parindex_reports::{Cell, Table};
use serde::Deserialize;

use crate::core::error::AppError;
use crate::core::i18n::{Lang, Tr};
use crate::core::layout::{Chrome, LangPref};
use crate::core::state::{AppState, Computed};
use crate::extract::MaybeUser;

#[derive(Debug, Deserialize, Default)]
pub struct ViewQuery {
    pub group: Option<String>,
    pub format: Option<String>,
    pub q: Option<String>,
}

/// Refuses a draft ranking or score card to whoever may not see it yet (the policy's
/// `ReadRanking` / `ReadScoreCard`, in the set's current phase).
pub fn check_visible(
    st: &AppState,
    c: &Computed,
    user: Option<&parindex_db::SessionUser>,
    unit: Option<&str>,
    path: &str,
) -> Result<(), AppError> {
    use parindex_domain::policy::{Action, Target, decide};
    // As `Access` does: a password the demo published is changed before anything else.
    if user.is_some_and(|u| u.must_change_password) && !st.demo {
        return Err(AppError::PasswordChange);
    }
    let actor = user.map(crate::extract::user::actor);
    let (action, target) = match unit {
        None => (Action::ReadRanking, Target::default()),
        Some(u) => (Action::ReadScoreCard, Target::unit(u, None)),
    };
    decide(actor.as_ref(), action, &target.in_phase(c.phase))
        .map_err(|d| crate::extract::access::refusal(d, path.to_string()))
}

fn province_wide(user: Option<&parindex_db::SessionUser>) -> bool {
    parindex_domain::policy::province_wide(user.map(crate::extract::user::actor).as_ref())
}

/// What a unit's own people see before the appraisal is released: their self-assessment.
pub fn as_seen_by(
    c: &Computed,
    user: Option<&parindex_db::SessionUser>,
    unit: &UnitScores,
) -> UnitScores {
    if province_wide(user) || parindex_domain::cycle::appraisal_released(c.phase) {
        return unit.clone();
    }
    self_only(&c.set, unit)
}

/// A unit's scores with only its own points: no appraised or final value.
pub fn self_only(set: &CriteriaSet, unit: &UnitScores) -> UnitScores {
    let mut own = unit.clone();
    for (i, l) in &mut own.leaves {
        let self_only =
            parindex_domain::LeafScore::new(set, *i, [l.self_points, None, None], l.input.clone())
                .map(|s| parindex_domain::LeafScore {
                    note: l.note.clone(),
                    not_applicable: l.not_applicable.clone(),
                    ..s
                });
        match self_only {
            Ok(s) if s.not_applicable.is_some() => {
                *l = parindex_domain::LeafScore {
                    effective: Points::ZERO,
                    ..s
                };
            }
            Ok(s) => *l = s,
            // A leaf that no longer rebuilds (its rule changed): the unit's own points
            // only, never the appraisers'.
            Err(_) => {
                l.appraised = None;
                l.final_points = None;
                l.effective = l.self_points.unwrap_or_default();
            }
        }
    }
    own
}

/// A unit's scores in a set; a unit that has saved nothing yet has an empty card.
pub async fn unit_scores(
    st: &AppState,
    c: &Computed,
    unit_code: &str,
) -> Result<UnitScores, AppError> {
    if let Some(s) = c.scores_of(unit_code) {
        return Ok(s.clone());
    }
    let unit = st.db.unit(unit_code).await?.ok_or(AppError::NotFound)?;
    Ok(UnitScores {
        unit_code: unit.code,
        unit_name: unit.name,
        group: unit.group.unwrap_or_default(),
        leaves: std::collections::HashMap::new(),
        line: 0,
    })
}

/// Whether the viewer may see ranks among units (published, or a province-wide role).
pub fn shows_rank(c: &Computed, user: Option<&parindex_db::SessionUser>) -> bool {
    c.phase == Some(parindex_domain::cycle::Phase::Published) || province_wide(user)
}

/// A table as a CSV or XLSX download.
pub fn download_table(table: &Table, format: &str, name: &str) -> Result<Response, AppError> {
    download(table, format, name)
}

fn download(table: &Table, format: &str, name: &str) -> Result<Response, AppError> {
    let (ctype, ext, body) = match format {
        "csv" => ("text/csv; charset=utf-8", "csv", table.to_csv_download()),
        "xlsx" => (
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "xlsx",
            table
                .to_xlsx()
                .map_err(|e| AppError::Internal(e.to_string()))?,
        ),
        other => {
            return Err(AppError::said(
                axum::http::StatusCode::BAD_REQUEST,
                format!("Định dạng “{other}” không được hỗ trợ (csv, xlsx)."),
                format!("The format “{other}” is not offered (csv, xlsx)."),
            ));
        }
    };
    let disposition = format!("attachment; filename=\"{name}.{ext}\"");
    let mut res = body.into_response();
    res.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(ctype));
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        res.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(res)
}

/// The document format a `?format=` asks for, refused before anything is built.
pub fn document_format(format: &str) -> Result<parindex_documents::Format, AppError> {
    match format {
        "pdf" => Ok(parindex_documents::Format::Pdf),
        "docx" => Ok(parindex_documents::Format::Docx),
        other => Err(AppError::said(
            axum::http::StatusCode::BAD_REQUEST,
            format!("Định dạng “{other}” không được hỗ trợ (pdf, docx)."),
            format!("The format “{other}” is not offered (pdf, docx)."),
        )),
    }
}

/// Documents typeset at once: one per core. A PDF of a large table takes seconds and
/// hundreds of MiB; more at once would only queue up memory.
static TYPESETTING: std::sync::LazyLock<std::sync::Arc<tokio::sync::Semaphore>> =
    std::sync::LazyLock::new(|| {
        let cores = std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get);
        std::sync::Arc::new(tokio::sync::Semaphore::new(cores.clamp(1, 8)))
    });

/// An official document as a PDF or DOCX download, typeset on the blocking pool while
/// holding one of the [`TYPESETTING`] permits; when none is free the reader is told to try
/// again (503) rather than the server taking on more.
pub async fn document_download(
    doc: parindex_documents::Document,
    format: parindex_documents::Format,
    name: &str,
) -> Result<Response, AppError> {
    let Ok(permit) = TYPESETTING.clone().try_acquire_owned() else {
        return Err(AppError::said(
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            "Máy chủ đang tạo các văn bản khác; xin thử lại sau ít phút.",
            "The server is busy making other documents; please try again in a minute.",
        ));
    };
    let bytes = tokio::task::spawn_blocking(move || {
        let out = parindex_documents::render(&doc, format);
        drop(permit);
        out
    })
    .await
    .map_err(|e| AppError::Internal(e.to_string()))?
    .map_err(AppError::Internal)?;
    let disposition = format!("attachment; filename=\"{name}.{}\"", format.extension());
    let mut res = bytes.into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(format.content_type()),
    );
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        res.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(res)
}

pub fn safe_name(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

pub async fn not_found(LangPref(lang): LangPref) -> Response {
    AppError::NotFound.page(lang)
}

/// A visitor's home: the published ranking, or the list of sets when none is published.
pub async fn visitor_home(
    st: &AppState,
    lang: Lang,
    user: Option<parindex_db::SessionUser>,
) -> Response {
    match st.db.home_set_id().await {
        Ok(Some(id)) => Redirect::to(&format!("/sets/{id}/ranking")).into_response(),
        Ok(None) => {
            list_sets(
                State(st.clone()),
                LangPref(lang),
                MaybeUser(user),
                Query(ViewQuery::default()),
            )
            .await
        }
        Err(e) => AppError::from(e).page(lang),
    }
}

// ---------- sets ----------

pub struct SetLine {
    pub id: String,
    pub name: String,
    pub year: i64,
    pub leaves: i64,
    pub units_scored: i64,
    pub total_max: String,
}

#[derive(Template)]
#[template(path = "sets.html")]
pub struct SetsPage {
    pub t: &'static Tr,
    pub chrome: Chrome,
    pub sets: Vec<SetLine>,
}

pub async fn list_sets(
    State(st): State<AppState>,
    LangPref(lang): LangPref,
    MaybeUser(user): MaybeUser,
    Query(q): Query<ViewQuery>,
) -> Response {
    let t = lang.tr();
    let r: Result<Out, AppError> = async {
        let sets = st.db.list_sets().await?;
        if let Some(f) = q.format.as_deref() {
            let mut table = Table::new(
                t.sets,
                &["id", t.name, t.year, t.leaves, t.units_scored, t.total_max],
            );
            for s in &sets {
                table.rows.push(vec![
                    s.id.clone().into(),
                    s.name.clone().into(),
                    Cell::Int(s.year),
                    Cell::Int(s.leaves),
                    Cell::Int(s.units_scored),
                    Cell::Points(s.total_max, 3),
                ]);
            }
            return Ok(Out::File(download(&table, f, "bo-chi-so")?));
        }
        let page = SetsPage {
            t,
            chrome: Chrome::new(lang, t.sets.to_string(), false, user.as_ref()),
            sets: sets
                .into_iter()
                .map(|s| SetLine {
                    total_max: s.total_max.to_vi(3),
                    id: s.id,
                    name: s.name,
                    year: s.year,
                    leaves: s.leaves,
                    units_scored: s.units_scored,
                })
                .collect(),
        };
        Ok(Out::Page(page.render()?))
    }
    .await;
    finish(r, lang)
}

/// What a page handler produces: a page body, or a download.
enum Out {
    Page(String),
    /// A page body already rendered (shared, not copied).
    Cached(axum::body::Bytes),
    File(Response),
}

fn finish(r: Result<Out, AppError>, lang: Lang) -> Response {
    match r {
        Ok(Out::Page(body)) => Html(body).into_response(),
        Ok(Out::Cached(bytes)) => Html(bytes).into_response(),
        Ok(Out::File(res)) => res,
        Err(e) => e.page(lang),
    }
}

// ---------- ranking ----------

pub struct RankLine {
    pub rank: u32,
    pub of: u32,
    pub code: String,
    pub name: String,
    pub score: String,
    pub index: String,
    pub band: String,
    pub lost: String,
    pub max: String,
    pub bonus: String,
    pub penalty: String,
}

#[derive(Template)]
#[template(path = "ranking.html")]
pub struct RankingPage {
    pub t: &'static Tr,
    pub chrome: Chrome,
    pub set_id: String,
    pub set_name: String,
    pub group: String,
    pub groups: Vec<String>,
    pub rows: Vec<RankLine>,
    pub chart: String,
    /// Whether the results appendix (PDF, DOCX) is offered: ranks are visible.
    pub documents: bool,
    /// Once published: the audit trail's head (`N HASH`), kept by whoever prints the page.
    pub audit_head: String,
    /// Units' maxima differ (not-applicable leaves) or the set has bonus and penalty
    /// parts: the table shows each unit's maximum, bonus and penalty.
    pub detail: bool,
    /// Ranked by index rather than score.
    pub by_index: bool,
}

fn ranking_table(c: &Computed, group: &str, t: &Tr) -> Table {
    let p = c.set.precision;
    // Scripts read the codes (CSV); people read the titles (XLSX), under the set's name.
    let mut table = Table::new(
        format!("{} — {}", t.ranking, c.set.name),
        &[
            "rank",
            "unit_code",
            "unit_name",
            "group",
            "score",
            "index",
            "band",
            "lost",
            "max",
            "bonus",
            "penalty",
        ],
    )
    .with_titles(&[
        t.rank, t.code, t.unit, t.group, t.score, t.index, t.band, t.lost, t.unit_max, t.bonus,
        t.penalty,
    ]);
    for r in c.results.iter().filter(|r| r.group == group) {
        table.rows.push(vec![
            Cell::Int(i64::from(r.rank)),
            r.unit_code.clone().into(),
            r.unit_name.clone().into(),
            r.group.clone().into(),
            Cell::Points(r.score, p),
            Cell::Points(r.index, p),
            r.band.clone().unwrap_or_default().into(),
            Cell::Points(r.lost, p),
            Cell::Points(r.max, p),
            Cell::Points(r.bonus, p),
            Cell::Points(r.penalty, p),
        ]);
    }
    table
}

fn pick_group(c: &Computed, asked: Option<&str>) -> Result<String, AppError> {
    let groups = c.groups();
    match asked {
        Some(g) if groups.iter().any(|x| x == g) => Ok(g.to_string()),
        Some(g) => Err(AppError::said(
            axum::http::StatusCode::BAD_REQUEST,
            format!("Nhóm “{g}” không có trong bộ chỉ số này."),
            format!("The group “{g}” is not in this criteria set."),
        )),
        None => Ok(groups.into_iter().next().unwrap_or_default()),
    }
}

pub async fn show_ranking(
    State(st): State<AppState>,
    Path(set_id): Path<String>,
    LangPref(lang): LangPref,
    MaybeUser(user): MaybeUser,
    Query(q): Query<ViewQuery>,
) -> Response {
    let t = lang.tr();
    let r: Result<Out, AppError> = async {
        let c = st.computed(&set_id).await?;
        check_visible(
            &st,
            &c,
            user.as_ref(),
            None,
            &format!("/sets/{set_id}/ranking"),
        )?;
        let group = pick_group(&c, q.group.as_deref())?;
        if let Some(f @ ("pdf" | "docx")) = q.format.as_deref() {
            let format = document_format(f)?;
            // The results appendix names ranks: only for who may see them.
            if !shows_rank(&c, user.as_ref()) {
                return Err(AppError::said(
                    axum::http::StatusCode::FORBIDDEN,
                    "Kết quả xếp hạng chưa được công bố.",
                    "The ranking is not published yet.",
                ));
            }
            let results: Vec<_> = c
                .results
                .iter()
                .filter(|r| r.group == group)
                .cloned()
                .collect();
            let doc =
                parindex_services::documents::ranking_report(&st.db, &c.set, &results, &st.issue())
                    .await?;
            let name = format!(
                "bao-cao-xep-hang-{}-{}",
                safe_name(&c.set.id),
                safe_name(&group)
            );
            return Ok(Out::File(document_download(doc, format, &name).await?));
        }
        if let Some(f) = q.format.as_deref() {
            let name = format!("xep-hang-{}-{}", safe_name(&c.set.id), safe_name(&group));
            return Ok(Out::File(download(
                &ranking_table(&c, &group, t),
                f,
                &name,
            )?));
        }
        // A signed-in user's page carries their name and form token: only visitors' pages
        // are cached, so that no session's data is ever served to another.
        let key = (set_id.clone(), group.clone(), lang);
        if user.is_none()
            && let Some(page) = st.cached_page(&key, &c.version)
        {
            return Ok(Out::Cached(page));
        }
        let p = c.set.precision;
        let in_group: Vec<_> = c.results.iter().filter(|r| r.group == group).collect();
        let by_index = c.set.rank_by == parindex_domain::RankBy::Index;
        let bars: Vec<Bar> = in_group
            .iter()
            .map(|r| Bar {
                label: format!("{}. {}", r.rank, r.unit_name),
                value: if by_index { r.index } else { r.score },
                highlight: false,
            })
            .collect();
        let scale = if by_index {
            Points::from_whole(100)
        } else {
            c.set.total_max()
        };
        let chart = bar_chart(t.chart_title, &bars, scale, p);
        let total_max = c.set.total_max();
        let detail = c.set.has_bonus_or_penalty() || in_group.iter().any(|r| r.max != total_max);
        // A head printed with the results anchors the trail outside the database; a cached
        // page's older head still checks (record N keeps its hash).
        let audit_head = if c.phase == Some(parindex_domain::cycle::Phase::Published) {
            let (n, hash) = st.db.audit_head().await?;
            format!("{n} {hash}")
        } else {
            String::new()
        };
        let page = RankingPage {
            t,
            chrome: Chrome::new(
                lang,
                format!("{} — {}", t.ranking, c.set.name),
                c.set.sample,
                user.as_ref(),
            ),
            set_id: c.set.id.clone(),
            set_name: c.set.name.clone(),
            documents: shows_rank(&c, user.as_ref()),
            groups: c.groups(),
            rows: in_group
                .iter()
                .map(|r| RankLine {
                    rank: r.rank,
                    of: r.of,
                    code: r.unit_code.clone(),
                    name: r.unit_name.clone(),
                    score: r.score.to_vi(p),
                    index: r.index.to_vi(p),
                    band: r.band.clone().unwrap_or_default(),
                    lost: r.lost.to_vi(p),
                    max: r.max.to_vi(p),
                    bonus: r.bonus.to_vi(p),
                    penalty: r.penalty.to_vi(p),
                })
                .collect(),
            group,
            chart,
            audit_head,
            detail,
            by_index,
        };
        let body = axum::body::Bytes::from(page.render()?);
        if user.is_none() {
            st.store_page(key, c.version.clone(), body.clone());
        }
        Ok(Out::Cached(body))
    }
    .await;
    finish(r, lang)
}

// ---------- score card ----------

pub struct TreeLine {
    /// `open`, `leaf` or `close`.
    pub kind: &'static str,
    pub code: String,
    pub name: String,
    pub depth: usize,
    pub max: String,
    pub self_points: String,
    pub appraised: String,
    pub final_points: String,
    pub input: String,
    pub note: String,
    pub effective: String,
    pub lost: String,
    pub losing: bool,
    /// `Không áp dụng: …`, `Điểm thưởng`, `Điểm trừ`, or empty.
    pub tag: String,
}

/// What sets a node apart on a score card: it does not apply to the unit (with the
/// reason), or it is a bonus or penalty part.
pub fn node_tag(n: &parindex_domain::Criterion, l: Option<&parindex_domain::LeafScore>) -> String {
    if let Some(reason) = l.and_then(|l| l.not_applicable.as_deref()) {
        return if reason.is_empty() {
            "Không áp dụng".to_string()
        } else {
            format!("Không áp dụng: {reason}")
        };
    }
    n.kind.label_vi().to_string()
}

pub struct WeakLine {
    pub code: String,
    pub name: String,
    pub max: String,
    pub effective: String,
    pub lost: String,
}

#[derive(Template)]
#[template(path = "scorecard.html")]
pub struct ScoreCardPage {
    pub t: &'static Tr,
    pub chrome: Chrome,
    pub set_id: String,
    pub set_name: String,
    pub unit_code: String,
    pub unit_name: String,
    pub group: String,
    /// `11/21`, or `—` while ranks are not visible to this viewer.
    pub rank: String,
    pub score: String,
    pub index: String,
    pub band: String,
    pub lost: String,
    pub total_max: String,
    /// Bonus and penalty points, when the set has such parts.
    pub bonus: Option<(String, String)>,
    pub former_names: Vec<String>,
    /// The units this one was formed from: (their history, name with how and last day).
    pub predecessors: Vec<(String, String)>,
    pub merged_into: String,
    pub weakest: Vec<WeakLine>,
    pub tree: Vec<TreeLine>,
}

/// Leaves that lost points, most points lost first (then by code order).
pub fn weakest_leaves(set: &CriteriaSet, unit: &UnitScores, n: usize) -> Vec<(usize, Points)> {
    let mut lost: Vec<(usize, Points)> = set
        .leaves()
        .filter(|(i, leaf)| {
            leaf.kind == parindex_domain::NodeKind::Regular
                && !parindex_domain::scoring::not_applicable(unit, *i)
        })
        .map(|(i, leaf)| {
            let eff = unit.leaves.get(&i).map_or(Points::ZERO, |l| l.effective);
            (i, leaf.max - eff)
        })
        .filter(|(_, l)| *l > Points::ZERO)
        .collect();
    lost.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    lost.truncate(n);
    lost
}

fn score_card_table(c: &Computed, unit: &UnitScores, t: &Tr) -> Table {
    let p = c.set.precision;
    let totals = parindex_domain::scoring::node_totals(&c.set, unit);
    let maxima = parindex_domain::scoring::node_maxima(&c.set, unit);
    let mut table = Table::new(
        format!("{} — {} — {}", t.score_card, unit.unit_name, c.set.name),
        &[
            "code",
            "name",
            "max",
            "self",
            "appraised",
            "final",
            "input",
            "effective",
            "lost",
        ],
    )
    .with_titles(&[
        t.code,
        t.name,
        t.max,
        t.self_points,
        t.appraised,
        t.final_points,
        t.input,
        t.effective,
        t.lost,
    ]);
    for (i, n) in c.set.nodes.iter().enumerate() {
        let l = unit.leaves.get(&i);
        let opt = |x: Option<Points>| x.map_or(Cell::Empty, |v| Cell::Points(v, p));
        let tag = node_tag(n, l);
        let regular = n.kind == parindex_domain::NodeKind::Regular;
        table.rows.push(vec![
            n.code.to_string().into(),
            if tag.is_empty() {
                n.name.clone()
            } else {
                format!("{} ({tag})", n.name)
            }
            .into(),
            Cell::Points(maxima[i], p),
            opt(l.and_then(|l| l.self_points)),
            opt(l.and_then(|l| l.appraised)),
            opt(l.and_then(|l| l.final_points)),
            l.and_then(|l| l.input.clone())
                .map_or(Cell::Empty, Cell::Text),
            Cell::Points(totals[i], p),
            if regular {
                Cell::Points(maxima[i] - totals[i], p)
            } else {
                Cell::Empty
            },
        ]);
    }
    table
}

fn tree_lines(set: &CriteriaSet, unit: &UnitScores) -> Vec<TreeLine> {
    let p = set.precision;
    let totals = parindex_domain::scoring::node_totals(set, unit);
    let maxima = parindex_domain::scoring::node_maxima(set, unit);
    let mut out = Vec::new();
    fn walk(
        set: &CriteriaSet,
        unit: &UnitScores,
        (totals, maxima): (&[Points], &[Points]),
        i: usize,
        p: u8,
        out: &mut Vec<TreeLine>,
    ) {
        let n = &set.nodes[i];
        let l = unit.leaves.get(&i);
        let f = |x: Option<Points>| x.map_or_else(String::new, |v| v.to_vi(p));
        let regular = n.kind == parindex_domain::NodeKind::Regular;
        let lost = if regular {
            maxima[i] - totals[i]
        } else {
            Points::ZERO
        };
        out.push(TreeLine {
            kind: if n.is_leaf() { "leaf" } else { "open" },
            code: n.code.to_string(),
            name: n.name.clone(),
            depth: n.depth,
            max: maxima[i].to_vi(p),
            self_points: f(l.and_then(|l| l.self_points)),
            appraised: f(l.and_then(|l| l.appraised)),
            final_points: f(l.and_then(|l| l.final_points)),
            input: l.and_then(|l| l.input.clone()).unwrap_or_default(),
            note: l.and_then(|l| l.note.clone()).unwrap_or_default(),
            effective: totals[i].to_vi(p),
            lost: if regular {
                lost.to_vi(p)
            } else {
                String::new()
            },
            losing: lost > Points::ZERO,
            tag: node_tag(n, l),
        });
        if !n.is_leaf() {
            for &c in &n.children {
                walk(set, unit, (totals, maxima), c, p, out);
            }
            out.push(TreeLine {
                kind: "close",
                code: String::new(),
                name: String::new(),
                depth: n.depth,
                max: String::new(),
                self_points: String::new(),
                appraised: String::new(),
                final_points: String::new(),
                input: String::new(),
                note: String::new(),
                effective: String::new(),
                lost: String::new(),
                losing: false,
                tag: String::new(),
            });
        }
    }
    for (i, _) in set.roots() {
        walk(set, unit, (&totals, &maxima), i, p, &mut out);
    }
    out
}

pub async fn show_score_card(
    State(st): State<AppState>,
    Path((set_id, unit_code)): Path<(String, String)>,
    LangPref(lang): LangPref,
    MaybeUser(user): MaybeUser,
    Query(q): Query<ViewQuery>,
) -> Response {
    let t = lang.tr();
    let r: Result<Out, AppError> = async {
        let c = st.computed(&set_id).await?;
        check_visible(
            &st,
            &c,
            user.as_ref(),
            Some(&unit_code),
            &format!("/sets/{set_id}/units/{unit_code}"),
        )?;
        // As the ranking: a visitor's page is kept for the set's version (a signed-in user's
        // carries their name and form token and is never shared). Looked up before anything
        // is computed for the unit.
        let key = (set_id.clone(), format!("unit:{unit_code}"), lang);
        if user.is_none()
            && q.format.is_none()
            && let Some(page) = st.cached_page(&key, &c.version)
        {
            return Ok(Out::Cached(page));
        }
        let scores = unit_scores(&st, &c, &unit_code).await?;
        let unit = &as_seen_by(&c, user.as_ref(), &scores);
        let own_results = parindex_domain::rank_units(&c.set, std::slice::from_ref(unit));
        let result = match c.result(&unit_code) {
            Some(r) if shows_rank(&c, user.as_ref()) => r,
            // Before publication a unit sees its own score, not its rank among others.
            _ => own_results.first().ok_or(AppError::NotFound)?,
        };
        if let Some(f) = q.format.as_deref() {
            let name = format!(
                "phieu-diem-{}-{}",
                safe_name(&c.set.id),
                safe_name(&unit_code)
            );
            return Ok(Out::File(download(
                &score_card_table(&c, unit, t),
                f,
                &name,
            )?));
        }
        let stored = st.db.unit(&unit_code).await?;
        let merged_into = match stored.as_ref().and_then(|u| u.merged_into.clone()) {
            Some(code) => {
                let name = st
                    .db
                    .unit(&code)
                    .await?
                    .map_or_else(|| code.clone(), |u| u.name);
                let since = stored
                    .as_ref()
                    .and_then(|u| u.valid_to.as_deref())
                    .and_then(parindex_domain::text::Date::parse)
                    .map(|d| format!(" ({} {})", t.until, d.to_vi()))
                    .unwrap_or_default();
                format!("{name}{since}")
            }
            None => String::new(),
        };
        let former = st.db.unit_former_names(&unit_code).await?;
        // The units this one was formed from (merged or split): their history is on the
        // years page.
        let mut predecessors = Vec::new();
        for pr in st.db.predecessors(&unit_code).await? {
            let until = pr
                .until
                .as_deref()
                .and_then(parindex_domain::text::Date::parse)
                .map(|d| format!(", {} {}", t.until, d.to_vi()))
                .unwrap_or_default();
            let how = t.change_kind(pr.how);
            predecessors.push((
                format!("/sets/{}/units/{unit_code}/years#history", c.set.id),
                format!("{} ({how}{until})", pr.name),
            ));
        }
        let p = c.set.precision;
        let weakest = weakest_leaves(&c.set, unit, 5)
            .into_iter()
            .map(|(i, lost)| {
                let n = &c.set.nodes[i];
                WeakLine {
                    code: n.code.to_string(),
                    name: n.name.clone(),
                    max: n.max.to_vi(p),
                    effective: (n.max - lost).to_vi(p),
                    lost: lost.to_vi(p),
                }
            })
            .collect();
        let page = ScoreCardPage {
            t,
            chrome: Chrome::new(
                lang,
                format!("{} — {}", t.score_card, unit.unit_name),
                c.set.sample,
                user.as_ref(),
            )
            .crumb(format!("/sets/{}/ranking", c.set.id), t.ranking),
            set_id: c.set.id.clone(),
            set_name: c.set.name.clone(),
            unit_code: unit.unit_code.clone(),
            unit_name: unit.unit_name.clone(),
            group: result.group.clone(),
            rank: if shows_rank(&c, user.as_ref()) {
                format!("{}/{}", result.rank, result.of)
            } else {
                "—".into()
            },
            score: result.score.to_vi(p),
            index: result.index.to_vi(p),
            band: result.band.clone().unwrap_or_default(),
            lost: result.lost.to_vi(p),
            // The unit's own maximum: below the set's where some leaves do not apply.
            total_max: result.max.to_vi(p),
            bonus: c
                .set
                .has_bonus_or_penalty()
                .then(|| (result.bonus.to_vi(p), result.penalty.to_vi(p))),
            former_names: former.into_iter().map(|(n, _)| n).collect(),
            predecessors,
            merged_into,
            weakest,
            tree: tree_lines(&c.set, unit),
        };
        let body = axum::body::Bytes::from(page.render()?);
        if user.is_none() {
            st.store_page(key, c.version.clone(), body.clone());
        }
        Ok(Out::Cached(body))
    }
    .await;
    finish(r, lang)
}

// ---------- criteria browser ----------

pub struct CriterionLine {
    pub kind: &'static str,
    pub code: String,
    pub name: String,
    pub depth: usize,
    pub max: String,
    pub rule: String,
    pub evidence: String,
    pub owner: String,
}

#[derive(Template)]
#[template(path = "criteria.html")]
pub struct CriteriaPage {
    pub t: &'static Tr,
    pub chrome: Chrome,
    pub set_id: String,
    pub set_name: String,
    pub legal_basis: String,
    pub year: i32,
    pub total_max: String,
    pub leaf_count: usize,
    pub query: String,
    pub lines: Vec<CriterionLine>,
    /// The secretariat may map this set's criteria to an earlier year's.
    pub can_map: bool,
}

fn criterion_line(set: &CriteriaSet, i: usize, kind: &'static str) -> CriterionLine {
    let n = &set.nodes[i];
    CriterionLine {
        kind,
        code: n.code.to_string(),
        name: n.name.clone(),
        depth: n.depth,
        max: n.max.to_vi(set.precision),
        rule: n
            .rule
            .as_ref()
            .map(parindex_domain::Rule::describe_vi)
            .unwrap_or_default(),
        evidence: n.evidence.clone().unwrap_or_default(),
        owner: n.owner.clone().unwrap_or_default(),
    }
}

pub async fn show_criteria(
    State(st): State<AppState>,
    Path(set_id): Path<String>,
    LangPref(lang): LangPref,
    MaybeUser(user): MaybeUser,
    Query(q): Query<ViewQuery>,
) -> Response {
    let t = lang.tr();
    let r: Result<Out, AppError> = async {
        let set = st.db.load_set(&set_id).await?.ok_or(AppError::NotFound)?;
        if let Some(f) = q.format.as_deref() {
            let mut table = Table::new(
                format!("{} {}", t.criteria, set.id),
                &[t.code, t.name, t.max, t.rule, t.evidence, t.owner],
            );
            for (i, n) in set.nodes.iter().enumerate() {
                let mut l = criterion_line(&set, i, "leaf");
                if let (Lang::En, Some(r)) = (lang, n.rule.as_ref()) {
                    l.rule = r.describe_en();
                }
                table.rows.push(vec![
                    l.code.into(),
                    l.name.into(),
                    Cell::Points(n.max, set.precision),
                    l.rule.into(),
                    l.evidence.into(),
                    l.owner.into(),
                ]);
            }
            return Ok(Out::File(download(
                &table,
                f,
                &format!("tieu-chi-{}", safe_name(&set.id)),
            )?));
        }
        let query = q.q.clone().unwrap_or_default();
        let needle = fold(&query);
        let mut lines = Vec::new();
        if needle.is_empty() {
            fn walk(set: &CriteriaSet, i: usize, out: &mut Vec<CriterionLine>) {
                let n = &set.nodes[i];
                out.push(criterion_line(
                    set,
                    i,
                    if n.is_leaf() { "leaf" } else { "open" },
                ));
                if !n.is_leaf() {
                    for &c in &n.children {
                        walk(set, c, out);
                    }
                    let mut close = criterion_line(set, i, "close");
                    close.name.clear();
                    out.push(close);
                }
            }
            for (i, _) in set.roots() {
                walk(&set, i, &mut lines);
            }
        } else {
            for (i, n) in set.nodes.iter().enumerate() {
                if fold(&format!("{} {}", n.code, n.name)).contains(&needle) {
                    lines.push(criterion_line(&set, i, "leaf"));
                }
            }
        }
        if lang == Lang::En {
            for l in &mut lines {
                if let Some(r) = set
                    .position(&l.code)
                    .and_then(|i| set.nodes[i].rule.as_ref())
                {
                    l.rule = r.describe_en();
                }
            }
        }
        let page = CriteriaPage {
            t,
            chrome: Chrome::new(
                lang,
                format!("{} — {}", t.criteria, set.name),
                set.sample,
                user.as_ref(),
            ),
            set_id: set.id.clone(),
            set_name: set.name.clone(),
            legal_basis: set.legal_basis.clone().unwrap_or_default(),
            year: set.year,
            total_max: set.total_max().to_vi(set.precision),
            leaf_count: set.leaf_count(),
            query,
            lines,
            can_map: user.as_ref().is_some_and(|u| {
                crate::extract::user::may(
                    u,
                    parindex_domain::policy::Action::MapCriteria,
                    &parindex_domain::policy::Target::default(),
                )
            }),
        };
        Ok(Out::Page(page.render()?))
    }
    .await;
    finish(r, lang)
}
