//! Which deployment to read: the subscription, the resource group and, inside it, the
//! cluster, key vault, registry and user-assigned identities.

use serde_json::Value;

use super::{ArmClient, api};
use crate::sources::Cause;

/// What the operator said on the command line (or the sign-off remembered).
#[derive(Debug, Clone, Default)]
pub struct TargetHints {
    pub subscription: Option<String>,
    pub resource_group: Option<String>,
    pub cluster: Option<String>,
    pub key_vault: Option<String>,
    pub registry: Option<String>,
    pub identities: Vec<String>,
}

/// A resource of the deployment, by ARM id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resource {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Clone)]
pub struct Deployment {
    pub subscription: String,
    pub resource_group: String,
    pub cluster: Option<Resource>,
    pub key_vault: Option<Resource>,
    pub registry: Option<Resource>,
    pub identities: Vec<Resource>,
    /// Why the resource group could not be listed, when it could not.
    pub listing_failed: Option<Cause>,
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum DiscoveryError {
    #[error(
        "more than one {kind} in resource group {resource_group}: {}; choose one with {flag} NAME",
        .candidates.join(", ")
    )]
    Ambiguous {
        kind: &'static str,
        flag: &'static str,
        resource_group: String,
        candidates: Vec<String>,
    },
}

pub const CLUSTER_TYPE: &str = "Microsoft.ContainerService/managedClusters";
pub const VAULT_TYPE: &str = "Microsoft.KeyVault/vaults";
pub const REGISTRY_TYPE: &str = "Microsoft.ContainerRegistry/registries";
pub const IDENTITY_TYPE: &str = "Microsoft.ManagedIdentity/userAssignedIdentities";

pub fn resource_id(
    subscription: &str,
    resource_group: &str,
    provider_type: &str,
    name: &str,
) -> String {
    format!(
        "/subscriptions/{subscription}/resourceGroups/{resource_group}/providers/{provider_type}/{name}"
    )
}

/// Lists the resource group and picks each kind: the named one, or the only one.
pub async fn discover(
    client: &ArmClient,
    subscription: &str,
    resource_group: &str,
    hints: &TargetHints,
) -> Result<Deployment, DiscoveryError> {
    let path = format!("/subscriptions/{subscription}/resourceGroups/{resource_group}/resources");
    let (listed, listing_failed) = match client.list(&path, api::RESOURCES).await {
        Ok(values) => (values, None),
        Err(cause) => (Vec::new(), Some(cause)),
    };
    let of_type = |t: &str| -> Vec<Resource> {
        listed
            .iter()
            .filter(|r| {
                r.get("type")
                    .and_then(Value::as_str)
                    .is_some_and(|rt| rt.eq_ignore_ascii_case(t))
            })
            .filter_map(|r| {
                Some(Resource {
                    id: r.get("id")?.as_str()?.to_string(),
                    name: r.get("name")?.as_str()?.to_string(),
                })
            })
            .collect()
    };
    let pick = |kind: &'static str, flag: &'static str, t: &str, named: &Option<String>| {
        let found = of_type(t);
        match named {
            Some(name) => Ok(Some(
                found
                    .into_iter()
                    .find(|r| r.name.eq_ignore_ascii_case(name))
                    .unwrap_or_else(|| Resource {
                        id: resource_id(subscription, resource_group, t, name),
                        name: name.clone(),
                    }),
            )),
            None if found.len() > 1 => Err(DiscoveryError::Ambiguous {
                kind,
                flag,
                resource_group: resource_group.to_string(),
                candidates: found.into_iter().map(|r| r.name).collect(),
            }),
            None => Ok(found.into_iter().next()),
        }
    };
    let cluster = pick("AKS cluster", "--cluster", CLUSTER_TYPE, &hints.cluster)?;
    let key_vault = pick("key vault", "--key-vault", VAULT_TYPE, &hints.key_vault)?;
    let registry = pick(
        "container registry",
        "--registry",
        REGISTRY_TYPE,
        &hints.registry,
    )?;
    let identities = if hints.identities.is_empty() {
        of_type(IDENTITY_TYPE)
    } else {
        let found = of_type(IDENTITY_TYPE);
        hints
            .identities
            .iter()
            .map(|name| {
                found
                    .iter()
                    .find(|r| r.name.eq_ignore_ascii_case(name))
                    .cloned()
                    .unwrap_or_else(|| Resource {
                        id: resource_id(subscription, resource_group, IDENTITY_TYPE, name),
                        name: name.clone(),
                    })
            })
            .collect()
    };
    Ok(Deployment {
        subscription: subscription.to_string(),
        resource_group: resource_group.to_string(),
        cluster,
        key_vault,
        registry,
        identities,
        listing_failed,
    })
}

/// The az CLI's current subscription, when az is installed and signed in.
pub async fn az_current_subscription() -> Option<String> {
    let output = tokio::time::timeout(
        std::time::Duration::from_secs(20),
        tokio::process::Command::new("az")
            .args(["account", "show", "--query", "id", "-o", "tsv"])
            .stdin(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .output(),
    )
    .await
    .ok()?
    .ok()?;
    let id = String::from_utf8(output.stdout).ok()?.trim().to_string();
    (output.status.success() && !id.is_empty()).then_some(id)
}
