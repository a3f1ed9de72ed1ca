//! In Chromium, by clicking: the secretariat opens the units page from the menu, uploads a
//! unit-change file with a mistake (the line is named, nothing is recorded), then the
//! corrected one (a merge and a split); the ranking no longer holds the merged unit, and the
//! successor's card leads to the history of the unit merged into it.

use fantoccini::{Client, Locator};

use crate::browser::{Step, click_and_wait, connect, e, shot, start_driver, text};
use crate::browser_cycle::login;

async fn upload(c: &Client, file: &str) -> Step {
    c.find(Locator::Css("#changes-form input[type=file]"))
        .await
        .map_err(e)?
        .send_keys(file)
        .await
        .map_err(e)?;
    click_and_wait(c, "#changes-form button[type=submit]").await
}

async fn journey(c: &Client, base: &str, bad: &str, good: &str) -> Step {
    login(c, base, "tk").await?;
    click_and_wait(c, "header nav a[href='/units']").await?;
    upload(c, bad).await?;
    let problems = text(c, "#problems").await?;
    if !problems.contains("reorg-web-bad.csv:3: thay đổi `gộp`") {
        return Err(format!("the bad line is not named: {problems}"));
    }
    if !c
        .find_all(Locator::Css("#change-list"))
        .await
        .map_err(e)?
        .is_empty()
    {
        return Err("a refused file recorded a change".into());
    }
    upload(c, good).await?;
    if !text(c, "#flash")
        .await?
        .contains("Đã ghi các thay đổi đơn vị")
    {
        return Err("no confirmation of the recorded changes".into());
    }
    let changes = text(c, "#change-list").await?;
    for wanted in [
        "SNV — Sở Nội vụ",
        "sáp nhập",
        "chia tách",
        "SKHDT-DT — Sở Đầu tư",
    ] {
        if !changes.contains(wanted) {
            return Err(format!("the changes do not show {wanted}: {changes}"));
        }
    }
    let gone = c
        .find(Locator::Css("#unit-list tr[data-code='SNV']"))
        .await
        .map_err(e)?
        .attr("class")
        .await
        .map_err(e)?;
    if gone.as_deref() != Some("gone") {
        return Err(format!("SNV is not shown as gone: {gone:?}"));
    }
    // The ranking of 2020 (from the set's page) holds the units at the year's end.
    c.goto(&format!("{base}/sets/example-so-2020"))
        .await
        .map_err(e)?;
    click_and_wait(c, "a[href='/sets/example-so-2020/ranking']").await?;
    let ranking = text(c, "#ranking").await?;
    if ranking.contains("Sở Nội vụ") {
        return Err("the merged unit is still ranked".into());
    }
    click_and_wait(c, "#ranking a[href='/sets/example-so-2020/units/STC']").await?;
    let pred = text(c, "#predecessors").await?;
    if !pred.contains("Sở Nội vụ (sáp nhập, đến 30/06/2020)") {
        return Err(format!("the card does not name its predecessor: {pred}"));
    }
    click_and_wait(c, "#predecessors a").await?;
    let history = text(c, "#history-table").await?;
    if !(history.contains("Sở Nội vụ") && history.contains("11,950")) {
        return Err(format!("the predecessor's history is missing: {history}"));
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reorganisation_uploaded_and_its_history_followed_in_chromium() {
    let Some(driver) = start_driver() else { return };
    let bad = crate::common::temp_file(
        "reorg-web-bad.csv",
        "\u{feff}effective,change,from_code,to_code,to_name\r\n01/07/2020,sáp nhập,SNV,STC,\r\n01/07/2020,gộp,SKHDT,STC,\r\n",
    );
    let good = crate::common::temp_file(
        "reorg-web-good.csv",
        "\u{feff}effective,change,from_code,to_code,to_name\r\n01/07/2020,sáp nhập,SNV,STC,\r\n01/01/2021,chia tách,SKHDT,SKHDT-DT,Sở Đầu tư\r\n01/01/2021,chia tách,SKHDT,SKHDT-KH,Sở Kế hoạch\r\n",
    );
    for (db, url) in parindex_db::testkit::each_db().await {
        let kind = db.kind();
        crate::reorg::three_departments(&db, &url).await;
        let state = crate::common::demo_state(db);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let server = tokio::spawn(axum::serve(listener, parindex_web::router(state)).into_future());
        let client = connect(&driver).await;
        let result = journey(&client, &base, &bad, &good).await;
        if result.is_err() {
            shot(&client, &format!("browser-reorg-failure-{kind}")).await;
        }
        let _ = client.close().await;
        server.abort();
        if let Err(err) = result {
            panic!("reorganisation journey on {kind}: {err}");
        }
    }
}
