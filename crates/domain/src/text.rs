//! Vietnamese text: normalisation, diacritic folding, dates.

use unicode_normalization::UnicodeNormalization;

/// NFC form: what we store and compare.
pub fn nfc(s: &str) -> String {
    // ASCII is already in every normal form (codes, dates: most cells of a large file).
    if s.is_ascii() {
        return s.to_string();
    }
    s.nfc().collect()
}

/// Lower-case, diacritics removed, `đ` → `d`, spaces collapsed: for search and
/// for lenient matching (`Dang ky kinh doanh` finds `Đăng ký kinh doanh`).
/// The key of a name in rule inputs and URLs: folded, runs of anything but letters and
/// digits made one `-` ("Đầu tư tại Việt Nam" → `dau-tu-tai-viet-nam`).
pub fn slug(s: &str) -> String {
    let mut out = String::new();
    for c in fold(s).chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    while out.ends_with('-') {
        out.pop();
    }
    out
}

pub fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut last_space = true;
    for ch in s.nfd() {
        if unicode_normalization::char::is_combining_mark(ch) {
            continue;
        }
        let ch = match ch {
            'đ' | 'Đ' => 'd',
            c => c,
        };
        if ch.is_whitespace() {
            if !last_space {
                out.push(' ');
                last_space = true;
            }
            continue;
        }
        last_space = false;
        out.extend(ch.to_lowercase());
    }
    while out.ends_with(' ') {
        out.pop();
    }
    out
}

/// A calendar date without time zone, as used in documents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    pub year: i32,
    pub month: u8,
    pub day: u8,
}

impl Date {
    pub fn new(year: i32, month: u8, day: u8) -> Option<Self> {
        let dim = days_in_month(year, month)?;
        (day >= 1 && day <= dim).then_some(Date { year, month, day })
    }

    /// `2021-03-26` (ISO) or `26/03/2021` (Vietnamese); the year has one to four digits
    /// (1 to 9999: a date beyond is a typing slip, and would make schedules run for ever).
    pub fn parse(s: &str) -> Option<Self> {
        let s = s.trim();
        let year = |y: &str| {
            (!y.is_empty() && y.len() <= 4 && y.bytes().all(|b| b.is_ascii_digit()))
                .then(|| y.parse::<i32>().ok())
                .flatten()
                .filter(|y| *y >= 1)
        };
        if let Some((y, rest)) = s.split_once('-') {
            let (m, d) = rest.split_once('-')?;
            return Date::new(year(y)?, m.parse().ok()?, d.parse().ok()?);
        }
        let mut it = s.split('/');
        let d = it.next()?.parse().ok()?;
        let m = it.next()?.parse().ok()?;
        let y = year(it.next()?)?;
        if it.next().is_some() {
            return None;
        }
        Date::new(y, m, d)
    }

    /// `26/03/2021`.
    pub fn to_vi(self) -> String {
        format!("{:02}/{:02}/{:04}", self.day, self.month, self.year)
    }

