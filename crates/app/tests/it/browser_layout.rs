//! The main pages in headless Chromium, in Vietnamese and in English, for the demo's roles:
//! at 390 px and at 1366 px of viewport width the page never scrolls sideways (a wide table
//! may scroll inside its own box), no table heading is squeezed so narrow that a word of it
//! breaks across lines, and axe-core finds no serious or critical violation.
//! A screenshot of each page at each width is kept in `artifacts/` (`layout-…png`).
//!
//! axe-core comes from npm (`npm ci --prefix tools/axe`); without it the axe half is skipped
//! with a message, unless `CI=true`, where it is required (like chromedriver).

use std::time::Duration;

use fantoccini::{Client, Locator};
use serde_json::Value;

use crate::browser::{Step, click_and_wait, connect, e, fill, shot, start_driver};
use crate::common::run;

/// The viewport widths checked, in CSS pixels: a phone and a common laptop.
const WIDTHS: [i64; 2] = [390, 1366];
const HEIGHT: i64 = 900;

/// Who signs in (empty: nobody) and the pages that account opens.
const PAGES: &[(&str, &[&str])] = &[
    (
        "",
        &[
            "/login",
            "/sets/brvt-so-2020/ranking",
            "/sets/brvt-so-2020/units/SKHDT",
        ],
    ),
    (
        "vp.skhdt",
        &[
            "/",
            "/sets/brvt-so-2021/units/SKHDT/assess",
            "/units/SKHDT/tasks",
            "/units/SKHDT/dossiers",
            "/units/SKHDT/dossiers/list",
            "/units/SKHDT/dossiers/report?year=2020&period=q2",
            "/units/SKHDT/dossiers/report/list?year=2020&period=q2&key=resolved_late",
            "/units/SKHDT/procedures?year=2020",
            "/units/SKHDT/indicators?year=2021",
            "/calendar",
        ],
    ),
    ("gd.skhdt", &["/", "/units/SKHDT/brief"]),
    ("nv.dtpt", &["/"]),
    ("thamdinh", &["/"]),
    (
        "snv",
        &[
            "/",
            "/sets/brvt-so-2021/cycle",
            "/sets/brvt-so-2021/mapping",
            "/indicators",
            "/indicators/website_posts?year=2021",
            "/sets/brvt-so-2021/units/SKHDT/years",
            "/units?all=1",
            "/sets/hcm-xa-2025/ranking",
            "/sets/hcm-xa-2025/units/HCM-VUNGTAU/years",
            "/dossiers",
            "/dossiers/report?year=2020&period=year",
            "/procedures?year=2020",
        ],
    ),
    ("admin", &["/", "/admin/users"]),
];

/// axe-core's browser build, or `None` (with a message) when it is not installed outside CI.
fn axe_source() -> Option<String> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tools/axe/node_modules/axe-core/axe.min.js");
    match std::fs::read_to_string(&path) {
        Ok(src) => Some(src),
        Err(err) => {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "axe-core is required under CI=true (npm ci --prefix tools/axe): {}: {err}",
                path.display()
            );
            eprintln!(
                "skipping the axe-core checks: {}: {err} (run `npm ci --prefix tools/axe`)",
                path.display()
            );
            None
        }
    }
}

async fn sign_in(c: &Client, base: &str, user: &str) -> Step {
    c.goto(&format!("{base}/login")).await.map_err(e)?;
    c.delete_all_cookies().await.map_err(e)?;
    if user.is_empty() {
        return Ok(());
    }
    c.goto(&format!("{base}/login")).await.map_err(e)?;
    fill(c, "#username", user).await?;
    fill(c, "#password", "parindex-demo").await?;
    click_and_wait(c, "main form button[type=submit]").await?;
    c.find(Locator::Css("header form.inline"))
        .await
        .map(|_| ())
        .map_err(|_| format!("{user} could not sign in"))
}

async fn js_i64(c: &Client, script: &str) -> Result<i64, String> {
    c.execute(script, vec![])
        .await
        .map_err(e)?
        .as_i64()
        .ok_or_else(|| format!("{script}: not a number"))
}

/// Sizes the window so that `window.innerWidth` is exactly `width`.
async fn set_inner_width(c: &Client, width: i64) -> Step {
    let mut outer = width;
    for _ in 0..4 {
        c.set_window_size(
            u32::try_from(outer).map_err(e)?,
            u32::try_from(HEIGHT).map_err(e)?,
        )
        .await
        .map_err(e)?;
        let inner = js_i64(c, "return window.innerWidth").await?;
        if inner == width {
            return Ok(());
        }
        outer += width - inner;
    }
    Err(format!("could not make the viewport {width} px wide"))
}

