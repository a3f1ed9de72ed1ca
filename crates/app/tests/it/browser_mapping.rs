//! In Chromium, by clicking: the secretariat opens the mapping of 2021's criteria to 2020's
//! from the home page, matches a new criterion by hand and saves; a focal point opens the
//! unit's 2021 self-assessment and starts it from 2020.

use fantoccini::{Client, Locator};

use crate::browser::{Step, click_and_wait, connect, e, shot, start_driver, text};
use crate::browser_cycle::{login, logout};

async fn journey(c: &Client, base: &str) -> Step {
    // The secretariat: home → the set's page → the mapping.
    login(c, base, "tk").await?;
    c.goto(&format!("{base}/sets/example-so-2021"))
        .await
        .map_err(e)?;
    click_and_wait(c, "#mapping-link").await?;
    let row83 = c
        .find(Locator::Css("tr[data-code='I.8.3']"))
        .await
        .map_err(e)?;
    if !row83.text().await.map_err(e)?.contains("tên tương tự") {
        return Err("I.8.3 is not proposed by name".into());
    }
    c.find(Locator::Css("select[name='m.I.8.4']"))
        .await
        .map_err(e)?
        .select_by_value("I.8.4")
        .await
        .map_err(e)?;
    click_and_wait(c, "#mapping-form button[type=submit]").await?;
    if !text(c, "#flash").await?.contains("Đã lưu bảng ghép") {
        return Err("no confirmation of the saved mapping".into());
    }
    let class = c
        .find(Locator::Css("tr[data-code='I.8.4']"))
        .await
        .map_err(e)?
        .attr("class")
        .await
        .map_err(e)?
        .unwrap_or_default();
    if class != "how-manual" {
        return Err(format!("I.8.4 after saving: {class}"));
    }
    logout(c).await?;

    // The focal point: home → the self-assessment → start from last year.
    login(c, base, "vp1").await?;
    click_and_wait(c, "#open-assessment").await?;
    click_and_wait(c, "#prefill").await?;
    if !text(c, "#flash").await?.contains("Đã điền sẵn") {
        return Err("no confirmation of the prefill".into());
    }
    text(c, "#prefilled-I-8-3").await?;
    let own = text(c, "#leaf-I-8-3 .self").await?;
    if own != "1,950" {
        return Err(format!("I.8.3 prefilled with {own}"));
    }
    // The new I.8.4 was matched by hand with 2020's I.8.4: its 97,5 % is carried too.
    let own = text(c, "#leaf-I-8-4 .self").await?;
    if own != "0,975" {
        return Err(format!("I.8.4 prefilled with {own}"));
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mapping_and_a_start_from_last_year_in_chromium() {
    let Some(driver) = start_driver() else { return };
    for (db, url) in parindex_db::testkit::each_db().await {
        let kind = db.kind();
        crate::mapping::two_years(&db, &url).await;
        let state = crate::common::demo_state(db);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let server = tokio::spawn(axum::serve(listener, parindex_web::router(state)).into_future());
        let client = connect(&driver).await;
        let result = journey(&client, &base).await;
        if result.is_err() {
            shot(&client, &format!("browser-mapping-failure-{kind}")).await;
        }
        let _ = client.close().await;
        server.abort();
        if let Err(err) = result {
            panic!("mapping journey on {kind}: {err}");
        }
    }
}
