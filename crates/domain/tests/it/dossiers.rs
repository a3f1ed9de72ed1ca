//! Dossiers: reading the CSV contract, classification, the apology rule and the figures.

use parindex_domain::calendar::{Calendar, Instant, parse_calendar};
use parindex_domain::dossiers::{
    Channel, DossierReader, DossierRow, Figures, OnlineLevel, Status, classify, duplicate_codes,
    has_timely_apology, parse_procedures_csv, rate,
};

const CAL: &str = "years: 2021..2021\nweekend: [sat, sun]\nhours:\n  - \"07:30-11:30\"\n  - \"13:30-17:00\"\nholidays:\n  - 2021-01-01\n  - 2021-02-10..2021-02-16\nworking_days:\n  - 2021-01-09\n";

fn cal() -> Calendar {
    parse_calendar("c.yaml", CAL).unwrap()
}

fn at(s: &str) -> Instant {
    Instant::parse(s).unwrap()
}

fn read(text: &[u8]) -> (Vec<DossierRow>, Vec<String>) {
    let mut r = DossierReader::new("d.csv", text);
    let mut rows = Vec::new();
    let mut problems: Vec<String> = r
        .header_problems()
        .map(|p| p.0.iter().map(ToString::to_string).collect())
        .unwrap_or_default();
    while let Some(row) = r.next_row() {
        match row {
            Ok(row) => rows.push(row),
            Err(p) => problems.extend(p.0.iter().map(ToString::to_string)),
        }
    }
    (rows, problems)
}

#[test]
fn classification_follows_the_due_instant_not_the_new_date() {
    let due = at("2021-02-18 09:15");
    let as_of = at("2021-03-01 08:00");
    assert_eq!(
        classify(due, Some(at("2021-02-17 16:00")), as_of),
        Status::Early
    );
    assert_eq!(
        classify(due, Some(at("2021-02-18 07:30")), as_of),
        Status::OnTime
    );
    assert_eq!(
        classify(due, Some(at("2021-02-18 09:15")), as_of),
        Status::OnTime
    );
    assert_eq!(
        classify(due, Some(at("2021-02-18 09:16")), as_of),
        Status::Late
    );
    assert_eq!(classify(due, None, as_of), Status::PendingOverdue);
    assert_eq!(classify(due, None, at("2021-02-18 09:15")), Status::Pending);
}

#[test]
fn an_apology_needs_a_working_day_before_the_due_date() {
    let c = cal();
    let due = at("2021-02-18 09:15");
    // The 17th is a working day before the 18th.
    assert!(has_timely_apology(&c, Some(at("2021-02-17 16:59")), due));
    assert!(has_timely_apology(&c, Some(at("2021-02-12 10:00")), due));
    // On the due date itself: too late.
    assert!(!has_timely_apology(&c, Some(at("2021-02-18 07:00")), due));
    assert!(!has_timely_apology(&c, None, due));
    // Only Tết days lie between the slip and the due date.
    let due17 = at("2021-02-17 08:00");
    assert!(!has_timely_apology(&c, Some(at("2021-02-13 09:00")), due17));
    assert!(has_timely_apology(&c, Some(at("2021-02-09 09:00")), due17));
}

#[test]
fn rates_have_two_decimals_rounded_half_up() {
    assert_eq!(rate(0, 0), "0.00");
    assert_eq!(rate(2, 3), "66.67");
    assert_eq!(rate(1, 3), "33.33");
    assert_eq!(rate(1, 800), "0.13");
    assert_eq!(rate(1, 16), "6.25");
    assert_eq!(rate(7, 7), "100.00");
    assert_eq!(rate(1150 - 50, 1150), "95.65");
}

