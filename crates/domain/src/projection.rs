//! A year-end outlook for a unit while the year runs: its current self-assessment stands,
//! and the criteria that score themselves from dossier figures are carried forward from the
//! rates so far and their recent trend. Gives a score with a range and the criteria
//! projected to lose points (the early warning a director reads in the third quarter).

use crate::CriteriaSet;
use crate::dossiers::Figure;
use crate::points::Points;
use crate::scores::UnitScores;

/// A figure leaf's values: over the year so far and over the recent window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trend {
    pub leaf: usize,
    pub figure: Figure,
    /// The figure from the year's start to today (`None`: nothing to count yet).
    pub so_far: Option<String>,
    /// The figure over the recent window (`recent_days`).
    pub recent: Option<String>,
}

/// Where the year stands: days gone and days in the year, and the recent window's length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct YearClock {
    pub elapsed_days: u32,
    pub year_days: u32,
    pub recent_days: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeafOutlook {
    pub leaf: usize,
    pub low: Points,
    pub expected: Points,
    pub high: Points,
    /// The figure projected to the year's end, as a rule input (`87.40`, `12`).
    pub projected: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outlook {
    pub low: Points,
    pub expected: Points,
    pub high: Points,
    /// Figure leaves whose projected points fall below their maximum, worst first.
    pub warnings: Vec<LeafOutlook>,
}

/// A rate string (`92.50`) in hundredths of a percent.
fn hundredths(rate: &str) -> Option<u64> {
    let (int, frac) = rate.trim().split_once('.').unwrap_or((rate.trim(), "0"));
    let frac = format!("{frac:0<2}");
    Some(int.parse::<u64>().ok()? * 100 + frac.get(..2)?.parse::<u64>().ok()?)
}

fn rate_string(h: u64) -> String {
    format!("{}.{:02}", h / 100, h % 100)
}

/// The figure at the year's end: a rate as the year so far and the recent rate weighted by
/// the time gone and the time left; a count as the count so far plus the recent pace over
/// the days left.
pub fn project_figure(t: &Trend, clock: YearClock) -> Option<String> {
    let so_far = t.so_far.as_deref()?;
    let recent = t.recent.as_deref().unwrap_or(so_far);
    let year = u64::from(clock.year_days.max(1));
    let gone = u64::from(clock.elapsed_days).min(year);
    let left = year - gone;
    if t.figure == Figure::PendingOverdue {
        // A count of what is overdue now, not a running total: it stands as it is.
        return Some(so_far.trim().to_string());
    }
    if t.figure.is_count() {
        let n0: u64 = so_far.trim().parse().ok()?;
        let n1: u64 = recent.trim().parse().ok()?;
        let window = u64::from(clock.recent_days.max(1));
        // Rounded up: a late dossier is whole.
        Some((n0 + (n1 * left).div_ceil(window)).to_string())
    } else {
        let r0 = hundredths(so_far)?;
        let r1 = hundredths(recent)?;
        Some(rate_string((r0 * gone + r1 * left + year / 2) / year))
    }
}

/// The outlook of `unit` on `set`. Leaves with a figure trend take the points of the
/// projected figure, with a range over the year-so-far, recent and projected values; other
/// scored leaves keep their points; unscored leaves count nothing, up to their maximum.
pub fn outlook(
    set: &CriteriaSet,
    unit: &UnitScores,
    trends: &[Trend],
    clock: YearClock,
) -> Outlook {
    let mut out = Outlook {
        low: Points::ZERO,
        expected: Points::ZERO,
        high: Points::ZERO,
        warnings: Vec::new(),
    };
    for (i, n) in set.leaves() {
        // A leaf that does not apply to the unit neither scores nor loses.
        if crate::scoring::not_applicable(unit, i) {
            continue;
        }
        let trend = trends.iter().find(|t| t.leaf == i);
        let points_at = |v: &str| {
            n.rule
                .as_ref()
                .and_then(|r| r.points_from_input(n.max, v).ok())
        };
        let figure = trend.and_then(|t| {
            let projected = project_figure(t, clock)?;
            // A rate's recent value is a possible year-end rate; a count's recent value is
            // a part of the year's count, not a candidate for it.
            let recent = if t.figure.is_count() {
                None
            } else {
                t.recent.as_deref()
            };
            let candidates: Vec<Points> = [t.so_far.as_deref(), recent, Some(projected.as_str())]
                .into_iter()
                .flatten()
                .filter_map(points_at)
                .collect();
            let expected = points_at(&projected)?;
            Some(LeafOutlook {
                leaf: i,
                low: candidates.iter().copied().min().unwrap_or(expected),
                expected,
                high: candidates.iter().copied().max().unwrap_or(expected),
                projected: Some(projected),
            })
        });
        let leaf = match figure {
            Some(f) => {
                if f.expected < n.max && n.kind == crate::criteria::NodeKind::Regular {
                    out.warnings.push(f.clone());
                }
                f
            }
            None => {
                let scored = unit.leaves.get(&i).filter(|l| {
                    l.self_points.is_some()
                        || l.appraised.is_some()
                        || l.final_points.is_some()
                        || l.input.is_some()
                });
                match scored {
                    Some(l) => LeafOutlook {
                        leaf: i,
                        low: l.effective,
                        expected: l.effective,
                        high: l.effective,
                        projected: None,
                    },
                    None => LeafOutlook {
                        leaf: i,
                        low: Points::ZERO,
                        expected: Points::ZERO,
                        high: n.max,
                        projected: None,
                    },
                }
            }
        };
        if n.kind == crate::criteria::NodeKind::Penalty {
            // The most a penalty can take is the worst case.
            out.low = out.low - leaf.high;
            out.expected = out.expected - leaf.expected;
            out.high = out.high - leaf.low;
        } else {
            out.low = out.low + leaf.low;
            out.expected = out.expected + leaf.expected;
            out.high = out.high + leaf.high;
        }
    }
    out.warnings
        .sort_by_key(|w| std::cmp::Reverse(set.nodes[w.leaf].max - w.expected));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clock(elapsed: u32) -> YearClock {
        YearClock {
            elapsed_days: elapsed,
            year_days: 365,
            recent_days: 90,
        }
    }

    fn trend(figure: Figure, so_far: &str, recent: &str) -> Trend {
        Trend {
            leaf: 0,
            figure,
            so_far: Some(so_far.into()),
            recent: Some(recent.into()),
        }
    }

    #[test]
    fn rates_lean_on_the_recent_trend_for_the_time_left() {
        // Three quarters gone at 96 %, the last 90 days at 88 %: 94 % at the year's end.
        let t = trend(Figure::OnTimeRate, "96.00", "88.00");
        let p = project_figure(&t, clock(274)).unwrap();
        let expected = (9600 * 274 + 8800 * 91 + 182) / 365;
        assert_eq!(p, rate_string(expected));
        assert_eq!(p, "94.01");
        // The year over: the figure is what it is.
        assert_eq!(project_figure(&t, clock(365)).unwrap(), "96.00");
        // Nothing counted yet: no projection.
        let none = Trend { so_far: None, ..t };
        assert_eq!(project_figure(&none, clock(100)), None);
    }

    #[test]
    fn counts_add_the_recent_pace_over_the_days_left() {
        // 4 late so far, 3 in the last 90 days, 91 days left: 4 + ⌈3 × 91 / 90⌉ = 8.
        let t = trend(Figure::Late, "4", "3");
        assert_eq!(project_figure(&t, clock(274)).unwrap(), "8");
        assert_eq!(project_figure(&t, clock(365)).unwrap(), "4");
        // Overdue now is a snapshot: it is not added up over the days left.
        let p = trend(Figure::PendingOverdue, "5", "5");
        assert_eq!(project_figure(&p, clock(200)).unwrap(), "5");
    }

    #[test]
    fn the_outlook_ranges_and_warns_on_a_falling_rate() {
        let yaml = "id: t\nname: \"T\"\nyear: 2026\nlevel: so\nnodes:\n  - code: \"I\"\n    name: \"I\"\n    children:\n      - code: \"I.1\"\n        name: \"Đúng hạn\"\n        max: 2\n        rule: { kind: thresholds, input: dossiers.on_time_rate, bands: [ { min: 95, points: 2 }, { min: 90, points: 1 } ] }\n      - code: \"I.2\"\n        name: \"Kế hoạch\"\n        max: 1\n        rule: { kind: binary }\n      - code: \"I.3\"\n        name: \"Chưa chấm\"\n        max: 3\n        rule: { kind: proportional }\n";
        let set = crate::parse_criteria_yaml("t.yaml", yaml).unwrap();
        let leaf = |code: &str| set.position(code).unwrap();
        let mut unit = UnitScores {
            unit_code: "U".into(),
            unit_name: "U".into(),
            group: "so".into(),
            leaves: std::collections::HashMap::new(),
            line: 0,
        };
        let plan = crate::LeafScore::new(
            &set,
            leaf("I.2"),
            [Some(Points::from_thousandths(1000)), None, None],
            None,
        )
        .unwrap();
        unit.leaves.insert(leaf("I.2"), plan);
        let trends = [Trend {
            leaf: leaf("I.1"),
            figure: Figure::OnTimeRate,
            so_far: Some("96.00".into()),
            recent: Some("88.00".into()),
        }];
        let o = outlook(&set, &unit, &trends, clock(274));
        let p = |x: i64| Points::from_thousandths(x * 1000);
        // I.1: 96 % → 2, 88 % → 0, projected 94,01 % → 1; I.2: 1; I.3: 0 up to 3.
        assert_eq!(o.expected, p(1) + p(1));
        assert_eq!(o.low, p(0) + p(1));
        assert_eq!(o.high, p(2) + p(1) + p(3));
        assert_eq!(o.warnings.len(), 1);
        assert_eq!(o.warnings[0].leaf, leaf("I.1"));
        assert_eq!(o.warnings[0].projected.as_deref(), Some("94.01"));
    }
}
