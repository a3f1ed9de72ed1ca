//! The working-day calendar (`shared/spec/dossiers.md`): weekends, working hours, holidays,
//! make-up working days; and the due instant of a dossier received at an instant with a
//! limit in working days.

/// The official calendar 2020–2026 shipped in `data/calendars/` (sources cited there).
pub const SHIPPED: &str = include_str!("../../../data/calendars/vn-2020-2026.yaml");

use std::collections::HashSet;

use crate::problem::{Problem, Problems};
use crate::schedule::{from_days, weekday};
use crate::text::Date;
use crate::yaml::{self, Node, Value};

/// A local date and time to the minute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Instant {
    pub date: Date,
    /// Minutes after midnight.
    pub minute: u16,
}

impl Instant {
    /// `2021-02-09 09:15`.
    pub fn parse(s: &str) -> Option<Instant> {
        let (d, t) = s.trim().split_once([' ', 'T'])?;
        let date = Date::parse(d)?;
        let minute = parse_clock(t)?;
        Some(Instant { date, minute })
    }

    pub fn to_iso(self) -> String {
        let mut s = String::with_capacity(16);
        self.push_iso(&mut s);
        s
    }

    /// Appends `2021-02-18 09:15` to `s` (digit by digit: an import writes millions).
    pub fn push_iso(self, s: &mut String) {
        self.date.push_iso(s);
        s.push(' ');
        crate::text::push_digits(s, self.minute / 60, 2);
        s.push(':');
        crate::text::push_digits(s, self.minute % 60, 2);
    }

    /// The instant as the database stores it: the digits of `2021-02-18 09:15` read as one
    /// number, 202102180915. Stamps are ordered like the instants, a stamp `/ 10_000` is
    /// its day's digits, and it takes 6 bytes in SQLite where the text takes 16.
    pub fn stamp(self) -> i64 {
        let d = self.date;
        let day = (i64::from(d.year) * 100 + i64::from(d.month)) * 100 + i64::from(d.day);
        day * 10_000 + i64::from(self.minute / 60) * 100 + i64::from(self.minute % 60)
    }

    /// The instant of a [`Instant::stamp`]; `None` for a number that is not one.
    pub fn from_stamp(stamp: i64) -> Option<Instant> {
        let (day, clock) = (stamp.div_euclid(10_000), stamp.rem_euclid(10_000));
        let (h, m) = (clock / 100, clock % 100);
        let date = Date::new(
            i32::try_from(day / 10_000).ok()?,
            u8::try_from(day / 100 % 100).ok()?,
            u8::try_from(day % 100).ok()?,
        )?;
        let minute = u16::try_from(h * 60 + m).ok()?;
        (m < 60 && minute <= 24 * 60).then_some(Instant { date, minute })
    }

    /// `18/02/2021 09:15`.
    pub fn to_vi(self) -> String {
        format!(
            "{} {:02}:{:02}",
            self.date.to_vi(),
            self.minute / 60,
            self.minute % 60
        )
    }
}

/// `09:15`, also `09:15:30` as exports write it (the seconds are dropped).
fn parse_clock(t: &str) -> Option<u16> {
    let (h, rest) = t.trim().split_once(':')?;
    let m = match rest.split_once(':') {
        Some((m, sec)) => {
            let sec: u16 = sec.parse().ok()?;
            (sec < 60).then_some(m)?
        }
        None => rest,
    };
    let (h, m): (u16, u16) = (h.parse().ok()?, m.parse().ok()?);
    (h < 24 && m < 60 && h * 60 + m <= 24 * 60).then(|| h * 60 + m)
}

/// The years a calendar may cover: from [`FIRST_YEAR`] to [`LAST_YEAR`], at most
/// [`MAX_SPAN`] of them (the calendar keeps an index of every day of its years).
pub const FIRST_YEAR: i32 = 1900;
pub const LAST_YEAR: i32 = 2200;
pub const MAX_SPAN: i32 = 50;
/// Days in one range of holidays or working days (a range is a holiday period).
pub const MAX_RANGE_DAYS: i64 = 366;

/// How a procedure's legal limit is counted (`limit_unit` in the procedures file).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LimitUnit {
    #[default]
    WorkingDays,
    CalendarDays,
    WorkingHours,
}

