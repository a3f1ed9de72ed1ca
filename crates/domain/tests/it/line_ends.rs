//! Every reader names the line an editor shows, whether the file ends its lines with
//! `\n`, `\r\n` (Windows) or `\r`, with or without a UTF-8 byte order mark.

use parindex_domain::calendar::{SHIPPED, parse_calendar};
use parindex_domain::directive::parse_directive;
use parindex_domain::dossiers::{DossierReader, parse_column_map, parse_procedures_csv};
use parindex_domain::units::parse_units_csv;
use parindex_domain::{parse_criteria_yaml, parse_scores_csv};

const SET: &str = include_str!("../data/example-so-2020.yaml");

/// The same text with each kind of line ending.
fn variants(lf: &str) -> Vec<(&'static str, String)> {
    vec![
        ("LF", lf.to_string()),
        ("CRLF", lf.replace('\n', "\r\n")),
        ("CR", lf.replace('\n', "\r")),
        ("BOM+CRLF", format!("\u{feff}{}", lf.replace('\n', "\r\n"))),
        ("BOM+CR", format!("\u{feff}{}", lf.replace('\n', "\r"))),
    ]
}

/// The 1-based line of the LF text that contains `marker`.
fn line_of(lf: &str, marker: &str) -> usize {
    lf.lines().position(|l| l.contains(marker)).unwrap() + 1
}

/// `read` gives the first problem's text; it starts with `FILE:LINE:` in every variant.
fn same_line(lf: &str, file: &str, marker: &str, read: impl Fn(&str) -> String) {
    let want = format!("{file}:{}:", line_of(lf, marker));
    for (kind, text) in variants(lf) {
        let got = read(&text);
        assert!(got.starts_with(&want), "{kind}: want {want}, got {got}");
    }
}

fn first(p: &parindex_domain::Problems) -> String {
    p.0.first().map(ToString::to_string).unwrap_or_default()
}

#[test]
fn criteria_yaml() {
    let lf = SET.replacen(
        "name: \"Ban hành kế hoạch CCHC năm\"\n            max: 1\n",
        "name: \"Ban hành kế hoạch CCHC năm\"\n\n            max: abc\n",
        1,
    );
    assert_ne!(lf, SET);
    same_line(&lf, "e.yaml", "max: abc", |t| {
        first(&parse_criteria_yaml("e.yaml", t).unwrap_err())
    });
}

#[test]
fn units_csv() {
    let lf = "code,name,parent_code\nA,Sở A,\n\n\nB,,\n";
    same_line(lf, "u.csv", "B,,", |t| {
        first(&parse_units_csv("u.csv", t).unwrap_err())
    });
}

#[test]
fn scores_csv() {
    let set = parse_criteria_yaml("e.yaml", SET).unwrap();
    let lf = "unit_code,unit_name,group,criterion,self,appraised,final,input\n\
              A,Sở A,so,I.1.1,1,,,\n\
              \n\
              \n\
              A,Sở A,so,I.8.4,2.5,,,\n";
    same_line(lf, "s.csv", "2.5", |t| {
        first(&parse_scores_csv("s.csv", t, &set).unwrap_err())
    });
}

#[test]
fn procedures_csv() {
    let lf = "code,name,unit_code,limit_days\nP1,\"Tên\nhai dòng\",SKHDT,2\n\nP2,Tên,SKHDT,abc\n";
    same_line(lf, "p.csv", "abc", |t| {
        first(&parse_procedures_csv("p.csv", t).unwrap_err())
    });
}

#[test]
fn dossiers_csv() {
    let lf = "code,unit_code,procedure_code,received_at,note\n\
              HS1,SKHDT,P1,2021-03-01 09:00,\"ghi\nchú\"\n\
              \n\
              HS2,SKHDT,P1,2021-02-30 09:00,\n\
              HS3,SKHDT,P1,2021-03-01 09:00,\n\
              HS4,SKHDT,P1,2021-02-31 09:00,\"x\"\n";
    for marker in ["2021-02-30", "2021-02-31"] {
        same_line(lf, "d.csv", marker, |t| {
            let mut r = DossierReader::new("d.csv", t.as_bytes());
            let mut problems = Vec::new();
            while let Some(row) = r.next_row() {
                if let Err(p) = row {
                    problems.push(first(&p));
                }
            }
            problems
                .into_iter()
                .find(|p| p.contains(marker))
                .unwrap_or_default()
        });
    }
}

#[test]
fn calendar_yaml() {
    let lf = SHIPPED.replacen("  - 2020-04-02\n", "\n  - 2020-13-02\n", 1);
    assert_ne!(lf, SHIPPED);
    same_line(&lf, "lich.yaml", "2020-13-02", |t| {
        first(&parse_calendar("lich.yaml", t).unwrap_err())
    });
}

#[test]
fn column_map_yaml() {
    let lf = "# ánh xạ\ncolumns:\n  code: \"Số hồ sơ\"\n\n  ngay: \"Ngày\"\n";
    same_line(lf, "cot.yaml", "ngay", |t| {
        first(&parse_column_map("cot.yaml", t).unwrap_err())
    });
}

#[test]
fn directive_txt() {
    let lf = "KẾ HOẠCH\nThử\n\nI. NHIỆM VỤ\n\n1. Văn phòng Sở báo cáo\nhằng tháng.\n\n\
              2. Phòng Thanh tra kiểm tra.\n\nMột đoạn lạc chỗ.\n";
    let stray = line_of(lf, "lạc chỗ");
    let items = [line_of(lf, "1. Văn"), line_of(lf, "2. Phòng")];
    for (kind, text) in variants(lf) {
        let d = parse_directive(&text, &[]).unwrap();
        let lines: Vec<usize> = d.items.iter().map(|i| i.line).collect();
        assert_eq!(lines, items, "{kind}");
        assert_eq!(
            d.items[0].text, "Văn phòng Sở báo cáo hằng tháng.",
            "{kind}"
        );
        assert!(
            d.warnings
                .iter()
                .any(|w| w.starts_with(&format!("dòng {stray}: "))),
            "{kind}: {:?}",
            d.warnings
        );
    }
}
