//! Conformance suite: every repository function on SQLite and on PostgreSQL.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]

use parindex_db::testkit::each_db;
use parindex_db::{DbError, StoreOutcome};
use parindex_domain::units::parse_units_csv;
use parindex_domain::{parse_criteria_yaml, parse_scores_csv, rank_units};

const SET: &str = include_str!("example-so-2020.yaml");
const SCORES: &str = include_str!("example-scores.csv");
const NOW: &str = "2026-11-27T10:00:00Z";
const UNITS: &str = "code,name,parent_code,kind,group\nSKHDT,Sở Kế hoạch và Đầu tư,,so,so\nSTC,Sở Tài chính,,so,so\nSNV,Sở Nội vụ,,so,so\n";

#[tokio::test]
async fn sets_are_stored_versioned_and_frozen_once_scored() {
    for (db, _) in each_db().await {
        let set = parse_criteria_yaml("s.yaml", SET).unwrap();
        let yaml = set.to_yaml();
        assert_eq!(
            db.store_criteria_set(&set, &yaml, NOW).await.unwrap(),
            StoreOutcome::Created
        );
        assert_eq!(
            db.store_criteria_set(&set, &yaml, NOW).await.unwrap(),
            StoreOutcome::Unchanged
        );
        let mut changed = set.clone();
        changed.name = "Tên mới".into();
        assert_eq!(
            db.store_criteria_set(&changed, &changed.to_yaml(), NOW)
                .await
                .unwrap(),
            StoreOutcome::Replaced
        );
        let sets = db.list_sets().await.unwrap();
        assert_eq!(sets.len(), 1, "{}", db.kind());
        assert_eq!(sets[0].name, "Tên mới");
        assert_eq!(sets[0].revision, 2);
        assert_eq!(sets[0].leaves, 5);
        assert_eq!(sets[0].total_max.to_fixed(3), "15.500");
        let loaded = db.load_set(&set.id).await.unwrap().unwrap();
        assert_eq!(loaded.to_yaml(), changed.to_yaml());

        db.upsert_units(&parse_units_csv("u.csv", UNITS).unwrap(), NOW)
            .await
            .unwrap();
        let units = parse_scores_csv("x.csv", SCORES, &loaded).unwrap();
        db.import_scores(&loaded, &units, NOW).await.unwrap();
        let err = db.store_criteria_set(&set, &yaml, NOW).await.unwrap_err();
        assert!(matches!(err, DbError::SetInUse(_)), "{err}");
        assert_eq!(
            db.newest_set_id().await.unwrap().as_deref(),
            Some("example-so-2020")
        );
    }
}

#[tokio::test]
async fn scores_round_trip_and_rank_as_offline() {
    for (db, _) in each_db().await {
        let set = parse_criteria_yaml("s.yaml", SET).unwrap();
        db.store_criteria_set(&set, &set.to_yaml(), NOW)
            .await
            .unwrap();
        db.upsert_units(&parse_units_csv("u.csv", UNITS).unwrap(), NOW)
            .await
            .unwrap();
        let units = parse_scores_csv("x.csv", SCORES, &set).unwrap();
        let summary = db.import_scores(&set, &units, NOW).await.unwrap();
        assert_eq!((summary.units, summary.leaves), (3, 15));
        let stored = db.load_scores(&set).await.unwrap();
        let offline = rank_units(&set, &units);
        let online = rank_units(&set, &stored);
        assert_eq!(offline, online, "{}", db.kind());
        let one = db.load_unit_scores(&set, "SKHDT").await.unwrap().unwrap();
        assert_eq!(one.leaves.len(), 5);
        let i11 = set.position("I.1.1").unwrap();
        assert_eq!(
            one.leaves[&i11]
                .self_points
                .map(parindex_domain::Points::to_plain)
                .as_deref(),
            Some("1")
        );
        assert_eq!(one.leaves[&i11].effective.to_plain(), "0.5");
    }
}

#[tokio::test]
async fn unknown_units_store_nothing() {
    for (db, _) in each_db().await {
        let set = parse_criteria_yaml("s.yaml", SET).unwrap();
        db.store_criteria_set(&set, &set.to_yaml(), NOW)
            .await
            .unwrap();
        db.upsert_units(
            &parse_units_csv("u.csv", "code,name\nSTC,Sở Tài chính\n").unwrap(),
            NOW,
        )
        .await
        .unwrap();
        let units = parse_scores_csv("x.csv", SCORES, &set).unwrap();
        match db.import_scores(&set, &units, NOW).await {
            Err(DbError::UnknownUnits(m)) => {
                assert_eq!(m, vec![("SKHDT".to_string(), 2), ("SNV".to_string(), 12)]);
            }
            other => panic!("expected unknown units, got {other:?}"),
        }
        assert!(
            db.load_scores(&set).await.unwrap().is_empty(),
            "{}",
            db.kind()
        );
    }
}

#[tokio::test]
async fn renamed_units_keep_their_former_names() {
    for (db, _) in each_db().await {
        db.upsert_units(&parse_units_csv("u.csv", UNITS).unwrap(), NOW)
            .await
            .unwrap();
        let renamed = "code,name,parent_code,kind,group,valid_from,valid_to,merged_into\n\
                       SKHDT,Sở Kế hoạch và Đầu tư (đã sáp nhập),,so,so,,28/02/2025,STC\n";
        let r = db
            .upsert_units(
                &parse_units_csv("u.csv", renamed).unwrap(),
                "2025-03-01T00:00:00Z",
            )
            .await
            .unwrap();
        assert_eq!((r.created, r.updated, r.renamed), (0, 1, 1));
        let u = db.unit("SKHDT").await.unwrap().unwrap();
        assert_eq!(u.merged_into.as_deref(), Some("STC"));
        assert_eq!(u.valid_to.as_deref(), Some("2025-02-28"));
        let former = db.unit_former_names("SKHDT").await.unwrap();
        assert_eq!(
            former,
            vec![(
                "Sở Kế hoạch và Đầu tư".to_string(),
                "2025-03-01T00:00:00Z".to_string()
            )]
        );
        assert_eq!(db.list_units().await.unwrap().len(), 3);
    }
}

#[tokio::test]
async fn sqlite_backup_is_a_working_copy() {
    let (db, _) = parindex_db::testkit::sqlite().await;
    db.upsert_units(&parse_units_csv("u.csv", UNITS).unwrap(), NOW)
        .await
        .unwrap();
    let path = std::env::temp_dir().join(format!("parindex-backup-{}.db", std::process::id()));
    let _ = std::fs::remove_file(&path);
    db.backup(&path.display().to_string()).await.unwrap();
    let copy = parindex_db::Db::connect(&format!("sqlite://{}", path.display()))
        .await
        .unwrap();
    assert_eq!(copy.list_units().await.unwrap().len(), 3);
    let _ = std::fs::remove_file(&path);
}
