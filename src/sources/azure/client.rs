//! One ARM client for the whole run: a shared `azure_core` pipeline (token cached by the
//! bearer policy, retries that honour `Retry-After` on 429 and back off on 5xx), a timeout on
//! every request, a bound on requests in flight, and each URL fetched at most once.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use azure_core::credentials::TokenCredential;
use azure_core::http::policies::Policy;
use azure_core::http::policies::auth::BearerTokenAuthorizationPolicy;
use azure_core::http::{
    ClientOptions, Context, ExponentialRetryOptions, Method, Pipeline, PipelineStreamOptions,
    Request, RetryOptions, Url,
};
use futures::StreamExt;
use serde_json::Value;
use tokio::sync::{OnceCell, Semaphore};

use super::auth::{self, AuthMode, Cloud};
use crate::sources::Cause;

#[derive(Debug, Clone)]
pub struct ArmOptions {
    pub endpoint: Url,
    pub auth: AuthMode,
    pub cloud: Cloud,
    /// Bound on one request, retries included.
    pub timeout: Duration,
    pub max_in_flight: usize,
    /// Retries after the first try, for 408/429/5xx and connection errors.
    pub max_retries: u32,
    /// What the whole run may read.
    pub limits: ReadLimits,
}

/// What one run may read from ARM in all, so a server that never stops sending (endless
/// `nextLink`s, huge pages) can neither exhaust memory nor keep the run going for ever.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadLimits {
    /// Response body bytes, every request together (`--max-read-mib`).
    pub max_bytes: u64,
    /// Requests sent, list pages included (`--max-requests`).
    pub max_requests: u64,
    /// Estimated memory of the JSON documents kept (see `bounded_json`).
    pub max_json_memory: u64,
}

impl ReadLimits {
    /// `check` and the wizards: one deployment is a few hundred kilobytes of ARM documents.
    pub const CHECK: ReadLimits = ReadLimits {
        max_bytes: 128 << 20,
        max_requests: 5_000,
        max_json_memory: 256 << 20,
    };
    /// `fleet`: Resource Graph pages of thousands of deployments, read into compact rows
    /// (not JSON trees), and `--deep`'s per-resource reads.
    pub const FLEET: ReadLimits = ReadLimits {
        max_bytes: 1 << 30,
        max_requests: 100_000,
        max_json_memory: 2 << 30,
    };
}

impl ArmOptions {
    pub fn new(endpoint: Url, auth: AuthMode, cloud: Cloud, timeout: Duration) -> Self {
        Self {
            endpoint,
            auth,
            cloud,
            timeout,
            max_in_flight: 16,
            max_retries: 4,
            limits: ReadLimits::CHECK,
        }
    }
}

type Fetch = Arc<OnceCell<Result<Value, Cause>>>;

/// With `--auth none` against a loopback endpoint, this variable's value is sent as a bearer
/// token, so tests can prove a token never reaches any output. Only in a build with the
/// `test-hooks` feature.
#[cfg(feature = "test-hooks")]
pub const TEST_TOKEN_ENV: &str = "READINESS_TEST_STATIC_TOKEN";

/// The test hook's token, when this build has the hook and the variable is set.
fn test_token() -> Option<String> {
    #[cfg(feature = "test-hooks")]
    if let Ok(token) = std::env::var(TEST_TOKEN_ENV)
        && !token.is_empty()
    {
        return Some(token);
    }
    None
}

#[derive(Debug)]
struct StaticBearer(String);

#[async_trait::async_trait]
impl Policy for StaticBearer {
    async fn send(
        &self,
        ctx: &Context,
        request: &mut Request,
        next: &[Arc<dyn Policy>],
    ) -> azure_core::http::policies::PolicyResult {
        request.insert_header("authorization", format!("Bearer {}", self.0));
        next[0].send(ctx, request, &next[1..]).await
    }
}

/// Cuts one try that hangs (a connection that never answers) as a transport error, so the
/// retry policy tries again; the whole request stays bounded by `--timeout`.
#[derive(Debug)]
struct PerTryTimeout(Duration);

#[async_trait::async_trait]
impl Policy for PerTryTimeout {
    async fn send(
        &self,
        ctx: &Context,
        request: &mut Request,
        next: &[Arc<dyn Policy>],
    ) -> azure_core::http::policies::PolicyResult {
        match tokio::time::timeout(self.0, next[0].send(ctx, request, &next[1..])).await {
            Ok(result) => result,
            Err(_) => Err(azure_core::Error::with_message(
                azure_core::error::ErrorKind::Io,
                format!(
                    "no answer within {:.1} s; trying again",
                    self.0.as_secs_f32()
                ),
            )),
        }
    }
}

