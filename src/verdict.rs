//! Verdicts, the crate's bottom layer: what a check and an item concluded, the one item-status
//! precedence and summary every front end (`check`, both wizards, `fleet`) uses, and the
//! "document or why it is missing" that every source yields. Pure data and functions: no
//! async runtime, no network, no terminal — the sign-off, session and attestation build on
//! it (`tests/it/architecture.rs` holds the core to that).

use std::fmt;

use serde::Serialize;
use serde_json::Value;

use crate::checklist::Phase;

/// One document for the rules, or why it is missing.
#[derive(Debug, Clone)]
pub struct Gathered {
    /// The ARM id, directory or file the document describes.
    pub resource: String,
    pub outcome: Result<Value, Cause>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CheckStatus {
    Pass,
    Fail,
    Error,
    Skipped,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AutoStatus {
    Pass,
    Fail,
    Error,
    Manual,
}

impl AutoStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            AutoStatus::Pass => "pass",
            AutoStatus::Fail => "fail",
            AutoStatus::Error => "error",
            AutoStatus::Manual => "manual",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [
            AutoStatus::Pass,
            AutoStatus::Fail,
            AutoStatus::Error,
            AutoStatus::Manual,
        ]
        .into_iter()
        .find(|s| s.as_str() == text)
    }

    /// Glyph and word, never colour alone.
    pub fn label(self) -> &'static str {
        match self {
            AutoStatus::Pass => "✔ pass",
            AutoStatus::Fail => "✖ fail",
            AutoStatus::Error => "⚠ error",
            AutoStatus::Manual => "○ manual",
        }
    }
}

impl CheckStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            CheckStatus::Pass => "pass",
            CheckStatus::Fail => "fail",
            CheckStatus::Error => "error",
            CheckStatus::Skipped => "skipped",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [
            CheckStatus::Pass,
            CheckStatus::Fail,
            CheckStatus::Error,
            CheckStatus::Skipped,
        ]
        .into_iter()
        .find(|s| s.as_str() == text)
    }
}

/// One rule evaluated over one document.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CheckResult {
    pub source: &'static str,
    pub resource: String,
    pub expect: String,
    pub observed: Value,
    pub status: CheckStatus,
    pub cause: Option<String>,
    #[serde(skip)]
    pub explain: String,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ItemResult {
    pub id: String,
    pub phase: Phase,
    pub status: AutoStatus,
    pub checks: Vec<CheckResult>,
}

impl ItemResult {
    /// An automatic item none of whose sources this run read (`--offline`, no
    /// `--terraform-dir`): `manual` in the summary, but not an item without checks.
    pub fn skipped(&self) -> bool {
        !self.checks.is_empty() && self.checks.iter().all(|c| c.status == CheckStatus::Skipped)
    }

    /// Why its checks were skipped, once each.
    pub fn skip_causes(&self) -> impl Iterator<Item = &str> {
        self.checks
            .iter()
            .filter(|c| c.status == CheckStatus::Skipped)
            .filter_map(|c| c.cause.as_deref())
    }
}

#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq, Eq)]
pub struct Summary {
    pub pass: usize,
    pub fail: usize,
    pub error: usize,
    pub manual: usize,
}

/// The one item-status precedence, accumulated check by check: fail if any check fails,
/// else error if any errs, else pass if any passed; manual when nothing was evaluated.
/// `check`, both wizards and `fleet` (whose fast path tallies without building results) all
/// conclude through it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    pass: bool,
    fail: bool,
    error: bool,
}

impl Tally {
    pub fn add(&mut self, status: CheckStatus) {
        match status {
            CheckStatus::Pass => self.pass = true,
            CheckStatus::Fail => self.fail = true,
            CheckStatus::Error => self.error = true,
            CheckStatus::Skipped => {}
        }
    }

    pub fn status(self) -> AutoStatus {
        if self.fail {
            AutoStatus::Fail
        } else if self.error {
            AutoStatus::Error
        } else if self.pass {
            AutoStatus::Pass
        } else {
            AutoStatus::Manual
        }
    }
}

/// An item's status from its checks ([`Tally`]).
pub fn item_status(checks: &[CheckResult]) -> AutoStatus {
    let mut tally = Tally::default();
    for check in checks {
        tally.add(check.status);
    }
    tally.status()
}

/// How many items ended in each status.
pub fn summarize(statuses: impl IntoIterator<Item = AutoStatus>) -> Summary {
    let mut s = Summary::default();
    for status in statuses {
        match status {
            AutoStatus::Pass => s.pass += 1,
            AutoStatus::Fail => s.fail += 1,
            AutoStatus::Error => s.error += 1,
            AutoStatus::Manual => s.manual += 1,
        }
    }
    s
}

