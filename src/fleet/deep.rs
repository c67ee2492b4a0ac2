//! `--deep`: the documents Azure Resource Graph does not hold, read per resource through the
//! ARM client — diagnostic settings of each cluster and of the vaults beside it, the
//! subscription's Defender for Containers plan (read once per subscription: the client
//! fetches each URL once) and the federated credentials of the identities beside it.
//!
//! [`CLUSTERS_IN_FLIGHT`] clusters are read at once; the client bounds the requests in flight
//! and retries 429s honouring `Retry-After`.

use std::collections::BTreeSet;

use futures::StreamExt;
use serde_json::json;

use super::kind::Kind;
use super::model::{ClusterRow, Doc};
use super::related::Related;
use super::sources::deep_only;
use super::values::to_variable;
use crate::checklist::DocumentSource;
use crate::sources::Cause;
use crate::sources::azure::{ArmClient, api};

pub const CLUSTERS_IN_FLIGHT: usize = 8;
const DIAGNOSTICS: &str = "/providers/Microsoft.Insights/diagnosticSettings";

/// The per-resource documents of every cluster of a page, in page order. `done(n)` is
/// called as clusters finish (for progress).
pub async fn read_page(
    client: &ArmClient,
    clusters: &[ClusterRow],
    related: &Related,
    needed: &BTreeSet<DocumentSource>,
    mut done: impl FnMut(usize),
) -> Vec<Vec<(DocumentSource, Vec<Doc>)>> {
    let wanted: Vec<DocumentSource> = needed.iter().copied().filter(|s| deep_only(*s)).collect();
    let mut stream = futures::stream::iter(clusters.iter().map(|cluster| {
        let wanted = &wanted;
        async move {
            futures::future::join_all(wanted.iter().map(|&source| async move {
                (source, read(client, cluster, related, source).await)
            }))
            .await
        }
    }))
    .buffered(CLUSTERS_IN_FLIGHT);
    let mut out = Vec::with_capacity(clusters.len());
    while let Some(docs) = stream.next().await {
        out.push(docs);
        done(1);
    }
    out
}

async fn get(client: &ArmClient, path: String, api_version: &str) -> Doc {
    let value = match client.get(&path, api_version).await {
        Ok(v) => Ok(to_variable(v)),
        Err(cause) => Err(cause),
    };
    Doc {
        resource: path,
        value,
        verdicts: None,
    }
}

/// One source's documents for one cluster.
pub async fn read(
    client: &ArmClient,
    cluster: &ClusterRow,
    related: &Related,
    source: DocumentSource,
) -> Vec<Doc> {
    match source {
        DocumentSource::ArmAksDiagnosticSettings => {
            vec![
                get(
                    client,
                    format!("{}{DIAGNOSTICS}", cluster.id),
                    api::DIAGNOSTIC_SETTINGS,
                )
                .await,
            ]
        }
        DocumentSource::ArmKeyVaultDiagnosticSettings => {
            match related.resources(Kind::Vaults, &cluster.subscription, &cluster.resource_group) {
                Ok(vaults) => {
                    futures::future::join_all(vaults.iter().map(|v| {
                        get(
                            client,
                            format!("{}{DIAGNOSTICS}", v.id),
                            api::DIAGNOSTIC_SETTINGS,
                        )
                    }))
                    .await
                }
                Err(doc) => vec![doc],
            }
        }
        DocumentSource::ArmSubscriptionPricingContainers => {
            let path = format!(
                "/subscriptions/{}/providers/Microsoft.Security/pricings/Containers",
                cluster.subscription
            );
            vec![get(client, path, api::PRICINGS).await]
        }
        DocumentSource::ArmIdentitiesFederatedCredentials => {
            vec![federated_credentials(client, cluster, related).await]
        }
        other => vec![Doc {
            resource: String::new(),
            value: Err(Cause::Local {
                detail: format!("{other} is not read per resource"),
            }),
            verdicts: None,
        }],
    }
}

/// `{"issuerURL", "identities", "credentials"}` as `readiness check` builds it: every
/// federated credential of the identities in the cluster's resource group, beside the
/// cluster's OIDC issuer (taken from its Resource Graph row).
async fn federated_credentials(client: &ArmClient, cluster: &ClusterRow, related: &Related) -> Doc {
    let resource = format!(
        "/subscriptions/{}/resourceGroups/{}/…/federatedIdentityCredentials",
        cluster.subscription, cluster.resource_group
    );
    let identities = match related.resources(
        Kind::Identities,
        &cluster.subscription,
        &cluster.resource_group,
    ) {
        Ok(list) => list,
        Err(doc) => return doc,
    };
    if !cluster.has_properties() {
        return Doc {
            resource,
            value: Err(Cause::Local {
                detail: "the cluster's OIDC issuer is needed to judge the credentials, and Resource Graph returned the cluster without properties".to_string(),
            }),
            verdicts: None,
        };
    }
    let lists = futures::future::join_all(identities.iter().map(|identity| {
        let path = format!("{}/federatedIdentityCredentials", identity.id);
        async move { client.list(&path, api::MANAGED_IDENTITY).await }
    }))
    .await;
    let value = (|| {
        let mut credentials = Vec::new();
        for list in lists {
            credentials.extend(list?);
        }
        let names: Vec<&str> = identities.iter().map(|i| i.name.as_str()).collect();
        Ok(to_variable(
            json!({"issuerURL": cluster.issuer(), "identities": names, "credentials": credentials}),
        ))
    })();
    Doc {
        resource,
        value,
        verdicts: None,
    }
}
