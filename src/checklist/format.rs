//! The checklist file format as plain serde types, for the JSON Schema editors use and for
//! tools that generate checklists. Loading goes through [`super::load`], which reports every
//! problem with its position; a test keeps the two in step.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A `readiness` checklist (schema_version 1).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "readiness checklist")]
pub struct ChecklistFile {
    /// Always 1 for this format.
    #[schemars(range(min = 1, max = 1))]
    pub schema_version: i64,
    /// Stable identifier of the checklist, recorded in sign-offs.
    pub id: String,
    pub title: String,
    /// Version of the checklist content, recorded in sign-offs.
    pub version: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// How long an answer stays valid, in days (default 90).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 3650))]
    pub revalidate_days: Option<u32>,
    /// The longest a risk acceptance may run, in days (default 180).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 3650))]
    pub max_risk_acceptance_days: Option<u32>,
    #[schemars(length(min = 1))]
    pub items: Vec<ItemFile>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ItemFile {
    /// Unique, stable id, e.g. `net.private-api-server`.
    #[schemars(regex(pattern = r"^[a-z0-9][a-z0-9._-]*$"))]
    pub id: String,
    pub phase: PhaseFile,
    pub category: String,
    #[schemars(length(min = 1))]
    pub title: String,
    /// What to do, why it matters, how to check by hand.
    #[schemars(length(min = 1))]
    pub guidance: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity: Option<SeverityFile>,
    /// Source rows this item covers, e.g. `guide:checklist C1`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 3650))]
    pub revalidate_days: Option<u32>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<ReferenceFile>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub checks: Vec<CheckFile>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReferenceFile {
    pub title: String,
    /// An absolute http(s) URL.
    #[schemars(regex(pattern = r"^https?://"))]
    pub url: String,
}

/// An automatic check: a JMESPath rule over one JSON document; `true` means pass.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckFile {
    pub source: SourceFile,
    /// JMESPath expression, as in `az --query`; the check passes only when it yields `true`.
    pub expect: String,
    /// JMESPath expression selecting the evidence shown beside the verdict.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observe: Option<String>,
    /// What a failure means, in one sentence.
    pub explain: String,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum PhaseFile {
    BeforeDeployment,
    DuringOperation,
    OngoingMaintenance,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum SeverityFile {
    Low,
    Medium,
    High,
    Critical,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, JsonSchema)]
pub enum SourceFile {
    #[serde(rename = "arm:aks")]
    ArmAks,
    #[serde(rename = "arm:key-vault")]
    ArmKeyVault,
    #[serde(rename = "arm:registry")]
    ArmRegistry,
    #[serde(rename = "arm:aks/diagnostic-settings")]
    ArmAksDiagnosticSettings,
    #[serde(rename = "arm:key-vault/diagnostic-settings")]
    ArmKeyVaultDiagnosticSettings,
    #[serde(rename = "arm:subscription/pricing-containers")]
    ArmSubscriptionPricingContainers,
    #[serde(rename = "arm:identities/federated-credentials")]
    ArmIdentitiesFederatedCredentials,
    #[serde(rename = "terraform:variables")]
    TerraformVariables,
    #[serde(rename = "terraform:backend")]
    TerraformBackend,
}

/// The JSON Schema of the checklist format, pretty-printed.
pub fn json_schema() -> String {
    let schema = schemars::schema_for!(ChecklistFile);
    let mut text = serde_json::to_string_pretty(&schema).unwrap_or_default();
    text.push('\n');
    text
}
