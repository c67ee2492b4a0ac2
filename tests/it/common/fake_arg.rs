//! A fake Azure Resource Graph for integration tests: a wiremock server on 127.0.0.1
//! (ephemeral port), alone or mounted on a [`super::fake_arm::FakeArm`]'s server so `--deep`
//! reads per-resource documents from the same endpoint.
//!
//! `POST /providers/Microsoft.ResourceGraph/resources` runs a small part of KQL over the rows
//! it was given: `where type =~ '<type>'`, `project <columns>` (plain column names; a column a
//! row lacks is left out, so a row without `properties` stays without) and the scope
//! (`subscriptions`, `managementGroups` mapped through [`ArgOptions::management_groups`], or
//! neither = every row). Rows come back ordered by id, `options.$top` (at most 1,000) a page,
//! with an opaque `$skipToken` until the last page, `resultTruncated: "false"` as a string and
//! `facets: []`, as the real service answers.
//!
//! Faults: [`ArgOptions::throttle_pages`] answers a page once with 429 + `Retry-After: 1`;
//! [`ArgOptions::quota`] enforces a per-user quota (at most N queries per window): every answer
//! carries `x-ms-user-quota-remaining` / `x-ms-user-quota-resets-after`, and a query over the
//! quota is counted as a violation and answered 429.
//!
//! `GET /subscriptions` lists every subscription that holds a row (plus
//! [`ArgOptions::extra_subscriptions`]) in two pages linked by `nextLink`.
//!
//! Rows are built from the templates in `tests/data/arg/rows/` (an ARM GET document in
//! Resource Graph's row shape) with [`cluster_row`], [`vault_row`], [`registry_row`],
//! [`identity_row`], or a whole fleet with [`generate`].
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

pub const GRAPH_PATH: &str = "/providers/Microsoft.ResourceGraph/resources";
const JSON: &str = "application/json; charset=utf-8";
const PRIORITY: u8 = 5;

#[derive(Debug, Clone, Default)]
pub struct ArgOptions {
    /// Management group → its subscriptions.
    pub management_groups: Vec<(String, Vec<String>)>,
    /// (resource type, 1-based page) answered once with 429 + `Retry-After: 1`.
    pub throttle_pages: Vec<(String, usize)>,
    /// At most `.0` queries per window of `.1`.
    pub quota: Option<(u32, Duration)>,
    /// Rows per page when smaller than the `$top` asked for.
    pub page_size: Option<usize>,
    /// Subscriptions that GET /subscriptions lists beside those holding rows: (id, state).
    pub extra_subscriptions: Vec<(String, String)>,
}

/// One POST the fake answered.
#[derive(Debug, Clone)]
pub struct Logged {
    pub body: Value,
    pub status: u16,
    /// The resource type the query asked for.
    pub resource_type: String,
    /// 1-based page number (from the `$skipToken`).
    pub page: usize,
}

struct State {
    rows: Vec<Value>,
    options: ArgOptions,
    uri: String,
    log: Mutex<Vec<Logged>>,
    throttled: Mutex<Vec<(String, usize)>>,
    window: Mutex<Option<(Instant, u32)>>,
    violations: AtomicUsize,
}

pub struct FakeArg {
    /// Set when the fake owns its server ([`FakeArg::start`]).
    pub server: Option<MockServer>,
    uri: String,
    state: Arc<State>,
}

impl FakeArg {
    /// A fake Resource Graph on its own server.
    pub async fn start(rows: Vec<Value>, options: ArgOptions) -> FakeArg {
        let server = MockServer::start().await;
        let mut fake = Self::mount(&server, rows, options).await;
        fake.server = Some(server);
        fake
    }

    /// Mounts the fake on `server` (e.g. a `FakeArm`'s, above its 404 catch-all).
    pub async fn mount(server: &MockServer, mut rows: Vec<Value>, options: ArgOptions) -> FakeArg {
        rows.sort_by_key(|r| r["id"].as_str().unwrap_or_default().to_ascii_lowercase());
        let state = Arc::new(State {
            rows,
            options,
            uri: server.uri(),
            log: Mutex::new(Vec::new()),
            throttled: Mutex::new(Vec::new()),
            window: Mutex::new(None),
            violations: AtomicUsize::new(0),
        });
        Mock::given(method("POST"))
            .and(path(GRAPH_PATH))
            .respond_with(Graph(state.clone()))
            .with_priority(PRIORITY)
            .named("Resource Graph")
            .mount(server)
            .await;
        Mock::given(method("GET"))
            .and(path("/subscriptions"))
            .respond_with(Subscriptions(state.clone()))
            .with_priority(PRIORITY)
            .named("subscriptions")
            .mount(server)
            .await;
        FakeArg {
            server: None,
            uri: server.uri(),
            state,
        }
    }

