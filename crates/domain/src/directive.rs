//! Reading a directive (thông báo, kế hoạch, chỉ thị…) into actionable items
//! (`shared/spec/directives.md`): header, sections, items and sub-items joined across
//! broken lines, assignees resolved against the unit list, criteria, cited documents,
//! recurrence and due dates.

use std::sync::LazyLock;

use regex::Regex;
use serde::Serialize;

use crate::text::{fold, nfc};

/// A unit a directive can name (a division of the issuing body, usually).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownUnit {
    pub code: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Signer {
    pub authority: Option<String>,
    pub title: Option<String>,
    pub name: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Assignee {
    pub unit: Option<String>,
    pub name: String,
    /// `lead` or `support`.
    pub role: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reference {
    pub kind: String,
    pub number: String,
    pub date: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Item {
    #[serde(rename = "ref")]
    pub reference: String,
    pub section: Option<String>,
    /// The heading the item sits under (a division, or a group of divisions).
    pub heading: Option<String>,
    pub text: String,
    pub all: bool,
    pub assignees: Vec<Assignee>,
    pub criteria: Vec<String>,
    pub references: Vec<Reference>,
    pub recurrence: Option<&'static str>,
    pub due: Option<String>,
    /// 1-based line of the item's first paragraph in the source text.
    pub line: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Directive {
    #[serde(rename = "type")]
    pub doc_type: Option<String>,
    pub number: Option<u32>,
    pub symbol: Option<String>,
    pub issuer: Option<String>,
    pub place: Option<String>,
    pub date: Option<String>,
    pub subject: Option<String>,
    pub signer: Option<Signer>,
    pub recipients: Vec<String>,
    pub items: Vec<Item>,
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DirectiveError {
    #[error("không nhận ra nội dung văn bản chỉ đạo: không có mục (I., 1., -) nào trong phần thân")]
    NoBody,
}

static RE_NUMBER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^Số\s*:?\s*(?P<num>\d+)?\s*/?\s*(?P<sym>[^\s].*?)?\s*$")
        .unwrap_or_else(|_| never())
});
static RE_PLACE_DATE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?P<place>[^,]{2,}?),\s*ngày\s*(?P<d>\d{1,2})?\s*tháng\s*(?P<m>\d{1,2})?\s*năm\s*(?P<y>\d{4})")
        .unwrap_or_else(|_| never())
});
static RE_SECTION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?P<n>[IVXL]+)\s*[.)]\s*(?P<t>.*)$").unwrap_or_else(|_| never())
});
static RE_ITEM: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?P<n>\d{1,2})\s*[.)]\s+(?P<t>.*)$").unwrap_or_else(|_| never())
});
static RE_SUB: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?:[-–•+*]\s*|(?P<l>[a-zđ])\s*\)\s+)(?P<t>.*)$").unwrap_or_else(|_| never())
});
static RE_CRITERION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:\b|^)(?P<c>[IVX]+(?:\.\d+)+)\b|tiêu chí(?: thành phần)?(?: số)?\s+(?P<a>\d+(?:\.\d+)+)")
        .unwrap_or_else(|_| never())
});
const KINDS: &str = r"Quyết định|Kế hoạch|Nghị quyết|Nghị định|Thông tư|Chỉ thị|Công văn|Thông báo|Chương trình hành động|Chương trình|Luật|Hướng dẫn";
const DOC_NUMBER: &str = r"(?P<num>\d+[\w\-]*(?:/[\w\-]+)+|\d+-[\w\-]+/?[\w\-]*)";
const DOC_DATE: &str = r"(?:\s*,?\s*ngày\s+(?P<d>\d{1,2})\s*(?:/|-|tháng)\s*(?P<m>\d{1,2})\s*(?:/|-|năm)\s*(?P<y>\d{4}))?";
/// `Quyết định số 3241/QĐ-UBND ngày 26/10/2020`, `Nghị quyết 02/NQ-CP`.
static RE_REFERENCE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"(?P<kind>{KINDS})\s+(?:số\s+)?{DOC_NUMBER}{DOC_DATE}"
    ))
    .unwrap_or_else(|_| never())
});
/// `Kế hoạch tuyên truyền … số 08/KH-SKHĐT ngày 8/02/2021`: the kind stands further back.
static RE_NUMBERED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(r"\bsố\s+{DOC_NUMBER}{DOC_DATE}")).unwrap_or_else(|_| never())
});
static RE_KIND: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(&format!("(?i)({KINDS})")).unwrap_or_else(|_| never()));

