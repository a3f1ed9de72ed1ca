//! Benchmarks and data generators for parindex. Every figure is printed next to a baseline
//! measured in the same run, so that a shared, noisy machine still gives a fair ratio.
//!
//! `parindex-bench scoring [--units N] [--leaves L]` — score and rank N units × L leaves
//! (default 1,000 × 150) against summing the same numbers in a plain loop.
//! `parindex-bench generate DIR [--units N] [--leaves L]` — write a criteria set, a units
//! file and a scores file of that size (for the page load test).

use std::collections::HashMap;
use std::fmt::Write as _;
use std::hint::black_box;
use std::time::{Duration, Instant};

use parindex_domain::directive::{KnownUnit, parse_directive};
use parindex_domain::units::parse_units_csv;
use parindex_domain::{
    LeafScore, Points, UnitScores, parse_criteria_yaml, parse_scores_csv, rank_units,
};

const NOTICE: &str =
    include_str!("../../crates/domain/tests/data/tb-skhdt-2021-04-chan-chinh-cchc.txt");
const UNITS: &str = include_str!("../../data/brvt-units.csv");

fn arg(args: &[String], name: &str, default: usize) -> usize {
    args.windows(2)
        .find(|w| w[0] == name)
        .and_then(|w| w[1].parse().ok())
        .unwrap_or(default)
}

/// A set of `leaves` leaves in fields of 15, rules cycling through every kind.
fn set_yaml(leaves: usize) -> String {
    let fields = leaves.div_ceil(15);
    let mut y = String::from(
        "id: bench-set\nname: \"Bộ chỉ số đo hiệu năng (dữ liệu sinh tự động)\"\nyear: 2020\nlevel: so\nsample: true\nbands:\n  - { label: \"Tốt\", min: 90 }\n  - { label: \"Khá\", min: 80 }\n  - { label: \"Trung bình\", min: 65 }\n  - { label: \"Yếu\", min: 0 }\nnodes:\n",
    );
    let mut n = 0;
    for f in 1..=fields {
        let _ = writeln!(
            y,
            "  - code: \"I.{f}\"\n    name: \"Lĩnh vực {f}\"\n    children:"
        );
        for c in 1..=15 {
            if n == leaves {
                break;
            }
            n += 1;
            let rule = match n % 6 {
                0 => {
                    "{ kind: options, options: [ { label: \"Tốt\", points: 1 }, { label: \"Chậm\", points: 0.5 }, { label: \"Không\", points: 0 } ] }"
                }
                1 => {
                    "{ kind: thresholds, bands: [ { min: 90, points: 1 }, { min: 70, points: 0.5 } ] }"
                }
                2 => "{ kind: proportional }",
                3 => "{ kind: deduction, per: 0.25 }",
                4 => "{ kind: binary }",
                _ => "{ kind: survey }",
            };
            let _ = writeln!(
                y,
                "      - code: \"I.{f}.{c}\"\n        name: \"Tiêu chí thành phần {f}.{c}\"\n        max: 1\n        rule: {rule}"
            );
        }
    }
    y
}

fn input_for(leaf: usize, unit: usize) -> String {
    let v = (leaf * 7919 + unit * 104_729) % 100;
    match (leaf + 1) % 6 {
        0 => ["Tốt", "Chậm", "Không"][v % 3].to_string(),
        3 => (v % 5).to_string(),
        4 => if v.is_multiple_of(4) {
            "không đạt"
        } else {
            "đạt"
        }
        .to_string(),
        5 => format!("0.{:03}", 500 + v * 5),
        _ => format!("{}.{}", 50 + v / 2, v % 10),
    }
}

