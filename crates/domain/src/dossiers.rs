//! Administrative procedures and their dossiers (`shared/spec/dossiers.md`): the procedures
//! CSV, a streaming reader of the dossier CSV that reports every bad row with its line and
//! column, the classification of a dossier against its due instant (early, on time, late,
//! pending, pending overdue), the apology rule of Nghị định 61/2018 and the figures.

use std::io::Read;

use crate::calendar::{Calendar, Instant};
use crate::problem::{Problem, Problems};
use crate::text::nfc;

/// How far a procedure can be done online.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnlineLevel {
    /// Levels 1–4 of the former classification (Nghị định 43/2011).
    Level(u8),
    /// Dịch vụ công trực tuyến toàn trình (Nghị định 42/2022).
    Full,
    /// Dịch vụ công trực tuyến một phần.
    Partial,
}

impl OnlineLevel {
    /// Offered fully online (the whole process, level 4 in the 2021 scale).
    pub fn is_full(self) -> bool {
        matches!(self, OnlineLevel::Full | OnlineLevel::Level(4))
    }

    /// Offered online at all (full or partial; levels 3 and 4).
    pub fn is_online(self) -> bool {
        matches!(
            self,
            OnlineLevel::Full | OnlineLevel::Partial | OnlineLevel::Level(3 | 4)
        )
    }

    pub fn parse(s: &str) -> Option<OnlineLevel> {
        match s.trim().to_ascii_lowercase().as_str() {
            "full" | "toan trinh" | "toàn trình" => Some(OnlineLevel::Full),
            "partial" | "mot phan" | "một phần" => Some(OnlineLevel::Partial),
            x => x
                .parse::<u8>()
                .ok()
                .filter(|l| (1..=4).contains(l))
                .map(OnlineLevel::Level),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            OnlineLevel::Level(1) => "1",
            OnlineLevel::Level(2) => "2",
            OnlineLevel::Level(3) => "3",
            OnlineLevel::Level(_) => "4",
            OnlineLevel::Full => "full",
            OnlineLevel::Partial => "partial",
        }
    }
}

/// A row of the procedures catalogue (thủ tục hành chính).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Procedure {
    pub code: String,
    pub name: String,
    pub unit_code: String,
    /// Legal limit in working days.
    pub limit_days: u32,
    /// The unit's own, shorter limit (the 40% cut of the notice).
    pub internal_days: Option<u32>,
    pub online_level: Option<OnlineLevel>,
    pub postal: Option<bool>,
    /// The field (lĩnh vực) as the province lists it; rule inputs name it by its slug.
    pub field: Option<String>,
    /// How `limit_days` is counted.
    pub limit_unit: crate::calendar::LimitUnit,
    pub line: usize,
}

const PROCEDURE_COLUMNS: [&str; 9] = [
    "code",
    "name",
    "unit_code",
    "limit_days",
    "internal_days",
    "online_level",
    "postal",
    "field",
    "limit_unit",
];

/// Maps a header row to the positions of `wanted`; unknown columns are ignored.
fn header_positions(header: &csv::StringRecord, wanted: &[&str]) -> Vec<Option<usize>> {
    let names: Vec<String> = header
        .iter()
        .map(|h| h.trim().trim_start_matches('\u{feff}').to_ascii_lowercase())
        .collect();
    wanted
        .iter()
        .map(|w| names.iter().position(|n| n == w))
        .collect()
}

fn record_line(rec: &csv::StringRecord) -> usize {
    rec.position()
        .map_or(0, |p| usize::try_from(p.line()).unwrap_or(0))
}