static RE_BEFORE_DATE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:trước|chậm nhất|hạn chót|không muộn hơn|đến)\s+ngày\s+(?P<d>\d{1,2})\s*(?:/|-|tháng)\s*(?P<m>\d{1,2})\s*(?:/|-|năm)\s*(?P<y>\d{4})")
        .unwrap_or_else(|_| never())
});
static RE_QUARTER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"trong quý\s+(?P<q>IV|III|II|I|[1-4])\b(?:\s+năm\s+(?P<y>\d{4}))?")
        .unwrap_or_else(|_| never())
});
static RE_SUBJECT_YEAR: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\bnăm\s+(?P<y>\d{4})\b").unwrap_or_else(|_| never()));
static RE_PERIOD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"giai đoạn\s+(?P<a>\d{4})\s*[-–]\s*(?P<b>\d{4})").unwrap_or_else(|_| never())
});
static RE_IN_YEAR: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:trong|cuối)\s+năm\s+(?P<y>\d{4})").unwrap_or_else(|_| never())
});

/// Compile-time constant patterns cannot fail; this keeps the code free of `unwrap`.
fn never() -> Regex {
    #[expect(clippy::unwrap_used, reason = "the empty pattern is always valid")]
    Regex::new("").unwrap()
}

const TYPES: [(&str, &str); 10] = [
    ("THÔNG BÁO", "TB"),
    ("KẾ HOẠCH", "KH"),
    ("CHỈ THỊ", "CT"),
    ("QUYẾT ĐỊNH", "QĐ"),
    ("CÔNG VĂN", "CV"),
    ("BÁO CÁO", "BC"),
    ("CHƯƠNG TRÌNH", "CTr"),
    ("HƯỚNG DẪN", "HD"),
    ("TỜ TRÌNH", "TTr"),
    ("THÔNG TƯ", "TT"),
];

const AUTHORITIES: [&str; 5] = ["KT.", "TM.", "Q.", "TL.", "TUQ."];

/// One paragraph of the source with its line number.
#[derive(Debug, Clone)]
struct Para {
    line: usize,
    text: String,
}

fn paragraphs(text: &str) -> Vec<Para> {
    let text = nfc(text.strip_prefix('\u{feff}').unwrap_or(text));
    text.replace("\r\n", "\n")
        .replace('\r', "\n")
        .lines()
        .enumerate()
        .map(|(i, l)| Para {
            line: i + 1,
            text: clean(l),
        })
        .filter(|p| !p.text.is_empty())
        .collect()
}

/// Collapses spaces and strips Markdown-ish emphasis left by converters (`**`, `*…*`).
fn clean(line: &str) -> String {
    let t = line.replace("**", "").replace('\u{a0}', " ");
    let t = t.split_whitespace().collect::<Vec<_>>().join(" ");
    t.trim().to_string()
}

fn ends_sentence(s: &str) -> bool {
    s.ends_with(['.', ';', ':', '!', '?', ')']) || s.ends_with("./.")
}

fn starts_lower(s: &str) -> bool {
    s.chars().next().is_some_and(char::is_lowercase)
}

fn iso(y: &str, m: Option<&str>, d: Option<&str>) -> Option<String> {
    let y: i32 = y.parse().ok()?;
    match (
        m.and_then(|m| m.parse::<u8>().ok()),
        d.and_then(|d| d.parse::<u8>().ok()),
    ) {
        (Some(m), Some(d)) => crate::text::Date::new(y, m, d).map(crate::text::Date::to_iso),
        (Some(m), None) if (1..=12).contains(&m) => Some(format!("{y:04}-{m:02}")),
        _ => Some(format!("{y:04}")),
    }
}

fn is_type_line(s: &str) -> Option<&'static str> {
    let up = s.trim_end_matches(':').trim();
    TYPES.iter().find(|(t, _)| up == *t).map(|(_, abbr)| *abbr)
}

