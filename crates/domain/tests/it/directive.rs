//! The directive reader on the real notice and on variants written for the purpose.

use std::collections::HashMap;

use parindex_domain::directive::{Directive, Item, KnownUnit, parse_directive};
use parindex_domain::units::parse_units_csv;
use proptest::prelude::*;
use unicode_normalization::UnicodeNormalization;

const NOTICE: &str = include_str!("../data/tb-skhdt-2021-04-chan-chinh-cchc.txt");
const UNITS: &str = include_str!("../../../../data/brvt-units.csv");

fn units() -> Vec<KnownUnit> {
    parse_units_csv("units.csv", UNITS)
        .unwrap()
        .into_iter()
        .map(|u| KnownUnit {
            code: u.code,
            name: u.name,
        })
        .collect()
}

fn notice() -> Directive {
    parse_directive(NOTICE, &units()).unwrap()
}

fn led_by<'a>(d: &'a Directive, code: &str) -> Vec<&'a Item> {
    d.items
        .iter()
        .filter(|i| {
            i.assignees
                .iter()
                .any(|a| a.unit.as_deref() == Some(code) && a.role == "lead")
        })
        .collect()
}

#[test]
fn header_signer_and_recipients() {
    let d = notice();
    assert_eq!(d.doc_type.as_deref(), Some("TB"));
    assert_eq!(d.number, None);
    assert_eq!(d.symbol.as_deref(), Some("TB-SKHĐT"));
    assert_eq!(d.place.as_deref(), Some("Bà Rịa – Vũng Tàu"));
    assert_eq!(d.date.as_deref(), Some("2021-04"));
    assert_eq!(
        d.subject.as_deref(),
        Some("Chấn chỉnh tình hình thực hiện Bộ chỉ số CCHC tại Sở")
    );
    let s = d.signer.clone().unwrap();
    assert_eq!(s.authority.as_deref(), Some("KT. GIÁM ĐỐC"));
    assert_eq!(s.title.as_deref(), Some("PHÓ GIÁM ĐỐC"));
    assert_eq!(s.name.as_deref(), Some("Nguyễn Văn Đặng"));
    assert_eq!(
        d.recipients,
        [
            "UBND tỉnh (để báo cáo)",
            "Sở Nội vụ",
            "Các PGĐ",
            "Các phòng",
            "Lưu VT"
        ]
    );
    assert!(d.warnings.is_empty(), "{:?}", d.warnings);
}

#[test]
fn general_items_are_for_everyone_with_their_criteria() {
    let d = notice();
    let general: Vec<&Item> = d.items.iter().filter(|i| i.all).collect();
    assert_eq!(general.len(), 6);
    assert!(
        general
            .iter()
            .all(|i| i.assignees.is_empty() && i.reference.starts_with("I."))
    );
    let codes: Vec<Vec<String>> = general.iter().map(|i| i.criteria.clone()).collect();
    assert_eq!(
        codes[..5],
        [
            vec!["I.1.5.1"],
            vec!["I.2.1.1"],
            vec!["I.2.1.2"],
            vec!["I.7.1"],
            vec!["I.8.4"]
        ]
    );
    let i4 = general[3];
    assert_eq!(i4.reference, "I.4");
    assert_eq!(i4.recurrence, Some("continuous"));
    assert_eq!(i4.references.len(), 1);
    assert_eq!(i4.references[0].number, "3241/QĐ-UBND");
    assert_eq!(i4.references[0].date.as_deref(), Some("2020-10-26"));
    let i5 = general[4];
    let numbers: Vec<&str> = i5.references.iter().map(|r| r.number.as_str()).collect();
    assert_eq!(numbers, ["2341/QĐ-UBND", "3241/QĐ-UBND"]);
    assert_eq!(i5.references[0].date.as_deref(), Some("2020-08-14"));
}

