//! The sign-off file: every answer, who gave it and when, and the signature block.
//!
//! Plain TOML that lives in git. It is read with positions for every problem (`read`),
//! rewritten in place so comments and layout the user added survive (`write`), and saved
//! atomically (`store`).

pub mod format;
mod read;
pub mod store;
mod write;

pub use read::parse;
pub use write::render;

use std::collections::BTreeMap;
use std::fmt;

use jiff::Timestamp;
use jiff::civil::Date;
use serde::Serialize;

pub const SCHEMA_VERSION: i64 = 1;
pub const DEFAULT_PATH: &str = "readiness-signoff.toml";

#[derive(Debug, Clone, Default, PartialEq)]
pub struct SignOff {
    pub checklist: ChecklistRef,
    pub target: Target,
    /// Answers by item id (sorted, so the file diffs cleanly).
    pub items: BTreeMap<String, Answer>,
    /// The last recorded automatic result per item (`[items."<id>".auto]`).
    pub auto: BTreeMap<String, AutoRecord>,
    pub signoff: Option<Signature>,
}

/// Which checklist the answers were given against.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ChecklistRef {
    pub id: String,
    pub version: String,
    pub sha256: String,
}

/// The deployment the sign-off is about; every field optional.
// Deserialize and JsonSchema serve the schema types in `format` (named as the file's
// other tables there); the file itself is read with positions by `read`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "TargetFile")]
pub struct Target {
    pub name: Option<String>,
    pub environment: Option<String>,
    pub subscription: Option<String>,
    pub resource_group: Option<String>,
    pub cluster: Option<String>,
    pub key_vault: Option<String>,
    pub registry: Option<String>,
}

impl Target {
    /// Field names in file order, with accessors, so readers and writers stay in step.
    pub const FIELDS: [&'static str; 7] = [
        "name",
        "environment",
        "subscription",
        "resource_group",
        "cluster",
        "key_vault",
        "registry",
    ];

    pub fn field(&self, name: &str) -> Option<&String> {
        match name {
            "name" => self.name.as_ref(),
            "environment" => self.environment.as_ref(),
            "subscription" => self.subscription.as_ref(),
            "resource_group" => self.resource_group.as_ref(),
            "cluster" => self.cluster.as_ref(),
            "key_vault" => self.key_vault.as_ref(),
            "registry" => self.registry.as_ref(),
            _ => None,
        }
    }

    pub fn field_mut(&mut self, name: &str) -> Option<&mut Option<String>> {
        match name {
            "name" => Some(&mut self.name),
            "environment" => Some(&mut self.environment),
            "subscription" => Some(&mut self.subscription),
            "resource_group" => Some(&mut self.resource_group),
            "cluster" => Some(&mut self.cluster),
            "key_vault" => Some(&mut self.key_vault),
            "registry" => Some(&mut self.registry),
            _ => None,
        }
    }
}

/// One recorded answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    pub status: Status,
    pub note: String,
    pub evidence: Vec<String>,
    pub answered_by: String,
    pub answered_at: Timestamp,
    /// Required for a risk acceptance.
    pub justification: Option<String>,
    /// Required for a risk acceptance: the last day it holds.
    pub expires: Option<Date>,
    /// Digest of the item content that was answered (title, guidance, rules).
    pub item_sha256: Option<String>,
    /// Why the operator's status differs from the automatic result they were shown.
    pub override_reason: Option<String>,
}

