//! Self-test of the fake ARM server (tests/common/fake_arm.rs) and of its fixtures, with a
//! hand-written HTTP/1.1 client (no HTTP client crate among the dev-dependencies).

use crate::common;

use std::time::{Duration, Instant};

use common::fake_arm::{
    CLUSTER, FLAVOURS, FakeArm, IDENTITIES, IDENTITY_AKS, IDENTITY_OSMO, ISSUER, REGISTRY, RG, SUB,
    VAULT, arm_response, fixture, fixture_text,
};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

struct Response {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Response {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn json(&self) -> Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("body is not JSON ({e}): {}", self.body))
    }
}

/// `GET {path_and_query}` against `base` (`http://127.0.0.1:PORT`), Connection: close.
async fn get(base: &str, path_and_query: &str) -> Response {
    let authority = base.strip_prefix("http://").expect("plain http base");
    let mut stream = TcpStream::connect(authority).await.expect("connect");
    let request = format!(
        "GET {path_and_query} HTTP/1.1\r\nHost: {authority}\r\nAccept: application/json\r\nConnection: close\r\n\r\n"
    );
    stream
        .write_all(request.as_bytes())
        .await
        .expect("send request");
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.expect("read response");
    parse(&raw)
}

fn parse(raw: &[u8]) -> Response {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("end of headers");
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.split("\r\n");
    let status_line = lines.next().expect("status line");
    let status = status_line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("bad status line {status_line:?}"));
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let mut body = raw[split + 4..].to_vec();
    let chunked = headers
        .iter()
        .any(|(k, v)| k == "transfer-encoding" && v.eq_ignore_ascii_case("chunked"));
    if chunked {
        body = dechunk(&body);
    }
    Response {
        status,
        headers,
        body: String::from_utf8(body).expect("UTF-8 body"),
    }
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let eol = data
            .windows(2)
            .position(|w| w == b"\r\n")
            .expect("chunk size line");
        let size_text = String::from_utf8_lossy(&data[..eol]);
        let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16)
            .expect("hex chunk size");
        data = &data[eol + 2..];
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&data[..size]);
        data = &data[size + 2..];
    }
}

#[tokio::test]
async fn serves_every_document_of_both_flavours() {
    for flavour in FLAVOURS {
        let fake = FakeArm::start(flavour).await;
        for (path, file) in FakeArm::documents() {
            let response = get(&fake.uri(), &format!("{path}?api-version=2025-10-01")).await;
            assert_eq!(response.status, 200, "{flavour} {path}");
            assert!(
                response
                    .header("content-type")
                    .is_some_and(|c| c.starts_with("application/json")),
                "{flavour} {path}: content-type"
            );
            assert_eq!(
                response.json(),
                fixture(&format!("{flavour}/{file}")),
                "{flavour} {path}"
            );
        }
        // No query at all is fine too, and ARM paths are case-insensitive.
        let lower = FakeArm::path_cluster().to_lowercase();
        let response = get(&fake.uri(), &lower).await;
        assert_eq!(response.status, 200);
        assert_eq!(response.json()["name"], CLUSTER);
    }
}