#[test]
fn every_division_gets_its_items() {
    let d = notice();
    assert_eq!(
        led_by(&d, "SKHDT-VP").len(),
        16 + 1,
        "16 items and the monitoring duty"
    );
    assert_eq!(led_by(&d, "SKHDT-DTPT").len(), 8);
    assert_eq!(led_by(&d, "SKHDT-DKKD").len(), 9);
    assert_eq!(led_by(&d, "SKHDT-TTRA").len(), 8);
    for code in ["SKHDT-DTGS", "SKHDT-THQH", "SKHDT-KTE", "SKHDT-VXH"] {
        let items = led_by(&d, code);
        assert_eq!(items.len(), 5, "{code}");
        assert!(
            items.iter().all(|i| i.reference.starts_with("II.5.")),
            "shared group items"
        );
    }
    let web = d.items.iter().find(|i| i.reference == "II.1.15").unwrap();
    assert_eq!(web.recurrence, Some("weekly"));
    assert!(web.text.ends_with("(website của sở) hàng tuần."));
    let monitor = d.items.iter().find(|i| i.reference == "II.6").unwrap();
    assert_eq!(monitor.assignees.len(), 1);
    assert_eq!(monitor.assignees[0].unit.as_deref(), Some("SKHDT-VP"));
    // Another division's item that names the Office after `phối hợp với` makes it support.
    let coord = d.items.iter().find(|i| i.reference == "II.2.5").unwrap();
    let roles: Vec<(&str, &str)> = coord
        .assignees
        .iter()
        .map(|a| (a.unit.as_deref().unwrap_or(""), a.role))
        .collect();
    assert_eq!(roles, [("SKHDT-DTPT", "lead"), ("SKHDT-VP", "support")]);
    assert_eq!(d.items.len(), 6 + 16 + 8 + 9 + 8 + 5 + 1);
}

#[test]
fn page_broken_sentence_is_joined_and_references_read() {
    let d = notice();
    let last = d.items.iter().find(|i| i.reference == "II.4.8").unwrap();
    assert!(
        last.text.contains("Kế hoạch tuyên truyền cải cách hành chính số 08/KH-SKHĐT ngày 8/02/2021; Kế hoạch khảo sát"),
        "{}",
        last.text
    );
    let refs: Vec<(&str, Option<&str>)> = last
        .references
        .iter()
        .map(|r| (r.number.as_str(), r.date.as_deref()))
        .collect();
    assert_eq!(
        refs,
        [
            ("23/KH-SKHĐT", Some("2020-12-22")),
            ("08/QĐ-SKHĐT", Some("2021-02-04")),
            ("08/KH-SKHĐT", Some("2021-02-08"))
        ]
    );
    let nq = d.items.iter().find(|i| i.reference == "II.1.9").unwrap();
    let numbers: Vec<&str> = nq.references.iter().map(|r| r.number.as_str()).collect();
    assert_eq!(numbers, ["39-NQ/TW", "18-NQ-TW", "19-NQ/TW"]);
    let period = d.items.iter().find(|i| i.reference == "II.3.9").unwrap();
    assert_eq!(period.due.as_deref(), Some("2025-12-31"));
    let training = d.items.iter().find(|i| i.reference == "II.1.7").unwrap();
    assert_eq!(
        (training.recurrence, training.due.as_deref()),
        (Some("yearly"), Some("2021-12-31"))
    );
}

#[test]
fn without_units_names_are_kept_as_written() {
    let d = parse_directive(NOTICE, &[]).unwrap();
    let first = d.items.iter().find(|i| i.reference == "II.1.1").unwrap();
    assert_eq!(first.assignees.len(), 1);
    assert_eq!(first.assignees[0].unit, None);
    assert_eq!(first.assignees[0].name, "Văn phòng Sở");
    assert_eq!(d.items.len(), 53);
}

