//! The auto-check engine: gathers every document the checklist's rules need — each once,
//! concurrently — and evaluates every rule, producing per-check and per-item results.
//!
//! Dependency chain: discovery (one listing of the resource group), then one parallel wave
//! of reads. A failing document makes only its own checks `error`.

mod evaluate;
mod spec;

pub use evaluate::{evaluate, evaluate_item};
pub use spec::{AzureSpec, SourceSpec, SpecError, configure};
// The verdict types are the crate's bottom layer; re-exported for the engine's callers.
pub use crate::verdict::{
    AutoStatus, CheckResult, CheckStatus, ItemResult, Summary, Tally, item_status, summarize,
};

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use futures::StreamExt;
use futures::future::BoxFuture;
use futures::stream::FuturesUnordered;
use tokio::sync::mpsc::UnboundedSender;

use crate::checklist::{Checklist, DocumentSource};
use crate::sources::Cause;
use crate::sources::azure::discovery::{self, Deployment, TargetHints};
use crate::sources::azure::documents::{self, Gathered};
use crate::sources::azure::{ArmClient, ArmOptions};
use crate::sources::{evidence, terraform};

/// Where documents come from in this run.
#[derive(Debug, Clone, Default)]
pub struct SourceConfig {
    /// Live ARM reads (None: offline, or no subscription/resource group to read).
    pub arm: Option<ArmTarget>,
    /// Why ARM is not read, shown beside skipped checks.
    pub arm_skipped_because: Option<String>,
    pub evidence_dir: Option<PathBuf>,
    pub terraform_dirs: Vec<PathBuf>,
    pub var_files: Vec<PathBuf>,
}

#[derive(Debug, Clone)]
pub struct ArmTarget {
    pub options: ArmOptions,
    pub subscription: String,
    pub resource_group: String,
    pub hints: TargetHints,
}

/// What the engine reports while it works (for progress display).
#[derive(Debug, Clone, PartialEq)]
pub enum Progress {
    Discovering,
    Discovered {
        documents: usize,
    },
    Fetching(DocumentSource),
    Fetched {
        source: DocumentSource,
        ok: bool,
    },
    /// Items whose every document has arrived, evaluated: their verdicts need not wait for
    /// slower sources. Each automated item is reported once per run.
    Evaluated(Vec<ItemResult>),
}

/// All documents of one source kind, or why the kind is not part of this run.
#[derive(Debug, Clone)]
pub enum SourceDocuments {
    Gathered(Vec<Gathered>),
    NotConfigured(String),
}

#[derive(Debug, Clone)]
pub struct Report {
    pub checked_at: jiff::Timestamp,
    pub deployment: Option<Deployment>,
    pub items: Vec<ItemResult>,
    pub summary: Summary,
}

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error(transparent)]
    Discovery(#[from] discovery::DiscoveryError),
    /// The ARM client refused its settings (bad input).
    #[error(transparent)]
    Client(#[from] crate::sources::azure::SetupError),
    /// A task of the run failed (a bug, not the input).
    #[error("{0}")]
    Internal(String),
}

fn send(progress: &Option<UnboundedSender<Progress>>, event: Progress) {
    if let Some(p) = progress {
        let _ = p.send(event);
    }
}

/// Evaluates each automated item as soon as every document it reads has arrived, and
/// reports it when asked to; the report is built from these verdicts.
struct LiveVerdicts<'a> {
    checklist: &'a Checklist,
    progress: &'a Option<UnboundedSender<Progress>>,
    /// By checklist item: its verdict once evaluated.
    verdicts: Vec<Option<ItemResult>>,
}

impl<'a> LiveVerdicts<'a> {
    fn new(checklist: &'a Checklist, progress: &'a Option<UnboundedSender<Progress>>) -> Self {
        Self {
            checklist,
            progress,
            verdicts: vec![None; checklist.items.len()],
        }
    }