fn scores_csv(units: usize, leaves: usize) -> String {
    let mut s = String::from("unit_code,unit_name,group,criterion,self,appraised,final,input\n");
    for u in 0..units {
        for l in 0..leaves {
            let (f, c) = (l / 15 + 1, l % 15 + 1);
            let _ = writeln!(s, "U{u:04},Đơn vị {u},so,I.{f}.{c},,,,{}", input_for(l, u));
        }
    }
    s
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn scoring(units: usize, leaves: usize) {
    let set = match parse_criteria_yaml("bench.yaml", &set_yaml(leaves)) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    };
    let parsed: Vec<UnitScores> =
        match parse_scores_csv("bench.csv", &scores_csv(units, leaves), &set) {
            Ok(u) => u,
            Err(e) => {
                eprintln!("{e}");
                std::process::exit(1);
            }
        };
    // The same effective numbers, flat, for the baseline.
    let flat: Vec<i64> = parsed
        .iter()
        .flat_map(|u| {
            u.leaves
                .values()
                .map(|l: &LeafScore| l.effective.thousandths())
        })
        .collect();
    let runs = 41;
    let mut t_rank = Vec::new();
    let mut t_base = Vec::new();
    let mut check = (Points::ZERO, 0i64);
    for _ in 0..runs {
        let t = Instant::now();
        let mut sums: HashMap<usize, i64> = HashMap::new();
        for (i, chunk) in black_box(&flat).chunks(leaves).enumerate() {
            let mut s = 0i64;
            for v in chunk {
                s += v;
            }
            sums.insert(i, s);
        }
        t_base.push(t.elapsed());
        let t = Instant::now();
        let r = rank_units(black_box(&set), black_box(&parsed));
        t_rank.push(t.elapsed());
        check = (r.iter().map(|x| x.raw_score).sum(), sums.values().sum());
    }
    assert_eq!(
        check.0.thousandths(),
        check.1,
        "both sides sum the same numbers"
    );
    let (rank, base) = (median(t_rank), median(t_base));
    println!(
        "scoring+ranking {units} units × {leaves} leaves ({} leaf scores)",
        units * leaves
    );
    println!(
        "  rank_units (totals, index, bands, ranks): median {:.3} ms over {runs} runs",
        rank.as_secs_f64() * 1e3
    );
    println!(
        "  baseline (plain loop summing the same numbers): median {:.3} ms",
        base.as_secs_f64() * 1e3
    );
    println!(
        "  ratio: {:.1}× the baseline; target: under 10 ms → {}",
        rank.as_secs_f64() / base.as_secs_f64().max(1e-9),
        if rank < Duration::from_millis(10) {
            "met"
        } else {
            "NOT met"
        }
    );
}

/// Peak resident memory of this process so far (Linux `VmHWM`), in MiB.
fn peak_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let kb: f64 = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()?;
    Some(kb / 1024.0)
}

/// A long directive: the notice's body repeated as sections I, II, III… (about 200 pages
/// at ~3,000 characters a page).
fn long_directive(pages: usize) -> String {
    let head_end = NOTICE.find("I. Chỉ đạo chung").unwrap_or(0);
    let tail_start = NOTICE.find("Trên đây là").unwrap_or(NOTICE.len());
    let (head, body, tail) = (
        &NOTICE[..head_end],
        &NOTICE[head_end..tail_start],
        &NOTICE[tail_start..],
    );
    let mut out = String::from(head);
    let mut n = 0u32;
    while out.len() < pages * 3000 {
        // Renumber sections so that every copy is a new section pair.
        for line in body.lines() {
            let renumbered = if let Some(rest) = line.strip_prefix("I. ") {
                n += 1;
                format!("{}. {rest}", roman(n))
            } else if let Some(rest) = line.strip_prefix("II. ") {
                n += 1;
                format!("{}. {rest}", roman(n))
            } else {
                line.to_string()
            };
            out.push_str(&renumbered);
            out.push('\n');
        }
    }
    out.push_str(tail);
    out
}

fn roman(mut n: u32) -> String {
    let table = [
        (1000, "M"),
        (900, "CM"),
        (500, "D"),
        (400, "CD"),
        (100, "C"),
        (90, "XC"),
        (50, "L"),
        (40, "XL"),
        (10, "X"),
        (9, "IX"),
        (5, "V"),
        (4, "IV"),
        (1, "I"),
    ];
    let mut s = String::new();
    for (v, r) in table {
        while n >= v {
            s.push_str(r);
            n -= v;
        }
    }
    s
}

