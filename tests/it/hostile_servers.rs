//! Servers that attack: ids and `nextLink`s that point at another origin (the bearer token
//! must never go there), bodies that never end, page chains that grow for ever, a Resource
//! Graph that never stops paging, and a rule that would evaluate for ever. Each must end in
//! a clear "could not check" with what was refused, never a request elsewhere, never
//! unbounded memory or time.

use crate::common;

use std::io::Write as _;
use std::sync::atomic::Ordering;

use common::fake_arm::{FakeArm, check_args, fixture};
use common::hostile::{EndlessGraph, GrowingChain, endless_body_server};
use common::readiness;
use serde_json::{Value, json};
use wiremock::{Mock, MockServer, ResponseTemplate};

const JSON: &str = "application/json";
const TOKEN: &str = "hostile-server-test-token-4711";

struct Run {
    code: Option<i32>,
    json: Value,
    stderr: String,
}

impl Run {
    fn causes(&self) -> Vec<String> {
        let mut causes: Vec<String> = self.json["items"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|i| i["checks"].as_array().cloned().unwrap_or_default())
            .filter_map(|c| c["cause"].as_str().map(String::from))
            .collect();
        causes.sort();
        causes.dedup();
        causes
    }

    fn assert_could_not_check(&self, says: &str) {
        assert_eq!(self.code, Some(3), "{}\n{:#?}", self.stderr, self.causes());
        assert!(!self.stderr.contains("panicked"), "{}", self.stderr);
        assert!(
            self.causes().iter().any(|c| c.contains(says)),
            "no cause says {says:?}: {:#?}",
            self.causes()
        );
        assert_eq!(
            self.json["summary"]["fail"], 0,
            "a fail on an unread document"
        );
    }
}

