//! The assessment of one unit, leaf by leaf: self-assessment (the unit), appraisal (the
//! council), explanation (the unit contests a cut) and the answer; submission by the
//! unit's leader; the cycle page of the secretariat.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use parindex_db::{LeafChange, SaveOutcome, SessionUser, StoredLeaf};
use parindex_domain::access::Role;
use parindex_domain::cycle::Phase;
use parindex_domain::policy::{Action, Target, decide};
use parindex_domain::text::{Date, fold};
use parindex_domain::{CriteriaSet, Points, Rule};
use serde::Deserialize;

use crate::core::error::AppError;
use crate::core::i18n::{Lang, Tr};
use crate::core::layout::Chrome;
use crate::core::layout::LangPref;
use crate::core::state::AppState;
use crate::extract::{Access, Checked, act, actor};

/// What a signed-in user may do to a leaf now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Power {
    SelfAssess,
    Appraise,
    Explain,
    Answer,
}

impl Power {
    fn as_str(self) -> &'static str {
        match self {
            Power::SelfAssess => "self",
            Power::Appraise => "appraise",
            Power::Explain => "explain",
            Power::Answer => "answer",
        }
    }
}

/// Which leaves the page lists (`?show=`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Filter {
    #[default]
    All,
    Unscored,
    Evidence,
    Cut,
    Contested,
}

impl Filter {
    const ALL: [Filter; 5] = [
        Filter::All,
        Filter::Unscored,
        Filter::Evidence,
        Filter::Cut,
        Filter::Contested,
    ];

    fn key(self) -> &'static str {
        match self {
            Filter::All => "",
            Filter::Unscored => "unscored",
            Filter::Evidence => "evidence",
            Filter::Cut => "cut",
            Filter::Contested => "contested",
        }
    }

    fn parse(s: &str) -> Filter {
        Filter::ALL
            .into_iter()
            .find(|f| f.key() == s)
            .unwrap_or_default()
    }

    fn label(self, t: &Tr) -> &'static str {
        match self {
            Filter::All => t.filter_all,
            Filter::Unscored => t.filter_unscored,
            Filter::Evidence => t.filter_evidence,
            Filter::Cut => t.filter_cut,
            Filter::Contested => t.filter_contested,
        }
    }

    fn keeps(self, l: &LeafLine) -> bool {
        match self {
            Filter::All => true,
            Filter::Unscored => l.missing,
            Filter::Evidence => l.gap,
            Filter::Cut => l.cut,
            Filter::Contested => !l.explanation.is_empty(),
        }
    }
}

#[derive(Deserialize, Default)]
pub struct AssessQuery {
    #[serde(default)]
    pub show: String,
    /// `pdf` or `docx`: the self-assessment report instead of the page.
    pub format: Option<String>,
}

/// A leaf form that could not be saved: shown again with what was typed and the message
/// by its field.
pub struct FormError {
    pub leaf: String,
    /// The form field the message is about (`input`, `appraised`, `reason`, `text`…).
    pub field: &'static str,
    pub message: String,
    pub form: LeafForm,
}

/// How the page is shown: its filter, a form to show again, the gaps that refused a
/// submission.
#[derive(Default)]
pub struct View {
    pub filter: Filter,
    pub error: Option<FormError>,
    pub refused: bool,
}

/// A field of the set (a top-level criterion) with its leaves and running totals.
pub struct Section {
    pub code: String,
    pub anchor: String,
    pub name: String,
    pub max: String,
    pub self_total: String,
    pub appraised_total: String,
    pub scored: usize,
    pub total: usize,
    pub lines: Vec<LeafLine>,
}

/// The situation of a unit's assessment that decides what each leaf allows.
pub struct Situation<'a> {
    pub phase: Option<Phase>,
    pub user: &'a SessionUser,
    pub unit: &'a str,
    pub unit_parent: Option<&'a str>,
    pub submitted: bool,
    /// The phase's window has closed for this unit (no extension).
    pub closed: bool,
    /// Fields or criteria the user appraises (code prefixes); empty: all.
    pub scopes: Vec<String>,
}

/// Whether `code` falls under one of the prefixes (`I.2` covers `I.2.1.1`, not `I.20`).
pub fn in_scope(scopes: &[String], code: &str) -> bool {
    scopes.is_empty()
        || scopes
            .iter()
            .any(|p| code == p || code.starts_with(&format!("{p}.")))
}

/// What `s.user` may do to leaf `code`, whose owner (division name) is `owner` and which
/// the focal point may have delegated to the division `delegated`.
pub fn power(
    s: &Situation<'_>,
    code: &str,
    owner: Option<&str>,
    delegated: Option<&str>,
    leaf: Option<&StoredLeaf>,
) -> Option<Power> {
    let who = actor(s.user);
    let target = Target {
        unit: Some(s.unit),
        unit_parent: s.unit_parent,
        phase: s.phase,
        submitted: s.submitted,
        closed: s.closed,
    };
    let may = |a: Action| decide(Some(&who), a, &target).is_ok();
    let role = s.user.user.role;
    if may(Action::SelfAssess) {
        // A division member only on the leaves its department gave it (or that name it).
        let division_leaf = role != Role::Division
            || delegated.is_some_and(|d| who.unit == Some(d))
            || division_matches(s.user, owner);
        return division_leaf.then_some(Power::SelfAssess);
    }
    let in_scope = role != Role::Appraiser || in_scope(&s.scopes, code);
    if may(Action::Appraise) && in_scope {
        return Some(Power::Appraise);
    }
    if may(Action::Explain) {
        let cut = leaf.is_some_and(|l| match (l.score.appraised, l.score.self_points) {
            (Some(a), Some(s)) => a < s,
            (Some(a), None) => a < Points::ZERO,
            _ => false,
        });
        return cut.then_some(Power::Explain);
    }
    if may(Action::Answer) && in_scope {
        let pending = leaf.is_some_and(|l| l.explanation_status.as_deref() == Some("pending"));
        return pending.then_some(Power::Answer);
    }
    None
}

/// A division member edits the leaves whose `owner` names the division (folded, with or
/// without `Phòng`).
fn division_matches(user: &SessionUser, owner: Option<&str>) -> bool {
    let Some(owner) = owner else { return false };
    let unit = user.unit_name.as_deref().unwrap_or_default();
    let strip = |s: &str| fold(s).trim_start_matches("phong ").to_string();
    !unit.is_empty() && strip(unit) == strip(owner)
}