    pub fn uri(&self) -> String {
        self.uri.clone()
    }

    /// Every query answered, in order.
    pub fn log(&self) -> Vec<Logged> {
        self.state.log.lock().unwrap().clone()
    }

    /// Queries that arrived while the quota was used up.
    pub fn quota_violations(&self) -> usize {
        self.state.violations.load(Ordering::SeqCst)
    }
}

fn hms(d: Duration) -> String {
    let s = d.as_secs() + u64::from(d.subsec_nanos() > 0);
    format!("{:02}:{:02}:{:02}", s / 3600, (s / 60) % 60, s % 60)
}

fn error(status: u16, code: &str, message: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_raw(
        json!({"error": {"code": code, "message": message}}).to_string(),
        JSON,
    )
}

/// `where type =~ '<type>'` → the type, lower case.
fn queried_type(query: &str) -> Option<String> {
    let start = query.find("type =~ '")? + "type =~ '".len();
    let end = query[start..].find('\'')? + start;
    Some(query[start..end].to_ascii_lowercase())
}

/// `project a, b, c` → the column names.
fn projected(query: &str) -> Option<Vec<String>> {
    let start = query.find("| project ")? + "| project ".len();
    let rest = &query[start..];
    let end = rest.find('|').unwrap_or(rest.len());
    Some(
        rest[..end]
            .split(',')
            .map(|c| c.trim().to_string())
            .filter(|c| !c.is_empty())
            .collect(),
    )
}

fn token_for(offset: usize) -> String {
    format!("ZmFrZS1hcmc+{offset:x}==")
}

fn offset_of(token: &str) -> Option<usize> {
    let hex = token.strip_prefix("ZmFrZS1hcmc+")?.strip_suffix("==")?;
    usize::from_str_radix(hex, 16).ok()
}

struct Graph(Arc<State>);

impl Graph {
    /// The quota headers for this answer, or the 429 for a query over the quota.
    fn quota(&self) -> Result<Vec<(&'static str, String)>, Box<ResponseTemplate>> {
        let Some((budget, window)) = self.0.options.quota else {
            return Ok(Vec::new());
        };
        let now = Instant::now();
        let mut slot = self.0.window.lock().unwrap();
        let (start, used) = match *slot {
            Some((start, used)) if now < start + window => (start, used + 1),
            _ => (now, 1),
        };
        *slot = Some((start, used));
        let left = (start + window).saturating_duration_since(now);
        if used > budget {
            self.0.violations.fetch_add(1, Ordering::SeqCst);
            return Err(Box::new(error(429, "RateLimiting", "Please provide below info when asking for support: … The request was throttled (user quota)")
                .insert_header("retry-after", (left.as_secs() + 1).to_string())
                .insert_header("x-ms-user-quota-remaining", "0")
                .insert_header("x-ms-user-quota-resets-after", hms(left))));
        }
        Ok(vec![
            ("x-ms-user-quota-remaining", (budget - used).to_string()),
            ("x-ms-user-quota-resets-after", hms(left)),
        ])
    }
}

