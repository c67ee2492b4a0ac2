//! `readiness fleet` against a fake Azure Resource Graph on 127.0.0.1: paging, scopes,
//! throttling and quota pacing, payload quirks, a generated fleet with known faults, `--deep`
//! against the fake ARM paths, `--output DIR`, and the pinned JSON.

use crate::common;

use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;

use common::fake_arg::{
    self, ArgOptions, Deployment, FakeArg, Fault, cluster_row, registry_row, template, vault_row,
};
use common::fake_arm::{self, FakeArm};
use readiness::checklist::{Checklist, DocumentSource};
use serde_json::Value;

const SUB_A: &str = "aaaaaaaa-0000-4000-8000-00000000000a";
const SUB_B: &str = "bbbbbbbb-0000-4000-8000-00000000000b";
const SUB_C: &str = "cccccccc-0000-4000-8000-00000000000c";
const CLUSTERS: &str = "microsoft.containerservice/managedclusters";

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
    json: Value,
}

impl Run {
    fn clusters(&self) -> &Vec<Value> {
        self.json["clusters"].as_array().expect("clusters")
    }

    fn cluster(&self, name: &str) -> &Value {
        self.clusters()
            .iter()
            .find(|c| c["name"] == name)
            .unwrap_or_else(|| panic!("no cluster {name}"))
    }
}

