//! `readiness check --format junit|sarif`: each output validates against its published schema
//! (`tests/data/schemas/`: the Jenkins xUnit plugin's `junit-10.xsd` through `xmllint`, the
//! OASIS SARIF 2.1.0 schema through the `jsonschema` crate), names the failing items, survives
//! hostile text, and is byte-stable.

use crate::common;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Output;

use common::fake_arm::{FakeArm, NAMED, check_args};
use quick_xml::events::Event;
use serde_json::Value;

fn schema(name: &str) -> std::path::PathBuf {
    common::data(&format!("schemas/{name}"))
}

/// Validates `xml` with `xmllint --schema junit-10.xsd` (libxml2-utils; .ci/run installs it).
fn assert_valid_junit(xml: &str) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("report.xml");
    std::fs::write(&file, xml).unwrap();
    let out = std::process::Command::new("xmllint")
        .arg("--noout")
        .arg("--schema")
        .arg(schema("junit-10.xsd"))
        .arg(&file)
        .output()
        .expect("xmllint runs (apt-get install libxml2-utils)");
    assert!(
        out.status.success(),
        "JUnit report does not validate against junit-10.xsd:\n{}\n{xml}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Validates `text` against the SARIF 2.1.0 schema; returns the document.
fn assert_valid_sarif(text: &str) -> Value {
    let schema: Value =
        serde_json::from_str(&std::fs::read_to_string(schema("sarif-schema-2.1.0.json")).unwrap())
            .unwrap();
    let validator = jsonschema::validator_for(&schema).expect("the SARIF schema compiles");
    let doc: Value = serde_json::from_str(text)
        .unwrap_or_else(|e| panic!("SARIF report is not JSON: {e}\n{text}"));
    let errors: Vec<String> = validator
        .iter_errors(&doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "SARIF report does not validate:\n{}",
        errors.join("\n")
    );
    doc
}

/// The testcases of a JUnit report holding `child` (failure, error, skipped), by name.
fn cases_with(xml: &str, child: &str) -> BTreeSet<String> {
    let mut reader = quick_xml::Reader::from_str(xml);
    let (mut current, mut found) = (None, BTreeSet::new());
    loop {
        match reader.read_event().expect("well-formed XML") {
            Event::Start(e) | Event::Empty(e) => {
                let name = e.name().as_ref().to_vec();
                if name == b"testcase" {
                    current = e
                        .try_get_attribute("name")
                        .unwrap()
                        .map(|a| a.unescape_value().unwrap().into_owned());
                } else if name == child.as_bytes()
                    && let Some(case) = &current
                {
                    found.insert(case.clone());
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    found
}

/// A suite-level count attribute of the report.
fn count_of(xml: &str, element: &str, attribute: &str) -> Vec<usize> {
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut counts = Vec::new();
    loop {
        match reader.read_event().unwrap() {
            Event::Start(e) | Event::Empty(e) if e.name().as_ref() == element.as_bytes() => {
                if let Some(a) = e.try_get_attribute(attribute).unwrap() {
                    counts.push(a.unescape_value().unwrap().parse().unwrap());
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    counts
}

/// The ids of the items of a `--format json` report in `status`.
fn ids_in(json: &Value, status: &str) -> BTreeSet<String> {
    json["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["status"] == status)
        .map(|i| i["id"].as_str().unwrap().to_string())
        .collect()
}

fn stdout(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).expect("UTF-8 output")
}

/// `readiness ARGS --format FORMAT` in `dir`, off the async runtime's threads.
async fn run(dir: &Path, args: &[String], format: &str) -> Output {
    let mut cmd = common::readiness(dir);
    cmd.args(args).args(["--format", format]);
    common::output_off_runtime(cmd).await
}

/// The three formats of one run: JSON, JUnit and SARIF, each with its exit code.
struct Formats {
    json: Value,
    junit: String,
    sarif: Value,
}

async fn all_formats(dir: &Path, args: &[String]) -> Formats {
    let json = run(dir, args, "json").await;
    let junit = run(dir, args, "junit").await;
    let sarif = run(dir, args, "sarif").await;
    // The format never changes the exit code.
    assert_eq!(junit.status.code(), json.status.code(), "{junit:?}");
    assert_eq!(sarif.status.code(), json.status.code(), "{sarif:?}");
    let junit = stdout(&junit);
    assert_valid_junit(&junit);
    let sarif = assert_valid_sarif(&stdout(&sarif));
    Formats {
        json: serde_json::from_slice(&json.stdout).unwrap(),
        junit,
        sarif,
    }
}

fn results(sarif: &Value) -> &Vec<Value> {
    sarif["runs"][0]["results"].as_array().unwrap()
}

fn arm_args(fake: &FakeArm) -> Vec<String> {
    let mut args = check_args(&fake.uri(), false);
    args.extend(NAMED.iter().map(|s| s.to_string()));
    args
}

#[tokio::test(flavor = "multi_thread")]
async fn hardened_and_broken_deployments_give_valid_reports_naming_the_failing_items() {
    for (fixture, code) in [("hardened", 0), ("broken", 1)] {
        let fake = FakeArm::start(fixture).await;
        let dir = tempfile::tempdir().unwrap();
        let args = arm_args(&fake);
        assert_eq!(
            run(dir.path(), &args, "junit").await.status.code(),
            Some(code)
        );
        let f = all_formats(dir.path(), &args).await;

        let failing = ids_in(&f.json, "fail");
        assert_eq!(fixture == "hardened", failing.is_empty(), "{fixture}");
        assert_eq!(cases_with(&f.junit, "failure"), failing, "{fixture}");
        assert_eq!(cases_with(&f.junit, "error"), ids_in(&f.json, "error"));
        let rule_ids: BTreeSet<String> = results(&f.sarif)
            .iter()
            .map(|r| r["ruleId"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(rule_ids, failing, "{fixture}");
        if fixture == "broken" {
            assert!(failing.contains("net.private-api-server"));
        }

        // Counts: on <testsuites>, and per suite summing to it.
        let total = count_of(&f.junit, "testsuites", "failures");
        let per_suite = count_of(&f.junit, "testsuite", "failures");
        assert_eq!(per_suite.len(), 3, "one suite per phase");
        assert_eq!(total, vec![per_suite.iter().sum::<usize>()]);
        assert_eq!(total, vec![failing.len()]);
        // Terraform was not read: its items are skipped, with why.
        assert!(
            count_of(&f.junit, "testsuite", "skipped")
                .iter()
                .sum::<usize>()
                > 0
        );
        assert!(
            f.junit
                .contains(r#"<skipped message="no --terraform-dir given"/>"#)
        );
        assert!(f.junit.contains(r#"timestamp="2026-11-27T10:00:00Z""#));

        // One rule per checklist item, with GitHub's security-severity.
        let rules = f.sarif["runs"][0]["tool"]["driver"]["rules"]
            .as_array()
            .unwrap();
        assert_eq!(rules.len(), 68);
        let private = rules
            .iter()
            .find(|r| r["id"] == "net.private-api-server")
            .unwrap();
        // severity = "high" in the built-in checklist.
        assert_eq!(private["properties"]["security-severity"], "7.5");
        assert_eq!(
            private["shortDescription"]["text"],
            "The AKS API server is private"
        );
        // ARM results: the resource as a logical location, the sign-off as the file.
        for result in results(&f.sarif) {
            let location = &result["locations"][0];
            assert_eq!(
                location["physicalLocation"]["artifactLocation"]["uri"],
                "readiness-signoff.toml"
            );
            let logical = &location["logicalLocations"][0];
            assert_eq!(logical["kind"], "resource");
            assert!(
                logical["fullyQualifiedName"]
                    .as_str()
                    .unwrap()
                    .starts_with("/subscriptions/"),
                "{result}"
            );
            assert!(
                result["message"]["text"]
                    .as_str()
                    .unwrap()
                    .contains(". Observed: ")
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn arm_results_point_at_the_signoff_given() {
    let fake = FakeArm::start("broken").await;
    let dir = tempfile::tempdir().unwrap();
    let mut args = vec!["--signoff".to_string(), "ops/prod signoff.toml".to_string()];
    args.extend(arm_args(&fake));
    std::fs::create_dir(dir.path().join("ops")).unwrap();
    let out = run(dir.path(), &args, "sarif").await;
    let sarif = assert_valid_sarif(&stdout(&out));
    assert!(!results(&sarif).is_empty());
    for result in results(&sarif) {
        assert_eq!(
            result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            "ops/prod%20signoff.toml"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn terraform_results_point_at_the_file_and_line_that_set_the_value() {
    let dir = tempfile::tempdir().unwrap();
    let module = dir.path().join("infra");
    std::fs::create_dir(&module).unwrap();
    for entry in std::fs::read_dir(common::data("terraform/reference")).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, module.join(path.file_name().unwrap())).unwrap();
    }
    // A tfvars file turns the NAT gateway off on its third line.
    std::fs::write(
        module.join("terraform.tfvars"),
        "# prod\n\nshould_enable_nat_gateway = false\n",
    )
    .unwrap();
    let args: Vec<String> = ["check", "--offline", "--terraform-dir", "infra"]
        .map(String::from)
        .to_vec();
    let f = all_formats(dir.path(), &args).await;
    let failing = ids_in(&f.json, "fail");
    assert!(failing.contains("net.nat-egress"), "{failing:?}");
    assert_eq!(cases_with(&f.junit, "failure"), failing);
    // Azure is not read: the ARM-only items are skipped, with why.
    assert!(
        f.junit
            .contains(r#"<skipped message="Azure is not read in this run (--offline)"/>"#)
    );

    for result in results(&f.sarif) {
        let physical = &result["locations"][0]["physicalLocation"];
        let uri = physical["artifactLocation"]["uri"].as_str().unwrap();
        assert!(
            uri.starts_with("infra/") && uri.ends_with(".tf") || uri.ends_with(".tfvars"),
            "{uri}"
        );
        assert_eq!(physical["artifactLocation"]["uriBaseId"], "%SRCROOT%");
        assert!(result["locations"][0].get("logicalLocations").is_none());
        let line = physical["region"]["startLine"].as_u64().unwrap() as usize;
        if result["properties"]["source"] == "terraform:variables" {
            // The line names the variable whose value failed.
            let text = std::fs::read_to_string(dir.path().join(uri)).unwrap();
            let variable = result["properties"]["observed"]
                .as_object()
                .unwrap()
                .keys()
                .next()
                .unwrap()
                .clone();
            // The line sets the variable, or is the `default` of its `variable` block.
            let lines: Vec<&str> = text.lines().take(line).collect();
            let at = lines[line - 1];
            let block = lines.iter().rev().find(|l| l.starts_with("variable "));
            assert!(
                at.contains(&variable)
                    || at.trim_start().starts_with("default")
                        && block.is_some_and(|b| b.contains(&format!("\"{variable}\""))),
                "{uri}:{line}: {at:?} ({variable})"
            );
        }
    }
    let nat = results(&f.sarif)
        .iter()
        .find(|r| r["ruleId"] == "net.nat-egress")
        .unwrap();
    let physical = &nat["locations"][0]["physicalLocation"];
    assert_eq!(
        physical["artifactLocation"]["uri"],
        "infra/terraform.tfvars"
    );
    assert_eq!(physical["region"]["startLine"], 3);
}

/// A checklist whose texts carry everything XML and JSON must escape, and control
/// characters XML 1.0 forbids outright.
const HOSTILE: &str = r#"
schema_version = 1
id = "hostile"
title = "Hostile </testsuites> & ]]>"
version = "1.0\u0001"

[[items]]
id = "net.hostile"
phase = "before-deployment"
category = "net<work> & \"co\" ]]>\u0001"
title = "<title> & ]]> \"quoted\" \u0000\u001b[2J\u0007 \ufffe"
guidance = "<![CDATA[ x ]]> & </guidance> \u0008\u000b\u000c"
severity = "critical"

[[items.references]]
title = "not a url"
url = "https://example.com/a b <c>"

[[items.checks]]
source = "terraform:variables"
expect = "hostile == 'safe'"
observe = "{hostile: hostile}"
explain = "Explained <b>&amp;</b> ]]> \"\u0001\u001f"

[[items]]
id = "gov.manual"
phase = "during-operation"
category = "governance"
title = "Manual ]]>"
guidance = "Manual."
"#;

#[tokio::test(flavor = "multi_thread")]
async fn hostile_texts_still_give_valid_xml_and_sarif() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("hostile.toml"), HOSTILE).unwrap();
    // A module directory whose name, and a value in it, carry the same.
    let module = dir.path().join("tf <&]]> \"x\"\u{1}");
    std::fs::create_dir(&module).unwrap();
    std::fs::write(
        module.join("main.tf"),
        "variable \"hostile\" {\n  default = \"</failure>]]>&\\u0001\\u001b\\uFFFF\"\n}\n",
    )
    .unwrap();
    let args: Vec<String> = vec![
        "--checklist".into(),
        "hostile.toml".into(),
        "check".into(),
        "--offline".into(),
        "--terraform-dir".into(),
        module.file_name().unwrap().to_string_lossy().into_owned(),
    ];
    let json = run(dir.path(), &args, "json").await;
    assert_eq!(json.status.code(), Some(1), "{json:?}");
    let f = all_formats(dir.path(), &args).await;
    assert_eq!(
        cases_with(&f.junit, "failure"),
        BTreeSet::from(["net.hostile".to_string()])
    );
    // The forbidden characters are shown as escapes; the rest is escaped, never raw.
    assert!(f.junit.contains(r"\x01"), "{}", f.junit);
    assert!(!f.junit.contains("</failure>]]>"));
    assert_eq!(results(&f.sarif).len(), 1);
    let rule = &f.sarif["runs"][0]["tool"]["driver"]["rules"][0];
    assert_eq!(rule["properties"]["security-severity"], "9.0");
    assert!(
        rule.get("helpUri")
            .is_some_and(|u| !u.as_str().unwrap().contains(' '))
    );

    // A module that does not parse: its cause (with the hostile path) is an <error>.
    std::fs::write(
        module.join("main.tf"),
        "variable \"hostile\" {\n  default = \n",
    )
    .unwrap();
    let f = all_formats(dir.path(), &args).await;
    assert_eq!(
        cases_with(&f.junit, "error"),
        BTreeSet::from(["net.hostile".to_string()])
    );
    assert!(results(&f.sarif).is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn hostile_item_ids_causes_and_values_give_valid_xml_and_sarif() {
    // Item ids from a checklist are restricted; results built by hand are not.
    use readiness::verdict::{AutoStatus, CheckResult, CheckStatus, ItemResult};
    let checklist = readiness::checklist::builtin().unwrap();
    let hostile = "id<&>\"']]>\u{0}\u{1b}\u{fffe}\u{ffff}\r\n\t";
    let check = |status, cause: Option<&str>| CheckResult {
        source: "terraform:variables",
        resource: format!("dir/{hostile}"),
        expect: hostile.to_string(),
        observed: serde_json::json!({ hostile: hostile }),
        status,
        cause: cause.map(str::to_string),
        explain: hostile.to_string(),
    };
    let items = vec![
        ItemResult {
            id: format!("{hostile}fail"),
            phase: readiness::checklist::Phase::BeforeDeployment,
            status: AutoStatus::Fail,
            checks: vec![check(CheckStatus::Fail, None)],
        },
        ItemResult {
            id: format!("{hostile}error"),
            phase: readiness::checklist::Phase::DuringOperation,
            status: AutoStatus::Error,
            checks: vec![check(CheckStatus::Error, Some(hostile))],
        },
        ItemResult {
            id: format!("{hostile}skipped"),
            phase: readiness::checklist::Phase::OngoingMaintenance,
            status: AutoStatus::Manual,
            checks: vec![check(CheckStatus::Skipped, Some(hostile))],
        },
    ];
    let inputs = readiness::report::Inputs {
        checklist: &checklist,
        items: &items,
        checked_at: common::NOW.parse().unwrap(),
    };
    let xml = readiness::report::junit(inputs).unwrap();
    assert_valid_junit(&xml);
    assert_eq!(cases_with(&xml, "failure").len(), 1);
    assert_eq!(cases_with(&xml, "error").len(), 1);
    assert_eq!(cases_with(&xml, "skipped").len(), 1);
    let sarif = readiness::report::sarif(
        inputs,
        Path::new("readiness-signoff.toml"),
        Path::new("/checkout"),
        &|c| {
            Some(readiness::report::Artifact {
                path: Path::new(&c.resource).join("main.tf"),
                line: Some(7),
            })
        },
    );
    // Results whose id is not in the checklist have no rule: they are left out.
    assert_valid_sarif(&sarif);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_same_inputs_give_byte_identical_reports() {
    let fake = FakeArm::start("broken").await;
    let dir = tempfile::tempdir().unwrap();
    let mut args = arm_args(&fake);
    args.extend([
        "--terraform-dir".to_string(),
        common::data("terraform/reference").display().to_string(),
    ]);
    for format in ["junit", "sarif"] {
        let first = run(dir.path(), &args, format).await;
        let second = run(dir.path(), &args, format).await;
        assert!(!first.stdout.is_empty());
        assert_eq!(
            stdout(&first),
            stdout(&second),
            "{format} differs between two runs"
        );
    }
}