#[test]
fn figures_count_a_small_file() {
    let csv = "\u{feff}code,unit_code,procedure_code,received_at,due_at,finished_at,channel,apology_at,new_due_at,extra\n\
               HS1,SKHDT,P1,2021-02-09 09:15,2021-02-18 09:15,2021-02-17 10:00,online,,,x\n\
               HS2,SKHDT,P1,2021-02-09 09:15,2021-02-18 09:15,2021-02-18 09:00,,,,\n\
               HS3,SKHDT,P1,2021-02-09 09:15,2021-02-18 09:15,2021-02-19 09:00,postal,2021-02-17 08:00,2021-02-22 09:00,\n\
               HS4,SKHDT,P1,2021-02-09 09:15,2021-02-18 09:15,2021-02-19 09:00,,,,\n\
               \n\
               HS5,SKHDT,P1,2021-02-09 09:15,2021-02-18 09:15,,online,,,\n\
               HS6,SKHDT,P1,2021-02-25 09:15,2021-03-05 09:15,,,,,\n";
    let (rows, problems) = read(csv.as_bytes());
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(rows.len(), 6);
    assert_eq!(rows[2].line, 4);
    assert_eq!(rows[4].line, 7, "the blank line still counts");
    let c = cal();
    let as_of = at("2021-03-01 08:00");
    let mut f = Figures::default();
    for r in &rows {
        let due = r.due_at.unwrap();
        f.add(
            classify(due, r.finished_at, as_of),
            r.channel,
            has_timely_apology(&c, r.apology_at, due),
        );
    }
    assert_eq!(
        (f.received, f.finished, f.early, f.on_time, f.late),
        (6, 4, 1, 1, 2)
    );
    assert_eq!((f.pending, f.pending_overdue), (2, 1));
    // HS4 (late, no slip) and HS5 (overdue, no slip); HS3 had its slip in time.
    assert_eq!(f.late_without_apology, 2);
    assert_eq!(f.on_time_rate(), "50.00");
    assert_eq!(f.online_rate(), "33.33");
    assert_eq!(f.postal_rate(), "16.67");
    let mut twice = f;
    twice.merge(&f);
    assert_eq!(twice.received, 12);
    assert_eq!(twice.on_time_rate(), "50.00");
    assert_eq!(rows[0].channel, Channel::Online);
}

#[test]
fn every_bad_row_is_reported_with_its_line_and_column() {
    let csv = "code,unit_code,procedure_code,received_at,due_at,finished_at,channel\n\
               HS1,SKHDT,P1,2021-02-30 09:15,,,\n\
               HS2,SKHDT,P1,2021-02-09 09:15,,2021-02-08 10:00,\n\
               HS3,,P1,2021-02-09 09:15,,,fax\n\
               HS4,SKHDT,P1,2021-02-09 09:15,,,\n\
               HS4,SKHDT,P1,2021-02-10 09:15,,,\n";
    let (rows, p) = read(csv.as_bytes());
    assert_eq!(p.len(), 4, "{p:?}");
    assert!(
        p[0].starts_with("d.csv:2: received_at: `2021-02-30 09:15`"),
        "{p:?}"
    );
    assert!(
        p[1].starts_with("d.csv:3: finished_at: ") && p[1].contains("trước ngày tiếp nhận"),
        "{p:?}"
    );
    assert!(p[2].starts_with("d.csv:4: unit_code: thiếu"), "{p:?}");
    assert!(p[3].starts_with("d.csv:4: channel: `fax`"), "{p:?}");
    let dup = duplicate_codes(&rows, "d.csv");
    assert_eq!(dup.len(), 1);
    assert!(
        dup[0].to_string().starts_with("d.csv:6: code: ") && dup[0].message.contains("dòng 5"),
        "{dup:?}"
    );
}

#[test]
fn a_non_utf8_line_and_a_missing_column_are_reported() {
    let mut bytes =
        b"code,unit_code,procedure_code,received_at\nHS1,SKHDT,P1,2021-02-09 09:15\n".to_vec();
    bytes.extend_from_slice(b"HS2,S\xe0KHDT,P1,2021-02-09 09:15\n");
    bytes.extend_from_slice(b"HS3,SKHDT,P1,2021-02-09 09:15\n");
    let (rows, p) = read(&bytes);
    assert_eq!(rows.len(), 2, "the reader goes on after a bad line");
    assert_eq!(p.len(), 1, "{p:?}");
    assert!(
        p[0].starts_with("d.csv:3: ") && p[0].contains("UTF-8"),
        "{p:?}"
    );
    let (rows, p) = read(b"code,unit_code,received_at\nHS1,SKHDT,2021-02-09 09:15\n");
    assert!(rows.is_empty());
    assert_eq!(p, ["d.csv:1: thiếu cột bắt buộc `procedure_code`"]);
}

#[test]
fn procedures_are_read_and_checked() {
    let ok = "code,name,unit_code,limit_days,internal_days,online_level,postal\n\
              1.001,Đăng ký thành lập doanh nghiệp,SKHDT,3,2,full,yes\n\
              1.002,Cấp giấy phép,SKHDT,15,,3,no\n";
    let p = parse_procedures_csv("p.csv", ok).unwrap();
    assert_eq!(p.len(), 2);
    assert_eq!(p[0].internal_days, Some(2));
    assert_eq!(p[0].online_level, Some(OnlineLevel::Full));
    assert_eq!(p[1].online_level, Some(OnlineLevel::Level(3)));
    assert_eq!(p[1].postal, Some(false));
    let bad = "code,name,unit_code,limit_days,internal_days,online_level\n\
               1.001,A,SKHDT,0,,\n\
               1.002,B,SKHDT,5,7,5\n\
               1.001,C,SKHDT,5,,\n";
    let e = parse_procedures_csv("p.csv", bad).unwrap_err().to_string();
    let lines: Vec<&str> = e.lines().collect();
    assert_eq!(lines.len(), 4, "{e}");
    assert!(lines[0].starts_with("p.csv:2: limit_days: `0`"), "{e}");
    assert!(lines[1].starts_with("p.csv:3: internal_days: "), "{e}");
    assert!(lines[2].starts_with("p.csv:3: online_level: `5`"), "{e}");
    assert!(
        lines[3].starts_with("p.csv:4: code: ") && lines[3].contains("dòng 2"),
        "{e}"
    );
    let missing = parse_procedures_csv("p.csv", "code,name\n").unwrap_err();
    assert_eq!(missing.0.len(), 2);
}

