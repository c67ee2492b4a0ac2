//! Does an attestation still describe the sign-off beside it?

use std::collections::BTreeMap;

use super::{DIGEST_PREFIX, STATUSES_MARKER, sha256_hex};
use crate::checklist::Checklist;
use crate::signoff::SignOff;

#[derive(Debug, Default)]
pub struct VerifyOutcome {
    /// Everything that does not hold; empty means verified.
    pub problems: Vec<String>,
}

impl VerifyOutcome {
    pub fn ok(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Checks the attestation's digest line against the exact sign-off bytes, names the answers
/// that changed since rendering, and checks the sign-off against its checklist.
pub fn verify(
    attestation: &str,
    signoff_bytes: &[u8],
    signoff: &SignOff,
    checklist: &Checklist,
) -> VerifyOutcome {
    let mut problems = Vec::new();
    let actual = sha256_hex(signoff_bytes);
    match attested_digest(attestation) {
        None => problems.push(format!(
            "the attestation has no `{DIGEST_PREFIX}<hex>` line; it was not rendered by `readiness attest` or was cut short"
        )),
        Some(attested) if attested != actual => {
            problems.push(format!(
                "the sign-off changed after the attestation was rendered (attested sha256 {attested}, sign-off now {actual})"
            ));
            problems.extend(status_changes(attestation, signoff));
        }
        Some(_) => {}
    }
    problems.extend(crate::session::consistency_problems(checklist, signoff));
    VerifyOutcome { problems }
}

/// Key of the signature in the embedded statuses (item ids cannot start with '@').
pub const SIGNATURE_KEY: &str = "@signoff";

pub fn signature_summary(signoff: &SignOff) -> String {
    match &signoff.signoff {
        Some(s) => format!("signed by {} ({}) at {}", s.name, s.role, s.signed_at),
        None => "unsigned".to_string(),
    }
}

fn attested_digest(attestation: &str) -> Option<String> {
    attestation
        .lines()
        .rev()
        .find_map(|line| line.trim().strip_prefix(DIGEST_PREFIX))
        .map(|hex| hex.trim().to_ascii_lowercase())
}

/// Per-item differences between the statuses embedded at rendering time and the sign-off now.
fn status_changes(attestation: &str, signoff: &SignOff) -> Vec<String> {
    let Some(attested) = attestation.lines().find_map(|line| {
        let json = line
            .trim()
            .strip_prefix(STATUSES_MARKER)?
            .strip_suffix("-->")?;
        serde_json::from_str::<BTreeMap<String, String>>(json.trim()).ok()
    }) else {
        return Vec::new();
    };
    attested
        .iter()
        .filter_map(|(id, was)| {
            if id == SIGNATURE_KEY {
                let now = signature_summary(signoff);
                return (&now != was)
                    .then(|| format!("signature: attested {was}, sign-off now {now}"));
            }
            let now = signoff.mark(id);
            (now.key() != was)
                .then(|| format!("item {id}: attested {was}, sign-off now {}", now.key()))
        })
        .collect()
}