pub struct LeafLine {
    pub code: String,
    pub anchor: String,
    pub name: String,
    pub depth: usize,
    pub max: String,
    pub rule: String,
    pub evidence_hint: String,
    pub input: String,
    pub self_points: String,
    pub appraised: String,
    pub final_points: String,
    pub effective: String,
    pub note: String,
    pub reason: String,
    pub explanation: String,
    pub explanation_status: String,
    pub answer: String,
    pub updated: String,
    pub revision: i64,
    /// `self`, `appraise`, `explain`, `answer` or empty.
    pub power: &'static str,
    /// For option and binary rules: the choices (value, label, selected).
    pub choices: Vec<(String, String, bool)>,
    pub missing: bool,
    pub evidence: Vec<EvidenceLine>,
    /// The leaf's audit trail, oldest first: (when, who, what, old → new, reason).
    pub history: Vec<HistoryLine>,
    /// The division the leaf is delegated to (name), if any.
    pub delegated: String,
    /// For the focal point: the unit's divisions (code, name, chosen).
    pub divisions: Vec<(String, String, bool)>,
    /// A leaf that scores itself from the unit's dossiers: the live figure, and the page
    /// of the dossiers behind it (both empty otherwise).
    pub computed: String,
    pub computed_link: String,
    /// Evidence expected and missing, or out of the year.
    pub gap: bool,
    /// Appraised below the unit's own points.
    pub cut: bool,
    /// For the appraiser of a leaf with fixed levels: the allowed points (value, label,
    /// chosen).
    pub levels: Vec<(String, String, bool)>,
    /// A message by a field of this leaf's form (the field's name, the message).
    pub error_field: &'static str,
    pub error: String,
    /// What the leaf's form controls hold: the stored values, or what was typed into a
    /// form that could not be saved (the layers above keep showing what is stored).
    pub typed: Typed,
    /// The leaf does not apply to the unit: the reason (possibly empty).
    pub not_applicable: Option<String>,
    /// The secretariat may mark the leaf (not) applicable to the unit now.
    pub can_mark_na: bool,
    /// `Điểm thưởng`, `Điểm trừ`, or empty.
    pub kind: &'static str,
    /// Filled from last year and not changed since: a draft to check.
    pub prefilled: bool,
}

/// The values of a leaf's form controls.
#[derive(Default)]
pub struct Typed {
    pub input: String,
    pub note: String,
    pub appraised: String,
    pub reason: String,
    pub text: String,
    pub answer: String,
    pub final_points: String,
    /// The reason typed for marking the leaf not applicable.
    pub na_reason: String,
}

impl Typed {
    fn stored(l: &LeafLine) -> Typed {
        Typed {
            input: l.input.clone(),
            note: l.note.clone(),
            appraised: l.appraised.clone(),
            reason: l.reason.clone(),
            text: l.explanation.clone(),
            answer: l.answer.clone(),
            final_points: l.final_points.clone(),
            na_reason: l.not_applicable.clone().unwrap_or_default(),
        }
    }
}

/// An audit step of the appraisers (hidden from the unit until the release): an appraisal,
/// an answer, or a points import that set an appraised or final value.
fn appraisers_step(action: &str, new_value: Option<&str>) -> bool {
    let sets = |layer: &str| {
        new_value.is_some_and(|v| {
            v.split("; ")
                .any(|part| part.strip_prefix(layer).is_some_and(|x| x != "-"))
        })
    };
    matches!(action, "points.appraised" | "explanation.answer")
        || (action == "points" && (sets("appraised=") || sets("final=")))
}

/// A leaf's recorded value as the viewer may see it: before the release, the parts that
/// carry the appraisers' figures (`appraised=`, `final=`, `effective=`) are left out.
pub fn shown_value(value: Option<&str>, released: bool) -> String {
    let Some(v) = value else { return "—".into() };
    if released || !v.contains("appraised=") {
        return v.to_string();
    }
    v.split("; ")
        .filter(|part| {
            !(part.starts_with("appraised=")
                || part.starts_with("final=")
                || part.starts_with("effective="))
        })
        .collect::<Vec<_>>()
        .join("; ")
}

pub struct HistoryLine {
    pub at: String,
    pub actor: String,
    pub action: String,
    pub change: String,
    pub reason: String,
}

fn action_label(action: &str, lang: Lang) -> &str {
    let (vi, en) = match action {
        "points" => ("Nhập điểm từ tệp", "Points imported from a file"),
        "points.self" => ("Tự chấm", "Self-assessed"),
        "points.appraised" => ("Thẩm định", "Appraised"),
        "explanation" => ("Giải trình", "Explanation"),
        "explanation.answer" => ("Trả lời giải trình", "Explanation answered"),
        "evidence.link" => ("Gắn tài liệu kiểm chứng", "Evidence linked"),
        "delegation" => ("Giao cho phòng", "Delegated"),
        "points.not_applicable" => ("Không áp dụng cho đơn vị", "Marked not applicable"),
        "points.applicable" => ("Áp dụng lại", "Made applicable again"),
        "points.prefill" => ("Lấy từ năm trước", "Filled from last year"),
        other => return other,
    };
    match lang {
        Lang::Vi => vi,
        Lang::En => en,
    }
}

/// The top-level criterion (field) a node belongs to.
fn root_of(set: &CriteriaSet, mut i: usize) -> usize {
    // Bounded by the tree's depth: each step goes one level up.
    for _ in 0..set.nodes.len() {
        match set.nodes[i].parent {
            Some(p) => i = p,
            None => break,
        }
    }
    i
}

/// The points a leaf with fixed levels may be given, as choices (value, label, chosen);
/// empty where any multiple of the step is allowed.
fn levels(rule: &Rule, max: Points, current: Option<Points>) -> Vec<(String, String, bool)> {
    rule.fixed_levels(max)
        .into_iter()
        .map(|p| (p.to_plain(), p.to_vi_short(), current == Some(p)))
        .collect()
}

/// A recorded value (`self=2; appraised=1; final=-; input=…`) as its parts: (key, value).
fn value_parts(v: Option<&str>) -> Vec<(&str, &str)> {
    v.unwrap_or_default()
        .split("; ")
        .filter_map(|part| part.split_once('='))
        .collect()
}

/// A history step in words: "Tự chấm 2 → thẩm định 1", "Tự chấm 1,5 → 2".
fn history_words(
    action: &str,
    old: Option<&str>,
    new: Option<&str>,
    released: bool,
    lang: Lang,
) -> String {
    let (was, now) = (value_parts(old), value_parts(new));
    let get = |parts: &[(&str, &str)], key: &str| {
        parts
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| *v)
            .filter(|v| *v != "-")
            .map(parindex_domain::text::decimal_vi)
    };
    let dash = || "—".to_string();
    let vi = lang == Lang::Vi;
    let words = |key: &str| match (key, vi) {
        ("self", true) => "tự chấm",
        ("self", false) => "self",
        ("appraised", true) => "thẩm định",
        ("appraised", false) => "appraised",
        ("final", true) => "sau giải trình",
        ("final", false) => "final",
        (_, true) => "số liệu",
        (_, false) => "figure",
    };
    match action {
        "points.self" => {
            let mut out = format!(
                "{} {} → {}",
                words("self"),
                get(&was, "self").unwrap_or_else(dash),
                get(&now, "self").unwrap_or_else(dash)
            );
            if let Some(i) = get(&now, "input")
                && get(&was, "input").as_deref() != Some(i.as_str())
            {
                out = format!("{out} ({} {i})", words("input"));
            }
            capitalise(&out)
        }
        "points.appraised" | "explanation.answer" if released => {
            let key = if action == "points.appraised" {
                "appraised"
            } else {
                "final"
            };
            capitalise(&format!(
                "{} {} → {} {}",
                words("self"),
                get(&now, "self").unwrap_or_else(dash),
                words(key),
                get(&now, key).unwrap_or_else(dash)
            ))
        }
        "points" => {
            let mut parts = vec![format!(
                "{} {}",
                words("self"),
                get(&now, "self").unwrap_or_else(dash)
            )];
            if released {
                for key in ["appraised", "final"] {
                    if let Some(v) = get(&now, key) {
                        parts.push(format!("{} {v}", words(key)));
                    }
                }
            }
            capitalise(&parts.join(", "))
        }
        _ => shown_value(new, released),
    }
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

