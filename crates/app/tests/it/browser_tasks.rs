//! The notice through the browser: import it with a preview, edit one proposed task,
//! confirm, report an occurrence done with a file, and see the board and the brief change.

use fantoccini::{Client, Locator};
use parindex_domain::access::Role;

use crate::auth::add_user;
use crate::browser::{Step, click_and_wait, connect, e, fill, shot, start_driver, text};
use crate::common::{data, run};

async fn overdue_of(c: &Client, base: &str, division: &str) -> Result<i64, String> {
    c.goto(&format!("{base}/units/SKHDT/brief"))
        .await
        .map_err(e)?;
    let table = text(c, "#overdue").await?;
    Ok(table
        .lines()
        .find(|l| l.starts_with(division))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0))
}

async fn journey(c: &Client, base: &str, notice: &str, pdf: &str) -> Step {
    c.goto(&format!("{base}/login")).await.map_err(e)?;
    fill(c, "#username", "vp").await?;
    fill(c, "#password", "mat-khau-thu-nghiem").await?;
    click_and_wait(c, "main form button[type=submit]").await?;
    c.wait()
        .for_element(Locator::Css("header form.inline"))
        .await
        .map_err(e)?;
    c.goto(&format!("{base}/units/SKHDT/directives/new"))
        .await
        .map_err(e)?;
    c.find(Locator::Css("#file"))
        .await
        .map_err(e)?
        .send_keys(notice)
        .await
        .map_err(e)?;
    click_and_wait(c, "#preview").await?;
    c.wait()
        .for_element(Locator::Css("#proposals"))
        .await
        .map_err(e)?;
    let rows = c
        .find_all(Locator::Css("#proposals tr[data-proposal]"))
        .await
        .map_err(e)?;
    if rows.len() != 53 {
        return Err(format!("{} proposals", rows.len()));
    }
    // Edit the Office's website item (II.1.15) and confirm.
    let title = r#"tr[data-proposal="II.1.15"] input[name^="title_"]"#;
    fill(c, title, "Đăng tin hoạt động lên website mỗi thứ Sáu").await?;
    click_and_wait(c, "#create-tasks").await?;
    c.wait()
        .for_element(Locator::Css("#board"))
        .await
        .map_err(e)?;
    let url = c.current_url().await.map_err(e)?;
    if !url.path().ends_with("/units/SKHDT/tasks") {
        return Err(format!("after creating: {url}"));
    }
    let cards = c
        .find_all(Locator::Css("#board article.card"))
        .await
        .map_err(e)?;
    if cards.len() != 53 {
        return Err(format!("{} cards on the board", cards.len()));
    }
    let before = overdue_of(c, base, "Văn phòng Sở").await?;
    c.goto(&format!("{base}/units/SKHDT/tasks"))
        .await
        .map_err(e)?;
    c.find(Locator::LinkText(
        "II.1.15 Đăng tin hoạt động lên website mỗi thứ Sáu",
    ))
    .await
    .map_err(|x| format!("edited task on the board: {x}"))?
    .click()
    .await
    .map_err(e)?;
    // Report the first week done, with a file.
    fill(
        c,
        "form.report-form input[name=report]",
        "Đã đăng 3 tin tuần đầu",
    )
    .await?;
    c.find(Locator::Css("form.report-form input[type=file]"))
        .await
        .map_err(e)?
        .send_keys(pdf)
        .await
        .map_err(e)?;
    click_and_wait(c, "form.report-form button").await?;
    let mut first = String::new();
    for _ in 0..50 {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        // The page reloads after the report: read again until it shows.
        if let Ok(t) = text(c, "#occurrences tbody tr:first-child").await {
            first = t;
            if first.contains("Hoàn thành") {
                break;
            }
        }
    }
    if !first.contains("Hoàn thành") || !first.contains("Đã đăng 3 tin") {
        return Err(format!("first occurrence: {first}"));
    }
    let after = overdue_of(c, base, "Văn phòng Sở").await?;
    if after != before - 1 {
        return Err(format!("overdue for the Office: {before} then {after}"));
    }
    c.goto(&format!("{base}/units/SKHDT/tasks"))
        .await
        .map_err(e)?;
    let board = text(c, "#board").await?;
    if !board.contains("1 ✓") {
        return Err("the board does not show the report".into());
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_the_notice_and_report_in_chromium() {
    let Some(driver) = start_driver() else { return };
    for (db, url) in parindex_db::testkit::each_db().await {
        let kind = db.kind();
        let units = format!("{}/../../data/brvt-units.csv", env!("CARGO_MANIFEST_DIR"));
        assert_eq!(run(&url, &["units", "import", &units]).code, 0);
        add_user(&db, "vp", Role::Focal, Some("SKHDT")).await;
        let store =
            std::env::temp_dir().join(format!("parindex-tfiles-{}-{kind}", std::process::id()));
        let mut state = crate::common::demo_state(db);
        state.files = std::sync::Arc::new(parindex_services::files::FileStore::new(&store));
        let pdf = std::env::temp_dir().join(format!("bao-cao-{}.pdf", std::process::id()));
        std::fs::write(&pdf, b"%PDF-1.4\n%%EOF\n").unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let server = tokio::spawn(axum::serve(listener, parindex_web::router(state)).into_future());
        let client = connect(&driver).await;
        let result = journey(
            &client,
            &base,
            &data("tb-skhdt-2021-04-chan-chinh-cchc.txt"),
            &pdf.display().to_string(),
        )
        .await;
        if result.is_err() {
            shot(&client, &format!("browser-tasks-failure-{kind}")).await;
        }
        let _ = client.close().await;
        server.abort();
        let _ = std::fs::remove_dir_all(&store);
        if let Err(err) = result {
            panic!("tasks journey on {kind}: {err}");
        }
    }
}
