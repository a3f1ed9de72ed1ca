//! The demo data of `data/`, built into the binary so that `parindex demo` works anywhere.

use parindex_db::{Db, DbError, NewUser};
use parindex_domain::access::Role;
use parindex_domain::cycle::Phase;
use parindex_domain::units::parse_units_csv;
use parindex_domain::{parse_criteria_yaml, parse_scores_csv};

pub const SET_YAML: &str = include_str!("../../../data/brvt-so-2020.yaml");
pub const UNITS_CSV: &str = include_str!("../../../data/brvt-units.csv");
/// Who the audit trail names for demo data.
const ACTOR: &str = "demo";
pub const SCORES_CSV: &str = include_str!("../../../data/brvt-so-2020-scores.csv");

/// Loads the demo (idempotent): the 2020 sample set, the 21 departments and SKHDT's
/// divisions, and every department's scores.
pub async fn load(db: &Db, now: &str) -> Result<String, String> {
    let set = parse_criteria_yaml("data/brvt-so-2020.yaml", SET_YAML).map_err(|e| e.to_string())?;
    let units = parse_units_csv("data/brvt-units.csv", UNITS_CSV).map_err(|e| e.to_string())?;
    let scores = parse_scores_csv("data/brvt-so-2020-scores.csv", SCORES_CSV, &set)
        .map_err(|e| e.to_string())?;
    db.store_criteria_set(&set, &set.to_yaml(), ACTOR, now)
        .await
        .map_err(|e| e.to_string())?;
    db.upsert_units(&units, ACTOR, now)
        .await
        .map_err(|e| e.to_string())?;
    let s = db
        .import_scores(&set, &scores, ACTOR, now)
        .await
        .map_err(|e| e.to_string())?;
    // SKHDT's dossiers drive I.8.4 (its on-time rate of 2020) before the results are
    // published (Quyết định 809/QĐ-UBND ngày 26/03/2021); a published set keeps its points.
    let dossiers = add_dossiers(db, now).await?;
    if db
        .phase(&set.id)
        .await
        .map_err(|e| e.to_string())?
        .is_none()
    {
        db.refresh_figure_leaves(crate::dossiers_cli::local_now(), ACTOR, now)
            .await
            .map_err(|e| e.to_string())?;
    }
    db.set_phase(&set.id, Phase::Published, ACTOR, now)
        .await
        .map_err(|e| e.to_string())?;
    // The next year's cycle, open for self-assessment, to try the whole loop.
    let next_yaml = set
        .to_yaml()
        .replacen("id: \"brvt-so-2020\"", "id: \"brvt-so-2021\"", 1)
        .replacen("year: 2020", "year: 2021", 1)
        .replacen("năm 2020 (dữ liệu mẫu)", "năm 2021 (dữ liệu mẫu)", 1);
    let next = parse_criteria_yaml("brvt-so-2021", &next_yaml).map_err(|e| e.to_string())?;
    db.store_criteria_set(&next, &next_yaml, ACTOR, now)
        .await
        .map_err(|e| e.to_string())?;
    if db
        .phase(&next.id)
        .await
        .map_err(|e| e.to_string())?
        .is_none()
    {
        db.set_phase(&next.id, Phase::SelfAssessment, ACTOR, now)
            .await
            .map_err(|e| e.to_string())?;
    }
    let accounts = add_accounts(db, now).await?;
    let tasks = add_notice_tasks(db).await?;
    let indicators = add_indicators(db, now).await?;
    let communes = add_commune_story(db, now).await?;
    Ok(format!(
        "Đã nhập dữ liệu mẫu: bộ chỉ số {} ({} tiêu chí thành phần), {} đơn vị, {} điểm tiêu chí của {} sở, ngành; \
         chu kỳ {} đang tự đánh giá; {accounts} tài khoản mẫu (mật khẩu: {DEMO_PASSWORD}); {tasks}; {dossiers}; {indicators}; {communes}.",
        set.id,
        set.leaf_count(),
        units.len(),
        s.leaves,
        s.units,
        next.id
    ))
}

