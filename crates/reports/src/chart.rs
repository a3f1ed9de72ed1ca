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

/// One year of a unit's standing.
pub struct YearRank {
    pub year: i32,
    pub rank: u32,
    pub of: u32,
}

/// A unit's rank per year as a line (first place at the top), each point labelled
/// "11/21"; years without a published rank are left out by the caller.
pub fn rank_chart(title: &str, years: &[YearRank]) -> String {
    let (left, top, plot_h, col_w) = (40_u64, 34_u64, 180_u64, 90_u64);
    let n = u64::try_from(years.len()).unwrap_or(0).max(1);
    let width = left + col_w * n + 20;
    let height = top + plot_h + 40;
    let worst = u64::from(years.iter().map(|y| y.of).max().unwrap_or(1).max(1));
    // Rank 1 at the top, the largest group's last place at the bottom.
    let y = |rank: u32| {
        top + (u64::from(rank).saturating_sub(1)) * plot_h / worst.max(2).saturating_sub(1).max(1)
    };
    let x = |i: u64| left + col_w * i + col_w / 2;
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{t}" viewBox="0 0 {width} {height}" class="chart" font-family="sans-serif" font-size="12"><title>{t}</title><text x="0" y="16" font-weight="bold" font-size="14">{t}</text>"#,
        t = xml_escape(title)
    );
    let _ = write!(
        s,
        r##"<line x1="{left}" y1="{top}" x2="{left}" y2="{b}" stroke="#999"/><text x="{tx}" y="{ty}" text-anchor="end">1</text><text x="{tx}" y="{b}" text-anchor="end">{worst}</text>"##,
        b = top + plot_h,
        tx = left - 4,
        ty = top + 4,
    );
    let points: Vec<String> = years
        .iter()
        .enumerate()
        .map(|(i, r)| format!("{},{}", x(i as u64), y(r.rank)))
        .collect();
    if points.len() > 1 {
        let _ = write!(
            s,
            r##"<polyline points="{}" fill="none" stroke="#2e86c1" stroke-width="2"/>"##,
            points.join(" ")
        );
    }
    for (i, r) in years.iter().enumerate() {
        let (cx, cy) = (x(i as u64), y(r.rank));
        let _ = write!(
            s,
            r##"<circle cx="{cx}" cy="{cy}" r="5" fill="#2e86c1"><title>{year}: {rank}/{of}</title></circle><text x="{cx}" y="{ly}" text-anchor="middle" font-weight="bold">{rank}/{of}</text><text x="{cx}" y="{yy}" text-anchor="middle">{year}</text>"##,
            year = r.year,
            rank = r.rank,
            of = r.of,
            ly = cy.saturating_sub(9).max(top - 2),
            yy = top + plot_h + 24,
        );
    }
    s.push_str("</svg>");
    s
}

/// The colour of a share of the maximum (percent): weak fields stand out in red.
fn heat_fill(pct: Points) -> &'static str {
    let p = pct.thousandths();
    if p >= 90_000 {
        "#1e8449"
    } else if p >= 75_000 {
        "#82e0aa"
    } else if p >= 60_000 {
        "#f7dc6f"
    } else if p >= 40_000 {
        "#f0b27a"
    } else {
        "#e74c3c"
    }
}

