//! Totals, index %, bands, ranks and lost points.

use serde::Serialize;

use crate::criteria::CriteriaSet;
use crate::points::Points;
use crate::scores::UnitScores;

/// A unit's computed result against a set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitResult {
    pub unit_code: String,
    pub unit_name: String,
    pub group: String,
    /// Exact sum of effective leaf points.
    pub raw_score: Points,
    /// Rounded to the set's precision: what is displayed and ranked.
    pub score: Points,
    pub index: Points,
    pub band: Option<String>,
    pub rank: u32,
    pub of: u32,
    pub lost: Points,
}

/// Points of every node (by position) for one unit: leaves' effective points summed upwards.
pub fn node_totals(set: &CriteriaSet, unit: &UnitScores) -> Vec<Points> {
    totals_by(set, |i| {
        unit.leaves.get(&i).map_or(Points::ZERO, |l| l.effective)
    })
}

/// Points of every node (by position), each leaf's given by `leaf_points` (by position)
/// and summed upwards: the unit's own points, the effective ones…
pub fn totals_by(set: &CriteriaSet, leaf_points: impl Fn(usize) -> Points) -> Vec<Points> {
    let mut totals = vec![Points::ZERO; set.nodes.len()];
    // Nodes are in pre-order, so walking backwards adds every child before its parent.
    for i in (0..set.nodes.len()).rev() {
        let n = &set.nodes[i];
        if n.is_leaf() {
            totals[i] = leaf_points(i);
        }
        if let Some(p) = n.parent {
            totals[p] = totals[p] + totals[i];
        }
    }
    totals
}

/// The points a unit lost on every criterion, leaf or group, by code: the criterion's
/// maximum less the unit's points under it (criteria without a loss are left out).
pub fn lost_by_code(
    set: &CriteriaSet,
    unit: &UnitScores,
) -> std::collections::HashMap<String, Points> {
    node_totals(set, unit)
        .into_iter()
        .zip(&set.nodes)
        .filter(|(total, n)| n.max > *total)
        .map(|(total, n)| (n.code.to_string(), n.max - total))
        .collect()
}

/// The points at stake on a list of criteria: what was lost on each, counting a criterion
/// that sits inside another listed one only once (with the outer one).
pub fn stake<S: std::hash::BuildHasher>(
    set: &CriteriaSet,
    lost: &std::collections::HashMap<String, Points, S>,
    codes: &[String],
) -> Points {
    let inside_another = |code: &str| {
        let mut at = set.position(code).and_then(|i| set.nodes[i].parent);
        while let Some(i) = at {
            if codes.iter().any(|c| c == set.nodes[i].code.as_str()) {
                return true;
            }
            at = set.nodes[i].parent;
        }
        false
    };
    let mut seen: Vec<&str> = Vec::new();
    let mut total = Points::ZERO;
    for c in codes {
        if seen.contains(&c.as_str()) || inside_another(c) {
            continue;
        }
        seen.push(c);
        total = total + lost.get(c).copied().unwrap_or(Points::ZERO);
    }
    total
}

/// `score / total_max × 100`, rounded half-up to `precision` decimals.
pub fn index_of(score: Points, total_max: Points, precision: u8) -> Points {
    if total_max.thousandths() <= 0 {
        return Points::ZERO;
    }
    // In thousandths: score × 100 / total_max, then in units of the precision.
    let unit = 10_i128.pow(3 - u32::from(precision.min(3)));
    let num = i128::from(score.thousandths()) * 100_000;
    let den = i128::from(total_max.thousandths()) * unit;
    let q = (num * 2 + den).div_euclid(den * 2) * unit;
    Points::from_thousandths(i64::try_from(q).unwrap_or(i64::MAX))
}

/// Standard competition ranks (1, 2, 2, 4) of scores already sorted descending.
pub fn competition_ranks(sorted_desc: &[Points]) -> Vec<u32> {
    let mut ranks = Vec::with_capacity(sorted_desc.len());
    for (i, s) in sorted_desc.iter().enumerate() {
        let r = if i > 0 && sorted_desc[i - 1] == *s {
            ranks[i - 1]
        } else {
            u32::try_from(i + 1).unwrap_or(u32::MAX)
        };
        ranks.push(r);
    }
    ranks
}

