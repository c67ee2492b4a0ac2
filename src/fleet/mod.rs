//! Fleet mode: every AKS cluster in many subscriptions judged with the same checklist rules,
//! from a few paged Azure Resource Graph queries instead of thousands of ARM reads.
//!
//! Data flow (one run):
//!
//! ```text
//! scope ──(GET /subscriptions when none given)──▶ subscriptions or a management group
//! Resource Graph: key vaults, registries (+ identities with --deep) ──▶ related, by resource group
//! Resource Graph: clusters, page by page ──▶ ARM-shaped documents ──(--deep: per-resource reads)──▶
//!     judge (the checklist's rules, unchanged) ──▶ one verdict per cluster (+ sign-off with --output)
//! ```
//!
//! Pages are judged as they arrive, so memory stays bounded by a page (1,000 rows), not by
//! the fleet. The documents Resource Graph does not hold (diagnostic settings, federated
//! credentials, the subscription's Defender plan) are `skipped` unless `--deep` is given.
//! Modules, each with one job, importing each other in one direction only
//! (`tests/it/architecture.rs` holds that): [`scope`] (what a run covers and reports),
//! [`kind`] and [`sources`] (what is queried and which document sources that answers),
//! [`query`] (Resource Graph paging and quota), [`rows`] (pages read straight into the row
//! model of [`model`], pruned by [`pruning`] to what the rules read), [`values`] (JSON ↔ the
//! rules' values), [`related`] (vaults, registries and identities by resource group),
//! [`judge`] (a cluster's documents through the checklist's rules, concluded by
//! [`crate::verdict`]), [`deep`] (what Resource Graph does not hold, per resource),
//! [`output`] (per-cluster sign-offs), [`outcome`] (verdicts and totals) and [`report`].

pub mod deep;
pub mod judge;
pub mod kind;
pub mod model;
pub mod outcome;
pub mod output;
pub mod pruning;
pub mod query;
pub mod related;
pub mod report;
pub mod rows;
pub mod scope;
pub mod sources;
pub mod values;

use std::path::PathBuf;
use std::sync::Arc;

use serde_json::Value;

use crate::checklist::{Checklist, DocumentSource};
use crate::sources::Cause;
use crate::sources::azure::{ArmClient, ArmOptions, api};

pub use judge::Judge;
pub use kind::Kind;
pub use model::ClusterRow;
pub use outcome::{ClusterVerdict, FleetReport, SignoffsWritten, Totals, totals};
pub use query::ResourceGraph;
pub use scope::{Event, Scope};
pub use sources::{NOT_AZURE, NOT_IN_GRAPH, deep_only, in_graph, needed_sources};

#[derive(Debug, Clone)]
pub struct FleetOptions {
    pub arm: ArmOptions,
    pub scope: Scope,
    /// Read diagnostic settings, federated credentials and the Defender plan per resource.
    pub deep: bool,
    /// Write one sign-off per cluster under this directory.
    pub output: Option<PathBuf>,
    pub now: jiff::Timestamp,
}

#[derive(Debug, thiserror::Error)]
pub enum FleetError {
    /// The client could not be built (a credential or endpoint problem).
    #[error(transparent)]
    Setup(#[from] crate::sources::azure::SetupError),
    #[error("cannot list the subscriptions the credential can see: {0}")]
    Subscriptions(Cause),
    #[error(
        "the credential sees no subscriptions; pass --subscription ID or --management-group ID"
    )]
    NoSubscriptions,
    #[error("the Resource Graph query for {kind} failed: {cause}")]
    Query { kind: &'static str, cause: Cause },
    #[error("{0}")]
    Internal(String),
}

/// Lists the subscriptions the credential can see (enabled ones; disabled subscriptions
/// hold nothing to judge).
pub async fn visible_subscriptions(client: &ArmClient) -> Result<Vec<String>, Cause> {
    let listed = client.list("/subscriptions", api::SUBSCRIPTIONS).await?;
    let mut subs: Vec<String> = listed
        .iter()
        .filter(|s| {
            !s.get("state").and_then(Value::as_str).is_some_and(|state| {
                state.eq_ignore_ascii_case("disabled") || state.eq_ignore_ascii_case("deleted")
            })
        })
        .filter_map(|s| s.get("subscriptionId").and_then(Value::as_str))
        .map(String::from)
        .collect();
    subs.sort_by_key(|s| s.to_ascii_lowercase());
    subs.dedup_by(|a, b| a.eq_ignore_ascii_case(b));
    Ok(subs)
}

