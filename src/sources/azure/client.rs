//! One ARM client for the whole run: a shared `azure_core` pipeline (token cached by the
//! bearer policy, retries that honour `Retry-After` on 429 and back off on 5xx), a timeout on
//! every request, a bound on requests in flight, and each URL fetched at most once.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use azure_core::http::policies::Policy;
use azure_core::http::policies::auth::BearerTokenAuthorizationPolicy;
use azure_core::http::{
    ClientOptions, Context, ExponentialRetryOptions, Method, Pipeline, PipelineSendOptions,
    Request, RetryOptions, Url,
};
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
        }
    }
}

type Fetch = Arc<OnceCell<Result<Value, Cause>>>;

/// With `--auth none` against a loopback endpoint, this variable's value is sent as a bearer
/// token, so tests can prove a token never reaches any output.
pub const TEST_TOKEN_ENV: &str = "READINESS_TEST_STATIC_TOKEN";

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

pub struct ArmClient {
    pipeline: Pipeline,
    base: Url,
    timeout: Duration,
    in_flight: Arc<Semaphore>,
    fetched: Mutex<HashMap<String, Fetch>>,
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

impl ArmClient {
    pub fn new(options: &ArmOptions) -> Result<Self, String> {
        let mut base = options.endpoint.clone();
        if !base.path().ends_with('/') {
            base.set_path(&format!("{}/", base.path()));
        }
        let credential = if options.auth == AuthMode::None {
            if !is_loopback(&base) {
                return Err(format!(
                    "--auth none sends no token and is only accepted for a loopback endpoint (127.0.0.1, ::1, localhost), not {}",
                    base.host_str().unwrap_or("?")
                ));
            }
            None
        } else {
            auth::credential(options.auth, options.cloud)?
        };
        let scope = format!(
            "{}/.default",
            options.endpoint.as_str().trim_end_matches('/')
        );
        let per_try: Vec<Arc<dyn Policy>> = match credential {
            Some(c) => vec![Arc::new(BearerTokenAuthorizationPolicy::new(
                c,
                [scope.as_str()],
            ))],
            // Test hook for the no-secret-leaks tests: a fixed, recognisable token, sent only
            // with `--auth none`, which is refused for anything but a loopback endpoint.
            None => match std::env::var(TEST_TOKEN_ENV) {
                Ok(token) if !token.is_empty() => vec![Arc::new(StaticBearer(token))],
                _ => Vec::new(),
            },
        };
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
        })
    }

    pub fn endpoint(&self) -> &Url {
        &self.base
    }

    /// The URL for an ARM path (`/subscriptions/…`) and api-version.
    pub fn url(&self, path: &str, api_version: &str) -> Result<Url, Cause> {
        let mut url =
            self.base
                .join(path.trim_start_matches('/'))
                .map_err(|e| Cause::BadResponse {
                    resource: path.to_string(),
                    detail: format!("cannot build a URL: {e}"),
                })?;
        url.query_pairs_mut()
            .append_pair("api-version", api_version);
        Ok(url)
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

    /// ARM's nextLinks are absolute URLs on the public endpoint; keep their path and query
    /// on the endpoint this run talks to.
    fn rebase(&self, next: &str, path: &str) -> Result<Url, Cause> {
        let parsed = Url::parse(next)
            .or_else(|_| self.base.join(next.trim_start_matches('/')))
            .map_err(|e| Cause::BadResponse {
                resource: path.to_string(),
                detail: format!("invalid nextLink {next:?}: {e}"),
            })?;
        let mut url = self.base.clone();
        url.set_path(&format!(
            "{}{}",
            self.base.path().trim_end_matches('/'),
            parsed.path()
        ));
        url.set_query(parsed.query());
        Ok(url)
    }

    /// POSTs a JSON body (Resource Graph queries) and returns the JSON answer with the
    /// throttling headers that pace the next request. Not cached: each query page is new.
    pub async fn post(
        &self,
        path: &str,
        api_version: &str,
        body: &Value,
    ) -> Result<(Value, Quota), Cause> {
        let url = self.url(path, api_version)?;
        let _permit = self
            .in_flight
            .acquire()
            .await
            .map_err(|_| Cause::Unreachable {
                endpoint: self.base.to_string(),
                detail: "the run is shutting down".to_string(),
            })?;
        let mut request = Request::new(url, Method::Post);
        request.insert_header("accept", "application/json");
        request.insert_header("content-type", "application/json");
        request.set_body(serde_json::to_vec(body).unwrap_or_default());
        let response = self.send(&mut request, path).await?;
        let status = u16::from(response.status());
        let quota = Quota::from_headers(response.headers());
        let body = response.into_body();
        let bytes: &[u8] = body.as_ref();
        if (200..300).contains(&status) {
            let value = serde_json::from_slice(bytes).map_err(|e| Cause::BadResponse {
                resource: path.to_string(),
                detail: format!("the body is not valid JSON ({e})"),
            })?;
            return Ok((value, quota));
        }
        Err(status_cause(status, bytes, path))
    }

    async fn get_url(&self, url: Url, resource: &str) -> Result<Value, Cause> {
        let cell = {
            let mut fetched = self.fetched.lock().unwrap_or_else(|e| e.into_inner());
            fetched.entry(url.to_string()).or_default().clone()
        };
        cell.get_or_init(|| self.fetch(url, resource)).await.clone()
    }

    async fn fetch(&self, url: Url, resource: &str) -> Result<Value, Cause> {
        let _permit = self
            .in_flight
            .acquire()
            .await
            .map_err(|_| Cause::Unreachable {
                endpoint: self.base.to_string(),
                detail: "the run is shutting down".to_string(),
            })?;
        let mut request = Request::new(url, Method::Get);
        request.insert_header("accept", "application/json");
        let response = self.send(&mut request, resource).await?;
        let status = u16::from(response.status());
        let body = response.into_body();
        let bytes: &[u8] = body.as_ref();
        if (200..300).contains(&status) {
            return serde_json::from_slice(bytes).map_err(|e| Cause::BadResponse {
                resource: resource.to_string(),
                detail: format!("the body is not valid JSON ({e})"),
            });
        }
        Err(status_cause(status, bytes, resource))
    }

    /// Sends through the pipeline (retries included) within the per-request timeout; every
    /// status comes back as a response, classified by the caller.
    async fn send(
        &self,
        request: &mut Request,
        resource: &str,
    ) -> Result<azure_core::http::RawResponse, Cause> {
        let options = PipelineSendOptions {
            skip_checks: true,
            ..Default::default()
        };
        let sent = tokio::time::timeout(
            self.timeout,
            self.pipeline.send(&Context::new(), request, Some(options)),
        )
        .await;
        match sent {
            Err(_) => Err(Cause::Timeout {
                resource: resource.to_string(),
                seconds: self.timeout.as_secs(),
            }),
            Ok(Err(e)) => Err(self.transport_cause(&e)),
            Ok(Ok(response)) => Ok(response),
        }
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

/// Classifies a non-2xx ARM answer from its status and `{"error": {"code", "message"}}`.
pub fn status_cause(status: u16, body: &[u8], resource: &str) -> Cause {
    let parsed: Option<Value> = serde_json::from_slice(body).ok();
    let error = parsed.as_ref().and_then(|v| v.get("error"));
    let code = error
        .and_then(|e| e.get("code"))
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let message = error
        .and_then(|e| e.get("message"))
        .and_then(Value::as_str)
        .map(String::from)
        .unwrap_or_else(|| {
            String::from_utf8_lossy(&body[..body.len().min(300)])
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
    fn quota_reset_times_parse() {
        assert_eq!(parse_hms("00:00:03"), Some(Duration::from_secs(3)));
        assert_eq!(parse_hms("01:02:03"), Some(Duration::from_secs(3723)));
        assert_eq!(parse_hms("soon"), None);
    }

    #[test]
    fn loopback_hosts() {
        for ok in [
            "http://127.0.0.1:8080/",
            "http://[::1]:1/",
            "http://localhost:3/",
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

    #[test]
    fn auth_none_is_refused_off_loopback() {
        let options = ArmOptions::new(
            Url::parse("https://management.azure.com").unwrap(),
            AuthMode::None,
            Cloud::Public,
            Duration::from_secs(5),
        );
        let err = ArmClient::new(&options).err().expect("refused");
        assert!(
            err.contains("only accepted for a loopback endpoint"),
            "{err}"
        );
    }
}
