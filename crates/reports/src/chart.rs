//! Server-drawn SVG charts (no JavaScript).

use std::fmt::Write as _;

use parindex_domain::Points;

pub struct Bar {
    pub label: String,
    pub value: Points,
    pub highlight: bool,
}

/// Escapes text for XML.
pub fn xml_escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

/// A horizontal bar chart, one bar per row, values shown Vietnamese-style (`85,620`).
pub fn bar_chart(title: &str, bars: &[Bar], max: Points, precision: u8) -> String {
    let row_h = 22;
    let label_w = 300;
    let bar_w = 420;
    let value_w = 80;
    let top = 30;
    let height = top + row_h * bars.len() + 10;
    let width = label_w + bar_w + value_w;
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{t}" viewBox="0 0 {width} {height}" class="chart" font-family="sans-serif" font-size="12">"#,
        t = xml_escape(title)
    );
    let _ = write!(s, "<title>{}</title>", xml_escape(title));
    let _ = write!(
        s,
        r#"<text x="0" y="16" font-weight="bold" font-size="14">{}</text>"#,
        xml_escape(title)
    );
    let max_t = max.thousandths().max(1);
    for (i, b) in bars.iter().enumerate() {
        let y = top + i * row_h;
        let v = b.value.thousandths().clamp(0, max_t);
        let w = i64::try_from(bar_w).unwrap_or(0) * v / max_t;
        let fill = if b.highlight { "#c0392b" } else { "#2e86c1" };
        let _ = write!(
            s,
            r#"<text x="{lx}" y="{ty}" text-anchor="end">{l}</text><rect x="{bx}" y="{ry}" width="{w}" height="{h}" fill="{fill}"><title>{l}: {v}</title></rect><text x="{vx}" y="{ty}">{v}</text>"#,
            lx = label_w - 6,
            ty = y + 15,
            l = xml_escape(&b.label),
            bx = label_w,
            ry = y + 3,
            h = row_h - 6,
            vx = label_w + usize::try_from(w).unwrap_or(0) + 4,
            v = b.value.to_vi(precision),
        );
    }
    s.push_str("</svg>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_bars_with_vietnamese_numbers() {
        let bars = [
            Bar {
                label: "Sở Tài chính".into(),
                value: Points::from_thousandths(92_450),
                highlight: false,
            },
            Bar {
                label: "Sở <KH&ĐT>".into(),
                value: Points::from_thousandths(85_620),
                highlight: true,
            },
        ];
        let svg = bar_chart("Xếp hạng", &bars, Points::from_whole(100), 3);
        assert!(svg.starts_with("<svg"));
        assert!(svg.contains("85,620"));
        assert!(svg.contains("Sở &lt;KH&amp;ĐT&gt;"));
        assert_eq!(svg.matches("<rect").count(), 2);
    }
}