/// `readiness check --format json` against `uri`, with a static bearer token so a request
/// that reached the wrong server would carry it.
async fn check(uri: &str, named: bool, extra: &[&str]) -> Run {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = readiness(dir.path());
    cmd.env("READINESS_TEST_STATIC_TOKEN", TOKEN)
        .args(check_args(uri, named))
        .args(["--format", "json", "--timeout", "10"])
        .args(extra);
    let out = common::output_off_runtime(cmd).await;
    Run {
        code: out.status.code(),
        json: serde_json::from_slice(&out.stdout).unwrap_or(Value::Null),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// The resource-group listing with the key vault's id replaced by `id`.
fn listing_with_vault_id(id: &str) -> String {
    let mut listing = fixture("hardened/resources.json");
    for r in listing["value"].as_array_mut().unwrap() {
        if r["type"] == "Microsoft.KeyVault/vaults" {
            r["id"] = json!(id);
        }
    }
    listing.to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn an_id_that_names_another_origin_is_refused_and_the_token_never_goes_there() {
    let attacker = MockServer::start().await;
    let vault_path = FakeArm::path_vault();
    let foreign = format!("{}{vault_path}", attacker.uri());
    let host_port = attacker.uri().trim_start_matches("http://").to_string();
    let cases = [
        (foreign.clone(), format!("it points at {}", attacker.uri())),
        (
            format!("//{host_port}{vault_path}"),
            "not an ARM resource id".to_string(),
        ),
        (
            format!("/\\{host_port}{vault_path}"),
            "not an ARM resource id".to_string(),
        ),
    ];
    for (id, says) in cases {
        let fake = FakeArm::start("hardened").await;
        fake.fault(
            &FakeArm::path_resources(),
            ResponseTemplate::new(200).set_body_raw(listing_with_vault_id(&id), JSON),
            None,
        )
        .await;
        let run = check(&fake.uri(), false, &[]).await;
        run.assert_could_not_check(&says);
        let reached = attacker.received_requests().await.unwrap_or_default();
        assert!(reached.is_empty(), "{id}: the attacker got {reached:?}");
        // The deployment's other resources are still read and judged.
        assert!(
            run.json["summary"]["pass"].as_u64().unwrap_or(0) > 0,
            "{}",
            run.json["summary"]
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_next_link_to_another_origin_is_refused_before_any_request() {
    let attacker = MockServer::start().await;
    let fake = FakeArm::start("hardened").await;
    let mut listing = fixture("hardened/resources.json");
    listing["nextLink"] = json!(format!(
        "{}{}?api-version=2021-04-01&$skipToken=2",
        attacker.uri(),
        FakeArm::path_resources()
    ));
    fake.fault(
        &FakeArm::path_resources(),
        ResponseTemplate::new(200).set_body_raw(listing.to_string(), JSON),
        None,
    )
    .await;
    let run = check(&fake.uri(), false, &[]).await;
    run.assert_could_not_check(&format!(
        "refused to read the next page of {}: it points at {}",
        FakeArm::path_resources(),
        attacker.uri()
    ));
    let reached = attacker.received_requests().await.unwrap_or_default();
    assert!(reached.is_empty(), "the attacker got {reached:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_endless_body_is_cut_at_the_cap_while_it_streams() {
    let (uri, sent) = endless_body_server().await;
    let run = check(&uri, true, &[]).await;
    run.assert_could_not_check("the body is over 16 MiB; an ARM document is at most 16 MiB");
    // The client stopped reading: each of the run's requests got little past the cap (plus
    // what the sockets buffer), nowhere near the server's 1 GiB per connection.
    let requests = 1 + run.json["items"].as_array().map_or(0, Vec::len) as u64;
    let sent = sent.load(Ordering::Relaxed);
    assert!(
        sent < requests * (24 << 20),
        "{sent} bytes sent for at most {requests} requests"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_page_chain_that_grows_for_ever_stops_at_the_runs_read_limits() {
    // Pages of 6 MiB of one string: the byte limit (--max-read-mib) stops the chain.
    let fake = FakeArm::start("hardened").await;
    let chain = GrowingChain::new(
        fake.uri(),
        format!(r#"{{"padding": "{}"}}"#, "a".repeat(6 << 20)),
    );
    Mock::given(wiremock::matchers::path(FakeArm::path_resources()))
        .respond_with(chain)
        .with_priority(1)
        .mount(&fake.server)
        .await;
    let run = check(&fake.uri(), false, &["--max-read-mib", "20"]).await;
    run.assert_could_not_check("as much as it may (--max-read-mib)");
    let counts = fake.request_counts().await;
    let pages: usize = counts
        .iter()
        .filter(|(path, _)| path.starts_with(&FakeArm::path_resources()))
        .map(|(_, n)| n)
        .sum();
    assert!((3..=5).contains(&pages), "{pages} pages read: {counts:?}");

    // Pages of tiny objects are cheap to send and costly to hold: the JSON memory budget
    // stops them while the first page is read.
    let fake = FakeArm::start("hardened").await;
    let chain = GrowingChain::new(fake.uri(), vec![r#"{"a":1}"#; 1_500_000].join(","));
    Mock::given(wiremock::matchers::path(FakeArm::path_resources()))
        .respond_with(chain)
        .with_priority(1)
        .mount(&fake.server)
        .await;
    let run = check(&fake.uri(), false, &[]).await;
    run.assert_could_not_check("MiB of memory this run has left for documents");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_run_sends_no_more_requests_than_it_may() {
    let fake = FakeArm::start("hardened").await;
    let chain = GrowingChain::new(fake.uri(), "{}".to_string());
    Mock::given(wiremock::matchers::path(FakeArm::path_resources()))
        .respond_with(chain)
        .with_priority(1)
        .mount(&fake.server)
        .await;
    let run = check(&fake.uri(), false, &["--max-requests", "40"]).await;
    run.assert_could_not_check("this run already sent 40 requests");
    let total: usize = fake.request_counts().await.values().sum();
    assert!(total <= 40, "{total} requests");
}

async fn fleet(uri: &str, extra: &[&str]) -> (Option<i32>, String) {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = readiness(dir.path());
    cmd.args(common::fake_arm::fleet_args(uri))
        .args(["--timeout", "10"])
        .args(extra);
    let out = common::output_off_runtime(cmd).await;
    let text = format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!text.contains("panicked"), "{text}");
    (out.status.code(), text)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_resource_graph_that_pages_for_ever_is_stopped_by_the_request_limit_and_the_deadline() {
    let server = MockServer::start().await;
    let template = common::fake_arg::template("cluster-hardened.json");
    let row = common::fake_arg::cluster_row(
        &template,
        "6f1c2d3e-0000-4000-8000-00000000a11c",
        "rg-a",
        "aks",
    );
    Mock::given(wiremock::matchers::path(common::fake_arg::GRAPH_PATH))
        .respond_with(EndlessGraph::new(row, common::fake_arm::SUB, 1))
        .mount(&server)
        .await;
    let (code, text) = fleet(&server.uri(), &["--max-requests", "25"]).await;
    assert_eq!(code, Some(3), "{text}");
    assert!(text.contains("this run already sent 25 requests"), "{text}");
    let posts = server.received_requests().await.unwrap_or_default().len();
    assert!(posts <= 25, "{posts} queries");

    // The same server, slowed down: the whole run is bounded by --deadline.
    let slow = MockServer::start().await;
    Mock::given(wiremock::matchers::path(common::fake_arg::GRAPH_PATH))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_raw(r#"{"data": [], "count": 0, "totalRecords": 0}"#, JSON)
                .set_delay(std::time::Duration::from_secs(8)),
        )
        .mount(&slow)
        .await;
    let (code, text) = fleet(&slow.uri(), &["--deadline", "1"]).await;
    assert_eq!(code, Some(3), "{text}");
    assert!(
        text.contains("the fleet run did not finish within 1 s (--deadline)"),
        "{text}"
    );
}

#[test]
fn a_rule_that_would_evaluate_for_ever_stops_at_the_run_bound() {
    let dir = tempfile::tempdir().unwrap();
    // Each [@,@] doubles a tree that shares its halves; comparing two of them walks every
    // path: 2^40 steps.
    let doubling = vec!["[@,@]"; 40].join("|");
    let checklist = format!(
        r#"schema_version = 1
id = "slow"
title = "A checklist with a slow rule"
version = "1"

[[items]]
id = "slow.rule"
phase = "before-deployment"
category = "test"
title = "Slow"
guidance = "A rule that never finishes."

[[items.checks]]
source = "arm:aks"
expect = "({doubling}) == ({doubling})"
explain = "never"
"#
    );
    let path = dir.path().join("slow.toml");
    std::fs::write(&path, checklist).unwrap();
    let evidence = dir.path().join("evidence");
    std::fs::create_dir(&evidence).unwrap();
    let mut aks = std::fs::File::create(evidence.join("aks.json")).unwrap();
    aks.write_all(br#"{"id": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/c", "name": "c", "properties": {}}"#)
        .unwrap();
    let mut cmd = readiness(dir.path());
    cmd.arg("--checklist")
        .arg(&path)
        .args(["check", "--evidence-dir"])
        .arg(&evidence)
        .args(["--timeout", "1"])
        // A guard for the test itself: without the bound the run would never end.
        .timeout(std::time::Duration::from_secs(120));
    let out = cmd.output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains("the checks did not finish within 4 s (4 × --timeout)"),
        "{stderr}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn fleet_deep_refuses_a_row_id_that_names_another_origin() {
    use common::fake_arg::{ArgOptions, FakeArg, template};
    let attacker = MockServer::start().await;
    let arm = FakeArm::start("hardened").await;
    let mut vault = template("vault-hardened.json");
    vault["id"] = json!(format!("{}{}", attacker.uri(), FakeArm::path_vault()));
    let rows = vec![
        template("cluster-hardened.json"),
        vault,
        template("registry-hardened.json"),
        template("identity-osmo.json"),
        template("identity-aks.json"),
    ];
    let _graph = FakeArg::mount(&arm.server, rows, ArgOptions::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = readiness(dir.path());
    cmd.env("READINESS_TEST_STATIC_TOKEN", TOKEN)
        .args(common::fake_arm::fleet_args(&arm.uri()))
        .arg("--deep");
    let out = common::output_off_runtime(cmd).await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    let reached = attacker.received_requests().await.unwrap_or_default();
    assert!(reached.is_empty(), "the attacker got {reached:?}");
    assert!(
        stdout.contains(&format!("it points at {}", attacker.uri())),
        "{stdout}\n{stderr}"
    );
    assert_eq!(out.status.code(), Some(3), "{stderr}");
}