/// One evidence backing a leaf, with its file revisions (newest first).
pub struct EvidenceLine {
    pub id: i64,
    pub title: String,
    pub meta: String,
    /// (file id, label).
    pub files: Vec<(i64, String)>,
    /// Dated outside the assessment year.
    pub out_of_year: bool,
}

#[derive(Template)]
#[template(path = "assess.html")]
pub struct AssessPage {
    pub t: &'static Tr,
    pub chrome: Chrome,
    pub set_id: String,
    pub set_name: String,
    pub unit_code: String,
    pub unit_name: String,
    pub phase: String,
    pub submitted: String,
    pub closed: bool,
    pub scored: usize,
    pub total: usize,
    /// Unscored leaves: (code, anchor).
    pub missing: Vec<(String, String)>,
    pub can_submit: bool,
    /// The name of the earlier set the unit may start from (empty: not offered).
    pub prefill_from: String,
    pub sections: Vec<Section>,
    /// Totals over the whole set: self, appraised (once released), max.
    pub self_total: String,
    pub appraised_total: String,
    pub max_total: String,
    /// Every gap that blocks submission: (code, anchor, what).
    pub gaps: Vec<(String, String, String)>,
    /// The submission was refused: the gaps are shown as an error summary.
    pub refused: bool,
    /// A leaf form that could not be saved, summed up on top: (code, anchor, message).
    pub form_error: Option<(String, String, String)>,
    /// Filters: (link, label, count, current).
    pub filters: Vec<(String, String, usize, bool)>,
    pub released: bool,
    /// The unit's evidence, to back another criterion: (id, label).
    pub unit_evidence: Vec<(i64, String)>,
    /// Problems that block submission (evidence missing or out of the year).
    pub problems: Vec<String>,
    pub back: String,
}

/// Leaves whose criterion expects evidence and has none (unless a note explains why),
/// and evidence dated outside the assessment year.
pub fn evidence_problems<S: std::hash::BuildHasher>(
    set: &CriteriaSet,
    stored: &std::collections::HashMap<String, StoredLeaf, S>,
    links: &[(String, i64)],
    evidence: &[parindex_db::Evidence],
) -> Vec<String> {
    let mut out = Vec::new();
    for (_, n) in set.leaves() {
        let code = n.code.as_str();
        // A leaf that does not apply to the unit needs no evidence.
        if stored
            .get(code)
            .is_some_and(|l| l.score.not_applicable.is_some())
        {
            continue;
        }
        let explained = stored.get(code).is_some_and(|l| l.score.note.is_some());
        let linked: Vec<&parindex_db::Evidence> = links
            .iter()
            .filter(|(c, _)| c == code)
            .filter_map(|(_, id)| evidence.iter().find(|e| e.id == *id))
            .collect();
        if n.evidence.is_some() && linked.is_empty() && !explained {
            out.push(format!("{code}: thiếu tài liệu kiểm chứng"));
        }
        for e in linked {
            if let Some(d) = e.meta.doc_date.as_deref()
                && !d.starts_with(&set.year.to_string())
                && !explained
            {
                out.push(format!(
                    "{code}: tài liệu kiểm chứng “{}” ngày {} ngoài năm đánh giá {}",
                    e.meta.title,
                    Date::parse(d).map_or_else(|| d.to_string(), Date::to_vi),
                    set.year
                ));
            }
        }
    }
    out
}

fn choices(rule: &Rule, current: Option<&str>) -> Vec<(String, String, bool)> {
    let cur = current.map(fold);
    let mk = |v: &str, l: &str| {
        (
            v.to_string(),
            l.to_string(),
            cur.as_deref() == Some(fold(v).as_str()),
        )
    };
    match rule {
        Rule::Options(o) => o
            .iter()
            .map(|o| mk(&o.label, &format!("{} ({})", o.label, o.points.to_vi(3))))
            .collect(),
        Rule::Binary => vec![mk("đạt", "Đạt"), mk("không đạt", "Không đạt")],
        _ => Vec::new(),
    }
}

async fn load(st: &AppState, set_id: &str) -> Result<(CriteriaSet, Option<Phase>), AppError> {
    let set = st.db.load_set(set_id).await?.ok_or(AppError::NotFound)?;
    let phase = st.db.phase(set_id).await?;
    Ok((set, phase))
}

/// The set, the leaf's position, its stored state and what `user` may do to it now.
pub async fn leaf_power(
    st: &AppState,
    user: &SessionUser,
    set_id: &str,
    unit_code: &str,
    leaf_code: &str,
) -> Result<(CriteriaSet, usize, Option<Power>), AppError> {
    let (set, _, leaf, _, power) = leaf_state(st, user, set_id, unit_code, leaf_code).await?;
    Ok((set, leaf, power))
}

async fn leaf_state(
    st: &AppState,
    user: &SessionUser,
    set_id: &str,
    unit_code: &str,
    leaf_code: &str,
) -> Result<
    (
        CriteriaSet,
        Option<Phase>,
        usize,
        Option<StoredLeaf>,
        Option<Power>,
    ),
    AppError,
> {
    let (set, phase) = load(st, set_id).await?;
    let unit_parent = st.db.unit(unit_code).await?.and_then(|u| u.parent_code);
    let leaf = set
        .position(leaf_code)
        .filter(|&i| set.nodes[i].is_leaf())
        .ok_or(AppError::NotFound)?;
    let stored = st
        .db
        .unit_leaves(set_id, unit_code)
        .await?
        .into_iter()
        .find(|(c, _)| c == leaf_code)
        .map(|(_, l)| l);
    let submitted = st.db.submission(set_id, unit_code).await?.is_some();
    let closed = crate::extract::access::window_closed(st, set_id, unit_code, phase).await?;
    let situation = Situation {
        phase,
        user,
        unit: unit_code,
        unit_parent: unit_parent.as_deref(),
        submitted,
        closed,
        scopes: st.db.appraiser_scopes(&user.user.username).await?,
    };
    let delegated = st
        .db
        .delegations(set_id, unit_code)
        .await?
        .into_iter()
        .find(|(c, _)| c == leaf_code)
        .map(|(_, d)| d);
    // Nobody scores a leaf that does not apply to the unit.
    let allowed = if stored
        .as_ref()
        .is_some_and(|l| l.score.not_applicable.is_some())
    {
        None
    } else {
        power(
            &situation,
            leaf_code,
            set.nodes[leaf].owner.as_deref(),
            delegated.as_deref(),
            stored.as_ref(),
        )
    };
    Ok((set, phase, leaf, stored, allowed))
}

