//! Conformance suite: every repository function on SQLite and on PostgreSQL.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]

mod applicability;
mod dossiers;

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
            db.store_criteria_set(&set, &yaml, "test", NOW)
                .await
                .unwrap(),
            StoreOutcome::Created
        );
        assert_eq!(
            db.store_criteria_set(&set, &yaml, "test", NOW)
                .await
                .unwrap(),
            StoreOutcome::Unchanged
        );
        let mut changed = set.clone();
        changed.name = "Tên mới".into();
        assert_eq!(
            db.store_criteria_set(&changed, &changed.to_yaml(), "test", NOW)
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

        db.upsert_units(&parse_units_csv("u.csv", UNITS).unwrap(), "test", NOW)
            .await
            .unwrap();
        let units = parse_scores_csv("x.csv", SCORES, &loaded).unwrap();
        db.import_scores(&loaded, &units, "test", NOW)
            .await
            .unwrap();
        let err = db
            .store_criteria_set(&set, &yaml, "test", NOW)
            .await
            .unwrap_err();
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
        db.store_criteria_set(&set, &set.to_yaml(), "test", NOW)
            .await
            .unwrap();
        db.upsert_units(&parse_units_csv("u.csv", UNITS).unwrap(), "test", NOW)
            .await
            .unwrap();
        let units = parse_scores_csv("x.csv", SCORES, &set).unwrap();
        let summary = db.import_scores(&set, &units, "test", NOW).await.unwrap();
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
        db.store_criteria_set(&set, &set.to_yaml(), "test", NOW)
            .await
            .unwrap();
        db.upsert_units(
            &parse_units_csv("u.csv", "code,name\nSTC,Sở Tài chính\n").unwrap(),
            "test",
            NOW,
        )
        .await
        .unwrap();
        let units = parse_scores_csv("x.csv", SCORES, &set).unwrap();
        match db.import_scores(&set, &units, "test", NOW).await {
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
        db.upsert_units(&parse_units_csv("u.csv", UNITS).unwrap(), "test", NOW)
            .await
            .unwrap();
        let renamed = "code,name,parent_code,kind,group,valid_from,valid_to,merged_into\n\
                       SKHDT,Sở Kế hoạch và Đầu tư (đã sáp nhập),,so,so,,28/02/2025,STC\n";
        let r = db
            .upsert_units(
                &parse_units_csv("u.csv", renamed).unwrap(),
                "test",
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
    db.upsert_units(&parse_units_csv("u.csv", UNITS).unwrap(), "test", NOW)
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

async fn exec(db: &parindex_db::Db, sql: &'static str) {
    match db {
        parindex_db::Db::Sqlite(p) => {
            sqlx::query(sql).execute(p).await.unwrap();
        }
        parindex_db::Db::Postgres(p) => {
            sqlx::query(sql).execute(p).await.unwrap();
        }
    }
}

#[tokio::test]
async fn accounts_sessions_and_login_failures() {
    use parindex_db::NewUser;
    use parindex_domain::access::Role;
    for (db, _) in each_db().await {
        db.upsert_units(&parse_units_csv("u.csv", UNITS).unwrap(), "test", NOW)
            .await
            .unwrap();
        let new = NewUser {
            username: "vp.skhdt",
            display_name: "Đầu mối CCHC",
            password_hash: "$argon2id$fake",
            role: Role::Focal,
            unit_code: Some("SKHDT"),
        };
        let id = db.create_user(&new, "admin", NOW).await.unwrap();
        let again = db.create_user(&new, "admin", NOW).await.unwrap_err();
        assert!(matches!(again, DbError::Conflict(_)), "{again}");
        let bad_unit = NewUser {
            username: "x",
            unit_code: Some("NOPE"),
            ..new.clone()
        };
        assert!(matches!(
            db.create_user(&bad_unit, "admin", NOW).await,
            Err(DbError::UnknownUnits(_))
        ));
        let (user, hash) = db.login_record("vp.skhdt").await.unwrap().unwrap();
        assert_eq!(
            (user.id, user.role, user.unit_code.as_deref(), hash.as_str()),
            (id, Role::Focal, Some("SKHDT"), "$argon2id$fake")
        );

        db.create_session("tok", id, "csrf1", NOW, "2026-11-28T10:00:00Z")
            .await
            .unwrap();
        let s = db
            .session("tok", "2026-11-27T12:00:00Z")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (s.user.username.as_str(), s.csrf_token.as_str()),
            ("vp.skhdt", "csrf1")
        );
        assert!(
            db.session("tok", "2026-11-28T10:00:01Z")
                .await
                .unwrap()
                .is_none(),
            "expired"
        );
        db.set_password(id, "$argon2id$new", "vp.skhdt", NOW)
            .await
            .unwrap();
        assert!(
            db.session("tok", NOW).await.unwrap().is_none(),
            "a new password ends sessions"
        );
        db.create_session("tok2", id, "csrf2", NOW, "2026-11-28T10:00:00Z")
            .await
            .unwrap();
        db.delete_session("tok2").await.unwrap();
        assert!(db.session("tok2", NOW).await.unwrap().is_none());

        for n in 1..=3 {
            assert_eq!(
                db.record_login_failure("user:a", NOW, "2026-11-27T09:45:00Z")
                    .await
                    .unwrap(),
                n
            );
        }
        // Failures older than the window no longer count.
        assert_eq!(
            db.login_failures("user:a", "2026-11-27T10:00:01Z")
                .await
                .unwrap(),
            0
        );
        db.clear_login_failures("user:a").await.unwrap();
        assert_eq!(
            db.login_failures("user:a", "2026-01-01T00:00:00Z")
                .await
                .unwrap(),
            0
        );
        assert_eq!(db.list_users().await.unwrap().len(), 1, "{}", db.kind());
    }
}

#[tokio::test]
async fn audit_chain_records_changes_and_detects_tampering() {
    use parindex_db::AuditCheck;
    for (db, _) in each_db().await {
        let set = parse_criteria_yaml("s.yaml", SET).unwrap();
        db.store_criteria_set(&set, &set.to_yaml(), "test", NOW)
            .await
            .unwrap();
        db.upsert_units(&parse_units_csv("u.csv", UNITS).unwrap(), "test", NOW)
            .await
            .unwrap();
        let units = parse_scores_csv("x.csv", SCORES, &set).unwrap();
        db.import_scores(&set, &units, "test", NOW).await.unwrap();
        // Importing the same file again changes no point and adds no record.
        let again = db.import_scores(&set, &units, "test", NOW).await.unwrap();
        assert_eq!(again.leaves, 0);
        let records = 1 + 3 + 15;
        assert_eq!(
            db.verify_audit().await.unwrap(),
            AuditCheck::Intact { records }
        );
        let history = db
            .audit_history("example-so-2020/SKHDT/I.1.1")
            .await
            .unwrap();
        assert_eq!(history.len(), 1);
        assert_eq!(history[0].entry.action, "points");
        assert_eq!(
            history[0].entry.new_value.as_deref(),
            Some("self=1; appraised=0.5; final=-; input=-; effective=0.5")
        );
        assert_eq!(
            db.audit_history("example-so-2020/SKHDT")
                .await
                .unwrap()
                .len(),
            5
        );

        exec(&db, "UPDATE audit_log SET new_value = 'self=1; appraised=1; final=-; input=-; effective=1' WHERE id = 6").await;
        match db.verify_audit().await.unwrap() {
            AuditCheck::Broken { record, .. } => assert_eq!(record, 6, "{}", db.kind()),
            other @ AuditCheck::Intact { .. } => panic!("tampering not detected: {other:?}"),
        }
    }
    for (db, _) in each_db().await {
        db.upsert_units(&parse_units_csv("u.csv", UNITS).unwrap(), "test", NOW)
            .await
            .unwrap();
        exec(
            &db,
            "DELETE FROM audit_log WHERE id = (SELECT MAX(id) FROM audit_log)",
        )
        .await;
        assert!(
            matches!(
                db.verify_audit().await.unwrap(),
                AuditCheck::Broken { record: 3, .. }
            ),
            "truncation"
        );
    }
}