/// How long one try may take: half the request's budget, so a hung try leaves time for
/// another.
fn per_try_timeout(timeout: Duration) -> Duration {
    (timeout / 2).max(Duration::from_secs(1))
}

pub struct ArmClient {
    pipeline: Pipeline,
    base: Url,
    timeout: Duration,
    in_flight: Arc<Semaphore>,
    fetched: Mutex<HashMap<String, Fetch>>,
    /// The credential and scope, to get the first token once before any request.
    credential: Option<(Arc<dyn TokenCredential>, String)>,
    signed_in: OnceCell<Result<(), Cause>>,
    limits: ReadLimits,
    /// What this run has read so far, against `limits`.
    read: ReadSoFar,
}

#[derive(Default)]
struct ReadSoFar {
    bytes: AtomicU64,
    requests: AtomicU64,
    json_memory: AtomicU64,
}

/// Whether a URL points at this machine (where `--auth none` is allowed).
pub fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

/// Why a client could not be built: the endpoint and credential settings refuse each other
/// (bad input, exit 2).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SetupError {
    #[error(
        "--auth none sends no token and is only accepted for a loopback endpoint (127.0.0.1, ::1, localhost), not {host}"
    )]
    AuthNoneOffLoopback { host: String },
    #[error(
        "a bearer token is only ever sent over https, and the endpoint {endpoint} is not https; use an https endpoint (or --auth none for a local test server)"
    )]
    TokenOverHttp { endpoint: String },
    #[error("{0}")]
    Credential(String),
}

impl ArmClient {
    pub fn new(options: &ArmOptions) -> Result<Self, SetupError> {
        let mut base = options.endpoint.clone();
        if !base.path().ends_with('/') {
            base.set_path(&format!("{}/", base.path()));
        }
        let credential = if options.auth == AuthMode::None {
            if !is_loopback(&base) {
                return Err(SetupError::AuthNoneOffLoopback {
                    host: base.host_str().unwrap_or("?").to_string(),
                });
            }
            None
        } else {
            // azure_core refuses to put a token on a plain-http request, but only when the
            // first request goes out, and the error then reads like a network failure.
            // Say it plainly, before any credential is built.
            if base.scheme() != "https" {
                return Err(SetupError::TokenOverHttp {
                    endpoint: base.as_str().trim_end_matches('/').to_string(),
                });
            }
            auth::credential(options.auth, options.cloud).map_err(SetupError::Credential)?
        };
        let scope = format!(
            "{}/.default",
            options.endpoint.as_str().trim_end_matches('/')
        );
        let mut per_try: Vec<Arc<dyn Policy>> =
            vec![Arc::new(PerTryTimeout(per_try_timeout(options.timeout)))];
        per_try.extend::<Vec<Arc<dyn Policy>>>(match credential.clone() {
            Some(c) => vec![Arc::new(BearerTokenAuthorizationPolicy::new(
                c,
                [scope.as_str()],
            ))],
            // Test hook for the no-secret-leaks tests: a fixed, recognisable token, sent only
            // with `--auth none`, which is refused for anything but a loopback endpoint.
            None => match test_token() {
                Some(token) => vec![Arc::new(StaticBearer(token))],
                None => Vec::new(),
            },
        });
        let retry = RetryOptions::exponential(ExponentialRetryOptions {
            initial_delay: azure_core::time::Duration::milliseconds(200),
            max_retries: options.max_retries,
            max_total_elapsed: azure_core::time::Duration::seconds(
                options.timeout.as_secs().max(1) as i64,
            ),
            max_delay: azure_core::time::Duration::seconds(10),
        });
        let client_options = ClientOptions {
            retry,
            ..Default::default()
        };
        let pipeline = Pipeline::new(
            Some(env!("CARGO_PKG_NAME")),
            Some(env!("CARGO_PKG_VERSION")),
            client_options,
            Vec::new(),
            per_try,
            None,
        );
        Ok(Self {
            pipeline,
            base,
            timeout: options.timeout,
            in_flight: Arc::new(Semaphore::new(options.max_in_flight.max(1))),
            fetched: Mutex::new(HashMap::new()),
            credential: credential.map(|c| (c, scope)),
            signed_in: OnceCell::new(),
            limits: options.limits,
            read: ReadSoFar::default(),
        })
    }