    /// Days since 1970-01-01 (negative before).
    pub fn days_since_epoch(self) -> i64 {
        let (y, m, d) = (
            i64::from(self.year),
            i64::from(self.month),
            i64::from(self.day),
        );
        let y = if m <= 2 { y - 1 } else { y };
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let doy = (153 * ((m + 9) % 12) + 2) / 5 + d - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    /// `2021-03-26`.
    pub fn to_iso(self) -> String {
        let mut s = String::with_capacity(16);
        self.push_iso(&mut s);
        s
    }

    /// Appends `2021-03-26` to `s` (written digit by digit: an import formats millions).
    pub fn push_iso(self, s: &mut String) {
        match u16::try_from(self.year) {
            Ok(y) if y <= 9999 => push_digits(s, y, 4),
            _ => {
                use std::fmt::Write as _;
                let _ = write!(s, "{:04}", self.year);
            }
        }
        s.push('-');
        push_digits(s, u16::from(self.month), 2);
        s.push('-');
        push_digits(s, u16::from(self.day), 2);
    }
}

/// Appends the last `width` decimal digits of `n`, zero-padded.
pub(crate) fn push_digits(s: &mut String, n: u16, width: u32) {
    for i in (0..width).rev() {
        let d = (n / 10_u16.pow(i)) % 10;
        s.push(char::from(b'0' + u8::try_from(d).unwrap_or(0)));
    }
}

/// The province's wall-clock offset from UTC (Asia/Ho_Chi_Minh, no daylight saving).
pub const LOCAL_OFFSET_MINUTES: i64 = 7 * 60;

/// A stored UTC timestamp (`2021-05-12T02:10:00Z`) as the province reads it:
/// `12/05/2021 09:10` (Asia/Ho_Chi_Minh). Text that is not a timestamp is returned as is.
pub fn local_time_vi(utc: &str) -> String {
    let parsed = (|| {
        let date = Date::parse(utc.get(..10)?)?;
        if !matches!(utc.as_bytes().get(10), Some(b'T' | b' ')) {
            return None;
        }
        let h: i64 = utc.get(11..13)?.parse().ok()?;
        let m: i64 = utc.get(14..16)?.parse().ok()?;
        let minutes = h * 60 + m + LOCAL_OFFSET_MINUTES;
        let day = crate::schedule::from_days(date.days_since_epoch() + minutes.div_euclid(1440));
        let minutes = minutes.rem_euclid(1440);
        Some(format!(
            "{} {:02}:{:02}",
            day.to_vi(),
            minutes / 60,
            minutes % 60
        ))
    })();
    parsed.unwrap_or_else(|| utc.to_string())
}

/// `1461` → `1.461`: a count with the Vietnamese thousands dot.
pub fn count_vi(n: impl std::borrow::Borrow<u64>) -> String {
    group_vi(&n.borrow().to_string())
}

/// A number as people type it, in the plain form `Points::parse` reads: a comma is the
/// decimal mark and dots then group thousands (`1.500,5` → `1500.5`, `85,62` → `85.62`).
/// Without a comma, dots group thousands only when `grouped` and the digits fall in groups
/// of three (`1.500` → `1500`, as [`decimal_vi`] shows it on a page); otherwise a dot is the
/// decimal mark (`5.5`, and every file written with a point).
pub fn plain_decimal(text: &str, grouped: bool) -> String {
    let t: String = text.trim().chars().filter(|c| !c.is_whitespace()).collect();
    if t.contains(',') {
        return t.replace('.', "").replace(',', ".");
    }
    let body = t.strip_prefix('-').unwrap_or(&t);
    let mut groups = body.split('.');
    let head = groups.next().unwrap_or_default();
    let rest: Vec<&str> = groups.collect();
    // `0.500` is a half whatever the page: no number is written with a leading 0 group.
    let thousands = grouped
        && !rest.is_empty()
        && (1..=3).contains(&head.len())
        && !head.starts_with('0')
        && head.bytes().all(|b| b.is_ascii_digit())
        && rest
            .iter()
            .all(|g| g.len() == 3 && g.bytes().all(|b| b.is_ascii_digit()));
    if thousands { t.replace('.', "") } else { t }
}

/// Digits grouped by three with dots (`1500` → `1.500`), a sign kept in front.
fn group_vi(int: &str) -> String {
    let (sign, digits) = int.strip_prefix('-').map_or(("", int), |d| ("-", d));
    let mut out = String::with_capacity(int.len() + int.len() / 3);
    out.push_str(sign);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('.');
        }
        out.push(c);
    }
    out
}

/// A decimal written with a point (`93.33`, `1500.5`) the Vietnamese way: `93,33`,
/// `1.500,5`. Text that is not such a number is returned as is.
pub fn decimal_vi(plain: impl AsRef<str>) -> String {
    let plain = plain.as_ref();
    let (int, frac) = plain.split_once('.').unwrap_or((plain, ""));
    let digits = int.strip_prefix('-').unwrap_or(int);
    if digits.is_empty()
        || !digits.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
    {
        return plain.to_string();
    }
    if frac.is_empty() {
        group_vi(int)
    } else {
        format!("{},{frac}", group_vi(int))
    }
}

/// `2026-11-27T10:00:00Z` for a Unix time in seconds (UTC), for stored timestamps.
pub fn rfc3339_utc(unix_secs: i64) -> String {
    let days = unix_secs.div_euclid(86_400);
    let secs = unix_secs.rem_euclid(86_400);
    // Civil date from days since 1970-01-01 (proleptic Gregorian).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

fn days_in_month(year: i32, month: u8) -> Option<u8> {
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    Some(match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return None,
    })
}

