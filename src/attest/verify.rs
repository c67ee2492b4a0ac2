//! Does an attestation still describe the sign-off beside it? `verify` renders it again from
//! the sign-off, its checklist and the template (and previous sign-off) its render record
//! names, at the recorded render time, and compares every byte.

use super::record::{self, BUILT_IN, CUSTOM, Record};
use super::{DIGEST_PREFIX, Previous, TEMPLATE, sha256_hex};
use crate::checklist::Checklist;
use crate::signoff::SignOff;
use crate::term::safe_line;

#[derive(Debug, Default)]
pub struct VerifyOutcome {
    /// Everything that does not hold; empty means verified.
    pub problems: Vec<String>,
    /// What was not checked though it holds, said plainly (e.g. text not compared).
    pub notes: Vec<String>,
}

impl VerifyOutcome {
    pub fn ok(&self) -> bool {
        self.problems.is_empty()
    }
}

/// What the reviewer gives again: `--template` as `(name, text)`, `--previous`.
#[derive(Debug, Default, Clone, Copy)]
pub struct Inputs<'a> {
    pub template: Option<(&'a str, &'a str)>,
    pub previous: Option<Previous<'a>>,
}

/// How many differing lines a failure shows.
const SHOWN_LINES: usize = 3;
/// How much of a differing line a failure shows.
const SHOWN_CHARS: usize = 200;

/// Checks the attestation against the exact sign-off bytes: the recorded sha256, then (same
/// tool version) every byte of a fresh rendering, or (another version) the embedded data;
/// and the sign-off against its checklist.
pub fn verify(
    attestation: &str,
    signoff_bytes: &[u8],
    signoff: &SignOff,
    checklist: &Checklist,
    inputs: &Inputs<'_>,
) -> VerifyOutcome {
    let mut out = VerifyOutcome::default();
    let actual = sha256_hex(signoff_bytes);
    match record::find(attestation) {
        Ok(rec) if rec.v != record::VERSION => out.problems.push(format!(
            "the attestation's render record is version {}; this readiness reads version {}",
            rec.v,
            record::VERSION
        )),
        Err(why) => {
            out.problems.push(why);
            // An attestation from before the render record: say what its digest line and
            // statuses comment tell, though they prove nothing on their own.
            if let Some(attested) = attested_digest(attestation).filter(|a| *a != actual) {
                out.problems.push(format!(
                    "the sign-off changed after the attestation was rendered (attested sha256 {}, sign-off now {actual})",
                    safe_line(&attested)
                ));
                out.problems
                    .extend(legacy_status_changes(attestation, signoff));
            }
        }
        Ok(rec) if rec.signoff_sha256.to_ascii_lowercase() != actual => {
            out.problems.push(format!(
                "the sign-off changed after the attestation was rendered (attested sha256 {}, sign-off now {actual})",
                safe_line(&rec.signoff_sha256.to_ascii_lowercase())
            ));
            out.problems.extend(record::canonical_changes(
                &rec.canonical,
                &record::canonical(checklist, signoff),
            ));
        }
        Ok(rec)
            if rec.tool != env!("CARGO_PKG_NAME") || rec.version != env!("CARGO_PKG_VERSION") =>
        {
            out.problems.extend(record::canonical_changes(
                &rec.canonical,
                &record::canonical(checklist, signoff),
            ));
            out.notes.push(format!(
                "the attestation was rendered by {} {}, this is {} {}: its text could not be compared, only the data it embeds (every status, who, when, note sha256, signature)",
                safe_line(&rec.tool),
                safe_line(&rec.version),
                env!("CARGO_PKG_NAME"),
                env!("CARGO_PKG_VERSION")
            ));
        }
        Ok(rec) => out.problems.extend(compare_text(
            attestation,
            &rec,
            signoff_bytes,
            signoff,
            checklist,
            inputs,
        )),
    }
    out.problems
        .extend(crate::session::consistency_problems(checklist, signoff));
    out
}