    /// Gets the first token once, before any request. Without this, a credential that
    /// cannot reach Entra ID (no network, a proxy in the way) retries inside every request
    /// until `--timeout`, and each document reports a time-out instead of the real cause.
    /// The token itself is dropped here: the pipeline's policy asks the credential again,
    /// which answers from its cache.
    async fn sign_in(&self) -> Result<(), Cause> {
        let Some((credential, scope)) = &self.credential else {
            return Ok(());
        };
        self.signed_in
            .get_or_init(|| async {
                let scopes = [scope.as_str()];
                let asked = credential.get_token(&scopes, None);
                match tokio::time::timeout(self.timeout, asked).await {
                    Ok(Ok(_token)) => Ok(()),
                    Ok(Err(e)) => Err(Cause::Credential {
                        detail: auth::error_chain(&e),
                    }),
                    Err(_) => Err(Cause::Credential {
                        detail: format!(
                            "no token within {} s; can this machine reach the sign-in endpoint (login.microsoftonline.com for the public cloud)?",
                            self.timeout.as_secs()
                        ),
                    }),
                }
            })
            .await
            .clone()
    }

    pub fn endpoint(&self) -> &Url {
        &self.base
    }

    /// The URL for an ARM path (`/subscriptions/…`) and api-version. Ids come from
    /// servers (listings, Resource Graph rows), so they are checked as paths: a full URL,
    /// a `//host` or a `\\` would otherwise replace the endpoint and carry the token there.
    pub fn url(&self, path: &str, api_version: &str) -> Result<Url, Cause> {
        let mut url = self.on_endpoint(path)?;
        url.query_pairs_mut()
            .append_pair("api-version", api_version);
        Ok(url)
    }

    fn on_endpoint(&self, path: &str) -> Result<Url, Cause> {
        if let Ok(absolute) = Url::parse(path)
            && absolute.origin() != self.base.origin()
        {
            return Err(Cause::ForeignOrigin {
                resource: path.to_string(),
                origin: absolute.origin().ascii_serialization(),
            });
        }
        let lower = path.to_ascii_lowercase();
        let is_arm_path = (lower.starts_with("/subscriptions") || lower.starts_with("/providers/"))
            && !path.contains('\\')
            && !path.contains("://");
        if !is_arm_path {
            return Err(Cause::BadResponse {
                resource: path.to_string(),
                detail: "not an ARM resource id (a path that starts with /subscriptions or /providers/); not requested".to_string(),
            });
        }
        let url = self
            .base
            .join(path.trim_start_matches('/'))
            .map_err(|e| Cause::BadResponse {
                resource: path.to_string(),
                detail: format!("cannot build a URL: {e}"),
            })?;
        self.same_origin(&url, path)?;
        Ok(url)
    }

    /// Refuses any URL whose scheme, host or port is not the endpoint's: the one rule every
    /// request of this client passes (ids, `nextLink`s, and any future `Location` or
    /// `Azure-AsyncOperation` header to follow).
    pub fn same_origin(&self, url: &Url, resource: &str) -> Result<(), Cause> {
        if url.origin() == self.base.origin() {
            Ok(())
        } else {
            Err(Cause::ForeignOrigin {
                resource: resource.to_string(),
                origin: url.origin().ascii_serialization(),
            })
        }
    }

    /// GETs one ARM path as JSON.
    pub async fn get(&self, path: &str, api_version: &str) -> Result<Value, Cause> {
        let url = self.url(path, api_version)?;
        self.get_url(url, path).await
    }

    /// GETs a list and follows `nextLink` (rebased onto the configured endpoint), returning
    /// every element of every page's `value`.
    pub async fn list(&self, path: &str, api_version: &str) -> Result<Vec<Value>, Cause> {
        let mut url = self.url(path, api_version)?;
        let mut items = Vec::new();
        let mut seen = std::collections::HashSet::new();
        loop {
            if !seen.insert(url.to_string()) || seen.len() > 1000 {
                return Err(Cause::BadResponse {
                    resource: path.to_string(),
                    detail: "the nextLink chain repeats itself or never ends".to_string(),
                });
            }
            let page = self.get_url(url.clone(), path).await?;
            match page.get("value") {
                Some(Value::Array(values)) => items.extend(values.iter().cloned()),
                Some(Value::Null) | None => {}
                Some(_) => {
                    return Err(Cause::BadResponse {
                        resource: path.to_string(),
                        detail: "`value` is not a list".to_string(),
                    });
                }
            }
            match page
                .get("nextLink")
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
            {
                Some(next) => url = self.rebase(next, path)?,
                None => return Ok(items),
            }
        }
    }

