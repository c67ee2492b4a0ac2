//! The render record: the last line of every attestation, written by `readiness attest`
//! itself after the template's output (so a custom template carries it too):
//!
//! ```text
//! <!-- readiness:render {"v":1,"tool":"readiness","version":"0.1.0","template":"built-in",…} -->
//! ```
//!
//! It holds what `verify` needs to render the same document again — the tool version, the
//! template's kind and sha256, the render time (the clock value used), the sign-off's sha256
//! and the previous sign-off's sha256 with `attest --previous` — and the canonical data
//! (every status, who, when, the note's sha256, the signature) that `verify` compares when
//! the attestation was rendered by another version and its text cannot be compared.
//! `<`, `>` and `&` are JSON-escaped, so nothing in it can close the HTML comment.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::sha256_hex;
use crate::checklist::Checklist;
use crate::signoff::SignOff;

/// The record's own format version (`"v"`).
pub const VERSION: u32 = 1;
pub const RECORD_PREFIX: &str = "<!-- readiness:render ";
const RECORD_SUFFIX: &str = " -->";
pub const BUILT_IN: &str = "built-in";
pub const CUSTOM: &str = "custom";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    pub v: u32,
    pub tool: String,
    pub version: String,
    /// [`BUILT_IN`] or [`CUSTOM`].
    pub template: String,
    pub template_sha256: String,
    /// RFC 3339, to the second.
    pub rendered_at: String,
    pub signoff_sha256: String,
    pub previous_sha256: Option<String>,
    #[serde(flatten)]
    pub canonical: Canonical,
}

/// What the attestation says about the sign-off, independent of how it is laid out.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Canonical {
    /// Every checklist item, by id.
    pub items: BTreeMap<String, ItemRecord>,
    /// `signed by NAME (ROLE) at TIME`, or `unsigned`.
    pub signature: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemRecord {
    /// `pass`, `fail`, `risk-accepted`, `not-applicable` or `open`.
    pub status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note_sha256: Option<String>,
}

/// The canonical data of `signoff` for the items of `checklist`.
pub fn canonical(checklist: &Checklist, signoff: &SignOff) -> Canonical {
    let items = checklist
        .items
        .iter()
        .map(|item| {
            let answer = signoff.items.get(&item.id);
            let record = ItemRecord {
                status: signoff.mark(&item.id).key().to_string(),
                by: answer.map(|a| a.answered_by.clone()),
                at: answer.map(|a| a.answered_at.to_string()),
                note_sha256: answer.map(|a| sha256_hex(a.note.as_bytes())),
            };
            (item.id.clone(), record)
        })
        .collect();
    Canonical {
        items,
        signature: super::verify::signature_summary(signoff),
    }
}

impl Record {
    /// The line, with its newline.
    pub fn line(&self) -> String {
        let json = serde_json::to_string(self)
            .unwrap_or_default()
            .replace('<', "\\u003c")
            .replace('>', "\\u003e")
            .replace('&', "\\u0026");
        format!("{RECORD_PREFIX}{json}{RECORD_SUFFIX}\n")
    }
}

/// The record on the attestation's last line, or why there is none.
pub fn find(attestation: &str) -> Result<Record, String> {
    let last = attestation
        .trim_end_matches(['\n', '\r'])
        .rsplit('\n')
        .next()
        .unwrap_or_default();
    let Some(json) = last
        .strip_prefix(RECORD_PREFIX)
        .and_then(|l| l.strip_suffix(RECORD_SUFFIX))
    else {
        return Err(format!(
            "the attestation does not end with a `{}…{}` line; it was not rendered by this `readiness attest`, or was cut or added to",
            RECORD_PREFIX.trim_end(),
            RECORD_SUFFIX.trim_start()
        ));
    };
    serde_json::from_str(json)
        .map_err(|e| format!("the attestation's render record is not readable: {e}"))
}

/// Differences between the canonical data an attestation records and the sign-off's now.
pub fn canonical_changes(recorded: &Canonical, now: &Canonical) -> Vec<String> {
    let mut out = Vec::new();
    let describe = |r: Option<&ItemRecord>| match r {
        None => "absent".to_string(),
        Some(r) => format!(
            "{}{}{}",
            r.status,
            r.by.as_deref()
                .map(|b| format!(" by {b}"))
                .unwrap_or_default(),
            r.at.as_deref()
                .map(|a| format!(" at {a}"))
                .unwrap_or_default()
        ),
    };
    let ids: std::collections::BTreeSet<&String> =
        recorded.items.keys().chain(now.items.keys()).collect();
    for id in ids {
        let (was, is) = (recorded.items.get(id), now.items.get(id));
        if was == is {
            continue;
        }
        let same_answer = |w: &ItemRecord, i: &ItemRecord| w.by == i.by && w.at == i.at;
        let same_but_note =
            matches!((was, is), (Some(w), Some(i)) if w.status == i.status && same_answer(w, i));
        let same_but_status = matches!((was, is), (Some(w), Some(i)) if same_answer(w, i));
        if same_but_status && !same_but_note {
            out.push(format!(
                "item {}: attested {}, sign-off now {}",
                crate::term::safe_line(id),
                crate::term::safe_line(was.map_or("", |w| w.status.as_str())),
                crate::term::safe_line(is.map_or("", |i| i.status.as_str()))
            ));
        } else if same_but_note {
            out.push(format!(
                "item {}: the note changed since the attestation was rendered",
                crate::term::safe_line(id)
            ));
        } else {
            out.push(format!(
                "item {}: attested {}, sign-off now {}",
                crate::term::safe_line(id),
                crate::term::safe_line(&describe(was)),
                crate::term::safe_line(&describe(is))
            ));
        }
    }
    if recorded.signature != now.signature {
        out.push(format!(
            "signature: attested {}, sign-off now {}",
            crate::term::safe_line(&recorded.signature),
            crate::term::safe_line(&now.signature)
        ));
    }
    out
}
