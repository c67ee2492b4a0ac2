//! Hostile servers for the tests and for `examples/hostile_arm.rs` (which measures peak
//! memory against them): a page chain that grows for ever, a Resource Graph that pages for
//! ever, and a body that never ends. All bind 127.0.0.1 on an ephemeral port and stop by
//! themselves (a connection at 1 GiB at most).
#![allow(dead_code)]

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use serde_json::{Value, json};
use wiremock::{Request, Respond, ResponseTemplate};

const JSON: &str = "application/json";

/// Answers every GET with `{"value": [page], "nextLink": …}`, the `nextLink` on `base` and
/// new each time, so the chain never repeats and never ends.
pub struct GrowingChain {
    pub base: String,
    pub page: String,
    served: AtomicUsize,
}

impl GrowingChain {
    pub fn new(base: String, page: String) -> Self {
        Self {
            base,
            page,
            served: AtomicUsize::new(0),
        }
    }
}

impl Respond for GrowingChain {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let n = self.served.fetch_add(1, Ordering::Relaxed);
        let body = format!(
            r#"{{"value": [{}], "nextLink": "{}{}?api-version=2021-04-01&$skipToken=page{n}"}}"#,
            self.page,
            self.base,
            request.url.path()
        );
        ResponseTemplate::new(200).set_body_raw(body, JSON)
    }
}

/// Answers every Resource Graph query with `rows_per_page` copies of `row` (each with its
/// own id, name and resource group in `subscription`) and a new `$skipToken`.
pub struct EndlessGraph {
    row: Value,
    subscription: String,
    rows_per_page: usize,
    served: AtomicUsize,
}

impl EndlessGraph {
    pub fn new(row: Value, subscription: &str, rows_per_page: usize) -> Self {
        Self {
            row,
            subscription: subscription.to_string(),
            rows_per_page,
            served: AtomicUsize::new(0),
        }
    }
}

impl Respond for EndlessGraph {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        let n = self.served.fetch_add(1, Ordering::Relaxed);
        let sub = &self.subscription;
        let rows: Vec<Value> = (0..self.rows_per_page)
            .map(|i| {
                let mut row = self.row.clone();
                row["id"] = json!(format!("/subscriptions/{sub}/resourceGroups/rg-{n}/providers/Microsoft.ContainerService/managedClusters/aks-{i}"));
                row["name"] = json!(format!("aks-{n}-{i}"));
                row["resourceGroup"] = json!(format!("rg-{n}"));
                row
            })
            .collect();
        let body = json!({"totalRecords": 100_000_000, "count": rows.len(), "data": rows,
            "facets": [], "resultTruncated": "false", "$skipToken": format!("token-{n}")});
        ResponseTemplate::new(200).set_body_raw(body.to_string(), JSON)
    }
}

/// A server whose every answer is a 200 with a chunked body that never ends. Returns its
/// base URL and the body bytes it managed to send; each connection stops when the client
/// hangs up, or after 1 GiB.
pub async fn endless_body_server() -> (String, Arc<AtomicU64>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let uri = format!("http://{}", listener.local_addr().unwrap());
    let sent = Arc::new(AtomicU64::new(0));
    let counter = sent.clone();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let counter = counter.clone();
            tokio::spawn(async move {
                let mut request = Vec::new();
                let mut buf = [0u8; 4096];
                while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                    match socket.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => request.extend_from_slice(&buf[..n]),
                    }
                }
                let head = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n";
                if socket.write_all(head.as_bytes()).await.is_err() {
                    return;
                }
                let mut chunk = format!("{:x}\r\n", 64 << 10).into_bytes();
                chunk.extend(std::iter::repeat_n(b' ', 64 << 10));
                chunk.extend_from_slice(b"\r\n");
                for _ in 0..(1u64 << 30) / (64 << 10) {
                    if socket.write_all(&chunk).await.is_err() {
                        return;
                    }
                    counter.fetch_add(64 << 10, Ordering::Relaxed);
                }
            });
        }
    });
    (uri, sent)
}