fn roman(s: &str) -> bool {
    crate::code::roman_value(s).is_some()
}

/// Units matched by name: exact folded name, with or without a leading `Phòng`.
struct Resolver<'a> {
    units: &'a [KnownUnit],
}

fn strip_phong(f: &str) -> &str {
    f.strip_prefix("phong ").unwrap_or(f)
}

impl Resolver<'_> {
    fn exact(&self, name: &str) -> Option<&KnownUnit> {
        let f = fold(name.trim().trim_end_matches([':', '.', ';']));
        let f = f.trim();
        self.units.iter().find(|u| {
            let uf = fold(&u.name);
            uf == f || strip_phong(&uf) == strip_phong(f)
        })
    }

    /// Splits `A, B, C` into names, joining comma-separated pieces that form a known name.
    fn split_list(&self, list: &str) -> Vec<(Option<String>, String)> {
        let pieces: Vec<&str> = list
            .trim_end_matches(['.', ':', ';'])
            .split([',', ';'])
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .collect();
        let mut out = Vec::new();
        let mut i = 0;
        while i < pieces.len() {
            let mut matched = None;
            for k in (1..=pieces.len() - i).rev() {
                let joined = pieces[i..i + k].join(", ");
                if let Some(u) = self.exact(&joined) {
                    matched = Some((k, u));
                    break;
                }
            }
            match matched {
                Some((k, u)) => {
                    out.push((Some(u.code.clone()), u.name.clone()));
                    i += k;
                }
                None => {
                    // `và` may join the last two names.
                    out.push((None, pieces[i].to_string()));
                    i += 1;
                }
            }
        }
        out
    }

    /// Units named anywhere in `text` (whole names, folded).
    fn named_in(&self, text: &str) -> Vec<&KnownUnit> {
        let f = format!(
            " {} ",
            fold(text).replace([',', '.', ';', ':', '(', ')'], " ")
        );
        let f = f.split_whitespace().collect::<Vec<_>>().join(" ");
        let f = format!(" {f} ");
        let mut found: Vec<(usize, &KnownUnit)> = self
            .units
            .iter()
            .filter_map(|u| {
                let uf = fold(&u.name).replace([',', '.'], " ");
                let uf = uf.split_whitespace().collect::<Vec<_>>().join(" ");
                f.find(&format!(" {uf} ")).map(|p| (p, u))
            })
            .collect();
        found.sort_by_key(|(p, _)| *p);
        found.into_iter().map(|(_, u)| u).collect()
    }
}

#[derive(Debug)]
struct Draft {
    reference: String,
    section: Option<String>,
    section_all: bool,
    heading: Option<(String, Vec<(Option<String>, String)>)>,
    text: String,
    line: usize,
}