/// The second story (`data/hcm/`, sample data from end to end): the commune-level index of
/// 2024 for a few former wards and communes of Bà Rịa – Vũng Tàu, their reorganisation of
/// 01/07/2025 into Hồ Chí Minh City's new wards, communes and special zone, and the city's
/// commune-level index of 2025 ranked by index (wards have no farming to support: V.3 does
/// not apply to them).
pub const COMMUNE_SETS: [(&str, &str, &str); 2] = [
    (
        "data/hcm/hcm-xa-2024.yaml",
        include_str!("../../../data/hcm/hcm-xa-2024.yaml"),
        include_str!("../../../data/hcm/hcm-xa-2024-scores.csv"),
    ),
    (
        "data/hcm/hcm-xa-2025.yaml",
        include_str!("../../../data/hcm/hcm-xa-2025.yaml"),
        include_str!("../../../data/hcm/hcm-xa-2025-scores.csv"),
    ),
];
pub const COMMUNE_UNITS_CSV: &str = include_str!("../../../data/hcm/units-before-2025.csv");
pub const COMMUNE_CHANGES_CSV: &str = include_str!("../../../data/hcm/changes-2025-07-01.csv");

async fn add_commune_story(db: &Db, now: &str) -> Result<String, String> {
    let err = |e: &dyn std::fmt::Display| e.to_string();
    let (before_file, before_yaml, before_scores) = COMMUNE_SETS[0];
    let (after_file, after_yaml, after_scores) = COMMUNE_SETS[1];
    let before = parse_criteria_yaml(before_file, before_yaml).map_err(|e| err(&e))?;
    let after = parse_criteria_yaml(after_file, after_yaml).map_err(|e| err(&e))?;
    // The former units, once: a second load keeps them as the reorganisation left them.
    if db.unit("VT-P1").await.map_err(|e| err(&e))?.is_none() {
        let units = parse_units_csv("data/hcm/units-before-2025.csv", COMMUNE_UNITS_CSV)
            .map_err(|e| err(&e))?;
        db.upsert_units(&units, ACTOR, now)
            .await
            .map_err(|e| err(&e))?;
    }
    db.store_criteria_set(&before, &before.to_yaml(), ACTOR, now)
        .await
        .map_err(|e| err(&e))?;
    let scores = parse_scores_csv("data/hcm/hcm-xa-2024-scores.csv", before_scores, &before)
        .map_err(|e| err(&e))?;
    db.import_scores(&before, &scores, ACTOR, now)
        .await
        .map_err(|e| err(&e))?;
    db.set_phase(&before.id, Phase::Published, ACTOR, now)
        .await
        .map_err(|e| err(&e))?;
    let (changes, rows) = parindex_domain::reorg::parse_changes_csv(
        "data/hcm/changes-2025-07-01.csv",
        COMMUNE_CHANGES_CSV,
        &db.unit_rows().await.map_err(|e| err(&e))?,
    )
    .map_err(|e| err(&e))?;
    db.apply_unit_changes(&changes, &rows, ACTOR, now)
        .await
        .map_err(|e| err(&e))?;
    db.store_criteria_set(&after, &after.to_yaml(), ACTOR, now)
        .await
        .map_err(|e| err(&e))?;
    let scores = parse_scores_csv("data/hcm/hcm-xa-2025-scores.csv", after_scores, &after)
        .map_err(|e| err(&e))?;
    let n = scores.len();
    db.import_scores(&after, &scores, ACTOR, now)
        .await
        .map_err(|e| err(&e))?;
    db.set_phase(&after.id, Phase::Published, ACTOR, now)
        .await
        .map_err(|e| err(&e))?;
    Ok(format!(
        "câu chuyện thứ hai: {} thay đổi đơn vị ngày 01/07/2025 và chỉ số cấp xã {} của {n} đơn vị mới (xếp theo tỷ lệ %)",
        changes.len(),
        after.id
    ))
}

/// The registry's definitions of the notice's targets.
pub const INDICATORS_CSV: &str = include_str!("../../../data/indicators.csv");

