//! Reporting periods of official reports (Nghị định 09/2019/NĐ-CP, Điều 12): they end on
//! the 14th; a period runs from the 15th of the month before it to the 14th of its last
//! month (`shared/spec/dossiers.md`, "Period reports").

use crate::text::Date;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeriodKind {
    Month(u8),
    Quarter(u8),
    Half(u8),
    Year,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub year: i32,
    pub kind: PeriodKind,
    /// First day (00:00).
    pub from: Date,
    /// Last day (until 23:59).
    pub to: Date,
}

impl PeriodKind {
    /// The key a period goes by in URLs and files: `m1`–`m12`, `q1`–`q4`, `h1`, `h2`, `year`.
    pub fn key(self) -> String {
        match self {
            PeriodKind::Month(m) => format!("m{m}"),
            PeriodKind::Quarter(q) => format!("q{q}"),
            PeriodKind::Half(h) => format!("h{h}"),
            PeriodKind::Year => "year".into(),
        }
    }

    /// The kind of a key written by [`PeriodKind::key`]; `None` for anything else.
    pub fn from_key(key: &str) -> Option<PeriodKind> {
        if key == "year" {
            return Some(PeriodKind::Year);
        }
        let (head, n) = key.split_at_checked(1)?;
        let n: u8 = n.parse().ok()?;
        let kind = match head {
            "m" => PeriodKind::Month(n),
            "q" => PeriodKind::Quarter(n),
            "h" => PeriodKind::Half(n),
            _ => return None,
        };
        let max = match kind {
            PeriodKind::Month(_) => 12,
            PeriodKind::Quarter(_) => 4,
            _ => 2,
        };
        (1..=max).contains(&n).then_some(kind)
    }

    /// Every kind of a year in the order a chooser lists them: the year, halves, quarters,
    /// months.
    pub fn all() -> Vec<PeriodKind> {
        let mut out = vec![PeriodKind::Year, PeriodKind::Half(1), PeriodKind::Half(2)];
        out.extend((1..=4).map(PeriodKind::Quarter));
        out.extend((1..=12).map(PeriodKind::Month));
        out
    }
}

const ROMAN: [&str; 4] = ["I", "II", "III", "IV"];

impl Period {
    /// The period, or a message in Vietnamese when the month, quarter or half is out of
    /// range or the year is not a year of four digits.
    pub fn new(year: i32, kind: PeriodKind) -> Result<Period, String> {
        if !(1..=9999).contains(&year) {
            return Err(format!("năm {year} không hợp lệ"));
        }
        let (first_month, last_month) = match kind {
            PeriodKind::Month(m) if (1..=12).contains(&m) => (m, m),
            PeriodKind::Quarter(q) if (1..=4).contains(&q) => (q * 3 - 2, q * 3),
            PeriodKind::Half(h) if (1..=2).contains(&h) => (h * 6 - 5, h * 6),
            PeriodKind::Year => (1, 12),
            PeriodKind::Month(m) => return Err(format!("tháng {m} không có (1–12)")),
            PeriodKind::Quarter(q) => return Err(format!("quý {q} không có (1–4)")),
            PeriodKind::Half(h) => return Err(format!("6 tháng thứ {h} không có (1–2)")),
        };
        // From the 15th of the month before the first month.
        let (fy, fm) = if first_month == 1 {
            (year - 1, 12)
        } else {
            (year, first_month - 1)
        };
        let from = Date::new(fy, fm, 15).ok_or("ngày đầu kỳ không hợp lệ")?;
        let to = Date::new(year, last_month, 14).ok_or("ngày cuối kỳ không hợp lệ")?;
        Ok(Period {
            year,
            kind,
            from,
            to,
        })
    }

    /// "quý II năm 2021", "6 tháng đầu năm 2021", "năm 2021", "tháng 3 năm 2021".
    pub fn label_vi(&self) -> String {
        let y = self.year;
        match self.kind {
            PeriodKind::Month(m) => format!("tháng {m} năm {y}"),
            PeriodKind::Quarter(q) => {
                format!("quý {} năm {y}", ROMAN[usize::from(q.clamp(1, 4)) - 1])
            }
            PeriodKind::Half(1) => format!("6 tháng đầu năm {y}"),
            PeriodKind::Half(_) => format!("6 tháng cuối năm {y}"),
            PeriodKind::Year => format!("năm {y}"),
        }
    }

    /// The period that follows (the same kind), for "next period's tasks".
    pub fn next(&self) -> Result<Period, String> {
        let (year, kind) = match self.kind {
            PeriodKind::Month(12) => (self.year + 1, PeriodKind::Month(1)),
            PeriodKind::Month(m) => (self.year, PeriodKind::Month(m + 1)),
            PeriodKind::Quarter(4) => (self.year + 1, PeriodKind::Quarter(1)),
            PeriodKind::Quarter(q) => (self.year, PeriodKind::Quarter(q + 1)),
            PeriodKind::Half(2) => (self.year + 1, PeriodKind::Half(1)),
            PeriodKind::Half(h) => (self.year, PeriodKind::Half(h + 1)),
            PeriodKind::Year => (self.year + 1, PeriodKind::Year),
        };
        Period::new(year, kind)
    }

