//! Pages in a real headless Chromium (Debian's chromium + chromium-driver), against a real
//! server on 127.0.0.1 and a real database. Screenshots of failures go to `artifacts/`.

use std::net::TcpListener as StdListener;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};

use crate::common::demo_dbs;

pub struct Driver {
    child: Child,
    port: u16,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    StdListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts chromedriver, or returns `None` outside CI when it is not installed.
pub fn start_driver() -> Option<Driver> {
    let path = std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "chromedriver".into());
    let port = free_port();
    match Command::new(&path)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
    {
        Ok(child) => Some(Driver { child, port }),
        Err(e) => {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "chromedriver is required under CI=true: {e}"
            );
            eprintln!("skipping browser test: {e}");
            None
        }
    }
}

pub async fn connect(driver: &Driver) -> Client {
    let mut caps = serde_json::Map::new();
    let profile = std::env::temp_dir().join(format!(
        "parindex-chrome-{}-{}",
        std::process::id(),
        driver.port
    ));
    caps.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({
            "binary": std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into()),
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync",
                     "--no-first-run", "--window-size=1280,1400", format!("--user-data-dir={}", profile.display())]
        }),
    );
    let url = format!("http://127.0.0.1:{}", driver.port);
    for _ in 0..50 {
        let mut b = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new());
        b.capabilities(caps.clone());
        if let Ok(c) = b.connect(&url).await {
            return c;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("could not start a Chromium session through chromedriver at {url}");
}

pub async fn shot(c: &Client, name: &str) {
    if let Ok(png) = c.screenshot().await {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../artifacts");
        let _ = std::fs::create_dir_all(&dir);
        let _ = std::fs::write(dir.join(format!("{name}.png")), png);
    }
}

async fn journey(c: &Client, base: &str) -> Result<(), String> {
    c.goto(&format!("{base}/"))
        .await
        .map_err(|e| e.to_string())?;
    let url = c.current_url().await.map_err(|e| e.to_string())?;
    if !url.path().ends_with("/sets/brvt-so-2020/ranking") {
        return Err(format!("home should open the ranking, got {url}"));
    }
    let row = c
        .find(Locator::Css(r#"tr[data-unit="SKHDT"]"#))
        .await
        .map_err(|e| e.to_string())?
        .text()
        .await
        .map_err(|e| e.to_string())?;
    if !(row.contains("11/21") && row.contains("85,620")) {
        return Err(format!("SKHDT row: {row}"));
    }
    let bars = c
        .find_all(Locator::Css("figure.chart svg rect"))
        .await
        .map_err(|e| e.to_string())?;
    if bars.len() != 21 {
        return Err(format!("{} bars in the chart", bars.len()));
    }
    c.find(Locator::LinkText("Sở Kế hoạch và Đầu tư"))
        .await
        .map_err(|e| e.to_string())?
        .click()
        .await
        .map_err(|e| e.to_string())?;
    let score = c
        .find(Locator::Id("score"))
        .await
        .map_err(|e| e.to_string())?
        .text()
        .await
        .map_err(|e| e.to_string())?;
    if score != "85,620" {
        return Err(format!("score card shows {score}"));
    }
    let mut codes = Vec::new();
    for cell in c
        .find_all(Locator::Css("#weakest td.code"))
        .await
        .map_err(|e| e.to_string())?
    {
        codes.push(cell.text().await.map_err(|e| e.to_string())?);
    }
    codes.sort();
    if codes != ["I.1.5.1", "I.2.1.1", "I.2.1.2", "I.7.1", "I.8.4"] {
        return Err(format!("weakest criteria: {codes:?}"));
    }
    let losing = c
        .find_all(Locator::Css("#tree .leaf.losing"))
        .await
        .map_err(|e| e.to_string())?;
    // The five criteria of the notice, plus the five survey leaves (never full marks).
    if losing.len() != 10 {
        return Err(format!("{} losing leaves", losing.len()));
    }
    // Collapsing a field hides its leaves, without JavaScript.
    let field = c
        .find(Locator::Css("#tree details.d2 > summary"))
        .await
        .map_err(|e| e.to_string())?;
    field.click().await.map_err(|e| e.to_string())?;
    let hidden = c
        .find(Locator::Css(r#"#tree .leaf[data-code="I.1.1.1"]"#))
        .await
        .map_err(|e| e.to_string())?;
    if hidden.is_displayed().await.map_err(|e| e.to_string())? {
        return Err("collapsed leaf still visible".into());
    }
    c.goto(&format!("{base}/sets/brvt-so-2020?q=dang%20ky"))
        .await
        .map_err(|e| e.to_string())?;
    c.goto(&format!("{base}/sets/brvt-so-2020/ranking?lang=en"))
        .await
        .map_err(|e| e.to_string())?;
    let h1 = c
        .find(Locator::Css("h1"))
        .await
        .map_err(|e| e.to_string())?
        .text()
        .await
        .map_err(|e| e.to_string())?;
    if h1 != "Ranking" {
        return Err(format!("English heading: {h1}"));
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ranking_and_score_card_in_chromium() {
    let Some(driver) = start_driver() else { return };
    for (db, _) in demo_dbs().await {
        let kind = db.kind();
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
        let result = journey(&client, &base).await;
        if result.is_err() {
            shot(&client, &format!("browser-failure-{kind}")).await;
        }
        let _ = client.close().await;
        server.abort();
        if let Err(e) = result {
            panic!("browser journey on {kind}: {e}");
        }
    }
}

/// Clicks a control that submits a form or follows a link, and waits until the browser
/// has left the page (the old document gone stale), so that the next step sees the new one.
pub async fn click_and_wait(c: &Client, css: &str) -> Result<(), String> {
    let old = c
        .find(Locator::Css("html"))
        .await
        .map_err(|e| e.to_string())?;
    c.find(Locator::Css(css))
        .await
        .map_err(|e| format!("{css}: {e}"))?
        .click()
        .await
        .map_err(|e| e.to_string())?;
    for _ in 0..100 {
        if old.text().await.is_err() {
            // Stale: the new page is there; let it finish loading.
            for _ in 0..100 {
                let ready = c
                    .execute("return document.readyState", vec![])
                    .await
                    .map_err(|e| e.to_string())?;
                if ready.as_str() == Some("complete") {
                    return Ok(());
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(30)).await;
    }
    Err(format!("{css}: the page did not change"))
}

/// One step of a browser journey: an error says what was expected.
pub type Step = Result<(), String>;

pub fn e<T: std::fmt::Display>(x: T) -> String {
    x.to_string()
}

pub async fn text(c: &Client, css: &str) -> Result<String, String> {
    c.find(Locator::Css(css))
        .await
        .map_err(|x| format!("{css}: {x}"))?
        .text()
        .await
        .map_err(e)
}

pub async fn fill(c: &Client, css: &str, value: &str) -> Step {
    let el = c
        .find(Locator::Css(css))
        .await
        .map_err(|x| format!("{css}: {x}"))?;
    el.clear().await.map_err(e)?;
    el.send_keys(value).await.map_err(e)
}

pub async fn click(c: &Client, css: &str) -> Step {
    c.find(Locator::Css(css))
        .await
        .map_err(|x| format!("{css}: {x}"))?
        .click()
        .await
        .map_err(e)?;
    tokio::time::sleep(Duration::from_millis(50)).await;
    Ok(())
}