#[test]
fn the_sample_generator_is_valid_and_repeatable() {
    use parindex_domain::dossiers::{SampleProcedure, write_sample_csv};
    let procs = [
        SampleProcedure {
            unit_code: "SKHDT",
            code: "P1",
            limit_days: 3,
        },
        SampleProcedure {
            unit_code: "STC",
            code: "P2",
            limit_days: 15,
        },
    ];
    let mut a = Vec::new();
    write_sample_csv(&mut a, 7, 2021, &procs, 3000, 4).unwrap();
    let mut b = Vec::new();
    write_sample_csv(&mut b, 7, 2021, &procs, 3000, 4).unwrap();
    assert_eq!(a, b, "same seed, same file");
    let mut c = Vec::new();
    write_sample_csv(&mut c, 8, 2021, &procs, 3000, 4).unwrap();
    assert_ne!(a, c);
    let (rows, problems) = read(&a);
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(rows.len(), 3000);
    let online = rows.iter().filter(|r| r.channel == Channel::Online).count();
    let postal = rows.iter().filter(|r| r.channel == Channel::Postal).count();
    let open = rows.iter().filter(|r| r.finished_at.is_none()).count();
    assert!((1000..1400).contains(&online), "{online}");
    assert!((200..400).contains(&postal), "{postal}");
    assert!(open > 0 && open < 150, "{open}");
    assert!(rows.iter().all(|r| r.received_at.date.year == 2021));
}

#[test]
fn procedure_errors_after_a_blank_line_name_the_editors_line() {
    let e = parse_procedures_csv(
        "p.csv",
        "code,name,unit_code,limit_days\nP1,A,SKHDT,3\n\nP2,B,SKHDT,0\n",
    )
    .unwrap_err()
    .to_string();
    assert!(e.starts_with("p.csv:4: limit_days: "), "{e}");
}

