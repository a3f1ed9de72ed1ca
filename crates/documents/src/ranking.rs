//! The results appendix: every unit with its score, index, rank and band, group by group.

use parindex_domain::text::count_vi;
use parindex_domain::units::group_name_vi;
use parindex_domain::{CriteriaSet, UnitResult};

use crate::letterhead::Letterhead;
use crate::model::{Align, Block, Document, Paper, Row, Signer, Table};

/// The ranking report of a set, issued by the province's committee. `results` are ranked
/// (as `rank_units` gives them), in the order they are to be listed within each group;
/// `draft` marks results not yet published.
pub fn ranking_document(
    set: &CriteriaSet,
    results: &[UnitResult],
    head: &Letterhead,
    draft: bool,
) -> Document {
    let precision = set.precision;
    let mut groups: Vec<&str> = Vec::new();
    for r in results {
        if !groups.contains(&r.group.as_str()) {
            groups.push(&r.group);
        }
    }
    let mut blocks = Vec::new();
    if draft {
        blocks.push(Block::Centered {
            text: "DỰ THẢO — KẾT QUẢ CHƯA CÔNG BỐ".into(),
        });
    }
    if set.sample {
        blocks.push(Block::Centered {
            text: "DỮ LIỆU MẪU — KHÔNG PHẢI SỐ LIỆU CHÍNH THỨC".into(),
        });
    }
    // Units' maxima differ where leaves do not apply to some; bonus and penalty parts sit
    // outside every maximum. The table then shows each unit's maximum, bonus and penalty.
    let total_max = set.total_max();
    let detail = set.has_bonus_or_penalty() || results.iter().any(|r| r.max != total_max);
    let ranked_by = match set.rank_by {
        parindex_domain::RankBy::Score => {
            "đơn vị có tổng điểm cao hơn xếp trên, bằng điểm thì cùng hạng"
        }
        parindex_domain::RankBy::Index => {
            "đơn vị có chỉ số cao hơn xếp trên, bằng chỉ số thì cùng hạng"
        }
    };
    let index_is = if detail {
        "Chỉ số là tổng điểm (gồm điểm thưởng, trừ điểm trừ) chia cho điểm tối đa của đơn vị \
         (không tính tiêu chí không áp dụng), nhân 100 (%)"
    } else {
        "Chỉ số là tổng điểm chia cho điểm tối đa, nhân 100 (%)"
    };
    blocks.push(Block::Para {
        text: format!(
            "Bộ chỉ số: {} (năm {}), tổng điểm tối đa {} điểm. Có {} đơn vị được đánh giá, \
             xếp hạng trong {} nhóm. {index_is}; trong mỗi nhóm, {ranked_by}.",
            set.name,
            set.year,
            total_max.to_vi(precision),
            count_vi(results.len() as u64),
            count_vi(groups.len() as u64),
        ),
    });
    let mut rows = Vec::with_capacity(results.len() + groups.len());
    for g in &groups {
        let members: Vec<&UnitResult> = results.iter().filter(|r| r.group == *g).collect();
        rows.push(Row::Group {
            text: format!(
                "{} ({} đơn vị)",
                group_name_vi(g),
                count_vi(members.len() as u64)
            ),
        });
        for r in members {
            let mut cells = vec![
                format!("{}/{}", r.rank, r.of),
                r.unit_name.clone(),
                r.score.to_vi(precision),
                r.index.to_vi(precision),
                r.band.clone().unwrap_or_default(),
                r.lost.to_vi(precision),
            ];
            if detail {
                cells.extend([
                    r.max.to_vi(precision),
                    r.bonus.to_vi(precision),
                    r.penalty.to_vi(precision),
                ]);
            }
            rows.push(Row::Cells {
                cells,
                strong: false,
            });
        }
    }
    blocks.push(Block::Heading {
        text: "KẾT QUẢ XẾP HẠNG".into(),
    });
    let mut widths = vec![9, 40, 13, 13, 13, 12];
    let mut align = vec![
        Align::Center,
        Align::Left,
        Align::Right,
        Align::Right,
        Align::Center,
        Align::Right,
    ];
    let mut heads: Vec<String> = vec![
        "Hạng".into(),
        "Đơn vị".into(),
        "Tổng điểm".into(),
        "Chỉ số (%)".into(),
        "Xếp loại".into(),
        "Điểm bị mất".into(),
    ];
    if detail {
        widths = vec![8, 28, 10, 10, 10, 10, 10, 7, 7];
        align.extend([Align::Right, Align::Right, Align::Right]);
        heads.extend([
            "Điểm tối đa của đơn vị".into(),
            "Điểm thưởng".into(),
            "Điểm trừ".into(),
        ]);
    }
    blocks.push(Block::Table(Table {
        widths,
        align,
        head: heads,
        rows,
    }));
    Document {
        paper: Paper::A4,
        size: 13,
        governing_body: head.governing_body.clone(),
        agency: head.agency.clone(),
        number: head.number("BC"),
        place_date: head.place_date(),
        kind: "BÁO CÁO".into(),
        summary: format!("Kết quả Chỉ số cải cách hành chính năm {}", set.year),
        blocks,
        recipients: vec![
            "Bộ Nội vụ (để báo cáo);".into(),
            "Các cơ quan, đơn vị được đánh giá;".into(),
            "Lưu: VT, Sở Nội vụ.".into(),
        ],
        signer: Signer {
            position: vec!["TM. Ủy ban nhân dân".into(), "Chủ tịch".into()],
            hint: String::new(),
            name: String::new(),
        },
        footnote: String::new(),
    }
}
