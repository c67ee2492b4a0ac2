//! Azure Resource Graph: one KQL query per resource kind, paged with `$skipToken`
//! (1,000 rows a page), scoped to subscriptions (at most 1,000 a query) or a management group.
//!
//! Pacing: at most [`IN_FLIGHT`] queries at once; when `x-ms-user-quota-remaining` drops to
//! that many or fewer, every query waits `x-ms-user-quota-resets-after` before the next
//! request instead of running into 429s. A 429 is retried by the client honouring
//! `Retry-After`; one still throttled after those retries waits and tries again
//! ([`THROTTLE_RETRIES`] times) before the query fails.

use std::time::Duration;

use serde_json::{Value, json};
use tokio::sync::Semaphore;
use tokio::time::Instant;

use super::kind::Kind;
use super::scope::{Event, Scope};
use crate::sources::Cause;
use crate::sources::azure::client::not_json;
use crate::sources::azure::{ArmClient, Quota, api};

pub const PATH: &str = "/providers/Microsoft.ResourceGraph/resources";
/// Resource Graph's largest page.
pub const PAGE_SIZE: u64 = 1000;
/// Resource Graph takes at most this many subscriptions in one query.
pub const SUBSCRIPTIONS_PER_QUERY: usize = 1000;
/// Queries in flight at once (Resource Graph allows 15 per 5 s per user).
pub const IN_FLIGHT: usize = 4;
/// Waits longer than this for the quota to reset are cut short (the server then says 429).
pub const MAX_QUOTA_WAIT: Duration = Duration::from_secs(60);
/// The quota window when the server does not say when it resets.
pub const DEFAULT_QUOTA_WINDOW: Duration = Duration::from_secs(5);
pub const THROTTLE_RETRIES: u32 = 3;
const THROTTLE_WAIT: Duration = Duration::from_secs(5);
/// A query that pages more than this is not ending.
const MAX_PAGES: usize = 100_000;

/// One page of rows (as JSON, or read straight into the fleet's rows: [`super::rows`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Page<R = Value> {
    pub rows: Vec<R>,
    pub skip_token: Option<String>,
    /// `totalRecords`: rows in the whole result.
    pub total: Option<u64>,
}

/// Reads a Resource Graph answer: `data` as an object array (or the table format
/// `{columns, rows}`), `$skipToken` (absent on the last page), `resultTruncated` as the
/// string `"true"`/`"false"` (or a boolean).
pub fn parse_page(mut value: Value) -> Result<Page, String> {
    let skip_token = value
        .get("$skipToken")
        .and_then(Value::as_str)
        .filter(|t| !t.is_empty())
        .map(String::from);
    let total = value.get("totalRecords").and_then(Value::as_u64);
    let truncated = match value.get("resultTruncated") {
        Some(Value::String(s)) => s.eq_ignore_ascii_case("true"),
        Some(Value::Bool(b)) => *b,
        _ => false,
    };
    let rows = match value.get_mut("data").map(Value::take) {
        Some(Value::Array(rows)) => rows,
        Some(Value::Object(mut table)) => {
            let columns: Vec<String> = table
                .get("columns")
                .and_then(Value::as_array)
                .ok_or("`data` is neither a list of rows nor a table with columns")?
                .iter()
                .map(|c| {
                    c.get("name")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_string()
                })
                .collect();
            let rows = match table.remove("rows") {
                Some(Value::Array(rows)) => rows,
                _ => return Err("the table in `data` has no rows".to_string()),
            };
            rows.into_iter()
                .map(|row| match row {
                    Value::Array(cells) => {
                        Value::Object(columns.iter().cloned().zip(cells).collect())
                    }
                    other => other,
                })
                .collect()
        }
        Some(Value::Null) | None => Vec::new(),
        Some(_) => return Err("`data` is not a list of rows".to_string()),
    };
    if truncated && skip_token.is_none() {
        return Err(
            "Resource Graph truncated the result and gave no $skipToken to page through it"
                .to_string(),
        );
    }
    Ok(Page {
        rows,
        skip_token,
        total,
    })
}

/// Why a page's body could not be read.
#[derive(Debug)]
pub enum PageError {
    /// The body is not JSON.
    Json(serde_json::Error),
    /// JSON, but not a page (see [`parse_page`]).
    Shape(String),
}