#[tokio::test]
async fn fixture_ids_agree_with_the_paths_served() {
    let same = |a: &Value, b: &str| a.as_str().is_some_and(|a| a.eq_ignore_ascii_case(b));
    for flavour in FLAVOURS {
        let cluster = fixture(&format!("{flavour}/managed-cluster.json"));
        assert!(same(&cluster["id"], &FakeArm::path_cluster()), "{flavour}");
        assert_eq!(cluster["name"], CLUSTER);
        assert_eq!(
            cluster["properties"]["oidcIssuerProfile"]["issuerURL"],
            ISSUER
        );
        let vault = fixture(&format!("{flavour}/key-vault.json"));
        assert!(same(&vault["id"], &FakeArm::path_vault()), "{flavour}");
        let registry = fixture(&format!("{flavour}/registry.json"));
        assert!(
            same(&registry["id"], &FakeArm::path_registry()),
            "{flavour}"
        );
        let pricing = fixture(&format!("{flavour}/pricing-containers.json"));
        assert!(same(&pricing["id"], &FakeArm::path_pricing()), "{flavour}");

        let resources = fixture(&format!("{flavour}/resources.json"));
        let listed = resources["value"].as_array().expect("value array");
        let find = |ty: &str, name: &str| {
            listed
                .iter()
                .find(|r| r["type"] == ty && r["name"] == name)
                .unwrap_or_else(|| panic!("{flavour}: {ty} {name} not listed"))
        };
        let c = find("Microsoft.ContainerService/managedClusters", CLUSTER);
        assert!(same(&c["id"], &FakeArm::path_cluster()));
        assert!(same(
            &find("Microsoft.KeyVault/vaults", VAULT)["id"],
            &FakeArm::path_vault()
        ));
        assert!(same(
            &find("Microsoft.ContainerRegistry/registries", REGISTRY)["id"],
            &FakeArm::path_registry()
        ));
        for identity in IDENTITIES {
            let r = find("Microsoft.ManagedIdentity/userAssignedIdentities", identity);
            assert!(same(&r["id"], &FakeArm::path_identity(identity)));
            let fics = fixture(&format!("{flavour}/fic-{identity}.json"));
            for credential in fics["value"].as_array().expect("value array") {
                let id = credential["id"].as_str().expect("credential id");
                let prefix = format!("{}/", FakeArm::path_fic(identity));
                assert!(
                    id.to_lowercase().starts_with(&prefix.to_lowercase()),
                    "{flavour}: {id}"
                );
            }
        }
        for r in listed {
            let id = r["id"].as_str().expect("id");
            assert!(
                id.starts_with(&format!("/subscriptions/{SUB}/resourceGroups/{RG}/")),
                "{flavour}: {id}"
            );
        }
    }
    let osmo = fixture(&format!("hardened/fic-{IDENTITY_OSMO}.json"));
    assert_eq!(osmo["value"].as_array().map(Vec::len), Some(3));
    for credential in osmo["value"].as_array().into_iter().flatten() {
        assert_eq!(credential["properties"]["issuer"], ISSUER);
        assert_eq!(
            credential["properties"]["audiences"],
            serde_json::json!(["api://AzureADTokenExchange"])
        );
    }
    assert_eq!(
        fixture(&format!("hardened/fic-{IDENTITY_AKS}.json")),
        serde_json::json!({"value": []})
    );
}

#[tokio::test]
async fn a_fault_overrides_then_expires_after_times() {
    let fake = FakeArm::start("hardened").await;
    let cluster = FakeArm::path_cluster();
    fake.fault(
        &cluster,
        arm_response(429, "errors/429-throttled.json"),
        Some(2),
    )
    .await;
    for _ in 0..2 {
        let r = get(&fake.uri(), &format!("{cluster}?api-version=2025-10-01")).await;
        assert_eq!(r.status, 429);
        assert_eq!(r.json()["error"]["code"], "SubscriptionRequestsThrottled");
    }
    let r = get(&fake.uri(), &format!("{cluster}?api-version=2025-10-01")).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json(), fixture("hardened/managed-cluster.json"));

    // Without `times` it lasts; other paths are untouched.
    let vault = FakeArm::path_vault();
    fake.fault(
        &vault,
        arm_response(403, "errors/403-authorization-failed.json"),
        None,
    )
    .await;
    for _ in 0..3 {
        let r = get(&fake.uri(), &vault).await;
        assert_eq!(r.status, 403);
        let message = r.json()["error"]["message"]
            .as_str()
            .unwrap_or("")
            .to_string();
        assert!(message.contains("Microsoft.ContainerService/managedClusters/read"));
    }
    assert_eq!(
        get(&fake.uri(), &FakeArm::path_registry()).await.status,
        200
    );

    // A raw body that is not JSON.
    let registry = FakeArm::path_registry();
    fake.fault(
        &registry,
        wiremock::ResponseTemplate::new(200)
            .set_body_raw(fixture_text("errors/malformed.json"), "application/json"),
        Some(1),
    )
    .await;
    let r = get(&fake.uri(), &registry).await;
    assert_eq!(r.status, 200);
    assert!(serde_json::from_str::<Value>(&r.body).is_err());
    assert_eq!(get(&fake.uri(), &registry).await.status, 200);
}

#[tokio::test]
async fn error_fixtures_are_arm_envelopes() {
    for (file, code) in [
        ("401.json", "ExpiredAuthenticationToken"),
        ("403-authorization-failed.json", "AuthorizationFailed"),
        ("404-resource-not-found.json", "ResourceNotFound"),
        ("404-resource-group-not-found.json", "ResourceGroupNotFound"),
        ("429-throttled.json", "SubscriptionRequestsThrottled"),
        ("500.json", "InternalServerError"),
    ] {
        let doc = fixture(&format!("errors/{file}"));
        assert_eq!(doc["error"]["code"], code, "{file}");
        assert!(doc["error"]["message"].is_string(), "{file}");
    }
    let forbidden = fixture("errors/403-authorization-failed.json");
    let message = forbidden["error"]["message"].as_str().unwrap_or("");
    assert!(message.contains(&format!("over scope '{}'", FakeArm::path_cluster())));
    assert!(serde_json::from_str::<Value>(&fixture_text("errors/malformed.json")).is_err());

    let fake = FakeArm::start("broken").await;
    let cluster = FakeArm::path_cluster();
    fake.fault(&cluster, arm_response(401, "errors/401.json"), None)
        .await;
    let r = get(&fake.uri(), &cluster).await;
    assert_eq!(r.status, 401);
    assert!(
        r.header("www-authenticate")
            .is_some_and(|v| v.starts_with("Bearer "))
    );
}

