//! One journey per role in headless Chromium, each started from the home page (`/`) after
//! signing in and moving only by clicking links and buttons, as a user would: the focal
//! point scores and attaches a PDF, the leader submits (refused first, every gap listed),
//! the secretariat moves the phase, the appraiser cuts from the worklist with a reason
//! (refused without one), and the unit contests the cut. Journey 1 also runs in English.
//! A screenshot of each step's end goes to `artifacts/`.

use fantoccini::{Client, Locator};
use parindex_domain::access::Role;

use crate::auth::add_user;
use crate::browser::{Step, click, click_and_wait, connect, e, fill, shot, start_driver, text};
use crate::browser_cycle::{login, logout};

/// Signs in and checks that the browser lands on the home page.
async fn sign_in_home(c: &Client, base: &str, user: &str) -> Step {
    login(c, base, user).await?;
    let url = c.current_url().await.map_err(e)?;
    if url.path() != "/" {
        return Err(format!("{user} signed in at {url}, not at home"));
    }
    if !text(c, "#greeting").await?.contains(user) {
        return Err(format!("home does not greet {user}"));
    }
    Ok(())
}

/// Back to the home page by the header's brand link.
async fn home(c: &Client) -> Step {
    click_and_wait(c, "header a.brand").await
}

async fn select(c: &Client, css: &str, value: &str) -> Step {
    c.find(Locator::Css(css))
        .await
        .map_err(|x| format!("{css}: {x}"))?
        .select_by_value(value)
        .await
        .map_err(e)
}

/// The current value of a form control (what the user sees in it).
async fn value_of(c: &Client, css: &str) -> Result<String, String> {
    c.find(Locator::Css(css))
        .await
        .map_err(|x| format!("{css}: {x}"))?
        .prop("value")
        .await
        .map_err(e)?
        .ok_or_else(|| format!("{css}: no value"))
}

async fn expect_flash(c: &Client, want: &str) -> Step {
    let got = text(c, "#flash").await?;
    if got.contains(want) {
        Ok(())
    } else {
        Err(format!("flash “{got}”, expected “{want}”"))
    }
}

async fn expect_in(c: &Client, css: &str, want: &str) -> Step {
    let got = text(c, css).await?;
    if got.contains(want) {
        Ok(())
    } else {
        Err(format!("{css} shows “{got}”, expected “{want}”"))
    }
}

/// A screenshot with `css` scrolled into view (the step's end may be far down the page).
async fn shot_at(c: &Client, css: &str, name: &str) {
    let _ = c
        .execute(
            "const el = document.querySelector(arguments[0]); if (el) el.scrollIntoView();",
            vec![serde_json::json!(css)],
        )
        .await;
    shot(c, name).await;
}

