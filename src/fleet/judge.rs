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

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use jmespath::ast::Ast;
use jmespath::{Rcvar, Variable};
use serde_json::Value;

use super::query::Kind;
use super::rows::{self, RowSpec};
use super::{ClusterVerdict, NOT_AZURE, NOT_IN_GRAPH, SignoffsWritten, deep_only};
use crate::checklist::{Checklist, DocumentSource};
use crate::engine::SourceDocuments;
use crate::rules::Rule;
use crate::sources::Cause;
use crate::sources::azure::documents::Gathered;
use crate::verdict::{AutoStatus, CheckStatus, ItemResult, Summary, Tally};

/// A JSON value as the rules see it. Moves the strings and builds each object from its
/// already-sorted keys (the serde route inserts key by key and costs twice as much).
pub fn to_variable(value: Value) -> Rcvar {
    Rcvar::new(match value {
        Value::Null => Variable::Null,
        Value::Bool(b) => Variable::Bool(b),
        Value::Number(n) => Variable::Number(n),
        Value::String(s) => Variable::String(s),
        Value::Array(items) => Variable::Array(items.into_iter().map(to_variable).collect()),
        Value::Object(map) => {
            Variable::Object(map.into_iter().map(|(k, v)| (k, to_variable(v))).collect())
        }
    })
}

/// The JSON value back (for sign-offs, which record what was observed).
pub fn to_json(variable: &Rcvar) -> Value {
    serde_json::to_value(&**variable).unwrap_or(Value::Null)
}

/// `/subscriptions/<sub>/resourceGroups/<rg>/…` → (sub, rg).
pub fn scope_of(id: &str) -> (Option<&str>, Option<&str>) {
    let segments: Vec<&str> = id.split('/').filter(|s| !s.is_empty()).collect();
    let after = |key: &str| {
        segments
            .iter()
            .position(|s| s.eq_ignore_ascii_case(key))
            .and_then(|i| segments.get(i + 1).copied())
    };
    (after("subscriptions"), after("resourceGroups"))
}

/// Subscription + resource group, compared case-insensitively.
pub fn group_key(subscription: &str, resource_group: &str) -> (String, String) {
    (
        subscription.to_ascii_lowercase(),
        resource_group.to_ascii_lowercase(),
    )
}

/// One resource from a Resource Graph row, with its document.
#[derive(Debug, Clone)]
pub struct Resource {
    pub id: String,
    pub name: String,
    pub subscription: String,
    pub resource_group: String,
    /// The ARM-shaped document, or why there is none (a row without properties).
    pub doc: Result<Rcvar, Cause>,
    /// The rules' verdicts on it, when judged as it was read (vaults and registries).
    pub verdicts: Option<Verdicts>,
}

fn take_string(map: &mut serde_json::Map<String, Value>, key: &str) -> Option<String> {
    match map.remove(key) {
        Some(Value::String(s)) => Some(s),
        _ => None,
    }
}

/// The parts of a row its document is made of, read before the row is judged.
#[derive(Debug, Clone, Default)]
pub struct Parts {
    /// The columns in [`Parts::HEAD`], as read (`None`: absent).
    pub head: [Option<Rcvar>; 4],
    /// `properties` (its kept keys) when it is an object; `None` when missing, null or of
    /// another type.
    pub properties: Option<BTreeMap<String, Rcvar>>,
    /// `properties.oidcIssuerProfile.issuerURL` (null when absent), whether or not its key is
    /// kept.
    pub issuer: Value,
}

impl Parts {
    /// The top-level columns a document holds beside `id`, `name` and `properties`.
    pub const HEAD: [&'static str; 4] = ["type", "location", "identity", "sku"];
}

/// A Resource Graph row read as far as where it is and the parts of its document (see
/// [`super::rows`]). Its document is put together when it is judged.
#[derive(Debug, Clone)]
pub struct Row {
    pub id: String,
    pub name: String,
    pub subscription: String,
    pub resource_group: String,
    parts: Parts,
}

/// A cluster waiting to be judged.
pub type ClusterRow = Row;

impl Row {
    /// Reads a row with every part of its document (see [`Row::from_value`]).
    pub fn read(row: Value) -> Option<Row> {
        Self::from_value(row, RowSpec::all())
    }

