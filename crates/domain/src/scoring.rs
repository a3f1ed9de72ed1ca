//! Totals, index %, bands, ranks and lost points.

use serde::Serialize;

use crate::criteria::{CriteriaSet, NodeKind, RankBy};
use crate::points::Points;
use crate::scores::UnitScores;

/// A unit's computed result against a set (`criteria-set.md`, "Not applicable, bonus and
/// penalty, ranking by index").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitResult {
    pub unit_code: String,
    pub unit_name: String,
    pub group: String,
    /// Exact `regular + bonus − penalty`.
    pub raw_score: Points,
    /// Rounded to the set's precision: what is displayed (and ranked, by default).
    pub score: Points,
    pub index: Points,
    pub band: Option<String>,
    pub rank: u32,
    pub of: u32,
    /// `max − regular`, rounded.
    pub lost: Points,
    /// The sum of the maxima of the unit's applicable regular leaves.
    pub max: Points,
    pub bonus: Points,
    pub penalty: Points,
}

/// A unit's sums over its leaves: the maximum of the applicable regular leaves and the
/// points of the regular, bonus and penalty leaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Totals {
    pub max: Points,
    pub regular: Points,
    pub bonus: Points,
    pub penalty: Points,
}

impl Totals {
    /// `regular + bonus − penalty`, exact.
    pub fn score(&self) -> Points {
        self.regular + self.bonus - self.penalty
    }
}

/// Whether a leaf (by position) does not apply to the unit.
pub fn not_applicable(unit: &UnitScores, leaf: usize) -> bool {
    unit.leaves
        .get(&leaf)
        .is_some_and(|l| l.not_applicable.is_some())
}

/// The points a leaf counts for: its effective points, 0 where it does not apply.
fn counted(unit: &UnitScores, leaf: usize) -> Points {
    unit.leaves
        .get(&leaf)
        .filter(|l| l.not_applicable.is_none())
        .map_or(Points::ZERO, |l| l.effective)
}

/// A unit's maximum, regular, bonus and penalty points.
pub fn unit_totals(set: &CriteriaSet, unit: &UnitScores) -> Totals {
    let mut t = Totals::default();
    for (i, n) in set.leaves() {
        if not_applicable(unit, i) {
            continue;
        }
        let points = counted(unit, i);
        match n.kind {
            NodeKind::Regular => {
                t.max = t.max + n.max;
                t.regular = t.regular + points;
            }
            NodeKind::Bonus => t.bonus = t.bonus + points,
            NodeKind::Penalty => t.penalty = t.penalty + points,
        }
    }
    t
}

/// Points of every node (by position) for one unit: leaves' effective points summed upwards
/// (0 for a leaf that does not apply).
pub fn node_totals(set: &CriteriaSet, unit: &UnitScores) -> Vec<Points> {
    totals_by(set, |i| counted(unit, i))
}

/// The unit's maximum of every node (by position): the node's maximum less the leaves under
/// it that do not apply to the unit.
pub fn node_maxima(set: &CriteriaSet, unit: &UnitScores) -> Vec<Points> {
    totals_by(set, |i| {
        if not_applicable(unit, i) {
            Points::ZERO
        } else {
            set.nodes[i].max
        }
    })
}

/// Points of every node (by position), each leaf's given by `leaf_points` (by position)
/// and summed upwards: the unit's own points, the effective ones… A bonus or penalty node
/// inside a regular one is not added to it (it sits outside every maximum).
pub fn totals_by(set: &CriteriaSet, leaf_points: impl Fn(usize) -> Points) -> Vec<Points> {
    let mut totals = vec![Points::ZERO; set.nodes.len()];
    // Nodes are in pre-order, so walking backwards adds every child before its parent.
    for i in (0..set.nodes.len()).rev() {
        let n = &set.nodes[i];
        if n.is_leaf() {
            totals[i] = leaf_points(i);
        }
        if let Some(p) = n.parent
            && set.nodes[p].kind == n.kind
        {
            totals[p] = totals[p] + totals[i];
        }
    }
    totals
}

/// A unit's score from node totals (as `totals_by` gives them): the regular parts plus the
/// bonus parts less the penalty parts, each part counted once at its outermost node.
pub fn score_from(set: &CriteriaSet, totals: &[Points]) -> Points {
    set.nodes
        .iter()
        .enumerate()
        .filter(|(_, n)| n.parent.is_none_or(|p| set.nodes[p].kind != n.kind))
        .fold(Points::ZERO, |acc, (i, n)| match n.kind {
            NodeKind::Penalty => acc - totals[i],
            NodeKind::Regular | NodeKind::Bonus => acc + totals[i],
        })
}

/// The points a unit lost on every criterion, leaf or group, by code: the criterion's
/// maximum less the unit's points under it (criteria without a loss are left out).
pub fn lost_by_code(
    set: &CriteriaSet,
    unit: &UnitScores,
) -> std::collections::HashMap<String, Points> {
    node_totals(set, unit)
        .into_iter()
        .zip(node_maxima(set, unit))
        .zip(&set.nodes)
        .filter(|((total, max), n)| n.kind == NodeKind::Regular && max > total)
        .map(|((total, max), n)| (n.code.to_string(), max - total))
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
    let mut out: Vec<UnitResult> = units.iter().map(|u| score_result(set, u)).collect();
    assign_ranks(&mut out, set.rank_by);
    out
}

fn score_result(set: &CriteriaSet, u: &UnitScores) -> UnitResult {
    let p = set.precision;
    let t = unit_totals(set, u);
    let raw = t.score();
    let score = raw.round_to(p);
    // From the exact score: a score rounded up (precision 0, a maximum of 3,828) would
    // otherwise give an index above 100.
    let index = index_of(raw, t.max, p);
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
        // Exact, then rounded: never below 0, and at the set's usual 3 decimals the score
        // and the loss add up to the maximum.
        lost: (t.max - t.regular).round_to(p),
        max: t.max,
        bonus: t.bonus,
        penalty: t.penalty,
    }
}

/// Sorts by group, the `rank_by` value descending, code; fills `rank` and `of` within
/// each group.
pub fn assign_ranks(results: &mut [UnitResult], rank_by: RankBy) {
    let key = |r: &UnitResult| match rank_by {
        RankBy::Score => r.score,
        RankBy::Index => r.index,
    };
    results.sort_by(|a, b| {
        a.group
            .cmp(&b.group)
            .then(key(b).cmp(&key(a)))
            .then(a.unit_code.cmp(&b.unit_code))
    });
    let mut start = 0;
    while start < results.len() {
        let group = results[start].group.clone();
        let end = results[start..]
            .iter()
            .position(|r| r.group != group)
            .map_or(results.len(), |p| start + p);
        let scores: Vec<Points> = results[start..end].iter().map(key).collect();
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
    /// The unit's maximum: the applicable regular leaves' (below the set's `total_max`
    /// when some leaves do not apply to it).
    pub max: String,
    pub bonus: String,
    pub penalty: String,
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
    /// `regular`, `bonus` or `penalty`.
    pub kind: &'static str,
    /// The leaf does not apply to the unit: no points, nothing lost, not in its maximum.
    pub not_applicable: bool,
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
                    max: r.max.to_fixed(p),
                    bonus: r.bonus.to_fixed(p),
                    penalty: r.penalty.to_fixed(p),
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
                    lost: if l.not_applicable.is_some() || n.kind != NodeKind::Regular {
                        Points::ZERO
                    } else {
                        n.max - l.effective
                    }
                    .to_fixed(p),
                    kind: n.kind.as_str(),
                    not_applicable: l.not_applicable.is_some(),
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