/// The indicators' definitions, and SKHDT's sample website posts of early 2021 (the months
/// before the notice: fewer than its weekly target).
async fn add_indicators(db: &Db, now: &str) -> Result<String, String> {
    let defs =
        parindex_domain::indicators::parse_indicators_csv("data/indicators.csv", INDICATORS_CSV)
            .map_err(|e| e.to_string())?;
    db.define_indicators(&defs, ACTOR, now)
        .await
        .map_err(|e| e.to_string())?;
    let values: Vec<parindex_domain::indicators::Value> = [
        ("2021-01", "2"),
        ("2021-02", "1"),
        ("2021-03", "3"),
        ("2021-04", "4"),
    ]
    .iter()
    .map(|(period, v)| parindex_domain::indicators::Value {
        unit_code: "SKHDT".into(),
        indicator: "website_posts".into(),
        period: (*period).into(),
        value: parindex_domain::Points::parse(v).unwrap_or_default(),
        note: Some("Dữ liệu mẫu".into()),
        evidence_id: None,
        line: 0,
    })
    .collect();
    db.set_indicator_values(&values, ACTOR, now)
        .await
        .map_err(|e| e.to_string())?;
    Ok(format!(
        "{} chỉ số theo dõi (mẫu: tin bài website của SKHDT đầu năm 2021)",
        defs.len()
    ))
}

pub const PROCEDURES_CSV: &str = include_str!("../../../data/sample-procedures-skhdt.csv");
/// How many sample dossiers SKHDT received in each demo year.
const DEMO_DOSSIERS: u64 = 1_500;
/// The demo years with the share (%) of dossiers held well past their limit: 2020 is the
/// year the index assessed (its on-time rate scores I.8.4), 2021 the year after the notice.
const DEMO_YEARS: [(i32, u64); 2] = [(2020, 10), (2021, 4)];

/// SKHDT's procedures and two years (2020, 2021) of sample dossiers, due instants from
/// the shipped calendar; a year already present is kept.
async fn add_dossiers(db: &Db, now: &str) -> Result<String, String> {
    use parindex_domain::dossiers::{
        DossierReader, SampleProcedure, parse_procedures_csv, write_sample_csv,
    };
    let procedures = parse_procedures_csv("data/sample-procedures-skhdt.csv", PROCEDURES_CSV)
        .map_err(|e| e.to_string())?;
    db.upsert_procedures(&procedures, now)
        .await
        .map_err(|e| e.to_string())?;
    let sample: Vec<SampleProcedure<'_>> = procedures
        .iter()
        .map(|p| SampleProcedure {
            unit_code: &p.unit_code,
            code: &p.code,
            limit_days: p.limit_days,
        })
        .collect();
    let ctx = crate::dossiers_cli::load_context(db, None)
        .await
        .map_err(|e| e.1)?;
    let mut said = Vec::new();
    for (year, late_percent) in DEMO_YEARS {
        let from = parindex_domain::text::Date {
            year,
            month: 1,
            day: 1,
        };
        let to = parindex_domain::text::Date {
            year,
            month: 12,
            day: 31,
        };
        let as_of = parindex_domain::calendar::Instant {
            date: to,
            minute: 0,
        };
        let have = db
            .dossier_figures(Some("SKHDT"), from, to, as_of)
            .await
            .map_err(|e| e.to_string())?;
        if have.received > 0 {
            said.push(format!("{year}: {} (đã có)", have.received));
            continue;
        }
        let mut csv = Vec::new();
        let seed = u64::try_from(year).unwrap_or(1);
        write_sample_csv(&mut csv, seed, year, &sample, DEMO_DOSSIERS, late_percent)
            .map_err(|e| e.to_string())?;
        let mut reader = DossierReader::new("mẫu", csv.as_slice());
        let mut records = Vec::new();
        while let Some(row) = reader.next_row() {
            let row = row.map_err(|e| e.to_string())?;
            records.push(ctx.record("mẫu", row).map_err(|e| e.join("; "))?);
        }
        let n = db
            .store_dossiers(records, |_| {})
            .await
            .map_err(|e| e.to_string())?;
        said.push(format!("{year}: {n}"));
    }
    Ok(format!("hồ sơ mẫu của SKHDT — {}", said.join(", ")))
}

/// The demo accounts' password: for trying the demo only.
pub const DEMO_PASSWORD: &str = "parindex-demo";

