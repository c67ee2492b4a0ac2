//! `readiness check` against a fake Azure Resource Manager on 127.0.0.1: verdicts on
//! hardened and broken deployments, the payload quirks, and every fault the network brings.

use crate::common;

use std::collections::BTreeMap;
use std::time::Duration;

use common::fake_arm::{
    CLUSTER, FakeArm, NAMED, REGISTRY, RG, SUB, VAULT, arm_response, check_args, fixture_text,
};
use serde_json::Value;
use wiremock::ResponseTemplate;

/// The items the auto-check issue requires to be automatic from ARM.
const ARM_ITEMS: &[&str] = &[
    "net.private-api-server",
    "net.azure-cni",
    "net.network-policy-engine",
    "net.nat-egress",
    "id.aks-managed-identity",
    "id.entra-azure-rbac",
    "id.workload-identity",
    "id.workload-identity-audience",
    "sec.kv-csi-driver",
    "sec.kv-purge-protection",
    "sec.kv-access-rotation",
    "net.public-access-disabled",
    "sec.no-long-lived-credentials",
    "k8s.rbac-enabled",
    "cmp.defender-for-containers",
    "cmp.azure-policy-addon",
    "cmp.image-patching",
    "mon.diagnostic-settings",
];

struct Run {
    code: Option<i32>,
    json: Value,
    stderr: String,
}

