//! Every reader on random bytes and on the shipped files with random damage: it returns
//! (a value or problems), never panics.

use parindex_domain::calendar::parse_calendar;
use parindex_domain::directive::parse_directive;
use parindex_domain::dossiers::{
    ColumnMap, DossierReader, SampleProcedure, parse_column_map, parse_procedures_csv,
    write_sample_csv,
};
use parindex_domain::units::parse_units_csv;
use parindex_domain::{parse_criteria_yaml, parse_scores_csv};
use proptest::prelude::*;

const CRITERIA: &str = include_str!("../../../../data/brvt-so-2020.yaml");
const UNITS: &str = include_str!("../../../../data/brvt-units.csv");
const SCORES: &str = include_str!("../../../../data/brvt-so-2020-scores.csv");
const PROCEDURES: &str = include_str!("../../../../data/sample-procedures-skhdt.csv");
const CALENDAR: &str = include_str!("../../../../data/calendars/vn-2020-2026.yaml");
const COLUMNS: &str = include_str!("../../../../data/columns/mau-xuat-mot-cua.yaml");
const DIRECTIVE: &str = include_str!("../../../../data/tb-skhdt-2021-04-chan-chinh-cchc.txt");

/// A few hundred dossiers as the sample generator writes them.
fn dossiers() -> String {
    let procs = [SampleProcedure {
        unit_code: "SKHDT",
        code: "P1",
        limit_days: 3,
    }];
    let mut out = Vec::new();
    write_sample_csv(&mut out, 7, 2021, &procs, 300, 20).unwrap();
    String::from_utf8(out).unwrap()
}

/// The damage done to a file: bytes overwritten, bytes inserted (often the characters that
/// matter to the readers), and a cut.
#[derive(Debug, Clone)]
enum Hit {
    Set(usize, u8),
    Insert(usize, Vec<u8>),
    Remove(usize, usize),
}

fn hits() -> impl Strategy<Value = (Vec<Hit>, Option<usize>)> {
    let special = prop::sample::select(vec![
        b"\r".to_vec(),
        b"\n".to_vec(),
        b"\"".to_vec(),
        b",".to_vec(),
        b":".to_vec(),
        b"- ".to_vec(),
        b"{".to_vec(),
        b"[".to_vec(),
        b"\t".to_vec(),
        b"\xEF\xBB\xBF".to_vec(),
        b"99999999999999999999".to_vec(),
        b"2147483647".to_vec(),
        "…ệ".as_bytes().to_vec(),
        b"\x00".to_vec(),
        b"\xff".to_vec(),
    ]);
    let hit = prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Hit::Set(i, b)),
        (any::<usize>(), special).prop_map(|(i, s)| Hit::Insert(i, s)),
        (any::<usize>(), 0usize..200).prop_map(|(i, n)| Hit::Remove(i, n)),
    ];
    (
        prop::collection::vec(hit, 1..12),
        prop::option::weighted(0.2, any::<usize>()),
    )
}

fn damaged(text: &str, (hits, cut): &(Vec<Hit>, Option<usize>)) -> String {
    let mut b = text.as_bytes().to_vec();
    for h in hits {
        let at = |i: usize, len: usize| if len == 0 { 0 } else { i % (len + 1) };
        match h {
            Hit::Set(i, v) => {
                if !b.is_empty() {
                    let k = i % b.len();
                    b[k] = *v;
                }
            }
            Hit::Insert(i, s) => {
                let k = at(*i, b.len());
                b.splice(k..k, s.iter().copied());
            }
            Hit::Remove(i, n) => {
                let k = at(*i, b.len());
                let end = (k + n).min(b.len());
                b.drain(k..end);
            }
        }
    }
    if let Some(c) = cut {
        b.truncate(c % (b.len() + 1));
    }
    String::from_utf8_lossy(&b).into_owned()
}

/// Every reader on `text`; their results are dropped, only returning matters.
fn read_all(text: &str) {
    let _ = parse_criteria_yaml("f", text);
    let _ = parse_units_csv("f", text);
    let _ = parse_procedures_csv("f", text);
    let _ = parse_calendar("f", text);
    let _ = parse_column_map("f", text);
    let _ = parse_directive(text, &[]);
    let mut r = DossierReader::with_columns("f", text.as_bytes(), &ColumnMap::default());
    while r.next_row().is_some() {}
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..600)) {
        read_all(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn damaged_files_never_panic(h in hits()) {
        let set = parse_criteria_yaml("c.yaml", CRITERIA).unwrap();
        let _ = parse_criteria_yaml("c.yaml", &damaged(CRITERIA, &h));
        let _ = parse_units_csv("u.csv", &damaged(UNITS, &h));
        let _ = parse_scores_csv("s.csv", &damaged(SCORES, &h), &set);
        let _ = parse_procedures_csv("p.csv", &damaged(PROCEDURES, &h));
        let _ = parse_calendar("l.yaml", &damaged(CALENDAR, &h));
        let _ = parse_column_map("m.yaml", &damaged(COLUMNS, &h));
        let _ = parse_directive(&damaged(DIRECTIVE, &h), &[]);
        let text = damaged(&dossiers(), &h);
        let mut r = DossierReader::new("d.csv", text.as_bytes());
        while r.next_row().is_some() {}
    }
}

/// What the damaged files found: calendar values that overflowed or made the calendar
/// index billions of days.
#[test]
fn calendar_values_found_by_the_fuzzing_are_refused() {
    let with = |from: &str, to: &str| {
        let text = CALENDAR.replacen(from, to, 1);
        assert_ne!(text, CALENDAR, "{from}");
        match parse_calendar("l.yaml", &text) {
            Ok(_) => format!("accepted: {to}"),
            Err(e) => e.to_string(),
        }
    };
    let e = with("years: 2020..2026", "years: 2020..9999");
    assert!(e.contains("các năm phải từ 1900 đến 2200"), "{e}");
    let e = with("2020-01-23..2020-01-29", "2020-01-23..9999-01-29");
    assert!(e.contains("dài quá 366 ngày"), "{e}");
    let e = with("07:30-11:30", "7000:30-11:30");
    assert!(e.contains("7000:30"), "{e}");
}