pub async fn show_assessment(
    State(st): State<AppState>,
    LangPref(lang): LangPref,
    access: Access<act::ReadAssessment>,
    axum::extract::Query(q): axum::extract::Query<AssessQuery>,
) -> Result<Response, AppError> {
    if let Some(f) = q.format.as_deref() {
        let format = crate::ranking::pages::document_format(f)?;
        let set_id = access.param("set_id");
        let unit_code = access.unit_code();
        let (set, _) = load(&st, set_id).await?;
        let doc = parindex_services::documents::self_assessment_report(
            &st.db,
            &set,
            unit_code,
            &st.issue(),
        )
        .await?
        .ok_or(AppError::NotFound)?;
        let name = format!(
            "bao-cao-tu-danh-gia-{}-{}",
            crate::ranking::pages::safe_name(set_id),
            crate::ranking::pages::safe_name(unit_code)
        );
        return crate::ranking::pages::document_download(doc, format, &name).await;
    }
    let view = View {
        filter: Filter::parse(&q.show),
        ..View::default()
    };
    render_assessment(
        &st,
        lang,
        &access.user,
        access.param("set_id"),
        access.unit_code(),
        StatusCode::OK,
        view,
    )
    .await
}

async fn render_assessment(
    st: &AppState,
    lang: Lang,
    user: &SessionUser,
    set_id: &str,
    unit_code: &str,
    status: StatusCode,
    mut view: View,
) -> Result<Response, AppError> {
    let t = lang.tr();
    let (set, phase) = load(st, set_id).await?;
    let unit = st.db.unit(unit_code).await?.ok_or(AppError::NotFound)?;
    let stored: std::collections::HashMap<String, StoredLeaf> = st
        .db
        .unit_leaves(set_id, unit_code)
        .await?
        .into_iter()
        .collect();
    let submission = st.db.submission(set_id, unit_code).await?;
    let closed = crate::extract::access::window_closed(st, set_id, unit_code, phase).await?;
    let evidence = st.db.unit_evidence(unit_code).await?;
    let links = st.db.leaf_evidence(set_id, unit_code).await?;
    let history = st
        .db
        .audit_history(&format!("{set_id}/{unit_code}"))
        .await?;
    let situation = Situation {
        phase,
        user,
        unit: unit_code,
        unit_parent: unit.parent_code.as_deref(),
        submitted: submission.is_some(),
        closed,
        scopes: st.db.appraiser_scopes(&user.user.username).await?,
    };
    let delegations = st.db.delegations(set_id, unit_code).await?;
    let divisions = st.db.divisions(unit_code).await?;
    // The unit's focal point or leader hands criteria to divisions while self-assessing.
    let target = Target {
        unit: Some(unit_code),
        unit_parent: unit.parent_code.as_deref(),
        phase,
        submitted: submission.is_some(),
        closed,
    };
    let who = actor(user);
    let can_delegate =
        decide(Some(&who), Action::Delegate, &target).is_ok() && !divisions.is_empty();
    let can_submit = decide(Some(&who), Action::Submit, &target).is_ok();
    let can_mark_na = decide(Some(&who), Action::MarkNotApplicable, &target).is_ok();
    let prefill_from = if decide(Some(&who), Action::Prefill, &target).is_ok() {
        st.db
            .previous_assessment(&set, unit_code)
            .await?
            .map(|s| format!("{} ({})", s.name, s.year))
            .unwrap_or_default()
    } else {
        String::new()
    };
    let sees_all = parindex_domain::policy::province_wide(Some(&who));
    let released = parindex_domain::cycle::appraisal_released(phase) || sees_all;
    let p = set.precision;
    let f = |x: Option<Points>| x.map_or_else(String::new, |v| v.to_vi(p));
    // The unit's figures of the year, and those of each field a leaf is restricted to.
    type FigureKey = (Option<String>, parindex_domain::FigureWindow);
    let mut figures: std::collections::HashMap<FigureKey, parindex_domain::dossiers::Figures> =
        std::collections::HashMap::new();
    for (_, n) in set.leaves() {
        let key = (n.figure_field.clone(), n.figure_window);
        if n.figure.is_some() && !figures.contains_key(&key) {
            let (from, to) = n.figure_window.range(set.year);
            let f = st
                .db
                .dossier_figures_in(
                    Some(unit_code),
                    from,
                    to,
                    st.local_instant(),
                    n.figure_field.as_deref(),
                )
                .await?;
            figures.insert(key, f);
        }
    }
    let problems = evidence_problems(&set, &stored, &links, &evidence);
    let mut lines = Vec::new();
    let mut missing = Vec::new();
    for (_, n) in set.leaves() {
        let code = n.code.to_string();
        let leaf = stored.get(&code);
        let not_applicable = leaf.and_then(|l| l.score.not_applicable.clone());
        // A leaf that does not apply is never missing, and nobody scores it until the
        // secretariat marks it applicable again.
        let scored =
            not_applicable.is_some() || leaf.is_some_and(|l| l.score.self_points.is_some());
        if !scored {
            missing.push((code.clone(), code.replace('.', "-")));
        }
        let delegated = delegations
            .iter()
            .find(|(c, _)| *c == code)
            .map(|(_, d)| d.as_str());
        let power = if not_applicable.is_some() {
            None
        } else {
            power(&situation, &code, n.owner.as_deref(), delegated, leaf)
        };
        let rule = n.rule.as_ref();
        lines.push(LeafLine {
            anchor: code.replace('.', "-"),
            name: n.name.clone(),
            depth: n.depth,
            max: n.max.to_vi(p),
            rule: rule
                .map(|r| match lang {
                    Lang::Vi => r.describe_vi(),
                    Lang::En => r.describe_en(),
                })
                .unwrap_or_default(),
            evidence_hint: n.evidence.clone().unwrap_or_default(),
            input: leaf
                .and_then(|l| l.score.input.as_deref())
                .map(parindex_domain::text::decimal_vi)
                .unwrap_or_default(),
            self_points: f(leaf.and_then(|l| l.score.self_points)),
            appraised: if released {
                f(leaf.and_then(|l| l.score.appraised))
            } else {
                String::new()
            },
            final_points: if released {
                f(leaf.and_then(|l| l.score.final_points))
            } else {
                String::new()
            },
            effective: f(leaf.map(|l| {
                if released {
                    l.score.effective
                } else {
                    l.score.self_points.unwrap_or_default()
                }
            })),
            note: leaf.and_then(|l| l.score.note.clone()).unwrap_or_default(),
            reason: if released {
                leaf.and_then(|l| l.appraisal_reason.clone())
                    .unwrap_or_default()
            } else {
                String::new()
            },
            explanation: leaf.and_then(|l| l.explanation.clone()).unwrap_or_default(),
            explanation_status: leaf
                .and_then(|l| l.explanation_status.clone())
                .unwrap_or_default(),
            answer: leaf
                .and_then(|l| l.explanation_answer.clone())
                .unwrap_or_default(),
            // Before the release a unit learns nothing of the appraisers' steps, not even
            // who touched the leaf last: the last step it may see.
            updated: if released {
                leaf.map(|l| {
                    format!(
                        "{} · {}",
                        l.updated_by.clone().unwrap_or_default(),
                        parindex_domain::text::local_time_vi(&l.updated_at)
                    )
                })
                .unwrap_or_default()
            } else {
                history
                    .iter()
                    .rfind(|r| {
                        r.entry.entity == format!("{set_id}/{unit_code}/{code}")
                            && !appraisers_step(&r.entry.action, r.entry.new_value.as_deref())
                    })
                    .map(|r| {
                        format!(
                            "{} · {}",
                            r.entry.actor,
                            parindex_domain::text::local_time_vi(&r.entry.at)
                        )
                    })
                    .unwrap_or_default()
            },
            revision: leaf.map_or(0, |l| l.revision),
            power: power.map_or("", Power::as_str),
            choices: rule
                .map(|r| choices(r, leaf.and_then(|l| l.score.input.as_deref())))
                .unwrap_or_default(),
            missing: !scored,
            evidence: links
                .iter()
                .filter(|(c, _)| *c == code)
                .filter_map(|(_, id)| evidence.iter().find(|e| e.id == *id))
                .map(|e| EvidenceLine {
                    id: e.id,
                    title: e.meta.title.clone(),
                    meta: [
                        e.meta.doc_number.clone(),
                        e.meta
                            .doc_date
                            .as_deref()
                            .and_then(Date::parse)
                            .map(Date::to_vi),
                        e.meta.issuer.clone(),
                        e.meta.signer.clone(),
                    ]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(" · "),
                    files: e
                        .files
                        .iter()
                        .map(|f| (f.id, format!("{} (bản {})", f.file_name, f.revision)))
                        .collect(),
                    out_of_year: e
                        .meta
                        .doc_date
                        .as_deref()
                        .is_some_and(|d| !d.starts_with(&set.year.to_string())),
                })
                .collect(),
            delegated: delegated
                .and_then(|d| divisions.iter().find(|(c, _)| c == d))
                .map(|(_, name)| name.clone())
                .unwrap_or_default(),
            divisions: if can_delegate {
                divisions
                    .iter()
                    .map(|(c, name)| (c.clone(), name.clone(), delegated == Some(c.as_str())))
                    .collect()
            } else {
                Vec::new()
            },
            history: history
                .iter()
                .filter(|r| r.entry.entity == format!("{set_id}/{unit_code}/{code}"))
                // A unit sees the appraisers' steps only once they are released.
                .filter(|r| {
                    released || !appraisers_step(&r.entry.action, r.entry.new_value.as_deref())
                })
                .map(|r| HistoryLine {
                    at: parindex_domain::text::local_time_vi(&r.entry.at),
                    actor: r.entry.actor.clone(),
                    // Steps told in words ("Tự chấm 2 → thẩm định 1") need no label.
                    action: if r.entry.action == "points.self"
                        || (released
                        && matches!(
                            r.entry.action.as_str(),
                            "points.appraised" | "explanation.answer"
                        )) {
                        String::new()
                    } else {
                        action_label(&r.entry.action, lang).to_string()
                    },
                    change: history_words(
                        &r.entry.action,
                        r.entry.old_value.as_deref(),
                        r.entry.new_value.as_deref(),
                        released,
                        lang,
                    ),
                    reason: r.entry.reason.clone().unwrap_or_default(),
                })
                .collect(),
            computed: match (
                n.figure,
                figures.get(&(n.figure_field.clone(), n.figure_window)),
            ) {
                (Some(fig), Some(f)) => {
                    crate::dossiers::figure_text(fig, f, set.year, n.figure_window, lang)
                }
                _ => String::new(),
            },
            computed_link: if n.figure.is_some() {
                match n.figure_window {
                    parindex_domain::FigureWindow::CalendarYear => {
                        format!("/units/{unit_code}/dossiers?year={}", set.year)
                    }
                    parindex_domain::FigureWindow::ReportingYear => {
                        let (from, to) = n.figure_window.range(set.year);
                        format!(
                            "/units/{unit_code}/dossiers?from={}&to={}",
                            from.to_iso(),
                            to.to_iso()
                        )
                    }
                }
            } else {
                String::new()
            },
            gap: problems
                .iter()
                .any(|p| p.split(':').next() == Some(code.as_str())),
            cut: released
                && leaf.is_some_and(|l| {
                    matches!((l.score.appraised, l.score.self_points), (Some(a), Some(s)) if a < s)
                }),
            levels: if power == Some(Power::Appraise) || power == Some(Power::Answer) {
                rule.map(|r| {
                    levels(
                        r,
                        n.max,
                        leaf.and_then(|l| if power == Some(Power::Appraise) { l.score.appraised } else { l.score.final_points }),
                    )
                })
                .unwrap_or_default()
            } else {
                Vec::new()
            },
            error_field: "",
            error: String::new(),
            typed: Typed::default(),
            not_applicable,
            can_mark_na,
            kind: n.kind.label_vi(),
            prefilled: history
                .iter()
                // The last change of its points (an evidence linked since does not count).
                .rfind(|r| {
                    r.entry.entity == format!("{set_id}/{unit_code}/{code}")
                        && r.entry.action.starts_with("points")
                })
                .is_some_and(|r| r.entry.action == "points.prefill"),
            code,
        });
    }
    for l in &mut lines {
        l.typed = Typed::stored(l);
    }
    // A form that could not be saved shows again, with what was typed.
    let mut form_error = None;
    if let Some(e) = view.error.take()
        && let Some(l) = lines.iter_mut().find(|l| l.code == e.leaf)
    {
        form_error = Some((l.code.clone(), l.anchor.clone(), e.message.clone()));
        let f = e.form;
        match l.power {
            _ if e.field == "na_reason" => l.typed.na_reason = f.reason,
            "self" => {
                if l.computed_link.is_empty() {
                    l.typed.input.clone_from(&f.input);
                    for c in &mut l.choices {
                        c.2 = c.0 == f.input;
                    }
                }
                l.typed.note = f.note;
            }
            "appraise" => {
                l.typed.appraised.clone_from(&f.appraised);
                for c in &mut l.levels {
                    c.2 = c.0 == f.appraised;
                }
                l.typed.reason = f.reason;
            }
            "explain" => l.typed.text = f.text,
            _ => {
                l.typed.answer = f.reason;
                l.typed.final_points.clone_from(&f.final_points);
                for c in &mut l.levels {
                    c.2 = c.0 == f.final_points;
                }
            }
        }
        l.error_field = e.field;
        l.error = e.message;
    }
    let total = lines.len();
    let scored = total - missing.len();
    let gaps: Vec<(String, String, String)> = missing
        .iter()
        .map(|(code, anchor)| (code.clone(), anchor.clone(), t.not_scored_yet.to_string()))
        .chain(
            problems
                .iter()
                .map(|p| {
                    let code = p.split(':').next().unwrap_or_default().to_string();
                    let what = p
                        .get(code.len() + 1..)
                        .unwrap_or_default()
                        .trim()
                        .to_string();
                    (code.replace('.', "-"), what, code)
                })
                .map(|(anchor, what, code)| (code, anchor, what)),
        )
        .collect();
    let filters = Filter::ALL
        .into_iter()
        .map(|f| {
            let href = if f == Filter::All {
                format!("/sets/{set_id}/units/{unit_code}/assess")
            } else {
                format!("/sets/{set_id}/units/{unit_code}/assess?show={}", f.key())
            };
            let count = lines.iter().filter(|l| f.keeps(l)).count();
            (href, f.label(t).to_string(), count, f == view.filter)
        })
        .collect();
    let points_of = |code: &str, appraised: bool| {
        stored
            .get(code)
            .filter(|l| l.score.not_applicable.is_none())
            .and_then(|l| {
                if appraised {
                    l.score.appraised.or(l.score.final_points)
                } else {
                    l.score.self_points
                }
            })
    };
    // A penalty leaf's points count against the total.
    let sum = |codes: &[&str], appraised: bool| -> Points {
        codes
            .iter()
            .filter_map(|c| {
                let p = points_of(c, appraised)?;
                Some(match set.node(c).map(|n| n.kind) {
                    Some(parindex_domain::NodeKind::Penalty) => Points::ZERO - p,
                    _ => p,
                })
            })
            .sum()
    };
    // The unit's maxima: less the leaves that do not apply to it.
    let own_scores = parindex_domain::UnitScores {
        unit_code: unit_code.to_string(),
        unit_name: String::new(),
        group: String::new(),
        leaves: stored
            .iter()
            .filter_map(|(c, l)| Some((set.position(c)?, l.score.clone())))
            .collect(),
        line: 0,
    };
    let maxima = parindex_domain::scoring::node_maxima(&set, &own_scores);
    // Sections: the set's top-level criteria, each with its leaves.
    let mut sections: Vec<Section> = Vec::new();
    for (i, n) in set.nodes.iter().enumerate() {
        if n.parent.is_some() {
            continue;
        }
        let codes: Vec<&str> = set
            .leaves()
            .filter(|(j, _)| root_of(&set, *j) == i)
            .map(|(_, l)| l.code.as_str())
            .collect();
        let in_section: Vec<LeafLine> = Vec::new();
        // A section's points are its own kind's, as on the score card: a bonus or penalty
        // leaf inside it counts in the unit's total, not in the section's.
        let own_kind: Vec<&str> = codes
            .iter()
            .copied()
            .filter(|c| set.node(c).is_some_and(|l| l.kind == n.kind))
            .collect();
        let section_sum = |appraised: bool| -> Points {
            own_kind
                .iter()
                .filter_map(|c| points_of(c, appraised))
                .sum()
        };
        sections.push(Section {
            code: n.code.to_string(),
            anchor: format!("field-{}", n.code.as_str().replace('.', "-")),
            name: n.name.clone(),
            max: maxima[i].to_vi(p),
            self_total: section_sum(false).to_vi(p),
            appraised_total: if released {
                section_sum(true).to_vi(p)
            } else {
                String::new()
            },
            scored: codes
                .iter()
                .filter(|c| {
                    stored.get(**c).is_some_and(|l| {
                        l.score.not_applicable.is_some() || l.score.self_points.is_some()
                    })
                })
                .count(),
            total: codes.len(),
            lines: in_section,
        });
    }
    for l in lines {
        if !view.filter.keeps(&l) {
            continue;
        }
        let root = set.position(&l.code).map_or(0, |j| root_of(&set, j));
        let code = set.nodes[root].code.to_string();
        if let Some(sec) = sections.iter_mut().find(|s| s.code == code) {
            sec.lines.push(l);
        }
    }
    if view.filter != Filter::All {
        sections.retain(|s| !s.lines.is_empty());
    }
    let all: Vec<&str> = set.leaves().map(|(_, n)| n.code.as_str()).collect();
    let self_total = sum(&all, false).to_vi(p);
    let appraised_total = if released {
        sum(&all, true).to_vi(p)
    } else {
        String::new()
    };
    let max_total = parindex_domain::scoring::unit_totals(&set, &own_scores)
        .max
        .to_vi(p);
    let page = AssessPage {
        t,
        chrome: Chrome::new(
            lang,
            format!("{} — {}", t.assessment, unit.name),
            set.sample,
            Some(user),
        )
        .crumb(format!("/sets/{}/units/{unit_code}", set.id), t.score_card),
        set_id: set.id.clone(),
        set_name: set.name.clone(),
        unit_code: unit_code.to_string(),
        unit_name: unit.name,
        phase: phase
            .map_or(t.no_cycle, |p| {
                if lang == Lang::En {
                    p.label_en()
                } else {
                    p.label_vi()
                }
            })
            .to_string(),
        submitted: submission
            .map(|(at, by)| format!("{} · {by}", parindex_domain::text::local_time_vi(&at)))
            .unwrap_or_default(),
        closed,
        scored,
        total,
        can_submit,
        prefill_from,
        missing,
        sections,
        self_total,
        appraised_total,
        max_total,
        gaps,
        refused: view.refused,
        form_error,
        filters,
        released,
        unit_evidence: evidence
            .iter()
            .map(|e| (e.id, format!("{} — {}", e.id, e.meta.title)))
            .collect(),
        problems,
        back: format!("/sets/{set_id}/units/{unit_code}/assess"),
    };
    Ok((status, Html(page.render()?)).into_response())
}

