//! Random criteria sets with not-applicable, bonus and penalty leaves, their scores CSV, and
//! the results computed independently of the engine, straight from the contract
//! (`criteria-set.md`, "Not applicable, bonus and penalty, ranking by index") and from what
//! was generated — never from the parsed set. Shared by the domain's property tests and the
//! database conformance suite (`#[path]`), so that both check the same arithmetic.

use std::fmt::Write as _;

/// A small deterministic generator (SplitMix64), so that a case is a seed.
pub struct Gen(u64);

impl Gen {
    pub fn new(seed: u64) -> Self {
        Gen(seed)
    }

    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Regular,
    Bonus,
    Penalty,
}

#[derive(Debug, Clone)]
pub struct Leaf {
    pub code: String,
    pub kind: Kind,
    /// Thousandths.
    pub max: i64,
}

/// One unit's expected figures, in thousandths, rounded as the contract says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expected {
    pub unit: String,
    pub group: String,
    pub max: i64,
    pub bonus: i64,
    pub penalty: i64,
    pub score: i64,
    pub index: i64,
    pub lost: i64,
    pub rank: u32,
}

impl Expected {
    /// The engine's result in the same terms.
    pub fn of(r: parindex_domain::UnitResult) -> Self {
        Expected {
            unit: r.unit_code,
            group: r.group,
            max: r.max.thousandths(),
            bonus: r.bonus.thousandths(),
            penalty: r.penalty.thousandths(),
            score: r.score.thousandths(),
            index: r.index.thousandths(),
            lost: r.lost.thousandths(),
            rank: r.rank,
        }
    }
}

pub struct Case {
    pub yaml: String,
    pub csv: String,
    pub precision: u8,
    pub rank_by_index: bool,
    pub leaves: Vec<Leaf>,
    /// Per unit, per leaf: `None` not applicable, else the points (thousandths).
    pub points: Vec<(String, String, Vec<Option<i64>>)>,
}

fn fixed(t: i64) -> String {
    let sign = if t < 0 { "-" } else { "" };
    let a = t.abs();
    format!("{sign}{}.{:03}", a / 1000, a % 1000)
}

/// Half-up (away from zero) to `precision` decimals, in thousandths.
pub fn round(t: i128, precision: u8) -> i64 {
    let unit = 10_i128.pow(3 - u32::from(precision));
    let half = unit / 2;
    let r = if t >= 0 {
        (t + half) / unit * unit
    } else {
        -((-t + half) / unit * unit)
    };
    i64::try_from(r).unwrap_or(i64::MAX)
}