fn cell(rec: &csv::StringRecord, pos: Option<usize>) -> Option<&str> {
    pos.and_then(|p| rec.get(p))
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

fn parse_days(s: &str) -> Option<u32> {
    s.parse::<u32>().ok().filter(|d| (1..=3650).contains(d))
}

fn parse_yes_no(s: &str) -> Option<bool> {
    match s.to_lowercase().as_str() {
        "yes" | "y" | "1" | "true" | "có" | "co" => Some(true),
        "no" | "n" | "0" | "false" | "không" | "khong" => Some(false),
        _ => None,
    }
}

/// Reads a procedures CSV (header row required); every problem names its line and column.
pub fn parse_procedures_csv(file: &str, text: &str) -> Result<Vec<Procedure>, Problems> {
    let text = crate::text::input_text(text);
    let text: &str = &text;
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut problems = Vec::new();
    let header = match rdr.headers() {
        Ok(h) => h.clone(),
        Err(e) => {
            return Err(Problems(vec![Problem::new(
                file,
                1,
                None,
                format!("không đọc được dòng tiêu đề: {e}"),
            )]));
        }
    };
    let pos = header_positions(&header, &PROCEDURE_COLUMNS);
    for (k, name) in PROCEDURE_COLUMNS.iter().enumerate().take(4) {
        if pos[k].is_none() {
            problems.push(Problem::new(
                file,
                1,
                None,
                format!("thiếu cột bắt buộc `{name}`"),
            ));
        }
    }
    if !problems.is_empty() {
        return Err(Problems(problems));
    }
    let mut out: Vec<Procedure> = Vec::new();
    let mut seen: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for (i, rec) in rdr.records().enumerate() {
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                problems.push(Problem::new(
                    file,
                    i + 2,
                    None,
                    format!("dòng CSV không đọc được: {e}"),
                ));
                continue;
            }
        };
        if rec.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let line = crate::problem::csv_record_line(text, rec.position(), i + 2);
        let mut err = |col: &str, m: String| {
            problems.push(Problem::new(file, line, None, format!("{col}: {m}")));
        };
        let get = |k: usize| cell(&rec, pos[k]);
        let code = get(0).map(nfc);
        let name = get(1).map(nfc);
        let unit = get(2).map(nfc);
        if code.is_none() {
            err("code", "thiếu mã thủ tục".into());
        }
        if name.is_none() {
            err("name", "thiếu tên thủ tục".into());
        }
        if unit.is_none() {
            err("unit_code", "thiếu mã đơn vị".into());
        }
        let limit = match get(3) {
            None => {
                err(
                    "limit_days",
                    "thiếu thời hạn giải quyết (ngày làm việc)".into(),
                );
                None
            }
            Some(s) => {
                let d = parse_days(s);
                if d.is_none() {
                    err(
                        "limit_days",
                        format!("`{s}` không phải số ngày làm việc (1–3650)"),
                    );
                }
                d
            }
        };
        let internal = get(4).and_then(|s| {
            let d = parse_days(s);
            if d.is_none() {
                err(
                    "internal_days",
                    format!("`{s}` không phải số ngày làm việc (1–3650)"),
                );
            }
            d
        });
        if let (Some(l), Some(n)) = (limit, internal)
            && n > l
        {
            err(
                "internal_days",
                format!("thời hạn nội bộ {n} ngày dài hơn thời hạn luật định {l} ngày"),
            );
        }
        let online = get(5).and_then(|s| {
            let o = OnlineLevel::parse(s);
            if o.is_none() {
                err(
                    "online_level",
                    format!("`{s}` không hợp lệ (1–4, full hoặc partial)"),
                );
            }
            o
        });
        let field = get(7).map(crate::text::nfc);
        let limit_unit = match get(8) {
            None => crate::calendar::LimitUnit::WorkingDays,
            Some(s) => crate::calendar::LimitUnit::parse(s).unwrap_or_else(|| {
                err(
                    "limit_unit",
                    format!("`{s}` không hợp lệ (working_days, calendar_days hoặc working_hours)"),
                );
                crate::calendar::LimitUnit::WorkingDays
            }),
        };
        let postal = get(6).and_then(|s| {
            let p = parse_yes_no(s);
            if p.is_none() {
                err("postal", format!("`{s}` không hợp lệ (yes hoặc no)"));
            }
            p
        });
        if let Some(c) = &code
            && let Some(prev) = seen.insert(c.clone(), line)
        {
            seen.insert(c.clone(), prev);
            err(
                "code",
                format!("mã thủ tục {c} đã có ở dòng {prev} của tệp"),
            );
            continue;
        }
        if let (Some(code), Some(name), Some(unit_code), Some(limit_days)) =
            (code, name, unit, limit)
        {
            out.push(Procedure {
                code,
                name,
                unit_code,
                limit_days,
                internal_days: internal,
                online_level: online,
                postal,
                field,
                limit_unit,
                line,
            });
        }
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(Problems(problems))
    }
}

/// How a dossier reached the office.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Channel {
    Direct,
    Online,
    Postal,
}

impl Channel {
    pub fn parse(s: &str) -> Option<Channel> {
        match s.trim().to_ascii_lowercase().as_str() {
            "" | "direct" | "truc tiep" | "trực tiếp" => Some(Channel::Direct),
            "online" | "truc tuyen" | "trực tuyến" => Some(Channel::Online),
            "postal" | "buu chinh" | "bưu chính" => Some(Channel::Postal),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Direct => "direct",
            Channel::Online => "online",
            Channel::Postal => "postal",
        }
    }
}

/// How a finished dossier ended (`outcome` column).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// Resolved: the result was given (the default of a finished dossier).
    Approved,
    /// Refused with reasons: an answer, so resolved all the same.
    Refused,
    /// Withdrawn by the applicant: not resolved, and no longer pending.
    Withdrawn,
}

