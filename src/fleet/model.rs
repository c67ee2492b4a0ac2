//! The row model: a Resource Graph row read as far as where it is and the parts of its
//! document, the resource it becomes, and a cluster's documents by source, as the rules take
//! them.

use std::collections::BTreeMap;
use std::sync::Arc;

use jmespath::{Rcvar, Variable};
use serde_json::Value;

use super::pruning::{Keep, pruned_object};
use super::values::to_variable;
use crate::checklist::DocumentSource;
use crate::sources::Cause;

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
                    .get(ISSUER_PROFILE)
                    .map_or(Value::Null, issuer_of);
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

/// One rule's verdict on one document: `Ok(passed)`, or why it could not be evaluated.
pub type Verdict = Result<bool, String>;

/// The verdicts of every rule on one document, by check (`None`: a rule over another source).
pub type Verdicts = Arc<[Option<Verdict>]>;

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

/// What to read of each row.
#[derive(Debug, Clone, Copy)]
pub struct RowSpec<'a> {
    /// Whether to read the parts of its document (identities only need where they are and
    /// their names).
    pub with_document: bool,
    /// What to keep of `properties` (`None`: all of it).
    pub keep: Option<&'a Keep>,
}

impl RowSpec<'_> {
    /// Every part of every row.
    pub fn all() -> Self {
        RowSpec {
            with_document: true,
            keep: None,
        }
    }
}

/// The `properties` key holding the cluster's OIDC issuer.
pub const ISSUER_PROFILE: &str = "oidcIssuerProfile";

/// `issuerURL` of an `oidcIssuerProfile` (null when absent).
pub fn issuer_of(profile: &Value) -> Value {
    profile.get("issuerURL").cloned().unwrap_or(Value::Null)
}