impl Respond for Graph {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let state = &self.0;
        let Ok(body) = serde_json::from_slice::<Value>(&request.body) else {
            return error(400, "BadRequest", "the body is not JSON");
        };
        let query = body["query"].as_str().unwrap_or_default();
        let (Some(resource_type), Some(columns)) = (queried_type(query), projected(query)) else {
            return error(
                400,
                "BadRequest",
                "the fake Resource Graph only runs `where type =~ '…' | project …` queries",
            );
        };
        let top = body["options"]["$top"].as_u64().unwrap_or(100).min(1000) as usize;
        let size = state.options.page_size.map_or(top, |p| p.min(top)).max(1);
        let offset = match body["options"]["$skipToken"].as_str() {
            Some(token) => match offset_of(token) {
                Some(o) => o,
                None => return error(400, "BadRequest", "invalid $skipToken"),
            },
            None => 0,
        };
        let page = offset / size + 1;
        let log = |status: u16| {
            state.log.lock().unwrap().push(Logged {
                body: body.clone(),
                status,
                resource_type: resource_type.clone(),
                page,
            })
        };
        let headers = match self.quota() {
            Ok(h) => h,
            Err(throttled) => {
                log(429);
                return *throttled;
            }
        };
        {
            let mut throttled = state.throttled.lock().unwrap();
            let key = (resource_type.clone(), page);
            if state.options.throttle_pages.contains(&key) && !throttled.contains(&key) {
                throttled.push(key);
                drop(throttled);
                log(429);
                return error(
                    429,
                    "RateLimiting",
                    "Please provide below info when asking for support: … Too many requests",
                )
                .insert_header("retry-after", "1");
            }
        }
        let subs: Option<Vec<String>> = if let Some(list) = body["subscriptions"].as_array() {
            Some(
                list.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_ascii_lowercase)
                    .collect(),
            )
        } else if let Some(groups) = body["managementGroups"].as_array() {
            let mut subs = Vec::new();
            for g in groups.iter().filter_map(Value::as_str) {
                match state
                    .options
                    .management_groups
                    .iter()
                    .find(|(mg, _)| mg.eq_ignore_ascii_case(g))
                {
                    Some((_, list)) => subs.extend(list.iter().map(|s| s.to_ascii_lowercase())),
                    None => {
                        return error(
                            404,
                            "ManagementGroupNotFound",
                            &format!("management group '{g}' was not found"),
                        );
                    }
                }
            }
            Some(subs)
        } else {
            None
        };
        let matching: Vec<&Value> = state
            .rows
            .iter()
            .filter(|r| {
                r["type"]
                    .as_str()
                    .is_some_and(|t| t.eq_ignore_ascii_case(&resource_type))
            })
            .filter(|r| {
                subs.as_ref().is_none_or(|subs| {
                    r["subscriptionId"]
                        .as_str()
                        .is_some_and(|s| subs.contains(&s.to_ascii_lowercase()))
                })
            })
            .collect();
        let data: Vec<Value> = matching
            .iter()
            .skip(offset)
            .take(size)
            .map(|r| {
                let mut out = serde_json::Map::new();
                for c in &columns {
                    if let Some(v) = r.get(c) {
                        out.insert(c.clone(), v.clone());
                    }
                }
                Value::Object(out)
            })
            .collect();
        let mut answer = json!({
            "totalRecords": matching.len(),
            "count": data.len(),
            "resultTruncated": "false",
            "facets": [],
            "data": data,
        });
        if offset + size < matching.len() {
            answer["$skipToken"] = json!(token_for(offset + size));
        }
        log(200);
        let mut template = ResponseTemplate::new(200).set_body_raw(answer.to_string(), JSON);
        for (name, value) in headers {
            template = template.insert_header(name, value.as_str());
        }
        template
    }
}

struct Subscriptions(Arc<State>);

impl Respond for Subscriptions {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let mut subs: BTreeMap<String, (String, String)> = BTreeMap::new();
        for r in &self.0.rows {
            if let Some(s) = r["subscriptionId"].as_str() {
                subs.entry(s.to_ascii_lowercase())
                    .or_insert((s.to_string(), "Enabled".to_string()));
            }
        }
        for (s, state) in &self.0.options.extra_subscriptions {
            subs.insert(s.to_ascii_lowercase(), (s.clone(), state.clone()));
        }
        let all: Vec<Value> = subs
            .values()
            .map(|(id, state)| {
                json!({"id": format!("/subscriptions/{id}"), "subscriptionId": id, "displayName": format!("sub {id}"), "state": state, "tenantId": "00000000-0000-0000-0000-000000000000"})
            })
            .collect();
        let half = all.len().div_ceil(2);
        let second = request
            .url
            .query_pairs()
            .any(|(k, v)| k == "$skipToken" && v == "page2");
        let page = if second {
            json!({"value": all[half..]})
        } else {
            json!({"value": all[..half], "nextLink": format!("{}/subscriptions?api-version=2022-12-01&$skipToken=page2", self.0.uri)})
        };
        ResponseTemplate::new(200).set_body_raw(page.to_string(), JSON)
    }
}

/// Path of a file under tests/data/arg.
pub fn data_path(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/arg")
        .join(rel)
}

/// A row template from tests/data/arg/rows.
pub fn template(name: &str) -> Value {
    let path = data_path(&format!("rows/{name}"));
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
}

fn place(mut row: Value, id: String, name: &str, sub: &str, rg_column: &str) -> Value {
    row["id"] = json!(id);
    row["name"] = json!(name);
    row["subscriptionId"] = json!(sub);
    row["resourceGroup"] = json!(rg_column);
    row
}

/// A cluster row (ids lower case, as Resource Graph often gives them).
pub fn cluster_row(template: &Value, sub: &str, rg: &str, name: &str) -> Value {
    let id = format!("/subscriptions/{sub}/resourcegroups/{rg}/providers/microsoft.containerservice/managedclusters/{name}").to_ascii_lowercase();
    place(template.clone(), id, name, sub, &rg.to_ascii_lowercase())
}

