//! Hostile and broken input: malformed, huge, deeply nested, mistyped and mis-encoded
//! checklists and sign-offs, templates that do not parse or would never finish, and ARM
//! answers that are truncated, enormous, of the wrong shape or missing their usual fields.
//!
//! Small cases are files under `tests/data/hostile/` (each names the message it must give in
//! `# expect:` lines); the huge ones are generated here into a temporary directory. Every case
//! gives a clear message and the documented exit code (2 bad input; 3 could not check, for
//! ARM faults met by `check`), never a panic or a crash, and writes nothing.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::Output;

use common::fake_arm::{FakeArm, check_args, fixture_text};
use common::{expectations, readiness, small};
use serde_json::Value;
use wiremock::ResponseTemplate;

fn hostile(rel: &str) -> PathBuf {
    common::data("hostile").join(rel)
}

fn files(dir: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(hostile(dir))
        .expect("corpus dir")
        .map(|e| e.expect("entry").path())
        .collect();
    files.sort();
    files
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Exit code, no panic, no crash (a signal), and every expected piece of the message.
fn assert_refused(out: &Output, code: i32, expected: &[String], what: &str) {
    let err = stderr(out);
    assert_eq!(out.status.code(), Some(code), "{what}: {err}");
    assert!(!err.contains("panicked"), "{what}: {err}");
    assert!(!err.contains("overflowed its stack"), "{what}: {err}");
    for e in expected {
        assert!(
            err.contains(e.as_str()),
            "{what}: expected {e:?} in:\n{err}"
        );
    }
}

/// Every file in `dir`, by name (a check that nothing was written).
fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn validate(dir: &Path, checklist: &Path) -> Output {
    readiness(dir)
        .args(["checklist", "validate"])
        .arg(checklist)
        .output()
        .unwrap()
}

/// Checklist refused by `checklist validate` and by `answer` (which then writes no sign-off).
fn assert_checklist_refused(checklist: &Path, expected: &[String]) {
    let dir = tempfile::tempdir().unwrap();
    let what = checklist.display().to_string();
    assert_refused(&validate(dir.path(), checklist), 2, expected, &what);
    let out = readiness(dir.path())
        .arg("--checklist")
        .arg(checklist)
        .args(["answer", "a.b", "--status", "pass"])
        .output()
        .unwrap();
    assert_refused(&out, 2, expected, &what);
    assert_eq!(
        listing(dir.path()),
        Vec::<String>::new(),
        "{what}: wrote something"
    );
}

#[test]
fn every_hostile_checklist_file_is_refused_with_its_message() {
    let corpus = files("checklists");
    assert!(corpus.len() >= 12, "corpus is missing");
    for file in corpus {
        let expected = expectations(&file);
        assert!(
            !expected.is_empty(),
            "{} has no `# expect:` line",
            file.display()
        );
        assert_checklist_refused(&file, &expected);
    }
}

fn item(id: &str, extra: &str) -> String {
    format!(
        "[[items]]\nid = \"{id}\"\nphase = \"before-deployment\"\ncategory = \"c\"\ntitle = \"t\"\nguidance = \"g\"\n{extra}\n"
    )
}

const HEAD: &str = "schema_version = 1\nid = \"hostile\"\ntitle = \"Hostile\"\nversion = \"1\"\n";

#[test]
fn huge_and_deeply_nested_checklists_are_refused_without_crashing() {
    let tmp = tempfile::tempdir().unwrap();
    let write = |name: &str, bytes: &[u8]| {
        let path = tmp.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        path
    };
    let ten_mb = 10 << 20;
    let cases: Vec<(PathBuf, Vec<&str>)> = vec![
        // 10 MB of text, then a syntax error on the last line.
        (
            write(
                "huge-malformed.toml",
                format!("{HEAD}description = \"{}\"\n{}\nbroken = [1, 2\n", "x".repeat(ten_mb), item("a.b", "")).as_bytes(),
            ),
            vec!["huge-malformed.toml:14:", "invalid TOML"],
        ),
        // 10,000 nested arrays, inline tables, dotted keys and table headers.
        (
            write("nested-arrays.toml", format!("{HEAD}x = {}{}\n", "[".repeat(10_000), "]".repeat(10_000)).as_bytes()),
            vec!["nested-arrays.toml:5:", "invalid TOML", "recursion"],
        ),
        (
            write("nested-tables.toml", format!("{HEAD}x = {}1{}\n", "{a = ".repeat(10_000), "}".repeat(10_000)).as_bytes()),
            vec!["nested-tables.toml:5:", "invalid TOML", "recursion"],
        ),
        (
            write("dotted-key.toml", format!("{HEAD}{} = 1\n", vec!["a"; 10_000].join(".")).as_bytes()),
            vec!["dotted-key.toml:", "invalid TOML", "recursion"],
        ),
        (
            write("table-header.toml", format!("{HEAD}[{}]\nx = 1\n", vec!["a"; 10_000].join(".")).as_bytes()),
            vec!["table-header.toml:", "invalid TOML", "recursion"],
        ),
        // A rule nested 10,000 deep, and one 100 deep (short enough, too deep).
        (
            write(
                "deep-rule.toml",
                format!("{HEAD}{}", item("a.b", &format!("[[items.checks]]\nsource = \"arm:aks\"\nexpect = \"{}a{}\"\nexplain = \"e\"\n", "(".repeat(10_000), ")".repeat(10_000)))).as_bytes(),
            ),
            vec!["deep-rule.toml:13:10: `expect` is not a valid JMESPath expression", "a rule may have at most 2048"],
        ),
        (
            write(
                "deep-rule-short.toml",
                format!("{HEAD}{}", item("a.b", &format!("[[items.checks]]\nsource = \"arm:aks\"\nexpect = \"{}a{}\"\nexplain = \"e\"\n", "!".repeat(100), ""))).as_bytes(),
            ),
            vec!["deep-rule-short.toml:13:10:", "the expression nests 101 levels deep; a rule may nest at most 64"],
        ),
        // Saved as UTF-16 (what some Windows editors do).
        (
            write("utf16.toml", &{
                let mut b = vec![0xff, 0xfe];
                b.extend(HEAD.encode_utf16().flat_map(u16::to_le_bytes));
                b
            }),
            vec!["utf16.toml:1:1: the file is not valid UTF-8"],
        ),
    ];
    for (path, expected) in cases {
        let expected: Vec<String> = expected.into_iter().map(String::from).collect();
        assert_checklist_refused(&path, &expected);
    }
}

#[test]
fn a_flood_of_problems_is_counted_and_shown_in_part() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("flood.toml");
    let keys: String = (0..20_000).map(|i| format!("k{i} = {i}\n")).collect();
    std::fs::write(&path, format!("schema_version = 1\n{keys}")).unwrap();
    let out = validate(tmp.path(), &path);
    let expected = [
        "20004 problem(s) in checklist".to_string(),
        "… and 19904 more".to_string(),
    ];
    assert_refused(&out, 2, &expected, "flood");
    assert!(stderr(&out).lines().count() < 110, "every problem printed");
}