/// Renders the attestation again as recorded and names the first lines that differ.
fn compare_text(
    attestation: &str,
    rec: &Record,
    signoff_bytes: &[u8],
    signoff: &SignOff,
    checklist: &Checklist,
    inputs: &Inputs<'_>,
) -> Vec<String> {
    let mut problems = Vec::new();
    let template = match (rec.template.as_str(), inputs.template) {
        (BUILT_IN, None) => {
            if attested_digest(attestation).is_none() {
                problems.push(format!(
                    "the attestation has no `{DIGEST_PREFIX}<hex>` line; it was not rendered by `readiness attest` or was cut short"
                ));
            }
            None
        }
        (BUILT_IN, Some((name, _))) => {
            return vec![format!(
                "the attestation was rendered with the built-in template, but --template {} was given",
                safe_line(name)
            )];
        }
        (CUSTOM, None) => {
            return vec![format!(
                "the attestation was rendered with a custom template (sha256 {}); give it again with --template PATH",
                safe_line(&rec.template_sha256)
            )];
        }
        (CUSTOM, Some(given)) => Some(given),
        (other, _) => {
            return vec![format!(
                "the attestation's render record names an unknown template kind {:?}",
                safe_line(other)
            )];
        }
    };
    let template_text = template.map_or(TEMPLATE, |(_, text)| text);
    let template_sha = sha256_hex(template_text.as_bytes());
    if template_sha != rec.template_sha256 {
        return vec![match template {
            None => format!(
                "the attestation names a built-in template with sha256 {}, but this readiness's built-in template has sha256 {template_sha}",
                safe_line(&rec.template_sha256)
            ),
            Some((name, _)) => format!(
                "the template given ({}, sha256 {template_sha}) is not the one the attestation was rendered with (sha256 {})",
                safe_line(name),
                safe_line(&rec.template_sha256)
            ),
        }];
    }
    match (&rec.previous_sha256, inputs.previous) {
        (Some(sha), None) => {
            return vec![format!(
                "the attestation was rendered with --previous (a previous sign-off with sha256 {}); give it again with --previous OLD",
                safe_line(sha)
            )];
        }
        (None, Some(_)) => {
            return vec![
                "the attestation was rendered without --previous, but --previous was given"
                    .to_string(),
            ];
        }
        (Some(sha), Some(p)) if *sha != sha256_hex(p.text.as_bytes()) => {
            return vec![format!(
                "the previous sign-off given has sha256 {}, but the attestation was rendered with one whose sha256 is {}",
                sha256_hex(p.text.as_bytes()),
                safe_line(sha)
            )];
        }
        _ => {}
    }
    let Ok(now) = rec.rendered_at.parse::<jiff::Timestamp>() else {
        return vec![format!(
            "the attestation's render time {:?} is not an RFC 3339 timestamp",
            safe_line(&rec.rendered_at)
        )];
    };
    let Ok(signoff_text) = std::str::from_utf8(signoff_bytes) else {
        return vec!["the sign-off is not UTF-8".to_string()];
    };
    match super::attest(
        checklist,
        signoff_text,
        signoff,
        now,
        template,
        inputs.previous,
    ) {
        Err(e) => problems.push(format!("could not render the attestation again: {e}")),
        Ok(rendering) if rendering != attestation => {
            problems.extend(line_differences(attestation, &rendering));
        }
        Ok(_) => {}
    }
    problems
}