fn directive(pages: usize) {
    let units: Vec<KnownUnit> = parse_units_csv("units.csv", UNITS)
        .map(|u| {
            u.into_iter()
                .map(|u| KnownUnit {
                    code: u.code,
                    name: u.name,
                })
                .collect()
        })
        .unwrap_or_default();
    let text = long_directive(pages);
    let before = peak_mib().unwrap_or(0.0);
    let runs = 7;
    let mut t_parse = Vec::new();
    let mut t_base = Vec::new();
    let mut items = 0;
    for _ in 0..runs {
        let t = Instant::now();
        // Baseline: one pass that normalises and folds every line (what any reader must do).
        let folded: usize = black_box(&text)
            .lines()
            .map(|l| parindex_domain::text::fold(l).len())
            .sum();
        black_box(folded);
        t_base.push(t.elapsed());
        let t = Instant::now();
        let d = parse_directive(black_box(&text), &units);
        t_parse.push(t.elapsed());
        items = d.map_or(0, |d| d.items.len());
    }
    let (p, b) = (median(t_parse), median(t_base));
    println!(
        "directive parse: {} characters (~{pages} pages), {items} items",
        text.chars().count()
    );
    println!(
        "  parse_directive: median {:.1} ms over {runs} runs",
        p.as_secs_f64() * 1e3
    );
    println!(
        "  baseline (fold every line once): median {:.1} ms",
        b.as_secs_f64() * 1e3
    );
    println!(
        "  ratio: {:.1}× the baseline; target: under 200 ms → {}",
        p.as_secs_f64() / b.as_secs_f64().max(1e-9),
        if p < Duration::from_millis(200) {
            "met"
        } else {
            "NOT met"
        }
    );
    if let Some(after) = peak_mib() {
        println!(
            "  peak memory of the process: {after:.1} MiB (before parsing: {before:.1} MiB); target: under 100 MB"
        );
    }
}

/// A year of occurrences for `n` tasks of every kind of schedule.
fn occurrences(n: usize) {
    use parindex_domain::schedule::{Repeat, Schedule, from_days};
    use parindex_domain::text::Date;
    let start = Date::new(2021, 1, 1).unwrap_or(Date {
        year: 2021,
        month: 1,
        day: 1,
    });
    let end = Date::new(2021, 12, 31).unwrap_or(start);
    let schedules: Vec<Schedule> = (0..n)
        .map(|i| {
            let k = u8::try_from(i % 28).unwrap_or(0);
            let repeat = match i % 5 {
                0 => Repeat::Weekly { weekday: k % 7 + 1 },
                1 => Repeat::Monthly { day: k + 1 },
                2 => Repeat::Quarterly { day: 31 },
                3 => Repeat::Yearly {
                    month: k % 12 + 1,
                    day: k + 1,
                },
                _ => Repeat::Once,
            };
            let offset = i64::try_from(i % 90).unwrap_or(0);
            Schedule {
                repeat,
                start: from_days(start.days_since_epoch() + offset),
                end,
            }
        })
        .collect();
    let before = peak_mib().unwrap_or(0.0);
    let runs = 7;
    let (mut t_gen, mut t_base) = (Vec::new(), Vec::new());
    let mut total = 0usize;
    for _ in 0..runs {
        let t = Instant::now();
        // Baseline: visit every day of the period for every task (no calendar arithmetic).
        let mut days = 0i64;
        for s in black_box(&schedules) {
            days += s.end.days_since_epoch() - s.start.days_since_epoch() + 1;
        }
        black_box(days);
        t_base.push(t.elapsed());
        let t = Instant::now();
        let all: Vec<Vec<Date>> = black_box(&schedules)
            .iter()
            .map(|s| s.occurrences(start, end))
            .collect();
        t_gen.push(t.elapsed());
        total = all.iter().map(Vec::len).sum();
    }
    let (g, b) = (median(t_gen), median(t_base));
    println!("occurrences: a year for {n} tasks → {total} dated occurrences");
    println!(
        "  Schedule::occurrences: median {:.2} ms over {runs} runs; baseline (a loop over the tasks): {:.3} ms",
        g.as_secs_f64() * 1e3,
        b.as_secs_f64() * 1e3
    );
    println!(
        "  target: under 1 s → {}",
        if g < Duration::from_secs(1) {
            "met"
        } else {
            "NOT met"
        }
    );
    if let Some(after) = peak_mib() {
        println!(
            "  peak memory of the process: {after:.1} MiB (before: {before:.1} MiB); target: under 100 MB"
        );
    }
}