#[test]
fn windows_line_ends_and_nfd_text_read_the_same() {
    let base = notice();
    let crlf = parse_directive(&NOTICE.replace('\n', "\r\n"), &units()).unwrap();
    assert_eq!(crlf, base);
    let nfd: String = NOTICE.nfd().collect();
    let from_nfd = parse_directive(&nfd, &units()).unwrap();
    assert_eq!(from_nfd, base);
}

const PLAN: &str = "UBND TỈNH BÀ RỊA – VŨNG TÀU
SỞ KẾ HOẠCH VÀ ĐẦU TƯ

Số: 23/KH-SKHĐT

Bà Rịa – Vũng Tàu, ngày 22 tháng 12 năm 2020

KẾ HOẠCH
Cải cách hành chính năm 2021

I. MỤC ĐÍCH, YÊU CẦU

1. Khắc phục các tiêu chí thành phần chưa đạt điểm của năm 2020.

II. NHIỆM VỤ CỤ THỂ

1. Phòng Đăng ký kinh doanh:

a) Nâng tỷ lệ hồ sơ qua dịch vụ bưu chính công ích lên 10% trước ngày 30/6/2021, báo cáo hàng tháng.

b) Phối hợp với Văn phòng Sở công khai thủ tục hành chính trên trang thông tin điện tử
của Sở theo tiêu chí thành phần I.3.2.

2) Giao Phòng Thanh tra chủ trì xây dựng chương trình kiểm tra trong quý II.

Một đoạn lạc chỗ không thuộc mục nào.
";

#[test]
fn a_plan_with_lettered_items_and_no_signer() {
    let d = parse_directive(PLAN, &units()).unwrap();
    assert_eq!(d.doc_type.as_deref(), Some("KH"));
    assert_eq!(d.number, Some(23));
    assert_eq!(d.symbol.as_deref(), Some("KH-SKHĐT"));
    assert_eq!(d.date.as_deref(), Some("2020-12-22"));
    assert_eq!(d.subject.as_deref(), Some("Cải cách hành chính năm 2021"));
    assert_eq!(d.issuer.as_deref(), Some("UBND TỈNH BÀ RỊA – VŨNG TÀU"));
    assert!(d.signer.is_none());
    let refs: Vec<&str> = d.items.iter().map(|i| i.reference.as_str()).collect();
    assert_eq!(refs, ["I.1", "II.1.1", "II.1.2", "II.2"]);
    let a = &d.items[1];
    assert_eq!(a.due.as_deref(), Some("2021-06-30"));
    assert_eq!(a.recurrence, Some("monthly"));
    let b = &d.items[2];
    assert!(
        b.text
            .ends_with("trên trang thông tin điện tử của Sở theo tiêu chí thành phần I.3.2."),
        "{}",
        b.text
    );
    assert_eq!(b.criteria, ["I.3.2"]);
    let roles: Vec<(&str, &str)> = b
        .assignees
        .iter()
        .map(|a| (a.unit.as_deref().unwrap_or(""), a.role))
        .collect();
    assert_eq!(roles, [("SKHDT-DKKD", "lead"), ("SKHDT-VP", "support")]);
    let charged = &d.items[3];
    assert_eq!(charged.assignees.len(), 1);
    assert_eq!(charged.assignees[0].unit.as_deref(), Some("SKHDT-TTRA"));
    assert_eq!(
        charged.due.as_deref(),
        Some("2021-06-30"),
        "a plan for 2021 dated 22/12/2020: its quarter II is 2021's"
    );
    assert_eq!(d.warnings.len(), 1, "{:?}", d.warnings);
    assert!(d.warnings[0].contains("Một đoạn lạc chỗ"));
}

