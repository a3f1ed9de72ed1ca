//! A burst of failed sign-ins against a real `parindex serve` (demo data, SQLite): N at once,
//! each from its own address (the server trusts `X-Forwarded-For` from 127.0.0.1, as behind
//! a proxy, so the per-address limit does not hide the cost of the hashes), each for its own
//! unknown account. While it runs, the server's resident memory is sampled every 10 ms and
//! `/health` is asked in a loop.
//!
//! Baselines in the same run: the server's memory when idle after start, and `/health`'s
//! latency with nothing else going on. Reported: peak memory during the burst (MiB, and as
//! a ratio to idle) and `/health` p99 during the burst (ms, and as a ratio to idle p99).
//!
//! `cargo run --release -p parindex-bench --bin signin-burst -- [--attempts 200] [--port 18283]`
#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    reason = "a benchmark driver stops loudly on a broken set-up"
)]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::Full;
use hyper::Request;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use tokio::sync::Mutex;

use parindex_bench::{Http, arg, pct, send};

/// Resident memory of a process, KiB.
fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|n| n.parse().ok())
        })
        .unwrap_or(0)
}

/// One failed sign-in from `addr`; the answer's status.
async fn failed_sign_in(http: &Http, base: &str, user: &str, addr: &str) -> Result<u16, String> {
    let (token, cookie) = parindex_bench::login_form(http, base).await?;
    let form = format!("username={user}&password=doan-sai-ca&form_token={token}&next=/");
    let req = Request::post(format!("{base}/login"))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("cookie", cookie)
        .header("x-forwarded-for", addr)
        .body(Full::new(Bytes::from(form)))
        .map_err(|e| e.to_string())?;
    Ok(send(http, req).await?.0)
}

async fn health_loop(http: Http, base: String, stop: Arc<AtomicBool>) -> Vec<f64> {
    let mut ms = Vec::new();
    while !stop.load(Ordering::Relaxed) {
        let t = Instant::now();
        let ok = send(
            &http,
            Request::get(format!("{base}/health"))
                .body(Full::default())
                .expect("req"),
        )
        .await
        .is_ok_and(|r| r.0 == 200);
        if ok {
            ms.push(t.elapsed().as_secs_f64() * 1e3);
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    ms
}

#[tokio::main]
async fn main() {
    let attempts = arg("--attempts", 200);
    let port = arg("--port", 18_283);
    let dir = std::env::temp_dir().join(format!("parindex-burst-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    let url = format!("sqlite://{}/burst.db", dir.display());
    let bin = std::env::current_exe()
        .ok()
        .and_then(|p| p.parent().map(|d| d.join("parindex")))
        .expect("parindex binary beside this one");
    let status = std::process::Command::new(&bin)
        .args(["--db", &url, "demo"])
        .env("PARINDEX_LOG", "warn")
        .status()
        .expect("demo");
    assert!(status.success());
    let mut server = tokio::process::Command::new(&bin)
        .args([
            "--db",
            &url,
            "serve",
            "--addr",
            &format!("127.0.0.1:{port}"),
            "--files",
            &dir.join("files").display().to_string(),
            "--trusted-proxy",
            "127.0.0.1",
        ])
        .env("PARINDEX_LOG", "error")
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("serve");
    let pid = server.id().expect("pid");
    let base = format!("http://127.0.0.1:{port}");
    let http: Http = Client::builder(TokioExecutor::new())
        .pool_max_idle_per_host(usize::try_from(attempts).unwrap_or(200) + 8)
        .build(HttpConnector::new());
    parindex_bench::wait_for_health(&http, &base).await;
    // Baseline: idle memory, and /health alone for 3 s.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let idle_kib = rss_kib(pid);
    let stop = Arc::new(AtomicBool::new(false));
    let probe = tokio::spawn(health_loop(http.clone(), base.clone(), stop.clone()));
    tokio::time::sleep(Duration::from_secs(3)).await;
    stop.store(true, Ordering::Relaxed);
    let mut idle_ms = probe.await.expect("probe");

    // The burst, with memory sampled and /health asked throughout.
    let peak = Arc::new(Mutex::new(idle_kib));
    let stop = Arc::new(AtomicBool::new(false));
    let sampler = {
        let (peak, stop) = (peak.clone(), stop.clone());
        tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                let now = rss_kib(pid);
                let mut p = peak.lock().await;
                *p = (*p).max(now);
                drop(p);
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        })
    };
    let probe = tokio::spawn(health_loop(http.clone(), base.clone(), stop.clone()));
    let started = Instant::now();
    let burst: Vec<_> = (0..attempts)
        .map(|i| {
            let (http, base) = (http.clone(), base.clone());
            tokio::spawn(async move {
                let addr = format!("10.{}.{}.{}", (i >> 16) & 255, (i >> 8) & 255, i & 255);
                failed_sign_in(&http, &base, &format!("khong-co-{i}"), &addr).await
            })
        })
        .collect();
    let mut answers = std::collections::BTreeMap::new();
    for b in burst {
        let key = match b.await.expect("task") {
            Ok(s) => s.to_string(),
            Err(e) => e,
        };
        *answers.entry(key).or_insert(0u64) += 1;
    }
    let burst_s = started.elapsed().as_secs_f64();
    stop.store(true, Ordering::Relaxed);
    sampler.await.expect("sampler");
    let mut burst_ms = probe.await.expect("probe");
    let peak_kib = *peak.lock().await;
    let _ = server.kill().await;
    let _ = std::fs::remove_dir_all(&dir);

    #[expect(clippy::cast_precision_loss, reason = "memory in MiB for a report")]
    let mib = |k: u64| k as f64 / 1024.0;
    let (idle_p99, burst_p99) = (pct(&mut idle_ms, 0.99), pct(&mut burst_ms, 0.99));
    println!(
        "{attempts} failed sign-ins at once, each from its own address, in {burst_s:.1} s; answers: {answers:?}"
    );
    println!(
        "server memory: idle {:.0} MiB, peak during the burst {:.0} MiB ({:.2}x idle)",
        mib(idle_kib),
        mib(peak_kib),
        mib(peak_kib) / mib(idle_kib).max(1.0)
    );
    println!(
        "/health p99: idle {idle_p99:.1} ms ({} requests), during the burst {burst_p99:.1} ms ({} requests), {:.1}x",
        idle_ms.len(),
        burst_ms.len(),
        burst_p99 / idle_p99.max(0.001)
    );
}