#[derive(Deserialize, Default)]
pub struct LeafForm {
    #[serde(default)]
    pub csrf: String,
    #[serde(default)]
    pub revision: i64,
    pub action: String,
    #[serde(default)]
    pub input: String,
    #[serde(default)]
    pub note: String,
    #[serde(default)]
    pub appraised: String,
    #[serde(default)]
    pub reason: String,
    #[serde(default)]
    pub text: String,
    #[serde(default)]
    pub decision: String,
    #[serde(default)]
    pub final_points: String,
}

fn opt(s: &str) -> Option<String> {
    Some(s.trim().to_string()).filter(|s| !s.is_empty())
}

#[derive(Template)]
#[template(path = "conflict.html")]
pub struct ConflictPage {
    pub t: &'static Tr,
    pub chrome: Chrome,
    pub code: String,
    pub by: String,
    pub at: String,
    pub theirs: String,
    pub yours: String,
    pub back: String,
}

/// Why a leaf form was not saved.
enum Invalid {
    /// The user may not change the leaf now.
    Forbidden,
    /// A field's value is wrong: (field, message).
    Field(&'static str, String),
}

/// The change a leaf form asks for, checked against the leaf's rule.
fn leaf_change(
    f: &LeafForm,
    allowed: Option<Power>,
    node: &parindex_domain::Criterion,
    rule: &Rule,
    stored: Option<&StoredLeaf>,
    lang: Lang,
) -> Result<LeafChange, Invalid> {
    let say = |vi: &str, en: &str| {
        match lang {
            Lang::Vi => vi,
            Lang::En => en,
        }
        .to_string()
    };
    // The rule's own message in Vietnamese; in English, what the rule accepts.
    let rule_said = |field: &'static str, v: &str, vi: &str| {
        Invalid::Field(
            field,
            match lang {
                Lang::Vi => sentence(vi),
                Lang::En => format!(
                    "“{v}” is not accepted here (maximum {}; {}).",
                    node.max.to_plain(),
                    rule.describe_en()
                ),
            },
        )
    };
    let points = |field: &'static str, v: &str| {
        Points::parse(v).map_err(|e| rule_said(field, v, &format!("Điểm “{v}” {e}.")))
    };
    Ok(match (f.action.as_str(), allowed) {
        ("self", Some(Power::SelfAssess)) => {
            // A leaf that scores itself keeps the figure; only the note is the unit's.
            let input = if node.figure.is_some() {
                stored.and_then(|l| l.score.input.clone())
            } else {
                opt(&f.input)
            };
            let self_points = match &input {
                Some(i) => Some(
                    rule.points_from_input(node.max, i)
                        .map_err(|m| rule_said("input", i, &m))?,
                ),
                None => None,
            };
            LeafChange::SelfAssessment {
                input,
                self_points,
                note: opt(&f.note),
            }
        }
        ("appraise", Some(Power::Appraise)) => {
            let appraised = match opt(&f.appraised) {
                Some(a) => {
                    let p = points("appraised", &a)?;
                    rule.check_points(node.max, p)
                        .map_err(|m| rule_said("appraised", &a, &m))?;
                    Some(p)
                }
                None => None,
            };
            let self_points = stored.and_then(|l| l.score.self_points);
            let cut = matches!((appraised, self_points), (Some(a), Some(s)) if a < s);
            if cut && opt(&f.reason).is_none() {
                return Err(Invalid::Field(
                    "reason",
                    say(
                        "Cần ghi lý do khi chấm thấp hơn điểm tự đánh giá.",
                        "A reason is needed to give fewer points than the unit's own.",
                    ),
                ));
            }
            LeafChange::Appraisal {
                appraised,
                reason: opt(&f.reason),
            }
        }
        ("explain", Some(Power::Explain)) => {
            let text = opt(&f.text).ok_or_else(|| {
                Invalid::Field(
                    "text",
                    say("Cần ghi nội dung giải trình.", "Write the explanation."),
                )
            })?;
            LeafChange::Explanation { text }
        }
        ("answer", Some(Power::Answer)) => {
            let accepted = f.decision == "accept";
            let answer = opt(&f.reason).ok_or_else(|| {
                Invalid::Field(
                    "reason",
                    say(
                        "Cần ghi ý kiến trả lời giải trình.",
                        "Write the answer to the explanation.",
                    ),
                )
            })?;
            let final_points = if accepted {
                let given = opt(&f.final_points)
                    .map(|v| points("final_points", &v))
                    .transpose()?
                    .or_else(|| stored.and_then(|l| l.score.self_points));
                if let Some(p) = given {
                    rule.check_points(node.max, p)
                        .map_err(|m| rule_said("final_points", &p.to_plain(), &m))?;
                }
                given
            } else {
                None
            };
            LeafChange::Answer {
                accepted,
                final_points,
                answer,
            }
        }
        _ => return Err(Invalid::Forbidden),
    })
}