impl Outcome {
    pub fn parse(s: &str) -> Option<Outcome> {
        match crate::text::fold(s.trim()).as_str() {
            "approved" | "giai quyet" | "da giai quyet" | "cap" | "chap thuan" => {
                Some(Outcome::Approved)
            }
            "refused" | "tu choi" => Some(Outcome::Refused),
            "withdrawn" | "rut" | "rut ho so" | "cong dan rut" => Some(Outcome::Withdrawn),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Approved => "approved",
            Outcome::Refused => "refused",
            Outcome::Withdrawn => "withdrawn",
        }
    }
}

/// One dossier row as read from the file (the due instant may still be unknown).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DossierRow {
    pub code: String,
    pub unit_code: String,
    pub procedure_code: String,
    pub received_at: Instant,
    pub due_at: Option<Instant>,
    pub finished_at: Option<Instant>,
    pub channel: Channel,
    pub apology_at: Option<Instant>,
    pub new_due_at: Option<Instant>,
    /// How it ended; `None` while in process or when the file does not say.
    pub outcome: Option<Outcome>,
    /// Working days the clock stood still while the applicant completed the dossier
    /// (supplement requests): they move the due instant.
    pub paused_days: u32,
    /// When the result was handed over, and how.
    pub returned_at: Option<Instant>,
    pub return_channel: Option<Channel>,
    pub line: usize,
}

const DOSSIER_COLUMNS: [&str; 13] = [
    "code",
    "unit_code",
    "procedure_code",
    "received_at",
    "due_at",
    "finished_at",
    "channel",
    "apology_at",
    "new_due_at",
    "outcome",
    "paused_days",
    "returned_at",
    "return_channel",
];

/// Header names of another system's export for the contract's dossier columns, read from a
/// small YAML file:
///
/// ```yaml
/// # Tệp xuất của hệ thống một cửa điện tử
/// columns:
///   code: "Số hồ sơ"
///   received_at: "Ngày tiếp nhận"
/// ```
///
/// Names match without regard to case or diacritics; a column not mapped keeps its own name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ColumnMap {
    /// Contract column → folded header name in the export.
    names: std::collections::HashMap<&'static str, String>,
}

impl ColumnMap {
    /// The header name to look for for a contract column (folded).
    fn name_for(&self, column: &'static str) -> String {
        self.names
            .get(column)
            .cloned()
            .unwrap_or_else(|| column.to_string())
    }
}

/// Reads a column map; every problem names its line.
pub fn parse_column_map(file: &str, text: &str) -> Result<ColumnMap, Problems> {
    use crate::yaml::Value;
    let text = crate::text::input_text(text);
    let text: &str = &text;
    let root = crate::yaml::parse(text).map_err(|e| {
        Problems(vec![Problem::new(
            file,
            e.pos.line,
            Some(e.pos.col),
            e.message,
        )])
    })?;
    let Some((pos, columns)) = root.get("columns") else {
        return Err(Problems(vec![Problem::new(
            file,
            1,
            None,
            "thiếu khóa `columns` (cột của tệp theo từng cột của hợp đồng dữ liệu)",
        )]));
    };
    let Value::Map(entries) = &columns.value else {
        return Err(Problems(vec![Problem::new(
            file,
            pos.line,
            None,
            "`columns` phải là một bảng `cột: \"tên cột trong tệp\"`",
        )]));
    };
    let mut names = std::collections::HashMap::new();
    let mut problems = Vec::new();
    for (key, kpos, node) in entries {
        let Some(column) = DOSSIER_COLUMNS.iter().find(|c| **c == key.as_str()) else {
            problems.push(Problem::new(
                file,
                kpos.line,
                Some(kpos.col),
                format!(
                    "`{key}` không phải cột của hồ sơ ({})",
                    DOSSIER_COLUMNS.join(", ")
                ),
            ));
            continue;
        };
        match node.as_scalar().map(str::trim).filter(|s| !s.is_empty()) {
            Some(name) => {
                names.insert(*column, crate::text::fold(name));
            }
            None => problems.push(Problem::new(
                file,
                node.pos.line,
                Some(node.pos.col),
                format!("tên cột cho `{key}` phải là một chuỗi"),
            )),
        }
    }
    if problems.is_empty() {
        Ok(ColumnMap { names })
    } else {
        Err(Problems(problems))
    }
}

/// Reads dossier rows one at a time from any reader, so that memory stays constant
/// whatever the file size. A bad row is returned as its problems; the caller decides
/// whether to stop (all-or-nothing) or to set the row aside (`--skip-invalid`).
pub struct DossierReader<R: Read> {
    file: String,
    rdr: csv::Reader<crate::text::UnixLines<R>>,
    pos: Vec<Option<usize>>,
    rec: csv::StringRecord,
    header: csv::StringRecord,
    header_problem: Option<Problems>,
}