#[test]
fn a_schedule_running_past_ten_years_is_refused_with_its_line() {
    use parindex_domain::schedule::{Repeat, Schedule};
    use parindex_domain::tasks::{propose, schedule_problems, start_of};
    use parindex_domain::text::Date;
    let today = Date::parse("2021-01-01").unwrap();
    let plan = parse_directive(PLAN, &units()).unwrap();
    assert!(
        schedule_problems(&propose(
            &plan,
            &[],
            start_of(&plan, today),
            &HashMap::new()
        ))
        .is_empty()
    );
    let text = PLAN.replace(
        "trước ngày 30/6/2021, báo cáo hàng tháng",
        "đến ngày 31/12/3000, báo cáo hàng tuần",
    );
    let d = parse_directive(&text, &units()).unwrap();
    let proposals = propose(&d, &[], start_of(&d, today), &HashMap::new());
    assert_eq!(
        schedule_problems(&proposals),
        [
            "dòng 19: mục II.1.1: hạn 31/12/3000 quá 10 năm kể từ ngày bắt đầu 22/12/2020 \
          (muộn nhất 22/12/2030); hãy ghi hạn gần hơn"
        ]
    );
    // Whoever skips the check still gets ten years of Fridays, not 51,000 of them.
    let weekly = &proposals[1].schedule;
    assert_eq!(weekly.repeat, Repeat::Weekly { weekday: 5 });
    let n = weekly.occurrences(weekly.start, weekly.end).len();
    assert!((520..=523).contains(&n), "{n}");

    // Absurd years are not dates, and a schedule made by hand at the end of time neither
    // overflows nor loops.
    for s in [
        "31/12/2147483647",
        "2147483647-12-31",
        "31/12/99999",
        "1/1/0",
        "1/1/+2021",
    ] {
        assert_eq!(Date::parse(s), None, "{s}");
    }
    assert!(Date::parse("31/12/9999").is_some());
    let end_of_time = Schedule {
        repeat: Repeat::Monthly { day: 31 },
        start: Date::new(i32::MAX, 11, 1).unwrap(),
        end: Date::new(i32::MAX, 12, 31).unwrap(),
    };
    assert_eq!(
        end_of_time
            .occurrences(end_of_time.start, end_of_time.end)
            .len(),
        2
    );
}

#[test]
fn text_without_a_body_is_refused() {
    assert!(parse_directive("Xin chào,\nđây không phải là văn bản chỉ đạo.\n", &[]).is_err());
    assert!(parse_directive("", &[]).is_err());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn reader_never_panics(text in "\\PC{0,400}") {
        let _ = parse_directive(&text, &units());
    }

    #[test]
    fn cut_notices_never_panic(cut in 0usize..12_000, len in 0usize..3000) {
        let chars: Vec<char> = NOTICE.chars().collect();
        let a = cut.min(chars.len());
        let b = (a + len).min(chars.len());
        let piece: String = chars[a..b].iter().collect();
        let _ = parse_directive(&piece, &units());
    }
}

#[test]
fn an_item_for_every_division_is_led_by_the_owner_of_its_criterion() {
    use parindex_domain::tasks::{propose, start_of};
    use parindex_domain::text::Date;
    let d = notice();
    let divisions = units();
    let start = start_of(&d, Date::parse("2021-04-01").unwrap());
    let general = |p: &[parindex_domain::tasks::Proposal]| {
        p.iter()
            .find(|p| p.criteria == ["I.7.1"])
            .map(|p| p.leads.clone())
            .unwrap()
    };
    // Without an owner, "every division" leads.
    let everyone = general(&propose(&d, &divisions, start, &HashMap::new()));
    assert_eq!(everyone.len(), divisions.len());
    // I.7.1's owner leads alone.
    let owners = HashMap::from([("I.7.1".to_string(), "SKHDT-VP".to_string())]);
    let owned = propose(&d, &divisions, start, &owners);
    assert_eq!(general(&owned), ["SKHDT-VP"]);
    // Items without an owned criterion keep every division.
    let other = owned.iter().find(|p| p.criteria == ["I.2.1.1"]).unwrap();
    assert_eq!(other.leads.len(), divisions.len());
}
