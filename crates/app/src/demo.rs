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
    // The 2020 results were published (Quyết định 809/QĐ-UBND ngày 26/03/2021).
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
    Ok(format!(
        "Đã nạp dữ liệu mẫu: bộ chỉ số {} ({} tiêu chí thành phần), {} đơn vị, {} điểm tiêu chí của {} sở, ngành; \
         chu kỳ {} đang tự đánh giá; {accounts} tài khoản mẫu (mật khẩu: {DEMO_PASSWORD}).",
        set.id,
        set.leaf_count(),
        units.len(),
        s.leaves,
        s.units,
        next.id
    ))
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
    let hash = parindex_web::auth::hash_password(DEMO_PASSWORD)?;
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
            Ok(_) => created += 1,
            Err(DbError::Conflict(_)) => {}
            Err(e) => return Err(e.to_string()),
        }
    }
    Ok(created)
}
