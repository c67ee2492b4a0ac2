//! The sign-off file format as plain serde types, for the JSON Schema editors use (taplo,
//! Even Better TOML) and for tools that read sign-offs. Reading goes through
//! [`super::parse`], which reports every problem with its position; a test keeps the two in
//! step with what the tool writes.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Deserialize;
use toml::value::Datetime;

/// A `readiness` sign-off (schema_version 1).
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "readiness sign-off")]
pub struct SignOffFile {
    /// Always 1 for this format.
    #[schemars(range(min = 1, max = 1))]
    pub schema_version: i64,
    /// The checklist the answers were given against.
    pub checklist: ChecklistRefFile,
    // No `#[serde(default)]`: a missing Option is None anyway, and the schema keeps no default.
    pub target: Option<super::Target>,
    /// Answers and automatic results, by item id.
    #[serde(default)]
    pub items: BTreeMap<String, ItemFile>,
    /// The signature; any later change removes it.
    #[serde(default)]
    pub signoff: Option<SignatureFile>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ChecklistRefFile {
    pub id: String,
    pub version: String,
    /// sha256 of the checklist text.
    #[schemars(regex(pattern = r"^[0-9a-fA-F]{64}$"))]
    pub sha256: String,
}

/// One item: the operator's answer, the latest automatic result, or both.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ItemFile {
    /// Required with an answer (absent when the table holds only `auto`).
    pub status: Option<StatusFile>,
    #[serde(default)]
    pub note: Option<String>,
    /// Links or paths backing the answer.
    #[serde(default)]
    pub evidence: Option<Vec<String>>,
    pub answered_by: Option<String>,
    /// A TOML offset date-time, e.g. 2026-11-27T10:00:00Z.
    #[schemars(with = "Option<String>", extend("format" = "date-time"))]
    pub answered_at: Option<Datetime>,
    /// Why the risk is accepted (risk-accepted only).
    pub justification: Option<String>,
    /// Last day the risk acceptance holds, a TOML local date (risk-accepted only).
    #[schemars(with = "Option<String>", extend("format" = "date"))]
    pub expires: Option<Datetime>,
    /// sha256 of the item's title, guidance and rules when it was answered.
    #[schemars(regex(pattern = r"^[0-9a-fA-F]{64}$"))]
    pub item_sha256: Option<String>,
    /// Why the answer stands against the automatic result.
    pub override_reason: Option<String>,
    pub auto: Option<AutoFile>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum StatusFile {
    Pass,
    Fail,
    NotApplicable,
    RiskAccepted,
}

/// The latest automatic result (`readiness check --record`, or the wizards).
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AutoFile {
    pub status: AutoStatusFile,
    #[schemars(with = "String", extend("format" = "date-time"))]
    pub checked_at: Datetime,
    #[serde(default)]
    pub checks: Vec<AutoCheckFile>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum AutoStatusFile {
    Pass,
    Fail,
    Error,
    Manual,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AutoCheckFile {
    /// The document the rule read, e.g. `arm:aks`.
    pub source: String,
    /// Resource id or path of that document.
    pub resource: Option<String>,
    /// The rule (JMESPath).
    pub expect: String,
    /// What the rule saw, as JSON text.
    pub observed: Option<String>,
    pub status: CheckStatusFile,
    /// Why it could not be checked.
    pub cause: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum CheckStatusFile {
    Pass,
    Fail,
    Error,
    Skipped,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SignatureFile {
    pub name: String,
    pub role: String,
    #[schemars(with = "String", extend("format" = "date-time"))]
    pub signed_at: Datetime,
    /// The principal (e.g. an email address) the SSH signature in `<signoff>.sig` was made
    /// as; `readiness verify --signers` looks it up in the allowed_signers file.
    pub principal: Option<String>,
    /// Fingerprint of the SSH key that signed, as `ssh-keygen -l` prints it.
    #[schemars(regex(pattern = r"^SHA256:[A-Za-z0-9+/]{43}$"))]
    pub key_fingerprint: Option<String>,
}

/// The JSON Schema of the sign-off format, pretty-printed.
pub fn json_schema() -> String {
    let schema = schemars::schema_for!(SignOffFile);
    let mut text = serde_json::to_string_pretty(&schema).unwrap_or_default();
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEAD: &str =
        "schema_version = 1\n[checklist]\nid = \"c\"\nversion = \"1\"\nsha256 = \"ab\"\n";

    #[test]
    fn the_types_take_an_answer_and_an_automatic_result() {
        let text = format!(
            "{HEAD}[items.\"a\"]\nstatus = \"risk-accepted\"\nanswered_by = \"x\"\nanswered_at = 2026-11-27T10:00:00Z\njustification = \"j\"\nexpires = 2027-01-31\n[items.\"a\".auto]\nstatus = \"fail\"\nchecked_at = 2026-11-27T10:00:00Z\n[[items.\"a\".auto.checks]]\nsource = \"arm:aks\"\nexpect = \"e\"\nstatus = \"fail\"\n"
        );
        let file: SignOffFile = toml::from_str(&text).expect("reads");
        assert!(matches!(
            file.items["a"].status,
            Some(StatusFile::RiskAccepted)
        ));
    }

    #[test]
    fn the_types_refuse_unknown_keys_and_statuses() {
        for bad in [
            "[items.\"a\"]\nstatus = \"pass\"\nanswerd_by = \"x\"\n",
            "[items.\"a\"]\nstatus = \"passed\"\n",
            "[target]\ncluser = \"x\"\n",
        ] {
            let text = format!("{HEAD}{bad}");
            assert!(toml::from_str::<SignOffFile>(&text).is_err(), "{bad}");
        }
    }
}
