//! The self-assessment report of a unit: every criterion with its maximum, the unit's own
//! points, the figure or option it chose, its note and the evidence that backs it.

use std::collections::HashMap;

use parindex_domain::text::{Date, count_vi, decimal_vi};
use parindex_domain::{CriteriaSet, Points};

use crate::letterhead::Letterhead;
use crate::model::{Align, Block, Document, Paper, Row, Signer, Table};

/// An evidence document as the report cites it.
#[derive(Debug, Clone, Default)]
pub struct Cited {
    pub number: Option<String>,
    /// `YYYY-MM-DD` or `dd/mm/yyyy`.
    pub date: Option<String>,
    pub issuer: Option<String>,
    pub title: String,
}

impl Cited {
    /// "Số 12/QĐ-UBND ngày 05/03/2021 của UBND tỉnh: Kế hoạch CCHC năm 2021".
    pub fn line(&self) -> String {
        let mut head = Vec::new();
        if let Some(n) = self.number.as_deref().filter(|n| !n.trim().is_empty()) {
            head.push(format!("Số {}", n.trim()));
        }
        if let Some(d) = self.date.as_deref().filter(|d| !d.trim().is_empty()) {
            let shown = Date::parse(d).map_or_else(|| d.trim().to_string(), Date::to_vi);
            head.push(format!("ngày {shown}"));
        }
        if let Some(i) = self.issuer.as_deref().filter(|i| !i.trim().is_empty()) {
            head.push(format!("của {}", i.trim()));
        }
        if head.is_empty() {
            self.title.clone()
        } else {
            format!("{}: {}", head.join(" "), self.title)
        }
    }
}

/// What the unit entered on one leaf.
#[derive(Debug, Clone, Default)]
pub struct LeafEntry {
    pub self_points: Option<Points>,
    /// The figure typed or the option chosen, as stored.
    pub input: Option<String>,
    pub note: Option<String>,
    pub evidence: Vec<Cited>,
    /// The leaf does not apply to the unit (the reason): no points, outside its maximum.
    pub not_applicable: Option<String>,
}

/// A node's name, with `(điểm thưởng)` or `(điểm trừ)` where its points are outside the
/// maximum.
fn kind_named(n: &parindex_domain::Criterion) -> String {
    match n.kind {
        parindex_domain::NodeKind::Regular => n.name.clone(),
        k => format!("{} ({})", n.name, k.label_vi().to_lowercase()),
    }
}