    /// `None` when the row is not an object or has no id (it cannot be placed or named).
    /// Missing `name`, `subscriptionId` or `resourceGroup` columns are taken from the id.
    /// Only the parts of `properties` `spec` keeps are read, and no part of the document
    /// when it asks for none.
    pub fn from_value(row: Value, spec: RowSpec<'_>) -> Option<Row> {
        let Value::Object(mut rest) = row else {
            return None;
        };
        let mut parts = Parts::default();
        if spec.with_document {
            for (slot, key) in parts.head.iter_mut().zip(Parts::HEAD) {
                *slot = rest.remove(key).map(to_variable);
            }
            if let Some(Value::Object(properties)) = rest.remove("properties") {
                parts.issuer = properties
                    .get(rows::ISSUER_PROFILE)
                    .map_or(Value::Null, rows::issuer_of);
                parts.properties = Some(pruned_object(properties, spec.keep));
            }
        }
        Self::from_columns(
            take_string(&mut rest, "id"),
            take_string(&mut rest, "name"),
            take_string(&mut rest, "subscriptionId"),
            take_string(&mut rest, "resourceGroup"),
            parts,
        )
    }

    /// A row from its string columns (`None`: absent or not a string) and parts; `None`
    /// without an id.
    pub fn from_columns(
        id: Option<String>,
        name: Option<String>,
        subscription: Option<String>,
        resource_group: Option<String>,
        parts: Parts,
    ) -> Option<Row> {
        let given = |s: Option<String>| s.filter(|s| !s.is_empty());
        let id = given(id)?;
        let (id_sub, id_rg) = scope_of(&id);
        let (id_sub, id_rg) = (id_sub.map(String::from), id_rg.map(String::from));
        let name =
            given(name).unwrap_or_else(|| id.rsplit('/').next().unwrap_or_default().to_string());
        let subscription = given(subscription).or(id_sub).unwrap_or_default();
        let resource_group = given(resource_group).or(id_rg).unwrap_or_default();
        Some(Row {
            id,
            name,
            subscription,
            resource_group,
            parts,
        })
    }

    /// Whether Resource Graph gave the row its `properties`.
    pub fn has_properties(&self) -> bool {
        self.parts.properties.is_some()
    }

    /// `properties.oidcIssuerProfile.issuerURL` (null when absent).
    pub fn issuer(&self) -> Value {
        self.parts.issuer.clone()
    }

    /// Builds the document (`with_document`; identities only need their id and name) from
    /// the parts read.
    pub fn into_resource(self, with_document: bool) -> Resource {
        let doc = if !with_document {
            Ok(Rcvar::new(Variable::Null))
        } else {
            match self.parts.properties {
                Some(properties) => Ok(document(
                    &self.id,
                    &self.name,
                    self.parts.head,
                    properties,
                )),
                None => Err(Cause::BadResponse {
                    resource: self.id.clone(),
                    detail: "Resource Graph returned it without properties (missing or null); it may be provisioning or being deleted — run again later, or `readiness check` on it".to_string(),
                }),
            }
        };
        Resource {
            id: self.id,
            name: self.name,
            subscription: self.subscription,
            resource_group: self.resource_group,
            doc,
            verdicts: None,
        }
    }
}

/// Reads one row into a resource with its document (see [`Row::from_value`]).
pub fn resource(row: Value, spec: RowSpec<'_>) -> Option<Resource> {
    Row::from_value(row, spec).map(|r| r.into_resource(spec.with_document))
}

/// A JSON value as the rules see it, with only what `keep` reads of it when it is an object
/// (`None`: all of it).
pub fn pruned(value: Value, keep: Option<&Keep>) -> Rcvar {
    match (value, keep) {
        (Value::Object(map), Some(keep)) => {
            Rcvar::new(Variable::Object(pruned_object(map, Some(keep))))
        }
        (value, _) => to_variable(value),
    }
}

fn pruned_object(
    map: serde_json::Map<String, Value>,
    keep: Option<&Keep>,
) -> BTreeMap<String, Rcvar> {
    map.into_iter()
        .filter_map(|(key, value)| match keep {
            None => Some((key, to_variable(value))),
            Some(keep) => keep.get(&key).map(|sub| (key, pruned(value, sub))),
        })
        .collect()
}

/// `{id, name, type, location, identity, sku, properties}`, as an ARM GET shows them.
fn document(
    id: &str,
    name: &str,
    head: [Option<Rcvar>; 4],
    properties: BTreeMap<String, Rcvar>,
) -> Rcvar {
    let mut doc = BTreeMap::new();
    doc.insert(
        "id".to_string(),
        Rcvar::new(Variable::String(id.to_string())),
    );
    doc.insert(
        "name".to_string(),
        Rcvar::new(Variable::String(name.to_string())),
    );
    for (key, value) in Parts::HEAD.into_iter().zip(head) {
        doc.insert(
            key.to_string(),
            value.unwrap_or_else(|| Rcvar::new(Variable::Null)),
        );
    }
    doc.insert(
        "properties".to_string(),
        Rcvar::new(Variable::Object(properties)),
    );
    Rcvar::new(Variable::Object(doc))
}

/// The clusters of one page, and how many rows had no id.
#[derive(Debug, Default)]
pub struct ParsedRows {
    pub rows: Vec<ClusterRow>,
    pub dropped: usize,
}

/// The rows of one page of clusters, read with [`Row::read`].
pub fn cluster_rows(rows: Vec<Value>) -> ParsedRows {
    ParsedRows::from(rows.into_iter().map(Row::read).collect::<Vec<_>>())
}

impl From<Vec<Option<Row>>> for ParsedRows {
    /// The rows of a page as [`super::rows::read_page`] reads them (`None`: no id).
    fn from(rows: Vec<Option<Row>>) -> Self {
        let total = rows.len();
        let rows: Vec<Row> = rows.into_iter().flatten().collect();
        ParsedRows {
            dropped: total - rows.len(),
            rows,
        }
    }
}

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