/// Units × fields: each cell the share of the field's maximum the unit obtained, coloured
/// from red (weak) to green, with the percentage written in it. `rows` are (unit, share per
/// column); a `None` share is a field the unit has no points in yet.
pub fn heat_map(title: &str, columns: &[String], rows: &[(String, Vec<Option<Points>>)]) -> String {
    let (label_w, top, cell_w, cell_h) = (260_usize, 44_usize, 64_usize, 22_usize);
    let width = label_w + cell_w * columns.len().max(1) + 10;
    let height = top + cell_h * rows.len() + 40;
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{t}" viewBox="0 0 {width} {height}" class="chart heat-map" font-family="sans-serif" font-size="12"><title>{t}</title><text x="0" y="16" font-weight="bold" font-size="14">{t}</text>"#,
        t = xml_escape(title)
    );
    for (j, c) in columns.iter().enumerate() {
        let _ = write!(
            s,
            r#"<text x="{x}" y="{y}" text-anchor="middle" font-weight="bold">{c}</text>"#,
            x = label_w + cell_w * j + cell_w / 2,
            y = top - 8,
            c = xml_escape(c)
        );
    }
    for (i, (unit, shares)) in rows.iter().enumerate() {
        let y = top + cell_h * i;
        let _ = write!(
            s,
            r#"<text x="{lx}" y="{ty}" text-anchor="end">{u}</text>"#,
            lx = label_w - 6,
            ty = y + 15,
            u = xml_escape(unit)
        );
        for (j, share) in shares.iter().enumerate() {
            let x = label_w + cell_w * j;
            match share {
                Some(p) => {
                    let _ = write!(
                        s,
                        r##"<rect x="{x}" y="{y}" width="{w}" height="{h}" fill="{f}" stroke="#fff"><title>{u} · {c}: {v}%</title></rect><text x="{tx}" y="{ty}" text-anchor="middle">{v}</text>"##,
                        w = cell_w,
                        h = cell_h,
                        f = heat_fill(*p),
                        u = xml_escape(unit),
                        c = xml_escape(columns.get(j).map_or("", String::as_str)),
                        v = p.to_vi(0),
                        tx = x + cell_w / 2,
                        ty = y + 15,
                    );
                }
                None => {
                    let _ = write!(
                        s,
                        r##"<rect x="{x}" y="{y}" width="{cell_w}" height="{cell_h}" fill="#eee" stroke="#fff"/>"##
                    );
                }
            }
        }
    }
    // The legend.
    let ly = top + cell_h * rows.len() + 18;
    for (k, (label, pct)) in [
        ("≥ 90%", 90),
        ("≥ 75%", 75),
        ("≥ 60%", 60),
        ("≥ 40%", 40),
        ("< 40%", 0),
    ]
    .iter()
    .enumerate()
    {
        let lx = label_w + k * 80;
        let _ = write!(
            s,
            r#"<rect x="{lx}" y="{ry}" width="14" height="14" fill="{f}"/><text x="{tx}" y="{ty}">{label}</text>"#,
            ry = ly - 11,
            f = heat_fill(Points::from_thousandths(pct * 1000)),
            tx = lx + 18,
            ty = ly,
        );
    }
    s.push_str("</svg>");
    s
}

/// One month of the dossier trend chart.
pub struct MonthBar {
    /// `MM/YYYY`.
    pub label: String,
    pub on_time: u64,
    pub late: u64,
    pub pending: u64,
    /// On-time rate in hundredths of a percent (`9267` = 92,67%), when anything finished.
    pub rate_hundredths: Option<u64>,
    /// Where a click on the month leads (its dossiers).
    pub link: String,
}