/// The text of an input file as its readers take it: without a UTF-8 byte order mark, and
/// with every line ending — `\r\n` (Windows), `\r` (old Mac) or `\n` — as `\n`. Lines
/// keep their numbers (one ending becomes one ending), so every problem names the line an
/// editor shows, whichever ending the file was saved with.
pub fn input_text(text: &str) -> std::borrow::Cow<'_, str> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if !text.contains('\r') {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find('\r') {
        out.push_str(&rest[..i]);
        out.push('\n');
        rest = &rest[i + 1..];
        rest = rest.strip_prefix('\n').unwrap_or(rest);
    }
    out.push_str(rest);
    std::borrow::Cow::Owned(out)
}

/// A byte stream with every line ending as `\n` (see [`input_text`]), for the readers that
/// stream their input.
#[derive(Debug)]
pub struct UnixLines<R> {
    inner: R,
    /// The last byte passed on was a `\r` turned into `\n`: a `\n` right after is dropped.
    after_cr: bool,
}

impl<R> UnixLines<R> {
    pub fn new(inner: R) -> Self {
        UnixLines {
            inner,
            after_cr: false,
        }
    }
}

impl<R: std::io::Read> std::io::Read for UnixLines<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        loop {
            let n = self.inner.read(buf)?;
            if n == 0 {
                return Ok(0);
            }
            let mut w = 0;
            for r in 0..n {
                let b = buf[r];
                if b == b'\n' && self.after_cr {
                    self.after_cr = false;
                    continue;
                }
                self.after_cr = b == b'\r';
                buf[w] = if b == b'\r' { b'\n' } else { b };
                w += 1;
            }
            // Only the `\n` of a `\r\n` split across two reads: read on.
            if w > 0 {
                return Ok(w);
            }
        }
    }
}

/// A cell of a CSV file meant for a spreadsheet, made safe to open (OWASP "CSV
/// injection"): text that a spreadsheet would take for a formula — beginning with `=`, `+`,
/// `-`, `@`, a tab or a carriage return — gets an apostrophe in front, so that it shows as
/// written. A number (`-5`, `+84`, `-0,250`, `1.5`) and a lone `-` (the usual "nothing")
/// stay as they are.
pub fn spreadsheet_safe(s: &str) -> std::borrow::Cow<'_, str> {
    let risky = s.starts_with(['=', '+', '-', '@', '\t', '\r']);
    if !risky || s == "-" || is_number(s) {
        std::borrow::Cow::Borrowed(s)
    } else {
        std::borrow::Cow::Owned(format!("'{s}"))
    }
}

