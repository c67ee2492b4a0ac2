//! `--evidence-dir`: the same documents from JSON files as the az CLI prints them, for
//! reviewers and air-gapped operators. The az CLI flattens `properties` into the top level
//! for most resources and spells a few keys differently; both are undone here so the same
//! rules apply.

use std::path::Path;

use serde_json::{Map, Value, json};

use super::Cause;
use crate::checklist::DocumentSource;

/// The file each ARM source is read from, and the az command that writes it.
pub const FILES: &[(DocumentSource, &str, &str)] = &[
    (
        DocumentSource::ArmAks,
        "aks.json",
        "az aks show -g RG -n CLUSTER -o json",
    ),
    (
        DocumentSource::ArmKeyVault,
        "key-vault.json",
        "az keyvault show -g RG -n VAULT -o json",
    ),
    (
        DocumentSource::ArmRegistry,
        "registry.json",
        "az acr show -g RG -n REGISTRY -o json",
    ),
    (
        DocumentSource::ArmAksDiagnosticSettings,
        "aks-diagnostic-settings.json",
        "az monitor diagnostic-settings list --resource CLUSTER_ID -o json",
    ),
    (
        DocumentSource::ArmKeyVaultDiagnosticSettings,
        "key-vault-diagnostic-settings.json",
        "az monitor diagnostic-settings list --resource VAULT_ID -o json",
    ),
    (
        DocumentSource::ArmSubscriptionPricingContainers,
        "pricing-containers.json",
        "az security pricing show -n Containers -o json",
    ),
    (
        DocumentSource::ArmIdentitiesFederatedCredentials,
        "federated-credentials.json",
        "az identity federated-credential list -g RG --identity-name IDENTITY -o json (each identity; concatenate the arrays)",
    ),
];

pub fn file_for(source: DocumentSource) -> Option<&'static str> {
    FILES
        .iter()
        .find(|(s, _, _)| *s == source)
        .map(|(_, f, _)| *f)
}

/// Keys that stay outside `properties` in an ARM resource.
const ENVELOPE: &[&str] = &[
    "id",
    "name",
    "type",
    "location",
    "tags",
    "identity",
    "sku",
    "systemData",
    "etag",
    "eTag",
    "kind",
    "zones",
    "plan",
    "managedBy",
    "extendedLocation",
    "resourceGroup",
];

/// az CLI spellings → REST spellings.
const RENAMES: &[(&str, &str)] = &[
    ("enableRbac", "enableRBAC"),
    ("enableAzureRbac", "enableAzureRBAC"),
    ("issuerUrl", "issuerURL"),
    ("privateDnsZone", "privateDNSZone"),
    ("privateFqdn", "privateFQDN"),
    ("authorizedIpRanges", "authorizedIPRanges"),
    ("adminGroupObjectIds", "adminGroupObjectIDs"),
    ("nodeOsUpgradeChannel", "nodeOSUpgradeChannel"),
];

/// Outcome of reading one evidence document: `None` when its file is not there (the
/// source is then not configured for the run).
pub fn read(dir: &Path, source: DocumentSource) -> Option<(String, Result<Value, Cause>)> {
    let file = file_for(source)?;
    let path = dir.join(file);
    if !path.exists() {
        return None;
    }
    let shown = path.display().to_string();
    let outcome = load(&path).and_then(|raw| match source {
        DocumentSource::ArmAksDiagnosticSettings
        | DocumentSource::ArmKeyVaultDiagnosticSettings => {
            Ok(json!({"value": list(&raw, &shown)?.into_iter().map(to_arm).collect::<Vec<_>>()}))
        }
        DocumentSource::ArmIdentitiesFederatedCredentials => {
            let credentials: Vec<Value> = list(&raw, &shown)?.into_iter().map(to_arm).collect();
            // The issuer comes from aks.json: without one it is null; one that cannot be
            // read (a device, a FIFO, not JSON) makes these checks errors naming it.
            let aks = dir.join("aks.json");
            let issuer = if aks.exists() {
                to_arm(load(&aks)?)
                    .pointer("/properties/oidcIssuerProfile/issuerURL")
                    .cloned()
                    .unwrap_or(Value::Null)
            } else {
                Value::Null
            };
            let mut identities: Vec<String> = credentials.iter().filter_map(identity_of).collect();
            identities.sort();
            identities.dedup();
            Ok(json!({"issuerURL": issuer, "identities": identities, "credentials": credentials}))
        }
        // `az … show` prints one JSON object; anything else was not observed from Azure and
        // must not be judged (`to_arm` would make it null, and every rule would fail).
        _ if raw.is_object() => Ok(to_arm(raw)),
        _ => Err(Cause::Local {
            detail: format!("{shown}: expected a JSON object (as `az … show -o json` prints it)"),
        }),
    });
    Some((shown, outcome))
}

