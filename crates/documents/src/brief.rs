//! The director's brief as a printable document: overdue tasks by division, the next
//! deadlines, new violations and the points still at stake.

use crate::letterhead::Letterhead;
use crate::model::{Align, Block, Document, Paper, Row, Signer, Table};

/// What the brief page shows, in words and figures already written for a reader.
#[derive(Debug, Clone, Default)]
pub struct Brief {
    pub unit_name: String,
    /// dd/mm/yyyy.
    pub today: String,
    /// (division, overdue occurrences).
    pub overdue: Vec<(String, usize)>,
    /// (due, task, leads).
    pub upcoming: Vec<(String, String, String)>,
    /// (due, task, unit or person).
    pub violations: Vec<(String, String, String)>,
    pub set_name: String,
    /// (code, criterion, points lost, open tasks on it).
    pub stakes: Vec<(String, String, String, usize)>,
    /// The year-end outlook in words ("Điểm dự kiến 82,500 / 100,000, khoảng …"); empty
    /// leaves the section out.
    pub outlook: String,
    /// (code, criterion, projected figure, expected points, max).
    pub warnings: Vec<(String, String, String, String, String)>,
}

fn table(widths: Vec<u32>, align: Vec<Align>, head: &[&str], rows: Vec<Vec<String>>) -> Block {
    Block::Table(Table {
        widths,
        align,
        head: head.iter().map(|h| (*h).to_string()).collect(),
        rows: rows
            .into_iter()
            .map(|cells| Row::Cells {
                cells,
                strong: false,
            })
            .collect(),
    })
}

fn section(blocks: &mut Vec<Block>, title: &str, empty: bool, table: impl FnOnce() -> Block) {
    blocks.push(Block::Heading { text: title.into() });
    if empty {
        blocks.push(Block::Para {
            text: "Không có.".into(),
        });
    } else {
        blocks.push(table());
    }
}

pub fn brief_document(b: &Brief, head: &Letterhead) -> Document {
    use Align::{Center, Left, Right};
    let mut blocks = vec![Block::Para {
        text: format!(
            "Tình hình thực hiện nhiệm vụ cải cách hành chính của {} đến ngày {}.",
            b.unit_name, b.today
        ),
    }];
    section(
        &mut blocks,
        "I. NHIỆM VỤ QUÁ HẠN THEO PHÒNG, BAN",
        b.overdue.is_empty(),
        || {
            table(
                vec![75, 25],
                vec![Left, Right],
                &["Phòng, ban", "Số nhiệm vụ quá hạn"],
                b.overdue
                    .iter()
                    .map(|(d, n)| vec![d.clone(), n.to_string()])
                    .collect(),
            )
        },
    );
    section(
        &mut blocks,
        "II. NHIỆM VỤ ĐẾN HẠN TRONG 14 NGÀY TỚI",
        b.upcoming.is_empty(),
        || {
            table(
                vec![16, 54, 30],
                vec![Center, Left, Left],
                &["Hạn", "Nhiệm vụ", "Chủ trì"],
                b.upcoming
                    .iter()
                    .map(|(d, t, l)| vec![d.clone(), t.clone(), l.clone()])
                    .collect(),
            )
        },
    );
    section(
        &mut blocks,
        "III. VI PHẠM MỚI TRONG 7 NGÀY QUA",
        b.violations.is_empty(),
        || {
            table(
                vec![16, 54, 30],
                vec![Center, Left, Left],
                &["Hạn", "Nhiệm vụ", "Đơn vị, người thực hiện"],
                b.violations
                    .iter()
                    .map(|(d, t, u)| vec![d.clone(), t.clone(), u.clone()])
                    .collect(),
            )
        },
    );
    let stakes_title = if b.set_name.is_empty() {
        "IV. ĐIỂM CÒN CÓ THỂ GIÀNH LẠI".to_string()
    } else {
        format!("IV. ĐIỂM CÒN CÓ THỂ GIÀNH LẠI ({})", b.set_name)
    };
    section(&mut blocks, &stakes_title, b.stakes.is_empty(), || {
        table(
            vec![12, 58, 15, 15],
            vec![Left, Left, Right, Right],
            &["Mã", "Tiêu chí", "Điểm bị mất", "Nhiệm vụ đang mở"],
            b.stakes
                .iter()
                .map(|(c, n, l, o)| vec![c.clone(), n.clone(), l.clone(), o.to_string()])
                .collect(),
        )
    });
    if !b.outlook.is_empty() {
        blocks.push(Block::Heading {
            text: "V. DỰ BÁO CUỐI NĂM VÀ CẢNH BÁO SỚM".into(),
        });
        blocks.push(Block::Para {
            text: b.outlook.clone(),
        });
        if !b.warnings.is_empty() {
            blocks.push(table(
                vec![12, 46, 14, 14, 14],
                vec![Left, Left, Right, Right, Right],
                &[
                    "Mã",
                    "Tiêu chí dự kiến bị mất điểm",
                    "Số liệu dự kiến",
                    "Điểm dự kiến",
                    "Điểm tối đa",
                ],
                b.warnings
                    .iter()
                    .map(|(c, n, f, e, m)| {
                        vec![c.clone(), n.clone(), f.clone(), e.clone(), m.clone()]
                    })
                    .collect(),
            ));
        }
    }
    Document {
        paper: Paper::A4,
        size: 13,
        governing_body: head.governing_body.clone(),
        agency: head.agency.clone(),
        number: head.number("BC"),
        place_date: head.place_date(),
        kind: "BÁO CÁO NHANH".into(),
        summary: "Tình hình cải cách hành chính của đơn vị".into(),
        blocks,
        recipients: vec!["Giám đốc (để chỉ đạo);".into(), "Lưu: VT.".into()],
        signer: Signer {
            position: vec!["Người lập".into()],
            hint: String::new(),
            name: String::new(),
        },
        footnote: String::new(),
    }
}
