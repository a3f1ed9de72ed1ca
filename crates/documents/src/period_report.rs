//! The periodic report on the resolution of administrative procedures (báo cáo tình hình,
//! kết quả giải quyết thủ tục hành chính) for a reporting period of Nghị định 09/2019/NĐ-CP:
//! one row per procedure of a unit, or per unit of the province, with the total row on top,
//! in the columns of the official table.

use parindex_domain::period::{EXTRA_COLUMNS, PeriodFigures, TABLE_COLUMNS};
use parindex_domain::text::{count_vi, decimal_vi};

use crate::letterhead::Letterhead;
use crate::model::{Align, Block, Document, Paper, Row, Signer, Table};

#[derive(Debug, Clone, Default)]
pub struct PeriodReport {
    /// The unit's name, or the province's for every unit together.
    pub scope: String,
    /// True when the rows are units (the province's report), false for procedures.
    pub by_unit: bool,
    /// "quý II năm 2021".
    pub period: String,
    /// "15/03/2021 – 14/06/2021".
    pub range: String,
    pub rows: Vec<PeriodLine>,
    pub total: PeriodFigures,
}

/// A row of the table: a procedure of the unit or a unit of the province.
#[derive(Debug, Clone, Default)]
pub struct PeriodLine {
    pub code: String,
    pub name: String,
    pub figures: PeriodFigures,
}

impl PeriodReport {
    /// The table as a spreadsheet: `code`, `name` and the contract's keys as CSV headers,
    /// the form's column names as the XLSX titles; the total row first, coded `*`.
    pub fn export_table(&self) -> parindex_reports::Table {
        use parindex_reports::Cell;
        let mut headers = vec!["code", "name"];
        headers.extend(TABLE_COLUMNS.iter().map(|(k, _, _)| *k));
        headers.extend(EXTRA_COLUMNS.iter().map(|(k, _, _)| *k));
        let mut titles = vec![
            if self.by_unit {
                "Mã đơn vị"
            } else {
                "Mã thủ tục"
            },
            if self.by_unit {
                "Đơn vị"
            } else {
                "Thủ tục hành chính"
            },
        ];
        titles.extend(TABLE_COLUMNS.iter().map(|(_, vi, _)| *vi));
        titles.extend(EXTRA_COLUMNS.iter().map(|(_, vi, _)| *vi));
        let mut t = parindex_reports::Table::new(
            format!(
                "Tình hình, kết quả giải quyết TTHC — {} — {} ({})",
                self.scope, self.period, self.range
            ),
            &headers,
        )
        .with_titles(&titles);
        let row = |code: &str, name: &str, f: &PeriodFigures| {
            let mut cells: Vec<Cell> = vec![code.into(), name.into()];
            cells.extend(
                f.table_row()
                    .iter()
                    .map(|n| Cell::Int(i64::try_from(*n).unwrap_or(i64::MAX))),
            );
            cells.push(f.on_time_rate().into());
            cells.extend(
                f.extra_row()
                    .iter()
                    .map(|n| Cell::Int(i64::try_from(*n).unwrap_or(i64::MAX))),
            );
            cells
        };
        t.rows.push(row("*", "Tổng cộng", &self.total));
        for l in &self.rows {
            t.rows.push(row(&l.code, &l.name, &l.figures));
        }
        t
    }
}

/// The thirteen cells of a row after its name, as the table prints them.
pub fn period_cells(f: &PeriodFigures) -> Vec<String> {
    let mut cells: Vec<String> = f.table_row().iter().map(|n| count_vi(*n)).collect();
    cells.push(decimal_vi(f.on_time_rate()));
    cells
}

/// The official table: STT, the row's name, then [`TABLE_COLUMNS`]; the total row first.
pub fn period_table(first: &str, rows: &[PeriodLine], total: &PeriodFigures) -> Table {
    let mut head = vec!["STT".to_string(), first.to_string()];
    head.extend(TABLE_COLUMNS.iter().map(|(_, vi, _)| (*vi).to_string()));
    let mut widths = vec![4, 22];
    widths.extend([6; 13]);
    let mut align = vec![Align::Center, Align::Left];
    align.extend([Align::Right; 13]);
    let mut out = Vec::with_capacity(rows.len() + 1);
    let mut cells = vec![String::new(), "Tổng cộng".to_string()];
    cells.extend(period_cells(total));
    out.push(Row::Cells {
        cells,
        strong: true,
    });
    for (i, l) in rows.iter().enumerate() {
        let mut cells = vec![(i + 1).to_string(), l.name.clone()];
        cells.extend(period_cells(&l.figures));
        out.push(Row::Cells {
            cells,
            strong: false,
        });
    }
    Table {
        widths,
        align,
        head,
        rows: out,
    }
}

