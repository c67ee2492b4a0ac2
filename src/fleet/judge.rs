//! Resource Graph rows → the ARM-shaped documents (`{id, name, type, location, identity, sku,
//! properties}`) the checklist's `arm:*` rules read, and those rules → one status per item.
//!
//! The verdicts are the engine's ([`crate::engine::evaluate`]): the same rules, concluded
//! through the one precedence ([`crate::verdict::Tally`]: fail, then error, then pass, else
//! manual) and summary ([`crate::verdict::summarize`]). Only the mechanics differ, for speed
//! and memory at fleet scale:
//! - each document is turned into a JMESPath value once and every rule runs over it, instead of
//!   once per rule; a rule that errs is evaluated again through [`crate::rules::Rule`], so its
//!   verdict and message are exactly the engine's;
//! - rows are read straight from the response body, the parts of `properties` no rule reads
//!   dropped unread ([`Pruning`], [`super::rows`]);
//! - a cluster's document is put together when it is judged and dropped right after ([`Row`]);
//! - a vault or registry is judged once, when its page arrives, and only its verdicts are kept
//!   ([`related_rows`]).
//!
//! Tests hold the fast path equal to the engine on every fixture flavour and quirk, with and
//! without pruning.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use jmespath::Rcvar;
use serde_json::Value;

use super::kind::Kind;
use super::model::{ClusterRow, Doc, Documents, Resource, Row, RowSpec, Slot, Verdict, Verdicts};
use super::outcome::{ClusterVerdict, SignoffsWritten};
use super::pruning::Pruning;
use super::related::Related;
use super::rows;
use super::sources::{NOT_AZURE, NOT_IN_GRAPH, deep_only};
use super::values::to_json;
use crate::checklist::{Checklist, DocumentSource};
use crate::engine::SourceDocuments;
use crate::rules::Rule;
use crate::sources::Cause;
use crate::verdict::{AutoStatus, CheckStatus, Gathered, ItemResult, Summary, Tally};

/// What to read of each row of `kind`: the document (not for identities), with only the
/// `properties` keys the rules read.
pub fn row_spec(judge: &Judge, kind: Kind) -> RowSpec<'_> {
    RowSpec {
        with_document: kind != Kind::Identities,
        keep: judge.pruning().keep(kind),
    }
}

/// One page of vaults, registries or identities (read with [`row_spec`]): their resources,
/// and how many rows had no id. Vaults and registries are judged here, once each; their
/// documents are kept only when `keep_documents` (sign-offs record what was observed), so
/// the fleet does not hold thousands of them while its clusters page in.
pub fn related_rows(
    kind: Kind,
    rows: Vec<Option<Row>>,
    judge: &Judge,
    keep_documents: bool,
) -> (Vec<Resource>, usize) {
    let source = match kind {
        Kind::Vaults => Some(DocumentSource::ArmKeyVault),
        Kind::Registries => Some(DocumentSource::ArmRegistry),
        Kind::Clusters | Kind::Identities => None,
    };
    let mut dropped = 0;
    let resources = rows
        .into_iter()
        .filter_map(|row| {
            let Some(row) = row else {
                dropped += 1;
                return None;
            };
            let mut r = row.into_resource(kind != Kind::Identities);
            if let (Some(source), Ok(doc)) = (source, &r.doc) {
                r.verdicts = Some(judge.verdicts(source, doc));
                if !keep_documents {
                    r.doc = Err(Cause::Local {
                        detail: "judged when read; the document was not kept".to_string(),
                    });
                }
            }
            Some(r)
        })
        .collect();
    (resources, dropped)
}