fn generate(dir: &str, units: usize, leaves: usize) {
    let _ = std::fs::create_dir_all(dir);
    let mut u = String::from("code,name,parent_code,kind,group\n");
    for i in 0..units {
        let _ = writeln!(u, "U{i:04},Đơn vị {i},,so,so");
    }
    let files = [
        ("set.yaml", set_yaml(leaves)),
        ("units.csv", u),
        ("scores.csv", scores_csv(units, leaves)),
    ];
    for (name, text) in files {
        if let Err(e) = std::fs::write(format!("{dir}/{name}"), text) {
            eprintln!("{dir}/{name}: {e}");
            std::process::exit(1);
        }
    }
    println!("generated {units} units × {leaves} leaves in {dir}");
}

/// Writes `DIR/procedures.csv` (5 procedures for each department of the demo) and
/// `DIR/dossiers.csv` with `rows` seeded sample dossiers received in 2021.
fn gen_dossiers(dir: &str, rows: u64) -> Result<(), String> {
    use parindex_domain::dossiers::{SampleProcedure, write_sample_csv};
    use std::fmt::Write as _;
    let units = parindex_domain::units::parse_units_csv(
        "brvt-units.csv",
        include_str!("../../data/brvt-units.csv"),
    )
    .unwrap_or_default();
    let departments: Vec<&str> = units
        .iter()
        .filter(|u| u.kind.as_deref() == Some("so"))
        .map(|u| u.code.as_str())
        .collect();
    std::fs::create_dir_all(dir).map_err(|e| format!("{dir}: {e}"))?;
    let limits = [3u32, 5, 10, 15, 20];
    let mut procs = String::from("code,name,unit_code,limit_days\n");
    let mut codes = Vec::new();
    for u in &departments {
        for (k, l) in limits.iter().enumerate() {
            let code = format!("{u}-TT{k}");
            let _ = writeln!(procs, "{code},Thủ tục mẫu {k} của {u},{u},{l}");
            codes.push((*u, code, *l));
        }
    }
    std::fs::write(format!("{dir}/procedures.csv"), procs).map_err(|e| e.to_string())?;
    let sample: Vec<SampleProcedure<'_>> = codes
        .iter()
        .map(|(u, c, l)| SampleProcedure {
            unit_code: u,
            code: c,
            limit_days: *l,
        })
        .collect();
    let f = std::fs::File::create(format!("{dir}/dossiers.csv")).map_err(|e| e.to_string())?;
    write_sample_csv(std::io::BufWriter::new(f), 42, 2021, &sample, rows, 4)
        .map_err(|e| e.to_string())?;
    println!(
        "generated {rows} dossiers of {} departments in {dir}",
        departments.len()
    );
    Ok(())
}

