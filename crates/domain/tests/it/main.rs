//! Integration tests of the domain: the worked example and properties of scoring.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]

mod applicability;
mod directive;
mod dossiers;
mod fuzz;
mod line_ends;
mod properties;

use parindex_domain::{RankingReport, parse_criteria_yaml, parse_scores_csv, rank_units};

const SET: &str = include_str!("../data/example-so-2020.yaml");
const SCORES: &str = include_str!("../data/example-scores.csv");
const EXPECTED: &str = include_str!("../data/example-expected.json");

#[test]
fn worked_example_gives_the_documented_numbers() {
    let set = parse_criteria_yaml("set.yaml", SET).map_err(|e| e.to_string());
    let set = set.unwrap_or_else(|e| panic!("{e}"));
    let units = parse_scores_csv("scores.csv", SCORES, &set).map_err(|e| e.to_string());
    let units = units.unwrap_or_else(|e| panic!("{e}"));
    let results = rank_units(&set, &units);
    let got = serde_json::to_value(RankingReport::new(&set, &results)).unwrap();
    let want: serde_json::Value = serde_json::from_str(EXPECTED).unwrap();
    // The contract's keys, as documented; keys may be added.
    contains(&got, &want, "$");
    // The keys added for not-applicable leaves, bonus and penalty.
    for u in got["units"].as_array().unwrap() {
        assert_eq!(u["max"], "15.500");
        assert_eq!(u["bonus"], "0.000");
        assert_eq!(u["penalty"], "0.000");
    }
}

/// Every key and value of `want` is in `got` (objects may have more keys).
fn contains(got: &serde_json::Value, want: &serde_json::Value, at: &str) {
    match (got, want) {
        (serde_json::Value::Object(g), serde_json::Value::Object(w)) => {
            for (k, v) in w {
                let inner = g.get(k).unwrap_or_else(|| panic!("{at}.{k} is missing"));
                contains(inner, v, &format!("{at}.{k}"));
            }
        }
        (serde_json::Value::Array(g), serde_json::Value::Array(w)) => {
            assert_eq!(g.len(), w.len(), "{at}");
            for (i, (a, b)) in g.iter().zip(w).enumerate() {
                contains(a, b, &format!("{at}[{i}]"));
            }
        }
        _ => assert_eq!(got, want, "{at}"),
    }
}

#[test]
fn unit_leaves_show_every_layer() {
    let set = parse_criteria_yaml("set.yaml", SET).unwrap_or_else(|e| panic!("{e}"));
    let units = parse_scores_csv("scores.csv", SCORES, &set).unwrap_or_else(|e| panic!("{e}"));
    let results = rank_units(&set, &units);
    let skhdt = units.iter().find(|u| u.unit_code == "SKHDT");
    let skhdt = skhdt.unwrap_or_else(|| panic!("SKHDT missing"));
    let report = RankingReport::new(&set, &results).with_leaves(&set, skhdt);
    let v = serde_json::to_value(&report).unwrap_or_default();
    let row = &v["units"][1];
    assert_eq!(row["unit_code"], "SKHDT");
    assert_eq!(row["leaves"][0]["code"], "I.1.1");
    assert_eq!(row["leaves"][0]["self"], "1.000");
    assert_eq!(row["leaves"][0]["appraised"], "0.500");
    assert_eq!(row["leaves"][0]["effective"], "0.500");
    assert_eq!(row["leaves"][0]["lost"], "0.500");
    assert_eq!(row["leaves"][2]["effective"], "0.250");
    assert_eq!(row["leaves"][3]["effective"], "1.950");
}

fn score_problems(csv: &str) -> Vec<String> {
    let set = parse_criteria_yaml("set.yaml", SET).unwrap_or_else(|e| panic!("{e}"));
    match parse_scores_csv("s.csv", csv, &set) {
        Ok(_) => vec![],
        Err(p) => p.0.iter().map(ToString::to_string).collect(),
    }
}

#[test]
fn scores_file_errors_name_their_line() {
    let csv = "unit_code,unit_name,group,criterion,self,appraised,final,input\n\
               A,Sở A,so,I.1.1,1,,,\n\
               A,Sở A,so,I.8.4,2.5,,,\n\
               A,Sở A,so,I.9,1,,,\n\
               A,Sở A,so,I.1.1,,,,Kịp thời\n\
               A,Sở A,so,I.1.2,1.5,,,\n\
               A,Sở A,so,I.1.1,,,,không biết\n\
               A,Sở A,so,I.8.4,,,,abc\n";
    let p = score_problems(csv);
    assert_eq!(p.len(), 6, "{p:?}");
    assert!(
        p[0].starts_with("s.csv:3: ") && p[0].contains("ngoài khoảng [0, 2]"),
        "{p:?}"
    );
    assert!(
        p[1].starts_with("s.csv:4: ") && p[1].contains("`I.9`"),
        "{p:?}"
    );
    assert!(
        p[2].starts_with("s.csv:5: ") && p[2].contains("bị lặp (đã có ở dòng 2)"),
        "{p:?}"
    );
    assert!(
        p[3].starts_with("s.csv:6: ") && p[3].contains("không thuộc các mức"),
        "{p:?}"
    );
    assert!(
        p[4].starts_with("s.csv:7: ") && p[4].contains("không có trong danh sách"),
        "{p:?}"
    );
    assert!(
        p[5].starts_with("s.csv:8: ") && p[5].contains("không phải là số"),
        "{p:?}"
    );
}

#[test]
fn options_match_without_diacritics_and_binary_words() {
    let csv = "unit_code,unit_name,group,criterion,self,appraised,final,input\n\
               A,Sở A,so,I.1.1,,,,KHONG BAN HANH\n\
               B,Sở B,so,I.1.1,,,,kịp thời\n";
    assert!(score_problems(csv).is_empty());
}

#[test]
fn lines_after_blank_lines_are_the_editors_lines() {
    let csv = "unit_code,unit_name,group,criterion,self,appraised,final,input\n\
               A,Sở A,so,I.1.1,1,,,\n\
               \n\
               \r\n\
               A,Sở A,so,I.8.4,2.5,,,\n";
    let p = score_problems(csv);
    assert_eq!(p.len(), 1, "{p:?}");
    assert!(p[0].starts_with("s.csv:5: "), "{p:?}");
    let units = "code,name,parent_code\nA,Sở A,\n\n\nB,,\n";
    let e = parindex_domain::units::parse_units_csv("u.csv", units).unwrap_err();
    assert!(e.to_string().starts_with("u.csv:5: "), "{e}");
}