impl<R: Read> DossierReader<R> {
    pub fn new(file: &str, input: R) -> DossierReader<R> {
        Self::with_columns(file, input, &ColumnMap::default())
    }

    /// A reader whose header names are another system's (see [`ColumnMap`]).
    pub fn with_columns(file: &str, input: R, map: &ColumnMap) -> DossierReader<R> {
        let mut rdr = csv::ReaderBuilder::new()
            .has_headers(true)
            .flexible(true)
            // Every line ending as `\n`: the line numbers below count `\n`.
            .from_reader(crate::text::UnixLines::new(input));
        let mut header_problem = None;
        let mut header = csv::StringRecord::new();
        let pos = match rdr.headers() {
            Ok(h) => {
                header = h.clone();
                let folded: Vec<String> = h
                    .iter()
                    .map(|c| crate::text::fold(c.trim_start_matches('\u{feff}')))
                    .collect();
                let pos: Vec<Option<usize>> = DOSSIER_COLUMNS
                    .iter()
                    .map(|c| {
                        let want = map.name_for(c);
                        folded.iter().position(|f| *f == want)
                    })
                    .collect();
                let missing: Vec<Problem> = DOSSIER_COLUMNS
                    .iter()
                    .enumerate()
                    .take(4)
                    .filter(|(k, _)| pos[*k].is_none())
                    .map(|(_, name)| {
                        let shown = map
                            .names
                            .get(name)
                            .map_or_else(String::new, |n| format!(" (trong tệp: `{n}`)"));
                        Problem::new(file, 1, None, format!("thiếu cột bắt buộc `{name}`{shown}"))
                    })
                    .collect();
                if !missing.is_empty() {
                    header_problem = Some(Problems(missing));
                }
                pos
            }
            Err(e) => {
                header_problem = Some(Problems(vec![Problem::new(
                    file,
                    1,
                    None,
                    utf8_or(&e, "không đọc được dòng tiêu đề"),
                )]));
                vec![None; DOSSIER_COLUMNS.len()]
            }
        };
        DossierReader {
            file: file.to_string(),
            rdr,
            pos,
            rec: csv::StringRecord::new(),
            header,
            header_problem,
        }
    }

    /// The header's problems (a missing required column, an unreadable header).
    pub fn header_problems(&self) -> Option<&Problems> {
        self.header_problem.as_ref()
    }

    /// The next row: `None` at the end of the file.
    pub fn next_row(&mut self) -> Option<Result<DossierRow, Problems>> {
        if self.header_problem.is_some() {
            return None;
        }
        loop {
            match self.rdr.read_record(&mut self.rec) {
                Ok(false) => return None,
                Ok(true) => {
                    if self.rec.iter().all(|c| c.trim().is_empty()) {
                        continue;
                    }
                    return Some(self.row());
                }
                Err(e) => {
                    let line = e
                        .position()
                        .map_or(0, |p| usize::try_from(p.line()).unwrap_or(0));
                    let fatal = !matches!(e.kind(), csv::ErrorKind::Utf8 { .. });
                    let problem = Problems(vec![Problem::new(
                        &self.file,
                        line,
                        None,
                        utf8_or(&e, "dòng CSV không đọc được"),
                    )]);
                    if fatal {
                        // An IO error cannot be skipped over.
                        self.header_problem = Some(problem.clone());
                    }
                    return Some(Err(problem));
                }
            }
        }
    }

    /// Whether the file has the contract's column `name` (under its own name or the column
    /// map's).
    pub fn has_column(&self, name: &str) -> bool {
        DOSSIER_COLUMNS
            .iter()
            .position(|c| *c == name)
            .and_then(|k| self.pos.get(k).copied().flatten())
            .is_some()
    }

    /// The header row's cells, as written in the file.
    pub fn header(&self) -> impl Iterator<Item = &str> {
        self.header.iter()
    }

    /// The raw cells of the last row read (for the rejected-rows file).
    pub fn last_record(&self) -> impl Iterator<Item = &str> {
        self.rec.iter()
    }

    /// A row read earlier written back as cells under this file's header (instants in the
    /// contract's form; columns the contract does not know are left empty), for the
    /// rejected-rows file when a row is found bad after it was read.
    pub fn cells_of(&self, row: &DossierRow) -> Vec<String> {
        let mut cells = vec![String::new(); self.header.len()];
        let values = [
            Some(row.code.clone()),
            Some(row.unit_code.clone()),
            Some(row.procedure_code.clone()),
            Some(row.received_at.to_iso()),
            row.due_at.map(Instant::to_iso),
            row.finished_at.map(Instant::to_iso),
            Some(row.channel.as_str().to_string()),
            row.apology_at.map(Instant::to_iso),
            row.new_due_at.map(Instant::to_iso),
            row.outcome.map(|o| o.as_str().to_owned()),
            (row.paused_days > 0).then(|| row.paused_days.to_string()),
            row.returned_at.map(Instant::to_iso),
            row.return_channel.map(|c| c.as_str().to_string()),
        ];
        for (k, v) in values.into_iter().enumerate() {
            if let (Some(Some(i)), Some(v)) = (self.pos.get(k), v)
                && let Some(c) = cells.get_mut(*i)
            {
                *c = v;
            }
        }
        cells
    }

