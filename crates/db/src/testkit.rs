//! Fresh databases for tests: a new SQLite file, and a new PostgreSQL schema when a
//! server is reachable (`PARINDEX_TEST_PG`, default the local `test` database). Under
//! `CI=true` an unreachable PostgreSQL fails the test instead of skipping it.
#![expect(clippy::panic, reason = "test helpers fail the test loudly")]

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::Db;

static COUNTER: AtomicU64 = AtomicU64::new(0);

pub fn postgres_url() -> String {
    std::env::var("PARINDEX_TEST_PG")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_string())
}

fn unique(prefix: &str) -> String {
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    format!("{prefix}_{}_{n}_{nanos}", std::process::id())
}

/// A throwaway SQLite database file (removed with the temp folder at process end is
/// not guaranteed; files live under the system temp dir).
pub async fn sqlite() -> (Db, String) {
    let dir = std::env::temp_dir().join("parindex-tests");
    let _ = std::fs::create_dir_all(&dir);
    let path = dir.join(format!("{}.db", unique("t")));
    let url = format!("sqlite://{}", path.display());
    match Db::connect(&url).await {
        Ok(db) => (db, url),
        Err(e) => panic!("SQLite test database: {e}"),
    }
}

/// A fresh PostgreSQL schema, or `None` when no server answers outside CI.
pub async fn postgres() -> Option<(Db, String)> {
    let url = postgres_url();
    let schema = unique("t");
    match Db::connect_postgres_schema(&url, &schema).await {
        Ok(db) => {
            let sep = if url.contains('?') { '&' } else { '?' };
            Some((db, format!("{url}{sep}options=-csearch_path%3D{schema}")))
        }
        Err(e) => {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "PostgreSQL is required under CI=true: {e}"
            );
            eprintln!("skipping PostgreSQL: {e}");
            None
        }
    }
}

/// Both databases (PostgreSQL when reachable), each fresh.
pub async fn each_db() -> Vec<(Db, String)> {
    let mut out = vec![sqlite().await];
    if let Some(pg) = postgres().await {
        out.push(pg);
    }
    out
}