/// Scores and ranks every unit; ordered by group, then rank, then unit code.
pub fn rank_units(set: &CriteriaSet, units: &[UnitScores]) -> Vec<UnitResult> {
    let total_max = set.total_max();
    let mut out: Vec<UnitResult> = units
        .iter()
        .map(|u| {
            let raw: Points = u.leaves.values().map(|l| l.effective).sum();
            score_result(set, u, raw, total_max)
        })
        .collect();
    assign_ranks(&mut out);
    out
}

fn score_result(set: &CriteriaSet, u: &UnitScores, raw: Points, total_max: Points) -> UnitResult {
    let score = raw.round_to(set.precision);
    let index = index_of(score, total_max, set.precision);
    UnitResult {
        unit_code: u.unit_code.clone(),
        unit_name: u.unit_name.clone(),
        group: u.group.clone(),
        raw_score: raw,
        score,
        index,
        band: set.band_for(index).map(str::to_string),
        rank: 0,
        of: 0,
        lost: (total_max - score).round_to(set.precision),
    }
}

/// Sorts by group, score descending, code; fills `rank` and `of` within each group.
pub fn assign_ranks(results: &mut [UnitResult]) {
    results.sort_by(|a, b| {
        a.group
            .cmp(&b.group)
            .then(b.score.cmp(&a.score))
            .then(a.unit_code.cmp(&b.unit_code))
    });
    let mut start = 0;
    while start < results.len() {
        let group = results[start].group.clone();
        let end = results[start..]
            .iter()
            .position(|r| r.group != group)
            .map_or(results.len(), |p| start + p);
        let scores: Vec<Points> = results[start..end].iter().map(|r| r.score).collect();
        let ranks = competition_ranks(&scores);
        let of = u32::try_from(end - start).unwrap_or(u32::MAX);
        for (r, rank) in results[start..end].iter_mut().zip(ranks) {
            r.rank = rank;
            r.of = of;
        }
        start = end;
    }
}

/// The JSON shape of `parindex score` and `parindex ranking` (`criteria-set.md`).
#[derive(Debug, Clone, Serialize)]
pub struct RankingReport {
    pub criteria_set: String,
    pub total_max: String,
    pub units: Vec<RankingRow>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RankingRow {
    pub unit_code: String,
    pub unit_name: String,
    pub group: String,
    pub score: String,
    pub index: String,
    pub band: Option<String>,
    pub rank: u32,
    pub of: u32,
    pub lost: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub leaves: Option<Vec<LeafRow>>,
}

#[derive(Debug, Clone, Serialize)]
pub struct LeafRow {
    pub code: String,
    pub name: String,
    pub max: String,
    #[serde(rename = "self")]
    pub self_points: Option<String>,
    pub appraised: Option<String>,
    #[serde(rename = "final")]
    pub final_points: Option<String>,
    pub input: Option<String>,
    pub note: Option<String>,
    pub effective: String,
    pub lost: String,
}

impl RankingReport {
    pub fn new(set: &CriteriaSet, results: &[UnitResult]) -> Self {
        let p = set.precision;
        RankingReport {
            criteria_set: set.id.clone(),
            total_max: set.total_max().to_fixed(p),
            units: results
                .iter()
                .map(|r| RankingRow {
                    unit_code: r.unit_code.clone(),
                    unit_name: r.unit_name.clone(),
                    group: r.group.clone(),
                    score: r.score.to_fixed(p),
                    index: r.index.to_fixed(p),
                    band: r.band.clone(),
                    rank: r.rank,
                    of: r.of,
                    lost: r.lost.to_fixed(p),
                    leaves: None,
                })
                .collect(),
        }
    }

    /// Adds the `leaves` array to the row of `unit`.
    #[must_use]
    pub fn with_leaves(mut self, set: &CriteriaSet, unit: &UnitScores) -> Self {
        let p = set.precision;
        let f = |x: Option<Points>| x.map(|v| v.to_fixed(p));
        let leaves = set
            .leaves()
            .map(|(i, n)| {
                let l = unit.leaves.get(&i).cloned().unwrap_or_default();
                LeafRow {
                    code: n.code.to_string(),
                    name: n.name.clone(),
                    max: n.max.to_fixed(p),
                    self_points: f(l.self_points),
                    appraised: f(l.appraised),
                    final_points: f(l.final_points),
                    input: l.input.clone(),
                    note: l.note.clone(),
                    effective: l.effective.to_fixed(p),
                    lost: (n.max - l.effective).to_fixed(p),
                }
            })
            .collect();
        if let Some(row) = self
            .units
            .iter_mut()
            .find(|r| r.unit_code == unit.unit_code)
        {
            row.leaves = Some(leaves);
        }
        self
    }
}