    fn row(&self) -> Result<DossierRow, Problems> {
        let rec = &self.rec;
        // The csv crate gives a record the line where its reading began, which is before
        // any blank lines it skipped; the end position, less the record's own lines, is
        // the line an editor shows.
        let newlines: u64 = rec
            .iter()
            .map(|c| c.bytes().filter(|b| *b == b'\n').count() as u64)
            .sum();
        let end = self.rdr.position().line();
        let line =
            record_line(rec).max(usize::try_from(end.saturating_sub(newlines + 1)).unwrap_or(0));
        let mut problems = Vec::new();
        let mut err = |col: &str, m: String| {
            problems.push(Problem::new(&self.file, line, None, format!("{col}: {m}")));
        };
        let get = |k: usize| cell(rec, self.pos[k]);
        let mut required = |k: usize, what: &str| {
            let v = get(k).map(nfc);
            if v.is_none() {
                err(DOSSIER_COLUMNS[k], format!("thiếu {what}"));
            }
            v
        };
        let code = required(0, "mã hồ sơ");
        let unit = required(1, "mã đơn vị");
        let procedure = required(2, "mã thủ tục");
        let mut instant = |k: usize| {
            get(k).and_then(|s| {
                let t = Instant::parse(s);
                if t.is_none() {
                    err(
                        DOSSIER_COLUMNS[k],
                        format!("`{s}` không phải thời điểm dạng YYYY-MM-DD HH:MM"),
                    );
                }
                t
            })
        };
        let received = instant(3);
        let due = instant(4);
        let finished = instant(5);
        let apology = instant(7);
        let new_due = instant(8);
        let returned = instant(11);
        if received.is_none() && get(3).is_none() {
            err("received_at", "thiếu thời điểm tiếp nhận".into());
        }
        let channel = match get(6) {
            None => Some(Channel::Direct),
            Some(s) => {
                let c = Channel::parse(s);
                if c.is_none() {
                    err(
                        "channel",
                        format!("`{s}` không hợp lệ (direct, online hoặc postal)"),
                    );
                }
                c
            }
        };
        if let Some(r) = received {
            if let Some(f) = finished
                && f < r
            {
                err(
                    "finished_at",
                    format!(
                        "ngày có kết quả {} trước ngày tiếp nhận {}",
                        f.to_vi(),
                        r.to_vi()
                    ),
                );
            }
            if let Some(d) = due
                && d < r
            {
                err(
                    "due_at",
                    format!(
                        "ngày hẹn trả {} trước ngày tiếp nhận {}",
                        d.to_vi(),
                        r.to_vi()
                    ),
                );
            }
        }
        if let (Some(d), Some(n)) = (due, new_due)
            && n <= d
        {
            err(
                "new_due_at",
                format!(
                    "ngày hẹn lại {} không sau ngày hẹn trả {}",
                    n.to_vi(),
                    d.to_vi()
                ),
            );
        }
        let outcome = get(9).and_then(|s| {
            let o = Outcome::parse(s);
            if o.is_none() {
                err(
                    "outcome",
                    format!("`{s}` không hợp lệ (approved, refused hoặc withdrawn)"),
                );
            }
            o
        });
        if outcome.is_some() && finished.is_none() {
            err(
                "outcome",
                "có kết quả xử lý nhưng không có thời điểm kết thúc (finished_at)".into(),
            );
        }
        let paused_days = match get(10) {
            None => 0,
            Some(s) => s
                .trim()
                .parse::<u32>()
                .ok()
                .filter(|d| *d <= 3650)
                .unwrap_or_else(|| {
                    err(
                        "paused_days",
                        format!("`{s}` không phải số ngày làm việc tạm dừng (0–3650)"),
                    );
                    0
                }),
        };
        let return_channel = get(12).and_then(|s| {
            let c = Channel::parse(s);
            if c.is_none() {
                err(
                    "return_channel",
                    format!("`{s}` không hợp lệ (direct, online hoặc postal)"),
                );
            }
            c
        });
        if let (Some(f), Some(r)) = (finished, returned)
            && r < f
        {
            err(
                "returned_at",
                format!(
                    "ngày trả kết quả {} trước ngày có kết quả {}",
                    r.to_vi(),
                    f.to_vi()
                ),
            );
        }
        if returned.is_some() && finished.is_none() {
            err(
                "returned_at",
                "đã trả kết quả nhưng không có thời điểm có kết quả (finished_at)".into(),
            );
        }
        if new_due.is_some() && apology.is_none() {
            err(
                "apology_at",
                "có ngày hẹn lại nhưng không có ngày gửi phiếu xin lỗi".into(),
            );
        }
        match (code, unit, procedure, received, channel) {
            (
                Some(code),
                Some(unit_code),
                Some(procedure_code),
                Some(received_at),
                Some(channel),
            ) if problems.is_empty() => Ok(DossierRow {
                code,
                unit_code,
                procedure_code,
                received_at,
                due_at: due,
                finished_at: finished,
                channel,
                apology_at: apology,
                new_due_at: new_due,
                outcome,
                paused_days,
                returned_at: returned,
                return_channel,
                line,
            }),
            _ => Err(Problems(problems)),
        }
    }
}