pub fn period_report_document(r: &PeriodReport, head: &Letterhead) -> Document {
    let t = &r.total;
    let pending = t.pending_in_time + t.pending_overdue;
    let blocks = vec![
        Block::Para {
            text: format!(
                "{} báo cáo tình hình, kết quả giải quyết thủ tục hành chính {} (số liệu từ \
                 {}, theo Điều 12 Nghị định số 09/2019/NĐ-CP) như sau:",
                r.scope, r.period, r.range
            ),
        },
        Block::Para {
            text: format!(
                "Tổng số hồ sơ nhận giải quyết: {} (kỳ trước chuyển qua {}; mới tiếp nhận {}, \
                 trong đó trực tuyến {}, trực tiếp {}, qua dịch vụ bưu chính công ích {}). Đã \
                 giải quyết {} (trước hạn {}, đúng hạn {}, quá hạn {}), tỷ lệ đúng hạn {}%. \
                 Đang giải quyết {}, trong đó quá hạn {}. Công dân rút {} hồ sơ; từ chối giải \
                 quyết {} hồ sơ (có nêu lý do); trả kết quả qua dịch vụ bưu chính công ích {} \
                 hồ sơ.",
                count_vi(t.received_total()),
                count_vi(t.carried_over),
                count_vi(t.received_in_period()),
                count_vi(t.received_online),
                count_vi(t.received_direct),
                count_vi(t.received_postal),
                count_vi(t.resolved_total()),
                count_vi(t.resolved_early),
                count_vi(t.resolved_on_time),
                count_vi(t.resolved_late),
                decimal_vi(t.on_time_rate()),
                count_vi(pending),
                count_vi(t.pending_overdue),
                count_vi(t.withdrawn),
                count_vi(t.refused),
                count_vi(t.returned_postal),
            ),
        },
        Block::Heading {
            text: if r.by_unit {
                "KẾT QUẢ GIẢI QUYẾT THỦ TỤC HÀNH CHÍNH THEO ĐƠN VỊ".into()
            } else {
                "KẾT QUẢ GIẢI QUYẾT THỦ TỤC HÀNH CHÍNH THEO THỦ TỤC".into()
            },
        },
        Block::Table(period_table(
            if r.by_unit {
                "Đơn vị"
            } else {
                "Thủ tục hành chính"
            },
            &r.rows,
            &r.total,
        )),
    ];
    Document {
        paper: Paper::A4Landscape,
        size: 13,
        governing_body: head.governing_body.clone(),
        agency: head.agency.clone(),
        number: head.number("BC"),
        place_date: head.place_date(),
        kind: "BÁO CÁO".into(),
        summary: format!(
            "Tình hình, kết quả giải quyết thủ tục hành chính {}",
            r.period
        ),
        blocks,
        recipients: vec![
            "Văn phòng UBND tỉnh (để tổng hợp);".into(),
            "Lưu: VT.".into(),
        ],
        signer: Signer {
            position: vec!["Thủ trưởng đơn vị".into()],
            hint: "(Ký, ghi rõ họ tên, đóng dấu)".into(),
            name: String::new(),
        },
        footnote: String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_puts_the_total_first_and_every_column_of_the_form() {
        let f = PeriodFigures {
            carried_over: 3,
            received_online: 1200,
            received_direct: 5,
            received_postal: 2,
            resolved_early: 1000,
            resolved_on_time: 100,
            resolved_late: 10,
            pending_in_time: 90,
            pending_overdue: 10,
            ..PeriodFigures::default()
        };
        let line = PeriodLine {
            code: "A".into(),
            name: "A — một".into(),
            figures: f,
        };
        let t = period_table("Thủ tục", &[line], &f.plus(&f));
        assert_eq!(t.head.len(), 15);
        let Row::Cells { cells, strong } = &t.rows[0] else {
            unreachable!("the total row")
        };
        assert!(strong);
        // 2 × (3 + 1207) received, rate (1100 / 1110) = 99,10.
        assert_eq!(cells[2], "2.420");
        assert_eq!(cells[14], "99,10");
        let Row::Cells { cells, .. } = &t.rows[1] else {
            unreachable!("a row")
        };
        assert_eq!(cells[..3], ["1", "A — một", "1.210"]);
        assert_eq!(cells[11], "100");
    }
}