/// Reads a directive's text. `units` resolves division names (may be empty).
pub fn parse_directive(text: &str, units: &[KnownUnit]) -> Result<Directive, DirectiveError> {
    let paras = paragraphs(text);
    let resolver = Resolver { units };
    let mut d = Directive {
        doc_type: None,
        number: None,
        symbol: None,
        issuer: None,
        place: None,
        date: None,
        subject: None,
        signer: None,
        recipients: Vec::new(),
        items: Vec::new(),
        warnings: Vec::new(),
    };

    // ---- header: up to the subject line (or the first section/item) ----
    let mut i = 0;
    let mut body_start = None;
    while i < paras.len() {
        let t = &paras[i].text;
        if let Some(c) = RE_NUMBER.captures(t) {
            d.number = c.name("num").and_then(|m| m.as_str().parse().ok());
            d.symbol = c
                .name("sym")
                .map(|m| m.as_str().trim().to_string())
                .filter(|s| !s.is_empty());
        } else if let Some(c) = RE_PLACE_DATE.captures(t) {
            d.place = Some(c["place"].trim().to_string());
            d.date = iso(
                &c["y"],
                c.name("m").map(|m| m.as_str()),
                c.name("d").map(|m| m.as_str()),
            );
        } else if let Some(abbr) = is_type_line(t) {
            d.doc_type = Some(abbr.to_string());
            // A KẾ HOẠCH or QUYẾT ĐỊNH often puts its summary on the next line, without V/v.
            if let Some(next) = paras.get(i + 1)
                && d.subject.is_none()
                && !next.text.starts_with("V/v")
                && !next.text.starts_with("Căn cứ")
                && !RE_SECTION.is_match(&next.text)
                && !RE_ITEM.is_match(&next.text)
            {
                d.subject = Some(next.text.clone());
                i += 1;
            }
        } else if let Some(s) = t.strip_prefix("V/v").or_else(|| t.strip_prefix("V/V")) {
            d.subject = Some(s.trim_start_matches([':', ' ']).trim().to_string());
        } else if RE_SECTION.is_match(t) || RE_ITEM.is_match(t) || t.starts_with("Căn cứ") {
            body_start = Some(i);
            break;
        } else if d.issuer.is_none()
            && d.doc_type.is_none()
            && t.chars().filter(|c| c.is_uppercase()).count() * 2
                > t.chars().filter(|c| c.is_alphabetic()).count()
            && !fold(t).starts_with("cong hoa")
            && !fold(t).starts_with("doc lap")
        {
            d.issuer = Some(t.clone());
        }
        i += 1;
    }
    if d.doc_type.is_none() {
        d.doc_type = d
            .symbol
            .as_deref()
            .and_then(|s| s.split(['-', '/']).next())
            .filter(|s| !s.is_empty())
            .map(str::to_string);
    }
    let Some(start) = body_start else {
        return Err(DirectiveError::NoBody);
    };

    // ---- end of body: recipients and signer ----
    let end = paras[start..]
        .iter()
        .position(|p| fold(&p.text).starts_with("noi nhan"))
        .map_or(paras.len(), |p| start + p);
    let mut body_end = end;
    // The signer block may stand before or after `Nơi nhận`.
    let signer_at = paras[start..]
        .iter()
        .position(|p| {
            AUTHORITIES.iter().any(|a| p.text.starts_with(a))
                || (p.text.chars().all(|c| !c.is_lowercase())
                    && ["GIÁM ĐỐC", "CHỦ TỊCH", "TRƯỞNG", "CHÁNH VĂN PHÒNG"]
                        .iter()
                        .any(|k| p.text.contains(k))
                    && p.text.len() < 60)
        })
        .map(|p| start + p);
    if let Some(s) = signer_at {
        body_end = body_end.min(s);
        d.signer = Some(read_signer(&paras[s..]));
    }
    if end < paras.len() {
        let mut j = end;
        let first = paras[end]
            .text
            .split_once(':')
            .map(|(_, r)| r.trim())
            .unwrap_or_default();
        if !first.is_empty() {
            d.recipients.push(
                first
                    .trim_start_matches(['-', '–', '•'])
                    .trim()
                    .trim_end_matches([';', '.'])
                    .to_string(),
            );
        }
        j += 1;
        while j < paras.len() {
            let t = &paras[j].text;
            if !t.starts_with(['-', '–', '•', '+']) {
                break;
            }
            let r = t
                .trim_start_matches(['-', '–', '•', '+'])
                .trim()
                .trim_end_matches([';', '.', ','])
                .trim();
            if !r.is_empty() {
                d.recipients.push(r.to_string());
            }
            j += 1;
        }
    }

    // ---- body: sections, items, sub-items, continuations ----
    let doc_year = d
        .date
        .as_deref()
        .and_then(|s| s.get(..4))
        .and_then(|y| y.parse::<i32>().ok());
    // Deadlines without a year ("trong quý II") fall in the year the plan is for: a plan
    // "… năm 2021" signed on 22/12/2020 means 2021's second quarter. The subject's year
    // counts when it is the document's year or the next; otherwise the document's year.
    let planned = d
        .subject
        .as_deref()
        .and_then(|s| RE_SUBJECT_YEAR.captures(s))
        .and_then(|c| c["y"].parse::<i32>().ok());
    let year = match (doc_year, planned) {
        (Some(dy), Some(py)) if py == dy || py == dy + 1 => Some(py),
        (None, p) => p,
        (dy, _) => dy,
    };
    let mut drafts: Vec<Draft> = Vec::new();
    let mut section: Option<(String, String, bool)> = None; // (roman, title, all)
    let mut item_no: Option<(String, String, usize)> = None; // (number, text, line) of the open numbered item
    let mut item_has_subs = false;
    let mut sub_no = 0usize;
    let mut heading: Option<(String, Vec<(Option<String>, String)>)> = None;
    let mut last_was_item = false;
    let mut seen_marker = false;

    let flush_item = |drafts: &mut Vec<Draft>,
                      item_no: &mut Option<(String, String, usize)>,
                      has_subs: bool,
                      section: &Option<(String, String, bool)>| {
        if let Some((n, t, line)) = item_no.take()
            && !has_subs
        {
            let reference = match section {
                Some((r, _, _)) => format!("{r}.{n}"),
                None => n,
            };
            drafts.push(Draft {
                reference,
                section: section.as_ref().map(|(_, t, _)| t.clone()),
                section_all: section.as_ref().is_some_and(|(_, _, a)| *a),
                heading: None,
                text: t,
                line,
            });
        }
    };

    for p in &paras[start..body_end] {
        let t = p.text.as_str();
        if let Some(c) = RE_SECTION.captures(t)
            && roman(&c["n"])
        {
            flush_item(&mut drafts, &mut item_no, item_has_subs, &section);
            let title = c["t"].trim().trim_end_matches(':').trim().to_string();
            let all = fold(&title).contains("chung");
            section = Some((c["n"].to_string(), title, all));
            heading = None;
            last_was_item = false;
            seen_marker = true;
            continue;
        }
        if let Some(c) = RE_ITEM.captures(t) {
            flush_item(&mut drafts, &mut item_no, item_has_subs, &section);
            item_no = Some((c["n"].to_string(), c["t"].trim().to_string(), p.line));
            item_has_subs = false;
            sub_no = 0;
            heading = None;
            last_was_item = true;
            seen_marker = true;
            continue;
        }
        if let Some(c) = RE_SUB.captures(t) {
            seen_marker = true;
            let text = c["t"].trim().to_string();
            if item_no.is_some() && !item_has_subs {
                item_has_subs = true;
                // The numbered item becomes the heading of its sub-items.
                if let Some((_, ht, _)) = &item_no {
                    heading = Some(read_heading(ht, &resolver));
                }
            }
            sub_no += 1;
            let num = match (&item_no, &section) {
                (Some((n, _, _)), Some((r, _, _))) => format!("{r}.{n}.{sub_no}"),
                (Some((n, _, _)), None) => format!("{n}.{sub_no}"),
                (None, Some((r, _, _))) => format!("{r}.{sub_no}"),
                (None, None) => sub_no.to_string(),
            };
            drafts.push(Draft {
                reference: num,
                section: section.as_ref().map(|(_, t, _)| t.clone()),
                section_all: section.as_ref().is_some_and(|(_, _, a)| *a),
                heading: heading.clone(),
                text,
                line: p.line,
            });
            last_was_item = false;
            continue;
        }
        // A paragraph without a marker: the rest of a broken sentence, or stray text.
        let continues = !seen_marker
            || (starts_lower(t)
                && (if last_was_item {
                    item_no.as_ref().is_some_and(|(_, x, _)| !ends_sentence(x))
                } else {
                    drafts.last().is_some_and(|x| !ends_sentence(&x.text))
                }));
        if !seen_marker {
            continue; // preamble (Căn cứ…, context) before the first marker
        }
        if continues {
            if last_was_item {
                if let Some((_, x, _)) = item_no.as_mut() {
                    x.push(' ');
                    x.push_str(t);
                }
            } else if let Some(last) = drafts.last_mut() {
                last.text.push(' ');
                last.text.push_str(t);
            }
        } else if !is_closing(t) {
            d.warnings.push(format!(
                "dòng {}: đoạn không thuộc mục nào: {}",
                p.line,
                shorten(t)
            ));
        }
    }
    flush_item(&mut drafts, &mut item_no, item_has_subs, &section);
    if drafts.is_empty() {
        return Err(DirectiveError::NoBody);
    }

    d.items = drafts
        .into_iter()
        .map(|dr| finish_item(dr, &resolver, year))
        .collect();
    Ok(d)
}

