//! Benchmark: a full `check` against the fake ARM server with injected latency per request.
//!
//! Prints the wall time divided by (dependency depth × latency). The depth is 2: listing
//! the resource group, then one parallel wave of reads. The target is at most 1.3.
//!
//!     cargo run --release --example check_latency [LATENCY_MS] [RUNS]

#[path = "../tests/it/common/fake_arm.rs"]
mod fake_arm;

use std::time::{Duration, Instant};

use readiness::engine::{self, ArmTarget, SourceConfig};
use readiness::sources::azure::discovery::TargetHints;
use readiness::sources::azure::{ArmOptions, AuthMode, Cloud};

const DEPTH: u32 = 2;

fn main() {
    let mut args = std::env::args().skip(1);
    let latency_ms: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(200);
    let runs: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(5);
    let latency = Duration::from_millis(latency_ms);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let checklist = readiness::checklist::builtin().expect("built-in checklist");

    let mut ratios = Vec::new();
    for run in 1..=runs {
        // A fresh server per run, so nothing is cached between runs.
        let fake = runtime.block_on(fake_arm::FakeArm::start_with_latency("hardened", latency));
        let config = SourceConfig {
            arm: Some(ArmTarget {
                options: ArmOptions::new(
                    fake.uri().parse().expect("url"),
                    AuthMode::None,
                    Cloud::Public,
                    Duration::from_secs(30),
                ),
                subscription: fake_arm::SUB.to_string(),
                resource_group: fake_arm::RG.to_string(),
                hints: TargetHints::default(),
            }),
            ..SourceConfig::default()
        };
        let started = Instant::now();
        let report = runtime
            .block_on(engine::run(
                &checklist,
                &config,
                jiff::Timestamp::now(),
                None,
            ))
            .expect("check runs");
        let wall = started.elapsed();
        let requests: usize = runtime.block_on(fake.request_counts()).values().sum();
        let ratio = wall.as_secs_f64() / (f64::from(DEPTH) * latency.as_secs_f64());
        ratios.push(ratio);
        println!(
            "run {run}: wall {:>6.1} ms, {requests} requests, {} pass / {} fail / {} error, ratio {ratio:.3}",
            wall.as_secs_f64() * 1000.0,
            report.summary.pass,
            report.summary.fail,
            report.summary.error
        );
    }
    ratios.sort_by(f64::total_cmp);
    println!(
        "latency {latency_ms} ms, depth {DEPTH}: ratio median {:.3}, worst {:.3} (target ≤ 1.3)",
        ratios[ratios.len() / 2],
        ratios[ratios.len() - 1]
    );
}
