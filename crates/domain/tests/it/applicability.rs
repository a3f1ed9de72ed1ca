//! The contract's not-applicable, bonus, penalty and `rank_by` rules against an independent
//! computation (`tests/support/applicability_cases.rs`).

use parindex_domain::scores::LeafScore;
use parindex_domain::{RankingReport, parse_criteria_yaml, parse_scores_csv, rank_units};
use proptest::prelude::*;

#[path = "../support/applicability_cases.rs"]
mod cases;

use cases::{Case, Expected};

fn engine(case: &Case) -> Result<Vec<Expected>, TestCaseError> {
    let set = parse_criteria_yaml("gen.yaml", &case.yaml)
        .map_err(|e| TestCaseError::fail(format!("{e}\n{}", case.yaml)))?;
    let units = parse_scores_csv("gen.csv", &case.csv, &set)
        .map_err(|e| TestCaseError::fail(format!("{e}\n{}", case.csv)))?;
    Ok(rank_units(&set, &units)
        .into_iter()
        .map(Expected::of)
        .collect())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// Maximum, bonus, penalty, score, index, lost and rank are the contract's.
    #[test]
    fn results_follow_the_contract(seed in any::<u64>()) {
        let case = Case::generate(seed);
        prop_assert_eq!(engine(&case)?, case.expected());
    }

    /// Without bonus, the index never exceeds 100.
    #[test]
    fn the_index_stays_at_most_100_without_bonus(seed in any::<u64>()) {
        let case = Case::generate(seed);
        for e in engine(&case)? {
            if e.bonus == 0 {
                prop_assert!(e.index <= 100_000, "{e:?}");
            }
        }
    }

    /// Marking a leaf not applicable to one unit changes no other unit's figures.
    #[test]
    fn a_not_applicable_leaf_changes_no_other_unit(seed in any::<u64>(), pick in any::<prop::sample::Index>(), leaf in any::<prop::sample::Index>()) {
        let case = Case::generate(seed);
        let set = parse_criteria_yaml("gen.yaml", &case.yaml).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let units = parse_scores_csv("gen.csv", &case.csv, &set).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let before = rank_units(&set, &units);
        let mut changed = units.clone();
        let who = pick.index(changed.len());
        let (pos, _) = set.leaves().nth(leaf.index(set.leaf_count())).ok_or_else(|| TestCaseError::fail("no leaf"))?;
        changed[who].leaves.insert(pos, LeafScore { not_applicable: Some("không có chức năng".into()), ..LeafScore::default() });
        let after = rank_units(&set, &changed);
        for b in &before {
            if b.unit_code == changed[who].unit_code {
                continue;
            }
            let a = after.iter().find(|a| a.unit_code == b.unit_code).ok_or_else(|| TestCaseError::fail("unit lost"))?;
            prop_assert_eq!((a.score, a.index, a.max, a.bonus, a.penalty, a.lost), (b.score, b.index, b.max, b.bonus, b.penalty, b.lost));
        }
        let me = after.iter().find(|a| a.unit_code == changed[who].unit_code).ok_or_else(|| TestCaseError::fail("unit lost"))?;
        let was = before.iter().find(|b| b.unit_code == changed[who].unit_code).ok_or_else(|| TestCaseError::fail("unit lost"))?;
        prop_assert!(me.max <= was.max);
    }

    /// The set's YAML round-trips with its kinds and `rank_by`.
    #[test]
    fn kinds_round_trip_through_yaml(seed in any::<u64>()) {
        let case = Case::generate(seed);
        let set = parse_criteria_yaml("gen.yaml", &case.yaml).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let back = parse_criteria_yaml("back.yaml", &set.to_yaml()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(back.to_yaml(), set.to_yaml());
        prop_assert_eq!(back.total_max(), set.total_max());
    }
}

#[test]
fn a_not_applicable_row_with_points_is_refused_by_line() {
    let case = Case::generate(7);
    let set = parse_criteria_yaml("gen.yaml", &case.yaml).unwrap();
    let leaf = &case.leaves[0].code;
    let csv = format!(
        "unit_code,unit_name,group,criterion,self,appraised,final,input\nX,X,a,{leaf},,,,na\nY,Y,a,{leaf},1,,,không áp dụng\n"
    );
    let err = parse_scores_csv("s.csv", &csv, &set)
        .unwrap_err()
        .to_string();
    assert!(err.contains("s.csv:3:"), "{err}");
    assert!(err.contains("không áp dụng"), "{err}");
    assert!(!err.contains("s.csv:2:"), "{err}");
}

#[test]
fn the_ranking_json_carries_max_bonus_and_penalty() {
    let yaml = "id: k\nname: K\nyear: 2025\nlevel: xa\nprecision: 2\nrank_by: index\nnodes:\n  - code: I\n    name: A\n    children:\n      - { code: I.1, name: B, max: 6, rule: { kind: manual } }\n      - { code: I.2, name: C, max: 4, rule: { kind: manual } }\n      - { code: I.3, name: P, max: 2, kind: penalty, rule: { kind: manual, step: 0.5 } }\n  - code: II\n    name: T\n    kind: bonus\n    children:\n      - { code: II.1, name: E, max: 1, rule: { kind: manual } }\n";
    let set = parse_criteria_yaml("k.yaml", yaml).unwrap();
    assert_eq!(set.total_max().to_plain(), "10");
    assert_eq!(set.node("I").unwrap().max.to_plain(), "10");
    // X: 5 of 6 on I.1, I.2 not applicable, a penalty of 0.5, a bonus of 1: 5.5 / 6.
    // Y: 6 + 3 of 10, no penalty: 90 %. By score Y leads; by index X does.
    let csv = "unit_code,unit_name,group,criterion,self,appraised,final,input,note\nX,X,a,I.1,5,,,,\nX,X,a,I.2,,,,na,không có thủ tục\nX,X,a,I.3,0.5,,,,\nX,X,a,II.1,1,,,,\nY,Y,a,I.1,6,,,,\nY,Y,a,I.2,3,,,,\nY,Y,a,I.3,0,,,,\n";
    let units = parse_scores_csv("s.csv", csv, &set).unwrap();
    let x = &units[0];
    let i2 = set.position("I.2").unwrap();
    assert_eq!(
        x.leaves[&i2].not_applicable.as_deref(),
        Some("không có thủ tục")
    );
    let results = rank_units(&set, &units);
    let json =
        serde_json::to_value(RankingReport::new(&set, &results).with_leaves(&set, x)).unwrap();
    assert_eq!(json["total_max"], "10.00");
    let rows = json["units"].as_array().unwrap();
    let row = |code: &str| rows.iter().find(|r| r["unit_code"] == code).unwrap();
    let (rx, ry) = (row("X"), row("Y"));
    assert_eq!(rows[0]["unit_code"], "X", "ranked by index");
    assert_eq!(rx["max"], "6.00");
    assert_eq!(rx["bonus"], "1.00");
    assert_eq!(rx["penalty"], "0.50");
    assert_eq!(rx["score"], "5.50");
    assert_eq!(rx["index"], "91.67");
    assert_eq!(rx["lost"], "1.00");
    assert_eq!(rx["rank"], 1);
    assert_eq!(ry["max"], "10.00");
    assert_eq!(ry["score"], "9.00");
    assert_eq!(ry["index"], "90.00");
    assert_eq!(ry["rank"], 2);
    let leaves = rx["leaves"].as_array().unwrap();
    let na = leaves.iter().find(|l| l["code"] == "I.2").unwrap();
    assert_eq!(na["not_applicable"], true);
    assert_eq!(na["lost"], "0.00");
    let pen = leaves.iter().find(|l| l["code"] == "I.3").unwrap();
    assert_eq!(pen["kind"], "penalty");
    assert_eq!(pen["lost"], "0.00");

    let mut by_score = set.clone();
    by_score.rank_by = parindex_domain::RankBy::Score;
    let results = rank_units(&by_score, &units);
    assert_eq!(results[0].unit_code, "Y");
}
