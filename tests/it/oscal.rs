//! `readiness attest --format oscal`: the OSCAL assessment-results document validates against
//! the official OSCAL 1.0.6 schema (tests/data/schemas), has findings exactly for the failing,
//! open and risk-accepted items and a risk per risk acceptance, keeps hostile operator text
//! exact, and is the same bytes for the same inputs.

use crate::common;

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::OnceLock;

use common::{NOW, SMALL_IDS, small, stdout_of};
use readiness::engine::{AutoStatus, CheckStatus};
use readiness::signoff::{AutoCheck, AutoRecord};
use serde_json::Value;

const HOSTILE: &str = "quote \" backslash \\ tab\tnewline\nbell \u{7} esc \u{1b}[2J </script><script>alert('x')</script> & \u{2028} **bold** \u{202e}rtl";

/// The official schema, compiled once, formats asserted. A `pattern` the regex engine cannot
/// compile (OSCAL's use `\p{L}` and `\p{N}`) makes the build fail here, never a silent skip.
fn validator() -> &'static jsonschema::Validator {
    static VALIDATOR: OnceLock<jsonschema::Validator> = OnceLock::new();
    VALIDATOR.get_or_init(|| {
        let path = common::data("schemas/oscal_assessment-results_schema.json");
        let schema: Value =
            serde_json::from_str(&std::fs::read_to_string(&path).expect("schema file"))
                .expect("the schema is JSON");
        assert_eq!(
            schema["$id"], "http://csrc.nist.gov/ns/oscal/1.0.6/oscal-ar-schema.json",
            "the shipped schema is OSCAL 1.0.6"
        );
        jsonschema::options()
            .with_draft(jsonschema::Draft::Draft7)
            .should_validate_formats(true)
            .build(&schema)
            .unwrap_or_else(|e| panic!("the OSCAL schema does not compile: {e}"))
    })
}