    /// ARM's nextLinks are absolute URLs, followed verbatim when they are on the endpoint.
    /// One on a public cloud's ARM host (a run through a proxy or a local test server,
    /// where the server writes the public host) is taken onto the endpoint, path and query
    /// kept. Any other origin is refused: the token goes to the endpoint only.
    fn rebase(&self, next: &str, path: &str) -> Result<Url, Cause> {
        let parsed = Url::parse(next).map_err(|e| Cause::BadResponse {
            resource: path.to_string(),
            detail: format!("the nextLink {next:?} is not an absolute URL ({e})"),
        })?;
        if parsed.origin() == self.base.origin() {
            return Ok(parsed);
        }
        let public_arm = [Cloud::Public, Cloud::Usgov, Cloud::China]
            .iter()
            .filter_map(|c| Url::parse(c.arm_endpoint()).ok())
            .any(|arm| arm.origin() == parsed.origin());
        if !public_arm {
            return Err(Cause::ForeignOrigin {
                resource: format!("the next page of {path}"),
                origin: parsed.origin().ascii_serialization(),
            });
        }
        let mut url = self.base.clone();
        url.set_path(&format!(
            "{}{}",
            self.base.path().trim_end_matches('/'),
            parsed.path()
        ));
        url.set_query(parsed.query());
        self.same_origin(&url, path)?;
        Ok(url)
    }

    /// POSTs a JSON body (Resource Graph queries) and returns a 2xx answer's body as it was
    /// received, with the throttling headers that pace the next request, for a caller that
    /// reads it straight into its own types (see [`not_json`] for the error a body that is not
    /// JSON should give). Not cached: each query page is new.
    pub async fn post_bytes(
        &self,
        path: &str,
        api_version: &str,
        body: &Value,
    ) -> Result<(azure_core::Bytes, Quota), Cause> {
        let url = self.url(path, api_version)?;
        let _permit = self.permit().await?;
        let mut request = Request::new(url, Method::Post);
        request.insert_header("accept", "application/json");
        request.insert_header("content-type", "application/json");
        request.set_body(serde_json::to_vec(body).unwrap_or_default());
        let (status, headers, body) = self.send(&mut request, path).await?;
        let quota = Quota::from_headers(&headers);
        if (200..300).contains(&status) {
            return Ok((body, quota));
        }
        Err(status_cause(status, &body, path))
    }