/// `dossiers stats` figures read in process from a database loaded by the import: one
/// unit's year, the whole province's year, one unit's months, the province's units;
/// median of 21 runs each.
fn dossier_stats(url: &str) -> Result<(), String> {
    use parindex_domain::calendar::Instant as At;
    use parindex_domain::text::Date;
    let rt = tokio::runtime::Runtime::new().map_err(|e| e.to_string())?;
    rt.block_on(async {
        let db = parindex_db::Db::connect(url)
            .await
            .map_err(|e| e.to_string())?;
        let from = Date::parse("2021-01-01").ok_or("date")?;
        let to = Date::parse("2021-12-31").ok_or("date")?;
        let as_of = At::parse("2022-01-01 00:00").ok_or("instant")?;
        for (label, unit) in [("unit SKHDT", Some("SKHDT")), ("province", None)] {
            let mut times = Vec::new();
            let mut received = 0;
            for _ in 0..21 {
                let t = Instant::now();
                let f = db
                    .dossier_figures(unit, from, to, as_of)
                    .await
                    .map_err(|e| e.to_string())?;
                times.push(t.elapsed());
                received = f.received;
            }
            println!(
                "stats in process ({label}, {received} dossiers): median {:.2} ms (target < 20 ms)",
                median(times).as_secs_f64() * 1000.0
            );
        }
        for (label, unit, by) in [
            (
                "unit SKHDT by month",
                Some("SKHDT"),
                parindex_db::Breakdown::Month,
            ),
            ("province by unit", None, parindex_db::Breakdown::Unit),
        ] {
            let mut times = Vec::new();
            for _ in 0..21 {
                let t = Instant::now();
                db.dossier_figures_by(unit, from, to, as_of, by)
                    .await
                    .map_err(|e| e.to_string())?;
                times.push(t.elapsed());
            }
            println!(
                "stats in process ({label}): median {:.2} ms (target < 20 ms)",
                median(times).as_secs_f64() * 1000.0
            );
        }
        Ok(())
    })
}