/// A rule's message as a sentence for the page: capital first, a full stop, Vietnamese
/// quotes instead of backticks.
fn sentence(m: &str) -> String {
    let mut out = String::with_capacity(m.len() + 4);
    let mut open = true;
    for c in m.chars() {
        if c == '`' {
            out.push(if open { '“' } else { '”' });
            open = !open;
        } else {
            out.push(c);
        }
    }
    let mut out = capitalise(out.trim());
    if !out.ends_with(['.', '!', '?', ')']) {
        out.push('.');
    }
    out
}

pub async fn save_leaf(
    State(st): State<AppState>,
    Path((set_id, unit_code, leaf_code)): Path<(String, String, String)>,
    LangPref(lang): LangPref,
    access: Access<act::EditAssessment>,
    Checked(f): Checked<LeafForm>,
) -> Result<Response, AppError> {
    let back = format!("/sets/{set_id}/units/{unit_code}/assess");
    let user = access.user;
    let (set, _, leaf, stored, allowed) =
        leaf_state(&st, &user, &set_id, &unit_code, &leaf_code).await?;
    let node = &set.nodes[leaf];
    let rule = node.rule.as_ref().ok_or(AppError::NotFound)?;
    let change = match leaf_change(&f, allowed, node, rule, stored.as_ref(), lang) {
        Ok(c) => c,
        Err(Invalid::Forbidden) => {
            return Err(AppError::said(
                StatusCode::FORBIDDEN,
                "Bạn không thể thay đổi tiêu chí này ở giai đoạn hiện tại (hoặc bản tự đánh giá đã gửi, hoặc đã hết hạn).",
                "You cannot change this criterion in the current phase (or the self-assessment is submitted, or the deadline has passed).",
            ));
        }
        Err(Invalid::Field(field, message)) => {
            let error = FormError {
                leaf: leaf_code.clone(),
                field,
                message,
                form: f,
            };
            return form_again(&st, lang, &user, &set_id, &unit_code, error).await;
        }
    };
    let outcome = st
        .db
        .save_leaf(
            &set,
            &unit_code,
            leaf,
            &change,
            f.revision,
            &user.user.username,
            &st.now(),
        )
        .await?;
    st.invalidate(&set_id);
    match outcome {
        SaveOutcome::Saved { .. } => Ok(crate::core::flash::done(
            &format!("{back}#leaf-{}", leaf_code.replace('.', "-")),
            crate::core::flash::Flash::Saved,
        )),
        SaveOutcome::Conflict { current } => {
            let t = lang.tr();
            let describe = |input: Option<&str>, points: Option<Points>| {
                format!(
                    "{} ({} {})",
                    input.unwrap_or("—"),
                    points.map_or_else(|| "—".into(), |p| p.to_vi(set.precision)),
                    t.points_word
                )
            };
            let yours = match &change {
                LeafChange::SelfAssessment {
                    input, self_points, ..
                }
                | LeafChange::Prefill {
                    input, self_points, ..
                } => describe(input.as_deref(), *self_points),
                LeafChange::Appraisal { appraised, .. } => describe(None, *appraised),
                LeafChange::Explanation { text } => text.clone(),
                LeafChange::Answer { answer, .. } => answer.clone(),
                LeafChange::Applicability { not_applicable } => {
                    not_applicable.clone().unwrap_or_default()
                }
            };
            let page = ConflictPage {
                t,
                chrome: Chrome::new(lang, t.conflict_title.to_string(), false, Some(&user)),
                code: leaf_code.clone(),
                by: current.updated_by.clone().unwrap_or_default(),
                at: parindex_domain::text::local_time_vi(&current.updated_at),
                theirs: describe(
                    current.score.input.as_deref(),
                    current.score.self_points.or(current.score.appraised),
                ),
                yours,
                back: format!("{back}#leaf-{}", leaf_code.replace('.', "-")),
            };
            Ok((StatusCode::CONFLICT, Html(page.render()?)).into_response())
        }
    }
}

