//! Load of the assessment cycle on SQLite: N users of the 21 demo departments save points
//! and upload 1 MB PDFs concurrently against a real `parindex serve` for S seconds.
//! Reports throughput, p50/p99 and errors, then recounts the database: every accepted save
//! must show in the leaf's revision and every accepted upload in the evidence files.
//! Baseline in the same run: `/health` at the same concurrency.
//!
//! `cargo run --release -p parindex-bench --bin assess-load -- [--users 200] [--seconds 60] [--think-ms 1000]`
//! (`--think-ms 0` turns it into a stress test: every user fires without pause.)
#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    reason = "a benchmark driver stops loudly on a broken set-up"
)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::Full;
use hyper::Request;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use parindex_db::{Db, NewUser};
use parindex_domain::access::Role;
use parindex_domain::cycle::Phase;
use tokio::sync::Mutex;

use parindex_bench::{Http, arg, pct, send};

#[derive(Default)]
struct Stats {
    save_ms: Vec<f64>,
    upload_ms: Vec<f64>,
    health_ms: Vec<f64>,
    saves_ok: u64,
    uploads_ok: u64,
    errors: Vec<String>,
}

async fn login(http: &Http, base: &str, user: &str) -> Result<(String, String), String> {
    let (token, cookie) = parindex_bench::login_form(http, base).await?;
    let form = format!("username={user}&password=tai-trong-2021&form_token={token}&next=/");
    let req = Request::post(format!("{base}/login"))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("cookie", cookie)
        .body(Full::new(Bytes::from(form)))
        .map_err(|e| e.to_string())?;
    let (status, headers, _) = send(http, req).await?;
    if status != 303 {
        return Err(format!("login {user}: {status}"));
    }
    let sid = headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("sid="))
        .and_then(|c| c.split(';').next())
        .ok_or("no session")?
        .to_string();
    let (_, _, page) = send(
        http,
        Request::get(format!("{base}/account/password"))
            .header("cookie", &sid)
            .body(Full::default())
            .map_err(|e| e.to_string())?,
    )
    .await?;
    let csrf = page
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .ok_or("no csrf")?
        .to_string();
    Ok((sid, csrf))
}

fn pdf(size: usize, seed: u64) -> Vec<u8> {
    let mut v = b"%PDF-1.4\n".to_vec();
    let mut x = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
    while v.len() < size - 6 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        v.extend_from_slice(&x.to_le_bytes());
    }
    v.truncate(size - 6);
    v.extend_from_slice(b"%%EOF\n");
    v
}