/// `-5`, `+3`, `-0,250`, `12.5`, `.5`: a sign, digits, at most one decimal point or comma.
fn is_number(s: &str) -> bool {
    let body = s.strip_prefix(['+', '-']).unwrap_or(s);
    let (int, frac) = match body.split_once(['.', ',']) {
        Some((i, f)) => (i, Some(f)),
        None => (body, None),
    };
    let digits = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
    match frac {
        None => !int.is_empty() && digits(int),
        Some(f) => !f.is_empty() && digits(int) && digits(f),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_times_are_written_the_vietnamese_way() {
        assert_eq!(count_vi(0), "0");
        assert_eq!(count_vi(999), "999");
        assert_eq!(count_vi(1500), "1.500");
        assert_eq!(count_vi(10_000_000), "10.000.000");
        assert_eq!(decimal_vi("93.33"), "93,33");
        assert_eq!(decimal_vi("1500.5"), "1.500,5");
        assert_eq!(decimal_vi("-0.5"), "-0,5");
        assert_eq!(decimal_vi("3550"), "3.550");
        assert_eq!(decimal_vi("đạt"), "đạt");
        assert_eq!(decimal_vi("1.2.3"), "1.2.3");
        // Read back as typed: what a page shows is what a form takes.
        for shown in ["1.500", "1.500,5", "85,62", "10.000.000", "-0,5"] {
            let plain = plain_decimal(shown, true);
            assert_eq!(decimal_vi(&plain), shown, "{shown} → {plain}");
        }
        assert_eq!(plain_decimal("5.5", true), "5.5");
        assert_eq!(plain_decimal("0.500", true), "0.500");
        assert_eq!(plain_decimal(" 12.34 ", true), "12.34");
        // In files a point is the decimal mark unless a comma is there too.
        assert_eq!(plain_decimal("85.620", false), "85.620");
        assert_eq!(plain_decimal("1.500,25", false), "1500.25");
        // UTC+7, across midnight and the year's end.
        assert_eq!(local_time_vi("2021-05-12T02:10:00Z"), "12/05/2021 09:10");
        assert_eq!(local_time_vi("2026-12-31T18:36:00Z"), "01/01/2027 01:36");
        assert_eq!(local_time_vi("không phải ngày"), "không phải ngày");
    }

    #[test]
    fn slugs_name_fields() {
        assert_eq!(slug("Đầu tư tại Việt Nam"), "dau-tu-tai-viet-nam");
        assert_eq!(
            slug("  Đăng ký kinh doanh / hộ KD "),
            "dang-ky-kinh-doanh-ho-kd"
        );
        assert_eq!(slug("đầu tư"), slug("ĐẦU TƯ"));
        assert_eq!(slug("--"), "");
    }

    #[test]
    fn folds_vietnamese() {
        assert_eq!(fold("Đăng ký  kinh doanh"), "dang ky kinh doanh");
        assert_eq!(fold("KHÔNG ĐẠT"), "khong dat");
        // NFD input folds the same as NFC input.
        let nfd: String = "Chậm".nfd().collect();
        assert_eq!(fold(&nfd), fold("Chậm"));
    }

    #[test]
    fn counts_days() {
        let d = |s: &str| Date::parse(s).map_or(i64::MIN, Date::days_since_epoch);
        assert_eq!(d("1970-01-01"), 0);
        assert_eq!(d("2021-03-26") - d("2020-10-26"), 151);
        assert_eq!(d("2000-03-01") - d("2000-02-28"), 2);
    }

    #[test]
    fn formats_instants() {
        assert_eq!(rfc3339_utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339_utc(1_616_716_800), "2021-03-26T00:00:00Z");
        assert_eq!(rfc3339_utc(951_782_400 + 86_399), "2000-02-29T23:59:59Z");
    }

    #[test]
    fn dates() {
        let d = Date::parse("26/03/2021");
        assert_eq!(d.map(Date::to_vi).as_deref(), Some("26/03/2021"));
        assert_eq!(Date::parse("2021-03-26"), d);
        assert!(Date::parse("30/02/2021").is_none());
        assert!(Date::parse("29/02/2020").is_some());
    }

    #[test]
    fn formula_like_cells_are_made_safe_and_numbers_are_not() {
        for (cell, safe) in [
            (
                "=HYPERLINK(\"http://x\",\"y\")",
                "'=HYPERLINK(\"http://x\",\"y\")",
            ),
            ("@SUM(A1:A2)", "'@SUM(A1:A2)"),
            ("+1+cmd|' /C calc'!A0", "'+1+cmd|' /C calc'!A0"),
            ("-2+3", "'-2+3"),
            ("\t=1", "'\t=1"),
            ("\r=1", "'\r=1"),
            ("-5", "-5"),
            ("-0,250", "-0,250"),
            ("+84", "+84"),
            ("1.5", "1.5"),
            ("-", "-"),
            ("-.", "'-."),
            ("Báo cáo = 1", "Báo cáo = 1"),
            ("", ""),
        ] {
            assert_eq!(spreadsheet_safe(cell), safe, "{cell:?}");
        }
    }

    #[test]
    fn every_line_ending_becomes_a_newline() {
        use std::io::Read as _;
        let text = "\u{feff}a\r\nb\rc\n\r\nd\r";
        assert_eq!(input_text(text), "a\nb\nc\n\nd\n");
        // Streamed one byte at a time, a `\r\n` split across reads is still one ending.
        struct OneByte<'a>(&'a [u8]);
        impl std::io::Read for OneByte<'_> {
            fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                let Some((first, rest)) = self.0.split_first() else {
                    return Ok(0);
                };
                buf[0] = *first;
                self.0 = rest;
                Ok(1)
            }
        }
        let mut out = String::new();
        UnixLines::new(OneByte(b"a\r\nb\rc\n\r\nd\r"))
            .read_to_string(&mut out)
            .unwrap();
        assert_eq!(out, "a\nb\nc\n\nd\n");
    }
}
