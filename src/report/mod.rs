//! Reports other tools read, from the verdicts of one `readiness check`: JUnit XML
//! ([`junit`], for test-result publishers) and SARIF 2.1.0 ([`sarif`], for code scanning).
//! Pure functions of the checklist and the results; the command prints them with
//! `term::out_exact`. Each is validated against its published schema in
//! `tests/it/report_formats.rs`.

mod junit;
mod sarif;

pub use junit::junit;
pub use sarif::{Artifact, sarif};

use crate::checklist::Checklist;
use crate::verdict::{CheckResult, CheckStatus, ItemResult};

/// What a report is made from.
#[derive(Debug, Clone, Copy)]
pub struct Inputs<'a> {
    pub checklist: &'a Checklist,
    pub items: &'a [ItemResult],
    pub checked_at: jiff::Timestamp,
}

/// A JSON value on one line, at most 300 characters (then `…`).
pub fn compact(v: &serde_json::Value) -> String {
    let text = v.to_string();
    if text.chars().count() > 300 {
        format!("{}…", text.chars().take(300).collect::<String>())
    } else {
        text
    }
}

/// A failing check in one sentence: the explanation, the resource and the observed value.
fn failure_text(c: &CheckResult) -> String {
    format!(
        "{} Resource: {} ({}). Observed: {}.",
        c.explain,
        c.resource,
        c.source,
        compact(&c.observed)
    )
}

/// The checks of `item` in `status`.
fn checks_in(item: &ItemResult, status: CheckStatus) -> impl Iterator<Item = &CheckResult> {
    item.checks.iter().filter(move |c| c.status == status)
}