/// Building the related index from Resource Graph pages, judging vaults and registries as
/// their pages arrive.
impl Related {
    /// Builds the indexes from each kind's rows (or why its query failed).
    pub fn from_rows(
        kinds: Vec<(Kind, Result<Vec<Value>, Cause>)>,
        judge: &Judge,
        keep_documents: bool,
    ) -> Self {
        Self::from_resources(
            kinds
                .into_iter()
                .map(|(kind, rows)| {
                    (
                        kind,
                        rows.map(|rows| {
                            let spec = row_spec(judge, kind);
                            let rows = rows
                                .into_iter()
                                .map(|row| Row::from_value(row, spec))
                                .collect();
                            related_rows(kind, rows, judge, keep_documents)
                        }),
                    )
                })
                .collect(),
        )
    }

    /// Queries each kind (concurrently, within the graph's bound), turning each page into
    /// documents as it arrives.
    pub async fn gather(
        graph: &super::query::ResourceGraph<'_>,
        scope: &super::scope::Scope,
        kinds: &[Kind],
        judge: &Arc<Judge>,
        keep_documents: bool,
    ) -> Self {
        let results = futures::future::join_all(kinds.iter().map(|&kind| async move {
            let mut found: Vec<Resource> = Vec::new();
            let mut dropped = 0;
            let spec = row_spec(judge, kind);
            let read = |body: &[u8]| rows::read_page(body, spec);
            let outcome = graph
                .each_page(kind, scope, read, async |page| {
                    let judge = judge.clone();
                    match tokio::task::spawn_blocking(move || {
                        related_rows(kind, page.rows, &judge, keep_documents)
                    })
                    .await
                    {
                        Ok((resources, d)) => {
                            found.extend(resources);
                            dropped += d;
                            true
                        }
                        Err(_) => false,
                    }
                })
                .await;
            (kind, outcome.map(|_| (found, dropped)))
        }))
        .await;
        Related::from_resources(results)
    }
}

/// What a run reads.
#[derive(Debug, Clone)]
pub struct Plan {
    pub needed: BTreeSet<DocumentSource>,
    pub deep: bool,
}

/// The documents of one cluster: its own, its resource group's vaults and registries, and
/// (with `--deep`) what was read per resource.
pub fn assemble(
    plan: &Plan,
    related: &Related,
    cluster: &Resource,
    deep: Option<Vec<(DocumentSource, Vec<Doc>)>>,
) -> Documents {
    let mut deep: BTreeMap<DocumentSource, Vec<Doc>> =
        deep.unwrap_or_default().into_iter().collect();
    let mut docs = BTreeMap::new();
    for &source in &plan.needed {
        let slot = match source {
            DocumentSource::ArmAks => Slot::Docs(vec![Doc {
                resource: cluster.id.clone(),
                value: cluster.doc.clone(),
                verdicts: None,
            }]),
            DocumentSource::ArmKeyVault => related.slot_docs(Kind::Vaults, cluster),
            DocumentSource::ArmRegistry => related.slot_docs(Kind::Registries, cluster),
            s if deep_only(s) => match deep.remove(&s) {
                Some(list) if plan.deep => Slot::Docs(list),
                _ => Slot::Skipped(NOT_IN_GRAPH),
            },
            _ => Slot::Skipped(NOT_AZURE),
        };
        docs.insert(source, slot);
    }
    Documents(docs)
}

/// The documents as the engine takes them (for sign-offs, which record the engine's
/// results with what was observed).
pub fn engine_documents(docs: &Documents) -> BTreeMap<DocumentSource, SourceDocuments> {
    docs.0
        .iter()
        .map(|(source, slot)| {
            let converted = match slot {
                Slot::Skipped(why) => SourceDocuments::NotConfigured(why.to_string()),
                Slot::Docs(list) => SourceDocuments::Gathered(
                    list.iter()
                        .map(|d| Gathered {
                            resource: d.resource.clone(),
                            outcome: d.value.as_ref().map(to_json).map_err(Clone::clone),
                        })
                        .collect(),
                ),
            };
            (*source, converted)
        })
        .collect()
}

struct Compiled {
    source: DocumentSource,
    rule: Rule,
}