fn utf8_or(e: &csv::Error, what: &str) -> String {
    if matches!(e.kind(), csv::ErrorKind::Utf8 { .. }) {
        "dòng không phải văn bản UTF-8 (hãy lưu tệp với mã hóa UTF-8)".to_string()
    } else {
        format!("{what}: {e}")
    }
}

/// Where a dossier stands against its due instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    Early,
    OnTime,
    Late,
    Pending,
    PendingOverdue,
    /// Withdrawn by the applicant: received, neither finished nor pending.
    Withdrawn,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Early => "early",
            Status::OnTime => "on_time",
            Status::Late => "late",
            Status::Pending => "pending",
            Status::PendingOverdue => "pending_overdue",
            Status::Withdrawn => "withdrawn",
        }
    }

    pub fn vi(self) -> &'static str {
        match self {
            Status::Early => "Trước hạn",
            Status::OnTime => "Đúng hạn",
            Status::Late => "Trễ hạn",
            Status::Pending => "Đang giải quyết",
            Status::PendingOverdue => "Đang giải quyết, quá hạn",
            Status::Withdrawn => "Công dân rút hồ sơ",
        }
    }
}

/// Classifies a dossier against its due instant (never against the re-appointment).
pub fn classify(due: Instant, finished: Option<Instant>, as_of: Instant) -> Status {
    match finished {
        Some(f) if f.date < due.date => Status::Early,
        Some(f) if f <= due => Status::OnTime,
        Some(_) => Status::Late,
        None if as_of > due => Status::PendingOverdue,
        None => Status::Pending,
    }
}

/// A late or overdue dossier has an apology when at least one working day lies in
/// `[date of apology, date of due)` (Nghị định 61/2018: no later than one day before the
/// deadline).
pub fn has_timely_apology(cal: &Calendar, apology: Option<Instant>, due: Instant) -> bool {
    let Some(a) = apology else { return false };
    let (start, end) = (a.date.days_since_epoch(), due.date.days_since_epoch());
    (start..end).any(|d| cal.is_working_day(crate::schedule::from_days(d)))
}

/// The figures of a set of dossiers (spec: `dossiers stats`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Figures {
    pub received: u64,
    pub finished: u64,
    pub early: u64,
    pub on_time: u64,
    pub late: u64,
    /// Every unfinished dossier, overdue or not.
    pub pending: u64,
    /// The unfinished dossiers whose due instant has passed.
    pub pending_overdue: u64,
    pub late_without_apology: u64,
    pub online: u64,
    pub postal: u64,
    /// Finished dossiers stored with their processing time.
    pub timed: u64,
    /// Their processing time, thousandths of a working day, summed.
    pub used_days_milli: u64,
    /// Legal limits (working days) of those dossiers, summed.
    pub limit_days: u64,
    /// Internal limits of those of them that have one, summed, and how many they are.
    pub internal_days: u64,
    pub internal_count: u64,
}

impl Figures {
    /// Counts one dossier.
    pub fn add(&mut self, status: Status, channel: Channel, timely_apology: bool) {
        self.received += 1;
        match status {
            Status::Early => self.early += 1,
            Status::OnTime => self.on_time += 1,
            Status::Late => self.late += 1,
            Status::Pending => self.pending += 1,
            // Pending counts every unfinished dossier; overdue ones are a part of it.
            Status::PendingOverdue => {
                self.pending += 1;
                self.pending_overdue += 1;
            }
            // Received, but neither finished nor pending.
            Status::Withdrawn => {}
        }
        if matches!(status, Status::Early | Status::OnTime | Status::Late) {
            self.finished += 1;
        }
        if matches!(status, Status::Late | Status::PendingOverdue) && !timely_apology {
            self.late_without_apology += 1;
        }
        match channel {
            Channel::Online => self.online += 1,
            Channel::Postal => self.postal += 1,
            Channel::Direct => {}
        }
    }

