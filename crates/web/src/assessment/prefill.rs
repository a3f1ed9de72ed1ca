//! "Bắt đầu từ năm trước": a unit's empty leaves filled from its self-assessment of the
//! previous year's set, through the mapping of criteria — inputs the new rule can read,
//! notes and evidence links — as a draft (each leaf's history says where it came from).

use std::collections::HashMap;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use parindex_db::{LeafChange, StoredLeaf};

use crate::core::error::AppError;
use crate::core::state::AppState;
use crate::extract::access::{Access, act};
use crate::extract::form::Checked;

/// What a prefill did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Prefilled {
    pub leaves: usize,
    pub links: usize,
    /// Last year's inputs the new rule cannot read (an option renamed…): left empty.
    pub unreadable: usize,
}

/// Whether a leaf holds nothing of the unit's own yet.
fn empty(l: Option<&StoredLeaf>) -> bool {
    l.is_none_or(|c| {
        c.score.self_points.is_none()
            && c.score.input.is_none()
            && c.score.note.is_none()
            && c.score.not_applicable.is_none()
    })
}

/// Fills `unit`'s empty leaves of `set_id` from the previous set it was assessed in.
pub async fn prefill_from_last_year(
    st: &AppState,
    set_id: &str,
    unit: &str,
    actor: &str,
) -> Result<Prefilled, AppError> {
    let to = st.db.load_set(set_id).await?.ok_or(AppError::NotFound)?;
    let from = st.db.previous_assessment(&to, unit).await?.ok_or_else(|| {
        AppError::said(
            StatusCode::CONFLICT,
            "Đơn vị chưa có bản tự đánh giá của năm trước để lấy lại.",
            "The unit has no self-assessment of an earlier year to start from.",
        )
    })?;
    let mapping = st.db.mapping_in_force(&from, &to).await?;
    let before: HashMap<String, StoredLeaf> = st
        .db
        .unit_leaves(&from.id, unit)
        .await?
        .into_iter()
        .collect();
    let now: HashMap<String, StoredLeaf> =
        st.db.unit_leaves(&to.id, unit).await?.into_iter().collect();
    let old_links = st.db.leaf_evidence(&from.id, unit).await?;
    let new_links = st.db.leaf_evidence(&to.id, unit).await?;
    let at = st.now();
    let mut out = Prefilled::default();
    for m in &mapping {
        let (Some(i), Some(from_code)) = (to.position(&m.to), m.from.as_deref()) else {
            continue;
        };
        let node = &to.nodes[i];
        if !node.is_leaf() {
            continue;
        }
        let current = now.get(&m.to);
        if current.is_some_and(|c| c.score.not_applicable.is_some()) {
            continue;
        }
        // Only a leaf still empty, from a leaf that applied last year.
        let Some(old) = before
            .get(from_code)
            .filter(|o| o.score.not_applicable.is_none())
        else {
            continue;
        };
        if !empty(current) {
            continue;
        }
        if let Some(rule) = node.rule.as_ref() {
            // A leaf that scores itself (dossiers, an indicator) computes its own input.
            let (input, self_points) = match old.score.input.as_deref() {
                Some(v) if node.figure.is_none() && node.indicator.is_none() => {
                    match rule.points_from_input(node.max, v) {
                        Ok(p) => (Some(v.to_string()), Some(p)),
                        Err(_) => {
                            out.unreadable += 1;
                            (None, None)
                        }
                    }
                }
                _ => (None, None),
            };
            let note = old.score.note.clone();
            if input.is_some() || note.is_some() {
                let change = LeafChange::Prefill {
                    input,
                    self_points,
                    note,
                    from: format!("{} {from_code}", from.id),
                };
                let revision = current.map_or(0, |c| c.revision);
                if let parindex_db::SaveOutcome::Saved { .. } = st
                    .db
                    .save_leaf(&to, unit, i, &change, revision, actor, &at)
                    .await?
                {
                    out.leaves += 1;
                }
            }
        }
        for (_, id) in old_links.iter().filter(|(c, _)| c == from_code) {
            if !new_links.iter().any(|(c, e)| *c == m.to && e == id) {
                st.db
                    .link_evidence(&to.id, unit, &m.to, *id, actor, &at)
                    .await?;
                out.links += 1;
            }
        }
    }
    Ok(out)
}

pub async fn prefill(
    State(st): State<AppState>,
    Path((set_id, unit_code)): Path<(String, String)>,
    access: Access<act::Prefill>,
    Checked(_form): Checked<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let done = prefill_from_last_year(&st, &set_id, &unit_code, &access.user.user.username).await;
    // Whatever was saved before a failure shows at once.
    st.invalidate(&set_id);
    let done = done?;
    let flash = if done.leaves + done.links == 0 {
        crate::core::flash::Flash::PrefillNothing
    } else {
        crate::core::flash::Flash::Prefilled
    };
    Ok(crate::core::flash::done(
        &format!("/sets/{set_id}/units/{unit_code}/assess"),
        flash,
    ))
}
