//! The `arm:*` documents: one GET each (diagnostic settings and federated credentials are
//! lists), all issued at once after discovery.

use serde_json::{Value, json};

use super::discovery::{Deployment, Resource};
use super::{ArmClient, api};
use crate::checklist::DocumentSource;
use crate::sources::Cause;

pub use crate::verdict::Gathered;

fn missing(kind: &str, flag: &str, deployment: &Deployment) -> Cause {
    match &deployment.listing_failed {
        Some(cause) => Cause::Local {
            detail: format!(
                "no {kind} named ({flag}) and the resource group could not be listed: {cause}"
            ),
        },
        None => Cause::NotFound {
            resource: format!("a {kind} in resource group {}", deployment.resource_group),
            message: format!("none found; name it with {flag}"),
        },
    }
}

async fn get(
    client: &ArmClient,
    resource: Option<&Resource>,
    suffix: &str,
    api_version: &str,
    absent: impl FnOnce() -> Cause,
) -> Gathered {
    match resource {
        Some(r) => {
            let path = format!("{}{suffix}", r.id);
            Gathered {
                resource: path.clone(),
                outcome: client.get(&path, api_version).await,
            }
        }
        None => Gathered {
            resource: String::new(),
            outcome: Err(absent()),
        },
    }
}

const DIAGNOSTICS: &str = "/providers/Microsoft.Insights/diagnosticSettings";

/// Fetches one ARM document kind. The federated-credentials document also needs the cluster
/// (for its issuer), which the client serves from its per-run cache.
pub async fn fetch(client: &ArmClient, d: &Deployment, source: DocumentSource) -> Gathered {
    let cluster_missing = || missing("AKS cluster", "--cluster", d);
    match source {
        DocumentSource::ArmAks => {
            get(
                client,
                d.cluster.as_ref(),
                "",
                api::MANAGED_CLUSTERS,
                cluster_missing,
            )
            .await
        }
        DocumentSource::ArmKeyVault => {
            get(client, d.key_vault.as_ref(), "", api::VAULTS, || {
                missing("key vault", "--key-vault", d)
            })
            .await
        }
        DocumentSource::ArmRegistry => {
            get(client, d.registry.as_ref(), "", api::REGISTRIES, || {
                missing("container registry", "--registry", d)
            })
            .await
        }
        DocumentSource::ArmAksDiagnosticSettings => {
            get(
                client,
                d.cluster.as_ref(),
                DIAGNOSTICS,
                api::DIAGNOSTIC_SETTINGS,
                cluster_missing,
            )
            .await
        }
        DocumentSource::ArmKeyVaultDiagnosticSettings => {
            get(
                client,
                d.key_vault.as_ref(),
                DIAGNOSTICS,
                api::DIAGNOSTIC_SETTINGS,
                || missing("key vault", "--key-vault", d),
            )
            .await
        }
        DocumentSource::ArmSubscriptionPricingContainers => {
            let path = format!(
                "/subscriptions/{}/providers/Microsoft.Security/pricings/Containers",
                d.subscription
            );
            Gathered {
                resource: path.clone(),
                outcome: client.get(&path, api::PRICINGS).await,
            }
        }
        DocumentSource::ArmIdentitiesFederatedCredentials => federated_credentials(client, d).await,
        DocumentSource::TerraformVariables | DocumentSource::TerraformBackend => Gathered {
            resource: String::new(),
            outcome: Err(Cause::Local {
                detail: "not an ARM document".to_string(),
            }),
        },
    }
}

/// `{"issuerURL", "identities", "credentials"}`: every federated credential of every
/// user-assigned identity, beside the cluster's OIDC issuer they must trust.
async fn federated_credentials(client: &ArmClient, d: &Deployment) -> Gathered {
    let resource = format!(
        "/subscriptions/{}/resourceGroups/{}/…/federatedIdentityCredentials",
        d.subscription, d.resource_group
    );
    if d.identities.is_empty() {
        return Gathered {
            resource,
            outcome: Err(match &d.listing_failed {
                Some(cause) => Cause::Local {
                    detail: format!(
                        "no identity named (--identity) and the resource group could not be listed: {cause}"
                    ),
                },
                None => Cause::NotFound {
                    resource: format!(
                        "user-assigned identities in resource group {}",
                        d.resource_group
                    ),
                    message: "none found; name them with --identity".to_string(),
                },
            }),
        };
    }
    let cluster = fetch_cluster_issuer(client, d);
    let lists = futures::future::join_all(d.identities.iter().map(|identity| {
        let path = format!("{}/federatedIdentityCredentials", identity.id);
        async move { client.list(&path, api::MANAGED_IDENTITY).await }
    }));
    let (issuer, lists) = tokio::join!(cluster, lists);
    let outcome = (|| {
        let issuer = issuer?;
        let mut credentials = Vec::new();
        for list in lists {
            credentials.extend(list?);
        }
        let names: Vec<&str> = d.identities.iter().map(|i| i.name.as_str()).collect();
        Ok(json!({"issuerURL": issuer, "identities": names, "credentials": credentials}))
    })();
    Gathered { resource, outcome }
}

async fn fetch_cluster_issuer(client: &ArmClient, d: &Deployment) -> Result<Value, Cause> {
    let Some(cluster) = &d.cluster else {
        return Ok(Value::Null);
    };
    let doc = client.get(&cluster.id, api::MANAGED_CLUSTERS).await.map_err(|cause| Cause::Local {
        detail: format!("the cluster's OIDC issuer is needed to judge the credentials, and the cluster could not be read: {cause}"),
    })?;
    Ok(doc
        .pointer("/properties/oidcIssuerProfile/issuerURL")
        .cloned()
        .unwrap_or(Value::Null))
}