fn schema_errors(doc: &Value) -> Vec<String> {
    validator()
        .iter_errors(doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

/// Parses `text` and asserts it validates against the OSCAL schema.
fn valid(text: &str) -> Value {
    let doc: Value = serde_json::from_str(text).expect("the OSCAL output is JSON");
    let errors = schema_errors(&doc);
    assert!(
        errors.is_empty(),
        "not valid OSCAL:\n{}\n{text}",
        errors.join("\n")
    );
    doc
}

fn oscal(dir: &Path) -> String {
    stdout_of(small(dir).args(["attest", "--format", "oscal"]))
}

/// Adds recorded automatic results to the sign-off in `dir` (as `check --record` would).
fn record_auto(dir: &Path) {
    let path = dir.join("readiness-signoff.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    let mut s = readiness::signoff::parse("s", &text).unwrap();
    let at = "2026-11-27T09:00:00Z".parse().unwrap();
    let check = |status: CheckStatus, observed: &str, cause: Option<&str>| {
        AutoCheck {
        source: "arm:aks".to_string(),
        resource: "/subscriptions/0000/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/aks".to_string(),
        expect: "apiServerAccessProfile.enablePrivateCluster == `true`".to_string(),
        observed: observed.to_string(),
        status,
        cause: cause.map(String::from),
    }
    };
    s.auto.insert(
        "net.private".to_string(),
        AutoRecord {
            status: AutoStatus::Pass,
            checked_at: at,
            checks: vec![check(CheckStatus::Pass, "true", None)],
        },
    );
    s.auto.insert(
        "mon.audit-logs".to_string(),
        AutoRecord {
            status: AutoStatus::Fail,
            checked_at: at,
            checks: vec![
                check(CheckStatus::Fail, "{\"enabled\":false}", None),
                check(CheckStatus::Error, "null", Some("403 from ARM")),
            ],
        },
    );
    std::fs::write(&path, readiness::signoff::render(None, &s)).unwrap();
}

/// Every status: net.private pass (with evidence, automatic pass), gov.assessment fail,
/// k8s.netpol risk accepted, iac.providers not applicable, mon.audit-logs and gov.advisor open
/// (mon.audit-logs with a failing automatic result); signed.
fn every_status(dir: &Path) {
    small(dir)
        .args([
            "answer",
            "net.private",
            "--status",
            "pass",
            "--note",
            "private cluster",
        ])
        .args([
            "--evidence",
            "https://dev.azure.com/contoso/robots/_git/infra/pullrequest/12",
        ])
        .args([
            "--evidence",
            "evidence/aks.json",
            "--evidence",
            "see ticket #12 [ops]",
        ])
        .assert()
        .success();
    small(dir)
        .args([
            "answer",
            "gov.assessment",
            "--status",
            "fail",
            "--note",
            "January",
            "--by",
            "bob",
        ])
        .assert()
        .success();
    small(dir)
        .args(["answer", "k8s.netpol", "--status", "risk-accepted"])
        .args([
            "--justification",
            "default-deny lands with the next release",
        ])
        .args(["--expires", "2027-02-28"])
        .assert()
        .success();
    small(dir)
        .args(["answer", "iac.providers", "--status", "not-applicable"])
        .assert()
        .success();
    record_auto(dir);
    common::sign(dir);
}

fn result(doc: &Value) -> &Value {
    &doc["assessment-results"]["results"][0]
}

fn list<'a>(doc: &'a Value, key: &str) -> &'a Vec<Value> {
    result(doc)[key]
        .as_array()
        .unwrap_or_else(|| panic!("no {key}"))
}

fn target_ids(doc: &Value) -> BTreeSet<String> {
    list(doc, "findings")
        .iter()
        .map(|f| f["target"]["target-id"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn a_signoff_with_every_status_validates_against_the_oscal_schema() {
    let dir = tempfile::tempdir().unwrap();
    every_status(dir.path());
    let doc = valid(&oscal(dir.path()));
    let ar = &doc["assessment-results"];
    assert_eq!(ar["metadata"]["oscal-version"], "1.0.6");
    assert_eq!(ar["metadata"]["last-modified"], NOW);
    let import = ar["import-ap"]["href"].as_str().unwrap();
    let resources = ar["back-matter"]["resources"].as_array().unwrap();
    assert!(
        resources
            .iter()
            .any(|r| format!("#{}", r["uuid"].as_str().unwrap()) == import),
        "import-ap points at the checklist in the back matter"
    );
    // Who: the operators and the signer are parties; each manual observation names its actor.
    let parties = ar["metadata"]["parties"].as_array().unwrap();
    let names: BTreeSet<&str> = parties.iter().filter_map(|p| p["name"].as_str()).collect();
    assert_eq!(names, BTreeSet::from(["Dana Reyes", "alice", "bob"]));
    let observations = list(&doc, "observations");
    let manual: Vec<&Value> = observations
        .iter()
        .filter(|o| o["methods"][0] != "TEST")
        .collect();
    assert_eq!(manual.len(), 4, "one per answer");
    let net = manual
        .iter()
        .find(|o| o["title"] == "Cluster API server is private")
        .or_else(|| manual.iter().find(|o| o["links"].is_array()))
        .unwrap();
    assert_eq!(
        net["methods"][0], "EXAMINE",
        "answers with evidence were examined"
    );
    assert_eq!(net["collected"], NOW);
    let links: Vec<&str> = net["links"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["text"].as_str().unwrap())
        .collect();
    assert_eq!(
        links,
        [
            "https://dev.azure.com/contoso/robots/_git/infra/pullrequest/12",
            "evidence/aks.json",
            "see ticket #12 [ops]"
        ]
    );
    let actor = &net["origins"][0]["actors"][0];
    assert_eq!(actor["type"], "party");
    assert!(
        parties
            .iter()
            .any(|p| p["uuid"] == actor["actor-uuid"] && p["name"] == "alice")
    );
    // Automatic evidence: TEST, collected at the check time, every check with its verdict.
    let auto: Vec<&Value> = observations
        .iter()
        .filter(|o| o["methods"][0] == "TEST")
        .collect();
    assert_eq!(auto.len(), 2);
    let failing = auto
        .iter()
        .find(|o| o["relevant-evidence"].as_array().unwrap().len() == 2)
        .unwrap();
    assert_eq!(failing["collected"], "2026-11-27T09:00:00Z");
    let evidence = failing["relevant-evidence"].to_string();
    assert!(
        evidence.contains("observed {\\\"enabled\\\":false}") && evidence.contains("403 from ARM"),
        "{evidence}"
    );
    // The signature is the result's attestation.
    let prose = result(&doc)["attestations"][0]["parts"][0]["prose"]
        .as_str()
        .unwrap();
    assert!(
        prose.starts_with("Signed off by Dana Reyes (platform owner)"),
        "{prose}"
    );
    assert!(
        result(&doc)["description"]
            .as_str()
            .unwrap()
            .starts_with("**Not ready for go-live**: 1 failing, 2 open, 1 risk accepted")
    );
}

#[test]
fn findings_exist_exactly_for_failing_open_and_risk_accepted_items() {
    let dir = tempfile::tempdir().unwrap();
    every_status(dir.path());
    let doc = valid(&oscal(dir.path()));
    assert_eq!(
        target_ids(&doc),
        BTreeSet::from(
            [
                "gov.advisor",
                "gov.assessment",
                "k8s.netpol",
                "mon.audit-logs"
            ]
            .map(String::from)
        )
    );
    let observations: BTreeSet<&str> = list(&doc, "observations")
        .iter()
        .map(|o| o["uuid"].as_str().unwrap())
        .collect();
    for f in list(&doc, "findings") {
        assert_eq!(f["target"]["type"], "objective-id");
        assert_eq!(f["target"]["status"]["state"], "not-satisfied");
        for r in f["related-observations"].as_array().into_iter().flatten() {
            assert!(observations.contains(r["observation-uuid"].as_str().unwrap()));
        }
    }
    // The failing item is related to its answer; the open one with a failing check to that.
    let by_id = |id: &str| {
        list(&doc, "findings")
            .iter()
            .find(|f| f["target"]["target-id"] == id)
            .unwrap()
            .clone()
    };
    assert_eq!(
        by_id("gov.assessment")["related-observations"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        by_id("mon.audit-logs")["related-observations"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert!(by_id("gov.advisor").get("related-observations").is_none());
    // Every id of the small checklist is accounted for: no finding for pass or n/a.
    assert_eq!(SMALL_IDS.len(), 6);
}

#[test]
fn a_risk_per_risk_acceptance_with_its_deadline() {
    let dir = tempfile::tempdir().unwrap();
    every_status(dir.path());
    let doc = valid(&oscal(dir.path()));
    let risks = list(&doc, "risks");
    assert_eq!(risks.len(), 1);
    let risk = &risks[0];
    assert_eq!(risk["deadline"], "2027-02-28T23:59:59Z");
    assert_eq!(risk["status"], "deviation-approved");
    assert_eq!(
        risk["statement"],
        "default-deny lands with the next release"
    );
    let finding = list(&doc, "findings")
        .iter()
        .find(|f| f["target"]["target-id"] == "k8s.netpol")
        .unwrap();
    assert_eq!(finding["related-risks"][0]["risk-uuid"], risk["uuid"]);

    // Once the acceptance has run out, the risk is open again (and still valid OSCAL).
    let later = stdout_of(
        small(dir.path())
            .env("READINESS_NOW", "2027-03-01T10:00:00Z")
            .args(["attest", "--format", "oscal"]),
    );
    let later = valid(&later);
    assert_eq!(list(&later, "risks")[0]["status"], "open");
}

#[test]
fn uuids_are_stable_across_runs_and_distinct_for_different_items() {
    let dir = tempfile::tempdir().unwrap();
    every_status(dir.path());
    let first = valid(&oscal(dir.path()));
    // A later answer to another item changes nothing else's UUID.
    small(dir.path())
        .args(["answer", "gov.advisor", "--status", "pass"])
        .assert()
        .success();
    let second = valid(&oscal(dir.path()));
    let uuids = |doc: &Value| -> Vec<(String, String)> {
        let mut out = Vec::new();
        for key in ["observations", "findings", "risks"] {
            for v in list(doc, key) {
                out.push((
                    v["title"].to_string() + key,
                    v["uuid"].as_str().unwrap().to_string(),
                ));
            }
        }
        out
    };
    let (a, b) = (uuids(&first), uuids(&second));
    let gone = &list(&first, "findings")
        .iter()
        .find(|f| f["target"]["target-id"] == "gov.advisor")
        .unwrap()["uuid"];
    for entry in &a {
        assert!(
            b.contains(entry) || entry.1 == gone.as_str().unwrap(),
            "{entry:?} changed"
        );
    }
    assert_eq!(
        first["assessment-results"]["uuid"], second["assessment-results"]["uuid"],
        "the document is the same subject"
    );
    let all: Vec<&String> = a.iter().map(|(_, u)| u).collect();
    let distinct: BTreeSet<&String> = all.iter().copied().collect();
    assert_eq!(all.len(), distinct.len(), "every object has its own UUID");
    // They are version 5 (name-based, SHA-1).
    assert!(all.iter().all(|u| u.as_bytes()[14] == b'5'), "{all:?}");
}

#[test]
fn hostile_operator_text_stays_exact_and_validates() {
    let dir = tempfile::tempdir().unwrap();
    small(dir.path())
        .args([
            "answer",
            "net.private",
            "--status",
            "pass",
            "--note",
            HOSTILE,
        ])
        .args(["--by", HOSTILE, "--evidence", HOSTILE])
        .assert()
        .success();
    small(dir.path())
        .args([
            "answer",
            "k8s.netpol",
            "--status",
            "risk-accepted",
            "--justification",
            HOSTILE,
        ])
        .args(["--expires", "2027-02-28"])
        .assert()
        .success();
    small(dir.path())
        .args(["sign", "--name", HOSTILE, "--role", HOSTILE])
        .assert()
        .success();
    let text = oscal(dir.path());
    // Nothing that could end a <script> block or a JavaScript string, raw.
    for raw in ["</script>", "<", ">", "&", "\u{2028}"] {
        assert!(!text.contains(raw), "{raw:?} is written raw");
    }
    let doc = valid(&text);
    let note = list(&doc, "observations")
        .iter()
        .find(|o| o["links"].is_array())
        .unwrap();
    assert_eq!(note["description"], HOSTILE);
    assert_eq!(note["links"][0]["text"], HOSTILE);
    assert_eq!(list(&doc, "risks")[0]["statement"], HOSTILE);
    // Single-line fields get it on one line, never broken.
    let parties = doc["assessment-results"]["metadata"]["parties"]
        .as_array()
        .unwrap();
    assert!(parties.iter().all(|p| {
        let name = p["name"].as_str().unwrap();
        !name.contains(['\n', '\t', '\u{1b}', '\u{0}']) && name.trim() == name
    }));
}

#[test]
fn the_same_inputs_give_the_same_bytes() {
    let dir = tempfile::tempdir().unwrap();
    every_status(dir.path());
    let first = oscal(dir.path());
    assert_eq!(first, oscal(dir.path()));
    // -o FILE writes the same document; -o - is standard output.
    small(dir.path())
        .args(["attest", "--format", "oscal", "-o", "results.json"])
        .assert()
        .success();
    assert_eq!(
        std::fs::read_to_string(dir.path().join("results.json")).unwrap(),
        first
    );
    assert_eq!(
        stdout_of(small(dir.path()).args(["attest", "--format", "oscal", "-o", "-"])),
        first
    );
    // The Markdown attestation stays the default.
    assert!(stdout_of(small(dir.path()).arg("attest")).starts_with('#'));
}

#[test]
fn an_unsigned_signoff_with_nothing_answered_validates() {
    let dir = tempfile::tempdir().unwrap();
    small(dir.path())
        .args(["answer", "iac.providers", "--status", "not-applicable"])
        .assert()
        .success();
    let doc = valid(&oscal(dir.path()));
    assert_eq!(target_ids(&doc).len(), 5);
    assert_eq!(
        result(&doc)["attestations"][0]["parts"][0]["prose"],
        "Not signed."
    );
}

#[test]
fn template_and_previous_are_refused_with_oscal() {
    let dir = tempfile::tempdir().unwrap();
    every_status(dir.path());
    small(dir.path())
        .args([
            "attest",
            "--format",
            "oscal",
            "--previous",
            "readiness-signoff.toml",
        ])
        .assert()
        .code(2);
}

#[test]
fn the_schema_is_live_it_rejects_what_oscal_forbids() {
    let dir = tempfile::tempdir().unwrap();
    every_status(dir.path());
    let doc = valid(&oscal(dir.path()));
    let broken = |edit: &dyn Fn(&mut Value)| {
        let mut d = doc.clone();
        edit(&mut d);
        schema_errors(&d)
    };
    // A target id that is no token (`\p{L}` patterns compiled and applied).
    assert!(
        !broken(&|d| {
            d["assessment-results"]["results"][0]["findings"][0]["target"]["target-id"] =
                "1 not a token".into();
        })
        .is_empty()
    );
    // A UUID that is none, a date-time out of pattern, a missing import-ap.
    assert!(!broken(&|d| d["assessment-results"]["uuid"] = "x".into()).is_empty());
    assert!(
        !broken(&|d| d["assessment-results"]["metadata"]["last-modified"] = "2026-11-27".into())
            .is_empty()
    );
    assert!(
        !broken(&|d| {
            d["assessment-results"]
                .as_object_mut()
                .unwrap()
                .remove("import-ap");
        })
        .is_empty()
    );
    // A prop value on two lines (OSCAL's single-line string).
    assert!(
        !broken(&|d| {
            d["assessment-results"]["metadata"]["props"][0]["value"] = "two\nlines".into();
        })
        .is_empty()
    );
}

#[test]
fn item_ids_and_evidence_become_valid_tokens_and_uri_references() {
    use readiness::attest::oscal::{href, token};
    assert_eq!(token("net.private"), "net.private");
    assert_eq!(token("1password.vault"), "_1password.vault");
    for (entry, expected) in [
        ("https://x.example/a?b=c#d", "https://x.example/a?b=c#d"),
        ("evidence/aks.json", "evidence/aks.json"),
        ("see ticket #12 [ops]", "see%20ticket%20%2312%20%5Bops%5D"),
        ("1abc:foo", "1abc%3Afoo"),
        ("http://a:b/", "http%3A//a%3Ab/"),
        ("100%", "100%25"),
    ] {
        assert_eq!(href(entry), expected, "{entry}");
    }
}

#[test]
fn a_time_oscal_cannot_hold_is_refused_naming_the_field() {
    let dir = tempfile::tempdir().unwrap();
    small(dir.path())
        .env("READINESS_NOW", "1999-12-31T10:00:00Z")
        .args(["answer", "net.private", "--status", "pass"])
        .assert()
        .success();
    let out = small(dir.path())
        .args(["attest", "--format", "oscal"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("answered_at of item net.private"),
        "{stderr}"
    );
}
