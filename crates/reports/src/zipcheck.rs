//! Checks on ZIP-based files (XLSX workbooks, DOCX documents) before anything reads them.
//!
//! A ZIP declares sizes and counts that nothing forces to be true: an entry of a few
//! hundred bytes may inflate to gigabytes, and `xl/sharedStrings.xml` may declare
//! `uniqueCount="10000000000000000"`, for which calamine reserves memory up front (a
//! failed allocation aborts the process; it is not a panic that could be caught). So every
//! entry is read here first, through `Read::take`, counting what it really inflates to,
//! and a declared count that the entry's own content does not bear out is refused. Only
//! then is the file handed to calamine.
//!
//! The limits:
//! - at most [`MAX_ENTRIES`] entries;
//! - all entries together inflate to at most [`RATIO`] times the file's own size, but never
//!   less than [`FLOOR`] nor more than [`CEILING`] (ordinary workbooks inflate 5 to 20
//!   times; a ratio of 100 leaves room for very repetitive sheets and refuses bombs, which
//!   inflate a thousand times and more);
//! - the shared strings, which calamine keeps in memory, at most [`MAX_SHARED_STRINGS`];
//! - the declared `uniqueCount` at most twice the `<si>` items actually present, plus
//!   [`COUNT_SLACK`].

use std::io::{BufReader, Read, Seek, SeekFrom};

use quick_xml::Reader;
use quick_xml::events::Event;

/// Entries in one archive.
pub const MAX_ENTRIES: usize = 10_000;
/// Inflated bytes allowed per byte of the file.
pub const RATIO: u64 = 100;
/// Inflated bytes always allowed, however small the file.
pub const FLOOR: u64 = 64 * 1024 * 1024;
/// Inflated bytes never allowed, however large the file.
pub const CEILING: u64 = 4 * 1024 * 1024 * 1024;
/// Inflated size of the shared strings part.
pub const MAX_SHARED_STRINGS: u64 = 256 * 1024 * 1024;
/// A declared count may exceed twice the items present by this much (writers that count
/// loosely), no more.
pub const COUNT_SLACK: u64 = 1_000;

/// How many inflated bytes an archive of `file_len` bytes may hold.
pub fn total_cap(file_len: u64) -> u64 {
    file_len.saturating_mul(RATIO).clamp(FLOOR, CEILING)
}

/// Counts the bytes read through it.
struct Counting<R> {
    inner: R,
    n: u64,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let k = self.inner.read(buf)?;
        self.n += k as u64;
        Ok(k)
    }
}

fn too_large(name: &str, cap: u64) -> String {
    format!(
        "tệp nén quá lớn khi giải nén: phần `{name}` vượt giới hạn {} MB",
        cap / (1024 * 1024)
    )
}

/// Reads one part of an archive whole, refusing it when it inflates to more than `cap`
/// bytes (rather than cutting it short).
pub fn read_part<R: Read + Seek>(
    archive: &mut zip::ZipArchive<R>,
    name: &str,
    cap: u64,
) -> Result<Option<Vec<u8>>, String> {
    let file = match archive.by_name(name) {
        Ok(f) => f,
        Err(zip::result::ZipError::FileNotFound) => return Ok(None),
        Err(e) => return Err(format!("không đọc được phần `{name}` trong tệp nén: {e}")),
    };
    let mut out = Vec::new();
    file.take(cap.saturating_add(1))
        .read_to_end(&mut out)
        .map_err(|e| format!("không đọc được phần `{name}` trong tệp nén: {e}"))?;
    if out.len() as u64 > cap {
        return Err(too_large(name, cap));
    }
    Ok(Some(out))
}