    pub fn contains(&self, d: Date) -> bool {
        d >= self.from && d <= self.to
    }
}

/// The columns of the official period table after the row's name, as the report forms
/// set them out (received: total, carried over, new online / direct / postal; resolved:
/// total, early, on time, late; pending: total, in time, overdue; the on-time rate), with
/// the key each number drills down to (`shared/spec/dossiers.md`): (key, Vietnamese,
/// English).
pub const TABLE_COLUMNS: [(&str, &str, &str); 13] = [
    (
        "received_total",
        "Tổng số hồ sơ nhận giải quyết",
        "Total to resolve",
    ),
    ("carried_over", "Kỳ trước chuyển qua", "Carried over"),
    ("received_online", "Mới tiếp nhận trực tuyến", "New, online"),
    (
        "received_direct",
        "Mới tiếp nhận trực tiếp",
        "New, in person",
    ),
    (
        "received_postal",
        "Mới tiếp nhận qua bưu chính",
        "New, by post",
    ),
    (
        "resolved_total",
        "Đã giải quyết — tổng số",
        "Resolved — total",
    ),
    ("resolved_early", "Trả trước hạn", "Early"),
    ("resolved_on_time", "Trả đúng hạn", "On time"),
    ("resolved_late", "Trả quá hạn", "Late"),
    (
        "pending_total",
        "Đang giải quyết — tổng số",
        "Pending — total",
    ),
    ("pending_in_time", "Chưa đến hạn", "Not yet due"),
    ("pending_overdue", "Quá hạn", "Overdue"),
    ("on_time_rate", "Tỷ lệ đúng hạn (%)", "On-time rate (%)"),
];

/// What parindex counts besides the official table: withdrawn and refused dossiers and the
/// results handed over, by how ((key, Vietnamese, English), in [`PeriodFigures::extra_row`]'s
/// order).
pub const EXTRA_COLUMNS: [(&str, &str, &str); 6] = [
    ("withdrawn", "Công dân rút hồ sơ", "Withdrawn"),
    ("refused", "Trong đó từ chối giải quyết", "Of which refused"),
    (
        "returned_online",
        "Trả kết quả trực tuyến",
        "Results returned online",
    ),
    (
        "returned_direct",
        "Trả kết quả trực tiếp",
        "Results returned in person",
    ),
    (
        "returned_postal",
        "Trả kết quả qua bưu chính",
        "Results returned by post",
    ),
    (
        "missed_new_due",
        "Trễ cả ngày hẹn lại",
        "Missed the new date as well",
    ),
];

/// The period table of an official report on administrative procedures
/// (`shared/spec/dossiers.md`, "Period reports").
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PeriodFigures {
    /// Received before the period and not finished before it.
    pub carried_over: u64,
    pub received_online: u64,
    pub received_direct: u64,
    pub received_postal: u64,
    /// Finished in the period, whenever received.
    pub resolved_early: u64,
    pub resolved_on_time: u64,
    pub resolved_late: u64,
    /// Received before the period's end and not finished by it.
    pub pending_in_time: u64,
    pub pending_overdue: u64,
    /// Withdrawn by the applicant in the period: neither resolved nor pending.
    pub withdrawn: u64,
    /// Of the resolved, those refused with reasons.
    pub refused: u64,
    /// Results handed over in the period, by how.
    pub returned_online: u64,
    pub returned_direct: u64,
    pub returned_postal: u64,
    /// Re-appointed dossiers whose single new date passed in the period without a result
    /// (or with a later one): the slip's promise missed as well.
    pub missed_new_due: u64,
}

impl PeriodFigures {
    /// The nine counts in the contract's order: carried over, received online, direct,
    /// postal, resolved early, on time, late, pending in time, overdue.
    pub fn counts(&self) -> [u64; 9] {
        [
            self.carried_over,
            self.received_online,
            self.received_direct,
            self.received_postal,
            self.resolved_early,
            self.resolved_on_time,
            self.resolved_late,
            self.pending_in_time,
            self.pending_overdue,
        ]
    }

    /// The twelve numbers of a row of the official table, in [`TABLE_COLUMNS`]'s order
    /// (the rate, the thirteenth column, is [`PeriodFigures::on_time_rate`]).
    pub fn table_row(&self) -> [u64; 12] {
        [
            self.received_total(),
            self.carried_over,
            self.received_online,
            self.received_direct,
            self.received_postal,
            self.resolved_total(),
            self.resolved_early,
            self.resolved_on_time,
            self.resolved_late,
            self.pending_in_time + self.pending_overdue,
            self.pending_in_time,
            self.pending_overdue,
        ]
    }

