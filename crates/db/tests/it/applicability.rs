//! Not applicable, bonus, penalty and `rank_by` through the database: random sets and
//! scores stored, loaded back and ranked give the contract's figures on both databases.

use parindex_db::LeafChange;
use parindex_db::testkit::each_db;
use parindex_domain::units::parse_units_csv;
use parindex_domain::{parse_criteria_yaml, parse_scores_csv, rank_units};

#[path = "../../../domain/tests/support/applicability_cases.rs"]
mod cases;

use cases::{Case, Expected};

const NOW: &str = "2026-12-07T10:00:00Z";

/// Stores a case's set and units; the set as loaded back.
async fn stored(db: &parindex_db::Db, case: &Case) -> parindex_domain::CriteriaSet {
    let set = parse_criteria_yaml("gen.yaml", &case.yaml).unwrap();
    db.store_criteria_set(&set, &set.to_yaml(), "test", NOW)
        .await
        .unwrap();
    db.upsert_units(
        &parse_units_csv("u.csv", &case.units_csv()).unwrap(),
        "test",
        NOW,
    )
    .await
    .unwrap();
    let loaded = db.load_set(&set.id).await.unwrap().unwrap();
    assert_eq!(loaded.rank_by, set.rank_by, "{}", db.kind());
    loaded
}

#[tokio::test]
async fn stored_scores_rank_as_the_contract_says() {
    for (db, _) in each_db().await {
        for seed in 0..25_u64 {
            let case = Case::generate(seed);
            let loaded = stored(&db, &case).await;
            let units = parse_scores_csv("gen.csv", &case.csv, &loaded).unwrap();
            db.import_scores(&loaded, &units, "test", NOW)
                .await
                .unwrap();
            let scores = db.load_scores(&loaded).await.unwrap();
            assert_eq!(
                rank_units(&loaded, &scores)
                    .into_iter()
                    .map(Expected::of)
                    .collect::<Vec<_>>(),
                case.expected(),
                "seed {seed}, {}",
                db.kind()
            );
        }
    }
}

#[tokio::test]
async fn the_secretariat_marks_a_leaf_not_applicable_and_back_audited() {
    for (db, _) in each_db().await {
        let case = Case::generate(3);
        let set = stored(&db, &case).await;
        let units = parse_scores_csv("gen.csv", &case.csv, &set).unwrap();
        db.import_scores(&set, &units, "test", NOW).await.unwrap();
        let unit = &case.points[0].0;
        // A regular leaf that applies to the unit, with its points.
        let (k, leaf) = case
            .leaves
            .iter()
            .enumerate()
            .find(|(k, l)| l.kind == cases::Kind::Regular && case.points[0].2[*k].is_some())
            .unwrap();
        let pos = set.position(&leaf.code).unwrap();
        let before = db.load_unit_scores(&set, unit).await.unwrap().unwrap();
        let max_before = rank_units(&set, std::slice::from_ref(&before))[0].max;
        let stored = db.unit_leaves(&set.id, unit).await.unwrap();
        let revision = stored
            .iter()
            .find(|(c, _)| *c == leaf.code)
            .map_or(0, |(_, l)| l.revision);
        let reason = "Đơn vị không có thủ tục hành chính";
        let out = db
            .save_leaf(
                &set,
                unit,
                pos,
                &LeafChange::Applicability {
                    not_applicable: Some(reason.into()),
                },
                revision,
                "snv",
                NOW,
            )
            .await
            .unwrap();
        let parindex_db::SaveOutcome::Saved { revision } = out else {
            panic!("conflict")
        };
        let after = db.load_unit_scores(&set, unit).await.unwrap().unwrap();
        assert_eq!(after.leaves[&pos].not_applicable.as_deref(), Some(reason));
        let r = &rank_units(&set, std::slice::from_ref(&after))[0];
        assert_eq!(
            r.max.thousandths(),
            max_before.thousandths() - leaf.max,
            "{}",
            db.kind()
        );
        // The layers stay: applicable again, the unit's points are back.
        db.save_leaf(
            &set,
            unit,
            pos,
            &LeafChange::Applicability {
                not_applicable: None,
            },
            revision,
            "snv",
            NOW,
        )
        .await
        .unwrap();
        let back = db.load_unit_scores(&set, unit).await.unwrap().unwrap();
        assert_eq!(back.leaves[&pos].not_applicable, None);
        assert_eq!(
            back.leaves[&pos].effective.thousandths(),
            case.points[0].2[k].unwrap(),
            "{}",
            db.kind()
        );
        let history = db
            .audit_history(&format!("{}/{unit}/{}", set.id, leaf.code))
            .await
            .unwrap();
        let actions: Vec<&str> = history.iter().map(|h| h.entry.action.as_str()).collect();
        assert!(actions.contains(&"points.not_applicable"), "{actions:?}");
        assert!(actions.contains(&"points.applicable"), "{actions:?}");
        let marked = history
            .iter()
            .find(|h| h.entry.action == "points.not_applicable")
            .unwrap();
        assert_eq!(marked.entry.reason.as_deref(), Some(reason));
        assert_eq!(marked.entry.actor, "snv");
    }
}