/// The checklist's rules, ready to run over many clusters.
pub struct Judge {
    /// Every check of the checklist, in order.
    checks: Vec<Compiled>,
    /// The checks of each item (ranges into `checks`), in checklist order.
    items: Vec<std::ops::Range<usize>>,
    pruning: Pruning,
}

/// Distinct problems kept per cluster.
const MAX_PROBLEMS: usize = 5;

impl Judge {
    pub fn new(checklist: &Checklist) -> Self {
        let mut checks = Vec::new();
        let mut items = Vec::new();
        for item in &checklist.items {
            let start = checks.len();
            checks.extend(item.checks.iter().map(|check| Compiled {
                source: check.source,
                rule: check.expect.clone(),
            }));
            items.push(start..checks.len());
        }
        Self {
            checks,
            items,
            pruning: Pruning::for_checklist(checklist),
        }
    }

    pub fn pruning(&self) -> &Pruning {
        &self.pruning
    }

    /// The same rules with another pruning (e.g. [`Pruning::none`] to keep whole documents).
    pub fn with_pruning(mut self, pruning: Pruning) -> Self {
        self.pruning = pruning;
        self
    }

    fn run(&self, check: &Compiled, doc: &Rcvar) -> Verdict {
        // A rule that errs is evaluated again the engine's way, so its message is the engine's.
        check
            .rule
            .passes_variable(doc)
            .or_else(|_| check.rule.passes(&to_json(doc)))
    }

    /// Every rule over `source` applied to one document, once: a vault or registry shared by
    /// the clusters of its resource group is judged once, not once per cluster.
    pub fn verdicts(&self, source: DocumentSource, doc: &Rcvar) -> Verdicts {
        self.checks
            .iter()
            .map(|check| (check.source == source).then(|| self.run(check, doc)))
            .collect()
    }

    /// One status per checklist item, and the distinct reasons some checks could not run.
    pub fn judge(&self, docs: &Documents) -> (Vec<AutoStatus>, Vec<String>) {
        let mut problems: Vec<String> = Vec::new();
        let mut note = |text: String| {
            if problems.len() < MAX_PROBLEMS && !problems.contains(&text) {
                problems.push(text);
            }
        };
        let statuses = self
            .items
            .iter()
            .map(|range| {
                let mut tally = Tally::default();
                for index in range.clone() {
                    let check = &self.checks[index];
                    let Some(Slot::Docs(list)) = docs.0.get(&check.source) else {
                        continue; // skipped
                    };
                    for doc in list {
                        let known = doc
                            .verdicts
                            .as_ref()
                            .and_then(|v| v.get(index).cloned().flatten());
                        let verdict = match (known, &doc.value) {
                            (Some(verdict), _) => verdict,
                            (None, Err(cause)) => {
                                note(cause.to_string());
                                tally.add(CheckStatus::Error);
                                continue;
                            }
                            (None, Ok(v)) => self.run(check, v),
                        };
                        match verdict {
                            Ok(true) => tally.add(CheckStatus::Pass),
                            Ok(false) => tally.add(CheckStatus::Fail),
                            Err(e) => {
                                note(format!(
                                    "the rule could not be evaluated on {}: {e}",
                                    doc.resource
                                ));
                                tally.add(CheckStatus::Error);
                            }
                        }
                    }
                }
                tally.status()
            })
            .collect();
        (statuses, problems)
    }
}

/// The distinct reasons some checks could not run, in checklist order, as [`Judge::judge`]
/// reports them for the fast path.
fn problems_of(results: &[ItemResult]) -> Vec<String> {
    let mut problems: Vec<String> = Vec::new();
    let causes = results
        .iter()
        .flat_map(|r| &r.checks)
        .filter(|c| c.status == CheckStatus::Error)
        .filter_map(|c| c.cause.clone());
    for cause in causes {
        if problems.len() < MAX_PROBLEMS && !problems.contains(&cause) {
            problems.push(cause);
        }
    }
    problems
}

/// The summary of one cluster's item statuses (the shared [`crate::verdict::summarize`]).
pub fn summary_of(statuses: &[AutoStatus]) -> Summary {
    crate::verdict::summarize(statuses.iter().copied())
}