#[tokio::test]
async fn next_link_points_at_the_fake_and_pages_concatenate() {
    let fake = FakeArm::start("hardened").await;
    fake.serve_paged_fic().await;
    let path = FakeArm::path_fic(IDENTITY_OSMO);
    let first = get(&fake.uri(), &format!("{path}?api-version=2024-11-30"))
        .await
        .json();
    let next = first["nextLink"].as_str().expect("page 1 has a nextLink");
    assert!(!next.contains("{{BASE}}"), "{next}");
    let rest = next
        .strip_prefix(&fake.uri())
        .unwrap_or_else(|| panic!("nextLink {next} is not on {}", fake.uri()));
    assert!(rest.starts_with(&format!("{path}?")), "{rest}");
    let second = get(&fake.uri(), rest).await.json();
    assert!(second["nextLink"].is_null());

    let mut all = first["value"].as_array().cloned().unwrap_or_default();
    all.extend(second["value"].as_array().cloned().unwrap_or_default());
    assert_eq!(first["value"].as_array().map(Vec::len), Some(2));
    assert_eq!(
        Value::Array(all),
        fixture(&format!("hardened/fic-{IDENTITY_OSMO}.json"))["value"]
    );

    let counts = fake.request_counts().await;
    assert_eq!(counts.get(&path), Some(&1), "{counts:?}");
    let page_2_key = counts
        .keys()
        .find(|k| k.starts_with(&format!("{path}?$skipToken=")))
        .unwrap_or_else(|| panic!("no page-2 key in {counts:?}"));
    assert_eq!(counts[page_2_key], 1);
}

#[tokio::test]
async fn unknown_paths_get_an_arm_404() {
    let fake = FakeArm::start("hardened").await;
    let vm = format!(
        "{}/providers/Microsoft.Compute/virtualMachines/vm-nope",
        FakeArm::path_resource_group()
    );
    let r = get(&fake.uri(), &format!("{vm}?api-version=2024-07-01")).await;
    assert_eq!(r.status, 404);
    assert_eq!(r.header("x-ms-error-code"), Some("ResourceNotFound"));
    let body = r.json();
    assert_eq!(body["error"]["code"], "ResourceNotFound");
    let message = body["error"]["message"].as_str().unwrap_or("");
    assert!(
        message.contains(
            "'Microsoft.Compute/virtualMachines/vm-nope' under resource group 'rg-robots-prod-001'"
        ),
        "{message}"
    );

    let other_rg = format!("/subscriptions/{SUB}/resourceGroups/rg-elsewhere/resources");
    let r = get(&fake.uri(), &other_rg).await;
    assert_eq!(r.status, 404);
    assert_eq!(r.header("x-ms-failure-cause"), Some("gateway"));
    assert_eq!(r.json()["error"]["code"], "ResourceGroupNotFound");

    let r = get(&fake.uri(), "/nothing-here").await;
    assert_eq!(r.status, 404);
    assert_eq!(r.json()["error"]["code"], "ResourceNotFound");
}

#[tokio::test]
async fn request_counts_per_path() {
    let fake = FakeArm::start("broken").await;
    let cluster = FakeArm::path_cluster();
    get(&fake.uri(), &format!("{cluster}?api-version=2025-10-01")).await;
    get(&fake.uri(), &cluster.to_lowercase()).await;
    get(&fake.uri(), &FakeArm::path_vault()).await;
    get(&fake.uri(), "/nothing-here").await;
    let counts = fake.request_counts().await;
    assert_eq!(counts.get(&cluster), Some(&2), "{counts:?}");
    assert_eq!(counts.get(&FakeArm::path_vault()), Some(&1));
    assert_eq!(counts.get("/nothing-here"), Some(&1));
    assert_eq!(counts.values().sum::<usize>(), 4);
}

#[tokio::test]
async fn latency_delays_every_response() {
    let latency = Duration::from_millis(150);
    let fake = FakeArm::start_with_latency("hardened", latency).await;
    let started = Instant::now();
    let r = get(&fake.uri(), &FakeArm::path_pricing()).await;
    assert_eq!(r.status, 200);
    assert!(started.elapsed() >= latency);
    let started = Instant::now();
    assert_eq!(get(&fake.uri(), "/nothing-here").await.status, 404);
    assert!(started.elapsed() >= latency);
}