impl LimitUnit {
    pub fn parse(s: &str) -> Option<LimitUnit> {
        match crate::text::fold(s.trim()).as_str() {
            "" | "working_days" | "ngay lam viec" => Some(LimitUnit::WorkingDays),
            "calendar_days" | "ngay" | "ngay lich" => Some(LimitUnit::CalendarDays),
            "working_hours" | "hours" | "gio" | "gio lam viec" => Some(LimitUnit::WorkingHours),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            LimitUnit::WorkingDays => "working_days",
            LimitUnit::CalendarDays => "calendar_days",
            LimitUnit::WorkingHours => "working_hours",
        }
    }

    /// A limit of `n` in this unit as whole working days, so that limits can be averaged
    /// together and set against the working days used: working hours by the eight-hour
    /// working day, calendar days by five working days in seven, both rounded up (8 hours
    /// are 1 day, 12 hours 2; 5 calendar days 4, 30 calendar days 22). Keep in step with
    /// the SQL of `parindex_db`'s `limit_in_days!`.
    pub fn in_working_days(self, n: i64) -> i64 {
        match self {
            LimitUnit::WorkingDays => n,
            LimitUnit::WorkingHours => (n + 7).div_euclid(8),
            LimitUnit::CalendarDays => (n * 5 + 6).div_euclid(7),
        }
    }