#[test]
fn a_checklist_of_ten_thousand_items_loads_and_is_usable() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("big.toml");
    let items: String = (0..10_000)
        .map(|i| {
            item(
                &format!("item.{i:05}"),
                "[[items.checks]]\nsource = \"arm:aks\"\nexpect = \"properties.enableRBAC == `true`\"\nexplain = \"e\"\n",
            )
        })
        .collect();
    std::fs::write(&path, format!("{HEAD}{items}")).unwrap();
    let run = |args: &[&str]| {
        readiness(tmp.path())
            .arg("--checklist")
            .arg(&path)
            .args(args)
            .output()
            .unwrap()
    };
    // `answer` loads and validates all of it, then records one answer; `attest` shows it.
    let out = run(&[
        "answer",
        "item.09999",
        "--status",
        "pass",
        "--note",
        "the last one",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let out = run(&["attest"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let md = String::from_utf8_lossy(&out.stdout);
    assert!(md.contains("| ✔ pass | `item.09999`"), "item missing");
    assert!(
        md.contains("| **All phases** | **1** | **0** | **0** | **0** | **9999** | **10000** |"),
        "summary missing"
    );
}

#[test]
fn a_ten_megabyte_checklist_that_is_valid_loads() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("huge.toml");
    let huge = item("a.b", "").replace(
        "guidance = \"g\"",
        &format!("guidance = \"{}\"", "g".repeat(10 << 20)),
    );
    std::fs::write(&path, format!("{HEAD}{huge}")).unwrap();
    let out = validate(tmp.path(), &path);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("valid — checklist hostile version 1, 1 items"),
        "{stdout}"
    );
}

#[test]
fn every_hostile_signoff_is_refused_and_left_untouched() {
    let tmp = tempfile::tempdir().unwrap();
    let write = |name: &str, bytes: Vec<u8>| {
        let path = tmp.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        path
    };
    let head = "schema_version = 1\n\n[checklist]\nid = \"test-small\"\nversion = \"1.0\"\nsha256 = \"0000000000000000000000000000000000000000000000000000000000000000\"\n\n[items.\"net.private\"]\nstatus = \"pass\"\nanswered_by = \"a\"\nanswered_at = 2026-11-27T10:00:00Z\n";
    let mut cases: Vec<(PathBuf, Vec<String>)> = files("signoffs")
        .into_iter()
        .map(|f| {
            let e = expectations(&f);
            assert!(!e.is_empty(), "{} has no `# expect:` line", f.display());
            (f, e)
        })
        .collect();
    assert!(cases.len() >= 9, "corpus is missing");
    let generated: Vec<(PathBuf, Vec<&str>)> = vec![
        (
            write(
                "nested-note.toml",
                format!(
                    "{head}note = {}\"x\"{}\n",
                    "[".repeat(10_000),
                    "]".repeat(10_000)
                )
                .into_bytes(),
            ),
            vec![":12:", "invalid TOML", "recursion"],
        ),
        (
            write(
                "huge-malformed.toml",
                format!("{head}note = \"{}\n", "x".repeat(10 << 20)).into_bytes(),
            ),
            vec![":12:", "invalid TOML"],
        ),
        (
            write(
                "utf16.toml",
                [0xff, 0xfe]
                    .into_iter()
                    .chain(head.encode_utf16().flat_map(u16::to_le_bytes))
                    .collect(),
            ),
            vec!["the file is not valid UTF-8"],
        ),
    ];
    cases.extend(
        generated
            .into_iter()
            .map(|(p, e)| (p, e.into_iter().map(String::from).collect())),
    );
    for (file, expected) in cases {
        let dir = tempfile::tempdir().unwrap();
        let name = "s.toml";
        std::fs::copy(&file, dir.path().join(name)).unwrap();
        let before = std::fs::read(dir.path().join(name)).unwrap();
        let commands: &[&[&str]] = if before.len() > 1 << 20 {
            // The same paths as the other cases, in fewer runs of a slow case.
            &[
                &["attest", "--output", "a.md"],
                &["answer", "gov.assessment", "--status", "pass"],
            ]
        } else {
            &[
                &["attest", "--output", "a.md"],
                &["answer", "gov.assessment", "--status", "pass"],
                &["sign", "--name", "n", "--role", "r"],
                &["check", "--offline", "--record"],
            ]
        };
        for &args in commands {
            let out = small(dir.path())
                .arg("--signoff")
                .arg(name)
                .args(args)
                .output()
                .unwrap();
            assert_refused(&out, 2, &expected, &format!("{} {args:?}", file.display()));
            assert_eq!(
                std::fs::read(dir.path().join(name)).unwrap(),
                before,
                "{} was modified by {args:?}",
                file.display()
            );
            assert_eq!(
                listing(dir.path()),
                vec![name.to_string()],
                "{}",
                file.display()
            );
        }
    }
}

#[test]
fn strange_but_valid_datetimes_are_accepted() {
    // A leap second (read as 23:59:59) and the year 0 are valid TOML datetimes.
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        hostile("signoffs-accepted/leap-second-and-year-zero.toml"),
        dir.path().join("s.toml"),
    )
    .unwrap();
    let out = small(dir.path())
        .args(["--signoff", "s.toml", "attest"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let md = String::from_utf8_lossy(&out.stdout);
    assert!(md.contains("on 0000-01-01 00:00 UTC"), "{md}");
    assert!(md.contains("alice, 2016-12-31 23:59 UTC"), "{md}");
}

/// A directory with one answer to the small checklist, for the template cases.
fn answered() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    small(dir.path())
        .args(["answer", "net.private", "--status", "pass", "--note", "n"])
        .assert()
        .success();
    dir
}

fn attest_with(dir: &Path, template: &Path) -> Output {
    small(dir)
        .args(["attest", "--output", "attestation.md", "--template"])
        .arg(template)
        .output()
        .unwrap()
}

#[test]
fn every_hostile_template_is_refused_and_writes_nothing() {
    let dir = answered();
    let before = listing(dir.path());
    let corpus = files("templates");
    assert!(corpus.len() >= 10, "corpus is missing");
    for file in corpus {
        let expected = expectations(&file);
        assert!(
            !expected.is_empty(),
            "{} has no `# expect:` line",
            file.display()
        );
        let mut expected = expected;
        expected.push(format!("template {}", file.display()));
        let out = attest_with(dir.path(), &file);
        assert_refused(&out, 2, &expected, &file.display().to_string());
        assert_eq!(listing(dir.path()), before, "{}", file.display());
    }
}

#[test]
fn templates_nested_too_deep_for_the_parser_are_refused_before_parsing() {
    let dir = answered();
    let tmp = tempfile::tempdir().unwrap();
    let cases: [(&str, String, &str); 5] = [
        (
            "nested-ifs.md.tera",
            format!(
                "{}x{}",
                "{% if true %}".repeat(10_000),
                "{% endif %}".repeat(10_000)
            ),
            "line 1: blocks nested more than 32 deep",
        ),
        (
            "nested-parens.md.tera",
            format!("\n{{{{ {}1{} }}}}", "(".repeat(10_000), ")".repeat(10_000)),
            "line 2: a tag longer than 500 characters",
        ),
        // Ten levels of calls in arrays take tera's parser minutes (exponential).
        (
            "nested-calls.md.tera",
            format!("{{{{ {}1{} }}}}", "[range(end=".repeat(10), ")]".repeat(10)),
            "line 1: brackets nested more than 4 deep in one tag",
        ),
        (
            "long-sum.md.tera",
            format!("{{{{ {} }}}}", vec!["1"; 5000].join(" + ")),
            "a tag longer than 500 characters",
        ),
        (
            "huge.md.tera",
            "x".repeat(2 << 20),
            "the template is 2097152 bytes; at most 1048576 are allowed",
        ),
    ];
    for (name, text, message) in cases {
        let path = tmp.path().join(name);
        std::fs::write(&path, text).unwrap();
        let out = attest_with(dir.path(), &path);
        assert_refused(&out, 2, &[message.to_string()], name);
        assert!(!dir.path().join("attestation.md").exists(), "{name}");
    }
}

#[test]
fn a_template_that_loops_without_output_is_stopped_by_the_deadline() {
    use readiness::attest::template::Limits;
    let checklist = readiness::checklist::load_file(&common::small_checklist()).unwrap();
    let signoff = readiness::signoff::SignOff::default();
    let now = common::NOW.parse().unwrap();
    let context = readiness::attest::build_context(&checklist, &signoff, "0", now, None);
    // 10^10 empty iterations: hours. The deadline ends it; the cancelled `range` then stops
    // the abandoned render at its next inner loop.
    let template =
        "{% for a in range(end=100000) %}{% for b in range(end=100000) %}{% endfor %}{% endfor %}";
    let limits = Limits {
        time: std::time::Duration::from_millis(300),
        output_bytes: 1 << 20,
    };
    let started = std::time::Instant::now();
    let err = readiness::attest::render_with_limits("loop.md.tera", template, &context, limits)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("rendering did not finish within 0.3 s; does the template loop?"),
        "{err}"
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
}

// ---- ARM answers through `readiness check` against the fake server ----

struct Run {
    code: Option<i32>,
    json: Value,
    stderr: String,
    files: Vec<String>,
}

impl Run {
    fn causes(&self) -> Vec<String> {
        let mut causes: Vec<String> = self.json["items"]
            .as_array()
            .map(|items| {
                items
                    .iter()
                    .flat_map(|i| i["checks"].as_array().cloned().unwrap_or_default())
                    .filter_map(|c| c["cause"].as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default();
        causes.sort();
        causes.dedup();
        causes
    }

    /// `check` could not check: exit 3, no panic, nothing written, and a cause saying `says`.
    fn assert_could_not_check(&self, says: &str) {
        assert_eq!(self.code, Some(3), "{}\n{:?}", self.stderr, self.causes());
        assert!(!self.stderr.contains("panicked"), "{}", self.stderr);
        assert_eq!(self.files, Vec::<String>::new(), "check wrote files");
        let causes = self.causes();
        assert!(
            causes.iter().any(|c| c.contains(says)),
            "no cause says {says:?}: {causes:#?}"
        );
        assert_eq!(
            self.json["summary"]["fail"], 0,
            "a fail on a document never observed"
        );
    }
}

async fn check(fake: &FakeArm, named: bool) -> Run {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = readiness(dir.path());
    cmd.args(check_args(&fake.uri(), named))
        .args(["--format", "json", "--timeout", "10"]);
    let out = common::output_off_runtime(cmd).await;
    Run {
        code: out.status.code(),
        json: serde_json::from_slice(&out.stdout).unwrap_or(Value::Null),
        stderr: stderr(&out),
        files: listing(dir.path()),
    }
}

const JSON: &str = "application/json";

#[tokio::test(flavor = "multi_thread")]
async fn arm_documents_that_are_truncated_enormous_or_misshapen_are_could_not_check() {
    let cluster = fixture_text("hardened/managed-cluster.json");
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "truncated",
            cluster.as_bytes()[..cluster.len() / 2].to_vec(),
            "the body is not valid JSON (EOF while parsing",
        ),
        (
            "empty",
            Vec::new(),
            "the body is not valid JSON (EOF while parsing a value at line 1 column 0)",
        ),
        (
            "enormous",
            format!(
                "{{\"properties\": {{\"padding\": \"{}\"}}}}",
                "a".repeat(50 << 20)
            )
            .into_bytes(),
            "the body is 50.0 MiB; an ARM document is at most 16 MiB",
        ),
        (
            "an array",
            b"[{\"properties\": {}}]".to_vec(),
            "the body is an array, not the JSON object ARM answers with",
        ),
        (
            "a string",
            b"\"Microsoft.ContainerService\"".to_vec(),
            "the body is a string",
        ),
        (
            "nested 10,000 deep",
            format!("{}{}", "[".repeat(10_000), "]".repeat(10_000)).into_bytes(),
            "the body is not valid JSON (recursion limit exceeded",
        ),
    ];
    for (what, body, says) in cases {
        let fake = FakeArm::start("hardened").await;
        fake.fault(
            &FakeArm::path_cluster(),
            ResponseTemplate::new(200).set_body_raw(body, JSON),
            None,
        )
        .await;
        let run = check(&fake, true).await;
        eprintln!("{what}: {:?}", run.causes());
        run.assert_could_not_check(says);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_listing_with_value_not_a_list_or_a_looping_next_link_is_could_not_check() {
    // `value` an object: the resource group cannot be listed, so nothing is discovered.
    let fake = FakeArm::start("hardened").await;
    fake.fault(
        &FakeArm::path_resources(),
        ResponseTemplate::new(200).set_body_raw(r#"{"value": {"id": "x"}}"#, JSON),
        None,
    )
    .await;
    check(&fake, false)
        .await
        .assert_could_not_check("`value` is not a list");

    // A nextLink that points back at the same page, for ever.
    let fake = FakeArm::start("hardened").await;
    let looping = format!(
        r#"{{"value": [], "nextLink": "{}{}?api-version=2021-04-01&$skipToken=again"}}"#,
        fake.uri(),
        FakeArm::path_resources()
    );
    fake.fault(
        &FakeArm::path_resources(),
        ResponseTemplate::new(200).set_body_raw(looping, JSON),
        None,
    )
    .await;
    check(&fake, false)
        .await
        .assert_could_not_check("the nextLink chain repeats itself or never ends");
}

#[tokio::test(flavor = "multi_thread")]
async fn error_answers_without_the_usual_fields_still_explain() {
    let cases: [(u16, &str, &str); 5] = [
        (
            403,
            "<html><body>Forbidden</body></html>",
            "not permitted (403): <html><body>Forbidden</body></html>",
        ),
        (
            401,
            "",
            "not signed in to Azure or the token was rejected (401)",
        ),
        (
            404,
            r#"{"error": {"code": 5, "message": null}}"#,
            "not found: /subscriptions/",
        ),
        (
            409,
            r#"{"error": "a flat string"}"#,
            r#"HTTP 409 reading /subscriptions/"#,
        ),
        (400, "\u{0}\u{1}binary\u{ff}", "HTTP 400 reading"),
    ];
    for (status, body, says) in cases {
        let fake = FakeArm::start("hardened").await;
        fake.fault(
            &FakeArm::path_vault(),
            ResponseTemplate::new(status).set_body_raw(body, JSON),
            None,
        )
        .await;
        let run = check(&fake, true).await;
        run.assert_could_not_check(says);
    }
}

#[test]
fn hostile_evidence_files_are_could_not_check() {
    let cases: [(&str, &[u8], &str); 5] = [
        (
            "aks.json",
            b"[1, 2, 3]",
            "aks.json: expected a JSON object (as `az … show -o json` prints it)",
        ),
        (
            "aks.json",
            b"{\"properties\": {\"enableRBAC\": tr",
            "aks.json:1:",
        ),
        (
            "aks.json",
            b"{\"name\": \"caf\xe9\"}",
            "stream did not contain valid UTF-8",
        ),
        (
            "key-vault.json",
            b"null",
            "key-vault.json: expected a JSON object",
        ),
        (
            "aks-diagnostic-settings.json",
            b"{\"value\": 5}",
            "expected a JSON array",
        ),
    ];
    for (file, body, says) in cases {
        let dir = tempfile::tempdir().unwrap();
        let evidence = dir.path().join("evidence");
        std::fs::create_dir(&evidence).unwrap();
        std::fs::write(evidence.join(file), body).unwrap();
        let out = readiness(dir.path())
            .args(["check", "--format", "json", "--evidence-dir", "evidence"])
            .output()
            .unwrap();
        let run = Run {
            code: out.status.code(),
            json: serde_json::from_slice(&out.stdout).unwrap_or(Value::Null),
            stderr: stderr(&out),
            files: listing(dir.path())
                .into_iter()
                .filter(|f| f != "evidence")
                .collect(),
        };
        run.assert_could_not_check(says);
    }
}
