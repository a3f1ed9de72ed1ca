//! The first render of a ranking after a change of points, in process (no network): a
//! unit's leaf is saved, then a visitor opens the published ranking. Measured against the
//! baseline of the same run: a server that reads the whole set again (a fresh state), as
//! every server did before the change-stamp. Both pages must be identical, byte for byte.
//!
//! `bench/ranking-after-change.sh` prepares a database of 1,000 units × 150 leaves and runs
//! `ranking-after-change --db URL --set bench-set [--rounds 15]`.
#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    reason = "a benchmark driver stops loudly on a broken set-up"
)]

use std::time::Instant;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use parindex_db::{Db, LeafChange};
use tower::ServiceExt;

fn text_arg(args: &[String], name: &str) -> String {
    args.windows(2)
        .find(|w| w[0] == name)
        .map(|w| w[1].clone())
        .expect("--db URL --set ID are needed")
}

async fn render(app: &axum::Router, uri: &str) -> (f64, Vec<u8>) {
    let t = Instant::now();
    let res = app
        .clone()
        .oneshot(Request::get(uri).body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = res.status();
    let body = res.into_body().collect().await.unwrap().to_bytes().to_vec();
    let ms = t.elapsed().as_secs_f64() * 1000.0;
    assert_eq!(status, StatusCode::OK, "{uri} answered {status}");
    (ms, body)
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let url = text_arg(&args, "--db");
    let set_id = text_arg(&args, "--set");
    let rounds = usize::try_from(parindex_bench::arg("--rounds", 15)).unwrap_or(15);
    let db = Db::connect(&url).await.expect("database");
    let set = db.load_set(&set_id).await.unwrap().expect("set");
    let units: Vec<String> = db
        .load_scores(&set)
        .await
        .unwrap()
        .into_iter()
        .map(|u| u.unit_code)
        .collect();
    let leaf = set
        .leaves()
        .find(|(_, n)| n.rule.as_ref().is_some_and(|r| r.kind() == "survey"))
        .map(|(i, _)| i)
        .expect("a leaf scored by hand");
    let st = parindex_web::AppState::new(db.clone());
    let app = parindex_web::router(st.clone());
    let uri = format!("/sets/{set_id}/ranking");
    render(&app, &uri).await;
    let (mut changed, mut full) = (Vec::new(), Vec::new());
    for round in 0..rounds {
        let unit = &units[(round * 37) % units.len()];
        let revision = db
            .unit_leaves(&set_id, unit)
            .await
            .unwrap()
            .into_iter()
            .find(|(c, _)| c == set.nodes[leaf].code.as_str())
            .map_or(0, |(_, l)| l.revision);
        let points =
            parindex_domain::Points::parse(if round % 2 == 0 { "0.5" } else { "1" }).unwrap();
        let change = LeafChange::SelfAssessment {
            input: Some(points.to_plain()),
            self_points: Some(points),
            note: None,
        };
        db.save_leaf(
            &set,
            unit,
            leaf,
            &change,
            revision,
            "bench",
            "2026-12-01T00:00:00Z",
        )
        .await
        .unwrap();
        // As the page that saved it does.
        st.invalidate(&set_id);
        let (ms, after) = render(&app, &uri).await;
        changed.push(ms);
        let fresh = parindex_web::router(parindex_web::AppState::new(db.clone()));
        let (ms, baseline) = render(&fresh, &uri).await;
        full.push(ms);
        assert!(after == baseline, "round {round}: the pages differ");
    }
    let (c, f) = (median(&mut changed), median(&mut full));
    println!(
        "ranking of {} units × {} leaves, first render after one unit's change, {rounds} rounds (median)",
        units.len(),
        set.leaf_count()
    );
    println!("  full read of the set (baseline): {f:.1} ms");
    println!("  after a change (changed units only): {c:.1} ms");
    println!(
        "  ratio: {:.3} of the baseline; target under 100 ms: {}",
        c / f,
        if c < 100.0 { "met" } else { "NOT met" }
    );
}
