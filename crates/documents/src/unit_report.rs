//! A unit's PAR report for a period (báo cáo kết quả thực hiện công tác cải cách hành chính
//! quý, 6 tháng, năm): the usual sections, the parts parindex knows filled from its data
//! (tasks done and overdue by division, violations, the dossiers of the period, the
//! self-scores), the narrative parts as the unit wrote them — or a marked place to write
//! them in the DOCX.

use std::collections::HashMap;

use crate::letterhead::Letterhead;
use crate::model::{Align, Block, Document, Paper, Row, Signer, Table};

/// The sections of the report: (key of the narrative file, heading).
pub const SECTIONS: [(&str, &str); 9] = [
    (
        "chi-dao",
        "I. CÔNG TÁC CHỈ ĐẠO, ĐIỀU HÀNH CẢI CÁCH HÀNH CHÍNH",
    ),
    ("the-che", "II. CẢI CÁCH THỂ CHẾ"),
    ("thu-tuc", "III. CẢI CÁCH THỦ TỤC HÀNH CHÍNH"),
    ("bo-may", "IV. CẢI CÁCH TỔ CHỨC BỘ MÁY HÀNH CHÍNH NHÀ NƯỚC"),
    ("cong-vu", "V. CẢI CÁCH CHẾ ĐỘ CÔNG VỤ"),
    ("tai-chinh", "VI. CẢI CÁCH TÀI CHÍNH CÔNG"),
    (
        "so",
        "VII. XÂY DỰNG, PHÁT TRIỂN CHÍNH QUYỀN ĐIỆN TỬ, CHÍNH QUYỀN SỐ",
    ),
    ("ton-tai", "VIII. TỒN TẠI, HẠN CHẾ VÀ NGUYÊN NHÂN"),
    ("nhiem-vu", "IX. NHIỆM VỤ TRỌNG TÂM KỲ TỚI"),
];

/// What a place left for the unit's own words says.
pub const TO_WRITE: &str = "(Nội dung do đơn vị soạn thảo.)";

/// Reads the narrative file: a `# key` line (a key of [`SECTIONS`]) opens a section, the
/// lines after it are its paragraphs. Unknown keys are errors with their line number.
pub fn parse_narrative(text: &str) -> Result<HashMap<String, Vec<String>>, String> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut out: HashMap<String, Vec<String>> = HashMap::new();
    let mut current: Option<String> = None;
    for (i, line) in text.lines().enumerate() {
        let line = line.trim_end_matches('\r').trim();
        if let Some(key) = line.strip_prefix('#') {
            let key = key.trim();
            if !SECTIONS.iter().any(|(k, _)| *k == key) {
                let known: Vec<&str> = SECTIONS.iter().map(|(k, _)| *k).collect();
                return Err(format!(
                    "dòng {}: mục `{key}` không có; các mục: {}",
                    i + 1,
                    known.join(", ")
                ));
            }
            current = Some(key.to_string());
            out.entry(key.to_string()).or_default();
        } else if !line.is_empty() {
            match &current {
                Some(k) => out.entry(k.clone()).or_default().push(line.to_string()),
                None => {
                    return Err(format!(
                        "dòng {}: đoạn văn nằm trước mọi mục (bắt đầu bằng `# chi-dao`…)",
                        i + 1
                    ));
                }
            }
        }
    }
    Ok(out)
}

#[derive(Debug, Clone, Default)]
pub struct UnitReport {
    pub unit_name: String,
    /// "quý II năm 2021".
    pub period: String,
    /// "15/03/2021 – 14/06/2021".
    pub range: String,
    /// (division, occurrences due in the period, done on time, done late, still open).
    pub tasks: Vec<(String, u64, u64, u64, u64)>,
    /// (due, task, division or person, reason).
    pub violations: Vec<(String, String, String, String)>,
    /// The period table of the unit's dossiers (Nghị định 09/2019 periods).
    pub dossiers: Option<parindex_domain::period::PeriodFigures>,
    /// (set name, rows of (code, field, max, self points), total, max).
    pub scores: Option<(
        String,
        Vec<(String, String, String, String)>,
        String,
        String,
    )>,
    /// (due, task, leads) in the next period.
    pub next: Vec<(String, String, String)>,
    /// Paragraphs by section key.
    pub narrative: HashMap<String, Vec<String>>,
}

fn cells(rows: Vec<Vec<String>>) -> Vec<Row> {
    rows.into_iter()
        .map(|cells| Row::Cells {
            cells,
            strong: false,
        })
        .collect()
}