fn is_closing(t: &str) -> bool {
    let f = fold(t);
    f.starts_with("tren day") || f.starts_with("noi nhan") || t.ends_with("./.")
}

fn shorten(t: &str) -> String {
    let s: String = t.chars().take(80).collect();
    if s.len() < t.len() {
        format!("{s}…")
    } else {
        s
    }
}

fn read_signer(paras: &[Para]) -> Signer {
    let mut authority = None;
    let mut title = None;
    let mut name = None;
    for p in paras.iter().take(6) {
        let t = p.text.trim();
        if fold(t).starts_with("noi nhan") || t.starts_with(['-', '–']) {
            continue;
        }
        if authority.is_none() && title.is_none() && AUTHORITIES.iter().any(|a| t.starts_with(a)) {
            authority = Some(t.to_string());
        } else if title.is_none() && t.chars().all(|c| !c.is_lowercase()) {
            title = Some(t.to_string());
        } else if title.is_some()
            && name.is_none()
            && t.chars().next().is_some_and(char::is_uppercase)
            && t.split_whitespace().count() <= 6
            && !t.contains(':')
        {
            name = Some(t.to_string());
        }
    }
    // `KT. GIÁM ĐỐC` alone: the title is the next line; a single capital line is the title.
    if title.is_none() && authority.as_deref().is_some_and(|a| !a.contains(' ')) {
        title = authority.take();
    }
    Signer {
        authority,
        title,
        name,
    }
}