    /// A place among the requests in flight (bounded, so a run never floods ARM).
    async fn permit(&self) -> Result<tokio::sync::SemaphorePermit<'_>, Cause> {
        self.in_flight
            .acquire()
            .await
            .map_err(|_| Cause::Unreachable {
                endpoint: self.base.to_string(),
                detail: "the run is shutting down".to_string(),
            })
    }

    async fn get_url(&self, url: Url, resource: &str) -> Result<Value, Cause> {
        let cell = {
            let mut fetched = self.fetched.lock().unwrap_or_else(|e| e.into_inner());
            fetched.entry(url.to_string()).or_default().clone()
        };
        cell.get_or_init(|| self.fetch(url, resource)).await.clone()
    }

    async fn fetch(&self, url: Url, resource: &str) -> Result<Value, Cause> {
        let _permit = self.permit().await?;
        let mut request = Request::new(url, Method::Get);
        request.insert_header("accept", "application/json");
        let (status, _, bytes) = self.send(&mut request, resource).await?;
        if (200..300).contains(&status) {
            return self.document(&bytes, resource);
        }
        Err(status_cause(status, &bytes, resource))
    }

    /// A 2xx body as a document ([`document`]), its JSON tree charged to the run's budget.
    fn document(&self, bytes: &[u8], resource: &str) -> Result<Value, Cause> {
        let spent = self.read.json_memory.load(Ordering::Relaxed);
        let left = self.limits.max_json_memory.saturating_sub(spent);
        let (value, cost) = parse_document(bytes, resource, left)?;
        self.read.json_memory.fetch_add(cost, Ordering::Relaxed);
        Ok(value)
    }

    /// Sends through the pipeline (retries included) and reads the body, all within the
    /// per-request timeout; every status comes back with its body, classified by the caller.
    /// The body is read as it streams in and refused once it passes [`MAX_BODY_BYTES`] or the
    /// run's byte budget, so a huge or endless body is never held whole.
    async fn send(
        &self,
        request: &mut Request,
        resource: &str,
    ) -> Result<(u16, azure_core::http::headers::Headers, azure_core::Bytes), Cause> {
        self.same_origin(request.url(), resource)?;
        let sent = self.read.requests.fetch_add(1, Ordering::Relaxed);
        if sent >= self.limits.max_requests {
            return Err(Cause::Limit {
                resource: resource.to_string(),
                detail: format!(
                    "this run already sent {} requests, as many as it may (--max-requests)",
                    self.limits.max_requests
                ),
            });
        }
        self.sign_in().await?;
        let options = PipelineStreamOptions {
            skip_checks: true,
            ..Default::default()
        };
        let exchange = async {
            let response = self
                .pipeline
                .stream(&Context::new(), request, Some(options))
                .await
                .map_err(|e| self.transport_cause(&e))?;
            let (status, headers, body) = response.deconstruct();
            let bytes = self.read_body(&headers, body, resource).await?;
            Ok((u16::from(status), headers, bytes))
        };
        match tokio::time::timeout(self.timeout, exchange).await {
            Err(_) => Err(Cause::Timeout {
                resource: resource.to_string(),
                seconds: self.timeout.as_secs(),
            }),
            Ok(result) => result,
        }
    }

    async fn read_body(
        &self,
        headers: &azure_core::http::headers::Headers,
        mut body: azure_core::http::response::AsyncResponseBody,
        resource: &str,
    ) -> Result<azure_core::Bytes, Cause> {
        let too_big = |detail: String| Cause::BadResponse {
            resource: resource.to_string(),
            detail,
        };
        let over_cap = || {
            too_big(format!(
                "the body is over {0} MiB; an ARM document is at most {0} MiB (stopped reading it)",
                MAX_BODY_BYTES >> 20
            ))
        };
        let declared = headers
            .get_optional_str(&azure_core::http::headers::CONTENT_LENGTH)
            .and_then(|v| v.trim().parse::<u64>().ok());
        if let Some(declared) = declared.filter(|n| *n > MAX_BODY_BYTES as u64) {
            return Err(too_big(format!(
                "the body is {:.1} MiB; an ARM document is at most {} MiB (not read)",
                declared as f64 / f64::from(1u32 << 20),
                MAX_BODY_BYTES >> 20
            )));
        }
        let mut bytes = Vec::with_capacity(declared.unwrap_or(0) as usize);
        while let Some(chunk) = body.next().await {
            let chunk = chunk.map_err(|e| self.transport_cause(&e))?;
            let total = self
                .read
                .bytes
                .fetch_add(chunk.len() as u64, Ordering::Relaxed)
                + chunk.len() as u64;
            if total > self.limits.max_bytes {
                return Err(Cause::Limit {
                    resource: resource.to_string(),
                    detail: format!(
                        "this run has read {} MiB from ARM, as much as it may (--max-read-mib)",
                        self.limits.max_bytes >> 20
                    ),
                });
            }
            if bytes.len() + chunk.len() > MAX_BODY_BYTES {
                return Err(over_cap());
            }
            bytes.extend_from_slice(&chunk);
        }
        Ok(bytes.into())
    }

    fn transport_cause(&self, e: &azure_core::Error) -> Cause {
        let detail = auth::error_chain(e);
        match e.kind() {
            azure_core::error::ErrorKind::Credential => Cause::Credential { detail },
            _ if detail.contains("credential")
                || detail.contains("Credential")
                || detail.contains("token") =>
            {
                Cause::Credential { detail }
            }
            _ => Cause::Unreachable {
                endpoint: self.base.to_string(),
                detail,
            },
        }
    }
}

/// Resource Graph's per-user quota, read from `x-ms-user-quota-remaining` and
/// `x-ms-user-quota-resets-after` (`hh:mm:ss`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Quota {
    pub remaining: Option<u32>,
    pub resets_after: Option<Duration>,
}

impl Quota {
    fn from_headers(headers: &azure_core::http::headers::Headers) -> Self {
        use azure_core::http::headers::HeaderName;
        let remaining = headers
            .get_optional_str(&HeaderName::from_static("x-ms-user-quota-remaining"))
            .and_then(|v| v.trim().parse().ok());
        let resets_after = headers
            .get_optional_str(&HeaderName::from_static("x-ms-user-quota-resets-after"))
            .and_then(parse_hms);
        Self {
            remaining,
            resets_after,
        }
    }
}