fn load(path: &Path) -> Result<Value, Cause> {
    let text =
        crate::fsread::read_text(path, crate::fsread::MAX_EVIDENCE).map_err(|e| Cause::Local {
            detail: e.to_string(),
        })?;
    serde_json::from_str(&text).map_err(|e| Cause::Local {
        detail: format!(
            "{}:{}:{}: not valid JSON: {e}",
            path.display(),
            e.line(),
            e.column()
        ),
    })
}

/// The az CLI prints lists as bare arrays; ARM wraps them in `{"value": […]}`.
fn list(raw: &Value, shown: &str) -> Result<Vec<Value>, Cause> {
    match raw {
        Value::Array(items) => Ok(items.clone()),
        Value::Object(o) => match o.get("value") {
            Some(Value::Array(items)) => Ok(items.clone()),
            _ => Err(Cause::Local {
                detail: format!(
                    "{shown}: expected a JSON array (as `az … list -o json` prints it)"
                ),
            }),
        },
        _ => Err(Cause::Local {
            detail: format!("{shown}: expected a JSON array (as `az … list -o json` prints it)"),
        }),
    }
}

/// Nested resources the az CLI also flattens.
const NESTED_RESOURCES: &[&str] = &["privateEndpointConnections"];

/// Puts flattened properties back under `properties` and restores REST spellings.
pub fn to_arm(raw: Value) -> Value {
    let Value::Object(mut object) = rename(raw) else {
        return Value::Null;
    };
    wrap_nested(&mut object);
    if let Some(Value::Object(properties)) = object.get_mut("properties") {
        wrap_nested(properties);
    }
    if object.contains_key("properties") {
        return Value::Object(object);
    }
    let mut envelope = Map::new();
    let mut properties = Map::new();
    for (k, v) in object {
        if ENVELOPE.contains(&k.as_str()) {
            envelope.insert(k, v);
        } else {
            properties.insert(k, v);
        }
    }
    envelope.insert("properties".to_string(), Value::Object(properties));
    Value::Object(envelope)
}

fn wrap_nested(map: &mut Map<String, Value>) {
    for key in NESTED_RESOURCES {
        if let Some(Value::Array(items)) = map.get_mut(*key) {
            let wrapped = std::mem::take(items).into_iter().map(to_arm).collect();
            *items = wrapped;
        }
    }
}

fn rename(value: Value) -> Value {
    match value {
        Value::Object(o) => Value::Object(
            o.into_iter()
                .map(|(k, v)| {
                    let k = RENAMES
                        .iter()
                        .find(|(from, _)| *from == k)
                        .map_or(k, |(_, to)| (*to).to_string());
                    (k, rename(v))
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(rename).collect()),
        other => other,
    }
}

fn identity_of(credential: &Value) -> Option<String> {
    let id = credential.get("id")?.as_str()?;
    let (_, rest) = id.split_once("/userAssignedIdentities/")?;
    Some(rest.split('/').next()?.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn az_cli_shapes_become_arm_shapes() {
        let az = json!({"id": "/x", "name": "c", "identity": {"type": "SystemAssigned"},
            "enableRbac": true, "oidcIssuerProfile": {"enabled": true, "issuerUrl": "https://i/"},
            "aadProfile": {"enableAzureRbac": true}});
        let arm = to_arm(az);
        assert_eq!(arm["properties"]["enableRBAC"], true);
        assert_eq!(
            arm["properties"]["oidcIssuerProfile"]["issuerURL"],
            "https://i/"
        );
        assert_eq!(arm["properties"]["aadProfile"]["enableAzureRBAC"], true);
        assert_eq!(arm["identity"]["type"], "SystemAssigned");
        // Already ARM-shaped documents are left as they are.
        let kv = json!({"id": "/v", "properties": {"enablePurgeProtection": true}});
        assert_eq!(to_arm(kv.clone()), kv);
    }
}