/// The same page again, with what was typed and the message by the field (422).
async fn form_again(
    st: &AppState,
    lang: Lang,
    user: &SessionUser,
    set_id: &str,
    unit_code: &str,
    error: FormError,
) -> Result<Response, AppError> {
    let view = View {
        error: Some(error),
        ..View::default()
    };
    render_assessment(
        st,
        lang,
        user,
        set_id,
        unit_code,
        StatusCode::UNPROCESSABLE_ENTITY,
        view,
    )
    .await
}

/// The secretariat's form marking a leaf not applicable to a unit, or applicable again.
#[derive(Deserialize, Default)]
pub struct ApplicabilityForm {
    #[serde(default)]
    pub csrf: String,
    #[serde(default)]
    pub revision: i64,
    /// `no` to mark the leaf not applicable, `yes` to make it apply again.
    #[serde(default)]
    pub applies: String,
    #[serde(default)]
    pub reason: String,
}

/// The longest reason kept for a leaf that does not apply.
const NA_REASON_MAX: usize = 500;

pub async fn mark_applicability(
    State(st): State<AppState>,
    Path((set_id, unit_code, leaf_code)): Path<(String, String, String)>,
    LangPref(lang): LangPref,
    access: Access<act::MarkNotApplicable>,
    Checked(f): Checked<ApplicabilityForm>,
) -> Result<Response, AppError> {
    let back = format!(
        "/sets/{set_id}/units/{unit_code}/assess#leaf-{}",
        leaf_code.replace('.', "-")
    );
    let user = access.user;
    let (set, _, leaf, stored, _) = leaf_state(&st, &user, &set_id, &unit_code, &leaf_code).await?;
    let current = stored.as_ref().and_then(|l| l.score.not_applicable.clone());
    let reason = parindex_domain::text::nfc(f.reason.trim());
    let en = lang == Lang::En;
    let not_applicable = match f.applies.as_str() {
        "no" => {
            let problem = if reason.is_empty() {
                Some(if en {
                    "Write why the criterion does not apply to the unit (e.g. the unit has no administrative procedures)."
                } else {
                    "Hãy ghi lý do tiêu chí không áp dụng cho đơn vị (ví dụ: đơn vị không có thủ tục hành chính)."
                })
            } else if reason.chars().count() > NA_REASON_MAX {
                Some(if en {
                    "The reason is longer than 500 characters; please shorten it."
                } else {
                    "Lý do dài quá 500 ký tự; hãy viết ngắn gọn hơn."
                })
            } else if current.as_deref() == Some(reason.as_str()) {
                Some(if en {
                    "The criterion is already marked not applicable for this reason."
                } else {
                    "Tiêu chí đã được đánh dấu không áp dụng với lý do này."
                })
            } else {
                None
            };
            if let Some(message) = problem {
                let error = FormError {
                    leaf: leaf_code.clone(),
                    field: "na_reason",
                    message: message.to_string(),
                    form: LeafForm {
                        reason,
                        ..LeafForm::default()
                    },
                };
                return form_again(&st, lang, &user, &set_id, &unit_code, error).await;
            }
            Some(reason)
        }
        "yes" if current.is_some() => None,
        "yes" => {
            return Err(AppError::said(
                StatusCode::BAD_REQUEST,
                "Tiêu chí này đang được áp dụng cho đơn vị; không có gì thay đổi.",
                "This criterion already applies to the unit; nothing changed.",
            ));
        }
        _ => {
            return Err(AppError::said(
                StatusCode::BAD_REQUEST,
                "Hãy chọn áp dụng hoặc không áp dụng.",
                "Choose whether the criterion applies.",
            ));
        }
    };
    let outcome = st
        .db
        .save_leaf(
            &set,
            &unit_code,
            leaf,
            &LeafChange::Applicability { not_applicable },
            f.revision,
            &user.user.username,
            &st.now(),
        )
        .await?;
    st.invalidate(&set_id);
    match outcome {
        SaveOutcome::Saved { .. } => Ok(crate::core::flash::done(
            &back,
            crate::core::flash::Flash::Saved,
        )),
        SaveOutcome::Conflict { current } => Err(AppError::said(
            StatusCode::CONFLICT,
            format!(
                "Tiêu chí {leaf_code} vừa được {} thay đổi; hãy mở lại trang và thử lại.",
                current.updated_by.unwrap_or_default()
            ),
            format!(
                "Criterion {leaf_code} was just changed by someone else; reload the page and try again."
            ),
        )),
    }
}

