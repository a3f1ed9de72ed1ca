//! Properties: ranks are a competition ranking, totals add up, rules stay in [0, max].

use std::collections::HashMap;

use parindex_domain::criteria::{OptionPoints, ThresholdBand};
use parindex_domain::scoring::{competition_ranks, node_totals};
use parindex_domain::{LeafScore, Points, Rule, UnitScores, parse_criteria_yaml, rank_units};
use proptest::prelude::*;

const SET: &str = include_str!("../data/example-so-2020.yaml");

fn pts() -> impl Strategy<Value = Points> {
    (0i64..20_000).prop_map(Points::from_thousandths)
}

proptest! {
    #[test]
    fn ranks_are_competition_ranks(mut scores in prop::collection::vec(0i64..50, 1..60)) {
        scores.sort_unstable_by(|a, b| b.cmp(a));
        let pts: Vec<Points> = scores.iter().map(|s| Points::from_thousandths(*s)).collect();
        let ranks = competition_ranks(&pts);
        for i in 0..pts.len() {
            let better = pts.iter().filter(|p| **p > pts[i]).count();
            prop_assert_eq!(ranks[i] as usize, better + 1);
        }
    }

    #[test]
    fn rules_stay_within_bounds(max in pts(), x in -1_000_000i64..1_000_000, n in 0i64..100, per in pts(), floor_frac in 0i64..=100) {
        let floor = Points::from_thousandths(max.thousandths() * floor_frac / 100);
        let input = Points::from_thousandths(x).to_plain();
        let rules = [
            Rule::Proportional { of: Points::from_whole(100) },
            Rule::Deduction { per, floor },
            Rule::Thresholds(vec![ThresholdBand { min: Points::from_whole(90), points: max }, ThresholdBand { min: Points::ZERO, points: Points::ZERO }]),
            Rule::Options(vec![OptionPoints { label: "a".into(), points: max }]),
        ];
        for rule in &rules {
            let arg = if matches!(rule, Rule::Deduction { .. }) { n.to_string() } else if matches!(rule, Rule::Options(_)) { "A".into() } else { input.clone() };
            if let Ok(p) = rule.points_from_input(max, &arg) {
                prop_assert!(p >= Points::ZERO && p <= max, "{:?} {} -> {}", rule, arg, p);
            }
        }
    }

    #[test]
    fn totals_equal_sum_of_leaves(values in prop::collection::vec(0i64..=1000, 5)) {
        let set = parse_criteria_yaml("s.yaml", SET).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let mut leaves = HashMap::new();
        for ((i, leaf), v) in set.leaves().zip(&values) {
            let p = Points::from_thousandths(leaf.max.thousandths() * v / 1000);
            let p = if matches!(leaf.rule, Some(Rule::Survey | Rule::Proportional { .. })) { p } else { Points::ZERO };
            let s = LeafScore::new(&set, i, [Some(p), None, None], None).map_err(TestCaseError::fail)?;
            leaves.insert(i, s);
        }
        let unit = UnitScores { unit_code: "A".into(), unit_name: "A".into(), group: "so".into(), leaves, line: 0 };
        let totals = node_totals(&set, &unit);
        let leaf_sum: Points = set.leaves().map(|(i, _)| totals[i]).sum();
        let root_sum: Points = set.roots().map(|(i, _)| totals[i]).sum();
        prop_assert_eq!(leaf_sum, root_sum);
        let r = rank_units(&set, &[unit]);
        prop_assert_eq!(r[0].score, root_sum);
        prop_assert_eq!(r[0].score + r[0].lost, set.total_max());
        for (i, n) in set.nodes.iter().enumerate() {
            prop_assert!(totals[i] <= n.max);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    /// Any text, however broken, gives a set or a list of problems — never a panic.
    #[test]
    fn criteria_reader_never_panics(text in "\\PC{0,300}") {
        let _ = parse_criteria_yaml("x.yaml", &text);
    }

    /// Mutations of a valid file: every rejection names a line inside the file.
    #[test]
    fn mutated_files_report_lines_inside_the_file(pos in 0usize..2000, ch in prop::sample::select(vec![' ', ':', '-', '"', '\n', '9', '.', '{', 'x'])) {
        let mut bytes: Vec<char> = SET.chars().collect();
        let p = pos % bytes.len();
        bytes[p] = ch;
        let text: String = bytes.into_iter().collect();
        if let Err(problems) = parse_criteria_yaml("m.yaml", &text) {
            let lines = text.lines().count() + 1;
            for pr in &problems.0 {
                prop_assert!(pr.line >= 1 && pr.line <= lines, "{}", pr);
            }
        }
    }

    #[test]
    fn scores_reader_never_panics(text in "\\PC{0,300}") {
        let set = parse_criteria_yaml("s.yaml", SET).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let _ = parindex_domain::parse_scores_csv("x.csv", &text, &set);
        let _ = parindex_domain::units::parse_units_csv("u.csv", &text);
    }
}

proptest! {
    /// Occurrences stay inside both periods, come in order, and fall on the asked day.
    #[test]
    fn occurrences_respect_their_schedule(start in 0i64..3000, len in 0i64..800, kind in 0u8..5, n in 1u8..32, from_off in -100i64..400, span in 0i64..500) {
        use parindex_domain::schedule::{Repeat, Schedule, from_days, weekday};
        let base = 18_000; // 2019-04-14
        let start_d = from_days(base + start);
        let end_d = from_days(base + start + len);
        let repeat = match kind {
            0 => Repeat::Once,
            1 => Repeat::Weekly { weekday: n % 7 + 1 },
            2 => Repeat::Monthly { day: n },
            3 => Repeat::Quarterly { day: n },
            _ => Repeat::Yearly { month: n % 12 + 1, day: n },
        };
        let s = Schedule { repeat, start: start_d, end: end_d };
        let from = from_days(base + start + from_off);
        let to = from_days(base + start + from_off + span);
        let occ = s.occurrences(from, to);
        for w in occ.windows(2) {
            prop_assert!(w[0] < w[1]);
        }
        for d in &occ {
            prop_assert!(*d >= from && *d <= to && *d >= start_d && *d <= end_d, "{d:?}");
            match repeat {
                Repeat::Weekly { weekday: w } => prop_assert_eq!(weekday(*d), w),
                Repeat::Monthly { day } | Repeat::Yearly { day, .. } => prop_assert!(d.day <= day),
                Repeat::Quarterly { day } => prop_assert!(d.month % 3 == 0 && d.day <= day),
                Repeat::Once => prop_assert_eq!(*d, end_d),
            }
        }
        if let Repeat::Weekly { .. } = repeat {
            let lo = if start_d > from { start_d } else { from };
            let hi = if end_d < to { end_d } else { to };
            if lo <= hi {
                let days = hi.days_since_epoch() - lo.days_since_epoch() + 1;
                prop_assert!((days / 7..=days / 7 + 1).contains(&i64::try_from(occ.len()).unwrap_or(-1)));
            }
        }
    }
}

proptest! {
    /// The due day is a working day, exactly N working days after the counting day,
    /// and the clock time is within working hours.
    #[test]
    fn due_instants_count_working_days(offset in 0i64..330, minute in 0u16..1440, n in 1u32..25) {
        use parindex_domain::calendar::{Instant, parse_calendar};
        use parindex_domain::schedule::from_days;
        let cal = parse_calendar("vn.yaml", include_str!("../../../../data/calendars/vn-2020-2026.yaml"))
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        let start = parindex_domain::text::Date::new(2021, 1, 1).ok_or(TestCaseError::fail("date"))?;
        let t = Instant { date: from_days(start.days_since_epoch() + offset), minute };
        let due = cal.due_instant(t, n).map_err(TestCaseError::fail)?;
        prop_assert!(cal.is_working_day(due.date));
        prop_assert!(cal.hours.iter().any(|(a, b)| due.minute >= *a && due.minute <= *b));
        prop_assert!(due > t);
        let between = (t.date.days_since_epoch() + 1..=due.date.days_since_epoch())
            .filter(|d| cal.is_working_day(from_days(*d)))
            .count();
        // N working days after the counting day, which is t's day or the next working day.
        let counting_is_later = !(cal.is_working_day(t.date) && t.minute <= cal.hours.last().map_or(0, |h| h.1));
        prop_assert_eq!(between, n as usize + usize::from(counting_is_later));
    }
}

proptest! {
    /// Working minutes between two instants equal the working hours of each working day
    /// between them, counted day by day (the calendar reads them from its index).
    #[test]
    fn working_minutes_match_a_day_by_day_count(offset in 0i64..2700, span in 0i64..120, m1 in 0u16..1440, m2 in 0u16..1440) {
        use parindex_domain::calendar::{Instant, parse_calendar};
        use parindex_domain::schedule::from_days;
        let cal = parse_calendar("vn.yaml", include_str!("../../../../data/calendars/vn-2020-2026.yaml"))
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        let start = parindex_domain::text::Date::new(2020, 1, 1).ok_or(TestCaseError::fail("date"))?;
        let a = start.days_since_epoch() + offset;
        let from = Instant { date: from_days(a), minute: m1 };
        let to = Instant { date: from_days(a + span), minute: m2 };
        let mut expected = 0u64;
        for day in a..=a + span {
            if !cal.is_working_day(from_days(day)) {
                continue;
            }
            let lo = if day == a { m1 } else { 0 };
            let hi = if day == a + span { m2 } else { u16::MAX };
            for (s, e) in &cal.hours {
                let (s, e) = ((*s).max(lo), (*e).min(hi));
                if e > s {
                    expected += u64::from(e - s);
                }
            }
        }
        prop_assert_eq!(cal.working_minutes(from, to), expected);
    }
}

fn instant() -> impl Strategy<Value = parindex_domain::calendar::Instant> {
    (2000i32..2100, 1u8..=12, 1u8..=31, 0u16..=1440).prop_filter_map(
        "a real date",
        |(y, m, d, min)| {
            Some(parindex_domain::calendar::Instant {
                date: parindex_domain::text::Date::new(y, m, d)?,
                minute: min,
            })
        },
    )
}

proptest! {
    /// The stored form of an instant gives it back, orders like it, and its day is the
    /// stamp divided by 10,000 (what the database's day keys are built from).
    #[test]
    fn stamps_round_trip_and_keep_the_order(a in instant(), b in instant()) {
        use parindex_domain::calendar::Instant;
        prop_assert_eq!(Instant::from_stamp(a.stamp()), Some(a));
        prop_assert_eq!(a.stamp().cmp(&b.stamp()), a.cmp(&b));
        prop_assert_eq!(a.stamp().to_string().get(..8).map(str::to_string), Some(a.date.to_iso().replace('-', "")));
    }
}

proptest! {
    /// What-if against recomputing the whole ranking with the changed points: the unit's
    /// standing is the recomputed one, ties included (coarse levels make many); the units
    /// overtaken are those ahead before and behind after; other groups are untouched.
    #[test]
    fn whatif_equals_recomputing_the_ranking(
        units in prop::collection::vec((0usize..2, 0usize..3, 0usize..3), 2..12),
        to in (0usize..3, 0usize..3),
    ) {
        use parindex_domain::whatif::what_if;
        let set = parse_criteria_yaml("s.yaml", SET).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let (a, b) = (set.position("I.1.1").unwrap(), set.position("I.1.2").unwrap());
        let level_a = ["0", "0.5", "1"];
        let level_b = ["0", "1", "2"];
        let unit = |n: usize, group: usize, la: usize, lb: usize| {
            let mut leaves = HashMap::new();
            for (leaf, p) in [(a, level_a[la]), (b, level_b[lb])] {
                let p = Points::parse(p).unwrap();
                leaves.insert(leaf, LeafScore::new(&set, leaf, [Some(p), None, None], None).unwrap());
            }
            UnitScores {
                unit_code: format!("U{n:02}"),
                unit_name: format!("Đơn vị {n}"),
                group: ["so", "huyen"][group].into(),
                leaves,
                line: 0,
            }
        };
        let before_units: Vec<UnitScores> =
            units.iter().enumerate().map(|(n, (g, la, lb))| unit(n, *g, *la, *lb)).collect();
        let changes = vec![
            ("I.1.1".to_string(), Points::parse(level_a[to.0]).unwrap()),
            ("I.1.2".to_string(), Points::parse(level_b[to.1]).unwrap()),
        ];
        let answer = what_if(&set, &before_units, "U00", &changes).map_err(TestCaseError::fail)?;
        // The independent computation: the unit rebuilt with those points, everything ranked.
        let mut after_units = before_units.clone();
        after_units[0] = unit(0, units[0].0, to.0, to.1);
        let before = rank_units(&set, &before_units);
        let after = rank_units(&set, &after_units);
        let find = |rs: &[parindex_domain::UnitResult], u: &str| rs.iter().find(|r| r.unit_code == u).unwrap().clone();
        let (b0, a0) = (find(&before, "U00"), find(&after, "U00"));
        prop_assert_eq!(answer.before.rank, b0.rank);
        prop_assert_eq!(answer.after.rank, a0.rank);
        prop_assert_eq!(answer.after.of, a0.of);
        prop_assert_eq!(&answer.after.score, &a0.score.to_fixed(set.precision));
        prop_assert_eq!(&answer.after.index, &a0.index.to_fixed(set.precision));
        prop_assert_eq!(&answer.after.band, &a0.band);
        let mut overtaken: Vec<String> = before
            .iter()
            .filter(|r| r.group == b0.group && r.unit_code != "U00" && r.rank < b0.rank)
            .filter(|r| find(&after, &r.unit_code).rank > a0.rank)
            .map(|r| r.unit_code.clone())
            .collect();
        overtaken.sort();
        let mut got = answer.overtakes.clone();
        got.sort();
        prop_assert_eq!(got, overtaken);
        // A tie is not an overtaking: nobody overtaken shares the unit's rank after.
        for u in &answer.overtakes {
            prop_assert!(find(&after, u).rank != a0.rank);
        }
        // Other groups: the same results.
        for r in before.iter().filter(|r| r.group != b0.group) {
            prop_assert_eq!(r, &find(&after, &r.unit_code));
        }
    }
}

#[test]
fn the_points_at_stake_count_a_criterion_inside_another_once() {
    let yaml = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../data/brvt-so-2020.yaml"
    ))
    .unwrap();
    let set = parse_criteria_yaml("brvt-so-2020.yaml", &yaml).unwrap();
    let csv = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../data/brvt-so-2020-scores.csv"
    ))
    .unwrap();
    let units = parindex_domain::parse_scores_csv("scores.csv", &csv, &set).unwrap();
    let skhdt = units.iter().find(|u| u.unit_code == "SKHDT").unwrap();
    let lost = parindex_domain::scoring::lost_by_code(&set, skhdt);
    // Independently: a node's loss is its maximum less the effective points of the leaves
    // whose code starts with its code.
    let by_prefix = |code: &str| {
        let i = set.position(code).unwrap();
        let got: Points = set
            .nodes
            .iter()
            .enumerate()
            .filter(|(_, n)| {
                n.is_leaf()
                    && (n.code.as_str() == code || n.code.as_str().starts_with(&format!("{code}.")))
            })
            .map(|(j, _)| skhdt.leaves.get(&j).map_or(Points::ZERO, |l| l.effective))
            .sum();
        set.nodes[i].max - got
    };
    let (field, leaf) = ("I.8", "I.8.4");
    assert_eq!(
        lost.get(field).copied().unwrap_or(Points::ZERO),
        by_prefix(field)
    );
    assert_eq!(
        lost.get(leaf).copied().unwrap_or(Points::ZERO),
        by_prefix(leaf)
    );
    assert!(by_prefix(field) > Points::ZERO);
    let stake = |codes: &[&str]| {
        let codes: Vec<String> = codes.iter().map(ToString::to_string).collect();
        parindex_domain::scoring::stake(&set, &lost, &codes)
    };
    // A leaf inside a listed field is counted with the field, once; a repeated code once.
    assert_eq!(stake(&[field, leaf]), by_prefix(field));
    assert_eq!(stake(&[leaf, leaf]), by_prefix(leaf));
    assert_eq!(stake(&["I.1", field]), by_prefix("I.1") + by_prefix(field));
    assert_eq!(stake(&["KHONG.CO"]), Points::ZERO);
    // Every field's losses add up to the unit's total loss.
    let total: Points = set.roots().map(|(_, n)| by_prefix(n.code.as_str())).sum();
    let ranked = rank_units(&set, &units);
    let r = ranked.iter().find(|r| r.unit_code == "SKHDT").unwrap();
    assert_eq!(total, r.lost);
}
