//! `readiness check --format sarif`: SARIF 2.1.0 for GitHub code scanning.
//!
//! One run; `tool.driver.rules` holds one rule per checklist item (title as the short
//! description, guidance as the full description and help, severity as GitHub's
//! `security-severity`), and `results` one result per failing check. GitHub code scanning
//! rejects a result without a physical location, so every result has one: a Terraform check
//! points at the file (and line) its value comes from ([`Artifact`], found by the caller), an
//! ARM check names the resource id as a logical location and points at the sign-off file.
//! No random ids: the same verdicts give the same bytes.

use std::path::{Component, Path};

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::{Inputs, failure_text};
use crate::checklist::Severity;
use crate::verdict::{CheckResult, CheckStatus};

/// The schema the document names (the OASIS errata 01 schema, `tests/data/schemas/`).
pub const SCHEMA: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";
const INFORMATION_URI: &str = "https://github.com/microsoft/physical-ai-toolchain";
/// The base URI of every relative path: the checkout GitHub's upload action resolves
/// against.
const SRCROOT: &str = "%SRCROOT%";

/// A file a result points at, and the line when it is known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Artifact {
    pub path: std::path::PathBuf,
    pub line: Option<usize>,
}

/// GitHub's `security-severity` for a checklist severity.
fn security_severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Low => "3.0",
        Severity::Medium => "5.0",
        Severity::High => "7.5",
        Severity::Critical => "9.0",
    }
}

/// The SARIF document. `signoff` is the sign-off file ARM results point at; `locate` gives
/// the file of a check read from a file (Terraform), `None` for the others; `cwd` is the
/// checkout relative paths are written against.
pub fn sarif(
    inputs: Inputs<'_>,
    signoff: &Path,
    cwd: &Path,
    locate: &dyn Fn(&CheckResult) -> Option<Artifact>,
) -> String {
    let Inputs {
        checklist,
        items,
        checked_at,
    } = inputs;
    let rules: Vec<Value> = checklist
        .items
        .iter()
        .map(|item| {
            let mut properties = json!({
                "tags": ["security", item.category, item.phase.as_str()],
            });
            if let Some(severity) = item.severity {
                properties["security-severity"] = json!(security_severity(severity));
            }
            let mut rule = json!({
                "id": item.id,
                "name": item.id,
                "shortDescription": {"text": item.title},
                "fullDescription": {"text": item.guidance},
                "help": {"text": item.guidance, "markdown": item.guidance},
                "defaultConfiguration": {"level": "error"},
                "properties": properties,
            });
            if let Some(url) = item
                .references
                .iter()
                .find_map(|r| url::Url::parse(&r.url).ok())
            {
                rule["helpUri"] = json!(url.as_str());
            }
            rule
        })
        .collect();

    let mut results: Vec<(usize, &str, &str, Value)> = Vec::new();
    for item in items {
        let Some(index) = checklist.items.iter().position(|i| i.id == item.id) else {
            continue;
        };
        for check in item.checks.iter().filter(|c| c.status == CheckStatus::Fail) {
            results.push((
                index,
                check.source,
                check.resource.as_str(),
                result(&item.id, index, check, signoff, cwd, locate),
            ));
        }
    }
    results.sort_by(|a, b| (a.0, a.1, a.2).cmp(&(b.0, b.1, b.2)));

    let doc = json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "readiness",
                "version": env!("CARGO_PKG_VERSION"),
                "semanticVersion": env!("CARGO_PKG_VERSION"),
                "informationUri": INFORMATION_URI,
                "rules": rules,
            }},
            "invocations": [{
                "executionSuccessful": true,
                "endTimeUtc": checked_at.strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
            }],
            "results": results.into_iter().map(|r| r.3).collect::<Vec<_>>(),
        }],
    });
    serde_json::to_string_pretty(&doc).unwrap_or_default() + "\n"
}

fn result(
    id: &str,
    index: usize,
    check: &CheckResult,
    signoff: &Path,
    cwd: &Path,
    locate: &dyn Fn(&CheckResult) -> Option<Artifact>,
) -> Value {
    let (artifact, logical) = match locate(check) {
        Some(found) => (found, None),
        None => (
            Artifact {
                path: signoff.to_path_buf(),
                line: None,
            },
            Some(check.resource.as_str()),
        ),
    };
    let mut location = json!({
        "physicalLocation": {
            "artifactLocation": artifact_location(&artifact.path, cwd),
            "region": {"startLine": artifact.line.unwrap_or(1).max(1)},
        },
    });
    if let Some(resource) = logical {
        let name = resource
            .rsplit('/')
            .find(|s| !s.is_empty())
            .unwrap_or(resource);
        location["logicalLocations"] = json!([{
            "fullyQualifiedName": resource,
            "name": name,
            "kind": "resource",
        }]);
    }
    let mut fingerprint = Sha256::new();
    for part in [
        id,
        check.source,
        check.resource.as_str(),
        check.expect.as_str(),
    ] {
        fingerprint.update(part.as_bytes());
        fingerprint.update([0]);
    }
    json!({
        "ruleId": id,
        "ruleIndex": index,
        "level": "error",
        "kind": "fail",
        "message": {"text": failure_text(check)},
        "locations": [location],
        "partialFingerprints": {"readinessCheck/v1": hex::encode(fingerprint.finalize())},
        "properties": {
            "source": check.source,
            "resource": check.resource,
            "expected": check.expect,
            "observed": check.observed,
        },
    })
}

/// A relative path as a URI reference against `%SRCROOT%`; a path outside `cwd` as a
/// `file:` URI.
fn artifact_location(path: &Path, cwd: &Path) -> Value {
    let relative = if path.is_absolute() {
        path.strip_prefix(cwd).ok()
    } else {
        Some(path)
    };
    match relative.map(normal_components) {
        Some(Some(parts)) if !parts.is_empty() => json!({
            "uri": parts.iter().map(|p| encode(p)).collect::<Vec<_>>().join("/"),
            "uriBaseId": SRCROOT,
        }),
        _ => {
            let absolute = if path.is_absolute() {
                path.to_path_buf()
            } else {
                cwd.join(path)
            };
            match url::Url::from_file_path(&absolute) {
                Ok(url) => json!({"uri": url.as_str()}),
                Err(()) => json!({"uri": encode(&absolute.to_string_lossy())}),
            }
        }
    }
}

/// The parts of a relative path without `.`; `None` when it climbs out (`..`).
fn normal_components(path: &Path) -> Option<Vec<String>> {
    let mut parts = Vec::new();
    for component in path.components() {
        match component {
            Component::Normal(part) => parts.push(part.to_string_lossy().into_owned()),
            Component::CurDir => {}
            _ => return None,
        }
    }
    Some(parts)
}

/// Percent-encodes everything but RFC 3986's unreserved characters.
fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_become_uri_references_against_the_checkout() {
        let cwd = Path::new("/work/repo");
        assert_eq!(
            artifact_location(Path::new("./infra/my main.tf"), cwd),
            json!({"uri": "infra/my%20main.tf", "uriBaseId": "%SRCROOT%"})
        );
        assert_eq!(
            artifact_location(Path::new("/work/repo/infra/main.tf"), cwd),
            json!({"uri": "infra/main.tf", "uriBaseId": "%SRCROOT%"})
        );
        assert_eq!(
            artifact_location(Path::new("/elsewhere/main.tf"), cwd),
            json!({"uri": "file:///elsewhere/main.tf"})
        );
        assert_eq!(
            artifact_location(Path::new("../up/main.tf"), cwd),
            json!({"uri": "file:///work/repo/../up/main.tf"})
        );
    }
}