/// What the automatic checks observed for an item, as recorded by `check --record`.
#[derive(Debug, Clone, PartialEq)]
pub struct AutoRecord {
    pub status: crate::verdict::AutoStatus,
    pub checked_at: Timestamp,
    pub checks: Vec<AutoCheck>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AutoCheck {
    pub source: String,
    pub resource: String,
    pub expect: String,
    /// The observed JSON, as compact JSON text (TOML has no null).
    pub observed: String,
    pub status: crate::verdict::CheckStatus,
    pub cause: Option<String>,
}

impl AutoRecord {
    pub fn from_result(result: &crate::verdict::ItemResult, checked_at: Timestamp) -> Self {
        Self {
            status: result.status,
            checked_at,
            checks: result
                .checks
                .iter()
                .map(|c| AutoCheck {
                    source: c.source.to_string(),
                    resource: c.resource.clone(),
                    expect: c.expect.clone(),
                    observed: c.observed.to_string(),
                    status: c.status,
                    cause: c.cause.clone(),
                })
                .collect(),
        }
    }
}

/// Makes the sign-off follow `checklist`, as every save does: it records that checklist's id,
/// version and digest, and drops answers and results for items the checklist no longer has.
pub fn follow_checklist(signoff: &mut SignOff, checklist: &crate::checklist::Checklist) {
    let known: std::collections::HashSet<&str> =
        checklist.items.iter().map(|i| i.id.as_str()).collect();
    signoff.items.retain(|id, _| known.contains(id.as_str()));
    signoff.auto.retain(|id, _| known.contains(id.as_str()));
    signoff.checklist = ChecklistRef {
        id: checklist.id.clone(),
        version: checklist.version.clone(),
        sha256: checklist.sha256.clone(),
    };
}

/// The results worth recording from a run: every item with at least one evaluated check.
pub fn auto_records(
    items: &[crate::verdict::ItemResult],
    checked_at: Timestamp,
) -> Vec<(String, AutoRecord)> {
    items
        .iter()
        .filter(|i| {
            i.checks
                .iter()
                .any(|c| c.status != crate::verdict::CheckStatus::Skipped)
        })
        .map(|i| (i.id.clone(), AutoRecord::from_result(i, checked_at)))
        .collect()
}

/// A manual answer that the latest automatic result contradicts (a pass the checks fail).
pub fn contradicted(answer: Option<&Answer>, auto: Option<&AutoRecord>) -> bool {
    matches!(
        (answer.map(|a| a.status), auto.map(|a| a.status)),
        (Some(Status::Pass), Some(crate::verdict::AutoStatus::Fail))
    )
}

#[derive(Debug, Clone, PartialEq)]
pub struct Signature {
    pub name: String,
    pub role: String,
    pub signed_at: Timestamp,
    /// Who the SSH signature in `<signoff>.sig` claims to be (`sign --key --principal`).
    pub principal: Option<String>,
    /// The signing key's fingerprint, `SHA256:…` (`sign --key`).
    pub key_fingerprint: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    Pass,
    Fail,
    NotApplicable,
    RiskAccepted,
}

impl Status {
    pub const ALL: [Status; 4] = [
        Status::Pass,
        Status::Fail,
        Status::NotApplicable,
        Status::RiskAccepted,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Fail => "fail",
            Status::NotApplicable => "not-applicable",
            Status::RiskAccepted => "risk-accepted",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }

    pub fn mark(self) -> Mark {
        match self {
            Status::Pass => Mark::Pass,
            Status::Fail => Mark::Fail,
            Status::NotApplicable => Mark::NotApplicable,
            Status::RiskAccepted => Mark::RiskAccepted,
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What an item shows: an answer's status, or open when unanswered. Never colour alone:
/// every mark has a glyph and a word.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Mark {
    Pass,
    Fail,
    NotApplicable,
    RiskAccepted,
    Open,
}

impl Mark {
    pub const ALL: [Mark; 5] = [
        Mark::Pass,
        Mark::Fail,
        Mark::NotApplicable,
        Mark::RiskAccepted,
        Mark::Open,
    ];

    pub fn glyph(self) -> &'static str {
        match self {
            Mark::Pass => "✔",
            Mark::Fail => "✖",
            Mark::NotApplicable => "–",
            Mark::RiskAccepted => "≈",
            Mark::Open => "○",
        }
    }

    pub fn word(self) -> &'static str {
        match self {
            Mark::Pass => "pass",
            Mark::Fail => "fail",
            Mark::NotApplicable => "n/a",
            Mark::RiskAccepted => "risk accepted",
            Mark::Open => "open",
        }
    }

    pub fn key(self) -> &'static str {
        match self {
            Mark::Pass => "pass",
            Mark::Fail => "fail",
            Mark::NotApplicable => "not-applicable",
            Mark::RiskAccepted => "risk-accepted",
            Mark::Open => "open",
        }
    }
}

/// Where an open action stands in the lists reviewers read: the most severe first, failures
/// before items not answered yet; sort stably, so checklist order breaks ties.
pub fn open_action_rank(
    severity: Option<crate::checklist::Severity>,
    mark: Mark,
) -> (std::cmp::Reverse<Option<crate::checklist::Severity>>, bool) {
    (std::cmp::Reverse(severity), mark != Mark::Fail)
}

impl fmt::Display for Mark {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.glyph(), self.word())
    }
}

impl SignOff {
    pub fn mark(&self, item_id: &str) -> Mark {
        self.items
            .get(item_id)
            .map_or(Mark::Open, |a| a.status.mark())
    }
}

#[cfg(test)]
mod tests {
    use super::{Mark, open_action_rank};
    use crate::checklist::Severity;

    #[test]
    fn open_actions_rank_the_most_severe_first_then_failures() {
        let mut actions = [
            ("unrated", None, Mark::Open),
            ("medium open", Some(Severity::Medium), Mark::Open),
            ("low fail", Some(Severity::Low), Mark::Fail),
            ("medium fail", Some(Severity::Medium), Mark::Fail),
            ("critical open", Some(Severity::Critical), Mark::Open),
            ("medium open 2", Some(Severity::Medium), Mark::Open),
        ];
        actions.sort_by_key(|(_, severity, mark)| open_action_rank(*severity, *mark));
        let order: Vec<&str> = actions.iter().map(|(name, ..)| *name).collect();
        assert_eq!(
            order,
            [
                "critical open",
                "medium fail",
                "medium open",
                "medium open 2",
                "low fail",
                "unrated"
            ]
        );
    }
}
