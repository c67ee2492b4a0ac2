//! Which document sources a fleet run reads, and how: from Resource Graph, per resource with
//! `--deep`, or not at all (why, shown beside the skipped checks).

use std::collections::BTreeSet;

use crate::checklist::{Checklist, DocumentSource};

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