pub fn unit_report_document(r: &UnitReport, head: &Letterhead) -> Document {
    use Align::{Center, Left, Right};
    let mut blocks = vec![Block::Para {
        text: format!(
            "{} báo cáo kết quả thực hiện công tác cải cách hành chính {} (số liệu từ {}) như sau:",
            r.unit_name, r.period, r.range
        ),
    }];
    for (key, heading) in SECTIONS {
        blocks.push(Block::Heading {
            text: heading.to_string(),
        });
        match r.narrative.get(key).filter(|p| !p.is_empty()) {
            Some(paras) => blocks.extend(paras.iter().map(|p| Block::Para { text: p.clone() })),
            None => blocks.push(Block::Para {
                text: TO_WRITE.into(),
            }),
        }
        match key {
            "chi-dao" if !r.tasks.is_empty() => {
                blocks.push(Block::Para {
                    text: "Kết quả thực hiện nhiệm vụ cải cách hành chính trong kỳ theo phòng, ban chủ trì (số lần đến hạn):".into(),
                });
                blocks.push(Block::Table(Table {
                    widths: vec![40, 15, 15, 15, 15],
                    align: vec![Left, Right, Right, Right, Right],
                    head: vec![
                        "Phòng, ban chủ trì".into(),
                        "Đến hạn trong kỳ".into(),
                        "Hoàn thành đúng hạn".into(),
                        "Hoàn thành trễ hạn".into(),
                        "Chưa hoàn thành".into(),
                    ],
                    rows: cells(
                        r.tasks
                            .iter()
                            .map(|(d, n, ok, late, open)| {
                                vec![
                                    d.clone(),
                                    n.to_string(),
                                    ok.to_string(),
                                    late.to_string(),
                                    open.to_string(),
                                ]
                            })
                            .collect(),
                    ),
                }));
            }
            "thu-tuc" => {
                if let Some(d) = &r.dossiers {
                    blocks.push(Block::Para {
                        text: format!(
                            "Tình hình giải quyết hồ sơ thủ tục hành chính trong kỳ: tổng số hồ sơ {} (kỳ trước chuyển sang {}, tiếp nhận mới {}); đã giải quyết {}, tỷ lệ đúng hạn {}%; đang giải quyết {}, trong đó quá hạn {}.",
                            d.received_total(),
                            d.carried_over,
                            d.received_in_period(),
                            d.resolved_total(),
                            parindex_domain::text::decimal_vi(d.on_time_rate()),
                            d.pending_in_time + d.pending_overdue,
                            d.pending_overdue
                        ),
                    });
                    blocks.push(Block::Table(crate::period_report::period_table(
                        "Đơn vị",
                        &[],
                        d,
                    )));
                }
            }
            "ton-tai" if !r.violations.is_empty() => {
                blocks.push(Block::Para {
                    text: format!(
                        "Trong kỳ có {} lượt nhiệm vụ không hoàn thành đúng hạn:",
                        r.violations.len()
                    ),
                });
                blocks.push(Block::Table(Table {
                    widths: vec![14, 46, 20, 20],
                    align: vec![Center, Left, Left, Left],
                    head: vec![
                        "Hạn".into(),
                        "Nhiệm vụ".into(),
                        "Đơn vị, người thực hiện".into(),
                        "Lý do".into(),
                    ],
                    rows: cells(
                        r.violations
                            .iter()
                            .map(|(a, b, c, d)| vec![a.clone(), b.clone(), c.clone(), d.clone()])
                            .collect(),
                    ),
                }));
            }
            "nhiem-vu" if !r.next.is_empty() => {
                blocks.push(Block::Para {
                    text: "Nhiệm vụ đến hạn trong kỳ tới:".into(),
                });
                blocks.push(Block::Table(Table {
                    widths: vec![14, 56, 30],
                    align: vec![Center, Left, Left],
                    head: vec!["Hạn".into(), "Nhiệm vụ".into(), "Chủ trì".into()],
                    rows: cells(
                        r.next
                            .iter()
                            .map(|(a, b, c)| vec![a.clone(), b.clone(), c.clone()])
                            .collect(),
                    ),
                }));
            }
            _ => {}
        }
    }
    if let Some((set, rows, total, max)) = &r.scores {
        blocks.push(Block::Heading {
            text: format!("X. KẾT QUẢ TỰ ĐÁNH GIÁ CHỈ SỐ CẢI CÁCH HÀNH CHÍNH ({set})"),
        });
        let mut table_rows = cells(
            rows.iter()
                .map(|(a, b, c, d)| vec![a.clone(), b.clone(), c.clone(), d.clone()])
                .collect(),
        );
        table_rows.push(Row::Cells {
            cells: vec![
                String::new(),
                "Tổng cộng".into(),
                max.clone(),
                total.clone(),
            ],
            strong: true,
        });
        blocks.push(Block::Table(Table {
            widths: vec![10, 60, 15, 15],
            align: vec![Left, Left, Right, Right],
            head: vec![
                "Mã".into(),
                "Lĩnh vực".into(),
                "Điểm tối đa".into(),
                "Điểm tự chấm".into(),
            ],
            rows: table_rows,
        }));
    }
    Document {
        paper: Paper::A4,
        size: 13,
        governing_body: head.governing_body.clone(),
        agency: head.agency.clone(),
        number: head.number("BC"),
        place_date: head.place_date(),
        kind: "BÁO CÁO".into(),
        summary: format!(
            "Kết quả thực hiện công tác cải cách hành chính {}",
            r.period
        ),
        blocks,
        recipients: vec![
            "Sở Nội vụ (để tổng hợp);".into(),
            "Lãnh đạo đơn vị;".into(),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_narrative_file_names_its_sections_and_lines() {
        let n = parse_narrative("\u{feff}# chi-dao\r\nBan hành kế hoạch.\r\n\r\n# ton-tai\r\nCòn chậm.\r\nCòn thiếu.\r\n")
            .unwrap_or_default();
        assert_eq!(n["chi-dao"], ["Ban hành kế hoạch."]);
        assert_eq!(n["ton-tai"], ["Còn chậm.", "Còn thiếu."]);
        assert_eq!(
            parse_narrative("# chi-dao\nA\n# khong-co\nB")
                .err()
                .as_deref(),
            Some(
                "dòng 3: mục `khong-co` không có; các mục: chi-dao, the-che, thu-tuc, bo-may, cong-vu, tai-chinh, so, ton-tai, nhiem-vu"
            )
        );
        assert!(
            parse_narrative("Đoạn lạc\n# chi-dao")
                .unwrap_err()
                .starts_with("dòng 1:")
        );
    }
}