    /// Adds another set's figures (rollups are summed).
    pub fn merge(&mut self, o: &Figures) {
        self.received += o.received;
        self.finished += o.finished;
        self.early += o.early;
        self.on_time += o.on_time;
        self.late += o.late;
        self.pending += o.pending;
        self.pending_overdue += o.pending_overdue;
        self.late_without_apology += o.late_without_apology;
        self.online += o.online;
        self.postal += o.postal;
        self.timed += o.timed;
        self.used_days_milli += o.used_days_milli;
        self.limit_days += o.limit_days;
        self.internal_days += o.internal_days;
        self.internal_count += o.internal_count;
    }

    pub fn on_time_rate(&self) -> String {
        rate(self.early + self.on_time, self.finished)
    }

    pub fn online_rate(&self) -> String {
        rate(self.online, self.received)
    }

    pub fn postal_rate(&self) -> String {
        rate(self.postal, self.received)
    }

    /// Average processing time, working days with 2 decimals.
    pub fn avg_days(&self) -> String {
        quotient(self.used_days_milli, self.timed * 1000)
    }

    /// Average legal limit of the same dossiers, working days.
    pub fn avg_limit_days(&self) -> String {
        quotient(self.limit_days, self.timed)
    }

    /// Average internal limit of those that have one, working days.
    pub fn avg_internal_days(&self) -> String {
        quotient(self.internal_days, self.internal_count)
    }

    /// Processing time as a share of the legal limit (%): 60.00 means the 40 % cut is met.
    pub fn time_used_rate(&self) -> String {
        rate(self.used_days_milli, self.limit_days * 1000)
    }
}

/// `num / den` with 2 decimals, half-up; `"0.00"` when `den` is 0.
pub fn quotient(num: u64, den: u64) -> String {
    if den == 0 {
        return "0.00".into();
    }
    let (num, den) = (u128::from(num), u128::from(den));
    let hundredths = (num * 200 + den) / (2 * den);
    format!("{}.{:02}", hundredths / 100, hundredths % 100)
}

/// `num / den × 100` with 2 decimals, half-up; `"0.00"` when `den` is 0.
pub fn rate(num: u64, den: u64) -> String {
    if den == 0 {
        return "0.00".into();
    }
    let (num, den) = (u128::from(num), u128::from(den));
    let hundredths = (num * 20_000 + den) / (2 * den);
    format!("{}.{:02}", hundredths / 100, hundredths % 100)
}

/// Checks a parsed file against itself: a dossier code twice for the same unit.
pub fn duplicate_codes(rows: &[DossierRow], file: &str) -> Vec<Problem> {
    let mut seen: std::collections::HashMap<(&str, &str), usize> = std::collections::HashMap::new();
    let mut out = Vec::new();
    for r in rows {
        if let Some(first) = seen.insert((&r.unit_code, &r.code), r.line) {
            out.push(Problem::new(
                file,
                r.line,
                None,
                format!(
                    "code: mã hồ sơ {} của đơn vị {} đã có ở dòng {first}",
                    r.code, r.unit_code
                ),
            ));
            seen.insert((&r.unit_code, &r.code), first);
        }
    }
    out
}

/// A small deterministic generator (xorshift) so that samples and benchmarks are the same
/// on every machine without a dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// A procedure the sample generator draws from: unit, code, legal limit in working days.
pub struct SampleProcedure<'a> {
    pub unit_code: &'a str,
    pub code: &'a str,
    pub limit_days: u32,
}

fn clock(minute: u64) -> String {
    format!("{:02}:{:02}", minute / 60, minute % 60)
}