/// Runs the whole fleet check.
pub async fn run(
    checklist: Arc<Checklist>,
    options: &FleetOptions,
    events: &(dyn Fn(Event) + Sync),
) -> Result<FleetReport, FleetError> {
    let client = ArmClient::new(&options.arm)?;
    let scope = match &options.scope {
        Scope::Visible => {
            let subs = visible_subscriptions(&client)
                .await
                .map_err(FleetError::Subscriptions)?;
            if subs.is_empty() {
                return Err(FleetError::NoSubscriptions);
            }
            events(Event::Subscriptions { count: subs.len() });
            Scope::Subscriptions(subs)
        }
        other => other.clone(),
    };
    let needed = needed_sources(&checklist);
    let deep = options.deep;
    let mut skipped_sources = Vec::new();
    for source in &needed {
        if deep_only(*source) && !deep {
            skipped_sources.push((*source, NOT_IN_GRAPH.to_string()));
        } else if !source.as_str().starts_with("arm:") {
            skipped_sources.push((*source, NOT_AZURE.to_string()));
        }
    }
    let related_kinds: Vec<Kind> = [
        (
            Kind::Vaults,
            needed.contains(&DocumentSource::ArmKeyVault)
                || (deep && needed.contains(&DocumentSource::ArmKeyVaultDiagnosticSettings)),
        ),
        (
            Kind::Registries,
            needed.contains(&DocumentSource::ArmRegistry),
        ),
        (
            Kind::Identities,
            deep && needed.contains(&DocumentSource::ArmIdentitiesFederatedCredentials),
        ),
    ]
    .into_iter()
    .filter_map(|(k, wanted)| wanted.then_some(k))
    .collect();

    let graph = ResourceGraph::new(&client, events);
    let judge = Arc::new(Judge::new(&checklist));
    let plan = Arc::new(judge::Plan {
        needed: needed.clone(),
        deep,
    });
    let writer = options.output.as_ref().map(|dir| {
        Arc::new(output::Writer::new(
            dir.clone(),
            checklist.clone(),
            options.now,
        ))
    });

    let (tx, mut rx) = tokio::sync::mpsc::channel::<query::Page<Option<ClusterRow>>>(1);
    let producer = {
        let graph = &graph;
        let scope = &scope;
        let spec = judge::row_spec(&judge, Kind::Clusters);
        async move {
            let result = graph
                .each_page(
                    Kind::Clusters,
                    scope,
                    |body| rows::read_page(body, spec),
                    async |page| tx.send(page).await.is_ok(),
                )
                .await;
            drop(tx);
            result
        }
    };
    let consumer = async {
        let related = Arc::new(
            related::Related::gather(&graph, &scope, &related_kinds, &judge, writer.is_some())
                .await,
        );
        let mut verdicts: Vec<ClusterVerdict> = Vec::new();
        let mut warnings: Vec<String> = related.warnings();
        let mut written = SignoffsWritten::default();
        let mut deep_done = 0usize;
        while let Some(page) = rx.recv().await {
            let total = page.total;
            let parsed = model::ParsedRows::from(page.rows);
            if parsed.dropped > 0 {
                let text = format!(
                    "{} Resource Graph row(s) without an id were ignored",
                    parsed.dropped
                );
                events(Event::Warning(text.clone()));
                warnings.push(text);
            }
            let clusters = parsed.rows;
            let deep_docs = if deep {
                deep::read_page(&client, &clusters, &related, &needed, |n| {
                    deep_done += n;
                    events(Event::DeepProgress {
                        done: deep_done,
                        total,
                    });
                })
                .await
            } else {
                Vec::new()
            };
            let (judge, plan, related, writer) =
                (judge.clone(), plan.clone(), related.clone(), writer.clone());
            let (page_verdicts, page_written) = tokio::task::spawn_blocking(move || {
                judge::judge_page(
                    &judge,
                    &plan,
                    &related,
                    clusters,
                    deep_docs,
                    writer.as_deref(),
                )
            })
            .await
            .map_err(|e| FleetError::Internal(format!("judging stopped: {e}")))?;
            verdicts.extend(page_verdicts);
            written.written += page_written.written;
            written.refused.extend(page_written.refused);
            written.warnings.extend(page_written.warnings);
        }
        Ok::<_, FleetError>((verdicts, warnings, written))
    };
    let (produced, consumed) = tokio::join!(producer, consumer);
    let (mut clusters, warnings, written) = consumed?;
    produced.map_err(|cause| FleetError::Query {
        kind: Kind::Clusters.label(),
        cause,
    })?;
    clusters.sort_by_cached_key(|c| {
        (
            c.subscription.to_ascii_lowercase(),
            c.resource_group.to_ascii_lowercase(),
            c.name.to_ascii_lowercase(),
            c.id.to_ascii_lowercase(),
        )
    });
    // The same cluster twice (overlapping scopes) is judged once.
    clusters.dedup_by(|a, b| a.id.eq_ignore_ascii_case(&b.id));
    Ok(FleetReport {
        checked_at: options.now,
        scope,
        deep,
        clusters,
        skipped_sources,
        warnings,
        signoffs: writer.map(|_| written),
    })
}