/// The report of `unit_name` on `set`; `entries` by criterion code.
pub fn self_assessment_document<S: std::hash::BuildHasher>(
    set: &CriteriaSet,
    unit_name: &str,
    entries: &HashMap<String, LeafEntry, S>,
    submitted: Option<&str>,
    head: &Letterhead,
) -> Document {
    let p = set.precision;
    // Each node's own total: the unit's points summed over the leaves under it.
    let na = |i: usize| {
        entries
            .get(set.nodes[i].code.as_str())
            .and_then(|e| e.not_applicable.as_deref())
    };
    let own = |i: usize| {
        entries
            .get(set.nodes[i].code.as_str())
            .filter(|e| e.not_applicable.is_none())
            .and_then(|e| e.self_points)
    };
    let totals = parindex_domain::scoring::totals_by(set, |i| own(i).unwrap_or_default());
    // The unit's maxima: less the leaves that do not apply to it.
    let maxima = parindex_domain::scoring::totals_by(set, |i| {
        if na(i).is_some() {
            Points::ZERO
        } else {
            set.nodes[i].max
        }
    });
    let unit_max = set
        .roots()
        .filter(|(_, n)| n.kind == parindex_domain::NodeKind::Regular)
        .fold(Points::ZERO, |acc, (i, _)| acc + maxima[i]);
    let leaves = set.leaves().count() as u64;
    let scored = set
        .leaves()
        .filter(|(i, _)| own(*i).is_some() || na(*i).is_some())
        .count() as u64;
    let total = parindex_domain::scoring::score_from(set, &totals);
    let mut rows = Vec::with_capacity(set.nodes.len());
    for (i, n) in set.nodes.iter().enumerate() {
        if n.is_leaf() {
            let e = entries.get(n.code.as_str());
            rows.push(Row::Cells {
                cells: vec![
                    n.code.to_string(),
                    kind_named(n),
                    maxima[i].to_vi(p),
                    own(i).map(|x| x.to_vi(p)).unwrap_or_default(),
                    match na(i) {
                        Some("") => "Không áp dụng".to_string(),
                        Some(why) => format!("Không áp dụng: {why}"),
                        None => e
                            .and_then(|e| e.input.as_deref())
                            .map(decimal_vi)
                            .unwrap_or_default(),
                    },
                    e.and_then(|e| e.note.clone()).unwrap_or_default(),
                    e.map(|e| {
                        e.evidence
                            .iter()
                            .map(Cited::line)
                            .collect::<Vec<_>>()
                            .join("\n")
                    })
                    .unwrap_or_default(),
                ],
                strong: false,
            });
        } else {
            rows.push(Row::Cells {
                cells: vec![
                    n.code.to_string(),
                    kind_named(n),
                    maxima[i].to_vi(p),
                    totals[i].to_vi(p),
                    String::new(),
                    String::new(),
                    String::new(),
                ],
                strong: true,
            });
        }
    }
    rows.push(Row::Cells {
        cells: vec![
            String::new(),
            "Tổng cộng".into(),
            unit_max.to_vi(p),
            total.to_vi(p),
            String::new(),
            String::new(),
            String::new(),
        ],
        strong: true,
    });
    let mut blocks = Vec::new();
    if set.sample {
        blocks.push(Block::Centered {
            text: "DỮ LIỆU MẪU — KHÔNG PHẢI SỐ LIỆU CHÍNH THỨC".into(),
        });
    }
    blocks.push(Block::Para {
        text: format!(
            "Thực hiện {} (năm {}), {} tự đánh giá, chấm điểm được {} trên tổng số {} điểm; \
             đã chấm {} trên {} tiêu chí thành phần.{}",
            set.name,
            set.year,
            unit_name,
            total.to_vi(p),
            unit_max.to_vi(p),
            count_vi(scored),
            count_vi(leaves),
            submitted.map_or_else(
                || " Bản tự đánh giá chưa được gửi.".to_string(),
                |s| format!(" Bản tự đánh giá đã được gửi lúc {s}."),
            ),
        ),
    });
    blocks.push(Block::Heading {
        text: "KẾT QUẢ TỰ ĐÁNH GIÁ, CHẤM ĐIỂM".into(),
    });
    blocks.push(Block::Table(Table {
        widths: vec![8, 34, 7, 7, 9, 14, 30],
        align: vec![
            Align::Left,
            Align::Left,
            Align::Right,
            Align::Right,
            Align::Center,
            Align::Left,
            Align::Left,
        ],
        head: vec![
            "Mã".into(),
            "Tiêu chí, tiêu chí thành phần".into(),
            "Điểm tối đa".into(),
            "Điểm tự chấm".into(),
            "Số liệu, lựa chọn".into(),
            "Ghi chú".into(),
            "Tài liệu kiểm chứng".into(),
        ],
        rows,
    }));
    Document {
        paper: Paper::A4Landscape,
        size: 13,
        governing_body: head.governing_body.clone(),
        agency: head.agency.clone(),
        number: head.number("BC"),
        place_date: head.place_date(),
        kind: "BÁO CÁO".into(),
        summary: format!(
            "Kết quả tự đánh giá, chấm điểm Chỉ số cải cách hành chính năm {}",
            set.year
        ),
        blocks,
        recipients: vec![
            "Sở Nội vụ (Cơ quan thường trực);".into(),
            "Hội đồng thẩm định;".into(),
            "Lưu: VT.".into(),
        ],
        signer: Signer {
            position: vec!["Thủ trưởng cơ quan".into()],
            hint: String::new(),
            name: String::new(),
        },
        footnote: String::new(),
    }
}