/// The first lines where `attestation` and `rendering` differ, numbered and escaped.
pub fn line_differences(attestation: &str, rendering: &str) -> Vec<String> {
    let a: Vec<&str> = attestation.split('\n').collect();
    let b: Vec<&str> = rendering.split('\n').collect();
    let prefix = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let suffix = a[prefix..]
        .iter()
        .rev()
        .zip(b[prefix..].iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    let (da, db) = (&a[prefix..a.len() - suffix], &b[prefix..b.len() - suffix]);
    // Inside the differing stretch, lines at the same place that agree are not named.
    let differing: Vec<String> = (0..da.len().max(db.len()))
        .filter_map(|k| {
            let n = prefix + k + 1;
            match (da.get(k), db.get(k)) {
                (Some(x), Some(y)) if x == y => None,
                (Some(x), Some(y)) => Some(format!(
                    "line {n}: the attestation has {}, a fresh rendering has {}",
                    excerpt(x),
                    excerpt(y)
                )),
                (Some(x), None) => Some(format!(
                    "line {n}: the attestation has {}, which a fresh rendering does not",
                    excerpt(x)
                )),
                (None, Some(y)) => Some(format!(
                    "line {n}: a fresh rendering has {}, which the attestation does not",
                    excerpt(y)
                )),
                (None, None) => None,
            }
        })
        .collect();
    let mut out = vec![format!(
        "the attestation is not what the sign-off renders to: {} line(s) differ from a fresh rendering, the first at line {}",
        differing.len(),
        prefix + 1
    )];
    out.extend(differing.iter().take(SHOWN_LINES).cloned());
    if differing.len() > SHOWN_LINES {
        out.push(format!(
            "… and {} more differing line(s)",
            differing.len() - SHOWN_LINES
        ));
    }
    out
}

/// A line for a message: quoted, escaped for the terminal, cut at [`SHOWN_CHARS`].
fn excerpt(line: &str) -> String {
    let mut cut: String = line.chars().take(SHOWN_CHARS).collect();
    if line.chars().count() > SHOWN_CHARS {
        cut.push('…');
    }
    format!("\"{}\"", safe_line(&cut))
}

/// Key of the signature in the embedded statuses (item ids cannot start with '@').
pub const SIGNATURE_KEY: &str = "@signoff";

pub fn signature_summary(signoff: &SignOff) -> String {
    match &signoff.signoff {
        // The SSH signer and key are part of what was attested: a swapped key changes it.
        Some(s) => {
            let mut text = format!("signed by {} ({}) at {}", s.name, s.role, s.signed_at);
            if let Some(key) = &s.key_fingerprint {
                text.push_str(&format!(
                    " with SSH key {key}{}",
                    s.principal
                        .as_ref()
                        .map(|p| format!(" as {p}"))
                        .unwrap_or_default()
                ));
            }
            text
        }
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

/// Per-item differences between the statuses comment of an attestation without a render
/// record and the sign-off now.
fn legacy_status_changes(attestation: &str, signoff: &SignOff) -> Vec<String> {
    let Some(attested) = attestation.lines().find_map(|line| {
        let json = line
            .trim()
            .strip_prefix(super::STATUSES_MARKER)?
            .strip_suffix("-->")?;
        serde_json::from_str::<std::collections::BTreeMap<String, String>>(json.trim()).ok()
    }) else {
        return Vec::new();
    };
    attested
        .iter()
        .filter_map(|(id, was)| {
            let now = if id == SIGNATURE_KEY {
                signature_summary(signoff)
            } else {
                signoff.mark(id).key().to_string()
            };
            let what = if id == SIGNATURE_KEY {
                "signature".to_string()
            } else {
                format!("item {}", safe_line(id))
            };
            (&now != was).then(|| {
                format!(
                    "{what}: attested {}, sign-off now {}",
                    safe_line(was),
                    safe_line(&now)
                )
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::line_differences;

    #[test]
    fn names_changed_added_and_removed_lines() {
        let d = line_differences("a\nb\nc\nd\n", "a\nB\nc\nD\n");
        assert!(d[0].contains("2 line(s) differ"), "{d:?}");
        assert!(d[0].contains("the first at line 2"), "{d:?}");
        assert_eq!(
            d[1],
            "line 2: the attestation has \"b\", a fresh rendering has \"B\""
        );
        assert!(d[2].starts_with("line 4: "), "{d:?}");
        assert_eq!(d.len(), 3, "{d:?}");
        let d = line_differences("a\nx\nb\n", "a\nb\n");
        assert_eq!(
            d[1],
            "line 2: the attestation has \"x\", which a fresh rendering does not"
        );
        let d = line_differences("a\n", "a\ny\n");
        assert!(
            d[1].contains("line 2: a fresh rendering has \"y\""),
            "{d:?}"
        );
        let d = line_differences("a\n\u{1b}]0;x\u{7}\n", "a\nb\n");
        assert!(d[1].contains("\\x1b]0;x\\x07"), "{d:?}");
    }
}