/// A key vault row; `rg_column` is the `resourceGroup` column as given (any casing).
pub fn vault_row(template: &Value, sub: &str, rg_column: &str, name: &str) -> Value {
    let id = format!(
        "/subscriptions/{sub}/resourceGroups/{rg_column}/providers/Microsoft.KeyVault/vaults/{name}"
    );
    place(template.clone(), id, name, sub, rg_column)
}

pub fn registry_row(template: &Value, sub: &str, rg_column: &str, name: &str) -> Value {
    let id = format!(
        "/subscriptions/{sub}/resourceGroups/{rg_column}/providers/Microsoft.ContainerRegistry/registries/{name}"
    );
    place(template.clone(), id, name, sub, rg_column)
}

pub fn identity_row(sub: &str, rg: &str, name: &str) -> Value {
    let id = format!(
        "/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{name}"
    );
    place(template("identity-osmo.json"), id, name, sub, rg)
}

/// What is wrong with a generated deployment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// `apiServerAccessProfile.enablePrivateCluster: false`.
    PublicApiServer,
    /// `networkProfile.networkPlugin: kubenet`.
    Kubenet,
    /// `disableLocalAccounts: false`.
    LocalAccounts,
    /// The vault's `enablePurgeProtection: false`.
    VaultPurgeOff,
    /// The registry's `publicNetworkAccess: Enabled`.
    RegistryPublic,
    /// The cluster row's `properties: null`.
    NullProperties,
    /// The cluster row without `properties`.
    MissingProperties,
    /// No key vault in the resource group.
    NoVault,
    /// Payload quirks that must still pass (casing, string booleans, camel-case addon key).
    Quirks,
}

/// One generated deployment.
#[derive(Debug, Clone)]
pub struct Deployment {
    pub subscription: String,
    pub resource_group: String,
    pub cluster: String,
    pub id: String,
    pub fault: Option<Fault>,
}

/// `n` deployments (cluster + vault + registry, one resource group each) spread over `subs`,
/// with `fault(i)` injected into deployment `i`.
pub fn generate(
    n: usize,
    subs: &[&str],
    fault: impl Fn(usize) -> Option<Fault>,
) -> (Vec<Value>, Vec<Deployment>) {
    let hardened = template("cluster-hardened.json");
    let quirks = template("cluster-quirks.json");
    let vault = template("vault-hardened.json");
    let registry = template("registry-hardened.json");
    let mut rows = Vec::with_capacity(n * 3);
    let mut deployments = Vec::with_capacity(n);
    for i in 0..n {
        let sub = subs[i % subs.len()];
        let rg = format!("rg-robots-{i:05}");
        let name = format!("aks-robots-{i:05}");
        let f = fault(i);
        let mut cluster = cluster_row(
            if f == Some(Fault::Quirks) {
                &quirks
            } else {
                &hardened
            },
            sub,
            &rg,
            &name,
        );
        match f {
            Some(Fault::PublicApiServer) => {
                cluster["properties"]["apiServerAccessProfile"]["enablePrivateCluster"] =
                    json!(false)
            }
            Some(Fault::Kubenet) => {
                cluster["properties"]["networkProfile"]["networkPlugin"] = json!("kubenet")
            }
            Some(Fault::LocalAccounts) => {
                cluster["properties"]["disableLocalAccounts"] = json!(false)
            }
            Some(Fault::NullProperties) => cluster["properties"] = Value::Null,
            Some(Fault::MissingProperties) => {
                cluster.as_object_mut().unwrap().remove("properties");
            }
            _ => {}
        }
        // Every fourth vault names its resource group in upper case: matched all the same.
        let vault_rg = if i % 4 == 0 {
            rg.to_ascii_uppercase()
        } else {
            rg.clone()
        };
        if f != Some(Fault::NoVault) {
            let mut v = vault_row(&vault, sub, &vault_rg, &format!("kvrobots{i:05}"));
            if f == Some(Fault::VaultPurgeOff) {
                v["properties"]["enablePurgeProtection"] = json!(false);
            }
            rows.push(v);
        }
        let mut r = registry_row(&registry, sub, &rg, &format!("acrrobots{i:05}"));
        if f == Some(Fault::RegistryPublic) {
            r["properties"]["publicNetworkAccess"] = json!("Enabled");
        }
        rows.push(r);
        deployments.push(Deployment {
            subscription: sub.to_string(),
            resource_group: rg,
            cluster: name,
            id: cluster["id"].as_str().unwrap().to_string(),
            fault: f,
        });
        rows.push(cluster);
    }
    (rows, deployments)
}