/// A division heading: one division (`Văn phòng Sở:`) or a group (`Các phòng: A, B, C`).
fn read_heading(text: &str, resolver: &Resolver<'_>) -> (String, Vec<(Option<String>, String)>) {
    let t = text.trim().trim_end_matches([':', '.']).trim().to_string();
    let f = fold(&t);
    if let Some((head, list)) = t.split_once(':')
        && (fold(head).starts_with("cac phong")
            || fold(head).starts_with("cac don vi")
            || fold(head).starts_with("cac ban"))
    {
        return (t.clone(), resolver.split_list(list));
    }
    if let Some(u) = resolver.exact(&t) {
        return (t.clone(), vec![(Some(u.code.clone()), u.name.clone())]);
    }
    // A heading that merely starts with a division's name (`Phòng Thanh tra (chủ trì):`).
    let named = resolver.named_in(&t);
    if let Some(u) = named.first()
        && fold(&u.name).len() * 2 >= f.len()
    {
        return (t.clone(), vec![(Some(u.code.clone()), u.name.clone())]);
    }
    (t.clone(), vec![(None, t.clone())])
}

fn finish_item(dr: Draft, resolver: &Resolver<'_>, year: Option<i32>) -> Item {
    let mut assignees: Vec<Assignee> = Vec::new();
    let push = |a: &mut Vec<Assignee>, unit: Option<String>, name: String, role: &'static str| {
        if !a
            .iter()
            .any(|x| (x.unit.is_some() && x.unit == unit) || (x.unit.is_none() && x.name == name))
        {
            a.push(Assignee { unit, name, role });
        }
    };
    if !dr.section_all {
        if let Some((_, list)) = &dr.heading {
            for (code, name) in list {
                push(&mut assignees, code.clone(), name.clone(), "lead");
            }
        } else {
            // No heading: the division the text charges.
            let f = fold(&dr.text);
            for u in resolver.named_in(&dr.text) {
                let uf = fold(&u.name);
                let charged =
                    f.contains(&format!("cho {uf}")) || f.contains(&format!("{uf} chu tri"));
                if charged {
                    push(&mut assignees, Some(u.code.clone()), u.name.clone(), "lead");
                }
            }
        }
        // Divisions named after `phối hợp (với)` support.
        let folded = fold(&dr.text);
        let mut rest = folded.as_str();
        while let Some(pos) = rest.find("phoi hop") {
            let after = &rest[pos + "phoi hop".len()..];
            let clause_end = after.find(['.', ';']).unwrap_or(after.len());
            let clause = &after[..clause_end];
            for u in resolver.named_in(clause) {
                push(
                    &mut assignees,
                    Some(u.code.clone()),
                    u.name.clone(),
                    "support",
                );
            }
            rest = after;
        }
    }
    let mut criteria: Vec<String> = Vec::new();
    for c in RE_CRITERION.captures_iter(&dr.text) {
        if let Some(code) = c.name("c").or_else(|| c.name("a")) {
            let code = code.as_str().to_string();
            if !criteria.contains(&code) {
                criteria.push(code);
            }
        }
    }
    let references = references_in(&dr.text);
    let f = fold(&dr.text);
    let recurrence = [
        ("hang tuan", "weekly"),
        ("hang thang", "monthly"),
        ("hang quy", "quarterly"),
        ("hang nam", "yearly"),
        ("dinh ky", "periodic"),
        ("thuong xuyen", "continuous"),
        ("tiep tuc", "continuous"),
    ]
    .iter()
    .find(|(k, _)| f.contains(k))
    .map(|(_, v)| *v);
    Item {
        reference: dr.reference,
        section: dr.section,
        heading: dr.heading.map(|(h, _)| h),
        text: dr.text.clone(),
        all: dr.section_all,
        assignees,
        criteria,
        references,
        recurrence,
        due: due_date(&dr.text, year),
        line: dr.line,
    }
}