/// The request body for one page.
pub fn request_body(kind: Kind, scope: &Value, skip_token: Option<&str>) -> Value {
    let mut options = json!({"$top": PAGE_SIZE, "resultFormat": "objectArray"});
    if let Some(token) = skip_token {
        options["$skipToken"] = Value::String(token.to_string());
    }
    let mut body = scope.clone();
    body["query"] = Value::String(kind.query());
    body["options"] = options;
    body
}

/// The scope part of each query: subscriptions in chunks, or the management group.
pub fn scope_parts(scope: &Scope) -> Vec<Value> {
    match scope {
        Scope::Subscriptions(subs) => subs
            .chunks(SUBSCRIPTIONS_PER_QUERY)
            .map(|chunk| json!({"subscriptions": chunk}))
            .collect(),
        Scope::ManagementGroup(mg) => vec![json!({"managementGroups": [mg]})],
        // Resolved before querying; without subscriptions Resource Graph reads the tenant.
        Scope::Visible => vec![json!({})],
    }
}

/// Talks to Resource Graph for one run: bounded in flight, paced by the quota headers.
pub struct ResourceGraph<'a> {
    client: &'a ArmClient,
    gate: Semaphore,
    not_before: std::sync::Mutex<Option<Instant>>,
    events: &'a (dyn Fn(Event) + Sync),
}

impl<'a> ResourceGraph<'a> {
    pub fn new(client: &'a ArmClient, events: &'a (dyn Fn(Event) + Sync)) -> Self {
        Self {
            client,
            gate: Semaphore::new(IN_FLIGHT),
            not_before: std::sync::Mutex::new(None),
            events,
        }
    }

    /// Every page of `kind` in `scope`, in order, each read from its body by `read` (see
    /// [`super::rows::read_page`]) and handed to `sink` as it arrives; `sink` returns false
    /// to stop.
    /// Returns the number of rows.
    pub async fn each_page<R>(
        &self,
        kind: Kind,
        scope: &Scope,
        read: impl Fn(&[u8]) -> Result<Page<R>, PageError>,
        mut sink: impl AsyncFnMut(Page<R>) -> bool,
    ) -> Result<usize, Cause> {
        (self.events)(Event::Querying {
            kind,
            scope: scope.describe(),
        });
        let mut rows = 0;
        let mut page_number = 0;
        for part in scope_parts(scope) {
            let mut token: Option<String> = None;
            let mut seen = std::collections::HashSet::new();
            loop {
                let body = request_body(kind, &part, token.as_deref());
                let answer = self.request(&body).await?;
                let page = read(&answer).map_err(|e| match e {
                    PageError::Json(e) => not_json(PATH, &e),
                    PageError::Shape(detail) => Cause::BadResponse {
                        resource: format!("Resource Graph query for {}", kind.label()),
                        detail,
                    },
                })?;
                page_number += 1;
                rows += page.rows.len();
                (self.events)(Event::Page {
                    kind,
                    page: page_number,
                    rows_so_far: rows,
                    total: page.total,
                });
                let next = page.skip_token.clone();
                if !sink(page).await {
                    return Ok(rows);
                }
                match next {
                    Some(next) => {
                        if !seen.insert(next.clone()) || page_number > MAX_PAGES {
                            return Err(Cause::BadResponse {
                                resource: format!("Resource Graph query for {}", kind.label()),
                                detail: "the $skipToken chain repeats itself or never ends"
                                    .to_string(),
                            });
                        }
                        token = Some(next);
                    }
                    None => break,
                }
            }
        }
        Ok(rows)
    }

    /// One POST: waits for a slot and for the quota, retries a lasting 429. Returns the
    /// body as received.
    async fn request(&self, body: &Value) -> Result<azure_core::Bytes, Cause> {
        let _permit = self.gate.acquire().await.map_err(|_| Cause::Unreachable {
            endpoint: self.client.endpoint().to_string(),
            detail: "the run is shutting down".to_string(),
        })?;
        let mut attempt = 0;
        loop {
            self.wait_for_quota().await;
            match self
                .client
                .post_bytes(PATH, api::RESOURCE_GRAPH, body)
                .await
            {
                Ok((value, quota)) => {
                    self.note_quota(quota);
                    return Ok(value);
                }
                Err(Cause::Throttled { .. }) if attempt < THROTTLE_RETRIES => {
                    attempt += 1;
                    let wait = THROTTLE_WAIT * attempt;
                    (self.events)(Event::Throttled { wait });
                    tokio::time::sleep(wait).await;
                }
                Err(cause) => return Err(cause),
            }
        }
    }