/// Monthly trend of dossiers: stacked bars (finished on time or early, late, still in
/// process) on the left axis, the on-time rate as a line on the right axis (0–100 %).
pub fn month_chart(title: &str, months: &[MonthBar]) -> String {
    let (left, top, plot_h, col_w, right) = (48_u64, 34_u64, 200_u64, 46_u64, 56_u64);
    let n = u64::try_from(months.len()).unwrap_or(0);
    let width = left + col_w * n.max(1) + right;
    let height = top + plot_h + 56;
    let peak = months
        .iter()
        .map(|m| m.on_time + m.late + m.pending)
        .max()
        .unwrap_or(0)
        .max(1);
    let y = |v: u64| top + plot_h - v * plot_h / peak;
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="month-chart" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" aria-label="{t}"><title>{t}</title>"#,
        t = xml_escape(title)
    );
    let _ = write!(
        s,
        r##"<text x="{left}" y="18" class="chart-title">{}</text><line x1="{left}" y1="{b}" x2="{r}" y2="{b}" stroke="#888"/><text x="{lx}" y="{ty}" text-anchor="end" font-size="11">{peak}</text><text x="{lx}" y="{b}" text-anchor="end" font-size="11">0</text><text x="{rx}" y="{ty}" font-size="11">100%</text><text x="{rx}" y="{b}" font-size="11">0%</text>"##,
        xml_escape(title),
        b = top + plot_h,
        r = left + col_w * n.max(1),
        lx = left - 4,
        rx = left + col_w * n.max(1) + 4,
        ty = top + 4,
    );
    let mut points = Vec::new();
    for (i, m) in (0_u64..).zip(months) {
        let x = left + i * col_w + 6;
        let w = col_w - 12;
        let mut base = 0;
        let _ = write!(
            s,
            r#"<a href="{}" class="month" data-month="{}"><title>{}: {} đúng hạn/trước hạn, {} trễ hạn, {} đang giải quyết</title>"#,
            xml_escape(&m.link),
            xml_escape(&m.label),
            xml_escape(&m.label),
            m.on_time,
            m.late,
            m.pending
        );
        for (v, class, color) in [
            (m.on_time, "on-time", "#2e7d32"),
            (m.late, "late", "#c62828"),
            (m.pending, "pending", "#9e9e9e"),
        ] {
            if v > 0 {
                let _ = write!(
                    s,
                    r#"<rect class="{class}" x="{x}" y="{}" width="{w}" height="{}" fill="{color}"/>"#,
                    y(base + v),
                    y(base) - y(base + v)
                );
            }
            base += v;
        }
        s.push_str("</a>");
        let _ = write!(
            s,
            r#"<text x="{}" y="{}" text-anchor="middle" font-size="10">{}</text>"#,
            x + w / 2,
            top + plot_h + 14,
            xml_escape(m.label.get(..2).unwrap_or(&m.label))
        );
        if let Some(r) = m.rate_hundredths {
            points.push(format!(
                "{},{}",
                x + w / 2,
                top + plot_h - r.min(10_000) * plot_h / 10_000
            ));
        }
    }
    if !points.is_empty() {
        let _ = write!(
            s,
            r##"<polyline class="rate" points="{}" fill="none" stroke="#1565c0" stroke-width="2"/>"##,
            points.join(" ")
        );
    }
    let ly = top + plot_h + 34;
    let _ = write!(
        s,
        r##"<g font-size="11"><rect x="{left}" y="{}" width="10" height="10" fill="#2e7d32"/><text x="{}" y="{ly}">Đúng hạn, trước hạn</text><rect x="{}" y="{}" width="10" height="10" fill="#c62828"/><text x="{}" y="{ly}">Trễ hạn</text><rect x="{}" y="{}" width="10" height="10" fill="#9e9e9e"/><text x="{}" y="{ly}">Đang giải quyết</text><line x1="{}" y1="{}" x2="{}" y2="{}" stroke="#1565c0" stroke-width="2"/><text x="{}" y="{ly}">Tỷ lệ đúng hạn (trục phải)</text></g>"##,
        ly - 9,
        left + 14,
        left + 150,
        ly - 9,
        left + 164,
        left + 230,
        ly - 9,
        left + 244,
        left + 360,
        ly - 4,
        left + 380,
        ly - 4,
        left + 384,
    );
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

    #[test]
    fn months_stack_their_dossiers_and_draw_the_rate() {
        let months = [
            MonthBar {
                label: "01/2021".into(),
                on_time: 90,
                late: 10,
                pending: 0,
                rate_hundredths: Some(9000),
                link: "/units/SKHDT/dossiers/list?month=2021-01&filter=received".into(),
            },
            MonthBar {
                label: "02/2021".into(),
                on_time: 0,
                late: 0,
                pending: 50,
                rate_hundredths: None,
                link: "/x?a=1&b=2".into(),
            },
        ];
        let svg = month_chart("Hồ sơ <SKHDT>", &months);
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(svg.contains("Hồ sơ &lt;SKHDT&gt;"));
        assert_eq!(svg.matches(r#"class="on-time""#).count(), 1);
        assert_eq!(svg.matches(r#"class="late""#).count(), 1);
        assert_eq!(svg.matches(r#"class="pending""#).count(), 1);
        assert!(svg.contains(r#"href="/x?a=1&amp;b=2""#));
        // The tallest month (100) fills the plot: 90 on time from the baseline up.
        assert!(
            svg.contains(r#"class="on-time" x="54" y="54" width="34" height="180""#),
            "{svg}"
        );
        // One month with a rate: a one-point line at 90 % of the height.
        assert!(
            svg.contains(r#"<polyline class="rate" points="71,54""#),
            "{svg}"
        );
    }
}
