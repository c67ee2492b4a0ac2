//! The built-in checklist covers the whole seed inventory of the physical-ai-toolchain
//! security material, and its JSON Schema ships with the project.

use crate::common;

use std::collections::BTreeSet;

use readiness::checklist::{self, ChecklistFile, Phase};

/// Every id of the seed inventory's check catalogue (section 5a): the contract between the
/// checklist and sign-off files in the field.
const INVENTORY_IDS: &[&str] = &[
    "net.private-api-server",
    "net.topology-mode",
    "net.private-endpoints",
    "net.public-access-disabled",
    "net.azure-cni",
    "net.network-policy-engine",
    "net.nat-egress",
    "net.egress-filtering",
    "net.nsg-rules",
    "net.no-permissive-firewall",
    "net.service-endpoints",
    "net.ddos-waf",
    "id.aks-managed-identity",
    "id.entra-azure-rbac",
    "id.workload-identity",
    "id.workload-identity-audience",
    "id.managed-identity-scope",
    "id.no-subscription-scope",
    "id.no-owner",
    "id.custom-roles-documented",
    "id.automation-least-privilege",
    "id.user-role-profile",
    "id.no-sp-secrets",
    "sec.kv-csi-driver",
    "sec.kv-access-rotation",
    "sec.kv-purge-protection",
    "sec.secret-policy",
    "sec.storage-shared-key",
    "sec.no-secrets-in-tfvars",
    "sec.no-hardcoded-secrets",
    "sec.no-long-lived-credentials",
    "iac.remote-state-backend",
    "iac.state-not-committed",
    "iac.review-tfvars",
    "iac.static-scan",
    "iac.provider-updates",
    "cmp.defender-for-containers",
    "cmp.azure-policy-addon",
    "cmp.image-vuln-scanning",
    "cmp.image-provenance",
    "cmp.image-patching",
    "k8s.rbac-enabled",
    "k8s.rbac-review",
    "k8s.network-policies",
    "k8s.network-policies-egress",
    "k8s.pod-security-standards",
    "k8s.wi-sa-annotations",
    "osmo.api-auth",
    "osmo.rate-limit-proxy",
    "osmo.mek-in-secret",
    "osmo.service-token-rotation",
    "db.postgres-auth",
    "db.redis-access-keys",
    "aml.inference-tls",
    "mon.aks-security-events",
    "mon.diagnostic-settings",
    "mon.log-retention",
    "gov.security-assessment",
    "gov.subscription-baseline",
    "gov.advisor-security-review",
    "gov.posture-reassessment",
    "gov.compliance-review",
    "gov.production-hardening",
    "gov.pen-testing",
    "gov.incident-response",
    "obs.no-credential-logging",
    "supply.workflow-permissions",
    "misc.mlflow-tmp-config",
];

/// The source rows the checklist must cover, as `sources` tags.
fn required_source_tags() -> Vec<String> {
    let mut tags = Vec::new();
    for row in [
        "net1", "net2", "net3", "net4", "id1", "id2", "id3", "sec1", "sec2", "cont1", "cont2",
        "k8s1", "k8s2",
    ] {
        tags.push(format!("guide:included {row}"));
    }
    tags.extend((1..=5).map(|n| format!("guide:before B{n}")));
    tags.extend((1..=4).map(|n| format!("guide:during D{n}")));
    tags.extend((1..=4).map(|n| format!("guide:maintenance M{n}")));
    tags.extend((1..=10).map(|n| format!("guide:checklist C{n}")));
    for t in [
        "S-1", "S-2", "T-1", "T-2", "T-3", "R-1", "I-1", "I-2", "I-3", "I-4", "I-5", "D-1", "D-2",
        "D-3", "D-4", "E-1", "E-2", "E-3", "E-4",
    ] {
        tags.push(format!("threat:{t}"));
    }
    for group in ["rbac", "net", "sec", "np", "wi", "scan"] {
        tags.extend((1..=4).map(|n| format!("review:{group}{n}")));
    }
    tags
}