    fn arrived(&mut self, documents: &BTreeMap<DocumentSource, SourceDocuments>) {
        let mut ready = Vec::new();
        for (item, verdict) in self.checklist.items.iter().zip(self.verdicts.iter_mut()) {
            let complete = item
                .checks
                .iter()
                .all(|c| documents.contains_key(&c.source));
            if verdict.is_none() && item.is_automated() && complete {
                let result = evaluate_item(item, documents);
                if self.progress.is_some() {
                    ready.push(result.clone());
                }
                *verdict = Some(result);
            }
        }
        if !ready.is_empty() {
            send(self.progress, Progress::Evaluated(ready));
        }
    }
}

/// What [`gather`] found: the documents, the deployment discovered (when Azure was read),
/// and each item's verdict where every document it reads arrived (by checklist item).
pub struct Gathering {
    pub documents: BTreeMap<DocumentSource, SourceDocuments>,
    pub deployment: Option<Deployment>,
    pub verdicts: Vec<Option<ItemResult>>,
}

type Arrival = Result<Vec<(DocumentSource, SourceDocuments)>, EngineError>;

/// Gathers the documents every rule of `checklist` reads. With `progress`, reports each
/// document as it loads and each item's verdict as soon as its documents are in.
pub async fn gather(
    checklist: &Checklist,
    config: &SourceConfig,
    progress: Option<UnboundedSender<Progress>>,
) -> Result<Gathering, EngineError> {
    let needed: BTreeSet<DocumentSource> = checklist
        .items
        .iter()
        .flat_map(|i| i.checks.iter().map(|c| c.source))
        .collect();
    let mut out = BTreeMap::new();
    let mut live = LiveVerdicts::new(checklist, &progress);

    // Terraform reads are local and quick; they run on the blocking pool beside ARM.
    let tf_needed: Vec<DocumentSource> = needed
        .iter()
        .copied()
        .filter(|s| {
            matches!(
                s,
                DocumentSource::TerraformVariables | DocumentSource::TerraformBackend
            )
        })
        .collect();
    let tf = {
        let dirs = config.terraform_dirs.clone();
        let var_files = config.var_files.clone();
        tokio::task::spawn_blocking(move || terraform_documents(&tf_needed, &dirs, &var_files))
    };

    let arm_needed: Vec<DocumentSource> = needed
        .iter()
        .copied()
        .filter(|s| s.as_str().starts_with("arm:"))
        .collect();
    let arm = if let Some(dir) = &config.evidence_dir {
        for source in &arm_needed {
            let docs = match evidence::read(dir, *source) {
                Some((resource, outcome)) => {
                    SourceDocuments::Gathered(vec![Gathered { resource, outcome }])
                }
                None => SourceDocuments::NotConfigured(format!(
                    "no {} in {}",
                    evidence::file_for(*source).unwrap_or("file"),
                    dir.display()
                )),
            };
            out.insert(*source, docs);
        }
        None
    } else if let Some(arm) = &config.arm {
        let client = ArmClient::new(&arm.options)?;
        send(&progress, Progress::Discovering);
        let d = discovery::discover(&client, &arm.subscription, &arm.resource_group, &arm.hints)
            .await?;
        send(
            &progress,
            Progress::Discovered {
                documents: arm_needed.len(),
            },
        );
        Some((client, d))
    } else {
        let why = config
            .arm_skipped_because
            .clone()
            .unwrap_or_else(|| "Azure is not read in this run (--offline)".to_string());
        for source in &arm_needed {
            out.insert(*source, SourceDocuments::NotConfigured(why.clone()));
        }
        None
    };
    live.arrived(&out);

    // Every read still to come, taken in the order it completes.
    let mut arrivals: FuturesUnordered<BoxFuture<'_, Arrival>> = FuturesUnordered::new();
    arrivals.push(Box::pin(async move {
        tf.await
            .map_err(|e| EngineError::Internal(format!("the Terraform reader stopped: {e}")))
    }));
    if let Some((client, d)) = &arm {
        for &source in &arm_needed {
            let progress = &progress;
            arrivals.push(Box::pin(async move {
                send(progress, Progress::Fetching(source));
                let g = documents::fetch(client, d, source).await;
                send(
                    progress,
                    Progress::Fetched {
                        source,
                        ok: g.outcome.is_ok(),
                    },
                );
                Ok(vec![(source, SourceDocuments::Gathered(vec![g]))])
            }));
        }
    }
    while let Some(arrival) = arrivals.next().await {
        out.extend(arrival?);
        live.arrived(&out);
    }
    drop(arrivals);
    let verdicts = live.verdicts;
    Ok(Gathering {
        documents: out,
        deployment: arm.map(|(_, d)| d),
        verdicts,
    })
}

