//! When a task is due: once, or recurring (weekly on a weekday, monthly on a day, each
//! quarter, each year) within a period — and the dated occurrences that follow.

use crate::text::Date;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Repeat {
    Once,
    /// On `weekday` (1 = Monday … 7 = Sunday).
    Weekly {
        weekday: u8,
    },
    /// On `day` of each month (31 = the month's last day).
    Monthly {
        day: u8,
    },
    /// On `day` of each quarter's last month.
    Quarterly {
        day: u8,
    },
    /// On `month`/`day` each year.
    Yearly {
        month: u8,
        day: u8,
    },
}

/// How long a schedule may run: its end at most this many years after its start. A
/// directive's task repeating weekly until 3000 would otherwise store some 50,000 dated
/// occurrences (and until the year 2147483647, grow without end).
pub const MAX_YEARS: i32 = 10;

/// A task's schedule: its repetition between `start` and `end` (inclusive).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Schedule {
    pub repeat: Repeat,
    pub start: Date,
    /// For `Once`, the due date.
    pub end: Date,
}

impl Repeat {
    pub fn kind(self) -> &'static str {
        match self {
            Repeat::Once => "once",
            Repeat::Weekly { .. } => "weekly",
            Repeat::Monthly { .. } => "monthly",
            Repeat::Quarterly { .. } => "quarterly",
            Repeat::Yearly { .. } => "yearly",
        }
    }

    pub fn label_vi(self) -> String {
        const DAYS: [&str; 7] = [
            "thứ Hai",
            "thứ Ba",
            "thứ Tư",
            "thứ Năm",
            "thứ Sáu",
            "thứ Bảy",
            "Chủ nhật",
        ];
        let day = |d: u8| {
            if d >= 31 {
                "ngày cuối".to_string()
            } else {
                format!("ngày {d}")
            }
        };
        match self {
            Repeat::Once => "một lần".into(),
            Repeat::Weekly { weekday } => {
                format!("hằng tuần, {}", DAYS[usize::from(weekday.clamp(1, 7) - 1)])
            }
            Repeat::Monthly { day: d } => format!("hằng tháng, {} của tháng", day(d)),
            Repeat::Quarterly { day: d } => format!("hằng quý, {} tháng cuối quý", day(d)),
            Repeat::Yearly { month, day: d } => format!("hằng năm, ngày {d:02}/{month:02}"),
        }
    }
}

/// Weekday of a date, 1 = Monday … 7 = Sunday (1970-01-01 was a Thursday).
pub fn weekday(d: Date) -> u8 {
    u8::try_from((d.days_since_epoch() + 3).rem_euclid(7) + 1).unwrap_or(1)
}

pub fn from_days(days: i64) -> Date {
    // Inverse of `Date::days_since_epoch`.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    Date {
        year: i32::try_from(y).unwrap_or(i32::MAX),
        month: u8::try_from(m).unwrap_or(1),
        day: u8::try_from(d).unwrap_or(1),
    }
}

/// The date `day` of a month, clamped to the month's last day.
fn clamp_day(year: i32, month: u8, day: u8) -> Option<Date> {
    (1..=day.max(1))
        .rev()
        .find_map(|d| Date::new(year, month, d))
}

impl Schedule {
    /// The latest end a schedule starting on `start` may have: [`MAX_YEARS`] years on (29/02
    /// becomes 28/02).
    pub fn latest_end(start: Date) -> Date {
        let last = Date {
            year: i32::MAX,
            month: 12,
            day: 31,
        };
        start
            .year
            .checked_add(MAX_YEARS)
            .and_then(|y| clamp_day(y, start.month, start.day))
            .unwrap_or(last)
    }

    /// Refuses a schedule that ends before it starts or more than [`MAX_YEARS`] years
    /// after.
    pub fn check(&self) -> Result<(), String> {
        if self.end < self.start {
            return Err(format!(
                "hạn {} trước ngày bắt đầu {}",
                self.end.to_vi(),
                self.start.to_vi()
            ));
        }
        let latest = Schedule::latest_end(self.start);
        if self.end > latest {
            return Err(format!(
                "hạn {} quá {MAX_YEARS} năm kể từ ngày bắt đầu {} (muộn nhất {}); hãy ghi hạn gần hơn",
                self.end.to_vi(),
                self.start.to_vi(),
                latest.to_vi()
            ));
        }
        Ok(())
    }