#[test]
fn every_inventory_id_is_an_item() {
    let c = checklist::builtin().expect("built-in checklist is valid");
    let ids: BTreeSet<&str> = c.items.iter().map(|i| i.id.as_str()).collect();
    let missing: Vec<_> = INVENTORY_IDS
        .iter()
        .filter(|id| !ids.contains(*id))
        .collect();
    assert!(missing.is_empty(), "missing ids: {missing:?}");
    assert_eq!(INVENTORY_IDS.len(), 68);
}

#[test]
fn every_phase_is_populated_and_items_are_complete() {
    let c = checklist::builtin().unwrap();
    for &phase in Phase::ALL {
        assert!(c.items_in(phase).count() >= 5, "{phase} has too few items");
    }
    for item in &c.items {
        assert!(item.guidance.len() > 150, "{}: guidance too short", item.id);
        assert!(!item.references.is_empty(), "{}: no references", item.id);
        assert!(item.severity.is_some(), "{}: no severity", item.id);
        assert!(!item.sources.is_empty(), "{}: no sources", item.id);
    }
}

#[test]
fn the_items_cover_every_row_of_the_source_material() {
    let c = checklist::builtin().unwrap();
    let tags: BTreeSet<&str> = c
        .items
        .iter()
        .flat_map(|i| i.sources.iter().map(String::as_str))
        .collect();
    let required = required_source_tags();
    assert_eq!(required.len(), 13 + 13 + 10 + 19 + 24);
    let missing: Vec<_> = required
        .iter()
        .filter(|t| !tags.contains(t.as_str()))
        .collect();
    assert!(missing.is_empty(), "source rows not covered: {missing:?}");
}

#[test]
fn the_items_the_auto_check_engine_answers_have_rules() {
    let c = checklist::builtin().unwrap();
    for id in [
        "net.private-api-server",
        "net.azure-cni",
        "net.network-policy-engine",
        "net.nat-egress",
        "id.aks-managed-identity",
        "id.entra-azure-rbac",
        "id.workload-identity",
        "id.workload-identity-audience",
        "sec.kv-csi-driver",
        "sec.kv-purge-protection",
        "sec.kv-access-rotation",
        "net.public-access-disabled",
        "sec.no-long-lived-credentials",
        "k8s.rbac-enabled",
        "cmp.defender-for-containers",
        "cmp.azure-policy-addon",
        "cmp.image-patching",
        "mon.diagnostic-settings",
        "iac.remote-state-backend",
        "iac.state-not-committed",
        "iac.review-tfvars",
        "net.topology-mode",
    ] {
        assert!(
            c.item(id).unwrap().is_automated(),
            "{id} has no automatic check"
        );
    }
}

#[test]
fn the_builtin_checklist_also_reads_as_the_schema_types() {
    // The serde types behind the JSON Schema accept what the loader accepts.
    let parsed: Result<ChecklistFile, _> = toml::from_str(checklist::BUILTIN_TEXT);
    assert!(parsed.is_ok(), "{:?}", parsed.err());
}

#[test]
fn the_shipped_json_schema_is_current() {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas/checklist.schema.json");
    let generated = checklist::json_schema();
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, &generated).unwrap();
    }
    let shipped = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        shipped == generated,
        "schemas/checklist.schema.json is stale: run `readiness checklist schema > schemas/checklist.schema.json`"
    );
}

#[test]
fn checklist_list_json_has_the_pinned_shape() {
    let dir = tempfile::tempdir().unwrap();
    let out = common::stdout_of(common::readiness(dir.path()).args([
        "checklist",
        "list",
        "--format",
        "json",
    ]));
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["id"], "physical-ai-toolchain");
    assert!(v["version"].is_string());
    let items = v["items"].as_array().unwrap();
    assert_eq!(items.len(), checklist::builtin().unwrap().items.len());
    let first = items[0].as_object().unwrap();
    for key in ["id", "phase", "category", "title", "severity", "automated"] {
        assert!(first.contains_key(key), "missing {key}");
    }
    assert!(items.iter().any(|i| i["automated"] == true));
}

#[test]
fn checklist_validate_reports_the_builtin_as_valid() {
    let dir = tempfile::tempdir().unwrap();
    common::readiness(dir.path())
        .args(["checklist", "validate"])
        .assert()
        .success()
        .stdout(predicates::str::contains(
            "valid — checklist physical-ai-toolchain",
        ));
}