/// Writes the ranking appendix of `units` generated units as PDF and DOCX, and the
/// self-assessment report of one unit on `leaves` leaves (each citing two evidence
/// documents), against the same ranking written as XLSX in the same run.
fn documents(units: usize, leaves: usize) {
    use parindex_documents::self_assessment::{Cited, LeafEntry, self_assessment_document};
    use parindex_documents::{Format, Letterhead, render};
    use parindex_reports::{Cell, Table};
    let set = match parse_criteria_yaml("bench.yaml", &set_yaml(leaves)) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    };
    let parsed = match parse_scores_csv("bench.csv", &scores_csv(units, leaves), &set) {
        Ok(u) => u,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    };
    let results = rank_units(&set, &parsed);
    let head = Letterhead {
        governing_body: String::new(),
        agency: "UBND tỉnh Bà Rịa – Vũng Tàu".into(),
        code: "UBND".into(),
        place: "Bà Rịa – Vũng Tàu".into(),
        date: parindex_domain::text::Date {
            year: 2026,
            month: 12,
            day: 2,
        },
    };
    let base_mem = peak_mib().unwrap_or(0.0);
    let runs = 3;
    let time = |f: &mut dyn FnMut() -> usize| {
        let mut t = Vec::new();
        let mut size = 0;
        for _ in 0..runs {
            let start = Instant::now();
            size = f();
            t.push(start.elapsed());
        }
        (median(t), size)
    };
    // Baseline: the same ranking as a spreadsheet (what the ranking page exports).
    let (t_xlsx, xlsx_size) = time(&mut || {
        let mut table = Table::new("Xếp hạng", &["rank", "unit", "score", "index", "band"]);
        for r in &results {
            table.rows.push(vec![
                Cell::Int(i64::from(r.rank)),
                Cell::Text(r.unit_name.clone()),
                Cell::Points(r.score, 3),
                Cell::Points(r.index, 3),
                Cell::Text(r.band.clone().unwrap_or_default()),
            ]);
        }
        table.to_xlsx().map_or(0, |b| b.len())
    });
    let xlsx_mem = peak_mib().unwrap_or(0.0);
    let doc = parindex_documents::ranking::ranking_document(&set, &results, &head, false);
    let (t_docx, docx_size) = time(&mut || render(&doc, Format::Docx).map_or(0, |b| b.len()));
    let mut pdf = Vec::new();
    // Every run from scratch: the renderer keeps no memo between documents.
    let (t_pdf, pdf_size) = time(&mut || {
        pdf = render(&doc, Format::Pdf).unwrap_or_default();
        pdf.len()
    });
    let pdf_mem = peak_mib().unwrap_or(0.0);
    // Pages: typst writes one `/Type /Page` object per page.
    let pages = pdf.windows(11).filter(|w| w == b"/Type /Page").count()
        + pdf.windows(10).filter(|w| w == b"/Type/Page").count();
    let mut entries = HashMap::new();
    if let Some(unit) = parsed.first() {
        for (i, l) in &unit.leaves {
            entries.insert(
                set.nodes[*i].code.to_string(),
                LeafEntry {
                    self_points: Some(l.effective),
                    input: l.input.clone(),
                    note: Some("Đã thực hiện theo kế hoạch".into()),
                    evidence: (1..=2)
                        .map(|k| Cited {
                            number: Some(format!("{k}{i}/KH-UBND")),
                            date: Some("2020-03-15".into()),
                            issuer: Some("UBND tỉnh".into()),
                            title: "Kế hoạch thực hiện nhiệm vụ cải cách hành chính".into(),
                        })
                        .collect(),
                    not_applicable: None,
                },
            );
        }
    }
    let sa = self_assessment_document(&set, "Đơn vị 0", &entries, None, &head);
    let mut sa_pdf = Vec::new();
    let (t_sa, sa_size) = time(&mut || {
        sa_pdf = render(&sa, Format::Pdf).unwrap_or_default();
        sa_pdf.len()
    });
    let sa_pages = sa_pdf.windows(11).filter(|w| w == b"/Type /Page").count()
        + sa_pdf.windows(10).filter(|w| w == b"/Type/Page").count();
    let sa_mem = peak_mib().unwrap_or(0.0);
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!("documents: {units} units × {leaves} leaves, median of {runs}");
    println!(
        "  baseline XLSX of the ranking: {:.1} ms, {xlsx_size} bytes, peak {xlsx_mem:.0} MiB (start {base_mem:.0} MiB)",
        ms(t_xlsx)
    );
    println!(
        "  ranking DOCX: {:.1} ms ({:.2}× XLSX), {docx_size} bytes",
        ms(t_docx),
        ms(t_docx) / ms(t_xlsx)
    );
    println!(
        "  ranking PDF: {pages} pages, {:.1} ms ({:.2}× XLSX), {pdf_size} bytes, peak {pdf_mem:.0} MiB",
        ms(t_pdf),
        ms(t_pdf) / ms(t_xlsx)
    );
    println!(
        "  self-assessment PDF: {sa_pages} pages, {:.1} ms ({:.2}× XLSX), {sa_size} bytes, peak {sa_mem:.0} MiB",
        ms(t_sa),
        ms(t_sa) / ms(t_xlsx)
    );
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let units = arg(&args, "--units", 1000);
    let leaves = arg(&args, "--leaves", 150);
    match args.get(1).map(String::as_str) {
        Some("scoring") => scoring(units, leaves),
        Some("directive") => directive(arg(&args, "--pages", 200)),
        Some("occurrences") => occurrences(arg(&args, "--tasks", 5000)),
        Some("documents") => documents(units, leaves),
        Some("gen-dossiers") => {
            if let Err(e) = gen_dossiers(
                args.get(2).map_or("bench-data", String::as_str),
                u64::try_from(arg(&args, "--rows", 1_000_000)).unwrap_or(0),
            ) {
                eprintln!("{e}");
                std::process::exit(1);
            }
        }
        Some("dossier-stats") => {
            if let Err(e) = dossier_stats(args.get(2).map_or("sqlite://bench.db", String::as_str)) {
                eprintln!("{e}");
                std::process::exit(1);
            }
        }
        Some("generate") => generate(
            args.get(2).map_or("bench-data", String::as_str),
            units,
            leaves,
        ),
        _ => {
            eprintln!(
                "usage: parindex-bench scoring|directive|occurrences|documents|generate DIR|gen-dossiers DIR|dossier-stats DB_URL [--units N] [--leaves L] [--pages P] [--rows R]"
            );
            std::process::exit(2);
        }
    }
}