    async fn wait_for_quota(&self) {
        loop {
            let until = *self.not_before.lock().unwrap_or_else(|e| e.into_inner());
            match until {
                Some(t) if t > Instant::now() => tokio::time::sleep_until(t).await,
                _ => return,
            }
        }
    }

    fn note_quota(&self, quota: Quota) {
        let Some(remaining) = quota.remaining else {
            return;
        };
        if remaining as usize > IN_FLIGHT {
            return;
        }
        let wait = quota
            .resets_after
            .unwrap_or(DEFAULT_QUOTA_WINDOW)
            .min(MAX_QUOTA_WAIT);
        if wait.is_zero() {
            return;
        }
        let until = Instant::now() + wait;
        let mut slot = self.not_before.lock().unwrap_or_else(|e| e.into_inner());
        if slot.is_none_or(|t| t < until) {
            *slot = Some(until);
            drop(slot);
            (self.events)(Event::QuotaWait { remaining, wait });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_parse_with_string_flags_and_tokens() {
        let page = parse_page(json!({
            "totalRecords": 386, "count": 2, "resultTruncated": "false", "facets": [],
            "$skipToken": "abc", "data": [{"id": "/a"}, {"id": "/b"}]
        }))
        .unwrap();
        assert_eq!(page.rows.len(), 2);
        assert_eq!(page.skip_token.as_deref(), Some("abc"));
        assert_eq!(page.total, Some(386));

        let last = parse_page(
            json!({"totalRecords": 1, "resultTruncated": false, "data": [{"id": "/c"}]}),
        )
        .unwrap();
        assert_eq!(last.skip_token, None);
    }

    #[test]
    fn the_table_format_becomes_rows() {
        let page = parse_page(json!({
            "data": {"columns": [{"name": "id", "type": "string"}, {"name": "name", "type": "string"}],
                     "rows": [["/x", "x"], ["/y", "y"]]}
        }))
        .unwrap();
        assert_eq!(
            page.rows,
            vec![
                json!({"id": "/x", "name": "x"}),
                json!({"id": "/y", "name": "y"})
            ]
        );
    }

    #[test]
    fn truncation_without_a_token_is_an_error() {
        let err = parse_page(json!({"resultTruncated": "true", "data": []})).unwrap_err();
        assert!(err.contains("$skipToken"), "{err}");
        assert!(parse_page(json!({"data": 3})).is_err());
    }

    #[test]
    fn bodies_carry_scope_query_paging() {
        let parts = scope_parts(&Scope::Subscriptions(vec!["a".into(), "b".into()]));
        assert_eq!(parts, vec![json!({"subscriptions": ["a", "b"]})]);
        let body = request_body(Kind::Clusters, &parts[0], Some("tok"));
        assert_eq!(body["subscriptions"], json!(["a", "b"]));
        assert_eq!(body["options"]["$top"], 1000);
        assert_eq!(body["options"]["$skipToken"], "tok");
        assert_eq!(body["options"]["resultFormat"], "objectArray");
        let query = body["query"].as_str().unwrap();
        assert!(query.contains("type =~ 'microsoft.containerservice/managedclusters'"));
        assert!(
            query.contains("properties") && query.contains("identity") && query.contains("sku")
        );
        assert!(query.contains("order by id asc"));

        let mg = scope_parts(&Scope::ManagementGroup("mg1".into()));
        assert_eq!(mg, vec![json!({"managementGroups": ["mg1"]})]);
        let many: Vec<String> = (0..2500).map(|i| format!("s{i}")).collect();
        let parts = scope_parts(&Scope::Subscriptions(many));
        assert_eq!(parts.len(), 3);
        assert_eq!(parts[2]["subscriptions"].as_array().unwrap().len(), 500);
    }
}