fn terraform_documents(
    needed: &[DocumentSource],
    dirs: &[PathBuf],
    var_files: &[PathBuf],
) -> Vec<(DocumentSource, SourceDocuments)> {
    needed
        .iter()
        .map(|&source| {
            if dirs.is_empty() {
                return (
                    source,
                    SourceDocuments::NotConfigured("no --terraform-dir given".to_string()),
                );
            }
            let docs = dirs
                .iter()
                .map(|dir| {
                    let outcome = match source {
                        DocumentSource::TerraformVariables => {
                            terraform::variables_document(dir, var_files)
                        }
                        _ => terraform::backend_document(dir),
                    };
                    Gathered {
                        resource: dir.display().to_string(),
                        outcome: outcome.map_err(|e| Cause::Local {
                            detail: e.to_string(),
                        }),
                    }
                })
                .collect();
            (source, SourceDocuments::Gathered(docs))
        })
        .collect()
}

/// Why a bounded run gave no report.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    Engine(#[from] EngineError),
    #[error("the checks did not finish within {} s (4 × --timeout)", .0.as_secs())]
    TooSlow(std::time::Duration),
}

/// The bound on a whole automatic check: four times the per-request `--timeout`.
pub fn run_bound(timeout_seconds: u64) -> std::time::Duration {
    std::time::Duration::from_secs(timeout_seconds.saturating_mul(4))
}

/// [`run`] within `bound`, as its own task: a rule that keeps a thread busy (a CPU-heavy
/// custom expression) cannot hold the caller past the bound. A run cut off this way may
/// still occupy one worker thread; a runtime that ends after it should be shut down with
/// `shutdown_background`.
pub async fn run_within(
    bound: std::time::Duration,
    checklist: &Checklist,
    config: &SourceConfig,
    now: jiff::Timestamp,
    progress: Option<UnboundedSender<Progress>>,
) -> Result<Report, RunError> {
    let checklist = checklist.clone();
    let config = config.clone();
    let task = tokio::spawn(async move { run(&checklist, &config, now, progress).await });
    match tokio::time::timeout(bound, task).await {
        Err(_) => Err(RunError::TooSlow(bound)),
        Ok(Ok(result)) => Ok(result?),
        // The task panicked: the panic hook has reported it; a bug, not the input.
        Ok(Err(e)) => Err(RunError::Engine(EngineError::Internal(format!(
            "the checks stopped: {e}"
        )))),
    }
}

/// Gathers and evaluates: the whole automatic check.
pub async fn run(
    checklist: &Checklist,
    config: &SourceConfig,
    now: jiff::Timestamp,
    progress: Option<UnboundedSender<Progress>>,
) -> Result<Report, EngineError> {
    let Gathering {
        documents,
        deployment,
        verdicts,
    } = gather(checklist, config, progress).await?;
    // Items evaluated as their documents arrived keep that verdict; the rest (manual items,
    // and sources never gathered) are evaluated now.
    let items: Vec<ItemResult> = checklist
        .items
        .iter()
        .zip(verdicts)
        .map(|(item, verdict)| verdict.unwrap_or_else(|| evaluate_item(item, &documents)))
        .collect();
    Ok(Report {
        checked_at: now,
        deployment,
        summary: summarize(items.iter().map(|i| i.status)),
        items,
    })
}
