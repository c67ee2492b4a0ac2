//! A fake Azure Resource Manager for integration tests: a wiremock server on 127.0.0.1
//! (ephemeral port) that serves the fixtures under `tests/data/arm/<flavour>/`.
//!
//! Fixture layout (`tests/data/arm/`):
//! - `hardened/`, `broken/`: one deployment each (subscription [`SUB`], resource group [`RG`]);
//!   every `arm:` rule of the built-in checklist passes on `hardened` and fails on `broken`.
//!   Files: `managed-cluster.json`, `key-vault.json`, `registry.json`,
//!   `aks-diagnostic-settings.json`, `key-vault-diagnostic-settings.json`,
//!   `pricing-containers.json`, `resources.json`, `fic-<identity>.json` for both identities.
//! - `quirks/`: single documents showing one ARM quirk each (string booleans, `azurePolicy`
//!   camel-case addon key, enum casing, explicit `null`s, absent Key Vault flags, firewall without
//!   `publicNetworkAccess`, registry without `anonymousPullEnabled`, `workspaceId: ""`) and the
//!   `fic-page-1.json` / `fic-page-2.json` pagination pair (see [`FakeArm::serve_paged_fic`]).
//! - `errors/`: ARM error envelopes (`{"error": {"code", "message"}}`) and `malformed.json`
//!   (truncated, not valid JSON); serve them with [`arm_response`].
//!
//! ARM `nextLink`s are absolute URLs. In fixtures they are written with the placeholder host
//! `{{BASE}}` (e.g. `"{{BASE}}/subscriptions/…?api-version=…&$skipToken=…"`), and the fake
//! replaces `{{BASE}}` with its own [`FakeArm::uri`] in every document it serves. Read a fixture
//! with [`fixture`] and the placeholder is still there.
//!
//! Routing is on the path only (any query, so any `api-version`), compared case-insensitively
//! as ARM does. Anything else gets an ARM `404` envelope: `ResourceGroupNotFound` for a path
//! under another resource group, `ResourceNotFound` otherwise.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use wiremock::matchers::{method, query_param};
use wiremock::{Match, Mock, MockServer, Request, Respond, ResponseTemplate};

pub const SUB: &str = "6f1c2d3e-0000-4000-8000-00000000a11c";
pub const RG: &str = "rg-robots-prod-001";
pub const CLUSTER: &str = "aks-robots-prod-001";
pub const VAULT: &str = "kvrobotsprod001";
pub const REGISTRY: &str = "acrrobotsprod001";
/// The flags naming the deployment's cluster, key vault and registry.
pub const NAMED: [&str; 6] = [
    "--cluster",
    CLUSTER,
    "--key-vault",
    VAULT,
    "--registry",
    REGISTRY,
];
/// The user-assigned identity OSMO's workloads federate with (3 credentials when hardened).
pub const IDENTITY_OSMO: &str = "id-osmo-robots-prod-001";
/// The cluster's own user-assigned identity (no federated credentials).
pub const IDENTITY_AKS: &str = "id-aks-robots-prod-001";
pub const IDENTITIES: [&str; 2] = [IDENTITY_OSMO, IDENTITY_AKS];
/// `properties.oidcIssuerProfile.issuerURL` of the cluster (both flavours).
pub const ISSUER: &str = "https://eastus.oic.prod-aks.azure.com/00000000-0000-0000-0000-000000000000/11111111-2222-3333-4444-555555555555/";
pub const FLAVOURS: [&str; 2] = ["hardened", "broken"];

/// Placeholder for the fake's own base URL inside fixtures.
pub const BASE_PLACEHOLDER: &str = "{{BASE}}";

const JSON: &str = "application/json; charset=utf-8";
const PRIORITY_FAULT: u8 = 1;
const PRIORITY_PAGE_2: u8 = 2;
const PRIORITY_PAGE_1: u8 = 3;
const PRIORITY_DEFAULT: u8 = 10;
const PRIORITY_CATCH_ALL: u8 = u8::MAX;

pub struct FakeArm {
    pub server: MockServer,
    latency: Duration,
}

