//! Peak memory and wall time of `readiness` against hostile ARM and Resource Graph servers
//! on 127.0.0.1: page chains that grow for ever, a body that never ends, a huge body, and a
//! Resource Graph that pages for ever. Each case runs the release binary as a child and
//! reads its peak resident memory from `wait4`.
//!
//! ```sh
//! cargo build --release && cargo run --release --example hostile_arm
//! ```
//! The figures go in docs/security.md ("Bounded resources").

use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;

use serde_json::Value;
use wiremock::{Mock, MockServer, ResponseTemplate};

#[path = "../tests/it/common/fake_arm.rs"]
mod fake_arm;
#[path = "../tests/it/common/hostile.rs"]
mod hostile;
use hostile::{EndlessGraph, GrowingChain, endless_body_server};

/// Runs the release binary with `args`, returns (exit code, wall s, peak RSS MiB, last
/// line of stderr).
fn measure(args: &[String]) -> (i32, f64, f64, String) {
    let bin = concat!(env!("CARGO_MANIFEST_DIR"), "/target/release/readiness");
    let dir = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let mut child = Command::new(bin)
        .args(args)
        .current_dir(dir.path())
        .env("READINESS_NOW", "2026-11-27T10:00:00Z")
        .env("USER", "bench")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{bin}: {e}; run `cargo build --release` first"));
    let pid = child.id() as libc::pid_t;
    // The child's own high-water mark, read from /proc while it runs: wait4's ru_maxrss
    // would also count this (large) process, whose resident size the child inherits at exec.
    let peak = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let watching = Arc::new(std::sync::atomic::AtomicBool::new(true));
    let watcher = {
        let (peak, watching) = (peak.clone(), watching.clone());
        std::thread::spawn(move || {
            let status = format!("/proc/{pid}/status");
            while watching.load(Ordering::Relaxed) {
                if let Some(kib) = std::fs::read_to_string(&status).ok().and_then(|t| {
                    t.lines()
                        .find_map(|l| l.strip_prefix("VmHWM:"))
                        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
                }) {
                    peak.fetch_max(kib, Ordering::Relaxed);
                }
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
        })
    };
    let mut stderr = child.stderr.take().unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut stderr, &mut text).ok();
        text
    });
    let out_reader = std::thread::spawn(move || {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut stdout, &mut text).ok();
        text
    });
    let status = child.wait().unwrap();
    let wall = started.elapsed().as_secs_f64();
    watching.store(false, Ordering::Relaxed);
    watcher.join().ok();
    let text = reader.join().unwrap_or_default();
    let out = out_reader.join().unwrap_or_default();
    // `check --format json`: the first check's cause says how the run ended.
    let cause = serde_json::from_str::<Value>(&out).ok().and_then(|v| {
        v["items"].as_array()?.iter().find_map(|i| {
            i["checks"]
                .as_array()?
                .iter()
                .find_map(|c| c["cause"].as_str().map(String::from))
        })
    });
    let text = cause.unwrap_or(text);
    let last = text
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("");
    // The end of the message says which bound stopped the run.
    let last = match last.char_indices().rev().nth(110) {
        Some((at, _)) => format!("…{}", &last[at..]),
        None => last.to_string(),
    };
    let code = status
        .code()
        .unwrap_or_else(|| -std::os::unix::process::ExitStatusExt::signal(&status).unwrap_or(0));
    (
        code,
        wall,
        peak.load(Ordering::Relaxed) as f64 / 1024.0,
        last,
    )
}

fn check_args(uri: &str) -> Vec<String> {
    let mut args = fake_arm::check_args(uri, false);
    args.extend(["--format", "json"].map(String::from));
    args
}

async fn chain(page: String) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(wiremock::matchers::any())
        .respond_with(GrowingChain::new(server.uri(), page))
        .mount(&server)
        .await;
    server
}

#[tokio::main]
async fn main() {
    let page_bytes = 13_700_000; // the reproduction's 13.7 MiB pages
    let tiny_objects = vec![r#"{"a":1}"#; page_bytes / 8].join(",");
    let one_string = format!(r#"{{"p": "{}"}}"#, "a".repeat(page_bytes));

    let mut cases: Vec<(&str, Vec<String>, Option<MockServer>)> = Vec::new();
    let s = chain(tiny_objects).await;
    cases.push((
        "check: endless chain of 13.7 MB pages of tiny objects",
        check_args(&s.uri()),
        Some(s),
    ));
    let s = chain(one_string).await;
    cases.push((
        "check: endless chain of 13.7 MB pages of one string",
        check_args(&s.uri()),
        Some(s),
    ));
    let (uri, _) = endless_body_server().await;
    cases.push(("check: an endless chunked body", check_args(&uri), None));
    let huge = MockServer::start().await;
    Mock::given(wiremock::matchers::any())
        .respond_with(
            ResponseTemplate::new(200).set_body_raw(vec![b' '; 300 << 20], "application/json"),
        )
        .mount(&huge)
        .await;
    cases.push((
        "check: 300 MiB bodies (with Content-Length)",
        check_args(&huge.uri()),
        Some(huge),
    ));
    let graph = MockServer::start().await;
    let row: Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/data/arg/rows/cluster-hardened.json"
        ))
        .unwrap(),
    )
    .unwrap();
    Mock::given(wiremock::matchers::any())
        .respond_with(EndlessGraph::new(row, fake_arm::SUB, 1000))
        .mount(&graph)
        .await;
    cases.push((
        "fleet: Resource Graph pages of 1,000 rows for ever",
        fake_arm::fleet_args(&graph.uri())
            .into_iter()
            .chain(["--format".into(), "json".into()])
            .collect(),
        Some(graph),
    ));

    println!("| case | exit | wall | peak RSS | how it ended (stderr) |");
    println!("|---|---:|---:|---:|---|");
    for (name, args, _server) in &cases {
        let args = args.clone();
        let (code, wall, rss, last) = tokio::task::spawn_blocking(move || measure(&args))
            .await
            .unwrap();
        println!("| {name} | {code} | {wall:.1} s | {rss:.0} MiB | {last} |");
    }
}
