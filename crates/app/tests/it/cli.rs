//! The command line contract (`shared/spec/cli.md`).

use parindex_db::testkit::{each_db, sqlite};

use crate::common::{data, demo_dbs, run, temp_file, tiny_workbook};

#[test]
fn score_gives_the_documented_numbers() {
    let r = run(
        "sqlite::memory:",
        &[
            "score",
            "--criteria",
            &data("example-so-2020.yaml"),
            "--scores",
            &data("example-scores.csv"),
            "--format",
            "json",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let mut got: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let want: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(data("example-expected.json")).unwrap())
            .unwrap();
    // The keys added since the contract's example (max, bonus, penalty), then the example.
    for u in got["units"].as_array_mut().unwrap() {
        let u = u.as_object_mut().unwrap();
        assert_eq!(u.remove("max").unwrap(), "15.500");
        assert_eq!(u.remove("bonus").unwrap(), "0.000");
        assert_eq!(u.remove("penalty").unwrap(), "0.000");
    }
    assert_eq!(got, want);
}

#[test]
fn score_unit_lists_leaves_and_csv_has_dots() {
    let args = [
        "score",
        "--criteria",
        &data("example-so-2020.yaml"),
        "--scores",
        &data("example-scores.csv"),
    ];
    let r = run(
        "sqlite::memory:",
        &[&args[..], &["--unit", "SKHDT", "--format", "json"]].concat(),
    );
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let row = v["units"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["unit_code"] == "SKHDT")
        .unwrap();
    assert_eq!(row["leaves"].as_array().unwrap().len(), 5);
    let r = run(
        "sqlite::memory:",
        &[&args[..], &["--format", "csv"]].concat(),
    );
    assert!(
        r.stdout
            .contains("SKHDT,Sở Kế hoạch và Đầu tư,so,11.950,77.097,Trung bình,2,3,3.550"),
        "{}",
        r.stdout
    );
}

#[tokio::test]
async fn demo_ranking_lists_skhdt_11th_of_21() {
    for (db, url) in demo_dbs().await {
        // Loading the demo twice changes nothing.
        assert_eq!(run(&url, &["demo"]).code, 0);
        let r = run(
            &url,
            &[
                "ranking",
                "--set",
                "brvt-so-2020",
                "--group",
                "so",
                "--format",
                "json",
            ],
        );
        assert_eq!(r.code, 0, "{}: {}", db.kind(), r.stderr);
        let v: serde_json::Value = serde_json::from_str(&r.stdout).expect("stdout is JSON alone");
        let units = v["units"].as_array().unwrap();
        assert_eq!(units.len(), 21);
        let skhdt = units.iter().find(|u| u["unit_code"] == "SKHDT").unwrap();
        assert_eq!(skhdt["score"], "85.620", "{}", db.kind());
        assert_eq!(skhdt["rank"], 11);
        assert_eq!(skhdt["of"], 21);
        assert_eq!(units[0]["unit_code"], "STC");
        assert_eq!(units[20]["unit_code"], "SNGV");
        // Without --set, the newest set; the table uses Vietnamese decimals.
        let t = run(&url, &["ranking"]);
        assert!(t.stdout.contains("85,620"), "{}", t.stdout);
        let out =
            std::env::temp_dir().join(format!("rank-{}-{}.xlsx", std::process::id(), db.kind()));
        let x = run(
            &url,
            &[
                "ranking",
                "--format",
                "xlsx",
                "--output",
                &out.display().to_string(),
            ],
        );
        assert_eq!(x.code, 0, "{}", x.stderr);
        assert!(std::fs::read(&out).unwrap().starts_with(b"PK"));
        // Read by people: Vietnamese column titles under the set's name, numbers as numbers
        // with the set's precision; the CSV keeps the codes for scripts.
        let csv_of = out.with_extension("csv");
        parindex_reports::sheet_csv::xlsx_file_to_csv(&out, &csv_of).unwrap();
        let sheet = std::fs::read_to_string(&csv_of).unwrap();
        assert!(
            sheet.starts_with("\"Xếp hạng — Bộ chỉ số CCHC các sở, ban, ngành năm 2020"),
            "{sheet}"
        );
        assert!(
            sheet.contains(
                "Mã đơn vị,Tên đơn vị,Nhóm,Điểm,Chỉ số (%),Xếp loại,Hạng,Trên số đơn vị,Điểm bị mất"
            ),
            "{sheet}"
        );
        assert!(sheet.contains(",85.62,"), "{sheet}");
        let mut zip = zip::ZipArchive::new(std::fs::File::open(&out).unwrap()).unwrap();
        let mut workbook = String::new();
        std::io::Read::read_to_string(&mut zip.by_name("xl/workbook.xml").unwrap(), &mut workbook)
            .unwrap();
        assert!(
            workbook.contains(r#"name="Xếp hạng — Bộ chỉ số CCHC các"#),
            "{workbook}"
        );
        let csv = run(&url, &["ranking", "--format", "csv"]);
        assert!(
            csv.stdout
                .starts_with("unit_code,unit_name,group,score,index,band,rank,of,lost"),
            "{}",
            csv.stdout
        );
        assert_eq!(run(&url, &["ranking", "--format", "xlsx"]).code, 2);
        // A year of sample dossiers for SKHDT, loaded once.
        let r = run(
            &url,
            &[
                "dossiers",
                "stats",
                "--unit",
                "SKHDT",
                "--from",
                "2021-01-01",
                "--to",
                "2021-12-31",
                "--as-of",
                "2022-01-01 00:00",
                "--format",
                "json",
            ],
        );
        assert_eq!(r.code, 0, "{}", r.stderr);
        let s: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
        assert_eq!(s["received"], 1500, "{s}");
        assert!(s["late"].as_u64().unwrap() > 20, "{s}");
        assert!(s["pending"].as_u64().unwrap() > 0, "{s}");
        let rate: f64 = s["on_time_rate"].as_str().unwrap().parse().unwrap();
        assert!((90.0..99.5).contains(&rate), "{s}");
    }
}

fn example_with(from: &str, to: &str) -> String {
    let text = std::fs::read_to_string(data("example-so-2020.yaml")).unwrap();
    assert!(text.contains(from), "{from}");
    text.replacen(from, to, 1)
}

#[tokio::test]
async fn bad_criteria_files_name_the_line_and_store_nothing() {
    let cases = [
        (
            "mismatch.yaml",
            example_with("max: 3.5", "max: 4"),
            ":18:9: điểm tối đa của I.1 là 4 nhưng tổng điểm các tiêu chí con là 3.5",
        ),
        (
            "duplicate.yaml",
            example_with("code: \"I.1.3\"", "code: \"I.1.1\""),
            ":28:13: mã `I.1.1` bị trùng (đã có ở dòng 20)",
        ),
        (
            "decimals.yaml",
            example_with("max: 0.5", "max: 0.5125"),
            ":30:18: `max` = 0.5125 có quá 3 chữ số thập phân",
        ),
        (
            "rule.yaml",
            example_with("kind: survey", "kind: khảo sát"),
            ":45:17: loại quy tắc `khảo sát` không được biết",
        ),
    ];
    for (db, url) in each_db().await {
        for (name, text, want) in &cases {
            let path = temp_file(name, text);
            let check = run(&url, &["criteria", "check", &path]);
            assert_eq!(check.code, 1, "{name}");
            assert!(
                check.stderr.contains(&format!("{path}{want}")),
                "{name}: {}",
                check.stderr
            );
            let import = run(&url, &["criteria", "import", &path]);
            assert_eq!(import.code, 1, "{name}");
        }
        assert!(db.list_sets().await.unwrap().is_empty(), "{}", db.kind());
        let good = run(&url, &["criteria", "import", &data("example-so-2020.yaml")]);
        assert_eq!(good.code, 0, "{}", good.stderr);
        assert!(good.stdout.contains("15,500"), "{}", good.stdout);
        assert_eq!(db.list_sets().await.unwrap().len(), 1);
    }
}

#[tokio::test]
async fn bad_scores_files_name_the_line_and_store_nothing() {
    for (db, url) in each_db().await {
        assert_eq!(
            run(&url, &["criteria", "import", &data("example-so-2020.yaml")]).code,
            0
        );
        let units = temp_file(
            "units.csv",
            "code,name,parent_code,kind,group\nSKHDT,Sở Kế hoạch và Đầu tư,,so,so\nSTC,Sở Tài chính,,so,so\n",
        );
        assert_eq!(run(&url, &["units", "import", &units]).code, 0);
        let above = temp_file(
            "above.csv",
            "unit_code,unit_name,group,criterion,self,appraised,final,input\nSKHDT,Sở KH&ĐT,so,I.1.1,1,,,\nSKHDT,Sở KH&ĐT,so,I.8.4,2.5,,,\n",
        );
        let r = run(
            &url,
            &["scores", "import", "--set", "example-so-2020", &above],
        );
        assert_eq!(r.code, 1);
        assert!(
            r.stderr.contains(&format!(
                "{above}:3: self của I.8.4: điểm 2.5 nằm ngoài khoảng [0, 2]"
            )),
            "{}",
            r.stderr
        );
        let unknown = temp_file(
            "unknown.csv",
            "unit_code,unit_name,group,criterion,self,appraised,final,input\nSTC,Sở Tài chính,so,I.1.1,1,,,\nSXX,Sở X,so,I.1.1,1,,,\n",
        );
        let r = run(
            &url,
            &["scores", "import", "--set", "example-so-2020", &unknown],
        );
        assert_eq!(r.code, 1);
        assert!(
            r.stderr
                .contains(&format!("{unknown}:3: đơn vị `SXX` chưa có")),
            "{}",
            r.stderr
        );
        let set = db.load_set("example-so-2020").await.unwrap().unwrap();
        assert!(
            db.load_scores(&set).await.unwrap().is_empty(),
            "{}",
            db.kind()
        );
        let r = run(
            &url,
            &["scores", "import", "--set", "no-such-set", &unknown],
        );
        assert_eq!(r.code, 1);
    }
}

#[tokio::test]
async fn usage_errors_exit_2_and_backup_copies() {
    let (_db, url) = sqlite().await;
    assert_eq!(run(&url, &["no-such-command"]).code, 2);
    assert_eq!(run(&url, &["demo"]).code, 0);
    let path = std::env::temp_dir().join(format!("bk-{}.db", std::process::id()));
    let _ = std::fs::remove_file(&path);
    let p = path.display().to_string();
    assert_eq!(run(&url, &["backup", &p]).code, 0);
    let r = run(
        &format!("sqlite://{p}"),
        &["ranking", "--group", "so", "--format", "csv"],
    );
    assert!(
        r.stdout
            .contains("SKHDT,Sở Kế hoạch và Đầu tư,so,85.620,85.620,Khá,11,21,14.380"),
        "{}",
        r.stdout
    );
    assert_eq!(run(&url, &["backup", &p]).code, 1, "refuses to overwrite");
    let _ = std::fs::remove_file(&path);
}

#[tokio::test]
async fn criteria_from_xlsx_import_like_yaml() {
    let text = std::fs::read_to_string(data("example-so-2020.yaml")).unwrap();
    let set = parindex_domain::parse_criteria_yaml("e.yaml", &text).unwrap();
    let bytes = parindex_reports::criteria_xlsx::write_criteria_xlsx(&set).unwrap();
    let path = std::env::temp_dir().join(format!("criteria-{}.xlsx", std::process::id()));
    std::fs::write(&path, bytes).unwrap();
    let p = path.display().to_string();
    let (db, url) = sqlite().await;
    let r = run(&url, &["criteria", "import", &p]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout
            .contains("5 tiêu chí thành phần (lá), tổng điểm tối đa 15,500"),
        "{}",
        r.stdout
    );
    let stored = db.load_set("example-so-2020").await.unwrap().unwrap();
    assert_eq!(stored.to_yaml(), set.to_yaml());
    let _ = std::fs::remove_file(&path);
}

fn notice_units() -> String {
    format!("{}/../../data/brvt-units.csv", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn directive_parse_prints_the_contract_json() {
    let r = run(
        "sqlite::memory:",
        &[
            "directive",
            "parse",
            &data("tb-skhdt-2021-04-chan-chinh-cchc.txt"),
            "--units",
            &notice_units(),
            "--format",
            "json",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["type"], "TB");
    assert_eq!(v["number"], serde_json::Value::Null);
    assert_eq!(v["symbol"], "TB-SKHĐT");
    assert_eq!(v["date"], "2021-04");
    assert_eq!(v["signer"]["name"], "Nguyễn Văn Đặng");
    let items = v["items"].as_array().unwrap();
    let i4 = items.iter().find(|i| i["ref"] == "I.4").unwrap();
    assert_eq!(i4["all"], true);
    assert_eq!(i4["criteria"], serde_json::json!(["I.7.1"]));
    assert_eq!(i4["references"][0]["number"], "3241/QĐ-UBND");
    assert_eq!(i4["recurrence"], "continuous");
    let web = items.iter().find(|i| i["ref"] == "II.1.15").unwrap();
    assert_eq!(
        web["assignees"],
        serde_json::json!([{ "unit": "SKHDT-VP", "name": "Văn phòng Sở", "role": "lead" }])
    );
    assert_eq!(web["recurrence"], "weekly");
    let bad = temp_file("not-a-directive.txt", "Danh sách đi chợ\ntrứng, sữa\n");
    let r = run("sqlite::memory:", &["directive", "parse", &bad]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("không nhận ra nội dung văn bản chỉ đạo"),
        "{}",
        r.stderr
    );
}

#[test]
fn directive_parse_reads_docx_like_text() {
    use std::io::Write as _;
    let text = std::fs::read_to_string(data("tb-skhdt-2021-04-chan-chinh-cchc.txt")).unwrap();
    let mut body = String::new();
    for l in text.lines() {
        let esc = l
            .replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;");
        body.push_str(r#"<w:p><w:r><w:t xml:space="preserve">"#);
        body.push_str(&esc);
        body.push_str("</w:t></w:r></w:p>");
    }
    let doc = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="w"><w:body>{body}</w:body></w:document>"#
    );
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    w.start_file(
        "word/document.xml",
        zip::write::SimpleFileOptions::default(),
    )
    .unwrap();
    w.write_all(doc.as_bytes()).unwrap();
    let bytes = w.finish().unwrap().into_inner();
    let path = std::env::temp_dir().join(format!("notice-{}.docx", std::process::id()));
    std::fs::write(&path, bytes).unwrap();
    let args = |f: &str| {
        vec![
            "directive".to_string(),
            "parse".into(),
            f.to_string(),
            "--units".into(),
            notice_units(),
            "--format".into(),
            "json".into(),
        ]
    };
    let from_docx = run(
        "sqlite::memory:",
        &args(&path.display().to_string())
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
    );
    let from_txt = run(
        "sqlite::memory:",
        &args(&data("tb-skhdt-2021-04-chan-chinh-cchc.txt"))
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
    );
    assert_eq!(from_docx.code, 0, "{}", from_docx.stderr);
    // Line numbers differ (the DOCX has no blank lines); everything else is the same.
    let without_lines = |out: &str| {
        let mut v: serde_json::Value = serde_json::from_str(out).unwrap();
        for it in v["items"].as_array_mut().unwrap() {
            it["line"] = serde_json::Value::Null;
        }
        v
    };
    let (a, b) = (
        without_lines(&from_docx.stdout),
        without_lines(&from_txt.stdout),
    );
    assert_eq!(a, b);
    let _ = std::fs::remove_file(&path);
}

fn calendar_file(name: &str) -> String {
    format!("{}/../../data/calendars/{name}", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn calendar_due_from_the_shipped_calendars() {
    let due = |file: &str, received: &str, days: &str| {
        run(
            "sqlite::memory:",
            &[
                "calendar",
                "due",
                "--calendar",
                &calendar_file(file),
                "--received",
                received,
                "--days",
                days,
            ],
        )
    };
    let r = due("vn-2021.yaml", "2021-02-09 09:15", "2");
    assert_eq!(
        (r.code, r.stdout.trim()),
        (0, "2021-02-18 09:15"),
        "{}",
        r.stderr
    );
    // Tết 2024 and the make-up Saturday of 04/05/2024.
    assert_eq!(
        due("vn-2020-2026.yaml", "2024-02-07 16:00", "1")
            .stdout
            .trim(),
        "2024-02-15 16:00"
    );
    assert_eq!(
        due("vn-2024.yaml", "2024-05-03 17:30", "1").stdout.trim(),
        "2024-05-06 07:30",
        "04/05 counts as the first working day"
    );
    assert_eq!(
        due("vn-2024.yaml", "2024-05-03 10:00", "1").stdout.trim(),
        "2024-05-04 10:00"
    );
    // Tết 2026 (14–22/02) and National Day 2025 (30/08–02/09).
    assert_eq!(
        due("vn-2020-2026.yaml", "2026-02-13 08:00", "1")
            .stdout
            .trim(),
        "2026-02-23 08:00"
    );
    assert_eq!(
        due("vn-2025.yaml", "2025-08-29 14:00", "2").stdout.trim(),
        "2025-09-04 14:00"
    );
    let out = due("vn-2021.yaml", "2021-12-31 10:00", "1");
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("ngoài các năm"), "{}", out.stderr);
    assert_eq!(due("vn-2021.yaml", "31/12 10h", "1").code, 2);
    for y in 2020..=2026 {
        let r = due(&format!("vn-{y}.yaml"), &format!("{y}-06-15 09:00"), "3");
        assert_eq!(r.code, 0, "{y}: {}", r.stderr);
    }
}

fn stats_json(url: &str, unit: Option<&str>) -> serde_json::Value {
    let mut args = vec![
        "dossiers",
        "stats",
        "--from",
        "2021-01-01",
        "--to",
        "2021-12-31",
        "--as-of",
        "2021-03-01 08:00",
        "--format",
        "json",
    ];
    if let Some(u) = unit {
        args.extend(["--unit", u]);
    }
    let r = run(url, &args);
    assert_eq!(r.code, 0, "{}", r.stderr);
    serde_json::from_str(&r.stdout).unwrap()
}

#[tokio::test]
async fn dossiers_import_all_or_nothing_then_stats() {
    for (_db, url) in each_db().await {
        let units = temp_file(
            "d-units.csv",
            "code,name,parent_code,kind,group\nSKHDT,Sở Kế hoạch và Đầu tư,,so,so\nSTC,Sở Tài chính,,so,so\n",
        );
        assert_eq!(run(&url, &["units", "import", &units]).code, 0);
        let bad_procs = temp_file(
            "d-procs-bad.csv",
            "code,name,unit_code,limit_days\nP1,Thủ tục 1,SXX,2\n",
        );
        let r = run(&url, &["procedures", "import", &bad_procs]);
        assert_eq!(r.code, 1);
        assert!(
            r.stderr
                .contains(&format!("{bad_procs}:2: unit_code: đơn vị `SXX`")),
            "{}",
            r.stderr
        );
        let procs = temp_file(
            "d-procs.csv",
            "code,name,unit_code,limit_days,internal_days,online_level,postal\nP1,Đăng ký doanh nghiệp,SKHDT,2,1,full,yes\nP2,Thẩm định giá,STC,5,,3,no\n",
        );
        let r = run(&url, &["procedures", "import", &procs]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        assert!(r.stdout.contains("Đã nhập 2 thủ tục"), "{}", r.stdout);

        // Five kinds of error, each with its line; nothing stored.
        let mut bad = b"code,unit_code,procedure_code,received_at,due_at,finished_at,channel\n\
HS1,SKHDT,P1,2021-02-30 09:15,,,\n\
HS2,SXX,P1,2021-02-09 09:15,,,\n\
HS3,SKHDT,P1,2021-02-09 09:15,,2021-02-08 10:00,\n\
HS4,SKHDT,P1,2021-02-09 09:15,,,\n\
HS4,SKHDT,P1,2021-02-09 10:15,,,\n"
            .to_vec();
        bad.extend_from_slice(b"HS6,SKHDT,P1,2021-02-09 09:15,,,tr\xe1\xbb\xb1c tuy\xe1n\n");
        let bad_path = temp_file("d-bad.csv", "");
        std::fs::write(&bad_path, &bad).unwrap();
        let r = run(&url, &["dossiers", "import", &bad_path]);
        assert_eq!(r.code, 1, "{}", r.stderr);
        for want in [
            format!("{bad_path}:2: received_at: `2021-02-30 09:15`"),
            format!("{bad_path}:3: unit_code: đơn vị `SXX`"),
            format!("{bad_path}:4: finished_at: "),
            format!("{bad_path}:6: code: mã hồ sơ HS4"),
            format!("{bad_path}:7: "),
        ] {
            assert!(r.stderr.contains(&want), "missing {want} in {}", r.stderr);
        }
        assert!(r.stderr.contains("UTF-8"), "{}", r.stderr);
        assert!(r.stderr.contains("Không lưu hồ sơ nào"), "{}", r.stderr);
        assert_eq!(stats_json(&url, None)["received"], 0);

        // --skip-invalid keeps the good rows and writes the others with a reason.
        let r = run(&url, &["dossiers", "import", "--skip-invalid", &bad_path]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        assert!(r.stdout.contains("Đã lưu 1 hồ sơ"), "{}", r.stdout);
        let rejected = std::fs::read_to_string(format!("{bad_path}.rejected.csv")).unwrap();
        let lines: Vec<&str> = rejected.lines().collect();
        assert_eq!(lines.len(), 1 + 5, "{rejected}");
        assert!(
            lines[5].contains("dòng 7: ") && lines[5].contains("UTF-8"),
            "{rejected}"
        );
        assert!(lines[0].ends_with(",reason"), "{rejected}");
        assert!(
            lines[2].starts_with("HS2,SXX,") && lines[2].contains("SXX"),
            "{rejected}"
        );

        // A good file: due computed from the calendar (Tết 2021) when missing.
        let good = temp_file(
            "d-good.csv",
            "code,unit_code,procedure_code,received_at,due_at,finished_at,channel,apology_at,new_due_at\n\
             HS4,SKHDT,P1,2021-02-09 09:15,,2021-02-17 10:00,online,,\n\
             HS5,SKHDT,P1,2021-02-09 09:15,,2021-02-18 09:15,,,\n\
             HS6,SKHDT,P1,2021-02-09 09:15,,2021-02-19 09:00,postal,2021-02-17 08:00,2021-02-22 09:00\n\
             HS7,SKHDT,P1,2021-02-09 09:15,,,online,,\n\
             HS8,STC,P2,2021-02-25 09:15,,,,,\n",
        );
        if url.starts_with("sqlite:") {
            // This test's own connection has the file open: no import of its own.
            let r = run(&url, &["dossiers", "import", "--exclusive", &good]);
            assert_eq!(r.code, 1, "{}", r.stderr);
            assert!(r.stderr.contains("đang được mở ở nơi khác"), "{}", r.stderr);
            assert_eq!(stats_json(&url, None)["received"], 1);
        }
        let r = run(&url, &["dossiers", "import", &good]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        let s = stats_json(&url, Some("SKHDT"));
        assert_eq!(s["received"], 4, "{s}");
        assert_eq!(
            (&s["early"], &s["on_time"], &s["late"]),
            (&1.into(), &1.into(), &1.into()),
            "{s}"
        );
        assert_eq!(
            (&s["pending"], &s["pending_overdue"]),
            (&1.into(), &1.into()),
            "{s}"
        );
        assert_eq!(s["late_without_apology"], 1, "{s}");
        assert_eq!(s["on_time_rate"], "66.67", "{s}");
        assert_eq!(s["online_rate"], "50.00", "{s}");
        assert_eq!(s["postal_rate"], "25.00", "{s}");
        // Working time used (HS4 1.100, HS5 2.000, HS6 2.966 working days) against the
        // 2-day legal and 1-day internal limits.
        assert_eq!(s["avg_processing_days"], "2.02", "{s}");
        assert_eq!(s["avg_limit_days"], "2.00", "{s}");
        assert_eq!(s["avg_internal_days"], "1.00", "{s}");
        assert_eq!(s["time_used_rate"], "101.10", "{s}");
        let all = stats_json(&url, None);
        assert_eq!(all["received"], 5, "{all}");
        assert_eq!(
            all["pending_overdue"], 1,
            "STC's dossier is not yet due: {all}"
        );

        // Re-importing a code updates it: HS7 finished late after all.
        let again = temp_file(
            "d-again.csv",
            "code,unit_code,procedure_code,received_at,finished_at\nHS7,SKHDT,P1,2021-02-09 09:15,2021-02-20 08:00\n",
        );
        assert_eq!(run(&url, &["dossiers", "import", &again]).code, 0);
        let s = stats_json(&url, Some("SKHDT"));
        assert_eq!(
            (&s["received"], &s["late"], &s["pending"]),
            (&4.into(), &2.into(), &0.into()),
            "{s}"
        );
        let r = run(
            &url,
            &[
                "dossiers",
                "stats",
                "--unit",
                "SKHDT",
                "--from",
                "2021-01-01",
                "--to",
                "2021-12-31",
                "--as-of",
                "2021-03-01 08:00",
            ],
        );
        assert!(
            r.stdout.contains("Tỷ lệ đúng hạn:               50,00%"),
            "{}",
            r.stdout
        );

        // Due within 2 working days of the given instant with no slip: STC's HS8 is due
        // 04/03/2021 (5 working days from 25/02), so only once the window reaches it.
        let soon = |as_of: &str| {
            run(
                &url,
                &["dossiers", "due-soon", "--as-of", as_of, "--days", "2"],
            )
        };
        let r = soon("2021-02-24 08:00");
        assert_eq!(r.code, 0, "{}", r.stderr);
        assert!(r.stdout.starts_with("0 hồ sơ"), "{}", r.stdout);
        let r = soon("2021-03-02 10:00");
        assert!(r.stdout.starts_with("1 hồ sơ"), "{}", r.stdout);
        assert!(
            r.stdout.contains(
                "STC  HS8  P2  tiếp nhận 25/02/2021 09:15  hạn 04/03/2021 09:15  sắp đến hạn"
            ),
            "{}",
            r.stdout
        );
        let r = soon("2021-03-05 08:00");
        assert!(r.stdout.contains("đã quá hạn"), "{}", r.stdout);
    }
}

/// A leaf may count the reporting year (15/12 of the year before to 14/12, Nghị định
/// 09/2019/NĐ-CP, Điều 12) instead of the calendar year.
#[tokio::test]
async fn a_leaf_reads_the_reporting_year_when_its_input_asks() {
    for (db, url) in each_db().await {
        let set = temp_file(
            "rep-2021.yaml",
            "id: rep-2021\nname: Bộ thử năm báo cáo\nyear: 2021\nlevel: so\nnodes:\n  - code: I\n    name: A\n    children:\n      - { code: I.1, name: Năm dương lịch, max: 2, rule: { kind: thresholds, input: dossiers.on_time_rate, bands: [ { min: 95, points: 2 }, { min: 60, points: 1 } ] } }\n      - { code: I.2, name: Năm báo cáo, max: 2, rule: { kind: thresholds, input: \"dossiers.on_time_rate[period=report]\", bands: [ { min: 95, points: 2 }, { min: 60, points: 1 } ] } }\n",
        );
        let r = run(&url, &["criteria", "import", &set]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        let units = temp_file(
            "rep-units.csv",
            "code,name,parent_code,kind,group\nSKHDT,Sở Kế hoạch và Đầu tư,,so,so\n",
        );
        assert_eq!(run(&url, &["units", "import", &units]).code, 0);
        let scores = temp_file(
            "rep-scores.csv",
            "unit_code,unit_name,group,criterion,self,appraised,final,input\nSKHDT,,so,I.1,,,,0\n",
        );
        assert_eq!(
            run(&url, &["scores", "import", "--set", "rep-2021", &scores]).code,
            0
        );
        let procs = temp_file(
            "rep-procs.csv",
            "code,name,unit_code,limit_days\nRP1,Đăng ký doanh nghiệp,SKHDT,2\n",
        );
        assert_eq!(run(&url, &["procedures", "import", &procs]).code, 0);
        // One on time from the last days of 2020, one on time in March, one late from the
        // last days of 2021.
        let dossiers = temp_file(
            "rep-dossiers.csv",
            "code,unit_code,procedure_code,received_at,finished_at\n\
             RA,SKHDT,RP1,2020-12-16 09:00,2020-12-16 10:00\n\
             RB,SKHDT,RP1,2021-03-01 09:00,2021-03-02 10:00\n\
             RC,SKHDT,RP1,2021-12-20 09:00,2021-12-31 09:00\n",
        );
        let r = run(&url, &["dossiers", "import", &dossiers]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        assert!(
            r.stdout.contains("rep-2021 / SKHDT / I.1 ← 50.00"),
            "{}: calendar year: RB on time, RC late — {}",
            db.kind(),
            r.stdout
        );
        assert!(
            r.stdout.contains("rep-2021 / SKHDT / I.2 ← 100.00"),
            "{}: reporting year: RA and RB on time — {}",
            db.kind(),
            r.stdout
        );
        let stored = db.load_set("rep-2021").await.unwrap().unwrap();
        let leaf = stored.position("I.2").unwrap();
        assert_eq!(
            stored.nodes[leaf].figure_input().as_deref(),
            Some("dossiers.on_time_rate[period=report]")
        );
    }
}

#[tokio::test]
async fn a_leaf_scores_itself_from_the_units_dossiers() {
    for (db, url) in each_db().await {
        let set = example_with(
            "rule: { kind: proportional }",
            "rule: { kind: thresholds, input: dossiers.on_time_rate, bands: [ { min: 95, points: 2 }, { min: 60, points: 1 } ] }",
        )
        .replacen("id: example-so-2020", "id: figures-2021", 1)
        .replacen("year: 2020", "year: 2021", 1);
        assert!(set.contains("id: figures-2021") && set.contains("year: 2021"));
        let set_path = temp_file("figures.yaml", &set);
        assert_eq!(run(&url, &["criteria", "import", &set_path]).code, 0);
        let units = temp_file(
            "f-units.csv",
            "code,name,parent_code,kind,group\nSKHDT,Sở Kế hoạch và Đầu tư,,so,so\nSTC,Sở Tài chính,,so,so\n",
        );
        assert_eq!(run(&url, &["units", "import", &units]).code, 0);
        // SKHDT claims 100 % on time; STC enters nothing for I.8.4.
        let scores = temp_file(
            "f-scores.csv",
            "unit_code,unit_name,group,criterion,self,appraised,final,input\n\
             SKHDT,,so,I.1.1,1,,,\nSKHDT,,so,I.8.4,,,,100\nSTC,,so,I.1.1,1,,,\n",
        );
        let r = run(
            &url,
            &["scores", "import", "--set", "figures-2021", &scores],
        );
        assert_eq!(r.code, 0, "{}", r.stderr);
        let points = |unit: &str| {
            let r = run(
                &url,
                &["ranking", "--set", "figures-2021", "--format", "json"],
            );
            let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
            v["units"]
                .as_array()
                .unwrap()
                .iter()
                .find(|u| u["unit_code"] == unit)
                .map(|u| u["score"].as_str().unwrap().to_string())
                .unwrap()
        };
        assert_eq!(points("SKHDT"), "3.000", "{}", db.kind());

        let procs = temp_file(
            "f-procs.csv",
            "code,name,unit_code,limit_days\nP1,Đăng ký doanh nghiệp,SKHDT,2\n",
        );
        assert_eq!(run(&url, &["procedures", "import", &procs]).code, 0);
        // 2 of 3 finished dossiers on time: 66.67 % → 1 point instead of the claimed 2.
        let dossiers = temp_file(
            "f-dossiers.csv",
            "code,unit_code,procedure_code,received_at,finished_at\n\
             HS1,SKHDT,P1,2021-03-01 09:00,2021-03-02 10:00\n\
             HS2,SKHDT,P1,2021-03-01 09:00,2021-03-03 09:00\n\
             HS3,SKHDT,P1,2021-03-01 09:00,2021-03-10 09:00\n\
             HS4,SKHDT,P1,2020-03-02 09:00,2020-03-20 09:00\n",
        );
        let r = run(&url, &["dossiers", "import", &dossiers]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        assert!(
            r.stdout
                .contains("Điểm tự tính: figures-2021 / SKHDT / I.8.4 ← 66.67"),
            "{}",
            r.stdout
        );
        assert!(!r.stdout.contains("/ STC /"), "no dossiers, no change");
        assert_eq!(points("SKHDT"), "2.000", "{}", db.kind());
        let history = db.audit_history("figures-2021/SKHDT/I.8.4").await.unwrap();
        assert_eq!(history.len(), 2, "import, then the figure");

        // The late one was in fact on time: the points follow the re-import.
        let fixed = temp_file(
            "f-fixed.csv",
            "code,unit_code,procedure_code,received_at,finished_at\nHS3,SKHDT,P1,2021-03-01 09:00,2021-03-03 08:00\n",
        );
        let r = run(&url, &["dossiers", "import", &fixed]);
        assert!(r.stdout.contains("← 100.00"), "{}", r.stdout);
        assert_eq!(points("SKHDT"), "3.000");

        // Once published, the points no longer move.
        let r = run(
            &url,
            &["cycle", "phase", "--set", "figures-2021", "published"],
        );
        assert_eq!(r.code, 0, "{}", r.stderr);
        let r = run(&url, &["dossiers", "import", &dossiers]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        assert!(!r.stdout.contains("Điểm tự tính"), "{}", r.stdout);
        assert_eq!(points("SKHDT"), "3.000");
    }
}

#[tokio::test]
async fn an_apology_slip_is_recorded_once_and_written_as_docx() {
    for (db, url) in each_db().await {
        let units = temp_file(
            "a-units.csv",
            "code,name,parent_code,kind,group\nSKHDT,Sở Kế hoạch và Đầu tư,,so,so\n",
        );
        assert_eq!(run(&url, &["units", "import", &units]).code, 0);
        let procs = temp_file(
            "a-procs.csv",
            "code,name,unit_code,limit_days\nP1,Đăng ký doanh nghiệp,SKHDT,2\n",
        );
        assert_eq!(run(&url, &["procedures", "import", &procs]).code, 0);
        // Both due 03/03/2021 09:00 and still in process.
        let file = temp_file(
            "a-dossiers.csv",
            "code,unit_code,procedure_code,received_at\nHS1,SKHDT,P1,2021-03-01 09:00\nHS2,SKHDT,P1,2021-03-01 09:00\nHS3,SKHDT,P1,2021-03-01 08:00\n",
        );
        assert_eq!(run(&url, &["dossiers", "import", &file]).code, 0);
        let without_slip = || {
            let r = run(
                &url,
                &[
                    "dossiers",
                    "stats",
                    "--unit",
                    "SKHDT",
                    "--from",
                    "2021-03-01",
                    "--to",
                    "2021-03-31",
                    "--as-of",
                    "2021-03-04 08:00",
                    "--format",
                    "json",
                ],
            );
            let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
            (
                v["pending_overdue"].clone(),
                v["late_without_apology"].clone(),
            )
        };
        assert_eq!(without_slip(), (3.into(), 3.into()), "{}", db.kind());

        let docx =
            std::env::temp_dir().join(format!("xin-loi-{}-{}.docx", std::process::id(), db.kind()));
        let docx = docx.display().to_string();
        let slip = |code: &str, at: &str| {
            run(
                &url,
                &[
                    "dossiers",
                    "apology",
                    "--unit",
                    "SKHDT",
                    "--code",
                    code,
                    "--reason",
                    "cần lấy ý kiến Sở Xây dựng",
                    "--new-due",
                    "2021-03-10 16:00",
                    "--at",
                    at,
                    "--applicant",
                    "Công ty TNHH An Bình",
                    "--signer-title",
                    "Giám đốc",
                    "--output",
                    &docx,
                ],
            )
        };
        // A day ahead: timely (Nghị định 61/2018).
        let r = slip("HS1", "2021-03-02 08:00");
        assert_eq!(r.code, 0, "{}", r.stderr);
        assert!(r.stdout.contains("kịp thời"), "{}", r.stdout);
        let text = parindex_reports::docx::docx_text(&std::fs::read(&docx).unwrap()).unwrap();
        for want in [
            "PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ",
            "SỞ KẾ HOẠCH VÀ ĐẦU TƯ",
            "Kính gửi: Công ty TNHH An Bình",
            "Mã hồ sơ: HS1.",
            "Đăng ký doanh nghiệp",
            "09 giờ 00 phút, ngày 03 tháng 3 năm 2021",
            "16 giờ 00 phút, ngày 10 tháng 3 năm 2021",
            "Lý do: cần lấy ý kiến Sở Xây dựng.",
            "GIÁM ĐỐC",
        ] {
            assert!(text.contains(want), "missing {want:?} in {text}");
        }
        // On the due day itself: recorded, but not timely.
        let r = slip("HS2", "2021-03-03 08:00");
        assert_eq!(r.code, 0, "{}", r.stderr);
        assert!(r.stdout.contains("muộn"), "{}", r.stdout);
        assert_eq!(without_slip(), (3.into(), 2.into()));
        // Only one re-appointment.
        let r = slip("HS1", "2021-03-02 09:00");
        assert_eq!(r.code, 1);
        assert!(
            r.stderr.contains("chỉ được hẹn lại một lần"),
            "{}",
            r.stderr
        );
        let r = slip("HS9", "2021-03-02 09:00");
        assert_eq!(r.code, 1);
        assert!(r.stderr.contains("không có hồ sơ HS9"), "{}", r.stderr);
        // A re-import from the one-stop system, without slips, keeps the recorded ones.
        assert_eq!(run(&url, &["dossiers", "import", &file]).code, 0);
        assert_eq!(without_slip(), (3.into(), 2.into()));
        let d = db.dossier("SKHDT", "HS1").await.unwrap().unwrap();
        assert_eq!(d.line.new_due_at.as_deref(), Some("2021-03-10 16:00"));
        assert_eq!(
            d.apology_reason.as_deref(),
            Some("cần lấy ý kiến Sở Xây dựng")
        );
    }
}

#[tokio::test]
async fn dossiers_and_procedures_from_xlsx_with_the_exports_column_names() {
    use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
    for (_db, url) in each_db().await {
        let units = temp_file(
            "x-units.csv",
            "code,name,parent_code,kind,group\nSKHDT,Sở Kế hoạch và Đầu tư,,so,so\n",
        );
        assert_eq!(run(&url, &["units", "import", &units]).code, 0);
        let dir = std::env::temp_dir();
        let save = |wb: &mut Workbook, name: &str| {
            let path = dir.join(format!("{}-{name}", std::process::id()));
            wb.save(&path).unwrap();
            path.display().to_string()
        };
        // Procedures as a spreadsheet, with the contract's headers.
        let mut wb = Workbook::new();
        let ws = wb.add_worksheet();
        for (c, h) in ["code", "name", "unit_code", "limit_days"]
            .iter()
            .enumerate()
        {
            ws.write_string(0, u16::try_from(c).unwrap(), *h).unwrap();
        }
        ws.write_string(1, 0, "P1").unwrap();
        ws.write_string(1, 1, "Đăng ký doanh nghiệp").unwrap();
        ws.write_string(1, 2, "SKHDT").unwrap();
        ws.write_number(1, 3, 2).unwrap();
        let procs = save(&mut wb, "thu-tuc.xlsx");
        let r = run(&url, &["procedures", "import", &procs]);
        assert_eq!(r.code, 0, "{}", r.stderr);

        // Dossiers as exported by a one-stop system: its own headers, real date cells.
        let map = temp_file(
            "cot.yaml",
            "# Tệp xuất của hệ thống một cửa\ncolumns:\n  code: \"Số hồ sơ\"\n  unit_code: \"Mã cơ quan\"\n  procedure_code: \"Mã TTHC\"\n  received_at: \"Ngày tiếp nhận\"\n  finished_at: \"Ngày có kết quả\"\n  channel: \"Hình thức\"\n",
        );
        let when = Format::new().set_num_format("dd/mm/yyyy hh:mm");
        let at = |s: &str| ExcelDateTime::parse_from_str(s).unwrap();
        let mut wb = Workbook::new();
        let ws = wb.add_worksheet();
        for (c, h) in [
            "SỐ HỒ SƠ",
            "Mã cơ quan",
            "Mã TTHC",
            "Ngày tiếp nhận",
            "Ngày có kết quả",
            "Hình thức",
        ]
        .iter()
        .enumerate()
        {
            ws.write_string(0, u16::try_from(c).unwrap(), *h).unwrap();
        }
        for (r, (code, received, finished, channel)) in [
            (
                "HS1",
                "2021-03-01 09:00:00",
                Some("2021-03-02 10:00:00"),
                "Trực tuyến",
            ),
            (
                "HS2",
                "2021-03-01 09:00:00",
                Some("2021-03-10 09:00:00"),
                "Trực tiếp",
            ),
            ("HS3", "2021-03-01 09:00:00", None, "Bưu chính"),
        ]
        .into_iter()
        .enumerate()
        {
            let r = u32::try_from(r + 1).unwrap();
            ws.write_string(r, 0, code).unwrap();
            ws.write_string(r, 1, "SKHDT").unwrap();
            ws.write_string(r, 2, "P1").unwrap();
            ws.write_datetime_with_format(r, 3, at(received), &when)
                .unwrap();
            if let Some(f) = finished {
                ws.write_datetime_with_format(r, 4, at(f), &when).unwrap();
            }
            ws.write_string(r, 5, channel).unwrap();
        }
        let good = save(&mut wb, "ho-so.xlsx");
        // Without the map the export's headers are not the contract's.
        let r = run(&url, &["dossiers", "import", &good]);
        assert_eq!(r.code, 1);
        assert!(
            r.stderr.contains("thiếu cột bắt buộc `code`"),
            "{}",
            r.stderr
        );
        let r = run(&url, &["dossiers", "import", "--columns", &map, &good]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        assert!(r.stdout.contains("Đã lưu 3 hồ sơ"), "{}", r.stdout);
        let s = stats_json(&url, Some("SKHDT"));
        assert_eq!(
            (&s["received"], &s["late"], &s["pending"]),
            (&3.into(), &1.into(), &1.into()),
            "{s}"
        );
        assert_eq!(
            (&s["online_rate"], &s["postal_rate"]),
            (&"33.33".into(), &"33.33".into())
        );

        // A bad row is named by its spreadsheet row; nothing stored.
        let mut wb = Workbook::new();
        let ws = wb.add_worksheet();
        for (c, h) in ["Số hồ sơ", "Mã cơ quan", "Mã TTHC", "Ngày tiếp nhận"]
            .iter()
            .enumerate()
        {
            ws.write_string(0, u16::try_from(c).unwrap(), *h).unwrap();
        }
        for (r, unit) in [(1, "SKHDT"), (3, "SXX")] {
            ws.write_string(r, 0, format!("HS-{r}")).unwrap();
            ws.write_string(r, 1, unit).unwrap();
            ws.write_string(r, 2, "P1").unwrap();
            ws.write_string(r, 3, "01/03/2021 09:00").unwrap();
        }
        let bad = save(&mut wb, "ho-so-loi.xlsx");
        let r = run(&url, &["dossiers", "import", "--columns", &map, &bad]);
        assert_eq!(r.code, 1);
        assert!(
            r.stderr
                .contains(&format!("{bad}:4: unit_code: đơn vị `SXX`")),
            "{}",
            r.stderr
        );
        assert_eq!(stats_json(&url, Some("SKHDT"))["received"], 3);
        // A bad map names its line.
        let wrong = temp_file(
            "cot-sai.yaml",
            "columns:\n  code: \"Số hồ sơ\"\n  ngay: \"Ngày\"\n",
        );
        let r = run(&url, &["dossiers", "import", "--columns", &wrong, &good]);
        assert_eq!(r.code, 1);
        assert!(
            r.stderr.contains(&format!("{wrong}:3:")) && r.stderr.contains("`ngay`"),
            "{}",
            r.stderr
        );
    }
}

#[tokio::test]
async fn a_workbook_declaring_absurd_counts_is_refused_not_a_crash() {
    let (_db, url) = sqlite().await;
    let dir = std::env::temp_dir().join(format!("parindex-hostile-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // The honest workbook reads: its one row is taken as the header.
    let honest = dir.join("honest.xlsx");
    std::fs::write(&honest, tiny_workbook("1")).unwrap();
    let r = run(&url, &["dossiers", "import", honest.to_str().unwrap()]);
    assert!(r.stderr.contains("thiếu cột bắt buộc"), "{}", r.stderr);
    let hostile = dir.join("hostile.xlsx");
    let bytes = tiny_workbook("10000000000000000");
    assert!(bytes.len() < 2048, "{}", bytes.len());
    std::fs::write(&hostile, bytes).unwrap();
    let hostile = hostile.display().to_string();
    for args in [
        vec!["dossiers", "import", hostile.as_str()],
        vec!["procedures", "import", hostile.as_str()],
    ] {
        let r = run(&url, &args);
        assert_eq!(r.code, 1, "{args:?}: {}", r.stderr);
        assert!(
            r.stderr
                .contains(&format!("{hostile}: phần `xl/sharedStrings.xml` khai báo")),
            "{}",
            r.stderr
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// What-if against recomputing the whole ranking: SKHDT's two cut criteria back to their
/// maximum, given as `--points`, and the same change written into the scores file (as a
/// final layer) and ranked by `parindex score`: the same score, index, rank, band; the units
/// overtaken are those ranked ahead before and behind after; the database gives the same.
#[tokio::test]
async fn whatif_equals_recomputing_the_ranking() {
    let repo_data = |name: &str| format!("{}/../../data/{name}", env!("CARGO_MANIFEST_DIR"));
    let criteria = repo_data("brvt-so-2020.yaml");
    let scores_path = repo_data("brvt-so-2020-scores.csv");
    let scores = std::fs::read_to_string(&scores_path).unwrap();
    let ask = |extra: &[&str]| {
        let mut args = vec![
            "whatif",
            "--criteria",
            criteria.as_str(),
            "--scores",
            scores_path.as_str(),
            "--unit",
            "SKHDT",
        ];
        args.extend_from_slice(extra);
        run("sqlite://unused.db", &args)
    };
    let r = ask(&[
        "--points",
        "I.2.1.1=3",
        "--points",
        "I.2.1.2=2,5",
        "--format",
        "json",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let answer: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    // The independent computation: the same points as a final layer in the scores file.
    let changed: String = scores
        .lines()
        .map(|l| {
            for (code, points) in [("I.2.1.1", "3"), ("I.2.1.2", "2.5")] {
                let head = format!("SKHDT,Sở Kế hoạch và Đầu tư,so,{code},");
                if let Some(rest) = l.strip_prefix(&head) {
                    let f: Vec<&str> = rest.splitn(4, ',').collect();
                    return format!("{head}{},{},{points},{}", f[0], f[1], f[3]);
                }
            }
            l.to_string()
        })
        .collect::<Vec<_>>()
        .join("\n");
    assert_ne!(changed, scores.trim_end());
    let changed_path = temp_file("whatif-scores.csv", &changed);
    let rank = |file: &str| -> serde_json::Value {
        let r = run(
            "sqlite://unused.db",
            &[
                "score",
                "--criteria",
                &criteria,
                "--scores",
                file,
                "--format",
                "json",
            ],
        );
        assert_eq!(r.code, 0, "{}", r.stderr);
        serde_json::from_str(&r.stdout).unwrap()
    };
    let (before, after) = (rank(&scores_path), rank(&changed_path));
    let row = |v: &serde_json::Value, u: &str| {
        v["units"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["unit_code"] == u)
            .unwrap()
            .clone()
    };
    for (side, v) in [("before", &before), ("after", &after)] {
        let s = row(v, "SKHDT");
        for key in ["score", "index", "rank", "of", "band"] {
            assert_eq!(answer[side][key], s[key], "{side}.{key}");
        }
    }
    assert_eq!(answer["before"]["rank"], 11);
    assert_eq!(answer["before"]["score"], "85.620");
    assert_eq!(answer["after"]["score"], "90.120");
    let (b, a) = (
        answer["before"]["rank"].as_u64().unwrap(),
        answer["after"]["rank"].as_u64().unwrap(),
    );
    let overtaken: Vec<String> = before["units"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|u| u["unit_code"] != "SKHDT" && u["rank"].as_u64().unwrap() < b)
        .filter(|u| {
            row(&after, u["unit_code"].as_str().unwrap())["rank"]
                .as_u64()
                .unwrap()
                > a
        })
        .map(|u| u["unit_code"].as_str().unwrap().to_string())
        .collect();
    assert!(!overtaken.is_empty());
    assert_eq!(answer["overtakes"], serde_json::json!(overtaken));
    // Every other unit is untouched: its score is the same after.
    for u in before["units"].as_array().unwrap() {
        if u["unit_code"] != "SKHDT" {
            assert_eq!(
                row(&after, u["unit_code"].as_str().unwrap())["score"],
                u["score"]
            );
        }
    }
    // Mistakes: a code that is no leaf, points the rule does not allow, a missing unit.
    assert_eq!(ask(&["--points", "I.2=1"]).code, 1);
    assert_eq!(ask(&["--points", "I.2.1.1=7"]).code, 1);
    assert_eq!(ask(&["--points", "I.2.1.1"]).code, 2);
    let r = run(
        "sqlite://unused.db",
        &["whatif", "--unit", "SKHDT", "--points", "I.2.1.1=3"],
    );
    assert_eq!(r.code, 2, "{}", r.stderr);
    // From the database, the same answer.
    for (db, url) in crate::common::demo_dbs().await {
        let r = run(
            &url,
            &[
                "whatif",
                "--set",
                "brvt-so-2020",
                "--unit",
                "SKHDT",
                "--points",
                "I.2.1.1=3",
                "--points",
                "I.2.1.2=2.5",
            ],
        );
        assert_eq!(r.code, 0, "{}: {}", db.kind(), r.stderr);
        let from_db: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
        assert_eq!(from_db, answer, "{}", db.kind());
    }
}

#[tokio::test]
async fn reports_are_written_as_pdf_and_docx_with_the_units_figures() {
    if !crate::common::poppler() {
        return;
    }
    for (db, url) in demo_dbs().await {
        let out = |ext: &str| {
            std::env::temp_dir()
                .join(format!("report-{}-{}.{ext}", std::process::id(), db.kind()))
                .display()
                .to_string()
        };
        let (pdf, docx) = (out("pdf"), out("docx"));
        for (format, file) in [("pdf", &pdf), ("docx", &docx)] {
            let r = run(
                &url,
                &[
                    "report",
                    "ranking",
                    "--set",
                    "brvt-so-2020",
                    "--group",
                    "so",
                    "--format",
                    format,
                    "--output",
                    file,
                    "--date",
                    "05/02/2026",
                ],
            );
            assert_eq!(r.code, 0, "{}: {}", db.kind(), r.stderr);
        }
        let bytes = std::fs::read(&pdf).unwrap();
        crate::common::assert_fonts_embedded(&bytes);
        let layout = parindex_documents::readback::pdf_layout(&bytes, None).unwrap();
        let line = layout
            .lines()
            .find(|l| l.contains("Sở Kế hoạch và Đầu tư"))
            .unwrap_or_else(|| unreachable!("{layout}"));
        assert!(line.contains("11/21") && line.contains("85,620"), "{line}");
        // Headed by the province's committee (the unit without a parent), on the given date.
        let words = parindex_documents::readback::pdf_words(&bytes).unwrap();
        assert!(
            words.contains("ỦY BAN NHÂN DÂN TỈNH BÀ RỊA – VŨNG TÀU"),
            "{words}"
        );
        assert!(
            words.contains("/BC-UBND") && words.contains("TM. ỦY BAN NHÂN DÂN"),
            "{words}"
        );
        assert!(!words.contains("DỰ THẢO"), "published: no draft mark");
        assert!(words.contains("ngày 05 tháng 02 năm 2026"));
        let text = parindex_reports::docx::docx_text(&std::fs::read(&docx).unwrap()).unwrap();
        assert!(text.contains("Sở Kế hoạch và Đầu tư") && text.contains("85,620"));
        assert!(text.contains("11/21"));

        // The self-assessment report of SKHDT: its own points and the set's leaves.
        let r = run(
            &url,
            &[
                "report",
                "self-assessment",
                "--set",
                "brvt-so-2020",
                "--unit",
                "SKHDT",
                "--format",
                "pdf",
                "--output",
                &pdf,
            ],
        );
        assert_eq!(r.code, 0, "{}: {}", db.kind(), r.stderr);
        let words = parindex_documents::readback::pdf_words(&std::fs::read(&pdf).unwrap()).unwrap();
        assert!(words.contains("SỞ KẾ HOẠCH VÀ ĐẦU TƯ"), "{words}");
        assert!(
            words.contains("Ban hành kế hoạch CCHC năm kịp thời"),
            "{words}"
        );
        assert!(words.contains("Tổng cộng"));

        // Mistakes: an unknown unit (1), a missing format (2).
        let r = run(
            &url,
            &[
                "report",
                "self-assessment",
                "--set",
                "brvt-so-2020",
                "--unit",
                "KHONGCO",
                "--format",
                "pdf",
                "--output",
                &pdf,
            ],
        );
        assert_eq!(r.code, 1);
        assert!(
            r.stderr.contains("không tìm thấy đơn vị `KHONGCO`"),
            "{}",
            r.stderr
        );
        let r = run(
            &url,
            &[
                "report",
                "ranking",
                "--set",
                "brvt-so-2020",
                "--output",
                &pdf,
            ],
        );
        assert_eq!(r.code, 2, "{}", r.stderr);
        let r = run(
            &url,
            &[
                "report",
                "ranking",
                "--set",
                "brvt-so-2020",
                "--format",
                "pdf",
                "--output",
                &pdf,
                "--date",
                "31/02/2026",
            ],
        );
        assert_eq!(r.code, 2, "{}", r.stderr);
        std::fs::remove_file(&pdf).ok();
        std::fs::remove_file(&docx).ok();
    }
}

#[tokio::test]
async fn a_units_quarterly_report_fills_what_parindex_knows() {
    for (db, url) in demo_dbs().await {
        let kind = db.kind();
        let narrative = temp_file(
            &format!("narrative-{kind}.txt"),
            "\u{feff}# chi-dao\r\nGiám đốc Sở ban hành kế hoạch kiểm tra CCHC quý II.\r\n# ton-tai\r\nMột số báo cáo còn nộp chậm.\r\n",
        );
        let out = std::env::temp_dir()
            .join(format!("unit-report-{}-{kind}.docx", std::process::id()))
            .display()
            .to_string();
        let r = run(
            &url,
            &[
                "report",
                "unit",
                "--unit",
                "SKHDT",
                "--year",
                "2021",
                "--quarter",
                "2",
                "--narrative",
                &narrative,
                "--format",
                "docx",
                "--output",
                &out,
            ],
        );
        assert_eq!(r.code, 0, "{kind}: {}", r.stderr);
        let text = parindex_reports::docx::docx_text(&std::fs::read(&out).unwrap()).unwrap();
        for want in [
            "Kết quả thực hiện công tác cải cách hành chính quý II năm 2021",
            "15/03/2021 – 14/06/2021",
            "I. CÔNG TÁC CHỈ ĐẠO, ĐIỀU HÀNH CẢI CÁCH HÀNH CHÍNH",
            "Giám đốc Sở ban hành kế hoạch kiểm tra CCHC quý II.",
            "III. CẢI CÁCH THỦ TỤC HÀNH CHÍNH",
            "VIII. TỒN TẠI, HẠN CHẾ VÀ NGUYÊN NHÂN",
            "Một số báo cáo còn nộp chậm.",
            "IX. NHIỆM VỤ TRỌNG TÂM KỲ TỚI",
            parindex_documents::unit_report::TO_WRITE,
        ] {
            assert!(text.contains(want), "{kind}: {want} missing");
        }
        // The period table of the dossiers (Nghị định 09/2019 periods).
        let d = |s: &str| parindex_domain::text::Date::parse(s).unwrap();
        let f = db
            .period_figures(Some("SKHDT"), d("2021-03-15"), d("2021-06-14"))
            .await
            .unwrap();
        assert!(
            f.received_total() > 0,
            "{kind}: the demo has dossiers in Q2 2021"
        );
        assert!(
            text.contains(&format!(
                "tổng số hồ sơ {} (kỳ trước chuyển sang {}, tiếp nhận mới {})",
                f.received_total(),
                f.carried_over,
                f.received_in_period()
            )),
            "{kind}"
        );
        // The tasks due in the period, counted here from the occurrences.
        let mut due = 0;
        for t in db.tasks("SKHDT", "2026-12-02").await.unwrap() {
            if t.cancelled {
                continue;
            }
            // Counted once per leading division, as the table counts them.
            let leads = t.leads.len().max(1);
            due += leads
                * db.occurrences(t.id)
                    .await
                    .unwrap()
                    .iter()
                    .filter(|o| o.status != "cancelled")
                    .filter(|o| ("2021-03-15".."2021-06-15").contains(&o.due_on.as_str()))
                    .count();
        }
        let paras: Vec<&str> = text.split("\n\n").collect();
        let head = paras
            .iter()
            .position(|p| *p == "Chưa hoàn thành")
            .unwrap_or_else(|| unreachable!("{kind}: no task table"));
        let table_due: usize = paras[head + 1..]
            .chunks(5)
            .take_while(|c| c.len() == 5 && c[1].parse::<usize>().is_ok())
            .map(|c| c[1].parse::<usize>().unwrap())
            .sum();
        assert_eq!(table_due, due, "{kind}");
        assert!(due > 0);
        if crate::common::poppler() {
            let pdf = out.replace(".docx", ".pdf");
            let r = run(
                &url,
                &[
                    "report",
                    "unit",
                    "--unit",
                    "SKHDT",
                    "--year",
                    "2021",
                    "--half",
                    "1",
                    "--narrative",
                    &narrative,
                    "--format",
                    "pdf",
                    "--output",
                    &pdf,
                ],
            );
            assert_eq!(r.code, 0, "{kind}: {}", r.stderr);
            let bytes = std::fs::read(&pdf).unwrap();
            crate::common::assert_fonts_embedded(&bytes);
            let words = parindex_documents::readback::pdf_words(&bytes).unwrap();
            assert!(
                words.contains("6 tháng đầu năm 2021") && words.contains("15/12/2020 – 14/06/2021"),
                "{words}"
            );
            assert!(words.contains("Giám đốc Sở ban hành kế hoạch kiểm tra CCHC quý II."));
            std::fs::remove_file(&pdf).ok();
        }
        // Bad periods and narrative files are refused with their reason.
        let r = run(
            &url,
            &[
                "report",
                "unit",
                "--unit",
                "SKHDT",
                "--year",
                "2021",
                "--quarter",
                "5",
                "--format",
                "pdf",
                "--output",
                &out,
            ],
        );
        assert_eq!(r.code, 2);
        assert!(r.stderr.contains("quý 5 không có"), "{}", r.stderr);
        let bad = temp_file(
            &format!("bad-narrative-{kind}.txt"),
            "# chi-dao\nA\n# khac\nB\n",
        );
        let r = run(
            &url,
            &[
                "report",
                "unit",
                "--unit",
                "SKHDT",
                "--year",
                "2021",
                "--annual",
                "--narrative",
                &bad,
                "--format",
                "pdf",
                "--output",
                &out,
            ],
        );
        assert_eq!(r.code, 1);
        assert!(
            r.stderr.contains("dòng 3: mục `khac` không có"),
            "{}",
            r.stderr
        );
        std::fs::remove_file(&out).ok();
    }
}

/// `criteria map`: proposals by code and by name, stored, then edited from a CSV with the
/// editor's line numbers.
#[tokio::test]
async fn criteria_map_proposes_stores_and_takes_an_edited_file() {
    for (_db, url) in parindex_db::testkit::each_db().await {
        for f in ["example-so-2020.yaml", "example-so-2021.yaml"] {
            assert_eq!(run(&url, &["criteria", "import", &data(f)]).code, 0);
        }
        let map = |extra: &[&str]| {
            let mut args = vec!["criteria", "map", "example-so-2020", "example-so-2021"];
            args.extend_from_slice(extra);
            run(&url, &args)
        };
        let r = map(&["--format", "csv"]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        let row = |out: &str, code: &str| {
            out.lines()
                .find(|l| l.starts_with(&format!("{code},")))
                .unwrap_or_default()
                .to_string()
        };
        assert!(
            row(&r.stdout, "I.1.1").contains(",I.1.1,Ban hành kế hoạch CCHC năm,code,100"),
            "{}",
            r.stdout
        );
        // Swapped codes and a renumbered criterion are found by name.
        assert!(
            row(&r.stdout, "I.1.2").contains(",I.1.3,")
                && row(&r.stdout, "I.1.2").contains(",name,"),
            "{}",
            r.stdout
        );
        assert!(row(&r.stdout, "I.1.3").contains(",I.1.2,"), "{}", r.stdout);
        assert!(row(&r.stdout, "I.8.3").contains(",I.8.4,"), "{}", r.stdout);
        assert!(
            row(&r.stdout, "I.8.4").ends_with(",,,none,0"),
            "{}",
            r.stdout
        );
        assert!(row(&r.stdout, "III.1").ends_with(",none,0"));

        assert_eq!(map(&["--save"]).code, 0);
        // An edited file: a wrong code is reported by the editor's line; nothing stored.
        let bad = temp_file(
            "map-bad.csv",
            "\u{feff}to_code,from_code\r\nI.8.4,I.8.4\r\n\r\nIII.1,I.9\r\n",
        );
        let r = map(&["--file", &bad]);
        assert_ne!(r.code, 0);
        assert!(r.stderr.contains("map-bad.csv:4: mã `I.9`"), "{}", r.stderr);
        let r = map(&["--format", "csv"]);
        assert!(row(&r.stdout, "I.8.4").ends_with(",none,0"), "{}", r.stdout);
        let good = temp_file("map-good.csv", "to_code,from_code\nI.8.4,I.8.4\n");
        let r = map(&["--file", &good, "--format", "json"]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        let json: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
        let i84 = json
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["to_code"] == "I.8.4")
            .unwrap()
            .clone();
        assert_eq!(i84["from_code"], "I.8.4");
        assert_eq!(i84["how"], "manual");
        // "New this year" chosen by hand is a choice too; an exported file sent back
        // unchanged stores nothing more.
        let none = temp_file("map-none.csv", "to_code,from_code\nI.1.2,\n");
        assert_eq!(map(&["--file", &none]).code, 0);
        let exported = temp_file("map-export.csv", &map(&["--format", "csv"]).stdout);
        let r = map(&["--file", &exported]);
        assert!(r.stderr.contains("Đã lưu 0 dòng"), "{}", r.stderr);
        // Saving the proposal again keeps the person's choices.
        assert_eq!(map(&["--save"]).code, 0);
        let r = map(&["--format", "csv"]);
        assert!(
            row(&r.stdout, "I.8.4").contains(",I.8.4,Tỷ lệ hồ sơ giải quyết đúng hạn,manual,"),
            "{}",
            r.stdout
        );
        assert!(
            row(&r.stdout, "I.1.2").ends_with(",,,manual,0"),
            "{}",
            r.stdout
        );
    }
}

/// The indicators registry from the command line: the shipped definitions, values from a
/// file typed in Excel, and a leaf that reads one recomputed (audited) — both databases.
#[tokio::test]
async fn indicator_values_score_the_leaves_that_read_them() {
    for (db, url) in parindex_db::testkit::each_db().await {
        let defs = format!("{}/../../data/indicators.csv", env!("CARGO_MANIFEST_DIR"));
        let r = run(&url, &["indicators", "define", &defs]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        assert!(r.stdout.contains("Đã đọc 5 chỉ số, 5 mới"), "{}", r.stdout);
        let set = temp_file(
            "ind-set.yaml",
            "id: ind-2021\nname: Bộ có chỉ số\nyear: 2021\nlevel: so\nnodes:\n  - code: I\n    name: A\n    children:\n      - { code: I.7.1, name: Website, max: 1, rule: { kind: proportional, of: 48, input: indicator.website_posts } }\n      - { code: I.7.2, name: Khác, max: 1, rule: { kind: binary } }\n",
        );
        assert_eq!(run(&url, &["criteria", "import", &set]).code, 0);
        let units = temp_file(
            "ind-units.csv",
            "code,name,parent_code,kind,group\nSKHDT,Sở Kế hoạch và Đầu tư,,so,so\n",
        );
        assert_eq!(run(&url, &["units", "import", &units]).code, 0);
        // Errors by the editor's line; nothing stored.
        let bad = temp_file(
            "ind-bad.csv",
            "\u{feff}unit_code,indicator,period,value\r\nSKHDT,website_posts,T1/2021,\"6,0\"\r\n\r\nSKHDT,website_posts,Q1/2021,5\r\nXX,website_posts,02/2021,5\r\n",
        );
        let r = run(&url, &["indicators", "import", &bad]);
        assert_ne!(r.code, 0);
        assert!(
            r.stderr
                .contains("ind-bad.csv:4: kỳ `Q1/2021` không phải một tháng"),
            "{}",
            r.stderr
        );
        assert!(
            db.indicator_values(None, None, None)
                .await
                .unwrap()
                .is_empty()
        );
        let unknown = temp_file(
            "ind-unknown.csv",
            "unit_code,indicator,period,value\nSKHDT,website_posts,01/2021,6\nXX,website_posts,02/2021,5\n",
        );
        let r = run(&url, &["indicators", "import", &unknown]);
        assert!(
            r.stderr.contains("ind-unknown.csv:3: đơn vị `XX`"),
            "{}",
            r.stderr
        );
        // 6 + 18 posts of a target of 48 a year: half the point.
        let good = temp_file(
            "ind-good.csv",
            "unit_code,indicator,period,value,note\nSKHDT,website_posts,01/2021,6,\nSKHDT,website_posts,Tháng 2/2021,18,Chuyên mục mới\n",
        );
        let r = run(&url, &["indicators", "import", &good]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        assert!(
            r.stdout.contains("ind-2021 / SKHDT / I.7.1 ← 24"),
            "{}",
            r.stdout
        );
        let stored = db.load_set("ind-2021").await.unwrap().unwrap();
        let scores = db
            .load_unit_scores(&stored, "SKHDT")
            .await
            .unwrap()
            .unwrap();
        let leaf = stored.position("I.7.1").unwrap();
        assert_eq!(scores.leaves[&leaf].effective.to_plain(), "0.5");
        let audit = db
            .audit_history("indicator/website_posts/SKHDT")
            .await
            .unwrap();
        assert_eq!(audit.len(), 2);
        assert_eq!(audit[1].entry.reason.as_deref(), Some("Chuyên mục mới"));
    }
}
