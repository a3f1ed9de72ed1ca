//! Helpers: run the binary, get a database with the demo loaded.

use std::process::Command;

use parindex_db::Db;
use parindex_db::testkit::each_db;

pub const BIN: &str = env!("CARGO_BIN_EXE_parindex");

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Runs `parindex --db URL ARGS…`.
pub fn run(db_url: &str, args: &[&str]) -> Run {
    let out = Command::new(BIN)
        .arg("--db")
        .arg(db_url)
        .args(args)
        .env("PARINDEX_LOG", "warn")
        .output()
        .expect("run parindex");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Runs `parindex --db URL ARGS…` with `stdin` as standard input.
pub fn run_with_stdin(db_url: &str, args: &[&str], stdin: &str) -> Run {
    use std::io::Write as _;
    let mut child = Command::new(BIN)
        .arg("--db")
        .arg(db_url)
        .args(args)
        .env("PARINDEX_LOG", "warn")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run parindex");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Every database with `parindex demo` loaded through the real binary.
pub async fn demo_dbs() -> Vec<(Db, String)> {
    let dbs = each_db().await;
    for (_, url) in &dbs {
        let r = run(url, &["demo"]);
        assert_eq!(r.code, 0, "demo failed on {url}: {}", r.stderr);
    }
    dbs
}

pub fn data(name: &str) -> String {
    format!("{}/tests/it/data/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// Writes a temporary file and returns its path.
pub fn temp_file(name: &str, content: &str) -> String {
    let dir = std::env::temp_dir().join(format!("parindex-it-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, content).unwrap();
    p.display().to_string()
}