/// Every cited document, in order of appearance, each number once.
fn references_in(text: &str) -> Vec<Reference> {
    let date_of = |c: &regex::Captures<'_>| {
        c.name("y").and_then(|y| {
            iso(
                y.as_str(),
                c.name("m").map(|m| m.as_str()),
                c.name("d").map(|m| m.as_str()),
            )
        })
    };
    let mut found: Vec<(usize, Reference)> = Vec::new();
    for c in RE_REFERENCE.captures_iter(text) {
        let start = c.get(0).map_or(0, |m| m.start());
        found.push((
            start,
            Reference {
                kind: c["kind"].to_string(),
                number: c["num"].trim_end_matches(['.', ',', ';', ')']).to_string(),
                date: date_of(&c),
            },
        ));
    }
    for c in RE_NUMBERED.captures_iter(text) {
        let number = c["num"].trim_end_matches(['.', ',', ';', ')']).to_string();
        if found.iter().any(|(_, r)| r.number == number) {
            continue;
        }
        let start = c.get(0).map_or(0, |m| m.start());
        // The kind is the last document word before `số`, within the same clause.
        let clause_start = text[..start].rfind([';', '.']).map_or(0, |p| p + 1);
        let kind = RE_KIND
            .find_iter(&text[clause_start..start])
            .last()
            .map_or_else(
                || "Văn bản".to_string(),
                |m| {
                    let k = m.as_str();
                    let mut cs = k.chars();
                    cs.next().map_or_else(String::new, |f| {
                        f.to_uppercase().collect::<String>() + cs.as_str()
                    })
                },
            );
        found.push((
            start,
            Reference {
                kind,
                number,
                date: date_of(&c),
            },
        ));
    }
    found.sort_by_key(|(p, _)| *p);
    let mut out: Vec<Reference> = Vec::new();
    for (_, r) in found {
        if !out.iter().any(|x| x.number == r.number) {
            out.push(r);
        }
    }
    out
}

/// An explicit deadline in the wording, as `YYYY-MM-DD`.
fn due_date(text: &str, year: Option<i32>) -> Option<String> {
    if let Some(c) = RE_BEFORE_DATE.captures(text) {
        return iso(&c["y"], Some(&c["m"]), Some(&c["d"]));
    }
    if let Some(c) = RE_PERIOD.captures(text) {
        return Some(format!("{}-12-31", &c["b"]));
    }
    if let Some(c) = RE_QUARTER.captures(text) {
        let q = match &c["q"] {
            "I" | "1" => 1,
            "II" | "2" => 2,
            "III" | "3" => 3,
            _ => 4,
        };
        let y = c
            .name("y")
            .and_then(|y| y.as_str().parse::<i32>().ok())
            .or(year)?;
        let (m, d) = [(3, 31), (6, 30), (9, 30), (12, 31)][q - 1];
        return Some(format!("{y:04}-{m:02}-{d:02}"));
    }
    if let Some(c) = RE_IN_YEAR.captures(text) {
        return Some(format!("{}-12-31", &c["y"]));
    }
    None
}