/// The page's scroll width, the viewport's widths with and without the vertical scroll bar
/// (this Chromium draws a classic one, 15 px wide, on long pages), and the outermost elements
/// that stick out to the right of the page's box outside any box that scrolls or clips them.
const OVERFLOW: &str = r"
const w = document.documentElement.clientWidth;
const clipped = (el) => {
  for (let p = el.parentElement; p && p !== document.documentElement; p = p.parentElement) {
    if (getComputedStyle(p).overflowX !== 'visible') return true;
  }
  return false;
};
const sticks = (el) => el.getBoundingClientRect().right > w + 0.5 && !clipped(el);
const name = (el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
  + [...el.classList].map((k) => '.' + k).join('');
const out = [];
for (const el of document.body.querySelectorAll('*')) {
  if (out.length >= 5) break;
  const r = el.getBoundingClientRect();
  if (r.width === 0 || !sticks(el)) continue;
  if (el.parentElement && el.parentElement !== document.body && sticks(el.parentElement)) {
    // Report the parent only, unless it is just as wide as its content.
    if (el.parentElement.getBoundingClientRect().right >= r.right) continue;
  }
  out.push(name(el) + ' (right ' + Math.round(r.right) + ')');
}
// Text that does not wrap can stick out of a box that itself fits.
const texts = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
for (let t = texts.nextNode(); t && out.length < 5; t = texts.nextNode()) {
  const range = document.createRange();
  range.selectNodeContents(t);
  const r = range.getBoundingClientRect();
  const el = t.parentElement;
  if (r.width > 0 && r.right > w + 0.5 && !clipped(t) && el.getBoundingClientRect().right <= w + 0.5) {
    out.push('text ' + JSON.stringify(t.textContent.trim().slice(0, 30)) + ' in ' + name(el)
      + ' (right ' + Math.round(r.right) + ')');
  }
}
return {
  scroll: document.documentElement.scrollWidth,
  client: w,
  inner: window.innerWidth,
  offenders: out,
};
";

/// Table headings with more lines than words: a word broken across lines, as happens when
/// a table is squeezed into a narrow screen instead of scrolling in its own box.
const SPLIT_HEADINGS: &str = r"
const out = [];
for (const th of document.querySelectorAll('th')) {
  // Text hidden for screen readers only (a 1 px box) is not read by the eye.
  if ([...th.querySelectorAll('.visually-hidden')].length && th.textContent.trim() === [...th.querySelectorAll('.visually-hidden')].map((e) => e.textContent).join('').trim()) continue;
  const words = th.textContent.trim().split(/\s+/).filter(Boolean).length;
  const range = document.createRange();
  range.selectNodeContents(th);
  const lines = new Set([...range.getClientRects()].map((r) => Math.round(r.top))).size;
  if (words > 0 && lines > words) {
    out.push(JSON.stringify(th.textContent.trim()) + ' in ' + lines + ' lines'
      + (th.closest('table[id]') ? ' (table#' + th.closest('table[id]').id + ')' : ''));
  }
}
return out;
";

/// Runs axe-core on the page (injected through WebDriver: the page's Content-Security-Policy
/// allows no inline script) and returns its violations.
const AXE_RUN: &str = r"
const done = arguments[arguments.length - 1];
axe.run(document, { resultTypes: ['violations'] })
  .then((r) => done(r.violations.map((v) => ({
    id: v.id,
    impact: v.impact,
    help: v.help,
    count: v.nodes.length,
    targets: v.nodes.slice(0, 3).map((n) => n.target.join(' ')),
  }))))
  .catch((err) => done({ error: String(err) }));
";

struct Report {
    /// Sideways scrolling, headings broken inside a word, and axe-core's serious and critical
    /// violations.
    failures: Vec<String>,
    /// For the log: the widths measured on each page, and axe-core's lesser violations.
    lines: Vec<String>,
}

async fn axe(c: &Client, src: &str) -> Result<Vec<Value>, String> {
    let loaded = c
        .execute(&format!("{src}\n;return typeof window.axe;"), vec![])
        .await
        .map_err(e)?;
    if loaded.as_str() != Some("object") {
        return Err(format!("axe-core did not load: typeof axe = {loaded}"));
    }
    match c.execute_async(AXE_RUN, vec![]).await.map_err(e)? {
        Value::Array(v) => Ok(v),
        other => Err(format!("axe.run: {other}")),
    }
}

async fn check_page(
    c: &Client,
    base: &str,
    lang: &str,
    user: &str,
    path: &str,
    axe_src: Option<&str>,
    report: &mut Report,
) -> Step {
    let who = if user.is_empty() { "anonymous" } else { user };
    let page = format!("{path} ({lang}, {who})");
    c.goto(&format!(
        "{base}{path}{}lang={lang}",
        if path.contains('?') { '&' } else { '?' }
    ))
    .await
    .map_err(e)?;
    let url = c.current_url().await.map_err(e)?;
    if url.path() != path.split('?').next().unwrap_or(path) {
        return Err(format!("{page}: the browser ended on {url}"));
    }
    let state = c
        .execute(
            "return [document.documentElement.lang, !!document.querySelector('main p.error[role=alert]')]",
            vec![],
        )
        .await
        .map_err(e)?;
    if state[0].as_str() != Some(lang) || state[1].as_bool() != Some(false) {
        return Err(format!("{page}: not the page in {lang}: {state}"));
    }
    let slug = format!(
        "{lang}-{}-{}",
        if user.is_empty() { "anon" } else { user },
        match path.trim_matches('/') {
            "" => "home".to_string(),
            p => p.replace('/', "_"),
        }
    );
    for width in WIDTHS {
        set_inner_width(c, width).await?;
        // Let the resized page lay out and paint before measuring and shooting it.
        tokio::time::sleep(Duration::from_millis(50)).await;
        let m = c.execute(OVERFLOW, vec![]).await.map_err(e)?;
        let scroll = m["scroll"].as_i64().unwrap_or(-1);
        let client = m["client"].as_i64().unwrap_or(-1);
        let inner = m["inner"].as_i64().unwrap_or(-1);
        report.lines.push(format!(
            "{page} @{width}: scrollWidth {scroll} / clientWidth {client} / innerWidth {inner}"
        ));
        // scrollWidth <= innerWidth, and also <= clientWidth: when a vertical scroll bar
        // takes its 15 px, a page 7 px wider than the rest scrolls sideways all the same.
        if scroll > inner || scroll > client {
            report.failures.push(format!(
                "{page} scrolls sideways at {width} px: scrollWidth {scroll} > clientWidth {client} \
                 (innerWidth {inner}); sticking out: {}",
                m["offenders"]
            ));
        }
        let split = c.execute(SPLIT_HEADINGS, vec![]).await.map_err(e)?;
        if split.as_array().is_some_and(|a| !a.is_empty()) {
            report.failures.push(format!(
                "{page} @{width}: table headings broken inside a word: {split}"
            ));
        }
        shot(c, &format!("layout-{slug}-{width}")).await;
        if let Some(src) = axe_src {
            for v in axe(c, src).await.map_err(|x| format!("{page}: {x}"))? {
                let impact = v["impact"].as_str().unwrap_or("");
                let line = format!(
                    "{page} @{width}: axe {} ({impact}, {} nodes: {}): {}",
                    v["id"].as_str().unwrap_or("?"),
                    v["count"],
                    v["targets"],
                    v["help"].as_str().unwrap_or("")
                );
                if impact == "serious" || impact == "critical" {
                    report.failures.push(line);
                } else {
                    report.lines.push(line);
                }
            }
        }
    }
    Ok(())
}

async fn journey(c: &Client, base: &str, axe_src: Option<&str>, report: &mut Report) -> Step {
    for lang in ["vi", "en"] {
        for (user, paths) in PAGES {
            sign_in(c, base, user).await?;
            for path in *paths {
                check_page(c, base, lang, user, path, axe_src, report).await?;
            }
        }
    }
    Ok(())
}

/// The layout does not depend on the database: the demo on SQLite only.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn main_pages_fit_the_width_and_pass_axe() {
    let Some(driver) = start_driver() else { return };
    let axe_src = axe_source();
    let (db, url) = parindex_db::testkit::sqlite().await;
    let r = run(&url, &["demo"]);
    assert_eq!(r.code, 0, "demo failed: {}", r.stderr);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let server = tokio::spawn(
        axum::serve(
            listener,
            parindex_web::router(crate::common::demo_state(db)),
        )
        .into_future(),
    );
    let client = connect(&driver).await;
    let mut report = Report {
        failures: Vec::new(),
        lines: Vec::new(),
    };
    let result = journey(&client, &base, axe_src.as_deref(), &mut report).await;
    if result.is_err() {
        shot(&client, "browser-layout-failure").await;
    }
    let _ = client.close().await;
    server.abort();
    for line in &report.lines {
        eprintln!("{line}");
    }
    if let Err(err) = result {
        panic!("layout journey: {err}");
    }
    assert!(
        report.failures.is_empty(),
        "{} layout or accessibility failures:\n{}",
        report.failures.len(),
        report.failures.join("\n")
    );
}