    /// The numbers of [`EXTRA_COLUMNS`].
    pub fn extra_row(&self) -> [u64; 6] {
        [
            self.withdrawn,
            self.refused,
            self.returned_online,
            self.returned_direct,
            self.returned_postal,
            self.missed_new_due,
        ]
    }

    /// The sum of two tables (the province's total row).
    #[must_use]
    pub fn plus(&self, o: &PeriodFigures) -> PeriodFigures {
        PeriodFigures {
            carried_over: self.carried_over + o.carried_over,
            received_online: self.received_online + o.received_online,
            received_direct: self.received_direct + o.received_direct,
            received_postal: self.received_postal + o.received_postal,
            resolved_early: self.resolved_early + o.resolved_early,
            resolved_on_time: self.resolved_on_time + o.resolved_on_time,
            resolved_late: self.resolved_late + o.resolved_late,
            pending_in_time: self.pending_in_time + o.pending_in_time,
            pending_overdue: self.pending_overdue + o.pending_overdue,
            withdrawn: self.withdrawn + o.withdrawn,
            refused: self.refused + o.refused,
            returned_online: self.returned_online + o.returned_online,
            returned_direct: self.returned_direct + o.returned_direct,
            returned_postal: self.returned_postal + o.returned_postal,
            missed_new_due: self.missed_new_due + o.missed_new_due,
        }
    }

    pub fn received_in_period(&self) -> u64 {
        self.received_online + self.received_direct + self.received_postal
    }

    /// Carried over and received in the period.
    pub fn received_total(&self) -> u64 {
        self.carried_over + self.received_in_period()
    }

    pub fn resolved_total(&self) -> u64 {
        self.resolved_early + self.resolved_on_time + self.resolved_late
    }

    /// `(early + on time) / resolved × 100`, two decimals half up, `0.00` when nothing was
    /// resolved.
    pub fn on_time_rate(&self) -> String {
        crate::dossiers::rate(
            self.resolved_early + self.resolved_on_time,
            self.resolved_total(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Date {
        Date::parse(s).unwrap_or(Date {
            year: 1,
            month: 1,
            day: 1,
        })
    }

    #[test]
    fn periods_run_from_the_15th_to_the_14th() {
        let p = |k| Period::new(2021, k).map(|p| (p.from, p.to));
        assert_eq!(
            p(PeriodKind::Month(1)),
            Ok((d("2020-12-15"), d("2021-01-14")))
        );
        assert_eq!(
            p(PeriodKind::Month(3)),
            Ok((d("2021-02-15"), d("2021-03-14")))
        );
        assert_eq!(
            p(PeriodKind::Quarter(1)),
            Ok((d("2020-12-15"), d("2021-03-14")))
        );
        assert_eq!(
            p(PeriodKind::Quarter(2)),
            Ok((d("2021-03-15"), d("2021-06-14")))
        );
        assert_eq!(
            p(PeriodKind::Quarter(4)),
            Ok((d("2021-09-15"), d("2021-12-14")))
        );
        assert_eq!(
            p(PeriodKind::Half(1)),
            Ok((d("2020-12-15"), d("2021-06-14")))
        );
        assert_eq!(
            p(PeriodKind::Half(2)),
            Ok((d("2021-06-15"), d("2021-12-14")))
        );
        assert_eq!(p(PeriodKind::Year), Ok((d("2020-12-15"), d("2021-12-14"))));
        assert!(Period::new(2021, PeriodKind::Quarter(5)).is_err());
        assert!(Period::new(2021, PeriodKind::Month(0)).is_err());
        assert!(Period::new(0, PeriodKind::Year).is_err());
        let q2 = Period::new(2021, PeriodKind::Quarter(2)).unwrap_or_else(|e| unreachable!("{e}"));
        assert_eq!(q2.label_vi(), "quý II năm 2021");
        assert_eq!(
            q2.next().map(|p| p.label_vi()),
            Ok("quý III năm 2021".to_string())
        );
        let q4 = Period::new(2021, PeriodKind::Quarter(4)).unwrap_or_else(|e| unreachable!("{e}"));
        assert_eq!(q4.next().map(|p| p.from), Ok(d("2021-12-15")));
        assert!(q2.contains(d("2021-06-14")) && !q2.contains(d("2021-06-15")));
    }

    #[test]
    fn period_keys_read_back() {
        for kind in PeriodKind::all() {
            assert_eq!(PeriodKind::from_key(&kind.key()), Some(kind));
        }
        assert_eq!(PeriodKind::all().len(), 19);
        for bad in ["", "m0", "m13", "q5", "h3", "y", "q", "qq", "m-1", "năm"] {
            assert_eq!(PeriodKind::from_key(bad), None, "{bad}");
        }
    }
}