#[tokio::main]
async fn main() {
    let users = arg("--users", 200);
    let seconds = arg("--seconds", 60);
    let port = arg("--port", 18_282);
    // Each user pauses this long between two actions (a person reads, types, picks a file).
    let think = Duration::from_millis(arg("--think-ms", 1000));
    let dir = std::env::temp_dir().join(format!("parindex-load-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    let url = format!("sqlite://{}/load.db", dir.display());
    let bin = std::env::current_exe()
        .ok()
        .and_then(|p| p.parent().map(|d| d.join("parindex")))
        .expect("parindex binary beside this one");

    // Data: the demo, a 2021 copy of its set in self-assessment, and the accounts.
    let status = std::process::Command::new(&bin)
        .args(["--db", &url, "demo"])
        .env("PARINDEX_LOG", "warn")
        .status()
        .expect("demo");
    assert!(status.success());
    let db = Db::connect(&url).await.expect("db");
    let demo = db
        .load_set("brvt-so-2020")
        .await
        .expect("set")
        .expect("demo set");
    let yaml = demo
        .to_yaml()
        .replacen("id: \"brvt-so-2020\"", "id: \"load-2021\"", 1)
        .replacen("year: 2020", "year: 2021", 1);
    let set = parindex_domain::parse_criteria_yaml("load.yaml", &yaml).expect("set");
    let now = "2026-11-27T00:00:00Z";
    db.store_criteria_set(&set, &yaml, "bench", now)
        .await
        .expect("store");
    db.set_phase(&set.id, Phase::SelfAssessment, "bench", now)
        .await
        .expect("phase");
    let departments: Vec<String> = db
        .list_units()
        .await
        .expect("units")
        .into_iter()
        .filter(|u| u.group.as_deref() == Some("so"))
        .map(|u| u.code)
        .collect();
    let hash = parindex_services::passwords::hash_password("tai-trong-2021").expect("hash");
    let leaves: Vec<String> = set.leaves().map(|(_, n)| n.code.to_string()).collect();
    // User i works on unit i % 21 and owns the leaves j ≡ i / 21 (mod users per unit):
    // nobody shares a leaf, so every save must be accepted.
    let per_unit = u64::try_from(departments.len()).unwrap_or(1);
    let mut plan = Vec::new();
    for i in 0..users {
        let unit = departments[usize::try_from(i % per_unit).unwrap_or(0)].clone();
        let k = usize::try_from(i / per_unit).unwrap_or(0);
        let mates = usize::try_from(users.div_ceil(per_unit)).unwrap_or(1);
        let mine: Vec<String> = leaves
            .iter()
            .enumerate()
            .filter(|(j, _)| j % mates == k)
            .map(|(_, c)| c.clone())
            .collect();
        let name = format!("u{i:03}");
        db.create_user(
            &NewUser {
                username: &name,
                display_name: &name,
                password_hash: &hash,
                role: Role::Focal,
                unit_code: Some(&unit),
            },
            "bench",
            now,
        )
        .await
        .expect("user");
        plan.push((name, unit, mine));
    }
    db.close().await;

    let mut server = tokio::process::Command::new(&bin)
        .args([
            "--db",
            &url,
            "serve",
            "--addr",
            &format!("127.0.0.1:{port}"),
            "--files",
            &dir.join("files").display().to_string(),
        ])
        .env("PARINDEX_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("serve");
    let base = format!("http://127.0.0.1:{port}");
    let mut connector = HttpConnector::new();
    connector.set_nodelay(true);
    let http: Http = Client::builder(TokioExecutor::new())
        .pool_max_idle_per_host(usize::try_from(users).unwrap_or(200))
        .build(connector);
    parindex_bench::wait_for_health(&http, &base).await;

    let stats = Arc::new(Mutex::new(Stats::default()));
    // Baseline: /health at the same concurrency for 5 s.
    let until = Instant::now() + Duration::from_secs(5);
    let mut tasks = Vec::new();
    for _ in 0..users {
        let (http, base, stats) = (http.clone(), base.clone(), stats.clone());
        tasks.push(tokio::spawn(async move {
            while Instant::now() < until {
                let t = Instant::now();
                let ok = send(
                    &http,
                    Request::get(format!("{base}/health"))
                        .body(Full::default())
                        .expect("req"),
                )
                .await
                .is_ok_and(|r| r.0 == 200);
                let mut s = stats.lock().await;
                s.health_ms.push(t.elapsed().as_secs_f64() * 1e3);
                if !ok {
                    s.errors.push("health".into());
                }
            }
        }));
    }
    for t in tasks.drain(..) {
        let _ = t.await;
    }

    let mut sessions = Vec::new();
    for (name, unit, mine) in &plan {
        match login(&http, &base, name).await {
            Ok((sid, csrf)) => sessions.push((sid, csrf, unit.clone(), mine.clone())),
            Err(e) => stats.lock().await.errors.push(e),
        }
    }
    let started = Instant::now();
    let until = started + Duration::from_secs(seconds);
    let mut workers = Vec::new();
    for (n, (sid, csrf, unit, mine)) in sessions.into_iter().enumerate() {
        let (http, base, stats) = (http.clone(), base.clone(), stats.clone());
        let seed = u64::try_from(n).unwrap_or(0);
        workers.push(tokio::spawn(async move {
            let mut revisions = vec![0i64; mine.len()];
            let mut k = 0usize;
            // Users start spread over one pause, as people do.
            tokio::time::sleep(think.mul_f64(f64::from(u32::try_from(seed % 100).unwrap_or(0)) / 100.0)).await;
            while Instant::now() < until && !mine.is_empty() {
                tokio::time::sleep(think).await;
                let i = k % mine.len();
                let code = &mine[i];
                k += 1;
                if k.is_multiple_of(10) {
                    let b = "----load";
                    let mut body = format!("--{b}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n--{b}\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nBáo cáo {k}\r\n--{b}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"bao-cao-{seed}-{k}.pdf\"\r\nContent-Type: application/pdf\r\n\r\n").into_bytes();
                    body.extend(pdf(1024 * 1024, seed * 1_000_003 + k as u64));
                    body.extend(format!("\r\n--{b}--\r\n").as_bytes());
                    let req = Request::post(format!("{base}/sets/load-2021/units/{unit}/leaves/{code}/evidence"))
                        .header("content-type", format!("multipart/form-data; boundary={b}"))
                        .header("cookie", &sid)
                        .body(Full::new(Bytes::from(body)))
                        .expect("req");
                    let t = Instant::now();
                    let r = send(&http, req).await;
                    let mut s = stats.lock().await;
                    s.upload_ms.push(t.elapsed().as_secs_f64() * 1e3);
                    match r {
                        Ok((303, _, _)) => s.uploads_ok += 1,
                        Ok((st, _, body)) => s.errors.push(format!("upload {st}: {}", body.chars().take(120).collect::<String>())),
                        Err(e) => s.errors.push(format!("upload: {e}")),
                    }
                } else {
                    let value = 50 + (k % 50);
                    let form = format!("csrf={csrf}&revision={}&action=self&input={value}&note=t%E1%BA%A3i+{k}", revisions[i]);
                    let req = Request::post(format!("{base}/sets/load-2021/units/{unit}/leaves/{code}"))
                        .header("content-type", "application/x-www-form-urlencoded")
                        .header("cookie", &sid)
                        .body(Full::new(Bytes::from(form)))
                        .expect("req");
                    let t = Instant::now();
                    let r = send(&http, req).await;
                    let mut s = stats.lock().await;
                    s.save_ms.push(t.elapsed().as_secs_f64() * 1e3);
                    match r {
                        Ok((303, _, _)) => {
                            s.saves_ok += 1;
                            revisions[i] += 1;
                        }
                        // Options and yes/no leaves do not read a number: a correct refusal.
                        Ok((400, _, _)) => {}
                        Ok((st, _, body)) => s.errors.push(format!("save {code} {st}: {}", body.chars().take(120).collect::<String>())),
                        Err(e) => s.errors.push(format!("save: {e}")),
                    }
                }
            }
            revisions.iter().sum::<i64>()
        }));
    }
    let mut expected_revisions = 0i64;
    for t in workers {
        expected_revisions += t.await.unwrap_or(0);
    }
    let elapsed = started.elapsed().as_secs_f64();
    let _ = server.kill().await;

    // Recount from the database.
    let db = Db::connect(&url).await.expect("db");
    let mut stored_revisions = 0i64;
    for unit in &departments {
        for (_, leaf) in db.unit_leaves("load-2021", unit).await.expect("leaves") {
            stored_revisions += leaf.revision;
        }
    }
    let stored_files = db.count_evidence_files().await.expect("files");
    let audit = db.verify_audit().await.expect("audit");
    let mut s = stats.lock().await;
    let (saves, uploads) = (s.saves_ok, s.uploads_ok);
    let total = saves + uploads;
    #[expect(clippy::cast_precision_loss, reason = "request counts")]
    let rps = total as f64 / elapsed;
    let (h99, s50, s99, u50, u99) = (
        pct(&mut s.health_ms, 0.99),
        pct(&mut s.save_ms, 0.5),
        pct(&mut s.save_ms, 0.99),
        pct(&mut s.upload_ms, 0.5),
        pct(&mut s.upload_ms, 0.99),
    );
    println!(
        "assessment load on SQLite: {users} users of {} units, {seconds} s, {} ms pause between a user's actions, 127.0.0.1",
        departments.len(),
        think.as_millis()
    );
    println!("  baseline /health at the same concurrency: p99 {h99:.1} ms");
    println!(
        "  saves: {saves} accepted, p50 {s50:.1} ms, p99 {s99:.1} ms ({:.1}× the baseline p99)",
        s99 / h99.max(0.001)
    );
    println!("  1 MB uploads: {uploads} accepted, p50 {u50:.1} ms, p99 {u99:.1} ms");
    println!(
        "  throughput: {rps:.0} writes/s; errors: {}",
        s.errors.len()
    );
    for e in s.errors.iter().take(5) {
        println!("    {e}");
    }
    println!(
        "  recount: leaf revisions {stored_revisions} (expected {expected_revisions}); evidence files {stored_files} (expected {uploads}); audit chain: {audit:?}"
    );
    let ok = s.errors.is_empty()
        && stored_revisions == expected_revisions
        && u64::try_from(stored_files).unwrap_or(0) == uploads
        && s99 < 200.0
        && u99 < 200.0;
    println!(
        "  targets (zero errors, zero lost writes, p99 < 200 ms): {}",
        if ok { "met" } else { "NOT met" }
    );
    let _ = std::fs::remove_dir_all(&dir);
}