/// Opens the leaf `anchor` from the home page's list of unscored criteria.
async fn open_unscored(c: &Client, anchor: &str) -> Step {
    click_and_wait(c, &format!(r##"#unscored a[href$="#leaf-{anchor}"]"##)).await?;
    let url = c.current_url().await.map_err(e)?;
    if url.fragment() != Some(&format!("leaf-{anchor}")) {
        return Err(format!("the home link opened {url}"));
    }
    // The fragment names a leaf on the page.
    c.find(Locator::Id(&format!("leaf-{anchor}")))
        .await
        .map(|_| ())
        .map_err(|x| format!("no leaf-{anchor} on the page: {x}"))
}

/// Adds evidence with a file to leaf `anchor`, from the assessment page.
async fn add_evidence(c: &Client, anchor: &str, title: &str, date: &str, file: &str) -> Step {
    let form = format!("#leaf-{anchor} details.add-evidence");
    click(c, &format!("{form} summary")).await?;
    fill(c, &format!("{form} input[name=title]"), title).await?;
    fill(c, &format!("{form} input[name=doc_date]"), date).await?;
    c.find(Locator::Css(&format!("{form} input[type=file]")))
        .await
        .map_err(e)?
        .send_keys(file)
        .await
        .map_err(e)?;
    click_and_wait(c, &format!("{form} form button")).await
}

/// Journey 1 in English for the focal point of SXD: the language link, then the same
/// clicks, and the page says so in English.
async fn focal_in_english(c: &Client, base: &str, pdf: &str, kind: &str) -> Step {
    c.goto(&format!("{base}/login")).await.map_err(e)?;
    click_and_wait(c, r#"header a[hreflang="en"]"#).await?;
    sign_in_home(c, base, "vp2").await?;
    expect_in(c, "h1", "Home").await?;
    open_unscored(c, "I-1-1").await?;
    select(c, "#leaf-I-1-1 select[name=input]", "Kịp thời").await?;
    click_and_wait(c, "#leaf-I-1-1 form.save-form button").await?;
    expect_flash(c, "Saved.").await?;
    expect_in(c, "#leaf-I-1-1 dd.self", "1,000").await?;
    add_evidence(c, "I-1-1", "2020 reform plan", "20/12/2020", pdf).await?;
    expect_flash(c, "The evidence is saved.").await?;
    expect_in(c, "#leaf-I-1-1 ul.evidence", "2020 reform plan").await?;
    shot_at(c, "#leaf-I-1-1", &format!("journey-{kind}-1en-focal-saved")).await;
    // Back to Vietnamese for the next user of this browser.
    click_and_wait(c, r#"header a[hreflang="vi"]"#).await?;
    logout(c).await
}

/// Journey 1: the focal point scores from the home page's list, attaches a PDF, and scores
/// three more (one with evidence dated in 2019), leaving II.1 unscored.
async fn focal_scores(c: &Client, base: &str, pdf: &str, pdf_2019: &str, kind: &str) -> Step {
    sign_in_home(c, base, "vp1").await?;
    expect_in(c, "#my-assessment", "0/5").await?;
    open_unscored(c, "I-1-1").await?;
    select(c, "#leaf-I-1-1 select[name=input]", "Kịp thời").await?;
    click_and_wait(c, "#leaf-I-1-1 form.save-form button").await?;
    expect_flash(c, "Đã lưu.").await?;
    expect_in(c, "#leaf-I-1-1 dd.input", "Kịp thời").await?;
    expect_in(c, "#leaf-I-1-1 dd.self", "1,000").await?;
    if value_of(c, "#leaf-I-1-1 select[name=input]").await? != "Kịp thời" {
        return Err("the saved option is not selected".into());
    }
    shot(c, &format!("journey-{kind}-1-focal-saved")).await;
    add_evidence(c, "I-1-1", "Kế hoạch CCHC năm 2020", "22/12/2020", pdf).await?;
    expect_flash(c, "Đã lưu tài liệu kiểm chứng.").await?;
    let ev = text(c, "#leaf-I-1-1 ul.evidence").await?;
    if !ev.contains("Kế hoạch CCHC năm 2020")
        || !ev.contains("22/12/2020")
        || !ev.contains("(bản 1)")
    {
        return Err(format!("evidence listed: {ev}"));
    }
    shot_at(
        c,
        "#leaf-I-1-1 ul.evidence",
        &format!("journey-{kind}-1-focal-evidence"),
    )
    .await;
    for (anchor, value) in [("I-1-2", "100"), ("I-1-3", "0"), ("I-8-4", "97,5")] {
        home(c).await?;
        open_unscored(c, anchor).await?;
        fill(c, &format!("#leaf-{anchor} input[name=input]"), value).await?;
        click_and_wait(c, &format!("#leaf-{anchor} form.save-form button")).await?;
        expect_flash(c, "Đã lưu.").await?;
        expect_in(c, &format!("#leaf-{anchor} dd.input"), value).await?;
    }
    expect_in(c, "#leaf-I-8-4 dd.self", "1,950").await?;
    add_evidence(c, "I-8-4", "Báo cáo một cửa", "15/12/2019", pdf_2019).await?;
    expect_flash(c, "Đã lưu tài liệu kiểm chứng.").await?;
    expect_in(c, "#leaf-I-8-4 ul.evidence", "ngoài năm đánh giá").await?;
    home(c).await?;
    expect_in(c, "#my-assessment", "4/5").await?;
    expect_in(c, "#evidence-gaps", "I.8.4").await?;
    logout(c).await
}

/// Journey 2, refused: not ready on the home page, and the submission lists every gap.
async fn leader_refused(c: &Client, base: &str, kind: &str) -> Step {
    sign_in_home(c, base, "gd").await?;
    expect_in(c, "#readiness", "Chưa thể nộp").await?;
    click_and_wait(c, "#open-assessment").await?;
    click_and_wait(c, "#submit-assessment").await?;
    let summary = text(c, "#error-summary").await?;
    if !(summary.contains("(2)")
        && summary.contains("II.1")
        && summary.contains("I.8.4")
        && summary.contains("ngoài năm đánh giá 2020"))
    {
        return Err(format!("refused submission lists: {summary}"));
    }
    if c.find(Locator::Id("confirm-step")).await.is_ok() {
        return Err("a refused submission asks for confirmation".into());
    }
    shot(c, &format!("journey-{kind}-2-leader-refused")).await;
    logout(c).await
}

/// The focal point closes both gaps from the home page's links.
async fn focal_closes_gaps(c: &Client, base: &str, kind: &str) -> Step {
    sign_in_home(c, base, "vp1").await?;
    open_unscored(c, "II-1").await?;
    fill(c, "#leaf-II-1 input[name=input]", "9").await?;
    click_and_wait(c, "#leaf-II-1 form.save-form button").await?;
    expect_flash(c, "Đã lưu.").await?;
    home(c).await?;
    click_and_wait(c, r##"#evidence-gaps a[href$="#leaf-I-8-4"]"##).await?;
    fill(
        c,
        "#leaf-I-8-4 input[name=note]",
        "Báo cáo ký cuối năm 2019, số liệu của năm 2020",
    )
    .await?;
    click_and_wait(c, "#leaf-I-8-4 form.save-form button").await?;
    expect_flash(c, "Đã lưu.").await?;
    expect_in(c, "#scored", "5/5").await?;
    expect_in(c, "#leaf-I-8-4 dd.input", "97,5").await?;
    shot_at(
        c,
        "#leaf-I-8-4",
        &format!("journey-{kind}-1-focal-complete"),
    )
    .await;
    logout(c).await
}

/// Journey 2: ready on the home page, submit, confirm, done.
async fn leader_submits(c: &Client, base: &str, kind: &str) -> Step {
    sign_in_home(c, base, "gd").await?;
    expect_in(c, "#readiness", "Đủ điều kiện nộp").await?;
    click_and_wait(c, "#open-assessment").await?;
    click_and_wait(c, "#submit-assessment").await?;
    let step = text(c, "#confirm-step").await?;
    if !(step.contains("Sở Kế hoạch và Đầu tư") && step.contains("5/5")) {
        return Err(format!("confirmation step: {step}"));
    }
    click_and_wait(c, "#confirm").await?;
    expect_flash(c, "Đã nộp").await?;
    expect_in(c, "#submitted", "gd").await?;
    if c.find(Locator::Id("submit-assessment")).await.is_ok() {
        return Err("the submit button is still there".into());
    }
    shot(c, &format!("journey-{kind}-2-leader-submitted")).await;
    logout(c).await
}

/// Journey 3: the secretariat moves the phase from the home page's phase controls; the
/// confirmation step lists the units that have not submitted.
async fn secretariat_moves(c: &Client, base: &str, phase: &str, label: &str, kind: &str) -> Step {
    sign_in_home(c, base, "snv").await?;
    click_and_wait(c, "#phase-controls").await?;
    select(c, "#form-phase select[name=phase]", phase).await?;
    click_and_wait(c, "#form-phase button[type=submit]").await?;
    let step = text(c, "#confirm-step").await?;
    if !(step.contains(&format!("→ {label}"))
        && step.contains("Chưa gửi (2)")
        && step.contains("STC — Sở Tài chính")
        && step.contains("SXD — Sở Xây dựng")
        && !step.contains("SKHDT"))
    {
        return Err(format!("confirmation step: {step}"));
    }
    shot(c, &format!("journey-{kind}-3-secretariat-confirm-{phase}")).await;
    click_and_wait(c, "#confirm").await?;
    expect_flash(c, "Đã chuyển giai đoạn").await?;
    expect_in(c, "#phase", label).await?;
    shot(c, &format!("journey-{kind}-3-secretariat-{phase}")).await;
    logout(c).await
}

/// The appraiser's worklist holds SKHDT alone, with `left` criteria to appraise.
async fn worklist_shows(c: &Client, left: &str) -> Step {
    let rows = c
        .find_all(Locator::Css("#worklist tbody tr"))
        .await
        .map_err(e)?;
    let unit = text(c, "#worklist tbody tr td:first-child").await?;
    let count = text(c, "#worklist tbody tr td:nth-child(2)").await?;
    if rows.len() != 1 || !unit.starts_with("SKHDT") || count != left {
        return Err(format!(
            "worklist: {} rows, {unit}, {count} to appraise (expected {left})",
            rows.len()
        ));
    }
    Ok(())
}

/// Journey 4: the appraiser opens SKHDT from the worklist, is refused a cut without a
/// reason (the page again, the message by the field, the typed value kept), then cuts
/// I.8.4 and I.1.1 with reasons.
async fn appraiser_cuts(c: &Client, base: &str, kind: &str) -> Step {
    sign_in_home(c, base, "td").await?;
    worklist_shows(c, "5").await?;
    click_and_wait(c, "#worklist tbody a").await?;
    fill(c, "#leaf-I-8-4 input[name=appraised]", "1,5").await?;
    click_and_wait(c, "#leaf-I-8-4 form.save-form button").await?;
    expect_in(c, "h1", "Sở Kế hoạch và Đầu tư").await?;
    expect_in(c, "#leaf-I-8-4 p.field-error", "Cần ghi lý do").await?;
    if value_of(c, "#leaf-I-8-4 input[name=appraised]").await? != "1,5" {
        return Err("the typed points are lost".into());
    }
    // …but the layers still show what is stored: nothing appraised yet.
    let shown = text(c, "#leaf-I-8-4 dd.appraised").await?;
    if !shown.is_empty() {
        return Err(format!("unsaved points shown as appraised: {shown}"));
    }
    let invalid = c
        .find(Locator::Css("#leaf-I-8-4 input[name=reason]"))
        .await
        .map_err(e)?
        .attr("aria-invalid")
        .await
        .map_err(e)?;
    if invalid.as_deref() != Some("true") {
        return Err("the reason field is not marked invalid".into());
    }
    if c.find(Locator::Id("flash")).await.is_ok() {
        return Err("a refused cut says it is saved".into());
    }
    // The page opens at its top: a summary there leads to the message by the field.
    expect_in(c, "#error-summary", "I.8.4: Cần ghi lý do").await?;
    click(c, "#error-summary a").await?;
    let url = c.current_url().await.map_err(e)?;
    if url.fragment() != Some("error-I-8-4") {
        return Err(format!("the summary's link leads to {url}"));
    }
    shot_at(
        c,
        "#leaf-I-8-4",
        &format!("journey-{kind}-4-appraiser-no-reason"),
    )
    .await;
    fill(c, "#leaf-I-8-4 input[name=reason]", "Số liệu chưa khớp").await?;
    click_and_wait(c, "#leaf-I-8-4 form.save-form button").await?;
    expect_flash(c, "Đã lưu.").await?;
    expect_in(c, "#leaf-I-8-4 dd.appraised", "1,500").await?;
    // A criterion with fixed levels is appraised from the list of its allowed points.
    select(c, "#leaf-I-1-1 select[name=appraised]", "0.5").await?;
    fill(
        c,
        "#leaf-I-1-1 input[name=reason]",
        "Kế hoạch ban hành chậm",
    )
    .await?;
    click_and_wait(c, "#leaf-I-1-1 form.save-form button").await?;
    expect_flash(c, "Đã lưu.").await?;
    expect_in(c, "#leaf-I-1-1 dd.appraised", "0,500").await?;
    expect_in(c, "#leaf-I-1-1 .reason", "ban hành chậm").await?;
    shot(c, &format!("journey-{kind}-4-appraiser-cut")).await;
    home(c).await?;
    worklist_shows(c, "3").await?;
    logout(c).await
}

/// Journey 5: the focal point shows only the cut criteria and contests one.
async fn unit_contests(c: &Client, base: &str, kind: &str) -> Step {
    sign_in_home(c, base, "vp1").await?;
    click_and_wait(c, "#open-assessment").await?;
    click_and_wait(c, r#"nav.filters a[href$="?show=cut"]"#).await?;
    expect_in(
        c,
        r#"nav.filters a[aria-current="page"]"#,
        "Bị trừ điểm (2)",
    )
    .await?;
    let mut shown = Vec::new();
    for leaf in c
        .find_all(Locator::Css("section.leaf-card"))
        .await
        .map_err(e)?
    {
        shown.push(leaf.attr("data-code").await.map_err(e)?.unwrap_or_default());
    }
    if shown != ["I.1.1", "I.8.4"] {
        return Err(format!("the cut filter shows {shown:?}"));
    }
    expect_in(c, "#leaf-I-1-1 .reason", "ban hành chậm").await?;
    fill(
        c,
        "#leaf-I-1-1 input[name=text]",
        "Kế hoạch ký ngày 22/12/2020 (đã đính kèm)",
    )
    .await?;
    click_and_wait(c, "#leaf-I-1-1 form.save-form button").await?;
    expect_flash(c, "Đã lưu.").await?;
    expect_in(c, "#leaf-I-1-1 .explanation", "Kế hoạch ký ngày 22/12/2020").await?;
    shot(c, &format!("journey-{kind}-5-unit-contests")).await;
    logout(c).await
}

async fn journeys(c: &Client, base: &str, pdfs: &[String; 3], kind: &str) -> Step {
    focal_in_english(c, base, &pdfs[2], kind).await?;
    focal_scores(c, base, &pdfs[0], &pdfs[1], kind).await?;
    leader_refused(c, base, kind).await?;
    focal_closes_gaps(c, base, kind).await?;
    leader_submits(c, base, kind).await?;
    secretariat_moves(c, base, "appraisal", "Thẩm định", kind).await?;
    appraiser_cuts(c, base, kind).await?;
    secretariat_moves(c, base, "explanation", "Giải trình", kind).await?;
    unit_contests(c, base, kind).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_role_from_the_home_page_by_clicking() {
    let Some(driver) = start_driver() else { return };
    for (db, url) in parindex_db::testkit::each_db().await {
        let kind = db.kind();
        crate::browser_cycle::example_in_self_assessment(&url, "j", &["SKHDT", "STC", "SXD"]);
        for (u, r, unit) in [
            ("vp1", Role::Focal, Some("SKHDT")),
            ("gd", Role::Leader, Some("SKHDT")),
            ("vp2", Role::Focal, Some("SXD")),
            ("td", Role::Appraiser, None),
            ("snv", Role::Secretariat, None),
        ] {
            add_user(&db, u, r, unit).await;
        }
        let tmp =
            std::env::temp_dir().join(format!("parindex-journeys-{}-{kind}", std::process::id()));
        let store = tmp.join("files");
        std::fs::create_dir_all(&tmp).unwrap();
        // Three different PDFs: a unit may not upload the same file twice.
        let pdfs = ["ke-hoach.pdf", "bao-cao.pdf", "plan.pdf"].map(|name| {
            let p = tmp.join(name);
            std::fs::write(
                &p,
                format!("%PDF-1.4\n% {name}\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"),
            )
            .unwrap();
            p.display().to_string()
        });
        let mut state = crate::common::demo_state(db);
        state.files = std::sync::Arc::new(parindex_services::files::FileStore::new(&store));

        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let server = tokio::spawn(axum::serve(listener, parindex_web::router(state)).into_future());
        let client = connect(&driver).await;
        let result = journeys(&client, &base, &pdfs, kind).await;
        if result.is_err() {
            shot(&client, &format!("journey-failure-{kind}")).await;
        }
        let _ = client.close().await;
        server.abort();
        let _ = std::fs::remove_dir_all(&tmp);
        if let Err(err) = result {
            panic!("journeys on {kind}: {err}");
        }
    }
}
