//! What-if: a unit's standing if some of its leaves had other points, every other unit
//! unchanged (`parindex whatif`, the director's foresight).

use serde::Serialize;

use crate::criteria::CriteriaSet;
use crate::points::Points;
use crate::scores::UnitScores;
use crate::scoring::{UnitResult, rank_units};

/// A unit's standing in its group; decimals as strings with the set's precision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Standing {
    pub score: String,
    pub index: String,
    pub rank: u32,
    pub of: u32,
    pub band: Option<String>,
}

impl Standing {
    fn of(r: &UnitResult, precision: u8) -> Standing {
        Standing {
            score: r.score.to_fixed(precision),
            index: r.index.to_fixed(precision),
            rank: r.rank,
            of: r.of,
            band: r.band.clone(),
        }
    }
}

/// The JSON of `parindex whatif`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WhatIf {
    pub unit_code: String,
    pub before: Standing,
    pub after: Standing,
    /// Units of the group ranked ahead of the unit before and behind it after.
    pub overtakes: Vec<String>,
}

/// At most this many leaves changed in one question (a set has a few hundred at most).
pub const MAX_CHANGES: usize = 1000;

/// The unit's standing before and after its leaves `changes` (code, points) take the given
/// points as their effective points. Each code must be a leaf of the set and the points
/// allowed by its rule.
pub fn what_if(
    set: &CriteriaSet,
    units: &[UnitScores],
    unit_code: &str,
    changes: &[(String, Points)],
) -> Result<WhatIf, String> {
    if changes.len() > MAX_CHANGES {
        return Err(format!("quá nhiều tiêu chí (tối đa {MAX_CHANGES})"));
    }
    let at = units
        .iter()
        .position(|u| u.unit_code == unit_code)
        .ok_or_else(|| format!("không có điểm của đơn vị `{unit_code}`"))?;
    let mut after_units = units.to_vec();
    for (code, points) in changes {
        let leaf = set
            .position(code)
            .filter(|&i| set.nodes[i].is_leaf())
            .ok_or_else(|| format!("`{code}` không phải tiêu chí thành phần của bộ chỉ số"))?;
        let node = &set.nodes[leaf];
        if let Some(rule) = &node.rule {
            rule.check_points(node.max, *points)
                .map_err(|m| format!("{code}: {m}"))?;
        }
        let entry = after_units[at].leaves.entry(leaf).or_default();
        entry.effective = *points;
    }
    let before = rank_units(set, units);
    let after = rank_units(set, &after_units);
    let find = |rs: &[UnitResult]| rs.iter().find(|r| r.unit_code == unit_code).cloned();
    let (Some(b), Some(a)) = (find(&before), find(&after)) else {
        return Err(format!("không có điểm của đơn vị `{unit_code}`"));
    };
    let mut overtaken: Vec<&UnitResult> = before
        .iter()
        .filter(|r| r.group == b.group && r.unit_code != unit_code && r.rank < b.rank)
        .filter(|r| {
            after
                .iter()
                .find(|x| x.unit_code == r.unit_code)
                .is_some_and(|x| x.rank > a.rank)
        })
        .collect();
    overtaken.sort_by(|x, y| x.rank.cmp(&y.rank).then(x.unit_code.cmp(&y.unit_code)));
    Ok(WhatIf {
        unit_code: unit_code.to_string(),
        before: Standing::of(&b, set.precision),
        after: Standing::of(&a, set.precision),
        overtakes: overtaken.iter().map(|r| r.unit_code.clone()).collect(),
    })
}

/// `I.1.1=1,5` or `I.1.1=1.5` → (code, points).
pub fn parse_change(text: &str) -> Result<(String, Points), String> {
    let (code, points) = text
        .split_once('=')
        .ok_or_else(|| format!("`{text}`: cần dạng MÃ=ĐIỂM, ví dụ I.1.1=1,5"))?;
    let code = code.trim();
    let points = points.trim();
    let p = Points::parse(points).map_err(|e| format!("`{text}`: điểm `{points}` {e}"))?;
    Ok((code.to_string(), p))
}
