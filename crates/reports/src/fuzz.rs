//! The readers of ZIP-based files on real workbooks and documents with random damage, to
//! the archive's bytes or to the XML inside: they return (a value or an error), never
//! panic or abort.

use std::io::{Cursor, Read, Write};

use proptest::prelude::*;

const SET: &str = include_str!("../../domain/tests/data/example-so-2020.yaml");

fn criteria_workbook() -> Vec<u8> {
    let set = parindex_domain::parse_criteria_yaml("e.yaml", SET).unwrap();
    crate::criteria_xlsx::write_criteria_xlsx(&set).unwrap()
}

fn dossier_workbook() -> Vec<u8> {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    for (c, h) in ["code", "unit_code", "procedure_code", "received_at"]
        .iter()
        .enumerate()
    {
        ws.write_string(0, u16::try_from(c).unwrap(), *h).unwrap();
    }
    for r in 1..20u32 {
        ws.write_string(r, 0, format!("HS{r}")).unwrap();
        ws.write_string(r, 1, "SKHDT").unwrap();
        ws.write_number(r, 2, f64::from(r)).unwrap();
        ws.write_string(r, 3, "01/03/2021 09:00").unwrap();
    }
    wb.save_to_buffer().unwrap()
}

fn document() -> Vec<u8> {
    use crate::docx::tests::{docx, para};
    docx(
        &[
            para(None, "KẾ HOẠCH Cải cách hành chính năm 2021"),
            para(Some((1, 0)), "Nhiệm vụ chung"),
            para(
                Some((1, 1)),
                "Phòng Đăng ký kinh doanh: nâng tỷ lệ hồ sơ trực tuyến",
            ),
            para(Some((2, 0)), "báo cáo hằng tháng trước ngày 20"),
        ]
        .concat(),
    )
}

fn damage(bytes: &mut Vec<u8>, hits: &[(usize, u8)], cut: Option<usize>) {
    for (i, b) in hits {
        if !bytes.is_empty() {
            let k = i % bytes.len();
            bytes[k] = *b;
        }
    }
    if let Some(c) = cut {
        bytes.truncate(c % (bytes.len() + 1));
    }
}

/// Numbers written in place of a run of digits (a count, an index, a cell reference's
/// row): the values that make a reader size a table or step past a limit.
const BIG: [&str; 5] = [
    "10000000000000000",
    "4294967295",
    "1048576",
    "99999999999999999999999",
    "0",
];

/// Replaces the `k`-th run of ASCII digits (counted modulo their number) with `big`.
fn swap_number(data: &mut Vec<u8>, k: usize, big: &str) {
    let mut runs = Vec::new();
    let mut i = 0;
    while i < data.len() {
        if data[i].is_ascii_digit() {
            let start = i;
            while i < data.len() && data[i].is_ascii_digit() {
                i += 1;
            }
            runs.push(start..i);
        } else {
            i += 1;
        }
    }
    if !runs.is_empty() {
        let r = runs[k % runs.len()].clone();
        data.splice(r, big.bytes());
    }
}

/// The archive rewritten with each XML part damaged.
fn damage_inside(zip: &[u8], hits: &[(usize, u8)], cut: Option<usize>) -> Vec<u8> {
    let mut src = zip::ZipArchive::new(Cursor::new(zip)).unwrap();
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for i in 0..src.len() {
        let mut f = src.by_index(i).unwrap();
        let name = f.name().unwrap().into_owned();
        let mut data = Vec::new();
        f.read_to_end(&mut data).unwrap();
        if std::path::Path::new(&name)
            .extension()
            .is_some_and(|e| e == "xml")
            && !name.contains("Content_Types")
        {
            for (k, b) in hits {
                // Half the hits change a number, half a byte.
                if b % 2 == 0 {
                    swap_number(&mut data, *k, BIG[usize::from(*b / 2) % BIG.len()]);
                }
            }
            let bytes: Vec<(usize, u8)> =
                hits.iter().filter(|(_, b)| b % 2 == 1).copied().collect();
            damage(&mut data, &bytes, cut);
        }
        w.start_file(name.as_str(), zip::write::SimpleFileOptions::default())
            .unwrap();
        w.write_all(&data).unwrap();
    }
    w.finish().unwrap().into_inner()
}

fn read_all(bytes: &[u8]) {
    let _ = crate::sheet_csv::xlsx_to_csv(Cursor::new(bytes), std::io::sink());
    let _ = crate::criteria_xlsx::read_criteria_xlsx("f.xlsx", bytes);
    let _ = crate::docx::docx_text(bytes);
}

fn hits() -> impl Strategy<Value = (Vec<(usize, u8)>, Option<usize>)> {
    (
        prop::collection::vec((any::<usize>(), any::<u8>()), 1..16),
        prop::option::weighted(0.2, any::<usize>()),
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn damaged_archives_never_panic((hits, cut) in hits()) {
        for mut bytes in [criteria_workbook(), dossier_workbook(), document()] {
            damage(&mut bytes, &hits, cut);
            read_all(&bytes);
        }
    }

    #[test]
    fn damaged_parts_never_panic((hits, cut) in hits()) {
        for bytes in [criteria_workbook(), dossier_workbook(), document()] {
            read_all(&damage_inside(&bytes, &hits, cut));
        }
    }
}

#[test]
fn the_fuzzed_files_read_when_undamaged() {
    let mut out = Vec::new();
    let rows = crate::sheet_csv::xlsx_to_csv(Cursor::new(dossier_workbook()), &mut out).unwrap();
    assert_eq!(rows, 20);
    assert!(crate::criteria_xlsx::read_criteria_xlsx("e.xlsx", &criteria_workbook()).is_ok());
    assert!(
        crate::docx::docx_text(&document())
            .unwrap()
            .contains("Phòng Đăng ký kinh doanh")
    );
}
