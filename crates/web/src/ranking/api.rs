//! JSON API `/api/v1`: the same data as the pages, in the shapes of `criteria-set.md`.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use parindex_domain::RankingReport;
use serde::Serialize;

use crate::core::error::AppError;
use crate::core::state::AppState;
use crate::extract::MaybeUser;
use crate::ranking::pages::{ViewQuery, as_seen_by, check_visible, shows_rank, unit_scores};

fn reply<T: Serialize>(r: Result<T, AppError>) -> Response {
    match r {
        Ok(v) => Json(v).into_response(),
        // The error middleware renders it as JSON in the request's language.
        Err(e) => e.into_response(),
    }
}

#[derive(Serialize)]
struct SetItem {
    id: String,
    name: String,
    year: i64,
    level: String,
    total_max: String,
    leaves: i64,
    units_scored: i64,
}

pub async fn list_sets(State(st): State<AppState>) -> Response {
    reply(
        async {
            let sets = st.db.list_sets().await?;
            Ok(sets
                .into_iter()
                .map(|s| SetItem {
                    total_max: s.total_max.to_fixed(3),
                    id: s.id,
                    name: s.name,
                    year: s.year,
                    level: s.level,
                    leaves: s.leaves,
                    units_scored: s.units_scored,
                })
                .collect::<Vec<_>>())
        }
        .await,
    )
}

#[derive(Serialize)]
struct NodeItem {
    code: String,
    name: String,
    parent: Option<String>,
    max: String,
    /// `regular`, `bonus` or `penalty`.
    kind: &'static str,
    rule: Option<&'static str>,
    rule_text: Option<String>,
    evidence: Option<String>,
    owner: Option<String>,
}

#[derive(Serialize)]
struct SetDetail {
    id: String,
    name: String,
    year: i32,
    level: &'static str,
    legal_basis: Option<String>,
    precision: u8,
    sample: bool,
    /// `score` or `index`.
    rank_by: &'static str,
    total_max: String,
    nodes: Vec<NodeItem>,
}

pub async fn show_set(State(st): State<AppState>, Path(set_id): Path<String>) -> Response {
    reply(
        async {
            let set = st.db.load_set(&set_id).await?.ok_or(AppError::NotFound)?;
            let p = set.precision;
            Ok(SetDetail {
                nodes: set
                    .nodes
                    .iter()
                    .map(|n| NodeItem {
                        code: n.code.to_string(),
                        name: n.name.clone(),
                        parent: n.parent.map(|i| set.nodes[i].code.to_string()),
                        max: n.max.to_fixed(p),
                        kind: n.kind.as_str(),
                        rule: n.rule.as_ref().map(parindex_domain::Rule::kind),
                        rule_text: n.rule.as_ref().map(parindex_domain::Rule::describe_vi),
                        evidence: n.evidence.clone(),
                        owner: n.owner.clone(),
                    })
                    .collect(),
                total_max: set.total_max().to_fixed(p),
                id: set.id,
                name: set.name,
                year: set.year,
                level: set.level.as_str(),
                legal_basis: set.legal_basis,
                precision: p,
                sample: set.sample,
                rank_by: set.rank_by.as_str(),
            })
        }
        .await,
    )
}

pub async fn show_ranking(
    State(st): State<AppState>,
    Path(set_id): Path<String>,
    MaybeUser(user): MaybeUser,
    Query(q): Query<ViewQuery>,
) -> Response {
    reply(
        async {
            let c = st.computed(&set_id).await?;
            check_visible(&st, &c, user.as_ref(), None, "")?;
            let results: Vec<_> = match q.group.as_deref() {
                Some(g) => c.results.iter().filter(|r| r.group == g).cloned().collect(),
                None => c.results.clone(),
            };
            Ok(RankingReport::new(&c.set, &results))
        }
        .await,
    )
}

pub async fn show_unit(
    State(st): State<AppState>,
    Path((set_id, unit_code)): Path<(String, String)>,
    MaybeUser(user): MaybeUser,
) -> Response {
    reply(
        async {
            let c = st.computed(&set_id).await?;
            check_visible(&st, &c, user.as_ref(), Some(&unit_code), "")?;
            let unit = as_seen_by(&c, user.as_ref(), &unit_scores(&st, &c, &unit_code).await?);
            let result = match c.result(&unit_code) {
                Some(r) if shows_rank(&c, user.as_ref()) => r.clone(),
                _ => parindex_domain::rank_units(&c.set, std::slice::from_ref(&unit))
                    .pop()
                    .ok_or(AppError::NotFound)?,
            };
            Ok(RankingReport::new(&c.set, &[result]).with_leaves(&c.set, &unit))
        }
        .await,
    )
}

/// A hand-written OpenAPI 3.1 description of the endpoints above.
pub async fn openapi() -> Response {
    let ranking_row = serde_json::json!({
        "type": "object",
        "required": ["unit_code", "unit_name", "group", "score", "index", "rank", "of", "lost", "max", "bonus", "penalty"],
        "properties": {
            "unit_code": {"type": "string"}, "unit_name": {"type": "string"}, "group": {"type": "string"},
            "score": {"type": "string", "description": "decimal with the set's precision, dot separator"},
            "index": {"type": "string"}, "band": {"type": ["string", "null"]},
            "rank": {"type": "integer"}, "of": {"type": "integer"}, "lost": {"type": "string"},
            "max": {"type": "string", "description": "the unit's maximum: the sum of its applicable regular leaves"},
            "bonus": {"type": "string"}, "penalty": {"type": "string"},
            "leaves": {"type": "array", "items": {"type": "object"}}
        }
    });
    let report = serde_json::json!({
        "type": "object",
        "properties": {
            "criteria_set": {"type": "string"}, "total_max": {"type": "string"},
            "units": {"type": "array", "items": {"$ref": "#/components/schemas/RankingRow"}}
        }
    });
    let set_param = serde_json::json!({"name": "set_id", "in": "path", "required": true, "schema": {"type": "string"}});
    let doc = serde_json::json!({
        "openapi": "3.1.0",
        "info": {"title": "parindex API", "version": env!("CARGO_PKG_VERSION"),
                 "description": "Chỉ số cải cách hành chính — bộ chỉ số, xếp hạng, phiếu điểm."},
        "paths": {
            "/api/v1/sets": {"get": {"summary": "Danh sách bộ chỉ số", "responses": {"200": {"description": "OK"}}}},
            "/api/v1/sets/{set_id}": {"get": {"summary": "Một bộ chỉ số với cây tiêu chí", "parameters": [set_param],
                "responses": {"200": {"description": "OK"}, "404": {"description": "Không tìm thấy"}}}},
            "/api/v1/sets/{set_id}/ranking": {"get": {"summary": "Xếp hạng", "parameters": [set_param,
                {"name": "group", "in": "query", "required": false, "schema": {"type": "string"}}],
                "responses": {"200": {"description": "OK", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/RankingReport"}}}}}}},
            "/api/v1/sets/{set_id}/units/{unit_code}": {"get": {"summary": "Phiếu điểm của một đơn vị", "parameters": [set_param,
                {"name": "unit_code", "in": "path", "required": true, "schema": {"type": "string"}}],
                "responses": {"200": {"description": "OK", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/RankingReport"}}}}, "404": {"description": "Không tìm thấy"}}}}
        },
        "components": {"schemas": {"RankingRow": ranking_row, "RankingReport": report}}
    });
    Json(doc).into_response()
}