/// Why a document could not be read. Every cause says what to do about it.
#[derive(Debug, Clone, PartialEq)]
pub enum Cause {
    /// 401: no credential, or the token was rejected.
    NotSignedIn { detail: String },
    /// 403: the credential may not read this.
    Forbidden {
        action: Option<String>,
        scope: Option<String>,
        message: String,
    },
    /// 404: the resource (or its group or subscription) does not exist.
    NotFound { resource: String, message: String },
    /// 429 after every retry.
    Throttled { resource: String },
    /// 5xx after every retry, or another unexpected status.
    Http {
        status: u16,
        resource: String,
        message: String,
    },
    /// No answer within `--timeout`.
    Timeout { resource: String, seconds: u64 },
    /// The endpoint could not be reached at all.
    Unreachable { endpoint: String, detail: String },
    /// The answer was not the JSON expected.
    BadResponse { resource: String, detail: String },
    /// The credential could not produce a token.
    Credential { detail: String },
    /// A local source (Terraform, evidence files) could not be read.
    Local { detail: String },
    /// A URL (an id, a `nextLink`) pointed away from the endpoint; refused before any
    /// request, so the token never leaves the endpoint.
    ForeignOrigin { resource: String, origin: String },
    /// The run read as much as it may (`--max-read-mib`, `--max-requests`, or the JSON
    /// values one run keeps).
    Limit { resource: String, detail: String },
}

impl fmt::Display for Cause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Cause::NotSignedIn { detail } => write!(
                f,
                "not signed in to Azure or the token was rejected (401{}); run `az login` (or choose a credential with --auth)",
                if detail.is_empty() {
                    String::new()
                } else {
                    format!(": {detail}")
                }
            ),
            Cause::Forbidden {
                action,
                scope,
                message,
            } => match (action, scope) {
                (Some(action), Some(scope)) => write!(
                    f,
                    "not permitted: the signed-in identity may not perform {action} on {scope}; the Reader role on the resource group (or subscription) allows it"
                ),
                _ => write!(
                    f,
                    "not permitted (403): {message}; the Reader role on the resource group allows reading it"
                ),
            },
            Cause::NotFound { resource, message } => write!(f, "not found: {resource} ({message})"),
            Cause::Throttled { resource } => write!(
                f,
                "throttled by Azure (429) reading {resource}, still after waiting and retrying; run again later"
            ),
            Cause::Http {
                status,
                resource,
                message,
            } => write!(f, "HTTP {status} reading {resource}: {message}"),
            Cause::Timeout { resource, seconds } => write!(
                f,
                "no answer within {seconds} s reading {resource} (raise --timeout if the network is slow)"
            ),
            Cause::Unreachable { endpoint, detail } => {
                write!(f, "cannot reach {endpoint}: {detail}")
            }
            Cause::BadResponse { resource, detail } => {
                write!(f, "unexpected answer reading {resource}: {detail}")
            }
            Cause::Credential { detail } => write!(
                f,
                "could not get an Azure token (sign in with `az login`, or choose a credential with --auth): {detail}"
            ),
            Cause::Local { detail } => f.write_str(detail),
            Cause::ForeignOrigin { resource, origin } => write!(
                f,
                "refused to read {resource}: it points at {origin}, not the endpoint this run talks to (a token is only ever sent to the endpoint)"
            ),
            Cause::Limit { resource, detail } => {
                write!(f, "stopped before reading {resource}: {detail}")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fail_outranks_error_outranks_pass_and_nothing_is_manual() {
        use CheckStatus::*;
        let of = |statuses: &[CheckStatus]| {
            let mut t = Tally::default();
            statuses.iter().for_each(|s| t.add(*s));
            t.status()
        };
        assert_eq!(of(&[Pass, Error, Fail, Skipped]), AutoStatus::Fail);
        assert_eq!(of(&[Pass, Error, Skipped]), AutoStatus::Error);
        assert_eq!(of(&[Skipped, Pass]), AutoStatus::Pass);
        assert_eq!(of(&[Skipped]), AutoStatus::Manual);
        assert_eq!(of(&[]), AutoStatus::Manual);
        let summary = summarize([AutoStatus::Pass, AutoStatus::Fail, AutoStatus::Pass]);
        assert_eq!(
            (summary.pass, summary.fail, summary.error, summary.manual),
            (2, 1, 0, 0)
        );
    }
}