impl Case {
    pub fn generate(seed: u64) -> Case {
        let mut g = Gen::new(seed);
        let precision = u8::try_from(g.below(4)).unwrap_or(3);
        let rank_by_index = g.below(3) != 0;
        let roots = 1 + g.below(3);
        let mut yaml = format!(
            "id: gen-{seed}\nname: \"Bộ sinh ngẫu nhiên {seed}\"\nyear: 2025\nlevel: xa\nprecision: {precision}\n"
        );
        if rank_by_index {
            yaml.push_str("rank_by: index\n");
        }
        yaml.push_str(
            "bands:\n  - { label: \"Tốt\", min: 90 }\n  - { label: \"Khác\", min: 0 }\nnodes:\n",
        );
        let mut leaves = Vec::new();
        for r in 0..=roots {
            // The first part always counts in the maximum.
            let kind = match (r, g.below(4)) {
                (0, _) | (_, 0 | 1) => Kind::Regular,
                (_, 2) => Kind::Bonus,
                _ => Kind::Penalty,
            };
            let code = ["I", "II", "III", "IV"][usize::try_from(r).unwrap_or(0)];
            let _ = writeln!(yaml, "  - code: \"{code}\"\n    name: \"Phần {code}\"");
            match kind {
                Kind::Regular => {}
                Kind::Bonus => yaml.push_str("    kind: bonus\n"),
                Kind::Penalty => yaml.push_str("    kind: penalty\n"),
            }
            yaml.push_str("    children:\n");
            for l in 1..=(1 + g.below(4)) {
                // A bonus or penalty leaf may also sit inside a regular part.
                // The first leaf of the first part counts in the maximum: a set needs one.
                let own = if kind == Kind::Regular && (r, l) != (0, 1) && g.below(6) == 0 {
                    if g.below(2) == 0 {
                        Kind::Bonus
                    } else {
                        Kind::Penalty
                    }
                } else {
                    kind
                };
                let max = 1 + i64::try_from(g.below(10_000)).unwrap_or(1);
                let code = format!("{code}.{l}");
                let _ = write!(
                    yaml,
                    "      - {{ code: \"{code}\", name: \"Tiêu chí {code}\", max: {}, ",
                    fixed(max)
                );
                if own != kind {
                    yaml.push_str(if own == Kind::Bonus {
                        "kind: bonus, "
                    } else {
                        "kind: penalty, "
                    });
                }
                yaml.push_str("rule: { kind: manual } }\n");
                leaves.push(Leaf {
                    code,
                    kind: own,
                    max,
                });
            }
        }
        let mut csv =
            String::from("unit_code,unit_name,group,criterion,self,appraised,final,input,note\n");
        let mut points = Vec::new();
        for u in 0..(2 + g.below(6)) {
            let unit = format!("U{u:02}");
            let group = if g.below(4) == 0 { "b" } else { "a" }.to_string();
            let mut mine = Vec::new();
            for leaf in &leaves {
                let p = if g.below(4) == 0 {
                    let na = ["na", "Không áp dụng", "KHONG AP DUNG", "N/A"]
                        [usize::try_from(g.below(4)).unwrap_or(0)];
                    let _ = writeln!(
                        csv,
                        "{unit},Đơn vị {u},{group},{},,,,{na},không có chức năng",
                        leaf.code
                    );
                    None
                } else {
                    let v = i64::try_from(g.below(u64::try_from(leaf.max).unwrap_or(1) + 1))
                        .unwrap_or(0);
                    let _ = writeln!(
                        csv,
                        "{unit},Đơn vị {u},{group},{},{},,,,",
                        leaf.code,
                        fixed(v)
                    );
                    Some(v)
                };
                mine.push(p);
            }
            points.push((unit, group, mine));
        }
        Case {
            yaml,
            csv,
            precision,
            rank_by_index,
            leaves,
            points,
        }
    }

    /// The contract's figures for every unit, ordered by group, rank, unit code.
    pub fn expected(&self) -> Vec<Expected> {
        let p = self.precision;
        let mut out: Vec<Expected> = self
            .points
            .iter()
            .map(|(unit, group, pts)| {
                let (mut max, mut regular, mut bonus, mut penalty) = (0i64, 0i64, 0i64, 0i64);
                for (leaf, pt) in self.leaves.iter().zip(pts) {
                    let Some(pt) = pt else { continue };
                    match leaf.kind {
                        Kind::Regular => {
                            max += leaf.max;
                            regular += pt;
                        }
                        Kind::Bonus => bonus += pt,
                        Kind::Penalty => penalty += pt,
                    }
                }
                let exact_score = regular + bonus - penalty;
                let score = round(i128::from(exact_score), p);
                // The exact score / max × 100 in thousandths, half-up at `precision`.
                let index = if max > 0 {
                    let exact = i128::from(exact_score) * 100_000;
                    let den = i128::from(max);
                    let unit = 10_i128.pow(3 - u32::from(p));
                    // Round exact/den to a multiple of `unit` thousandths, half-up.
                    let q = (exact * 2 + den * unit).div_euclid(den * unit * 2) * unit;
                    i64::try_from(q).unwrap_or(i64::MAX)
                } else {
                    0
                };
                let lost = round(i128::from(max - regular), p);
                Expected {
                    unit: unit.clone(),
                    group: group.clone(),
                    max,
                    bonus,
                    penalty,
                    score,
                    index,
                    lost,
                    rank: 0,
                }
            })
            .collect();
        let key = |e: &Expected| if self.rank_by_index { e.index } else { e.score };
        let all = out.clone();
        for e in &mut out {
            let better = all
                .iter()
                .filter(|o| o.group == e.group && key(o) > key(e))
                .count();
            e.rank = u32::try_from(better + 1).unwrap_or(u32::MAX);
        }
        out.sort_by(|a, b| {
            a.group
                .cmp(&b.group)
                .then(a.rank.cmp(&b.rank))
                .then(a.unit.cmp(&b.unit))
        });
        out
    }

    /// The units file for a database that must know them.
    #[allow(dead_code, reason = "used by the database suite only")]
    pub fn units_csv(&self) -> String {
        let mut s = String::from("code,name,parent_code,kind,group\n");
        for (unit, group, _) in &self.points {
            let _ = writeln!(s, "{unit},Đơn vị {unit},,xa,{group}");
        }
        s
    }
}