/// Writes `n` sample dossiers received in `year` (sample data, not real records) as the
/// dossier CSV of the contract, without `due_at` so that the import computes it from the
/// calendar. About `late_percent` in 100 are held well past their limit (a few more end
/// late because calendar days outrun working days), 4 in 10 come online and 1 in 10 by
/// post; the last weeks of the year hold dossiers still in process.
pub fn write_sample_csv<W: std::io::Write>(
    mut w: W,
    seed: u64,
    year: i32,
    procedures: &[SampleProcedure<'_>],
    n: u64,
    late_percent: u64,
) -> std::io::Result<()> {
    use crate::schedule::from_days;
    use crate::text::Date;
    let mut rng = Rng(seed.max(1).wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let start = Date {
        year,
        month: 1,
        day: 1,
    }
    .days_since_epoch();
    writeln!(
        w,
        "code,unit_code,procedure_code,received_at,finished_at,channel,apology_at"
    )?;
    if procedures.is_empty() {
        return Ok(());
    }
    let len = u64::try_from(procedures.len()).unwrap_or(1);
    for i in 0..n {
        let p = &procedures[usize::try_from(rng.below(len)).unwrap_or(0)];
        // Weekdays only: skip to Monday when the draw falls on a weekend.
        let mut day = start + i64::try_from(rng.below(360)).unwrap_or(0);
        while crate::schedule::weekday(from_days(day)) > 5 {
            day += 1;
        }
        let received = from_days(day);
        let minute = 450 + rng.below(540);
        let limit = u64::from(p.limit_days);
        let roll = rng.below(100);
        let late = roll < late_percent;
        let unfinished = day - start > 340 && roll > 60;
        // Calendar days roughly match working days ×1.4; late ones go past it.
        let spent = if late {
            limit * 2 + 3 + rng.below(5)
        } else {
            rng.below(limit + 1)
        };
        let finished_day = from_days(day + i64::try_from(spent).unwrap_or(0));
        let finished_minute = if spent == 0 {
            minute + rng.below(1020 - minute.min(1019))
        } else {
            450 + rng.below(540)
        };
        let channel = match rng.below(10) {
            0 => "postal",
            1..=4 => "online",
            _ => "direct",
        };
        let finished = if unfinished {
            String::new()
        } else {
            format!("{} {}", finished_day.to_iso(), clock(finished_minute))
        };
        let apology = if late && roll.is_multiple_of(2) {
            let a = from_days(day + i64::try_from(limit).unwrap_or(0));
            format!("{} 08:00", a.to_iso())
        } else {
            String::new()
        };
        writeln!(
            w,
            "{}-{year}-{:07},{},{},{} {},{finished},{channel},{apology}",
            p.unit_code,
            i + 1,
            p.unit_code,
            p.code,
            received.to_iso(),
            clock(minute),
        )?;
    }
    Ok(())
}

/// A dossier figure a criterion can take as its rule's input (`rule.input` in a set).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Figure {
    OnTimeRate,
    OnlineRate,
    PostalRate,
    Late,
    LateWithoutApology,
    PendingOverdue,
}

impl Figure {
    pub const ALL: [Figure; 6] = [
        Figure::OnTimeRate,
        Figure::OnlineRate,
        Figure::PostalRate,
        Figure::Late,
        Figure::LateWithoutApology,
        Figure::PendingOverdue,
    ];

    /// The name written in a criteria set, e.g. `dossiers.on_time_rate`.
    pub fn key(self) -> &'static str {
        match self {
            Figure::OnTimeRate => "dossiers.on_time_rate",
            Figure::OnlineRate => "dossiers.online_rate",
            Figure::PostalRate => "dossiers.postal_rate",
            Figure::Late => "dossiers.late",
            Figure::LateWithoutApology => "dossiers.late_without_apology",
            Figure::PendingOverdue => "dossiers.pending_overdue",
        }
    }

    pub fn parse(s: &str) -> Option<Figure> {
        Figure::ALL.into_iter().find(|f| f.key() == s.trim())
    }

    /// Vietnamese label for pages.
    pub fn label_vi(self) -> &'static str {
        match self {
            Figure::OnTimeRate => "Tỷ lệ hồ sơ giải quyết đúng hạn (%)",
            Figure::OnlineRate => "Tỷ lệ hồ sơ nộp trực tuyến (%)",
            Figure::PostalRate => "Tỷ lệ hồ sơ qua bưu chính công ích (%)",
            Figure::Late => "Số hồ sơ trễ hạn",
            Figure::LateWithoutApology => "Số hồ sơ trễ hạn không có phiếu xin lỗi kịp thời",
            Figure::PendingOverdue => "Số hồ sơ đang giải quyết đã quá hạn",
        }
    }

    /// A count (integer) rather than a percentage.
    pub fn is_count(self) -> bool {
        matches!(
            self,
            Figure::Late | Figure::LateWithoutApology | Figure::PendingOverdue
        )
    }

    /// The figure's value as a rule input, `None` when it is undefined (a rate of nothing:
    /// no dossier finished or received in the period).
    pub fn value(self, f: &Figures) -> Option<String> {
        match self {
            Figure::OnTimeRate => (f.finished > 0).then(|| f.on_time_rate()),
            Figure::OnlineRate => (f.received > 0).then(|| f.online_rate()),
            Figure::PostalRate => (f.received > 0).then(|| f.postal_rate()),
            Figure::Late => (f.received > 0).then(|| f.late.to_string()),
            Figure::LateWithoutApology => {
                (f.received > 0).then(|| f.late_without_apology.to_string())
            }
            Figure::PendingOverdue => (f.received > 0).then(|| f.pending_overdue.to_string()),
        }
    }
}