fn status_of(cluster: &Value, item: &str) -> String {
    cluster["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == item)
        .unwrap_or_else(|| panic!("no item {item}"))["status"]
        .as_str()
        .unwrap()
        .to_string()
}

/// Runs `readiness fleet --auth none --arm-endpoint URI ARGS` in `dir`, off the runtime's threads.
async fn fleet_in(dir: &Path, uri: &str, args: &[&str]) -> Run {
    let mut all: Vec<String> = ["fleet", "--auth", "none", "--arm-endpoint", uri]
        .iter()
        .map(|s| s.to_string())
        .collect();
    all.extend(args.iter().map(|s| s.to_string()));
    let dir = dir.to_path_buf();
    let out =
        tokio::task::spawn_blocking(move || common::readiness(&dir).args(&all).output().unwrap())
            .await
            .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    Run {
        code: out.status.code(),
        json: serde_json::from_str(&stdout).unwrap_or(Value::Null),
        stdout,
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

async fn fleet(uri: &str, args: &[&str]) -> Run {
    let dir = tempfile::tempdir().unwrap();
    fleet_in(dir.path(), uri, args).await
}

/// `--subscription S` for each of `subscriptions`, then `--format json`.
fn json_over(subscriptions: &[&'static str]) -> Vec<&'static str> {
    let mut args: Vec<&str> = subscriptions
        .iter()
        .flat_map(|s| ["--subscription", s])
        .collect();
    args.extend(["--format", "json"]);
    args
}

fn checklist() -> Checklist {
    readiness::checklist::builtin().unwrap()
}

fn has_source(checklist: &Checklist, item: &str, sources: &[DocumentSource]) -> bool {
    checklist
        .item(item)
        .is_some_and(|i| i.checks.iter().any(|c| sources.contains(&c.source)))
}

/// What every item of a generated deployment must say, from its fault alone.
fn expected(checklist: &Checklist, fault: Option<Fault>) -> Vec<(String, &'static str)> {
    use DocumentSource::{ArmAks, ArmKeyVault, ArmRegistry};
    checklist
        .items
        .iter()
        .map(|item| {
            let id = item.id.as_str();
            let base = if has_source(checklist, id, &[ArmAks, ArmKeyVault, ArmRegistry]) {
                "pass"
            } else {
                "manual"
            };
            let status = match fault {
                Some(Fault::PublicApiServer) if id == "net.private-api-server" => "fail",
                Some(Fault::Kubenet) if id == "net.azure-cni" => "fail",
                Some(Fault::LocalAccounts) if id == "sec.no-long-lived-credentials" => "fail",
                Some(Fault::VaultPurgeOff) if id == "sec.kv-purge-protection" => "fail",
                Some(Fault::RegistryPublic) if id == "net.public-access-disabled" => "fail",
                Some(Fault::NullProperties | Fault::MissingProperties)
                    if has_source(checklist, id, &[ArmAks]) =>
                {
                    "error"
                }
                Some(Fault::NoVault) if has_source(checklist, id, &[ArmKeyVault]) => "error",
                _ => base,
            };
            (item.id.clone(), status)
        })
        .collect()
}

/// Every cluster is in the report once, with exactly the expected status for every item.
fn assert_verdicts(run: &Run, deployments: &[Deployment]) {
    let checklist = checklist();
    let clusters = run.clusters();
    assert_eq!(clusters.len(), deployments.len(), "{}", run.stderr);
    let by_id: std::collections::HashMap<String, &Value> = clusters
        .iter()
        .map(|c| (c["id"].as_str().unwrap().to_ascii_lowercase(), c))
        .collect();
    let mut wrong = Vec::new();
    for d in deployments {
        let cluster = by_id
            .get(&d.id.to_ascii_lowercase())
            .unwrap_or_else(|| panic!("{} is missing from the report", d.id));
        assert_eq!(cluster["name"], d.cluster.as_str());
        assert!(
            cluster["subscription"]
                .as_str()
                .unwrap()
                .eq_ignore_ascii_case(&d.subscription)
        );
        assert!(
            cluster["resource_group"]
                .as_str()
                .unwrap()
                .eq_ignore_ascii_case(&d.resource_group)
        );
        let items = cluster["items"].as_array().unwrap();
        for ((id, want), got) in expected(&checklist, d.fault).iter().zip(items) {
            assert_eq!(got["id"], id.as_str());
            if got["status"] != *want {
                wrong.push(format!(
                    "{} ({:?}) {id}: expected {want}, got {}",
                    d.cluster, d.fault, got["status"]
                ));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "{} wrong verdict(s), first: {:?}",
        wrong.len(),
        &wrong[..wrong.len().min(10)]
    );
}

/// Faults at known rows; everything else is hardened.
fn known_faults(i: usize) -> Option<Fault> {
    match i % 101 {
        7 => Some(Fault::PublicApiServer),
        18 => Some(Fault::Kubenet),
        29 => Some(Fault::LocalAccounts),
        40 => Some(Fault::VaultPurgeOff),
        51 => Some(Fault::RegistryPublic),
        62 => Some(Fault::NullProperties),
        73 => Some(Fault::MissingProperties),
        84 => Some(Fault::NoVault),
        95 => Some(Fault::Quirks),
        _ => None,
    }
}

fn cluster_pages(fake: &FakeArg) -> Vec<(usize, u16)> {
    fake.log()
        .iter()
        .filter(|l| l.resource_type == CLUSTERS)
        .map(|l| (l.page, l.status))
        .collect()
}

/// The "done when": 2,500 clusters in subscriptions A and B (and more in C, not
/// asked for) paged three times; every cluster gets the right verdict.
#[tokio::test(flavor = "multi_thread")]
async fn two_subscriptions_of_2500_clusters_page_three_times_and_every_verdict_is_right() {
    let (mut rows, deployments) = fake_arg::generate(2500, &[SUB_A, SUB_B], known_faults);
    let (others, _) = fake_arg::generate(40, &[SUB_C], |_| None);
    rows.extend(others);
    let fake = FakeArg::start(rows, ArgOptions::default()).await;
    let run = fleet(&fake.uri(), &json_over(&[SUB_A, SUB_B])).await;
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    assert_eq!(run.json["schema"], "readiness.fleet/v1");
    assert_verdicts(&run, &deployments);
    assert_eq!(cluster_pages(&fake), vec![(1, 200), (2, 200), (3, 200)]);
    for logged in fake.log() {
        assert_eq!(
            logged.body["subscriptions"],
            serde_json::json!([SUB_A, SUB_B])
        );
        assert_eq!(logged.body["options"]["$top"], 1000);
    }
    let s = &run.json["summary"];
    assert_eq!(s["clusters"], 2500);
    let faulty = deployments
        .iter()
        .filter(|d| d.fault.is_some_and(|f| f != Fault::Quirks))
        .count();
    assert_eq!(
        s["clusters_failing"].as_u64().unwrap() + s["clusters_with_errors"].as_u64().unwrap(),
        faulty as u64
    );
}

/// 5,000 generated clusters over three subscriptions with faults in known rows: every faulty
/// row is found, and no other.
#[tokio::test(flavor = "multi_thread")]
async fn a_fleet_of_5000_with_injected_faults_is_judged_exactly() {
    let (rows, deployments) = fake_arg::generate(5000, &[SUB_A, SUB_B, SUB_C], known_faults);
    let fake = FakeArg::start(rows, ArgOptions::default()).await;
    let run = fleet(&fake.uri(), &json_over(&[SUB_A, SUB_B, SUB_C])).await;
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    assert_verdicts(&run, &deployments);
    let not_clean: BTreeSet<String> = run
        .clusters()
        .iter()
        .filter(|c| c["summary"]["fail"] != 0 || c["summary"]["error"] != 0)
        .map(|c| c["name"].as_str().unwrap().to_string())
        .collect();
    let faulty: BTreeSet<String> = deployments
        .iter()
        .filter(|d| d.fault.is_some_and(|f| f != Fault::Quirks))
        .map(|d| d.cluster.clone())
        .collect();
    assert_eq!(not_clean, faulty);
    assert_eq!(cluster_pages(&fake).len(), 5);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_429_in_the_middle_of_paging_is_waited_out() {
    let (rows, deployments) = fake_arg::generate(2100, &[SUB_A, SUB_B], known_faults);
    let options = ArgOptions {
        throttle_pages: vec![(CLUSTERS.to_string(), 2)],
        ..ArgOptions::default()
    };
    let fake = FakeArg::start(rows, options).await;
    let run = fleet(&fake.uri(), &json_over(&[SUB_A, SUB_B])).await;
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    assert_verdicts(&run, &deployments);
    assert_eq!(
        cluster_pages(&fake),
        vec![(1, 200), (2, 429), (2, 200), (3, 200)]
    );
    // The retry asked for the same page: the same $skipToken.
    let page_2: Vec<Value> = fake
        .log()
        .iter()
        .filter(|l| l.resource_type == CLUSTERS && l.page == 2)
        .map(|l| l.body["options"]["$skipToken"].clone())
        .collect();
    assert_eq!(page_2[0], page_2[1]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_nearly_used_quota_slows_the_queries_down_instead_of_failing() {
    let (rows, deployments) = fake_arg::generate(2100, &[SUB_A], known_faults);
    let options = ArgOptions {
        quota: Some((5, Duration::from_secs(1))),
        ..ArgOptions::default()
    };
    let fake = FakeArg::start(rows, options).await;
    let run = fleet(&fake.uri(), &["--subscription", SUB_A, "--format", "json"]).await;
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    assert_verdicts(&run, &deployments);
    assert_eq!(
        fake.quota_violations(),
        0,
        "a query ran over the quota: {:?}",
        fake.log()
            .iter()
            .map(|l| (&l.resource_type, l.page, l.status))
            .collect::<Vec<_>>()
    );
    assert!(fake.log().iter().all(|l| l.status == 200));
    assert!(run.stderr.contains("quota nearly used"), "{}", run.stderr);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_management_group_scope_is_sent_as_such() {
    let (mut rows, deployments) = fake_arg::generate(30, &[SUB_A, SUB_B], known_faults);
    let (others, _) = fake_arg::generate(5, &[SUB_C], |_| None);
    rows.extend(others);
    let options = ArgOptions {
        management_groups: vec![(
            "mg-robotics".to_string(),
            vec![SUB_A.to_string(), SUB_B.to_string()],
        )],
        ..ArgOptions::default()
    };
    let fake = FakeArg::start(rows, options).await;
    let run = fleet(
        &fake.uri(),
        &["--management-group", "mg-robotics", "--format", "json"],
    )
    .await;
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    assert_verdicts(&run, &deployments);
    for logged in fake.log() {
        assert_eq!(
            logged.body["managementGroups"],
            serde_json::json!(["mg-robotics"])
        );
        assert!(
            logged.body.get("subscriptions").is_none(),
            "{}",
            logged.body
        );
    }

    // An unknown management group: nothing could be checked.
    let run = fleet(&fake.uri(), &["--management-group", "mg-nope"]).await;
    assert_eq!(run.code, Some(3), "{}", run.stderr);
    assert!(
        run.stderr.contains("ManagementGroupNotFound"),
        "{}",
        run.stderr
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn without_a_scope_every_enabled_visible_subscription_is_judged() {
    let (rows, deployments) = fake_arg::generate(12, &[SUB_A, SUB_B, SUB_C], known_faults);
    let options = ArgOptions {
        extra_subscriptions: vec![(
            "dddddddd-0000-4000-8000-00000000000d".to_string(),
            "Disabled".to_string(),
        )],
        ..ArgOptions::default()
    };
    let fake = FakeArg::start(rows, options).await;
    let run = fleet(&fake.uri(), &["--format", "json"]).await;
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    assert_verdicts(&run, &deployments);
    assert!(
        run.stderr.contains("sees 3 subscription(s)"),
        "{}",
        run.stderr
    );
    for logged in fake.log() {
        assert_eq!(
            logged.body["subscriptions"],
            serde_json::json!([SUB_A, SUB_B, SUB_C])
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn rows_with_missing_or_null_properties_are_errors_and_the_rest_still_judged() {
    let sub = fake_arm::SUB;
    let mut rows = Vec::new();
    for (rg, name, file) in [
        ("rg-ok", "aks-ok", "cluster-hardened.json"),
        ("rg-null", "aks-null", "cluster-null-properties.json"),
        ("rg-none", "aks-none", "cluster-no-properties.json"),
        ("rg-quirks", "aks-quirks", "cluster-quirks.json"),
    ] {
        rows.push(cluster_row(&template(file), sub, rg, name));
        rows.push(vault_row(
            &template("vault-hardened.json"),
            sub,
            rg,
            &format!("kv{name}"),
        ));
        rows.push(registry_row(
            &template("registry-hardened.json"),
            sub,
            rg,
            &format!("acr{name}"),
        ));
    }
    // A row without an id cannot be placed: ignored, with a warning.
    rows.push(serde_json::json!({"type": CLUSTERS, "name": "ghost", "subscriptionId": sub}));
    let fake = FakeArg::start(rows, ArgOptions::default()).await;
    let run = fleet(&fake.uri(), &["--subscription", sub, "--format", "json"]).await;
    assert_eq!(run.code, Some(3), "errors and no failure: {}", run.stderr);
    assert_eq!(run.clusters().len(), 4);
    for name in ["aks-ok", "aks-quirks"] {
        let c = run.cluster(name);
        assert_eq!(c["summary"]["fail"], 0, "{c}");
        assert_eq!(c["summary"]["error"], 0, "{c}");
        assert_eq!(status_of(c, "net.private-api-server"), "pass");
    }
    for name in ["aks-null", "aks-none"] {
        let c = run.cluster(name);
        assert_eq!(status_of(c, "net.private-api-server"), "error", "{c}");
        assert_eq!(status_of(c, "k8s.rbac-enabled"), "error");
        assert_eq!(c["summary"]["fail"], 0);
        // The vault beside it is still judged.
        assert_eq!(status_of(c, "sec.kv-purge-protection"), "pass");
    }
    assert!(
        run.stderr.contains("without an id were ignored"),
        "{}",
        run.stderr
    );

    let text = fleet(&fake.uri(), &["--subscription", sub]).await;
    assert!(
        text.stdout
            .contains("rg-null/aks-null: unexpected answer reading"),
        "{}",
        text.stdout
    );
    assert!(
        text.stdout.contains("without properties"),
        "{}",
        text.stdout
    );
}

/// Resource Graph rows for the fake ARM deployment (so `--deep` reads its documents).
fn arm_deployment_rows(flavour: &str) -> Vec<Value> {
    vec![
        template(&format!("cluster-{flavour}.json")),
        template(&format!("vault-{flavour}.json")),
        template(&format!("registry-{flavour}.json")),
        template("identity-osmo.json"),
        template("identity-aks.json"),
    ]
}

const DEEP_ITEMS: &[&str] = &[
    "mon.diagnostic-settings",
    "id.workload-identity-audience",
    "cmp.image-vuln-scanning",
];

#[tokio::test(flavor = "multi_thread")]
async fn deep_reads_what_resource_graph_does_not_hold() {
    let arm = FakeArm::start("hardened").await;
    let fake = FakeArg::mount(
        &arm.server,
        arm_deployment_rows("hardened"),
        ArgOptions::default(),
    )
    .await;

    let shallow = fleet(
        &arm.uri(),
        &["--subscription", fake_arm::SUB, "--format", "json"],
    )
    .await;
    assert_eq!(shallow.code, Some(0), "{}", shallow.stderr);
    let c = shallow.cluster(fake_arm::CLUSTER);
    for item in DEEP_ITEMS {
        assert_eq!(status_of(c, item), "manual", "{item}");
    }
    assert_eq!(status_of(c, "net.private-api-server"), "pass");
    // Nothing was read per resource.
    let per_resource: Vec<String> = arm
        .request_counts()
        .await
        .into_keys()
        .filter(|p| !p.starts_with(fake_arg::GRAPH_PATH))
        .collect();
    assert!(per_resource.is_empty(), "{per_resource:?}");
    let text = fleet(&arm.uri(), &["--subscription", fake_arm::SUB]).await;
    assert!(text.stdout.contains("pass --deep"), "{}", text.stdout);

    let deep = fleet(
        &arm.uri(),
        &[
            "--subscription",
            fake_arm::SUB,
            "--deep",
            "--format",
            "json",
        ],
    )
    .await;
    assert_eq!(deep.code, Some(0), "{}", deep.stderr);
    let c = deep.cluster(fake_arm::CLUSTER);
    for item in DEEP_ITEMS {
        assert_eq!(status_of(c, item), "pass", "{item}");
    }
    assert_eq!(c["summary"]["fail"], 0);
    assert_eq!(c["summary"]["error"], 0);
    assert!(
        deep.stderr
            .contains("--deep: per-resource documents read for 1 of 1 cluster(s)"),
        "{}",
        deep.stderr
    );
    let counts = arm.request_counts().await;
    for p in [
        FakeArm::path_diagnostics(&FakeArm::path_cluster()),
        FakeArm::path_diagnostics(&FakeArm::path_vault()),
        FakeArm::path_pricing(),
        FakeArm::path_fic(fake_arm::IDENTITY_OSMO),
    ] {
        assert_eq!(counts.get(&p), Some(&1), "{p}: {counts:?}");
    }
    // The cluster itself is not read again: Resource Graph gave it.
    assert_eq!(counts.get(&FakeArm::path_cluster()), None, "{counts:?}");
    drop(fake);
}

#[tokio::test(flavor = "multi_thread")]
async fn deep_on_a_broken_deployment_fails_those_items() {
    let arm = FakeArm::start("broken").await;
    let _fake = FakeArg::mount(
        &arm.server,
        arm_deployment_rows("broken"),
        ArgOptions::default(),
    )
    .await;
    let run = fleet(
        &arm.uri(),
        &[
            "--subscription",
            fake_arm::SUB,
            "--deep",
            "--format",
            "json",
        ],
    )
    .await;
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    let c = run.cluster(fake_arm::CLUSTER);
    for item in DEEP_ITEMS {
        assert_eq!(status_of(c, item), "fail", "{item}");
    }
    assert_eq!(status_of(c, "net.private-api-server"), "fail");
}

#[tokio::test(flavor = "multi_thread")]
async fn output_writes_one_signoff_per_cluster_and_never_overwrites_a_broken_one() {
    let (rows, deployments) = fake_arg::generate(3, &[SUB_A, SUB_B], |i| {
        (i == 1).then_some(Fault::PublicApiServer)
    });
    let fake = FakeArg::start(rows, ArgOptions::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("signoffs");
    let path = |d: &Deployment| {
        out.join(&d.subscription)
            .join(&d.resource_group)
            .join(format!("{}.toml", d.cluster))
    };
    // An answer given earlier is kept; a file that does not parse is left alone.
    let answered = path(&deployments[0]);
    std::fs::create_dir_all(answered.parent().unwrap()).unwrap();
    let answer = common::readiness(dir.path())
        .arg("--signoff")
        .arg(&answered)
        .args([
            "answer",
            "k8s.network-policies",
            "--status",
            "pass",
            "--note",
            "default deny everywhere",
        ])
        .output()
        .unwrap();
    assert!(
        answer.status.success(),
        "{}",
        String::from_utf8_lossy(&answer.stderr)
    );
    let broken = path(&deployments[2]);
    std::fs::create_dir_all(broken.parent().unwrap()).unwrap();
    std::fs::write(&broken, "schema_version = 1\n[target\n").unwrap();

    let run = fleet_in(
        dir.path(),
        &fake.uri(),
        &[
            "--subscription",
            SUB_A,
            "--subscription",
            SUB_B,
            "--output",
            out.to_str().unwrap(),
            "--format",
            "json",
        ],
    )
    .await;
    assert_eq!(run.code, Some(2), "a sign-off was refused: {}", run.stderr);
    assert_eq!(run.clusters().len(), 3, "the report is still printed");
    assert!(run.stderr.contains("Wrote 2 sign-off(s)"), "{}", run.stderr);
    assert!(run.stderr.contains("not written"), "{}", run.stderr);
    assert_eq!(
        std::fs::read_to_string(&broken).unwrap(),
        "schema_version = 1\n[target\n"
    );

    for (i, d) in deployments.iter().enumerate().take(2) {
        let text = std::fs::read_to_string(path(d)).unwrap();
        let signoff = readiness::signoff::parse("signoff", &text).unwrap();
        assert_eq!(signoff.checklist.id, "physical-ai-toolchain");
        let t = &signoff.target;
        assert_eq!(t.subscription.as_deref(), Some(d.subscription.as_str()));
        assert_eq!(t.resource_group.as_deref(), Some(d.resource_group.as_str()));
        assert_eq!(t.cluster.as_deref(), Some(d.cluster.as_str()));
        assert_eq!(t.name.as_deref(), Some(d.cluster.as_str()));
        assert_eq!(
            t.key_vault.as_deref(),
            Some(format!("kvrobots{i:05}").as_str())
        );
        assert_eq!(
            t.registry.as_deref(),
            Some(format!("acrrobots{i:05}").as_str())
        );
        let auto = &signoff.auto["net.private-api-server"];
        let want = if i == 1 { "fail" } else { "pass" };
        assert_eq!(auto.status.as_str(), want);
        assert_eq!(auto.checked_at.to_string(), common::NOW);
        assert!(!auto.checks[0].observed.is_empty());
        // Only items with an evaluated check are recorded.
        assert!(!signoff.auto.contains_key("mon.diagnostic-settings"));
        assert!(!signoff.auto.contains_key("iac.remote-state-backend"));
    }
    let kept =
        readiness::signoff::parse("signoff", &std::fs::read_to_string(&answered).unwrap()).unwrap();
    assert_eq!(
        kept.items["k8s.network-policies"].note,
        "default deny everywhere"
    );

    // The teams' next step works on the written files.
    let target = common::readiness(dir.path())
        .arg("--signoff")
        .arg(path(&deployments[1]))
        .arg("target")
        .output()
        .unwrap();
    assert!(target.status.success());
    assert!(String::from_utf8_lossy(&target.stdout).contains(&deployments[1].cluster));

    // A second run updates in place (the broken file is still refused).
    let again = fleet_in(
        dir.path(),
        &fake.uri(),
        &[
            "--subscription",
            SUB_A,
            "--subscription",
            SUB_B,
            "--output",
            out.to_str().unwrap(),
        ],
    )
    .await;
    assert_eq!(again.code, Some(2));
    let kept =
        readiness::signoff::parse("signoff", &std::fs::read_to_string(&answered).unwrap()).unwrap();
    assert_eq!(
        kept.items["k8s.network-policies"].note,
        "default deny everywhere"
    );
}

fn keys(v: &Value) -> Vec<&str> {
    v.as_object()
        .unwrap_or_else(|| panic!("not an object: {v}"))
        .keys()
        .map(String::as_str)
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_json_has_exactly_the_pinned_schema() {
    let (rows, _) = fake_arg::generate(6, &[SUB_A, SUB_B], known_faults);
    let fake = FakeArg::start(rows, ArgOptions::default()).await;
    let run = fleet(&fake.uri(), &json_over(&[SUB_A, SUB_B])).await;
    let j = &run.json;
    assert_eq!(
        keys(j),
        ["checklist", "clusters", "schema", "summary"],
        "{}",
        run.stdout
    );
    assert_eq!(j["schema"], "readiness.fleet/v1");
    assert_eq!(keys(&j["checklist"]), ["id", "sha256", "version"]);
    assert_eq!(j["checklist"]["sha256"].as_str().unwrap().len(), 64);
    let statuses: BTreeSet<&str> = ["pass", "fail", "error", "manual"].into();
    let checklist = checklist();
    for c in run.clusters() {
        assert_eq!(
            keys(c),
            [
                "id",
                "items",
                "name",
                "resource_group",
                "subscription",
                "summary"
            ]
        );
        assert_eq!(keys(&c["summary"]), ["error", "fail", "manual", "pass"]);
        let items = c["items"].as_array().unwrap();
        assert_eq!(items.len(), checklist.items.len());
        let mut counted = [0u64; 4];
        for item in items {
            assert_eq!(keys(item), ["id", "status"]);
            let s = item["status"].as_str().unwrap();
            assert!(statuses.contains(s), "{s}");
            counted[["pass", "fail", "error", "manual"]
                .iter()
                .position(|x| *x == s)
                .unwrap()] += 1;
        }
        let sum = &c["summary"];
        assert_eq!(
            [
                sum["pass"].as_u64().unwrap(),
                sum["fail"].as_u64().unwrap(),
                sum["error"].as_u64().unwrap(),
                sum["manual"].as_u64().unwrap()
            ],
            counted
        );
    }
    let summary = &j["summary"];
    assert_eq!(
        keys(summary),
        [
            "clusters",
            "clusters_failing",
            "clusters_passing",
            "clusters_with_errors",
            "error",
            "fail",
            "manual",
            "pass",
            "subscriptions"
        ]
    );
    assert_eq!(summary["clusters"], 6);
    for sub in summary["subscriptions"].as_array().unwrap() {
        assert_eq!(
            keys(sub),
            [
                "clusters",
                "clusters_failing",
                "clusters_passing",
                "clusters_with_errors",
                "error",
                "fail",
                "id",
                "manual",
                "pass"
            ]
        );
    }
    // Standard output holds only the JSON.
    assert!(run.stdout.trim_start().starts_with('{') && run.stdout.trim_end().ends_with('}'));
}

#[tokio::test(flavor = "multi_thread")]
async fn text_and_markdown_show_the_matrix_the_worst_items_and_totals() {
    let (rows, _) = fake_arg::generate(8, &[SUB_A, SUB_B], |i| match i {
        1 | 3 => Some(Fault::PublicApiServer),
        2 => Some(Fault::NoVault),
        _ => None,
    });
    let fake = FakeArg::start(rows, ArgOptions::default()).await;
    let args = ["--subscription", SUB_A, "--subscription", SUB_B];
    let text = fleet(&fake.uri(), &args).await;
    assert_eq!(text.code, Some(1));
    let t = &text.stdout;
    assert!(
        t.contains("Fleet readiness: 8 AKS cluster(s) in 2 subscription(s)"),
        "{t}"
    );
    assert!(
        t.contains("Matrix: ✔ pass · ✖ fail · ⚠ error · ○ manual"),
        "{t}"
    );
    assert!(t.contains(&format!("Subscription {SUB_A}")), "{t}");
    assert!(t.contains("rg-robots-00001/aks-robots-00001"), "{t}");
    let worst = t.split("Worst items across the fleet").nth(1).unwrap();
    let first = worst.lines().nth(1).unwrap();
    assert!(
        first.contains("net.private-api-server") && first.contains("✖ fail     2"),
        "{first}"
    );
    assert!(t.contains("Per subscription"), "{t}");

    let md = fleet(
        &fake.uri(),
        &[&args[..], &["--format", "markdown"]].concat(),
    )
    .await;
    let m = &md.stdout;
    assert!(m.starts_with("# Fleet readiness: 8 AKS cluster(s)"), "{m}");
    for heading in [
        "## Per subscription",
        "## Worst items across the fleet",
        "## Matrix",
        "## Items",
    ] {
        assert!(m.contains(heading), "{heading}: {m}");
    }
    assert!(m.contains(&format!("| `{SUB_A}` | 4 | 3 | 0 | 1 |")), "{m}");
    assert!(m.contains(&format!("| `{SUB_B}` | 4 | 2 | 2 | 0 |")), "{m}");
    // Every row of a table has as many cells as its header: each renders as one table.
    let mut block: Vec<(usize, &str)> = Vec::new();
    for line in m.lines().chain([""]) {
        if line.starts_with('|') {
            block.push((line.matches('|').count(), line));
        } else {
            if let Some((first, _)) = block.first() {
                for (cells, row) in &block {
                    assert_eq!(cells, first, "{row}");
                }
            }
            block.clear();
        }
    }
    assert!(!m.contains("<script"), "{m}");
}

#[tokio::test(flavor = "multi_thread")]
async fn exit_codes_follow_check() {
    let (rows, _) = fake_arg::generate(4, &[SUB_A], |_| None);
    let fake = FakeArg::start(rows, ArgOptions::default()).await;
    let clean = fleet(&fake.uri(), &["--subscription", SUB_A]).await;
    assert_eq!(clean.code, Some(0), "{}{}", clean.stdout, clean.stderr);

    let (rows, _) = fake_arg::generate(4, &[SUB_A], |i| (i == 2).then_some(Fault::NoVault));
    let fake = FakeArg::start(rows, ArgOptions::default()).await;
    let errors = fleet(&fake.uri(), &["--subscription", SUB_A]).await;
    assert_eq!(errors.code, Some(3), "{}", errors.stdout);

    let both = fleet(
        &fake.uri(),
        &["--subscription", SUB_A, "--management-group", "mg"],
    )
    .await;
    assert_eq!(both.code, Some(2));
    let remote = tokio::task::spawn_blocking(|| {
        common::readiness(Path::new("."))
            .args([
                "fleet",
                "--auth",
                "none",
                "--arm-endpoint",
                "https://management.azure.com",
                "--subscription",
                SUB_A,
            ])
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert_eq!(remote.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&remote.stderr).contains("loopback"));
}
