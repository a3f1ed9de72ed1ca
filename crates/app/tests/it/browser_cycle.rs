//! The whole yearly journey in headless Chromium against a real server and database, for
//! two units: the focal point scores and uploads a PDF, the leader submits, the appraiser
//! cuts a point with a reason, the unit contests, the appraiser accepts, the secretariat
//! publishes, and the ranking changes.

use fantoccini::{Client, Locator};
use parindex_domain::access::Role;

use crate::auth::add_user;
use crate::browser::{Step, click, click_and_wait, connect, e, fill, shot, start_driver, text};
use crate::common::{data, run, temp_file};

/// Signs `user` in from the sign-in page (the test password).
pub async fn login(c: &Client, base: &str, user: &str) -> Step {
    c.goto(&format!("{base}/login")).await.map_err(e)?;
    fill(c, "#username", user).await?;
    fill(c, "#password", "mat-khau-thu-nghiem").await?;
    click_and_wait(c, "main form button[type=submit]").await
}

/// Signs out with the header's button.
pub async fn logout(c: &Client) -> Step {
    click_and_wait(c, "header form.inline button").await
}

async fn set_phase(c: &Client, base: &str, phase: &str) -> Step {
    login(c, base, "snv").await?;
    c.goto(&format!("{base}/sets/example-so-2020/cycle"))
        .await
        .map_err(e)?;
    c.find(Locator::Css("main form select[name=phase]"))
        .await
        .map_err(e)?
        .select_by_value(phase)
        .await
        .map_err(e)?;
    click_and_wait(c, "main form button[type=submit]").await?;
    // The second step says what changes; confirmed, the page says it is done.
    click_and_wait(c, "#confirm").await?;
    if !text(c, "#flash").await?.contains("Đã chuyển giai đoạn") {
        return Err("no confirmation of the phase change".into());
    }
    logout(c).await
}