    /// Builds the indexes from each kind's resources (see [`related_rows`]).
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

    /// Queries each kind (concurrently, within the graph's bound), turning each page into
    /// documents as it arrives.
    pub async fn gather(
        graph: &super::ResourceGraph<'_>,
        scope: &super::Scope,
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

    fn slot_docs(&self, kind: Kind, cluster: &Resource) -> Slot {
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

/// One document a rule reads, or why it is missing.
#[derive(Debug, Clone)]
pub struct Doc {
    pub resource: String,
    pub value: Result<Rcvar, Cause>,
    /// The rules' verdicts when already judged (vaults and registries, once each).
    pub verdicts: Option<Verdicts>,
}

#[derive(Debug, Clone)]
pub enum Slot {
    Docs(Vec<Doc>),
    Skipped(&'static str),
}

/// Every document of one cluster, by source.
#[derive(Debug, Clone, Default)]
pub struct Documents(pub BTreeMap<DocumentSource, Slot>);

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

/// What the rules over each source read of `properties`, so the rest of a row is dropped
/// before it becomes a document (AKS rows carry node pools, identities and status no rule
/// reads; of `addonProfiles` the rules read one add-on). A rule reads a path of fields from
/// the root (`properties.a.b`): the value there is kept whole, and on the way only the keys
/// leading to it. The analysis is conservative: any expression it cannot follow, a rule that
/// reads `properties` as a whole, or a check without `observe` (whose evidence is the whole
/// document) keeps everything. Verdicts and observed evidence are the same either way; a test
/// holds them equal.
#[derive(Debug, Clone, Default)]
pub struct Pruning {
    /// `None`: keep everything.
    keep: BTreeMap<DocumentSource, Option<Keep>>,
}

/// What is read of an object: each key read, whole (`None`) or only in part (`Some`: what is
/// read of it, when it is an object; a value of another type is kept whole).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Keep(BTreeMap<String, Option<Keep>>);

impl Keep {
    /// Records that the value at `path` is read (whole).
    pub fn insert(&mut self, path: &[&str]) {
        let Some((first, rest)) = path.split_first() else {
            return;
        };
        if rest.is_empty() {
            self.0.insert((*first).to_string(), None);
            return;
        }
        if let Some(sub) = self
            .0
            .entry((*first).to_string())
            .or_insert_with(|| Some(Keep::default()))
        {
            sub.insert(rest);
        }
    }

    /// How `key` is read: `None` not at all, `Some(None)` whole, `Some(Some(what))` in part.
    pub fn get(&self, key: &str) -> Option<Option<&Keep>> {
        self.0.get(key).map(Option::as_ref)
    }

    /// The keys read, whole or in part.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.0.keys().map(String::as_str)
    }
}

#[derive(Default)]
struct Needs {
    everything: bool,
    /// Paths read under `properties`.
    properties: Vec<Vec<String>>,
}

/// `a.b.c` (fields only, from the document root) → ["a", "b", "c"].
fn root_path(ast: &Ast) -> Option<Vec<&str>> {
    match ast {
        Ast::Field { name, .. } => Some(vec![name.as_str()]),
        Ast::Subexpr { lhs, rhs, .. } => match rhs.as_ref() {
            Ast::Field { name, .. } => root_path(lhs).map(|mut p| {
                p.push(name.as_str());
                p
            }),
            _ => None,
        },
        _ => None,
    }
}

/// Records what an expression evaluated at the document root reads.
fn walk(ast: &Ast, needs: &mut Needs) {
    if let Some(path) = root_path(ast) {
        match path.as_slice() {
            ["properties"] => needs.everything = true,
            ["properties", rest @ ..] => {
                needs
                    .properties
                    .push(rest.iter().map(|k| (*k).to_string()).collect());
            }
            // Top-level keys other than `properties` are always kept.
            _ => {}
        }
        return;
    }
    match ast {
        // The right-hand side runs on what the left yields, never on the root.
        Ast::Subexpr { lhs, .. } | Ast::Projection { lhs, .. } => walk(lhs, needs),
        Ast::Flatten { node, .. } | Ast::Not { node, .. } | Ast::ObjectValues { node, .. } => {
            walk(node, needs)
        }
        Ast::Comparison { lhs, rhs, .. } | Ast::And { lhs, rhs, .. } | Ast::Or { lhs, rhs, .. } => {
            walk(lhs, needs);
            walk(rhs, needs);
        }
        Ast::Condition {
            predicate, then, ..
        } => {
            walk(predicate, needs);
            walk(then, needs);
        }
        Ast::Function { args, .. } | Ast::MultiList { elements: args, .. } => {
            for arg in args {
                walk(arg, needs);
            }
        }
        Ast::MultiHash { elements, .. } => {
            for kv in elements {
                walk(&kv.value, needs);
            }
        }
        // Literals read nothing; an expression reference runs on elements, not the root.
        Ast::Literal { .. } | Ast::Expref { .. } => {}
        Ast::Identity { .. } | Ast::Index { .. } | Ast::Slice { .. } | Ast::Field { .. } => {
            needs.everything = true
        }
    }
}

impl Pruning {
    pub fn for_checklist(checklist: &Checklist) -> Self {
        let mut keep: BTreeMap<DocumentSource, Option<Keep>> = BTreeMap::new();
        for check in checklist.items.iter().flat_map(|i| i.checks.iter()) {
            let slot = keep
                .entry(check.source)
                .or_insert_with(|| Some(Keep::default()));
            let Some(observe) = &check.observe else {
                *slot = None;
                continue;
            };
            for text in [check.expect.text(), observe.text()] {
                let mut needs = Needs::default();
                match jmespath::parse(text) {
                    Ok(ast) => walk(&ast, &mut needs),
                    Err(_) => needs.everything = true,
                }
                match (needs.everything, slot.as_mut()) {
                    (true, _) => *slot = None,
                    (false, Some(keep)) => {
                        for path in &needs.properties {
                            let path: Vec<&str> = path.iter().map(String::as_str).collect();
                            keep.insert(&path);
                        }
                    }
                    (false, None) => {}
                }
            }
        }
        Self { keep }
    }

    /// Keeps everything (for comparisons).
    pub fn none() -> Self {
        Self::default()
    }

    /// What to keep of `properties` in `kind`'s documents (`None`: all).
    pub fn keep(&self, kind: Kind) -> Option<&Keep> {
        let source = match kind {
            Kind::Clusters => DocumentSource::ArmAks,
            Kind::Vaults => DocumentSource::ArmKeyVault,
            Kind::Registries => DocumentSource::ArmRegistry,
            Kind::Identities => return None,
        };
        self.keep.get(&source).and_then(Option::as_ref)
    }
}

struct Compiled {
    source: DocumentSource,
    rule: Rule,
}

/// One rule's verdict on one document: `Ok(passed)`, or why it could not be evaluated.
pub type Verdict = Result<bool, String>;

/// The verdicts of every rule on one document, by check (`None`: a rule over another source).
pub type Verdicts = Arc<[Option<Verdict>]>;

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