/// One account per role, on the story's units (created once; kept if they exist).
async fn add_accounts(db: &Db, now: &str) -> Result<usize, String> {
    let accounts = [
        ("admin", "Quản trị hệ thống (mẫu)", Role::Admin, None),
        (
            "snv",
            "Thường trực Sở Nội vụ (mẫu)",
            Role::Secretariat,
            None,
        ),
        (
            "thamdinh",
            "Thành viên thẩm định (mẫu)",
            Role::Appraiser,
            None,
        ),
        (
            "gd.skhdt",
            "Giám đốc Sở KH&ĐT (mẫu)",
            Role::Leader,
            Some("SKHDT"),
        ),
        (
            "vp.skhdt",
            "Đầu mối CCHC – Văn phòng Sở KH&ĐT (mẫu)",
            Role::Focal,
            Some("SKHDT"),
        ),
        (
            "nv.dtpt",
            "Cán bộ Phòng Đầu tư phát triển (mẫu)",
            Role::Division,
            Some("SKHDT-DTPT"),
        ),
        (
            "vp.stc",
            "Đầu mối CCHC Sở Tài chính (mẫu)",
            Role::Focal,
            Some("STC"),
        ),
    ];
    let hash = parindex_services::passwords::hash_password(DEMO_PASSWORD)?;
    let mut created = 0;
    for (username, name, role, unit) in accounts {
        let new = NewUser {
            username,
            display_name: name,
            password_hash: &hash,
            role,
            unit_code: unit,
        };
        match db.create_user(&new, ACTOR, now).await {
            Ok(_) => {
                // The password is published: a server not started with --demo asks for a
                // new one at the first sign-in.
                db.require_password_change(username)
                    .await
                    .map_err(|e| e.to_string())?;
                created += 1;
            }
            Err(DbError::Conflict(_)) => {}
            Err(e) => return Err(e.to_string()),
        }
    }
    Ok(created)
}

/// The notice of the story (April 2021), as received.
pub const NOTICE: &str = include_str!("../../../data/tb-skhdt-2021-04-chan-chinh-cchc.txt");

/// The notice's tasks for SKHDT's divisions with 2021 played out (sample): most reports on
/// time, every fifth four days late, every ninth never made — then the violations.
async fn add_notice_tasks(db: &Db) -> Result<String, String> {
    let imported_at = "2021-04-20T08:00:00Z";
    if !db
        .tasks("SKHDT", "2021-04-20")
        .await
        .map_err(|e| e.to_string())?
        .is_empty()
    {
        return Ok("các nhiệm vụ của thông báo đã có".into());
    }
    let (tasks, _) = parindex_services::directives::import_directive(
        db,
        "SKHDT",
        NOTICE,
        Some("tb-skhdt-2021-04-chan-chinh-cchc.txt"),
        ACTOR,
        imported_at,
    )
    .await?;
    let mut done = 0;
    for t in db
        .tasks("SKHDT", "2021-04-20")
        .await
        .map_err(|e| e.to_string())?
    {
        for o in db.occurrences(t.id).await.map_err(|e| e.to_string())? {
            if o.id % 9 == 0 || o.due_on.as_str() > "2021-12-31" {
                continue;
            }
            let due =
                parindex_domain::text::Date::parse(&o.due_on).ok_or("ngày hạn không đọc được")?;
            let day = if o.id % 5 == 0 {
                due.days_since_epoch() + 4
            } else {
                due.days_since_epoch() - 1
            };
            let at = format!(
                "{}T16:30:00Z",
                parindex_domain::schedule::from_days(day).to_iso()
            );
            let who = if o.id % 2 == 0 { "vp.skhdt" } else { "nv.dtpt" };
            db.complete_occurrence(
                o.id,
                "Đã thực hiện, báo cáo kèm theo (dữ liệu mẫu).",
                None,
                who,
                &at,
            )
            .await
            .map_err(|e| e.to_string())?;
            done += 1;
        }
    }
    let violations = db
        .sweep_violations("2022-01-10", "2022-01-10T07:00:00Z")
        .await
        .map_err(|e| e.to_string())?;
    Ok(format!(
        "{tasks} nhiệm vụ của thông báo chấn chỉnh ({done} kỳ đã báo cáo, {violations} kỳ bỏ sót)"
    ))
}
