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
//! [`query`] talks to Resource Graph, [`judge`] turns rows into documents and verdicts,
//! [`deep`] reads the rest per resource, [`output`] writes sign-offs and [`report`] renders.

pub mod deep;
pub mod judge;
pub mod output;
pub mod query;
pub mod report;
pub mod rows;

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

use crate::checklist::{Checklist, DocumentSource};
use crate::engine::{AutoStatus, Summary};
use crate::sources::Cause;
use crate::sources::azure::{ArmClient, ArmOptions, api};

pub use judge::{ClusterRow, Judge};
pub use query::{Kind, ResourceGraph};

/// Which subscriptions the fleet is made of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    Subscriptions(Vec<String>),
    ManagementGroup(String),
    /// Every subscription the credential can see (listed with GET /subscriptions).
    Visible,
}

impl Scope {
    pub fn describe(&self) -> String {
        match self {
            Scope::Subscriptions(subs) => format!("{} subscription(s)", subs.len()),
            Scope::ManagementGroup(mg) => format!("management group {mg}"),
            Scope::Visible => "every visible subscription".to_string(),
        }
    }
}

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

/// What the run reports while it works; the command prints these on stderr.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    Subscriptions {
        count: usize,
    },
    Querying {
        kind: Kind,
        scope: String,
    },
    Page {
        kind: Kind,
        page: usize,
        rows_so_far: usize,
        total: Option<u64>,
    },
    /// Resource Graph's per-user quota is nearly used up: requests pause until it resets.
    QuotaWait {
        remaining: u32,
        wait: Duration,
    },
    /// Still throttled after the client's own retries: waiting before trying the page again.
    Throttled {
        wait: Duration,
    },
    DeepProgress {
        done: usize,
        total: Option<u64>,
    },
    Warning(String),
}

/// The verdict on one cluster.
#[derive(Debug, Clone, PartialEq)]
pub struct ClusterVerdict {
    pub id: String,
    pub name: String,
    pub subscription: String,
    pub resource_group: String,
    /// One status per checklist item, in checklist order.
    pub statuses: Vec<AutoStatus>,
    pub summary: Summary,
    /// Why checks could not be judged (distinct causes), when some could not.
    pub problems: Vec<String>,
}

#[derive(Debug, Clone, Default)]
pub struct SignoffsWritten {
    pub written: usize,
    /// Sign-offs left alone, and why (a file that does not parse is never overwritten).
    pub refused: Vec<(PathBuf, String)>,
    /// Clusters whose file name had to be disambiguated (see [`output`]).
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct FleetReport {
    pub checked_at: jiff::Timestamp,
    pub scope: Scope,
    pub deep: bool,
    /// Sorted by subscription, resource group and name (case-insensitive).
    pub clusters: Vec<ClusterVerdict>,
    /// Sources not read in this run, with the reason (e.g. not in Resource Graph without --deep).
    pub skipped_sources: Vec<(DocumentSource, String)>,
    pub warnings: Vec<String>,
    pub signoffs: Option<SignoffsWritten>,
}

impl FleetReport {
    pub fn any_fail(&self) -> bool {
        self.clusters.iter().any(|c| c.summary.fail > 0)
    }

    pub fn any_error(&self) -> bool {
        self.clusters.iter().any(|c| c.summary.error > 0)
    }
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

/// Why the fleet does not read a source, shown beside its skipped checks.
pub const NOT_IN_GRAPH: &str =
    "not held by Azure Resource Graph; pass --deep to read it per resource";
pub const NOT_AZURE: &str = "fleet mode reads Azure only; check Terraform per deployment with `readiness check --terraform-dir`";

/// The document sources the checklist's rules read.
pub fn needed_sources(checklist: &Checklist) -> BTreeSet<DocumentSource> {
    checklist
        .items
        .iter()
        .flat_map(|i| i.checks.iter().map(|c| c.source))
        .collect()
}

/// Sources Resource Graph answers (the resources themselves).
pub fn in_graph(source: DocumentSource) -> bool {
    matches!(
        source,
        DocumentSource::ArmAks | DocumentSource::ArmKeyVault | DocumentSource::ArmRegistry
    )
}

/// Sources read per resource with `--deep`.
pub fn deep_only(source: DocumentSource) -> bool {
    matches!(
        source,
        DocumentSource::ArmAksDiagnosticSettings
            | DocumentSource::ArmKeyVaultDiagnosticSettings
            | DocumentSource::ArmSubscriptionPricingContainers
            | DocumentSource::ArmIdentitiesFederatedCredentials
    )
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
            judge::Related::gather(&graph, &scope, &related_kinds, &judge, writer.is_some()).await,
        );
        let mut verdicts: Vec<ClusterVerdict> = Vec::new();
        let mut warnings: Vec<String> = related.warnings();
        let mut written = SignoffsWritten::default();
        let mut deep_done = 0usize;
        while let Some(page) = rx.recv().await {
            let total = page.total;
            let parsed = judge::ParsedRows::from(page.rows);
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

/// Per-subscription totals: (clusters, passing, failing, with errors, item summary).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Totals {
    pub clusters: usize,
    pub passing: usize,
    pub failing: usize,
    pub with_errors: usize,
    pub items: Summary,
}

impl Totals {
    pub fn add(&mut self, c: &ClusterVerdict) {
        self.clusters += 1;
        if c.summary.fail > 0 {
            self.failing += 1;
        } else if c.summary.error > 0 {
            self.with_errors += 1;
        } else {
            self.passing += 1;
        }
        self.items.pass += c.summary.pass;
        self.items.fail += c.summary.fail;
        self.items.error += c.summary.error;
        self.items.manual += c.summary.manual;
    }
}

/// Totals for the whole fleet and per subscription (sorted, case-insensitive).
pub fn totals(clusters: &[ClusterVerdict]) -> (Totals, Vec<(String, Totals)>) {
    let mut all = Totals::default();
    let mut by_sub: BTreeMap<String, (String, Totals)> = BTreeMap::new();
    for c in clusters {
        all.add(c);
        by_sub
            .entry(c.subscription.to_ascii_lowercase())
            .or_insert_with(|| (c.subscription.clone(), Totals::default()))
            .1
            .add(c);
    }
    (all, by_sub.into_values().collect())
}
