//! The resources beside the clusters (key vaults, registries, identities), indexed by
//! subscription and resource group, and the documents a cluster takes from them.

use std::collections::HashMap;

use super::kind::Kind;
use super::model::{Doc, Resource, Slot, group_key};
use crate::sources::Cause;

/// One kind's resources and how many rows had no id, or why its query failed.
pub type Found = Result<(Vec<Resource>, usize), Cause>;

/// The resources found beside the clusters, by subscription and resource group.
pub type Index = HashMap<(String, String), Vec<Resource>>;

/// Key vaults, registries and identities, each as queried (`None`: not needed in this run).
#[derive(Debug, Default)]
pub struct Related {
    pub vaults: Option<Result<Index, Cause>>,
    pub registries: Option<Result<Index, Cause>>,
    pub identities: Option<Result<Index, Cause>>,
    pub dropped: usize,
}

impl Related {
    /// Builds the indexes from each kind's resources (see [`super::judge::related_rows`]).
    pub fn from_resources(kinds: Vec<(Kind, Found)>) -> Self {
        let mut related = Related::default();
        for (kind, found) in kinds {
            let index = found.map(|(resources, dropped)| {
                related.dropped += dropped;
                let mut index = Index::new();
                for r in resources {
                    index
                        .entry(group_key(&r.subscription, &r.resource_group))
                        .or_default()
                        .push(r);
                }
                for list in index.values_mut() {
                    list.sort_by_cached_key(|r| r.id.to_ascii_lowercase());
                }
                index
            });
            match kind {
                Kind::Vaults => related.vaults = Some(index),
                Kind::Registries => related.registries = Some(index),
                Kind::Identities => related.identities = Some(index),
                Kind::Clusters => {}
            }
        }
        related
    }

    pub fn warnings(&self) -> Vec<String> {
        let mut out = Vec::new();
        for (kind, slot) in [
            (Kind::Vaults, &self.vaults),
            (Kind::Registries, &self.registries),
            (Kind::Identities, &self.identities),
        ] {
            if let Some(Err(cause)) = slot {
                out.push(format!(
                    "the Resource Graph query for {} failed, so their checks are errors: {cause}",
                    kind.label()
                ));
            }
        }
        if self.dropped > 0 {
            out.push(format!(
                "{} Resource Graph row(s) without an id were ignored",
                self.dropped
            ));
        }
        out
    }

    fn slot(&self, kind: Kind) -> Option<&Result<Index, Cause>> {
        match kind {
            Kind::Vaults => self.vaults.as_ref(),
            Kind::Registries => self.registries.as_ref(),
            Kind::Identities => self.identities.as_ref(),
            Kind::Clusters => None,
        }
    }

    /// The resources of `kind` in the cluster's resource group, or the document that says
    /// why there are none.
    pub fn resources(
        &self,
        kind: Kind,
        subscription: &str,
        resource_group: &str,
    ) -> Result<&[Resource], Doc> {
        let where_ = || format!("resource group {resource_group} of subscription {subscription}");
        match self.slot(kind) {
            None => Err(Doc {
                resource: String::new(),
                value: Err(Cause::Local {
                    detail: format!("{} were not queried in this run", kind.label()),
                }),
                verdicts: None,
            }),
            Some(Err(cause)) => Err(Doc {
                resource: format!("{} in {}", kind.label(), where_()),
                value: Err(Cause::Local {
                    detail: format!(
                        "the Resource Graph query for {} failed: {cause}",
                        kind.label()
                    ),
                }),
                verdicts: None,
            }),
            Some(Ok(index)) => match index.get(&group_key(subscription, resource_group)) {
                Some(list) if !list.is_empty() => Ok(list.as_slice()),
                _ => Err(Doc {
                    resource: String::new(),
                    value: Err(Cause::NotFound {
                        resource: format!("a {} in {}", singular(kind), where_()),
                        message: "Resource Graph lists none there; fleet mode matches it to the cluster by resource group".to_string(),
                    }),
                    verdicts: None,
                }),
            },
        }
    }

    /// Names of the resources of `kind` beside the cluster (for the sign-off's target).
    pub fn names(&self, kind: Kind, cluster: &Resource) -> Vec<String> {
        match self.resources(kind, &cluster.subscription, &cluster.resource_group) {
            Ok(list) => list.iter().map(|r| r.name.clone()).collect(),
            Err(_) => Vec::new(),
        }
    }

    pub fn slot_docs(&self, kind: Kind, cluster: &Resource) -> Slot {
        match self.resources(kind, &cluster.subscription, &cluster.resource_group) {
            Ok(list) => Slot::Docs(
                list.iter()
                    .map(|r| Doc {
                        resource: r.id.clone(),
                        value: r.doc.clone(),
                        verdicts: r.verdicts.clone(),
                    })
                    .collect(),
            ),
            Err(doc) => Slot::Docs(vec![doc]),
        }
    }
}

fn singular(kind: Kind) -> &'static str {
    match kind {
        Kind::Clusters => "AKS cluster",
        Kind::Vaults => "key vault",
        Kind::Registries => "container registry",
        Kind::Identities => "user-assigned identity",
    }
}
