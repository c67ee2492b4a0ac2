//! What a fleet run concludes: one verdict per cluster, the sign-offs written, the report,
//! and the totals the report shows.

use std::collections::BTreeMap;
use std::path::PathBuf;

use super::scope::Scope;
use crate::checklist::DocumentSource;
use crate::verdict::{AutoStatus, Summary};

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
    /// Clusters whose file name had to be disambiguated (see [`super::output`]).
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