    /// "ngày làm việc", "ngày", "giờ làm việc".
    pub fn vi(self) -> &'static str {
        match self {
            LimitUnit::WorkingDays => "ngày làm việc",
            LimitUnit::CalendarDays => "ngày",
            LimitUnit::WorkingHours => "giờ làm việc",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Calendar {
    pub name: Option<String>,
    /// The years whose holidays the file knows (inclusive).
    pub years: Option<(i32, i32)>,
    /// Index 1 (Monday) … 7 (Sunday): not a working day.
    weekend: [bool; 8],
    /// Working periods, minutes after midnight, in order.
    pub hours: Vec<(u16, u16)>,
    /// The weekdays (index 1 Monday … 7 Sunday) with hours of their own (`day_hours`: a
    /// one-stop desk open on Saturday mornings only).
    day_hours: [Option<Vec<(u16, u16)>>; 8],
    holidays: HashSet<i64>,
    working_days: HashSet<i64>,
    /// The working days of the calendar's years, for answers without a day-by-day walk.
    index: DayIndex,
}

/// The working days of a span of days (the calendar's years and a year after), so that
/// the next working day, the N-th one and the working days between two dates are read,
/// not counted (an import computes one due instant and one processing time per row).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
struct DayIndex {
    /// Day number (since the epoch) of the span's first day.
    first: i64,
    /// For each day of the span and one past it: the working days before it in the span.
    before: Vec<u32>,
    /// The span's working days, in order.
    working: Vec<i64>,
}

impl DayIndex {
    fn build(cal: &Calendar) -> DayIndex {
        let Some((a, b)) = cal.years else {
            return DayIndex::default();
        };
        let (Some(lo), Some(hi)) = (Date::new(a, 1, 1), Date::new(b.saturating_add(1), 12, 31))
        else {
            return DayIndex::default();
        };
        let first = lo.days_since_epoch();
        let last = hi.days_since_epoch();
        let mut before = Vec::new();
        let mut working = Vec::new();
        for day in first..=last {
            before.push(u32::try_from(working.len()).unwrap_or(u32::MAX));
            if cal.is_working_day(from_days(day)) {
                working.push(day);
            }
        }
        before.push(u32::try_from(working.len()).unwrap_or(u32::MAX));
        DayIndex {
            first,
            before,
            working,
        }
    }

    /// The position of a day in the span.
    fn slot(&self, day: i64) -> Option<usize> {
        let i = usize::try_from(day - self.first).ok()?;
        (i + 1 < self.before.len()).then_some(i)
    }

    /// The working days up to and including `day`.
    fn through(&self, day: i64) -> Option<usize> {
        self.slot(day).map(|i| self.before[i + 1] as usize)
    }

    /// The `n`-th working day after `day` (n ≥ 1), when the span holds it.
    fn nth_after(&self, day: i64, n: u32) -> Option<Date> {
        let k = self.through(day)?.checked_add(n as usize)?.checked_sub(1)?;
        self.working.get(k).map(|d| from_days(*d))
    }

    /// The working days strictly between two days of the span.
    fn between(&self, a: i64, b: i64) -> Option<u64> {
        if b <= a + 1 {
            return Some(0);
        }
        let (ia, ib) = (self.slot(a)?, self.slot(b)?);
        Some(u64::from(self.before[ib] - self.before[ia + 1]))
    }
}

const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
/// The longest span counted day by day (about three years).
const MAX_WALK_DAYS: i64 = 1100;
const KEYS: [&str; 7] = [
    "name",
    "years",
    "weekend",
    "hours",
    "day_hours",
    "holidays",
    "working_days",
];

/// Reads a list of working periods (`["07:30-11:30", "13:30-17:00"]`), in order, not
/// overlapping; each problem goes to `err`.
fn read_periods(n: &Node, items: &[Node], err: &mut dyn FnMut(&Node, String)) -> Vec<(u16, u16)> {
    let mut out: Vec<(u16, u16)> = Vec::new();
    for h in items {
        let s = h.as_scalar().unwrap_or_default();
        let period = s
            .split_once('-')
            .and_then(|(a, b)| Some((parse_clock(a)?, parse_clock(b)?)));
        match period {
            Some((a, b)) if a < b && out.last().is_none_or(|(_, end)| *end < a) => {
                out.push((a, b));
            }
            _ => err(
                h,
                format!(
                    "giờ làm việc `{s}` phải có dạng 07:30-11:30, tăng dần, không chồng lên nhau"
                ),
            ),
        }
    }
    if out.is_empty() {
        err(n, "cần ít nhất một khoảng giờ làm việc".into());
    }
    out
}

/// Reads a calendar file; every problem names its line.
pub fn parse_calendar(file: &str, text: &str) -> Result<Calendar, Problems> {
    let text = crate::text::input_text(text);
    let text: &str = &text;
    let root = yaml::parse(text).map_err(|e| {
        Problems(vec![Problem::new(
            file,
            e.pos.line,
            Some(e.pos.col),
            e.message,
        )])
    })?;
    let mut problems = Vec::new();
    let mut err =
        |n: &Node, m: String| problems.push(Problem::new(file, n.pos.line, Some(n.pos.col), m));
    let Value::Map(entries) = &root.value else {
        return Err(Problems(vec![Problem::new(
            file,
            1,
            None,
            "lịch phải là một bảng khóa: giá trị (weekend, hours, holidays, …)",
        )]));
    };
    for (k, _, n) in entries {
        if !KEYS.contains(&k.as_str()) {
            err(
                n,
                format!("khóa `{k}` không được biết (các khóa: {})", KEYS.join(", ")),
            );
        }
    }
    let get = |k: &str| root.get(k).map(|(_, n)| n);
    let seq = |n: &Node| match &n.value {
        Value::Seq(items) => items.clone(),
        _ => Vec::new(),
    };
    let date_of = |n: &Node, s: &str, err: &mut dyn FnMut(&Node, String)| {
        let d = Date::parse(s);
        if d.is_none() {
            err(n, format!("ngày `{s}` không hợp lệ (YYYY-MM-DD)"));
        }
        d
    };
    let mut cal = Calendar {
        name: get("name").and_then(Node::as_scalar).map(str::to_string),
        years: None,
        weekend: [false; 8],
        hours: Vec::new(),
        day_hours: Default::default(),
        holidays: HashSet::new(),
        working_days: HashSet::new(),
        index: DayIndex::default(),
    };
    if let Some(n) = get("years") {
        let s = n.as_scalar().unwrap_or_default();
        let parsed = s.split_once("..").and_then(|(a, b)| {
            Some((a.trim().parse::<i32>().ok()?, b.trim().parse::<i32>().ok()?))
        });
        match parsed {
            Some((a, b)) if a <= b && a >= FIRST_YEAR && b <= LAST_YEAR && b - a < MAX_SPAN => {
                cal.years = Some((a, b));
            }
            Some((a, b)) if a <= b => err(
                n,
                format!(
                    "`years` = `{s}`: các năm phải từ {FIRST_YEAR} đến {LAST_YEAR}, không quá \
                     {MAX_SPAN} năm"
                ),
            ),
            _ => err(n, format!("`years` = `{s}` phải có dạng 2021..2022")),
        }
    }
    match get("weekend") {
        None => {
            cal.weekend[6] = true;
            cal.weekend[7] = true;
        }
        Some(n) => {
            for d in seq(n) {
                let name = d.as_scalar().unwrap_or_default().to_ascii_lowercase();
                match DAYS.iter().position(|x| *x == name) {
                    Some(i) => cal.weekend[i + 1] = true,
                    None => err(
                        &d,
                        format!(
                            "ngày trong tuần `{name}` không được biết (mon, tue, wed, thu, fri, sat, sun)"
                        ),
                    ),
                }
            }
        }
    }
    match get("hours") {
        None => cal.hours = vec![(450, 690), (810, 1020)],
        Some(n) => cal.hours = read_periods(n, &seq(n), &mut err),
    }
    if let Some(n) = get("day_hours") {
        match &n.value {
            Value::Map(days) => {
                for (day, _, periods) in days {
                    let name = day.to_ascii_lowercase();
                    match DAYS.iter().position(|x| *x == name) {
                        Some(i) => {
                            cal.day_hours[i + 1] = Some(read_periods(periods, &seq(periods), &mut err));
                        }
                        None => err(
                            periods,
                            format!(
                                "ngày trong tuần `{day}` không được biết (mon, tue, wed, thu, fri, sat, sun)"
                            ),
                        ),
                    }
                }
            }
            _ => err(
                n,
                "`day_hours` phải là một bảng: ngày trong tuần → các khoảng giờ (sat: [\"07:30-11:30\"])"
                    .into(),
            ),
        }
    }
    for (key, into) in [("holidays", 0), ("working_days", 1)] {
        let Some(n) = get(key) else { continue };
        if n.is_null() {
            continue;
        }
        for item in seq(n) {
            let s = item.as_scalar().unwrap_or_default().to_string();
            let (a, b) = match s.split_once("..") {
                Some((a, b)) => (a.trim().to_string(), b.trim().to_string()),
                None => (s.clone(), s.clone()),
            };
            let (Some(a), Some(b)) = (date_of(&item, &a, &mut err), date_of(&item, &b, &mut err))
            else {
                continue;
            };
            if b < a {
                err(&item, format!("khoảng `{s}` kết thúc trước khi bắt đầu"));
                continue;
            }
            if b.days_since_epoch() - a.days_since_epoch() >= MAX_RANGE_DAYS {
                err(&item, format!("khoảng `{s}` dài quá {MAX_RANGE_DAYS} ngày"));
                continue;
            }
            for day in a.days_since_epoch()..=b.days_since_epoch() {
                if into == 0 {
                    cal.holidays.insert(day);
                } else {
                    cal.working_days.insert(day);
                }
            }
        }
    }
    if problems.is_empty() {
        cal.index = DayIndex::build(&cal);
        Ok(cal)
    } else {
        Err(Problems(problems))
    }
}

impl Calendar {
    /// A weekday the calendar's `weekend` lists (a make-up working day may still fall on it).
    pub fn is_weekend(&self, d: Date) -> bool {
        self.weekend[usize::from(weekday(d))]
    }

    pub fn is_working_day(&self, d: Date) -> bool {
        let day = d.days_since_epoch();
        if self.working_days.contains(&day) {
            return true;
        }
        !self.weekend[usize::from(weekday(d))] && !self.holidays.contains(&day)
    }

    /// `d` when it is a working day, else the next working day: where a deadline that
    /// falls on a day off moves. A calendar without a working day in a year leaves `d`.
    pub fn working_on_or_after(&self, d: Date) -> Date {
        if self.is_working_day(d) {
            d
        } else {
            self.next_working_day(d).unwrap_or(d)
        }
    }

    /// Working days from `a` to `b`: those after `a` up to and including `b` when `b` is
    /// later (days left), negative for those after `b` up to and including `a` when `a` is
    /// later (days late); 0 for the same day.
    pub fn working_days_from(&self, a: Date, b: Date) -> i64 {
        let (x, y) = (a.days_since_epoch(), b.days_since_epoch());
        let count = |lo: i64, hi: i64| -> i64 {
            // Working days in (lo, hi]: those strictly between, and hi itself.
            let inside = self.index.between(lo, hi).unwrap_or_else(|| {
                // Outside the index's span: count day by day (at most a few years).
                (lo + 1..hi)
                    .take(4000)
                    .filter(|d| self.is_working_day(from_days(*d)))
                    .count() as u64
            });
            i64::try_from(inside).unwrap_or(i64::MAX)
                + i64::from(self.is_working_day(from_days(hi)))
        };
        match x.cmp(&y) {
            std::cmp::Ordering::Equal => 0,
            std::cmp::Ordering::Less => count(x, y),
            std::cmp::Ordering::Greater => -count(y, x),
        }
    }

    fn check_year(&self, d: Date, what: &str) -> Result<(), String> {
        match self.years {
            Some((a, b)) if d.year < a || d.year > b => Err(format!(
                "{what} {} nằm ngoài các năm của lịch ({a}–{b}): chưa biết ngày nghỉ của năm đó",
                d.to_vi()
            )),
            _ => Ok(()),
        }
    }

    fn next_working_day(&self, d: Date) -> Result<Date, String> {
        self.nth_working_day(d, 1)
    }

    /// The `n`-th working day after `d`.
    fn nth_working_day(&self, d: Date, n: u32) -> Result<Date, String> {
        if let Some(day) = self.index.nth_after(d.days_since_epoch(), n) {
            return Ok(day);
        }
        let mut due = d;
        for _ in 0..n {
            due = self.next_working_day_walk(due)?;
        }
        Ok(due)
    }

    fn next_working_day_walk(&self, d: Date) -> Result<Date, String> {
        let start = d.days_since_epoch();
        (start + 1..start + 400)
            .map(from_days)
            .find(|x| self.is_working_day(*x))
            .ok_or_else(|| "lịch không có ngày làm việc nào trong một năm".to_string())
    }

    /// Minutes of working time in a working day (the sum of the periods).
    pub fn day_minutes(&self) -> u32 {
        self.hours.iter().map(|(a, b)| u32::from(b - a)).sum()
    }

    /// The working periods of a day: its weekday's own (`day_hours`), else `hours`.
    pub fn hours_on(&self, d: Date) -> &[(u16, u16)] {
        self.day_hours[usize::from(weekday(d))]
            .as_deref()
            .unwrap_or(&self.hours)
    }

    /// The weekdays with hours of their own: (1 Monday … 7 Sunday, periods).
    pub fn day_hours(&self) -> impl Iterator<Item = (u8, &[(u16, u16)])> {
        (1..=7_u8).filter_map(|i| self.day_hours[usize::from(i)].as_deref().map(|h| (i, h)))
    }

    /// Working minutes between two instants (0 when `to` is not after `from`): the time a
    /// dossier spent in processing, counted like its limit (working hours of working days).
    pub fn working_minutes(&self, from: Instant, to: Instant) -> u64 {
        let (a, b) = (from.date.days_since_epoch(), to.date.days_since_epoch());
        if b < a {
            return 0;
        }
        // Every working day the same length: whole days are read from the index.
        if b > a
            && self.day_hours.iter().all(Option::is_none)
            && let Some(full) = self.index.between(a, b)
        {
            let part = |d: Date, lo: u16, hi: u16| {
                if !self.is_working_day(d) {
                    return 0;
                }
                self.hours_on(d)
                    .iter()
                    .map(|(start, end)| {
                        let (s, e) = ((*start).max(lo), (*end).min(hi));
                        u64::from(e.saturating_sub(s))
                    })
                    .sum::<u64>()
            };
            return part(from.date, from.minute, u16::MAX)
                + full * u64::from(self.day_minutes())
                + part(to.date, 0, to.minute);
        }
        // Day by day (days with hours of their own), within a few years: a longer span (a
        // typing slip in a file) is counted with the common hours, without a walk.
        if b - a > MAX_WALK_DAYS {
            let whole =
                u64::try_from(self.working_days_from(from.date, to.date).max(1) - 1).unwrap_or(0);
            return whole * u64::from(self.day_minutes());
        }
        let mut total = 0_u64;
        for day in a..=b {
            if !self.is_working_day(from_days(day)) {
                continue;
            }
            let lo = if day == a { from.minute } else { 0 };
            let hi = if day == b { to.minute } else { u16::MAX };
            for (start, end) in self.hours_on(from_days(day)) {
                let (s, e) = ((*start).max(lo), (*end).min(hi));
                if e > s {
                    total += u64::from(e - s);
                }
            }
        }
        total
    }

    /// The due instant of a dossier received at `t` with a limit of `n` in `unit`: working
    /// days as [`Calendar::due_instant`] counts them; calendar days: the same clock time `n`
    /// days later, moved to the next working day when that day is not one; working hours:
    /// `n` hours of opening time from the counting instant.
    pub fn due_by(&self, t: Instant, n: u32, unit: LimitUnit) -> Result<Instant, String> {
        match unit {
            LimitUnit::WorkingDays => self.due_instant(t, n),
            LimitUnit::CalendarDays => {
                if n == 0 {
                    return Err("số ngày phải từ 1 trở lên".into());
                }
                self.check_year(t.date, "thời điểm tiếp nhận")?;
                let mut date = from_days(t.date.days_since_epoch() + i64::from(n));
                if !self.is_working_day(date) {
                    date = self.next_working_day(date)?;
                }
                self.check_year(date, "hạn trả kết quả")?;
                Ok(Instant {
                    date,
                    minute: t.minute,
                })
            }
            LimitUnit::WorkingHours => {
                if n == 0 {
                    return Err("số giờ làm việc phải từ 1 trở lên".into());
                }
                self.check_year(t.date, "thời điểm tiếp nhận")?;
                let (mut day, mut from) = self.counting_start(t)?;
                let mut left = u64::from(n) * 60;
                // Bounded: a limit of hours ends within a few hundred working days.
                for _ in 0..4000 {
                    for (start, end) in self.hours_on(day) {
                        let s = (*start).max(from);
                        if *end <= s {
                            continue;
                        }
                        let open = u64::from(end - s);
                        if left <= open {
                            let minute = s + u16::try_from(left).unwrap_or(0);
                            self.check_year(day, "hạn trả kết quả")?;
                            return Ok(Instant { date: day, minute });
                        }
                        left -= open;
                    }
                    day = self.next_working_day(day)?;
                    from = 0;
                }
                Err("thời hạn theo giờ quá dài".into())
            }
        }
    }

    /// `t` moved by `n` working days, its clock time kept (a pause for supplements moves a
    /// due instant so); `t` itself when `n` is 0.
    pub fn shift_working_days(&self, t: Instant, n: u32) -> Result<Instant, String> {
        if n == 0 {
            return Ok(t);
        }
        let date = self.nth_working_day(t.date, n)?;
        self.check_year(date, "hạn trả kết quả")?;
        Ok(Instant {
            date,
            minute: self.by_closing(date, t.minute),
        })
    }

    /// The day and clock time counting starts from for a dossier received at `t`
    /// (`shared/spec/dossiers.md`, "Calendar file").
    fn counting_start(&self, t: Instant) -> Result<(Date, u16), String> {
        // The next working day opens at its own first hour.
        let opening = |d: Date| self.hours_on(d).first().map_or(0, |h| h.0);
        let hours = self.hours_on(t.date);
        let first = hours.first().map_or(0, |h| h.0);
        let last = hours.last().map_or(0, |h| h.1);
        Ok(if self.is_working_day(t.date) {
            if hours.iter().any(|(a, b)| t.minute >= *a && t.minute <= *b) {
                (t.date, t.minute)
            } else if t.minute < first {
                (t.date, first)
            } else if t.minute > last {
                let next = self.next_working_day(t.date)?;
                (next, opening(next))
            } else {
                // In a break: the next opening.
                let next = hours
                    .iter()
                    .map(|h| h.0)
                    .find(|a| *a > t.minute)
                    .unwrap_or(first);
                (t.date, next)
            }
        } else {
            let next = self.next_working_day(t.date)?;
            (next, opening(next))
        })
    }

    /// The due instant of a dossier received at `t` with a limit of `n` working days.
    pub fn due_instant(&self, t: Instant, n: u32) -> Result<Instant, String> {
        if n == 0 {
            return Err("số ngày làm việc phải từ 1 trở lên".into());
        }
        self.check_year(t.date, "thời điểm tiếp nhận")?;
        let (day, minute) = self.counting_start(t)?;
        let due = self.nth_working_day(day, n)?;
        self.check_year(due, "hạn trả kết quả")?;
        Ok(Instant {
            date: due,
            minute: self.by_closing(due, minute),
        })
    }

    /// A clock time kept from another day, no later than `d`'s closing (a desk open on
    /// Saturday mornings: a deadline counted from a Friday afternoon ends at its noon).
    fn by_closing(&self, d: Date, minute: u16) -> u16 {
        self.hours_on(d).last().map_or(minute, |h| minute.min(h.1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_become_whole_working_days() {
        let cases = [
            (LimitUnit::WorkingDays, 3, 3),
            (LimitUnit::WorkingHours, 8, 1),
            (LimitUnit::WorkingHours, 4, 1),
            (LimitUnit::WorkingHours, 12, 2),
            (LimitUnit::WorkingHours, 16, 2),
            (LimitUnit::CalendarDays, 5, 4),
            (LimitUnit::CalendarDays, 7, 5),
            (LimitUnit::CalendarDays, 30, 22),
            (LimitUnit::CalendarDays, 0, 0),
        ];
        for (unit, n, days) in cases {
            assert_eq!(unit.in_working_days(n), days, "{unit:?} {n}");
        }
    }

    const FILE: &str = "name: \"Lịch làm việc\"\nyears: 2021..2021\nweekend: [sat, sun]\nhours:\n  - \"07:30-11:30\"\n  - \"13:30-17:00\"\nholidays:\n  - 2021-01-01\n  - 2021-02-10..2021-02-16\nworking_days:\n  - 2021-01-09\n";

    fn due(received: &str, n: u32) -> Result<String, String> {
        let cal = parse_calendar("c.yaml", FILE).map_err(|e| e.to_string())?;
        let t = Instant::parse(received).ok_or("instant")?;
        cal.due_instant(t, n).map(Instant::to_iso)
    }

    #[test]
    fn a_desk_open_on_saturday_mornings_counts_them() {
        let file = "years: 2021..2021\r\nweekend: [sun]\r\nhours: [\"07:30-11:30\", \"13:30-17:00\"]\r\nday_hours:\r\n  sat: [\"07:30-11:30\"]\r\n";
        let cal = parse_calendar("c.yaml", file).unwrap_or_else(|e| unreachable!("{e}"));
        let at = |s: &str| Instant::parse(s).unwrap_or_else(|| unreachable!("{s}"));
        let by = |t: &str, n: u32, u: LimitUnit| cal.due_by(at(t), n, u).map(Instant::to_iso);
        // Friday's last hour, then Saturday from 07:30.
        assert_eq!(
            by("2021-03-05 16:00", 2, LimitUnit::WorkingHours).as_deref(),
            Ok("2021-03-06 08:30")
        );
        // Saturday closes at 11:30: the rest on Monday morning.
        assert_eq!(
            by("2021-03-06 11:00", 1, LimitUnit::WorkingHours).as_deref(),
            Ok("2021-03-08 08:00")
        );
        // One working day from Friday 15:00 ends on Saturday, at its closing.
        assert_eq!(
            by("2021-03-05 15:00", 1, LimitUnit::WorkingDays).as_deref(),
            Ok("2021-03-06 11:30")
        );
        // Received on Saturday afternoon: counting starts on Monday at opening.
        assert_eq!(
            by("2021-03-06 12:00", 1, LimitUnit::WorkingDays).as_deref(),
            Ok("2021-03-09 07:30")
        );
        // Friday 16:00 to Monday 08:00: 60 + 240 + 30 minutes.
        assert_eq!(
            cal.working_minutes(at("2021-03-05 16:00"), at("2021-03-08 08:00")),
            330
        );
        assert_eq!(cal.hours_on(at("2021-03-06 00:00").date), &[(450, 690)]);
        assert_eq!(cal.day_hours().map(|(d, _)| d).collect::<Vec<_>>(), [6]);
        let bad = parse_calendar(
            "b.yaml",
            "day_hours:\n  caturday: [\"07:30-11:30\"]\n  sat: [\"11:30-07:30\"]\n",
        )
        .unwrap_err()
        .to_string();
        assert!(
            bad.contains("b.yaml:2:") && bad.contains("caturday"),
            "{bad}"
        );
        assert!(
            bad.contains("b.yaml:3:") && bad.contains("11:30-07:30"),
            "{bad}"
        );
    }

    #[test]
    fn limits_in_calendar_days_and_working_hours() {
        let cal = parse_calendar("c.yaml", FILE).unwrap_or_else(|e| unreachable!("{e}"));
        let at = |s: &str| Instant::parse(s).unwrap_or_else(|| unreachable!("{s}"));
        let by = |t: &str, n: u32, u: LimitUnit| cal.due_by(at(t), n, u).map(Instant::to_iso);
        // Five calendar days from Friday 05/02 lands on Wednesday 10/02, a Tết holiday:
        // the next working day, 17/02, same clock time.
        assert_eq!(
            by("2021-02-05 09:00", 5, LimitUnit::CalendarDays).as_deref(),
            Ok("2021-02-17 09:00")
        );
        assert_eq!(
            by("2021-03-01 09:00", 3, LimitUnit::CalendarDays).as_deref(),
            Ok("2021-03-04 09:00")
        );
        // Eight working hours from 09:15: 2h15 to 11:30, 3h30 to 17:00, 2h15 the next day.
        assert_eq!(
            by("2021-03-01 09:15", 8, LimitUnit::WorkingHours).as_deref(),
            Ok("2021-03-02 09:45")
        );
        // In the break: counting starts at 13:30.
        assert_eq!(
            by("2021-03-01 12:00", 2, LimitUnit::WorkingHours).as_deref(),
            Ok("2021-03-01 15:30")
        );
        // Exactly to the closing minute; over a weekend.
        assert_eq!(
            by("2021-03-05 13:30", 3, LimitUnit::WorkingHours).as_deref(),
            Ok("2021-03-05 16:30")
        );
        assert_eq!(
            by("2021-03-05 16:00", 2, LimitUnit::WorkingHours).as_deref(),
            Ok("2021-03-08 08:30")
        );
        assert_eq!(
            by("2021-03-01 09:15", 2, LimitUnit::WorkingDays),
            due("2021-03-01 09:15", 2)
        );
        assert!(by("2021-03-01 09:15", 0, LimitUnit::WorkingHours).is_err());
        assert_eq!(
            LimitUnit::parse("Giờ làm việc"),
            Some(LimitUnit::WorkingHours)
        );
        assert_eq!(LimitUnit::parse("minutes"), None);
    }

    #[test]
    fn the_spec_example_and_the_counting_rules() {
        assert_eq!(
            due("2021-02-09 09:15", 2).as_deref(),
            Ok("2021-02-18 09:15")
        );
        assert_eq!(
            due("2021-02-09 07:00", 1).as_deref(),
            Ok("2021-02-17 07:30"),
            "before opening"
        );
        assert_eq!(
            due("2021-02-09 12:10", 1).as_deref(),
            Ok("2021-02-17 13:30"),
            "in the break"
        );
        assert_eq!(
            due("2021-02-09 11:30", 1).as_deref(),
            Ok("2021-02-17 11:30"),
            "bounds included"
        );
        assert_eq!(
            due("2021-02-09 17:01", 1).as_deref(),
            Ok("2021-02-18 07:30"),
            "after closing"
        );
        assert_eq!(
            due("2021-02-13 10:00", 1).as_deref(),
            Ok("2021-02-18 07:30"),
            "on a holiday"
        );
        assert_eq!(
            due("2021-01-08 17:30", 1).as_deref(),
            Ok("2021-01-11 07:30"),
            "the make-up Saturday counts"
        );
        assert!(
            due("2021-12-30 10:00", 3)
                .unwrap_err()
                .contains("ngoài các năm")
        );
        assert!(
            due("2020-12-30 10:00", 1)
                .unwrap_err()
                .contains("ngoài các năm")
        );
    }

    #[test]
    fn working_minutes_count_working_hours_of_working_days() {
        let cal = parse_calendar("c.yaml", FILE).unwrap();
        let at = |s: &str| Instant::parse(s).unwrap();
        assert_eq!(cal.day_minutes(), 450);
        // Received and due as in the contract's example: exactly two working days.
        assert_eq!(
            cal.working_minutes(at("2021-02-09 09:15"), at("2021-02-18 09:15")),
            900
        );
        // The lunch break and the evening do not count; nor does a holiday.
        assert_eq!(
            cal.working_minutes(at("2021-02-09 11:00"), at("2021-02-09 14:00")),
            60
        );
        assert_eq!(
            cal.working_minutes(at("2021-02-09 18:00"), at("2021-02-10 10:00")),
            0
        );
        assert_eq!(
            cal.working_minutes(at("2021-02-18 10:00"), at("2021-02-18 09:00")),
            0
        );
    }

    #[test]
    fn bad_files_name_the_line() {
        let bad = FILE
            .replace("[sat, sun]", "[sat, cn]")
            .replace("2021-02-10..2021-02-16", "2021-02-16..2021-02-10")
            .replace("2021-01-09", "2021-13-09");
        let e = parse_calendar("c.yaml", &bad).unwrap_err().to_string();
        assert!(e.contains("c.yaml:3:") && e.contains("`cn`"), "{e}");
        assert!(
            e.contains("c.yaml:9:") && e.contains("kết thúc trước khi bắt đầu"),
            "{e}"
        );
        assert!(
            e.contains("c.yaml:11:") && e.contains("`2021-13-09`"),
            "{e}"
        );
    }
}