/// `00:00:03` → 3 s.
pub fn parse_hms(text: &str) -> Option<Duration> {
    let parts: Vec<u64> = text
        .trim()
        .split(':')
        .map(|p| p.parse().ok())
        .collect::<Option<_>>()?;
    match parts.as_slice() {
        [h, m, s] => Some(Duration::from_secs(h * 3600 + m * 60 + s)),
        _ => None,
    }
}

/// The largest body taken as an ARM document. ARM resources and list pages are kilobytes
/// (a page holds at most 1,000 resources); anything this big is not what was asked for, and
/// every rule would copy it again.
pub const MAX_BODY_BYTES: usize = 16 << 20;

/// A 2xx body as the JSON object every ARM GET answers with. A body that is too big, not
/// JSON, or JSON of another shape (an array, a string) is a bad response: the checks that
/// needed it could not run, rather than failing on a document that was never observed.
pub fn document(bytes: &[u8], resource: &str) -> Result<Value, Cause> {
    parse_document(bytes, resource, ReadLimits::CHECK.max_json_memory).map(|(value, _)| value)
}

/// [`document`] within `budget` bytes of estimated JSON memory; returns what it cost.
fn parse_document(bytes: &[u8], resource: &str, budget: u64) -> Result<(Value, u64), Cause> {
    let bad = |detail: String| Cause::BadResponse {
        resource: resource.to_string(),
        detail,
    };
    if bytes.len() > MAX_BODY_BYTES {
        return Err(bad(format!(
            "the body is {:.1} MiB; an ARM document is at most {} MiB",
            bytes.len() as f64 / f64::from(1u32 << 20),
            MAX_BODY_BYTES >> 20
        )));
    }
    let (value, cost) = super::bounded_json::parse(bytes, budget).map_err(|e| match e {
        e @ super::bounded_json::Bounded::TooLarge { .. } => Cause::Limit {
            resource: resource.to_string(),
            detail: e.to_string(),
        },
        e => bad(e.to_string()),
    })?;
    if !value.is_object() {
        let kind = match &value {
            Value::Array(_) => "an array",
            Value::String(_) => "a string",
            Value::Number(_) => "a number",
            Value::Bool(_) => "a boolean",
            _ => "null",
        };
        return Err(bad(format!(
            "the body is {kind}, not the JSON object ARM answers with"
        )));
    }
    Ok((value, cost))
}

/// A 2xx POST answer whose body is not JSON (see [`ArmClient::post_bytes`]).
pub fn not_json(path: &str, e: &serde_json::Error) -> Cause {
    Cause::BadResponse {
        resource: path.to_string(),
        detail: format!("the body is not valid JSON ({e})"),
    }
}

/// Classifies a non-2xx ARM answer from its status and `{"error": {"code", "message"}}`.
pub fn status_cause(status: u16, body: &[u8], resource: &str) -> Cause {
    let parsed: Option<Value> = serde_json::from_slice(body).ok();
    let error = parsed.as_ref().and_then(|v| v.get("error"));
    let code = error
        .and_then(|e| e.get("code"))
        .and_then(Value::as_str)
        .map(printable)
        .unwrap_or_default();
    let message = error
        .and_then(|e| e.get("message"))
        .and_then(Value::as_str)
        .map(printable)
        .unwrap_or_else(|| {
            printable(&String::from_utf8_lossy(&body[..body.len().min(300)]))
                .trim()
                .to_string()
        });
    match status {
        401 => Cause::NotSignedIn {
            detail: if code.is_empty() {
                message
            } else {
                format!("{code}: {message}")
            },
        },
        403 => Cause::Forbidden {
            action: quoted_after(&message, "perform action '"),
            scope: quoted_after(&message, "over scope '"),
            message: if code.is_empty() {
                message
            } else {
                format!("{code}: {message}")
            },
        },
        404 => Cause::NotFound {
            resource: resource.to_string(),
            message: if code.is_empty() {
                message
            } else {
                format!("{code}: {message}")
            },
        },
        429 => Cause::Throttled {
            resource: resource.to_string(),
        },
        _ => Cause::Http {
            status,
            resource: resource.to_string(),
            message: if code.is_empty() {
                message
            } else {
                format!("{code}: {message}")
            },
        },
    }
}