    /// The due dates within `[from, to]` (and within the schedule's own period, never more
    /// than [`MAX_YEARS`] years from its start), in order.
    pub fn occurrences(&self, from: Date, to: Date) -> Vec<Date> {
        let lo = if self.start > from { self.start } else { from };
        let end = self.end.min(Schedule::latest_end(self.start));
        let hi = if end < to { end } else { to };
        if lo > hi {
            return Vec::new();
        }
        let mut out = Vec::new();
        match self.repeat {
            Repeat::Once => {
                if self.end >= from && self.end <= to {
                    out.push(self.end);
                }
            }
            Repeat::Weekly { weekday: w } => {
                let first = lo.days_since_epoch();
                let shift = (i64::from(w.clamp(1, 7)) - i64::from(weekday(lo))).rem_euclid(7);
                let mut d = first + shift;
                while d <= hi.days_since_epoch() {
                    out.push(from_days(d));
                    d += 7;
                }
            }
            Repeat::Monthly { day } | Repeat::Quarterly { day } => {
                let quarterly = matches!(self.repeat, Repeat::Quarterly { .. });
                let (mut y, mut m) = (lo.year, lo.month);
                while (y, m) <= (hi.year, hi.month) {
                    if (!quarterly || m % 3 == 0)
                        && let Some(d) = clamp_day(y, m, day)
                        && d >= lo
                        && d <= hi
                    {
                        out.push(d);
                    }
                    if (y, m) == (hi.year, hi.month) {
                        break;
                    }
                    (y, m) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
                }
            }
            Repeat::Yearly { month, day } => {
                for y in lo.year..=hi.year {
                    if let Some(d) = clamp_day(y, month, day)
                        && d >= lo
                        && d <= hi
                    {
                        out.push(d);
                    }
                }
            }
        }
        out
    }

    /// The deadlines between `from` and `to` on the working-day calendar: a date that
    /// falls on a day off moves to the next working day (two that land on the same day
    /// are one deadline).
    pub fn due_dates(&self, from: Date, to: Date, cal: &crate::calendar::Calendar) -> Vec<Date> {
        let mut out: Vec<Date> = self
            .occurrences(from, to)
            .into_iter()
            .map(|d| cal.working_on_or_after(d))
            .collect();
        out.dedup();
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Date {
        Date::parse(s).unwrap_or(Date {
            year: 1970,
            month: 1,
            day: 1,
        })
    }

    #[test]
    fn weekdays_and_days_round_trip() {
        assert_eq!(weekday(d("2021-04-05")), 1, "a Monday");
        assert_eq!(weekday(d("2021-04-11")), 7, "a Sunday");
        for s in ["2020-02-29", "2021-12-31", "1999-01-01"] {
            assert_eq!(from_days(d(s).days_since_epoch()), d(s));
        }
    }

    #[test]
    fn occurrences_of_each_kind() {
        let year = |r| Schedule {
            repeat: r,
            start: d("2021-04-15"),
            end: d("2021-12-31"),
        };
        let all = |s: Schedule| s.occurrences(d("2021-01-01"), d("2021-12-31"));
        let weekly = all(year(Repeat::Weekly { weekday: 5 }));
        assert_eq!(weekly.first().copied(), Some(d("2021-04-16")));
        assert_eq!(weekly.len(), 38, "16/04 … 31/12/2021, both Fridays");
        let monthly = all(year(Repeat::Monthly { day: 31 }));
        assert_eq!(monthly.len(), 9);
        assert_eq!(monthly[1], d("2021-05-31"));
        assert_eq!(
            monthly[2],
            d("2021-06-30"),
            "clamped to the month's last day"
        );
        let quarterly = all(year(Repeat::Quarterly { day: 31 }));
        assert_eq!(
            quarterly,
            [d("2021-06-30"), d("2021-09-30"), d("2021-12-31")]
        );
        assert_eq!(
            all(year(Repeat::Yearly { month: 12, day: 15 })),
            [d("2021-12-15")]
        );
        let once = Schedule {
            repeat: Repeat::Once,
            start: d("2021-04-15"),
            end: d("2021-06-30"),
        };
        assert_eq!(all(once), [d("2021-06-30")]);
        assert!(
            once.occurrences(d("2021-07-01"), d("2021-12-31"))
                .is_empty()
        );
    }
}