impl FakeArm {
    /// Serves every document of `flavour` ("hardened" | "broken") on 127.0.0.1, ephemeral port.
    pub async fn start(flavour: &str) -> FakeArm {
        Self::start_with_latency(flavour, Duration::ZERO).await
    }

    /// Like [`FakeArm::start`], every default response (documents and the 404 catch-all)
    /// delayed by `latency`. Faults answer with whatever delay their template has.
    pub async fn start_with_latency(flavour: &str, latency: Duration) -> FakeArm {
        assert!(
            FLAVOURS.contains(&flavour),
            "unknown fixture flavour {flavour:?}; expected one of {FLAVOURS:?}"
        );
        let fake = FakeArm {
            server: MockServer::start().await,
            latency,
        };
        for (path, file) in Self::documents() {
            fake.mount_document(&path, &format!("{flavour}/{file}"), PRIORITY_DEFAULT, None)
                .await;
        }
        Mock::given(AnyRequest)
            .respond_with(NotFound { latency })
            .with_priority(PRIORITY_CATCH_ALL)
            .named("ARM 404 catch-all")
            .mount(&fake.server)
            .await;
        fake
    }

    /// Base URL, no trailing slash (`http://127.0.0.1:PORT`).
    pub fn uri(&self) -> String {
        self.server.uri()
    }

    /// Replaces what `path` serves (above the defaults), for every request or only the first
    /// `times` (then the default answers again: 429-then-success, 500-then-success).
    /// When several faults cover one path, the one added first answers while it lasts.
    pub async fn fault(&self, path: &str, response: ResponseTemplate, times: Option<u64>) {
        let mock = Mock::given(ArmPath::new(path))
            .respond_with(response)
            .named(format!("fault on {path}"));
        let mock = match times {
            Some(n) => mock.up_to_n_times(n),
            None => mock,
        };
        mock.with_priority(PRIORITY_FAULT).mount(&self.server).await;
    }

    /// Serves the identity `IDENTITY_OSMO`'s credentials in two pages
    /// (`quirks/fic-page-1.json`, whose `nextLink` carries a `$skipToken`, then
    /// `quirks/fic-page-2.json` with `"nextLink": null`). Together they hold the same three
    /// credentials as `hardened/fic-id-osmo-robots-prod-001.json`.
    pub async fn serve_paged_fic(&self) {
        let path = Self::path_fic(IDENTITY_OSMO);
        let token = page_1_skip_token();
        self.mount_document(
            &path,
            "quirks/fic-page-2.json",
            PRIORITY_PAGE_2,
            Some(&token),
        )
        .await;
        self.mount_document(&path, "quirks/fic-page-1.json", PRIORITY_PAGE_1, None)
            .await;
    }

    /// Number of requests received per path. Known paths are keyed by their canonical
    /// spelling (the `path_*` functions) whatever casing the client used; a query other than
    /// `api-version` is kept in the key (`…/federatedIdentityCredentials?$skipToken=…`), so
    /// the pages of one list count separately.
    pub async fn request_counts(&self) -> BTreeMap<String, usize> {
        let known: Vec<String> = Self::documents().into_iter().map(|(p, _)| p).collect();
        let mut counts = BTreeMap::new();
        for request in self.server.received_requests().await.unwrap_or_default() {
            let path = request.url.path();
            let mut key = known
                .iter()
                .find(|k| k.eq_ignore_ascii_case(path))
                .cloned()
                .unwrap_or_else(|| path.to_string());
            let rest: Vec<String> = request
                .url
                .query_pairs()
                .filter(|(k, _)| k != "api-version")
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            if !rest.is_empty() {
                key = format!("{key}?{}", rest.join("&"));
            }
            *counts.entry(key).or_insert(0) += 1;
        }
        counts
    }