/// Judges one page of clusters (and writes their sign-offs when asked).
pub fn judge_page(
    judge: &Judge,
    plan: &Plan,
    related: &Related,
    clusters: Vec<ClusterRow>,
    deep: Vec<Vec<(DocumentSource, Vec<Doc>)>>,
    writer: Option<&super::output::Writer>,
) -> (Vec<ClusterVerdict>, SignoffsWritten) {
    let mut written = SignoffsWritten::default();
    let mut deep = deep.into_iter();
    let verdicts = clusters
        .into_iter()
        .map(|row| {
            // One cluster at a time: its document is built, judged and dropped.
            let cluster = row.into_resource(true);
            let docs = assemble(plan, related, &cluster, deep.next());
            let (statuses, problems) = match writer {
                // A sign-off records what was observed, so a cluster whose sign-off is written
                // is judged by the engine itself, once: its results are recorded and its
                // statuses reported. The others take the fast path.
                Some(writer) => {
                    let results =
                        crate::engine::evaluate(writer.checklist(), &engine_documents(&docs));
                    match writer.write(&cluster, related, &results) {
                        Ok(w) => {
                            written.written += 1;
                            written.warnings.extend(w.warning);
                        }
                        Err(refused) => written.refused.push(refused),
                    }
                    (
                        results.iter().map(|r| r.status).collect(),
                        problems_of(&results),
                    )
                }
                None => judge.judge(&docs),
            };
            ClusterVerdict {
                summary: summary_of(&statuses),
                id: cluster.id,
                name: cluster.name,
                subscription: cluster.subscription,
                resource_group: cluster.resource_group,
                statuses,
                problems,
            }
        })
        .collect();
    (verdicts, written)
}

#[cfg(test)]
mod tests {
    use super::super::model::*;
    use super::super::pruning::*;
    use super::*;
    use serde_json::json;

    fn fixture(rel: &str) -> Value {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data/arm")
            .join(rel);
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
    }

    /// An ARM GET document as Resource Graph returns it: lower-case type, the scope columns.
    fn as_row(mut doc: Value, sub: &str, rg: &str) -> Value {
        let ty = doc["type"]
            .as_str()
            .unwrap_or_default()
            .to_ascii_lowercase();
        doc["type"] = json!(ty);
        doc["subscriptionId"] = json!(sub);
        doc["resourceGroup"] = json!(rg);
        doc
    }

    fn plan(checklist: &Checklist) -> Plan {
        Plan {
            needed: super::super::needed_sources(checklist),
            deep: false,
        }
    }

    fn cluster(doc: Value, pruning: &Pruning) -> Resource {
        let spec = RowSpec {
            with_document: true,
            keep: pruning.keep(Kind::Clusters),
        };
        resource(as_row(doc, "s", "r"), spec).unwrap()
    }

