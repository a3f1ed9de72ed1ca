//! The demo data of `data/`, built into the binary so that `parindex demo` works anywhere.

use parindex_db::Db;
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
    db.set_phase(
        &set.id,
        parindex_domain::cycle::Phase::Published,
        ACTOR,
        now,
    )
    .await
    .map_err(|e| e.to_string())?;
    Ok(format!(
        "Đã nạp dữ liệu mẫu: bộ chỉ số {} ({} tiêu chí thành phần), {} đơn vị, {} điểm tiêu chí của {} sở, ngành.",
        set.id,
        set.leaf_count(),
        units.len(),
        s.leaves,
        s.units
    ))
}