    pub fn path_resource_group() -> String {
        format!("/subscriptions/{SUB}/resourceGroups/{RG}")
    }
    pub fn path_cluster() -> String {
        format!(
            "{}/providers/Microsoft.ContainerService/managedClusters/{CLUSTER}",
            Self::path_resource_group()
        )
    }
    pub fn path_vault() -> String {
        format!(
            "{}/providers/Microsoft.KeyVault/vaults/{VAULT}",
            Self::path_resource_group()
        )
    }
    pub fn path_registry() -> String {
        format!(
            "{}/providers/Microsoft.ContainerRegistry/registries/{REGISTRY}",
            Self::path_resource_group()
        )
    }
    pub fn path_pricing() -> String {
        format!("/subscriptions/{SUB}/providers/Microsoft.Security/pricings/Containers")
    }
    pub fn path_resources() -> String {
        format!("{}/resources", Self::path_resource_group())
    }
    /// Diagnostic settings of the resource at `resource_path` (e.g. [`FakeArm::path_cluster`]).
    pub fn path_diagnostics(resource_path: &str) -> String {
        format!("{resource_path}/providers/Microsoft.Insights/diagnosticSettings")
    }
    pub fn path_identity(identity: &str) -> String {
        format!(
            "{}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{identity}",
            Self::path_resource_group()
        )
    }
    pub fn path_fic(identity: &str) -> String {
        format!(
            "{}/federatedIdentityCredentials",
            Self::path_identity(identity)
        )
    }

    /// Every path the fake serves by default, with the file (in the flavour's folder) it serves.
    pub fn documents() -> Vec<(String, String)> {
        let mut docs = vec![
            (Self::path_resources(), "resources.json".to_string()),
            (Self::path_cluster(), "managed-cluster.json".to_string()),
            (Self::path_vault(), "key-vault.json".to_string()),
            (Self::path_registry(), "registry.json".to_string()),
            (
                Self::path_diagnostics(&Self::path_cluster()),
                "aks-diagnostic-settings.json".to_string(),
            ),
            (
                Self::path_diagnostics(&Self::path_vault()),
                "key-vault-diagnostic-settings.json".to_string(),
            ),
            (Self::path_pricing(), "pricing-containers.json".to_string()),
        ];
        for identity in IDENTITIES {
            docs.push((Self::path_fic(identity), format!("fic-{identity}.json")));
        }
        docs
    }

    /// Mounts `rel` (under tests/data/arm) at `path`, `{{BASE}}` replaced; with `skip_token`,
    /// only for requests whose `$skipToken` query parameter has that value.
    async fn mount_document(&self, path: &str, rel: &str, priority: u8, skip_token: Option<&str>) {
        let body = fixture_text(rel).replace(BASE_PLACEHOLDER, &self.uri());
        let template = ResponseTemplate::new(200)
            .set_body_raw(body, JSON)
            .insert_header("x-ms-ratelimit-remaining-subscription-reads", "249");
        let template = delayed(template, self.latency);
        let builder = Mock::given(method("GET")).and(ArmPath::new(path));
        let builder = match skip_token {
            Some(token) => builder.and(query_param("$skipToken", token)),
            None => builder,
        };
        builder
            .respond_with(template)
            .with_priority(priority)
            .named(format!("{rel} at {path}"))
            .mount(&self.server)
            .await;
    }
}

/// The `$skipToken` value in `quirks/fic-page-1.json`'s `nextLink`.
fn page_1_skip_token() -> String {
    let page = fixture("quirks/fic-page-1.json");
    let link = page["nextLink"]
        .as_str()
        .expect("quirks/fic-page-1.json has a nextLink");
    let (_, token) = link
        .split_once("$skipToken=")
        .expect("the nextLink carries a $skipToken");
    token.split('&').next().unwrap_or_default().to_string()
}

/// Path of a file under tests/data/arm.
pub fn fixture_path(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/arm")
        .join(rel)
}

/// The text of a fixture under tests/data/arm (`{{BASE}}` left as is).
pub fn fixture_text(rel: &str) -> String {
    let path = fixture_path(rel);
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read fixture {}: {e}", path.display()))
}

/// Reads a fixture under tests/data/arm.
pub fn fixture(rel: &str) -> serde_json::Value {
    serde_json::from_str(&fixture_text(rel))
        .unwrap_or_else(|e| panic!("fixture {rel} is not valid JSON: {e}"))
}