#[test]
fn a_rule_may_take_its_input_from_a_dossier_figure() {
    use parindex_domain::dossiers::Figure;
    use parindex_domain::parse_criteria_yaml;
    let set_text = include_str!("../data/example-so-2020.yaml").replace(
        "rule: { kind: proportional }",
        "rule: { kind: thresholds, input: dossiers.on_time_rate, bands: [ { min: 95, points: 2 }, { min: 90, points: 1 } ] }",
    );
    let set = parse_criteria_yaml("s.yaml", &set_text).unwrap();
    let leaf = set.position("I.8.4").unwrap();
    assert_eq!(set.nodes[leaf].figure, Some(Figure::OnTimeRate));
    // The figure survives the set's own YAML (stored sets are re-read from it).
    let again = parse_criteria_yaml("again.yaml", &set.to_yaml()).unwrap();
    assert_eq!(again.nodes[leaf].figure, Some(Figure::OnTimeRate));
    assert_eq!(again.to_yaml(), set.to_yaml());

    // 19 of 20 finished on time or early: 95.00 % → 2 points through the leaf's rule.
    let f = Figures {
        received: 21,
        finished: 20,
        early: 10,
        on_time: 9,
        late: 1,
        pending: 1,
        ..Figures::default()
    };
    let input = Figure::OnTimeRate.value(&f).unwrap();
    assert_eq!(input, "95.00");
    let rule = set.nodes[leaf].rule.as_ref().unwrap();
    assert_eq!(
        rule.points_from_input(set.nodes[leaf].max, &input).unwrap(),
        parindex_domain::Points::parse("2").unwrap()
    );
    assert_eq!(Figure::Late.value(&f).as_deref(), Some("1"));
    // A rate of nothing is not a figure: the leaf keeps what it had.
    assert_eq!(Figure::OnTimeRate.value(&Figures::default()), None);

    let bad = |from: &str, to: &str| {
        parse_criteria_yaml("b.yaml", &set_text.replace(from, to))
            .unwrap_err()
            .to_string()
    };
    // Restricted to one field's procedures: `[field=…]`, its name folded to a slug.
    let field = parse_criteria_yaml(
        "f.yaml",
        &set_text.replace(
            "input: dossiers.on_time_rate,",
            "input: \"dossiers.on_time_rate[field=Đầu tư]\",",
        ),
    )
    .unwrap();
    assert_eq!(field.nodes[leaf].figure, Some(Figure::OnTimeRate));
    assert_eq!(field.nodes[leaf].figure_field.as_deref(), Some("dau-tu"));
    let bad_filter = bad(
        "input: dossiers.on_time_rate,",
        "input: \"dossiers.on_time_rate[unit=SKHDT]\",",
    );
    assert!(
        bad_filter.contains("b.yaml:38:") && bad_filter.contains("[field=dau-tu]"),
        "{bad_filter}"
    );
    // The reporting year (15/12 of the year before to 14/12), alone or with a field; the
    // canonical form is written back.
    let both = parse_criteria_yaml(
        "r.yaml",
        &set_text.replace(
            "input: dossiers.on_time_rate,",
            "input: \"dossiers.on_time_rate[ period = Báo cáo , field=Đầu tư ]\",",
        ),
    )
    .unwrap();
    assert_eq!(
        both.nodes[leaf].figure_window,
        parindex_domain::FigureWindow::ReportingYear
    );
    assert_eq!(both.nodes[leaf].figure_field.as_deref(), Some("dau-tu"));
    assert_eq!(
        both.nodes[leaf].figure_input().as_deref(),
        Some("dossiers.on_time_rate[field=dau-tu, period=report]")
    );
    let again = parse_criteria_yaml("r2.yaml", &both.to_yaml()).unwrap();
    assert_eq!(
        again.nodes[leaf].figure_input(),
        both.nodes[leaf].figure_input()
    );
    assert_eq!(
        again.nodes[leaf].figure_window,
        both.nodes[leaf].figure_window
    );
    let (from, to) = parindex_domain::FigureWindow::ReportingYear.range(2021);
    assert_eq!(
        (from.to_vi(), to.to_vi()),
        ("15/12/2020".to_string(), "14/12/2021".to_string())
    );
    let bad_period = bad(
        "input: dossiers.on_time_rate,",
        "input: \"dossiers.on_time_rate[period=quy]\",",
    );
    assert!(
        bad_period.contains("b.yaml:38:") && bad_period.contains("[period=report]"),
        "{bad_period}"
    );
    let unknown = bad("dossiers.on_time_rate", "dossiers.speed");
    assert!(
        unknown.contains("b.yaml:38:") && unknown.contains("`dossiers.speed`"),
        "{unknown}"
    );
    let rate_as_count = bad(
        "{ kind: thresholds, input: dossiers.on_time_rate, bands: [ { min: 95, points: 2 }, { min: 90, points: 1 } ] }",
        "{ kind: deduction, per: 0.5, input: dossiers.on_time_rate }",
    );
    assert!(
        rate_as_count.contains("b.yaml:38:") && rate_as_count.contains("số lần"),
        "{rate_as_count}"
    );
    let on_binary = bad(
        "{ kind: thresholds, input: dossiers.on_time_rate, bands: [ { min: 95, points: 2 }, { min: 90, points: 1 } ] }",
        "{ kind: binary, input: dossiers.late }",
    );
    assert!(on_binary.contains("b.yaml:38:"), "{on_binary}");
}

#[test]
fn a_column_map_renames_an_exports_headers() {
    use parindex_domain::dossiers::parse_column_map;
    let shipped = parse_column_map(
        "mau.yaml",
        include_str!("../../../../data/columns/mau-xuat-mot-cua.yaml"),
    )
    .unwrap();
    let csv = "SO HO SO,Mã cơ quan,Mã thủ tục,Ngày tiếp nhận,Hình thức nộp,Ngày có kết quả,Kết quả xử lý,Số ngày tạm dừng,Ngày trả kết quả,Hình thức trả kết quả\n\
               HS1,SKHDT,P1,09/02/2021 09:15:30,Trực tuyến,22/02/2021 10:00,Từ chối,3,23/02/2021 08:00,Bưu chính\n";
    let mut r = DossierReader::with_columns("x.csv", csv.as_bytes(), &shipped);
    assert!(r.header_problems().is_none());
    let row = r.next_row().unwrap().unwrap();
    assert_eq!(row.code, "HS1");
    assert_eq!(
        row.outcome,
        Some(parindex_domain::dossiers::Outcome::Refused)
    );
    assert_eq!(row.paused_days, 3);
    assert_eq!(
        row.returned_at
            .map(parindex_domain::calendar::Instant::to_iso)
            .as_deref(),
        Some("2021-02-23 08:00")
    );
    assert_eq!(row.return_channel, Some(Channel::Postal));
    assert_eq!(row.received_at.to_iso(), "2021-02-09 09:15");
    assert_eq!(row.channel, Channel::Online);
    let err = parse_column_map("m.yaml", "columns:\n  codes: \"Số\"\n")
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("m.yaml:2:"), "{err}");
}
