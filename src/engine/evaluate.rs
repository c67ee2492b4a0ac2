//! Rules over gathered documents → per-check and per-item verdicts.

use std::collections::BTreeMap;

use serde_json::Value;

use super::SourceDocuments;
use crate::checklist::{Check, Checklist, DocumentSource, Item};
use crate::verdict::{CheckResult, CheckStatus, ItemResult, item_status};

/// Observed values longer than this (as JSON) are cut to what the rule reads.
const SMALL_DOCUMENT: usize = 1500;

pub fn evaluate(
    checklist: &Checklist,
    documents: &BTreeMap<DocumentSource, SourceDocuments>,
) -> Vec<ItemResult> {
    checklist
        .items
        .iter()
        .map(|item| evaluate_item(item, documents))
        .collect()
}

/// One item's checks over the documents gathered so far (a missing source is skipped).
pub fn evaluate_item(
    item: &Item,
    documents: &BTreeMap<DocumentSource, SourceDocuments>,
) -> ItemResult {
    let checks: Vec<CheckResult> = item
        .checks
        .iter()
        .flat_map(|check| evaluate_check(check, documents.get(&check.source)))
        .collect();
    ItemResult {
        id: item.id.clone(),
        phase: item.phase,
        status: item_status(&checks),
        checks,
    }
}

fn evaluate_check(check: &Check, documents: Option<&SourceDocuments>) -> Vec<CheckResult> {
    let result = |resource: &str, observed, status, cause: Option<String>| CheckResult {
        source: check.source.as_str(),
        resource: resource.to_string(),
        expect: check.expect.text().to_string(),
        observed,
        status,
        cause,
        explain: check.explain.clone(),
    };
    match documents {
        None => vec![result(
            "",
            Value::Null,
            CheckStatus::Skipped,
            Some("source not gathered".into()),
        )],
        Some(SourceDocuments::NotConfigured(why)) => {
            vec![result(
                "",
                Value::Null,
                CheckStatus::Skipped,
                Some(why.clone()),
            )]
        }
        Some(SourceDocuments::Gathered(docs)) => docs
            .iter()
            .map(|doc| match &doc.outcome {
                Err(cause) => result(
                    &doc.resource,
                    Value::Null,
                    CheckStatus::Error,
                    Some(cause.to_string()),
                ),
                Ok(value) => {
                    let observed = observe(check, value);
                    match check.expect.passes(value) {
                        Ok(true) => result(&doc.resource, observed, CheckStatus::Pass, None),
                        Ok(false) => result(&doc.resource, observed, CheckStatus::Fail, None),
                        Err(e) => result(
                            &doc.resource,
                            observed,
                            CheckStatus::Error,
                            Some(format!(
                                "the rule could not be evaluated on {}: {e}",
                                doc.resource
                            )),
                        ),
                    }
                }
            })
            .collect(),
    }
}

/// The evidence shown beside a verdict: the check's `observe` selection, else the whole
/// document when it is small, else what `expect` yields.
fn observe(check: &Check, document: &Value) -> Value {
    if let Some(rule) = &check.observe {
        return rule.evaluate(document).unwrap_or(Value::Null);
    }
    if document.to_string().len() <= SMALL_DOCUMENT {
        return document.clone();
    }
    check.expect.evaluate(document).unwrap_or(Value::Null)
}