/// A response with status `status` and the fixture `rel` as its JSON body, with the headers
/// ARM sends beside such an error: `WWW-Authenticate` on 401, `x-ms-failure-cause: gateway` on
/// `ResourceGroupNotFound`. E.g. `arm_response(403, "errors/403-authorization-failed.json")`.
/// A 429 gets no `Retry-After` here; add `.insert_header("retry-after", "1")` when wanted.
pub fn arm_response(status: u16, rel: &str) -> ResponseTemplate {
    let body = fixture_text(rel);
    let mut template = ResponseTemplate::new(status);
    if status == 401 {
        template = template.insert_header(
            "www-authenticate",
            "Bearer authorization_uri=\"https://login.microsoftonline.com/00000000-0000-0000-0000-000000000000\", error=\"invalid_token\", error_description=\"The access token has expired.\"",
        );
    }
    if body.contains("\"ResourceGroupNotFound\"") {
        template = template.insert_header("x-ms-failure-cause", "gateway");
    }
    template.set_body_raw(body, JSON)
}

fn delayed(template: ResponseTemplate, latency: Duration) -> ResponseTemplate {
    if latency.is_zero() {
        template
    } else {
        template.set_delay(latency)
    }
}

/// Matches a request path, ignoring ASCII case (ARM paths are case-insensitive).
struct ArmPath(String);

impl ArmPath {
    fn new(path: &str) -> Self {
        ArmPath(path.to_string())
    }
}

impl Match for ArmPath {
    fn matches(&self, request: &Request) -> bool {
        request.url.path().eq_ignore_ascii_case(&self.0)
    }
}

struct AnyRequest;

impl Match for AnyRequest {
    fn matches(&self, _request: &Request) -> bool {
        true
    }
}

/// ARM's 404 for anything the fake does not serve.
struct NotFound {
    latency: Duration,
}

impl Respond for NotFound {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let path = request.url.path();
        let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        let resource_group = segments
            .iter()
            .position(|s| s.eq_ignore_ascii_case("resourceGroups"))
            .and_then(|i| segments.get(i + 1).copied());
        let (code, message, gateway) = match resource_group {
            Some(rg) if !rg.eq_ignore_ascii_case(RG) => (
                "ResourceGroupNotFound",
                format!("Resource group '{rg}' could not be found."),
                true,
            ),
            Some(rg) => {
                let resource = match path.rfind("/providers/") {
                    Some(i) => &path[i + "/providers/".len()..],
                    None => path,
                };
                (
                    "ResourceNotFound",
                    format!(
                        "The Resource '{resource}' under resource group '{rg}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix"
                    ),
                    false,
                )
            }
            None => (
                "ResourceNotFound",
                format!(
                    "The Resource '{path}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix"
                ),
                false,
            ),
        };
        let body = serde_json::json!({"error": {"code": code, "message": message}});
        let mut template = ResponseTemplate::new(404)
            .set_body_raw(body.to_string(), JSON)
            .insert_header("x-ms-error-code", code);
        template = delayed(template, self.latency);
        if gateway {
            template = template.insert_header("x-ms-failure-cause", "gateway");
        }
        template
    }
}

/// `check --auth none --arm-endpoint URI --subscription SUB --resource-group RG`, and with
/// `named` the cluster, key vault and registry too (else discovery finds them).
pub fn check_args(uri: &str, named: bool) -> Vec<String> {
    let mut args = vec![
        "check",
        "--auth",
        "none",
        "--arm-endpoint",
        uri,
        "--subscription",
        SUB,
        "--resource-group",
        RG,
    ];
    if named {
        args.extend(NAMED);
    }
    args.into_iter().map(String::from).collect()
}

/// `fleet --auth none --arm-endpoint URI --subscription SUB`.
pub fn fleet_args(uri: &str) -> Vec<String> {
    fleet_args_for(uri, SUB)
}

/// `fleet --auth none --arm-endpoint URI --subscription SUBSCRIPTION`.
pub fn fleet_args_for(uri: &str, subscription: &str) -> Vec<String> {
    [
        "fleet",
        "--auth",
        "none",
        "--arm-endpoint",
        uri,
        "--subscription",
        subscription,
    ]
    .map(String::from)
    .to_vec()
}