async fn journey(c: &Client, base: &str, pdf_path: &str) -> Step {
    let assess = format!("{base}/sets/example-so-2020/units/SKHDT/assess");
    // Self-assessment by the focal point, with a PDF as evidence.
    login(c, base, "vp1").await?;
    c.goto(&assess).await.map_err(e)?;
    c.find(Locator::Css("#leaf-I-1-1 select[name=input]"))
        .await
        .map_err(e)?
        .select_by_value("Kịp thời")
        .await
        .map_err(e)?;
    click_and_wait(c, "#leaf-I-1-1 form.save-form button").await?;
    for (anchor, value) in [
        ("I-1-2", "100"),
        ("I-1-3", "0"),
        ("I-8-4", "97,5"),
        ("II-1", "9"),
    ] {
        c.goto(&assess).await.map_err(e)?;
        fill(c, &format!("#leaf-{anchor} input[name=input]"), value).await?;
        click_and_wait(c, &format!("#leaf-{anchor} form.save-form button")).await?;
    }
    c.goto(&assess).await.map_err(e)?;
    if text(c, "#scored").await? != "5/5" {
        return Err(format!("scored: {}", text(c, "#scored").await?));
    }
    click(c, "#leaf-I-1-1 details.add-evidence summary").await?;
    fill(
        c,
        "#leaf-I-1-1 details.add-evidence input[name=title]",
        "Kế hoạch CCHC năm 2020",
    )
    .await?;
    fill(
        c,
        "#leaf-I-1-1 details.add-evidence input[name=doc_number]",
        "23/KH-SKHĐT",
    )
    .await?;
    fill(
        c,
        "#leaf-I-1-1 details.add-evidence input[name=doc_date]",
        "22/12/2020",
    )
    .await?;
    c.find(Locator::Css(
        "#leaf-I-1-1 details.add-evidence input[type=file]",
    ))
    .await
    .map_err(e)?
    .send_keys(pdf_path)
    .await
    .map_err(e)?;
    click_and_wait(c, "#leaf-I-1-1 details.add-evidence form button").await?;
    c.goto(&assess).await.map_err(e)?;
    let ev = text(c, "#leaf-I-1-1 ul.evidence").await?;
    if !ev.contains("Kế hoạch CCHC năm 2020") || !ev.contains("(bản 1)") {
        return Err(format!("evidence: {ev}"));
    }
    logout(c).await?;

    // The leader submits.
    login(c, base, "gd").await?;
    c.goto(&assess).await.map_err(e)?;
    click_and_wait(c, "#submit-assessment").await?;
    click_and_wait(c, "#confirm").await?;
    if !text(c, "#flash").await?.contains("Đã nộp") {
        return Err("no confirmation of the submission".into());
    }
    c.goto(&assess).await.map_err(e)?;
    if !text(c, "#submitted").await?.contains("gd") {
        return Err("not submitted".into());
    }
    logout(c).await?;

    // The appraiser cuts I.1.1 with a reason.
    set_phase(c, base, "appraisal").await?;
    login(c, base, "td").await?;
    c.goto(&assess).await.map_err(e)?;
    // A criterion with fixed levels is appraised from the list of its allowed points.
    c.find(Locator::Css("#leaf-I-1-1 select[name=appraised]"))
        .await
        .map_err(e)?
        .select_by_value("0.5")
        .await
        .map_err(e)?;
    fill(
        c,
        "#leaf-I-1-1 input[name=reason]",
        "Kế hoạch ban hành chậm",
    )
    .await?;
    click_and_wait(c, "#leaf-I-1-1 form.save-form button").await?;
    c.goto(&format!("{base}/sets/example-so-2020/ranking"))
        .await
        .map_err(e)?;
    let before = text(c, r#"tr[data-unit="SKHDT"] td.score"#).await?;
    if before != "13,950" {
        return Err(format!("after the cut SKHDT has {before}"));
    }
    logout(c).await?;

    // The unit contests; the appraiser accepts.
    set_phase(c, base, "explanation").await?;
    login(c, base, "vp1").await?;
    c.goto(&assess).await.map_err(e)?;
    if !text(c, "#leaf-I-1-1 .reason")
        .await?
        .contains("ban hành chậm")
    {
        return Err("reason not shown to the unit".into());
    }
    fill(
        c,
        "#leaf-I-1-1 input[name=text]",
        "Kế hoạch ký ngày 22/12/2020 (đã đính kèm)",
    )
    .await?;
    click_and_wait(c, "#leaf-I-1-1 form.save-form button").await?;
    logout(c).await?;
    set_phase(c, base, "final_appraisal").await?;
    login(c, base, "td").await?;
    c.goto(&assess).await.map_err(e)?;
    c.find(Locator::Css("#leaf-I-1-1 select[name=final_points]"))
        .await
        .map_err(e)?
        .select_by_value("1")
        .await
        .map_err(e)?;
    fill(c, "#leaf-I-1-1 input[name=reason]", "Chấp nhận giải trình").await?;
    click_and_wait(c, "#leaf-I-1-1 form.save-form button").await?;
    logout(c).await?;

    // Published: anyone sees the new ranking.
    set_phase(c, base, "published").await?;
    c.goto(&format!("{base}/sets/example-so-2020/ranking"))
        .await
        .map_err(e)?;
    let after = text(c, r#"tr[data-unit="SKHDT"] td.score"#).await?;
    if after != "14,450" {
        return Err(format!("after the explanation SKHDT has {after}"));
    }
    let first = text(c, "#ranking tbody tr:first-child").await?;
    if !first.contains("STC") {
        return Err(format!("first row: {first}"));
    }
    Ok(())
}

/// The example set in self-assessment for the given departments, STC's points imported
/// (temporary files named with `prefix`).
pub fn example_in_self_assessment(url: &str, prefix: &str, units: &[&str]) {
    let names = [
        ("SKHDT", "Sở Kế hoạch và Đầu tư"),
        ("STC", "Sở Tài chính"),
        ("SXD", "Sở Xây dựng"),
    ];
    let csv: String = std::iter::once("code,name,parent_code,kind,group".to_string())
        .chain(
            names
                .iter()
                .filter(|(c, _)| units.contains(c))
                .map(|(code, name)| format!("{code},{name},,so,so")),
        )
        .collect::<Vec<_>>()
        .join("\n");
    let units_file = temp_file(&format!("{prefix}-units.csv"), &csv);
    let all = std::fs::read_to_string(data("example-scores.csv")).unwrap();
    let stc = all
        .lines()
        .filter(|l| l.starts_with("unit_code") || l.starts_with("STC"))
        .collect::<Vec<_>>()
        .join("\n");
    let stc_file = temp_file(&format!("{prefix}-stc.csv"), &stc);
    let set = data("example-so-2020.yaml");
    for args in [
        &["criteria", "import", set.as_str()][..],
        &["units", "import", &units_file],
        &["scores", "import", "--set", "example-so-2020", &stc_file],
        &[
            "cycle",
            "phase",
            "--set",
            "example-so-2020",
            "self_assessment",
        ],
    ] {
        assert_eq!(run(url, args).code, 0, "{args:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_whole_cycle_in_chromium() {
    let Some(driver) = start_driver() else { return };
    for (db, url) in parindex_db::testkit::each_db().await {
        let kind = db.kind();
        example_in_self_assessment(&url, "b", &["SKHDT", "STC"]);
        for (u, r, unit) in [
            ("vp1", Role::Focal, Some("SKHDT")),
            ("gd", Role::Leader, Some("SKHDT")),
            ("td", Role::Appraiser, None),
            ("snv", Role::Secretariat, None),
        ] {
            add_user(&db, u, r, unit).await;
        }
        let store =
            std::env::temp_dir().join(format!("parindex-bfiles-{}-{kind}", std::process::id()));
        let mut state = crate::common::demo_state(db);
        state.files = std::sync::Arc::new(parindex_services::files::FileStore::new(&store));
        let pdf_path = std::env::temp_dir().join(format!("ke-hoach-{}.pdf", std::process::id()));
        std::fs::write(
            &pdf_path,
            b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n",
        )
        .unwrap();

        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let server = tokio::spawn(axum::serve(listener, parindex_web::router(state)).into_future());
        let client = connect(&driver).await;
        let result = journey(&client, &base, &pdf_path.display().to_string()).await;
        if result.is_err() {
            shot(&client, &format!("browser-cycle-failure-{kind}")).await;
        }
        let _ = client.close().await;
        server.abort();
        let _ = std::fs::remove_dir_all(&store);
        if let Err(err) = result {
            panic!("cycle journey on {kind}: {err}");
        }
    }
}
