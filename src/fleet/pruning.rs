//! What of a Resource Graph row the rules read, so the rest is dropped before it becomes a
//! document. The paths an expression reads are found by [`crate::rules::Rule::root_paths`].

use std::collections::BTreeMap;

use jmespath::{Rcvar, Variable};
use serde_json::Value;

use super::kind::Kind;
use super::values::to_variable;
use crate::checklist::{Checklist, DocumentSource};

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
            for rule in [&check.expect, observe] {
                // `properties` whole, or a rule the analysis cannot follow: keep everything.
                let under_properties = rule.root_paths().and_then(|paths| {
                    paths
                        .into_iter()
                        .filter(|p| p.first().is_some_and(|k| k == "properties"))
                        .map(|p| (p.len() > 1).then(|| p[1..].to_vec()))
                        .collect::<Option<Vec<_>>>()
                });
                match (under_properties, slot.as_mut()) {
                    (None, _) => *slot = None,
                    (Some(paths), Some(keep)) => {
                        for path in &paths {
                            let path: Vec<&str> = path.iter().map(String::as_str).collect();
                            keep.insert(&path);
                        }
                    }
                    (Some(_), None) => {}
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

pub fn pruned_object(
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