impl Run {
    fn item(&self, id: &str) -> &Value {
        self.json["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["id"] == id)
            .unwrap_or_else(|| panic!("no item {id}"))
    }

    fn status(&self, id: &str) -> String {
        self.item(id)["status"].as_str().unwrap().to_string()
    }

    /// Checks of an item from one source.
    fn checks(&self, id: &str, source: &str) -> Vec<Value> {
        self.item(id)["checks"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["source"] == source)
            .cloned()
            .collect()
    }
}

/// Runs `readiness check --format json` against the fake, off the async runtime's threads.
async fn check(fake: &FakeArm, extra: &[&str]) -> Run {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = common::readiness(dir.path());
    cmd.args(check_args(&fake.uri(), false))
        .args(["--format", "json"])
        .args(extra);
    let out = common::output_off_runtime(cmd).await;
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let json = serde_json::from_str(&stdout).unwrap_or(Value::Null);
    Run {
        code: out.status.code(),
        json,
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn named() -> Vec<&'static str> {
    NAMED.to_vec()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_hardened_deployment_passes_every_automatic_item() {
    let fake = FakeArm::start("hardened").await;
    let run = check(&fake, &named()).await;
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(run.json["schema"], "readiness.check/v1");
    assert_eq!(run.json["checklist"]["id"], "physical-ai-toolchain");
    for id in ARM_ITEMS {
        assert_eq!(run.status(id), "pass", "{id}: {}", run.item(id));
    }
    // Terraform is not configured in this run: those checks are skipped, not failed.
    let tf = run.checks("net.private-api-server", "terraform:variables");
    assert_eq!(tf[0]["status"], "skipped");
    assert_eq!(run.json["summary"]["fail"], 0);
    assert_eq!(run.json["summary"]["error"], 0);
    assert!(run.json["summary"]["manual"].as_u64().unwrap() > 20);
    // Evidence is recorded beside each verdict.
    let aks = &run.checks("net.private-api-server", "arm:aks")[0];
    assert_eq!(aks["observed"]["enablePrivateCluster"], true);
    assert!(
        aks["resource"]
            .as_str()
            .unwrap()
            .ends_with(&format!("managedClusters/{CLUSTER}"))
    );
    assert_eq!(run.json["target"]["subscription"], SUB);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_broken_deployment_fails_every_automatic_item() {
    let fake = FakeArm::start("broken").await;
    let run = check(&fake, &named()).await;
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    for id in ARM_ITEMS {
        assert_eq!(run.status(id), "fail", "{id}: {}", run.item(id));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_text_report_groups_by_phase_and_explains_failures() {
    let fake = FakeArm::start("broken").await;
    let dir = tempfile::tempdir().unwrap();
    let uri = fake.uri();
    let path = dir.path().to_path_buf();
    let out = tokio::task::spawn_blocking(move || {
        common::readiness(&path)
            .args([
                "check",
                "--auth",
                "none",
                "--arm-endpoint",
                &uri,
                "--subscription",
                SUB,
                "--resource-group",
                RG,
            ])
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1));
    let before = text.find("Before deployment").unwrap();
    let during = text.find("During operation").unwrap();
    assert!(before < during);
    assert!(text.contains("✖ fail     net.private-api-server"), "{text}");
    assert!(
        text.contains("The AKS API server has a public endpoint reachable from the internet."),
        "{text}"
    );
    assert!(text.contains("observed: {"), "{text}");
    assert!(text.contains("Summary: "), "{text}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_deployment_is_discovered_from_the_resource_group() {
    let fake = FakeArm::start("hardened").await;
    let run = check(&fake, &[]).await;
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(
        run.json["target"]["cluster"]
            .as_str()
            .unwrap()
            .ends_with(CLUSTER)
    );
    assert!(
        run.json["target"]["key_vault"]
            .as_str()
            .unwrap()
            .ends_with(VAULT)
    );
    assert_eq!(
        run.json["target"]["identities"].as_array().unwrap().len(),
        2
    );
    assert_eq!(run.status("id.workload-identity-audience"), "pass");
}

#[tokio::test(flavor = "multi_thread")]
async fn two_clusters_in_the_group_need_a_choice() {
    let fake = FakeArm::start("hardened").await;
    let mut listing: Value =
        serde_json::from_str(&fixture_text("hardened/resources.json")).unwrap();
    let values = listing["value"].as_array_mut().unwrap();
    let mut second = values
        .iter()
        .find(|r| r["name"] == CLUSTER)
        .unwrap()
        .clone();
    second["name"] = "aks-robots-prod-002".into();
    second["id"] = second["id"]
        .as_str()
        .unwrap()
        .replace(CLUSTER, "aks-robots-prod-002")
        .into();
    values.push(second);
    fake.fault(
        &FakeArm::path_resources(),
        ResponseTemplate::new(200).set_body_json(listing),
        None,
    )
    .await;
    let run = check(&fake, &[]).await;
    assert_eq!(run.code, Some(2));
    assert!(
        run.stderr
            .contains("more than one AKS cluster in resource group rg-robots-prod-001"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("aks-robots-prod-001, aks-robots-prod-002"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("--cluster NAME"), "{}", run.stderr);
}

#[tokio::test(flavor = "multi_thread")]
async fn no_url_is_fetched_twice() {
    let fake = FakeArm::start("hardened").await;
    let run = check(&fake, &[]).await;
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let counts: BTreeMap<String, usize> = fake.request_counts().await;
    assert!(counts.len() >= 9, "{counts:?}");
    for (path, n) in &counts {
        assert_eq!(*n, 1, "{path} fetched {n} times");
    }
}

async fn with_cluster(quirk: &str) -> Run {
    let fake = FakeArm::start("hardened").await;
    let body = fixture_text(&format!("quirks/{quirk}"));
    fake.fault(
        &FakeArm::path_cluster(),
        ResponseTemplate::new(200).set_body_raw(body, "application/json"),
        None,
    )
    .await;
    check(&fake, &named()).await
}

#[tokio::test(flavor = "multi_thread")]
async fn booleans_sent_as_strings_are_understood() {
    let run = with_cluster("managed-cluster-string-booleans.json").await;
    assert_eq!(
        run.status("sec.kv-csi-driver"),
        "pass",
        "{}",
        run.item("sec.kv-csi-driver")
    );
    assert_eq!(run.status("k8s.rbac-enabled"), "pass");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_camel_case_policy_addon_key_counts() {
    let run = with_cluster("managed-cluster-camelcase-azurePolicy.json").await;
    assert_eq!(
        run.status("cmp.azure-policy-addon"),
        "pass",
        "{}",
        run.item("cmp.azure-policy-addon")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn enum_values_compare_without_regard_to_case() {
    let run = with_cluster("managed-cluster-enum-casing.json").await;
    for id in [
        "net.azure-cni",
        "net.nat-egress",
        "cmp.image-patching",
        "id.aks-managed-identity",
    ] {
        assert_eq!(run.status(id), "pass", "{id}: {}", run.item(id));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn explicit_nulls_fail_without_evaluation_errors() {
    let run = with_cluster("managed-cluster-nulls.json").await;
    for id in [
        "id.entra-azure-rbac",
        "id.workload-identity",
        "cmp.image-patching",
    ] {
        assert_eq!(run.status(id), "fail", "{id}: {}", run.item(id));
    }
    assert_eq!(run.json["summary"]["error"], 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn absent_vault_flags_mean_off_and_a_deny_acl_counts_as_closed() {
    let fake = FakeArm::start("hardened").await;
    fake.fault(
        &FakeArm::path_vault(),
        ResponseTemplate::new(200).set_body_raw(
            fixture_text("quirks/key-vault-absent-flags.json"),
            "application/json",
        ),
        None,
    )
    .await;
    let run = check(&fake, &named()).await;
    assert_eq!(run.status("sec.kv-purge-protection"), "fail");
    assert_eq!(run.status("sec.kv-access-rotation"), "fail");

    let fake = FakeArm::start("hardened").await;
    fake.fault(
        &FakeArm::path_vault(),
        ResponseTemplate::new(200).set_body_raw(
            fixture_text("quirks/key-vault-acls-deny-no-pna.json"),
            "application/json",
        ),
        None,
    )
    .await;
    let run = check(&fake, &named()).await;
    assert_eq!(
        run.checks("net.public-access-disabled", "arm:key-vault")[0]["status"],
        "pass"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_absent_anonymous_pull_key_means_off_and_an_empty_workspace_is_no_destination() {
    let fake = FakeArm::start("hardened").await;
    fake.fault(
        &FakeArm::path_registry(),
        ResponseTemplate::new(200).set_body_raw(
            fixture_text("quirks/registry-no-anonymous-key.json"),
            "application/json",
        ),
        None,
    )
    .await;
    fake.fault(
        &FakeArm::path_diagnostics(&FakeArm::path_cluster()),
        ResponseTemplate::new(200).set_body_raw(
            fixture_text("quirks/diagnostic-settings-empty-workspace.json"),
            "application/json",
        ),
        None,
    )
    .await;
    let run = check(&fake, &named()).await;
    assert_eq!(
        run.checks("sec.no-long-lived-credentials", "arm:registry")[0]["status"],
        "pass"
    );
    assert_eq!(
        run.checks("mon.diagnostic-settings", "arm:aks/diagnostic-settings")[0]["status"],
        "fail"
    );
    assert_eq!(
        run.checks(
            "mon.diagnostic-settings",
            "arm:key-vault/diagnostic-settings"
        )[0]["status"],
        "pass"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn federated_credentials_are_followed_across_pages() {
    let fake = FakeArm::start("hardened").await;
    fake.serve_paged_fic().await;
    let run = check(&fake, &named()).await;
    assert_eq!(
        run.status("id.workload-identity-audience"),
        "pass",
        "{}",
        run.item("id.workload-identity-audience")
    );
    let counts = fake.request_counts().await;
    assert!(
        counts.keys().any(|k| k.contains("skipToken")),
        "page 2 was not read: {counts:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn throttling_is_waited_out() {
    let fake = FakeArm::start("hardened").await;
    fake.fault(
        &FakeArm::path_cluster(),
        arm_response(429, "errors/429-throttled.json").insert_header("Retry-After", "1"),
        Some(1),
    )
    .await;
    let run = check(&fake, &named()).await;
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(run.status("net.private-api-server"), "pass");
    let counts = fake.request_counts().await;
    assert_eq!(counts[&FakeArm::path_cluster()], 2, "{counts:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_server_error_is_retried() {
    let fake = FakeArm::start("hardened").await;
    fake.fault(
        &FakeArm::path_vault(),
        arm_response(500, "errors/500.json"),
        Some(1),
    )
    .await;
    let run = check(&fake, &named()).await;
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(run.status("sec.kv-purge-protection"), "pass");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_forbidden_document_errors_only_its_own_checks_and_names_the_role() {
    let fake = FakeArm::start("hardened").await;
    fake.fault(
        &FakeArm::path_cluster(),
        arm_response(403, "errors/403-authorization-failed.json"),
        None,
    )
    .await;
    let run = check(&fake, &named()).await;
    assert_eq!(run.code, Some(3), "{}", run.stderr);
    let aks = &run.checks("net.private-api-server", "arm:aks")[0];
    assert_eq!(aks["status"], "error");
    let cause = aks["cause"].as_str().unwrap();
    assert!(cause.contains("not permitted"), "{cause}");
    assert!(
        cause.contains("Microsoft.ContainerService/managedClusters/read"),
        "{cause}"
    );
    assert!(cause.contains("Reader"), "{cause}");
    assert_eq!(run.status("net.private-api-server"), "error");
    // Everything else still evaluates.
    assert_eq!(run.status("sec.kv-purge-protection"), "pass");
    assert_eq!(run.status("mon.diagnostic-settings"), "pass");
    // The issuer comes from the cluster: the credentials check says why it cannot judge.
    let fic = &run.checks(
        "id.workload-identity-audience",
        "arm:identities/federated-credentials",
    )[0];
    assert_eq!(fic["status"], "error");
    assert!(fic["cause"].as_str().unwrap().contains("OIDC issuer"));
}

#[tokio::test(flavor = "multi_thread")]
async fn unauthenticated_and_missing_resources_have_specific_causes() {
    let fake = FakeArm::start("hardened").await;
    fake.fault(
        &FakeArm::path_registry(),
        arm_response(401, "errors/401.json"),
        None,
    )
    .await;
    fake.fault(
        &FakeArm::path_pricing(),
        arm_response(404, "errors/404-resource-not-found.json"),
        None,
    )
    .await;
    let run = check(&fake, &named()).await;
    assert_eq!(run.code, Some(3), "{}", run.stderr);
    let acr = &run.checks("net.public-access-disabled", "arm:registry")[0];
    assert!(acr["cause"].as_str().unwrap().contains("az login"), "{acr}");
    let pricing = &run.checks(
        "cmp.defender-for-containers",
        "arm:subscription/pricing-containers",
    )[0];
    let cause = pricing["cause"].as_str().unwrap();
    assert!(cause.starts_with("not found: /subscriptions/"), "{cause}");
    assert!(
        cause.contains("Microsoft.Security/pricings/Containers"),
        "{cause}"
    );
    assert_eq!(
        run.checks("net.public-access-disabled", "arm:key-vault")[0]["status"],
        "pass"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_missing_resource_group_is_reported_for_what_needed_it() {
    let fake = FakeArm::start("hardened").await;
    fake.fault(
        &FakeArm::path_resources(),
        arm_response(404, "errors/404-resource-group-not-found.json"),
        None,
    )
    .await;
    let run = check(&fake, &[]).await;
    assert_eq!(run.code, Some(3), "{}", run.stderr);
    let aks = &run.checks("net.private-api-server", "arm:aks")[0];
    assert!(
        aks["cause"]
            .as_str()
            .unwrap()
            .contains("could not be listed"),
        "{aks}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_server_that_never_answers_is_bounded_by_the_timeout() {
    let fake = FakeArm::start("hardened").await;
    fake.fault(
        &FakeArm::path_vault(),
        ResponseTemplate::new(200).set_delay(Duration::from_secs(120)),
        None,
    )
    .await;
    let mut args = named();
    args.extend(["--timeout", "1"]);
    let run = check(&fake, &args).await;
    assert_eq!(run.code, Some(3), "{}", run.stderr);
    let kv = &run.checks("sec.kv-purge-protection", "arm:key-vault")[0];
    assert!(
        kv["cause"]
            .as_str()
            .unwrap()
            .contains("no answer within 1 s"),
        "{kv}"
    );
    assert_eq!(run.status("net.private-api-server"), "pass");
}

/// A connection that hangs once is given up after half of `--timeout` and tried again,
/// rather than costing the document its whole budget.
#[tokio::test(flavor = "multi_thread")]
async fn a_try_that_hangs_is_tried_again_within_the_timeout() {
    let fake = FakeArm::start("hardened").await;
    fake.fault(
        &FakeArm::path_vault(),
        ResponseTemplate::new(200).set_delay(Duration::from_secs(120)),
        Some(1),
    )
    .await;
    let mut args = named();
    args.extend(["--timeout", "6"]);
    let run = check(&fake, &args).await;
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(run.status("sec.kv-purge-protection"), "pass");
    let counts = fake.request_counts().await;
    assert_eq!(counts[&FakeArm::path_vault()], 2, "{counts:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn malformed_json_is_an_error_not_a_verdict() {
    let fake = FakeArm::start("hardened").await;
    fake.fault(
        &FakeArm::path_cluster(),
        ResponseTemplate::new(200)
            .set_body_raw(fixture_text("errors/malformed.json"), "application/json"),
        None,
    )
    .await;
    let run = check(&fake, &named()).await;
    let aks = &run.checks("net.azure-cni", "arm:aks")[0];
    assert_eq!(aks["status"], "error");
    assert!(
        aks["cause"].as_str().unwrap().contains("not valid JSON"),
        "{aks}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unreachable_endpoint_is_could_not_check() {
    // A port nobody listens on: bind, note it, close.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().to_path_buf();
    let out = tokio::task::spawn_blocking(move || {
        common::readiness(&path)
            .args([
                "check",
                "--auth",
                "none",
                "--arm-endpoint",
                &format!("http://127.0.0.1:{port}"),
            ])
            .args([
                "--subscription",
                SUB,
                "--resource-group",
                RG,
                "--format",
                "json",
                "--timeout",
                "2",
            ])
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    let item = json["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == "net.azure-cni")
        .unwrap();
    let cause = item["checks"][0]["cause"].as_str().unwrap();
    assert!(
        cause.contains("cannot reach") || cause.contains("no answer"),
        "{cause}"
    );
}

#[test]
fn auth_none_is_refused_off_loopback_at_once() {
    let dir = tempfile::tempdir().unwrap();
    common::readiness(dir.path())
        .args([
            "check",
            "--auth",
            "none",
            "--arm-endpoint",
            "https://management.azure.com",
        ])
        .args(["--subscription", SUB, "--resource-group", RG])
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "only accepted for a loopback endpoint",
        ));
}

#[tokio::test(flavor = "multi_thread")]
async fn record_stores_results_and_the_discovered_target_in_the_signoff() {
    let fake = FakeArm::start("broken").await;
    let dir = tempfile::tempdir().unwrap();
    let uri = fake.uri();
    let path = dir.path().to_path_buf();
    let out = tokio::task::spawn_blocking(move || {
        common::readiness(&path)
            .args(["answer", "net.private-api-server", "--status", "pass"])
            .assert()
            .success();
        common::readiness(&path)
            .args([
                "check",
                "--auth",
                "none",
                "--arm-endpoint",
                &uri,
                "--subscription",
                SUB,
                "--resource-group",
                RG,
            ])
            .args(["--record", "--format", "json"])
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("net.private-api-server: answered pass, but the automatic check now fails"),
        "{stderr}"
    );
    let text = std::fs::read_to_string(dir.path().join("readiness-signoff.toml")).unwrap();
    let s = readiness::signoff::parse("s", &text).unwrap();
    assert_eq!(s.target.cluster.as_deref(), Some(CLUSTER));
    assert_eq!(s.target.resource_group.as_deref(), Some(RG));
    let auto = &s.auto["net.private-api-server"];
    assert_eq!(auto.status, readiness::engine::AutoStatus::Fail);
    assert!(auto.checks.iter().any(|c| c.source == "arm:aks" && c.observed.contains("\"enablePrivateCluster\":false")));
    // The manual answer is kept, not silently replaced.
    assert_eq!(
        s.items["net.private-api-server"].status,
        readiness::signoff::Status::Pass
    );
    // The attestation shows both.
    let path = dir.path().to_path_buf();
    let md = tokio::task::spawn_blocking(move || {
        common::stdout_of(common::readiness(&path).arg("attest"))
    })
    .await
    .unwrap();
    assert!(
        md.contains("**⚠ Answered pass, but the automatic check fails.**"),
        "{md}"
    );
}

#[test]
fn evidence_files_give_the_same_verdicts_offline() {
    let dir = tempfile::tempdir().unwrap();
    for (flavour, code, verdict) in [("hardened", 0, "pass"), ("broken", 1, "fail")] {
        let out = common::readiness(dir.path())
            .args(["check", "--format", "json", "--evidence-dir"])
            .arg(common::data(&format!("evidence/{flavour}")))
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(code),
            "{flavour}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let json: Value = serde_json::from_slice(&out.stdout).unwrap();
        for id in ARM_ITEMS {
            let item = json["items"]
                .as_array()
                .unwrap()
                .iter()
                .find(|i| i["id"] == *id)
                .unwrap();
            assert_eq!(item["status"], verdict, "{flavour} {id}: {item}");
        }
    }
}

#[test]
fn offline_skips_azure_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let out = common::readiness(dir.path())
        .args(["check", "--offline"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(
            "Summary: 0 pass · 0 fail · 0 error · 68 manual (26 of them automatic, skipped)"
        ),
        "{text}"
    );
    // Each phase says which automatic items were skipped and why, apart from manual ones.
    assert!(
        text.contains("  6 automatic item(s) skipped: Azure is not read in this run (--offline)\n  6 automatic item(s) skipped: no --terraform-dir given\n  11 item(s) without an automatic check"),
        "{text}"
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("--offline"));
}

#[tokio::test(flavor = "multi_thread")]
async fn an_explicit_signoff_learns_the_discovered_target() {
    let fake = FakeArm::start("hardened").await;
    let dir = tempfile::tempdir().unwrap();
    let (uri, path) = (fake.uri(), dir.path().to_path_buf());
    tokio::task::spawn_blocking(move || {
        // Default path, no --record: nothing is written.
        common::readiness(&path)
            .args([
                "check",
                "--auth",
                "none",
                "--arm-endpoint",
                &uri,
                "--subscription",
                SUB,
                "--resource-group",
                RG,
            ])
            .assert()
            .code(0);
        assert!(!path.join("readiness-signoff.toml").exists());
        common::readiness(&path)
            .args([
                "check",
                "--auth",
                "none",
                "--arm-endpoint",
                &uri,
                "--subscription",
                SUB,
                "--resource-group",
                RG,
            ])
            .args(["--signoff", "prod.toml"])
            .assert()
            .code(0);
        let s = readiness::signoff::parse(
            "s",
            &std::fs::read_to_string(path.join("prod.toml")).unwrap(),
        )
        .unwrap();
        assert_eq!(s.target.cluster.as_deref(), Some(CLUSTER));
        assert_eq!(s.target.key_vault.as_deref(), Some(VAULT));
        assert_eq!(s.target.registry.as_deref(), Some(REGISTRY));
        assert!(s.auto.is_empty(), "results are only stored with --record");
    })
    .await
    .unwrap();
}

#[test]
fn terraform_checks_run_offline_from_the_checkout() {
    let dir = tempfile::tempdir().unwrap();
    let run = |extra: &[&str]| -> Value {
        let out = common::readiness(dir.path())
            .args(["check", "--offline", "--format", "json", "--terraform-dir"])
            .arg(common::data("terraform/reference"))
            .args(extra)
            .output()
            .unwrap();
        assert_ne!(
            out.status.code(),
            Some(2),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let status = |json: &Value, id: &str| {
        json["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["id"] == id)
            .unwrap()["status"]
            .as_str()
            .unwrap()
            .to_string()
    };
    // The reference defaults: public access on, Defender and purge protection off, local state.
    let defaults = run(&[]);
    for id in [
        "net.public-access-disabled",
        "cmp.defender-for-containers",
        "sec.kv-purge-protection",
        "iac.remote-state-backend",
    ] {
        assert_eq!(status(&defaults, id), "fail", "{id}");
    }
    for id in [
        "net.private-api-server",
        "net.nat-egress",
        "sec.storage-shared-key",
        "net.topology-mode",
    ] {
        assert_eq!(status(&defaults, id), "pass", "{id}");
    }
    let prod = common::data("terraform/reference/prod.tfvars");
    let hardened = run(&["--var-file", prod.to_str().unwrap()]);
    for id in [
        "net.public-access-disabled",
        "cmp.defender-for-containers",
        "sec.kv-purge-protection",
    ] {
        assert_eq!(status(&hardened, id), "pass", "{id}");
    }
    let tf = hardened["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == "net.private-api-server")
        .unwrap()["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["source"] == "terraform:variables")
        .unwrap()
        .clone();
    assert!(
        tf["resource"]
            .as_str()
            .unwrap()
            .ends_with("terraform/reference")
    );
    assert_eq!(tf["observed"]["should_enable_private_aks_cluster"], true);
}

#[test]
fn a_missing_terraform_dir_is_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    common::readiness(dir.path())
        .args(["check", "--offline", "--terraform-dir", "no/such/dir"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "--terraform-dir no/such/dir: not a directory",
        ));
}

/// Each item's verdict is reported as soon as its own documents are in: with the Defender
/// plan slow to answer, every other Azure item is judged before that document arrives, and
/// the early verdicts are the ones the final report gives.
#[tokio::test(flavor = "multi_thread")]
async fn verdicts_arrive_as_their_documents_do_not_at_the_end() {
    use readiness::checklist::DocumentSource;
    use readiness::engine::{self, ArmTarget, Progress, SourceConfig};
    use readiness::sources::azure::discovery::TargetHints;
    use readiness::sources::azure::{ArmOptions, AuthMode, Cloud};

    let fake = FakeArm::start("hardened").await;
    let slow = DocumentSource::ArmSubscriptionPricingContainers;
    fake.fault(
        &FakeArm::path_pricing(),
        arm_response(200, "hardened/pricing-containers.json").set_delay(Duration::from_secs(2)),
        None,
    )
    .await;
    let checklist = readiness::checklist::builtin().unwrap();
    let config = SourceConfig {
        arm: Some(ArmTarget {
            options: ArmOptions::new(
                fake.uri().parse().unwrap(),
                AuthMode::None,
                Cloud::Public,
                Duration::from_secs(30),
            ),
            subscription: SUB.into(),
            resource_group: RG.into(),
            hints: TargetHints {
                cluster: Some(CLUSTER.into()),
                key_vault: Some(VAULT.into()),
                registry: Some(REGISTRY.into()),
                ..Default::default()
            },
        }),
        ..Default::default()
    };
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let report = engine::run(&checklist, &config, common::NOW.parse().unwrap(), Some(tx))
        .await
        .unwrap();
    let mut events = Vec::new();
    while let Some(event) = rx.recv().await {
        events.push(event);
    }

    let slow_arrived = events
        .iter()
        .position(|e| matches!(e, Progress::Fetched { source, .. } if *source == slow))
        .expect("the slow document was fetched");
    let reads = |id: &str, source: DocumentSource| {
        checklist
            .item(id)
            .is_some_and(|i| i.checks.iter().any(|c| c.source == source))
    };
    let mut early = Vec::new();
    let mut reported = BTreeMap::new();
    for (at, event) in events.iter().enumerate() {
        if let Progress::Evaluated(items) = event {
            for item in items {
                assert!(
                    reported.insert(item.id.clone(), item.clone()).is_none(),
                    "{} reported twice",
                    item.id
                );
                if at < slow_arrived {
                    assert!(
                        !reads(&item.id, slow),
                        "{} judged without its document",
                        item.id
                    );
                    early.push(item.id.clone());
                }
            }
        }
    }
    for id in ARM_ITEMS.iter().filter(|id| !reads(id, slow)) {
        assert!(
            early.contains(&id.to_string()),
            "{id} waited for the slow document: {early:?}"
        );
    }
    // Every automated item was reported once, with the verdict the report gives.
    for item in &report.items {
        let automated = checklist.item(&item.id).unwrap().is_automated();
        assert_eq!(reported.contains_key(&item.id), automated, "{}", item.id);
        if let Some(live) = reported.get(&item.id) {
            assert_eq!(live, item, "{}", item.id);
        }
    }
}