    #[test]
    fn rows_become_arm_shaped_documents() {
        let row = json!({
            "id": "/subscriptions/S/resourcegroups/rg1/providers/microsoft.containerservice/managedclusters/c1",
            "name": "c1", "type": "microsoft.containerservice/managedclusters", "location": "eastus",
            "subscriptionId": "S", "resourceGroup": "rg1", "tenantId": "t", "tags": {"a": "b"},
            "identity": {"type": "SystemAssigned"}, "sku": null,
            "properties": {"enableRBAC": true, "oidcIssuerProfile": {"issuerURL": "https://issuer/"}}
        });
        let head = Row::read(row).unwrap();
        assert!(head.has_properties());
        assert_eq!(head.issuer(), json!("https://issuer/"));
        let r = head.into_resource(true);
        let doc = to_json(r.doc.as_ref().unwrap());
        let keys: Vec<&str> = doc
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            keys,
            [
                "id",
                "identity",
                "location",
                "name",
                "properties",
                "sku",
                "type"
            ]
        );
        assert_eq!(doc["identity"]["type"], "SystemAssigned");
        assert_eq!(doc["properties"]["enableRBAC"], true);
        assert_eq!(
            (r.subscription.as_str(), r.resource_group.as_str()),
            ("S", "rg1")
        );
    }

    #[test]
    fn missing_scope_columns_come_from_the_id_and_rows_without_id_are_dropped() {
        let r = resource(
            json!({"id": "/subscriptions/S2/resourceGroups/RG-X/providers/Microsoft.KeyVault/vaults/kv", "properties": {}}),
            RowSpec::all(),
        )
        .unwrap();
        assert_eq!(
            (
                r.name.as_str(),
                r.subscription.as_str(),
                r.resource_group.as_str()
            ),
            ("kv", "S2", "RG-X")
        );
        let parsed = cluster_rows(vec![
            json!({"name": "no-id"}),
            json!(null),
            json!({"id": "/subscriptions/a/resourceGroups/b/x/c", "properties": {}}),
        ]);
        assert_eq!((parsed.rows.len(), parsed.dropped), (1, 2));
    }

    #[test]
    fn rows_without_properties_are_errors_not_failures() {
        let checklist = crate::checklist::builtin().unwrap();
        let judge = Judge::new(&checklist);
        for row in [
            json!({"id": "/subscriptions/s/resourceGroups/rg/providers/p/c", "properties": null}),
            json!({"id": "/subscriptions/s/resourceGroups/rg/providers/p/c"}),
        ] {
            let head = Row::read(row).unwrap();
            assert!(!head.has_properties());
            let cluster = head.into_resource(true);
            assert!(cluster.doc.is_err());
            let docs = assemble(&plan(&checklist), &Related::default(), &cluster, None);
            let (statuses, problems) = judge.judge(&docs);
            let private = checklist
                .items
                .iter()
                .position(|i| i.id == "net.private-api-server")
                .unwrap();
            assert_eq!(statuses[private], AutoStatus::Error);
            assert!(!statuses.contains(&AutoStatus::Fail), "{statuses:?}");
            assert!(
                problems.iter().any(|p| p.contains("without properties")),
                "{problems:?}"
            );
        }
    }

    #[test]
    fn vaults_and_registries_match_by_resource_group_ignoring_case() {
        let checklist = crate::checklist::builtin().unwrap();
        let related = Related::from_rows(
            vec![
                (
                    Kind::Vaults,
                    Ok(vec![as_row(
                        fixture("hardened/key-vault.json"),
                        "SUB-A",
                        "RG-ONE",
                    )]),
                ),
                (Kind::Registries, Ok(vec![])),
            ],
            &Judge::new(&checklist),
            false,
        );
        assert_eq!(
            related
                .resources(Kind::Vaults, "sub-a", "rg-one")
                .unwrap()
                .len(),
            1
        );
        let missing = related
            .resources(Kind::Registries, "sub-a", "rg-one")
            .unwrap_err();
        assert!(matches!(missing.value, Err(Cause::NotFound { .. })));
        assert!(related.resources(Kind::Vaults, "sub-b", "rg-one").is_err());
    }

    /// (cluster, vault, registry) documents covering every flavour and quirk.
    fn cases() -> Vec<(Value, Value, Value)> {
        let mut cases: Vec<(Value, Value, Value)> = Vec::new();
        for flavour in ["hardened", "broken"] {
            cases.push((
                fixture(&format!("{flavour}/managed-cluster.json")),
                fixture(&format!("{flavour}/key-vault.json")),
                fixture(&format!("{flavour}/registry.json")),
            ));
        }
        for q in [
            "quirks/managed-cluster-camelcase-azurePolicy.json",
            "quirks/managed-cluster-enum-casing.json",
            "quirks/managed-cluster-nulls.json",
            "quirks/managed-cluster-string-booleans.json",
        ] {
            cases.push((
                fixture(q),
                fixture("quirks/key-vault-absent-flags.json"),
                fixture("quirks/registry-no-anonymous-key.json"),
            ));
        }
        cases.push((
            fixture("hardened/managed-cluster.json"),
            fixture("quirks/key-vault-acls-deny-no-pna.json"),
            json!({"id": "/subscriptions/s/resourceGroups/r/providers/x/acr", "properties": {"privateEndpointConnections": "not-a-list"}}),
        ));
        cases
    }

    /// The documents of one case; `keep_documents` as with `--output`.
    fn documents(
        case: &(Value, Value, Value),
        judge: &Judge,
        checklist: &Checklist,
        keep_documents: bool,
    ) -> Documents {
        let (aks, kv, acr) = case.clone();
        let related = Related::from_rows(
            vec![
                (Kind::Vaults, Ok(vec![as_row(kv, "s", "r")])),
                (Kind::Registries, Ok(vec![as_row(acr, "s", "r")])),
            ],
            judge,
            keep_documents,
        );
        assemble(
            &plan(checklist),
            &related,
            &cluster(aks, judge.pruning()),
            None,
        )
    }

    /// The fast path gives the engine's verdict for every item, on every fixture flavour
    /// and quirk.
    #[test]
    fn verdicts_equal_the_engine_on_every_fixture() {
        let checklist = crate::checklist::builtin().unwrap();
        let judge = Judge::new(&checklist);
        for case in cases() {
            let kept = documents(&case, &judge, &checklist, true);
            let engine: Vec<AutoStatus> =
                crate::engine::evaluate(&checklist, &engine_documents(&kept))
                    .iter()
                    .map(|i| i.status)
                    .collect();
            // Vaults and registries judged as read, whether their documents are kept or not.
            for keep_documents in [true, false] {
                let docs = documents(&case, &judge, &checklist, keep_documents);
                let (fast, _) = judge.judge(&docs);
                assert_eq!(
                    fast, engine,
                    "{} (documents kept: {keep_documents})",
                    case.0["id"]
                );
            }
        }
    }

    /// Dropping the `properties` keys no rule reads changes no verdict and no observed value.
    #[test]
    fn pruned_documents_give_the_same_results_and_evidence() {
        let checklist = crate::checklist::builtin().unwrap();
        let pruning = Pruning::for_checklist(&checklist);
        let aks = pruning
            .keep(Kind::Clusters)
            .expect("the built-in AKS rules are analysable");
        for key in [
            "apiServerAccessProfile",
            "networkProfile",
            "aadProfile",
            "addonProfiles",
            "enableRBAC",
        ] {
            assert!(aks.get(key).is_some(), "{key}: {aks:?}");
        }
        assert!(aks.get("agentPoolProfiles").is_none(), "{aks:?}");
        // Of the add-ons, only what the rules read: their `enabled` flags and a few settings,
        // not the identities ARM gives each.
        let addons = aks.get("addonProfiles").flatten().expect("read in part");
        assert!(
            addons.keys().any(|k| k == "azureKeyvaultSecretsProvider"),
            "{addons:?}"
        );
        let hardened = cluster(fixture("hardened/managed-cluster.json"), &pruning);
        let doc = to_json(hardened.doc.as_ref().unwrap());
        let provider = &doc["properties"]["addonProfiles"]["azureKeyvaultSecretsProvider"];
        assert_eq!(provider["enabled"], true, "{doc}");
        assert!(provider.get("identity").is_none(), "{doc}");
        let whole = cluster(fixture("hardened/managed-cluster.json"), &Pruning::none());
        let whole = to_json(whole.doc.as_ref().unwrap());
        assert!(
            whole["properties"]["addonProfiles"]["azureKeyvaultSecretsProvider"]
                .get("identity")
                .is_some()
        );
        assert!(pruning.keep(Kind::Vaults).is_some() && pruning.keep(Kind::Registries).is_some());
        let (pruned_judge, whole_judge) = (
            Judge::new(&checklist),
            Judge::new(&checklist).with_pruning(Pruning::none()),
        );
        for case in cases() {
            let full = crate::engine::evaluate(
                &checklist,
                &engine_documents(&documents(&case, &whole_judge, &checklist, true)),
            );
            let pruned = crate::engine::evaluate(
                &checklist,
                &engine_documents(&documents(&case, &pruned_judge, &checklist, true)),
            );
            for (a, b) in full.iter().zip(&pruned) {
                assert_eq!(a.status, b.status, "{}", a.id);
                assert_eq!(a.checks, b.checks, "{}", a.id);
            }
        }
    }

    #[test]
    fn pruning_keeps_everything_when_a_rule_reads_the_whole_document() {
        let text = |expect: &str, observe: Option<&str>| {
            format!(
                "schema_version = 1\nid = \"t\"\ntitle = \"t\"\nversion = \"1\"\n\n[[items]]\nid = \"a.b\"\nphase = \"before-deployment\"\ncategory = \"x\"\ntitle = \"t\"\nguidance = \"g\"\n\n[[items.checks]]\nsource = \"arm:aks\"\nexpect = {expect:?}\n{}explain = \"e\"\n",
                observe
                    .map(|o| format!("observe = {o:?}\n"))
                    .unwrap_or_default()
            )
        };
        let keep = |expect: &str, observe: Option<&str>| {
            let checklist = crate::checklist::load_str("t.toml", &text(expect, observe)).unwrap();
            Pruning::for_checklist(&checklist)
                .keep(Kind::Clusters)
                .cloned()
        };
        let paths = |paths: &[&[&str]]| {
            let mut keep = Keep::default();
            for path in paths {
                keep.insert(path);
            }
            Some(keep)
        };
        assert_eq!(
            keep("properties.a.b == `true`", Some("{x: properties.c}")),
            paths(&[&["a", "b"], &["c"]])
        );
        // A value read whole keeps all of it, whichever rule reads it first.
        let whole = paths(&[&["a"]]);
        assert_eq!(
            keep("properties.a.b == `true`", Some("keys(properties.a)")),
            whole
        );
        assert_eq!(
            keep("properties.a == `{}`", Some("properties.a.b.c")),
            whole
        );
        assert_eq!(
            keep("properties.a.b.c == `1`", Some("properties.a | b")),
            paths(&[&["a", "b"]])
        );
        // Lists are kept whole: their elements are read by what runs over them.
        assert_eq!(
            keep(
                "length(properties.l[?x == `1`]) > `0`",
                Some("identity.type")
            ),
            paths(&[&["l"]])
        );
        assert_eq!(
            keep("properties.l == `[]`", Some("length(properties.m[].y)")),
            paths(&[&["l"], &["m"]])
        );
        assert_eq!(
            keep("properties.a == `true`", None),
            None,
            "no observe: the whole document is evidence"
        );
        assert_eq!(keep("keys(properties) == `[]`", Some("name")), None);
        assert_eq!(keep("length(@) > `0`", Some("name")), None);
        assert_eq!(keep("properties.* | length(@) > `0`", Some("name")), None);
    }

    #[test]
    fn sources_outside_the_graph_are_skipped_without_deep() {
        let checklist = crate::checklist::builtin().unwrap();
        let cluster = cluster(fixture("hardened/managed-cluster.json"), &Pruning::none());
        let docs = assemble(&plan(&checklist), &Related::default(), &cluster, None);
        assert!(
            matches!(docs.0[&DocumentSource::ArmAksDiagnosticSettings], Slot::Skipped(why) if why.contains("--deep"))
        );
        assert!(matches!(
            docs.0[&DocumentSource::TerraformVariables],
            Slot::Skipped(_)
        ));
        let (statuses, _) = Judge::new(&checklist).judge(&docs);
        let diag = checklist
            .items
            .iter()
            .position(|i| i.id == "mon.diagnostic-settings")
            .unwrap();
        assert_eq!(statuses[diag], AutoStatus::Manual);
    }
}