#[derive(Deserialize, Default)]
pub struct SubmitForm {
    #[serde(default)]
    pub csrf: String,
    /// `yes` on the confirmation step.
    #[serde(default)]
    pub confirm: String,
}

pub async fn submit_assessment(
    State(st): State<AppState>,
    Path((set_id, unit_code)): Path<(String, String)>,
    LangPref(lang): LangPref,
    access: Access<act::Submit>,
    Checked(f): Checked<SubmitForm>,
) -> Result<Response, AppError> {
    let back = format!("/sets/{set_id}/units/{unit_code}/assess");
    let user = access.user;
    let (set, _) = load(&st, &set_id).await?;
    let stored: std::collections::HashMap<String, StoredLeaf> = st
        .db
        .unit_leaves(&set_id, &unit_code)
        .await?
        .into_iter()
        .collect();
    let unscored = set
        .leaves()
        .filter(|(_, n)| {
            stored
                .get(n.code.as_str())
                .is_none_or(|l| l.score.self_points.is_none() && l.score.not_applicable.is_none())
        })
        .count();
    let evidence = st.db.unit_evidence(&unit_code).await?;
    let links = st.db.leaf_evidence(&set_id, &unit_code).await?;
    let problems = evidence_problems(&set, &stored, &links, &evidence);
    if unscored > 0 || !problems.is_empty() {
        // Every gap at once, each linked to its criterion, on the page itself.
        let view = View {
            refused: true,
            ..View::default()
        };
        return render_assessment(
            &st,
            lang,
            &user,
            &set_id,
            &unit_code,
            StatusCode::UNPROCESSABLE_ENTITY,
            view,
        )
        .await;
    }
    if !crate::core::confirm::confirmed(&f.confirm) {
        let t = lang.tr();
        let unit_name = st
            .db
            .unit(&unit_code)
            .await?
            .map_or_else(|| unit_code.clone(), |u| u.name);
        let total: Points = set
            .leaves()
            .filter_map(|(_, n)| {
                stored
                    .get(n.code.as_str())
                    .and_then(|l| l.score.self_points)
            })
            .sum();
        return crate::core::confirm::ask(
            lang,
            &user,
            t.confirm_submit_title.to_string(),
            t.confirm_submit_text.to_string(),
            vec![
                format!("{}: {unit_name}", t.unit),
                set.name.clone(),
                format!("{}: {}/{}", t.scored_of, set.leaf_count(), set.leaf_count()),
                format!("{}: {}", t.total_self, total.to_vi(set.precision)),
            ],
            format!("/sets/{set_id}/units/{unit_code}/submit"),
            Vec::new(),
            false,
            back,
        );
    }
    st.db
        .submit_assessment(&set_id, &unit_code, &user.user.username, &st.now())
        .await
        .map_err(|e| match e {
            parindex_db::DbError::Conflict(m) => AppError::BadRequest(m),
            other => other.into(),
        })?;
    st.invalidate(&set_id);
    Ok(crate::core::flash::done(
        &back,
        crate::core::flash::Flash::Submitted,
    ))
}

#[derive(Deserialize)]
pub struct DelegateForm {
    #[serde(default)]
    pub csrf: String,
    #[serde(default)]
    pub division: String,
}

/// The focal point (or leader) hands a leaf to one of the unit's divisions.
pub async fn delegate_leaf(
    State(st): State<AppState>,
    Path((set_id, unit_code, leaf_code)): Path<(String, String, String)>,
    access: Access<act::Delegate>,
    Checked(f): Checked<DelegateForm>,
) -> Result<Response, AppError> {
    let back = format!("/sets/{set_id}/units/{unit_code}/assess");
    let user = access.user;
    // The leaf must exist in the set.
    leaf_state(&st, &user, &set_id, &unit_code, &leaf_code).await?;
    let division = Some(f.division.trim()).filter(|d| !d.is_empty());
    st.db
        .set_delegation(
            &set_id,
            &unit_code,
            &leaf_code,
            division,
            &user.user.username,
            &st.now(),
        )
        .await
        .map_err(|e| match e {
            parindex_db::DbError::Conflict(m) => AppError::BadRequest(m),
            other => other.into(),
        })?;
    Ok(crate::core::flash::done(
        &format!("{back}#leaf-{}", leaf_code.replace('.', "-")),
        crate::core::flash::Flash::Delegated,
    ))
}