/// The `uniqueCount` the shared strings declare (when they do) and how many `<si>` items
/// they hold.
fn shared_string_counts<R: Read>(r: R) -> Result<(Option<String>, u64), String> {
    let mut xml = Reader::from_reader(BufReader::new(r));
    xml.config_mut().check_end_names = false;
    let mut buf = Vec::new();
    let mut declared = None;
    let mut items: u64 = 0;
    loop {
        buf.clear();
        match xml.read_event_into(&mut buf) {
            Ok(Event::Start(e) | Event::Empty(e)) => match e.local_name().as_ref() {
                "sst" => {
                    if let Ok(Some(a)) = e.try_get_attribute("uniqueCount") {
                        declared = Some(a.value.into_owned());
                    }
                }
                "si" => items += 1,
                _ => {}
            },
            Ok(Event::Eof) => return Ok((declared, items)),
            Err(e) => return Err(format!("phần chuỗi dùng chung không hợp lệ: {e}")),
            Ok(_) => {}
        }
    }
}

/// Reads every entry of the workbook `input` within the limits above and refuses it when
/// one is exceeded; `input` is left at its start.
pub fn check_xlsx<R: Read + Seek>(input: &mut R) -> Result<(), String> {
    let len = input
        .seek(SeekFrom::End(0))
        .map_err(|e| format!("không đọc được tệp: {e}"))?;
    input
        .rewind()
        .map_err(|e| format!("không đọc được tệp: {e}"))?;
    let total = total_cap(len);
    let mut left = total;
    {
        let mut archive = zip::ZipArchive::new(&mut *input)
            .map_err(|e| format!("không đọc được tệp XLSX (không mở được như tệp nén): {e}"))?;
        if archive.len() > MAX_ENTRIES {
            return Err(format!(
                "tệp nén có {} phần, vượt giới hạn {MAX_ENTRIES}",
                archive.len()
            ));
        }
        for i in 0..archive.len() {
            let entry = archive
                .by_index(i)
                .map_err(|e| format!("không đọc được phần thứ {} trong tệp nén: {e}", i + 1))?;
            let name = entry
                .name()
                .map_err(|e| format!("tên phần thứ {} trong tệp nén không đọc được: {e}", i + 1))?
                .into_owned();
            let shared = name
                .replace('\\', "/")
                .to_ascii_lowercase()
                .ends_with("sharedstrings.xml");
            let cap = if shared {
                left.min(MAX_SHARED_STRINGS)
            } else {
                left
            };
            let refuse = |name: &str| {
                if cap == left {
                    format!(
                        "tệp nén quá lớn khi giải nén: vượt giới hạn {} MB (đến phần `{name}`)",
                        total / (1024 * 1024)
                    )
                } else {
                    too_large(name, cap)
                }
            };
            let mut counted = Counting {
                inner: entry.take(cap.saturating_add(1)),
                n: 0,
            };
            let read_err = |e: std::io::Error| format!("không đọc được phần `{name}`: {e}");
            if shared {
                let (declared, items) = shared_string_counts(&mut counted)?;
                // The rest of the part, if the XML ended early.
                std::io::copy(&mut counted, &mut std::io::sink()).map_err(read_err)?;
                if counted.n > cap {
                    return Err(refuse(&name));
                }
                if let Some(d) = declared {
                    let bound = items.saturating_mul(2).saturating_add(COUNT_SLACK);
                    if d.trim().parse::<u64>().map_or(true, |d| d > bound) {
                        return Err(format!(
                            "phần `{name}` khai báo {d} chuỗi nhưng chỉ có {items}; tệp bị hỏng \
                             hoặc được tạo để làm treo máy chủ"
                        ));
                    }
                }
            } else {
                std::io::copy(&mut counted, &mut std::io::sink()).map_err(read_err)?;
                if counted.n > cap {
                    return Err(refuse(&name));
                }
            }
            left -= counted.n;
        }
    }
    input
        .rewind()
        .map_err(|e| format!("không đọc được tệp: {e}"))?;
    Ok(())
}

/// Runs `f`, turning a panic in a reader of untrusted bytes (an arithmetic overflow on an
/// absurd cell reference, say) into an error.
pub fn no_panic<T>(what: &str, f: impl FnOnce() -> Result<T, String>) -> Result<T, String> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f))
        .unwrap_or_else(|_| Err(format!("{what} hỏng, không đọc được")))
}