/// Server text as it may be shown on a terminal and stored in the sign-off: control
/// characters (escape sequences that could rewrite the screen, NULs, line breaks) become
/// spaces, and anything shaped like a bearer token (a JWT, `eyJ….….…`) that a server or proxy
/// echoed back is replaced by `[redacted token]`.
fn printable(text: &str) -> String {
    let text: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let token_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.');
    let mut out = String::with_capacity(text.len());
    let mut rest = text.as_str();
    while let Some(at) = rest.find("eyJ") {
        let candidate = &rest[at..];
        let len = candidate
            .find(|c: char| !token_char(c))
            .unwrap_or(candidate.len());
        // A JWT is three base64url parts: header.payload.signature.
        let is_jwt = candidate[..len]
            .split('.')
            .filter(|p| !p.is_empty())
            .count()
            >= 2
            && candidate[..len].matches('.').count() >= 2;
        out.push_str(&rest[..at]);
        if is_jwt {
            out.push_str("[redacted token]");
        } else {
            out.push_str(&candidate[..len.max(3)]);
        }
        rest = &candidate[len.max(3)..];
    }
    out.push_str(rest);
    out
}

/// The text between `marker` and the next `'`, as ARM writes actions and scopes.
fn quoted_after(text: &str, marker: &str) -> Option<String> {
    let start = text.find(marker)? + marker.len();
    let end = text[start..].find('\'')? + start;
    Some(text[start..end].to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forbidden_names_action_and_scope() {
        let body = br#"{"error":{"code":"AuthorizationFailed","message":"The client 'x' with object id 'y' does not have authorization to perform action 'Microsoft.ContainerService/managedClusters/read' over scope '/subscriptions/s/resourceGroups/rg' or the scope is invalid."}}"#;
        let cause = status_cause(403, body, "/subscriptions/s/resourceGroups/rg/…");
        let text = cause.to_string();
        assert!(
            text.contains("Microsoft.ContainerService/managedClusters/read"),
            "{text}"
        );
        assert!(
            text.contains("/subscriptions/s/resourceGroups/rg"),
            "{text}"
        );
        assert!(text.contains("Reader"), "{text}");
    }

    #[test]
    fn an_error_body_without_the_usual_fields_still_explains() {
        let cause = status_cause(502, b"<html>bad gateway</html>", "/x");
        assert_eq!(
            cause.to_string(),
            "HTTP 502 reading /x: <html>bad gateway</html>"
        );
    }

    #[test]
    fn only_a_json_object_of_sane_size_is_a_document() {
        assert!(document(br#"{"properties": {}}"#, "/x").is_ok());
        for (body, says) in [
            (&b"[]"[..], "is an array"),
            (b"\"hello\"", "is a string"),
            (b"null", "is null"),
            (b"{\"properties\": ", "not valid JSON"),
        ] {
            let cause = document(body, "/x").unwrap_err().to_string();
            assert!(cause.contains(says), "{cause}");
            assert!(cause.starts_with("unexpected answer reading /x"), "{cause}");
        }
        let huge = vec![b' '; MAX_BODY_BYTES + 1];
        let cause = document(&huge, "/x").unwrap_err().to_string();
        assert!(cause.contains("at most 16 MiB"), "{cause}");
    }

    #[test]
    fn server_text_cannot_drive_the_terminal() {
        let body = "{\"error\": {\"code\": \"X\\u001b[2J\", \"message\": \"gone\\u001b]0;title\\u0007\\nnext\"}}";
        let text = status_cause(409, body.as_bytes(), "/x").to_string();
        assert!(!text.chars().any(char::is_control), "{text:?}");
        assert!(text.contains("X [2J: gone ]0;title  next"), "{text:?}");
        let raw = status_cause(502, b"\x1b[31mred\x00", "/x").to_string();
        assert!(!raw.chars().any(char::is_control), "{raw:?}");
    }

    #[test]
    fn an_echoed_bearer_token_is_redacted() {
        let jwt = "eyJ0eXAiOiJKV1QifQ.eyJhdWQiOiJodHRwczovL21hbmFnZW1lbnQifQ.c2lnbmF0dXJl";
        let body = format!(
            r#"{{"error": {{"code": "InvalidAuthenticationToken", "message": "The access token '{jwt}' is invalid; Bearer {jwt}"}}}}"#
        );
        let text = status_cause(401, body.as_bytes(), "/x").to_string();
        assert!(!text.contains("eyJ0eXAi"), "{text}");
        assert!(
            text.contains(
                "The access token '[redacted token]' is invalid; Bearer [redacted token]"
            ),
            "{text}"
        );
        // Text that merely starts like one is kept.
        assert_eq!(printable("eyJ alone, eyJx.y"), "eyJ alone, eyJx.y");
    }

    #[test]
    fn an_evidence_file_may_be_as_large_as_an_arm_body() {
        assert_eq!(crate::fsread::MAX_EVIDENCE, MAX_BODY_BYTES as u64);
    }

    #[test]
    fn quota_reset_times_parse() {
        assert_eq!(parse_hms("00:00:03"), Some(Duration::from_secs(3)));
        assert_eq!(parse_hms("01:02:03"), Some(Duration::from_secs(3723)));
        assert_eq!(parse_hms("soon"), None);
    }

    #[test]
    fn loopback_hosts() {
        // All of 127.0.0.0/8 is this machine, however the address is written.
        for ok in [
            "http://127.0.0.1:8080/",
            "http://[::1]:1/",
            "http://localhost:3/",
            "http://127.0.0.2/",
            "http://127.1/",
            "http://0x7f000001/",
            "http://2130706433/",
        ] {
            assert!(is_loopback(&Url::parse(ok).unwrap()), "{ok}");
        }
        for no in [
            "https://management.azure.com/",
            "http://10.0.0.1/",
            "http://127.0.0.1.nip.io/",
        ] {
            assert!(!is_loopback(&Url::parse(no).unwrap()), "{no}");
        }
    }

    fn local_client() -> ArmClient {
        let options = ArmOptions::new(
            Url::parse("http://127.0.0.1:8080").unwrap(),
            AuthMode::None,
            Cloud::Public,
            Duration::from_secs(5),
        );
        ArmClient::new(&options).unwrap()
    }

    #[test]
    fn every_url_stays_on_the_endpoint() {
        let client = local_client();
        let id = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv";
        let url = client.url(id, "1").unwrap();
        assert_eq!(
            url.as_str(),
            format!("http://127.0.0.1:8080{id}?api-version=1")
        );
        for (bad, says) in [
            (
                "https://evil.example/subscriptions/s",
                "it points at https://evil.example",
            ),
            (
                "http://127.0.0.1:9999/subscriptions/s",
                "it points at http://127.0.0.1:9999",
            ),
            ("//evil.example/subscriptions/s", "not an ARM resource id"),
            ("/\\evil.example/subscriptions/s", "not an ARM resource id"),
            ("subscriptions/s", "not an ARM resource id"),
            ("/etc/passwd", "not an ARM resource id"),
        ] {
            let cause = client.url(bad, "1").unwrap_err().to_string();
            assert!(cause.contains(says), "{bad}: {cause}");
        }
        // nextLinks: verbatim on the endpoint, rebased from a public ARM host, else refused.
        let same = client
            .rebase("http://127.0.0.1:8080/subscriptions/s/x?$skipToken=2", "/l")
            .unwrap();
        assert_eq!(
            same.as_str(),
            "http://127.0.0.1:8080/subscriptions/s/x?$skipToken=2"
        );
        let public = client
            .rebase("https://management.azure.com/subscriptions/s/x?a=1", "/l")
            .unwrap();
        assert_eq!(
            public.as_str(),
            "http://127.0.0.1:8080/subscriptions/s/x?a=1"
        );
        for bad in [
            "https://evil.example/subscriptions/s/x",
            "https://management.azure.com.evil.example/subscriptions/s",
        ] {
            let cause = client.rebase(bad, "/l").unwrap_err().to_string();
            assert!(
                cause.contains("refused to read the next page of /l"),
                "{cause}"
            );
        }
        let relative = client.rebase("nextLink", "/l").unwrap_err().to_string();
        assert!(relative.contains("not an absolute URL"), "{relative}");
    }

    #[test]
    fn a_token_is_never_sent_over_plain_http() {
        let options = ArmOptions::new(
            Url::parse("http://127.0.0.1:8080").unwrap(),
            AuthMode::Cli,
            Cloud::Public,
            Duration::from_secs(5),
        );
        let err = ArmClient::new(&options).err().expect("refused").to_string();
        assert!(err.contains("only ever sent over https"), "{err}");
    }

    #[test]
    fn auth_none_is_refused_off_loopback() {
        let options = ArmOptions::new(
            Url::parse("https://management.azure.com").unwrap(),
            AuthMode::None,
            Cloud::Public,
            Duration::from_secs(5),
        );
        let err = ArmClient::new(&options).err().expect("refused").to_string();
        assert!(
            err.contains("only accepted for a loopback endpoint"),
            "{err}"
        );
    }
}
