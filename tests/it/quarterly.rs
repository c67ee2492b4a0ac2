//! The quarterly rerun: time moved with READINESS_NOW shows answers lapse on the right day,
//! risk acceptances caught after expiry, carry-forward keyed on item content, and what
//! reviewers see change.

use crate::common;

use std::path::Path;

use common::{small, stdout_of};
use readiness::checklist;
use readiness::clock::Clock;
use readiness::plain::{self, Scripted, ScriptedPrompter, WizardOptions};
use readiness::session::Session;

/// The small checklist's sign-off in `dir`, opened on `now`.
fn session_on(dir: &Path, now: &str) -> Session {
    let c = checklist::load_file(&common::small_checklist()).unwrap();
    Session::open(
        c,
        &dir.join("readiness-signoff.toml"),
        Clock::fixed(now.parse().unwrap()),
    )
    .unwrap()
}

/// The plain wizard, scripted: the target kept as it is, then `script`; the transcript.
fn plain_run(s: &mut Session, dir: &Path, revisit: bool, script: Vec<Scripted>) -> String {
    let mut answers: Vec<Scripted> = (0..5).map(|_| Scripted::Text(String::new())).collect();
    answers.extend(script);
    let mut p = ScriptedPrompter::new(answers);
    let mut opts = WizardOptions {
        revisit,
        author: "alice".into(),
        attestation_path: dir.join("a.md"),
        checks: None,
    };
    plain::run(s, &mut p, &mut opts).unwrap();
    p.transcript.join("\n")
}

/// Answers every item of the small checklist on 2026-11-27 and signs.
fn answer_all(dir: &Path) {
    for id in [
        "net.private",
        "gov.assessment",
        "mon.audit-logs",
        "iac.providers",
        "gov.advisor",
    ] {
        small(dir)
            .args(["answer", id, "--status", "pass"])
            .assert()
            .success();
    }
    small(dir)
        .args([
            "answer",
            "k8s.netpol",
            "--status",
            "risk-accepted",
            "--justification",
            "vendor fix",
            "--expires",
            "2027-01-15",
        ])
        .assert()
        .success();
    small(dir)
        .args(["sign", "--name", "Dana", "--role", "owner"])
        .assert()
        .success();
}

fn fresh_at(dir: &Path, now: &str) -> (i32, String) {
    let out = small(dir)
        .env("READINESS_NOW", now)
        .args(["verify", "--fresh"])
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn an_answer_holds_through_day_90_and_lapses_on_day_91() {
    let dir = tempfile::tempdir().unwrap();
    answer_all(dir.path());
    // Keep the risk acceptance out of the way for this test.
    small(dir.path())
        .args(["answer", "k8s.netpol", "--status", "pass"])
        .assert()
        .success();
    small(dir.path())
        .args(["sign", "--name", "Dana", "--role", "owner"])
        .assert()
        .success();

    let (code, out) = fresh_at(dir.path(), "2026-11-27T10:00:00Z");
    assert_eq!(code, 0, "{out}");
    // Day 90 after 2026-11-27 is 2027-02-25.
    let (code, out) = fresh_at(dir.path(), "2027-02-25T23:59:59Z");
    assert_eq!(code, 0, "{out}");
    let (code, out) = fresh_at(dir.path(), "2027-02-26T00:00:00Z");
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains(
            "net.private: lapsed on 2027-02-26 (answered 2026-11-27, valid through 2027-02-25)"
        ),
        "{out}"
    );
    assert_eq!(out.matches("lapsed on").count(), 6, "{out}");
}

#[test]
fn a_risk_acceptance_is_caught_the_day_after_it_expires() {
    let dir = tempfile::tempdir().unwrap();
    answer_all(dir.path());
    let (code, out) = fresh_at(dir.path(), "2027-01-15T12:00:00Z");
    assert_eq!(code, 0, "{out}");
    let (code, out) = fresh_at(dir.path(), "2027-01-16T00:00:01Z");
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("k8s.netpol: risk acceptance expired on 2027-01-16 (accepted 2026-11-27, through 2027-01-15)"), "{out}");
    assert!(
        !out.contains("net.private"),
        "other answers still hold: {out}"
    );
}

#[test]
fn verify_fresh_speaks_json_for_pipelines_with_the_same_exit_code() {
    let dir = tempfile::tempdir().unwrap();
    let json_at = |now: &str| {
        let out = small(dir.path())
            .env("READINESS_NOW", now)
            .args(["verify", "--fresh", "--format", "json"])
            .output()
            .unwrap();
        let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        (out.status.code(), doc)
    };
    small(dir.path())
        .args(["answer", "net.private", "--status", "pass"])
        .assert()
        .success();
    let (code, doc) = json_at(common::NOW);
    assert_eq!(code, Some(1));
    assert_eq!(doc["schema"], "readiness.verify/v1");
    assert_eq!(doc["ok"], false);
    let problems: Vec<&str> = doc["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap())
        .collect();
    assert!(
        problems.contains(&"gov.assessment: not answered"),
        "{problems:?}"
    );
    assert!(problems.contains(&"sign-off: not signed"), "{problems:?}");

    answer_all(dir.path());
    let (code, doc) = json_at(common::NOW);
    assert_eq!(code, Some(0), "{doc}");
    assert_eq!(doc["ok"], true);
    assert_eq!(doc["problems"], serde_json::json!([]));
    assert_eq!(doc["checked"], serde_json::json!(["fresh"]));
}

#[test]
fn verify_fresh_lists_open_items_and_a_missing_signature() {
    let dir = tempfile::tempdir().unwrap();
    small(dir.path())
        .args(["answer", "net.private", "--status", "pass"])
        .assert()
        .success();
    let (code, out) = fresh_at(dir.path(), common::NOW);
    assert_eq!(code, 1);
    assert!(out.contains("gov.assessment: not answered"), "{out}");
    assert!(out.contains("sign-off: not signed"), "{out}");
    assert!(!out.contains("net.private"), "{out}");
}

#[test]
fn status_lists_what_lapses_soon_and_writes_calendar_entries() {
    let dir = tempfile::tempdir().unwrap();
    answer_all(dir.path());
    let text = stdout_of(
        small(dir.path())
            .env("READINESS_NOW", "2027-01-01T09:00:00Z")
            .args(["status", "--within", "30"]),
    );
    assert!(text.contains("due 2027-01-16"), "{text}");
    assert!(
        text.contains("k8s.netpol") && text.contains("risk acceptance expires"),
        "{text}"
    );
    assert!(
        !text.contains("net.private"),
        "not due within 30 days: {text}"
    );
    assert!(text.contains("Next review due: 2027-01-16"), "{text}");

    let text = stdout_of(
        small(dir.path())
            .env("READINESS_NOW", "2027-03-01T09:00:00Z")
            .args(["status"]),
    );
    assert!(
        text.contains("overdue since 2027-02-26") && text.contains("net.private"),
        "{text}"
    );
    // Past the day, in the past tense.
    assert!(
        text.lines()
            .any(|l| l.contains("net.private") && l.contains("answer lapsed —")),
        "{text}"
    );
    assert!(
        text.lines()
            .any(|l| l.contains("k8s.netpol") && l.contains("risk acceptance expired —")),
        "{text}"
    );

    let ics = stdout_of(
        small(dir.path())
            .env("READINESS_NOW", "2027-01-01T09:00:00Z")
            .args(["status", "--format", "ics"]),
    );
    assert!(ics.starts_with("BEGIN:VCALENDAR\r\n"), "{ics}");
    assert!(ics.contains("BEGIN:VEVENT"), "{ics}");
    assert!(ics.contains("DTSTART;VALUE=DATE:20270116"), "{ics}");
    assert!(ics.contains("UID:k8s.netpol-2027-01-16@readiness"), "{ics}");
    assert!(ics.contains("DTSTAMP:20270101T090000Z"), "{ics}");
    assert!(ics.trim_end().ends_with("END:VCALENDAR"), "{ics}");
    // The same inputs give the same calendar.
    let again = stdout_of(
        small(dir.path())
            .env("READINESS_NOW", "2027-01-01T09:00:00Z")
            .args(["status", "--format", "ics"]),
    );
    assert_eq!(ics, again);
}

fn copy_checklist(dir: &Path, edit: impl Fn(String) -> String) -> std::path::PathBuf {
    let text = std::fs::read_to_string(common::small_checklist()).unwrap();
    let path = dir.join("checklist-v2.toml");
    std::fs::write(&path, edit(text)).unwrap();
    path
}

#[test]
fn a_reworded_item_is_asked_again_and_an_untouched_one_is_carried() {
    let dir = tempfile::tempdir().unwrap();
    answer_all(dir.path());
    let v2 = copy_checklist(dir.path(), |t| {
        t.replace("version = \"1.0\"", "version = \"1.1\"").replace(
            "Send audit logs to a workspace.",
            "Send kube-audit-admin and guard logs to a workspace.",
        )
    });
    let c = checklist::load_file(&v2).unwrap();
    let mut s = Session::open(
        c,
        &dir.path().join("readiness-signoff.toml"),
        Clock::fixed("2026-12-10T09:00:00Z".parse().unwrap()),
    )
    .unwrap();
    assert_eq!(
        s.pending(false)
            .iter()
            .map(|i| i.id.as_str())
            .collect::<Vec<_>>(),
        ["mon.audit-logs"]
    );

    let script = vec![
        Scripted::Select(0),
        Scripted::Text(String::new()),
        Scripted::Text(String::new()),
        Scripted::Confirm(false),
        Scripted::Confirm(false),
    ];
    let transcript = plain_run(&mut s, dir.path(), false, script);
    assert!(
        transcript.contains("Rerun: 5 answer(s) carried forward, 1 need review."),
        "{transcript}"
    );
    assert!(
        transcript
            .contains("mon.audit-logs — the item changed since it was answered on 2026-11-27"),
        "{transcript}"
    );
    assert!(
        transcript.contains("The checklist changed from version 1.0 to 1.1"),
        "{transcript}"
    );
    assert!(
        transcript.contains("[1/1] During operation · monitoring"),
        "{transcript}"
    );
    assert!(
        transcript.contains("Needs review: the item changed since it was answered on 2026-11-27"),
        "{transcript}"
    );

    // Now nothing is pending, and the sign-off records the new checklist version.
    let s = Session::open(
        checklist::load_file(&v2).unwrap(),
        &dir.path().join("readiness-signoff.toml"),
        Clock::fixed("2026-12-10T09:00:00Z".parse().unwrap()),
    )
    .unwrap();
    assert!(s.pending(false).is_empty());
    assert_eq!(s.signoff.checklist.version, "1.1");
}

#[test]
fn carried_answers_show_their_age_on_a_revisit() {
    let dir = tempfile::tempdir().unwrap();
    answer_all(dir.path());
    let mut s = session_on(dir.path(), "2027-01-10T09:00:00Z");
    let transcript = plain_run(&mut s, dir.path(), true, vec![Scripted::Select(5)]);
    assert!(
        transcript.contains("Carried from 2026-11-27 (44 days ago), valid through 2027-02-25"),
        "{transcript}"
    );
}

#[test]
fn items_removed_from_the_checklist_are_listed_and_dropped() {
    let dir = tempfile::tempdir().unwrap();
    answer_all(dir.path());
    let v2 = copy_checklist(dir.path(), |t| {
        let start = t.find("[[items]]\nid = \"gov.advisor\"").unwrap();
        t[..start].replace("version = \"1.0\"", "version = \"2.0\"")
    });
    let c = checklist::load_file(&v2).unwrap();
    let path = dir.path().join("readiness-signoff.toml");
    let s = Session::open(c, &path, Clock::fixed(common::NOW.parse().unwrap())).unwrap();
    assert_eq!(s.removed(), ["gov.advisor"]);
    common::readiness(dir.path())
        .arg("--checklist")
        .arg(&v2)
        .args(["answer", "net.private", "--status", "pass"])
        .assert()
        .success();
    let after = readiness::signoff::parse("s", &std::fs::read_to_string(&path).unwrap()).unwrap();
    assert!(!after.items.contains_key("gov.advisor"));
    assert_eq!(after.checklist.version, "2.0");
}

fn snapshot(dir: &Path, name: &str) -> std::path::PathBuf {
    let to = dir.join(name);
    std::fs::copy(dir.join("readiness-signoff.toml"), &to).unwrap();
    to
}

#[test]
fn diff_reports_what_changed_between_quarters() {
    let dir = tempfile::tempdir().unwrap();
    answer_all(dir.path());
    small(dir.path())
        .args([
            "answer",
            "gov.assessment",
            "--status",
            "fail",
            "--note",
            "pending",
        ])
        .assert()
        .success();
    small(dir.path())
        .args(["sign", "--name", "Dana", "--role", "owner"])
        .assert()
        .success();
    let old = snapshot(dir.path(), "q4.toml");

    // Next quarter: a failure fixed, a pass now failing, the risk renewed, a note changed.
    let later = |cmd: &mut assert_cmd::Command| {
        cmd.env("READINESS_NOW", "2027-02-20T10:00:00Z");
    };
    let mut c = small(dir.path());
    later(&mut c);
    c.args([
        "answer",
        "gov.assessment",
        "--status",
        "pass",
        "--note",
        "assessed by Contoso",
    ])
    .assert()
    .success();
    let mut c = small(dir.path());
    later(&mut c);
    c.args([
        "answer",
        "mon.audit-logs",
        "--status",
        "fail",
        "--note",
        "workspace deleted",
    ])
    .assert()
    .success();
    let mut c = small(dir.path());
    later(&mut c);
    c.args(["answer", "net.private", "--status", "pass"])
        .assert()
        .success();
    let mut c = small(dir.path());
    later(&mut c);
    c.args([
        "answer",
        "iac.providers",
        "--status",
        "risk-accepted",
        "--justification",
        "azurerm 5 blocked",
        "--expires",
        "2027-03-10",
    ])
    .assert()
    .success();
    let new = dir.path().join("readiness-signoff.toml");

    let json: serde_json::Value = serde_json::from_str(&stdout_of(
        small(dir.path())
            .env("READINESS_NOW", "2027-02-20T10:00:00Z")
            .args(["diff", "--format", "json"])
            .arg(&old)
            .arg(&new),
    ))
    .unwrap();
    let ids = |key: &str| -> Vec<String> {
        json[key]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["id"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(json["schema"], "readiness.diff/v1");
    assert_eq!(ids("newly_failing"), ["mon.audit-logs"]);
    assert_eq!(ids("newly_passing"), ["gov.assessment"]);
    assert_eq!(ids("renewed"), ["net.private"]);
    assert_eq!(ids("risks_added"), ["iac.providers"]);
    assert_eq!(ids("risks_expiring"), ["iac.providers"]);
    assert_eq!(
        ids("lapsed"),
        ["k8s.netpol"],
        "the January risk acceptance ran out"
    );
    let changed: Vec<&str> = json["changed_answers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        changed,
        ["gov.assessment", "mon.audit-logs", "iac.providers"]
    );
    assert!(
        json["signoff_changes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s.as_str().unwrap().contains("no longer signed"))
    );
    // Unchanged items are not listed anywhere.
    assert!(!json.to_string().contains("gov.advisor"));

    let text = stdout_of(
        small(dir.path())
            .env("READINESS_NOW", "2027-02-20T10:00:00Z")
            .arg("diff")
            .arg(&old)
            .arg(&new),
    );
    assert!(text.contains("Newly failing:\n  mon.audit-logs"), "{text}");
    let md = stdout_of(
        small(dir.path())
            .env("READINESS_NOW", "2027-02-20T10:00:00Z")
            .args(["diff", "--format", "markdown"])
            .arg(&old)
            .arg(&new),
    );
    assert!(
        md.contains("**Newly failing**\n\n| Item | What changed |"),
        "{md}"
    );
}

#[test]
fn diff_of_identical_signoffs_says_nothing_changed() {
    let dir = tempfile::tempdir().unwrap();
    answer_all(dir.path());
    let old = snapshot(dir.path(), "copy.toml");
    let new = dir.path().join("readiness-signoff.toml");
    let text = stdout_of(small(dir.path()).arg("diff").arg(&old).arg(&new));
    assert_eq!(text, "Nothing changed.\n");
    let json: serde_json::Value = serde_json::from_str(&stdout_of(
        small(dir.path())
            .args(["diff", "--format", "json"])
            .arg(&old)
            .arg(&new),
    ))
    .unwrap();
    assert_eq!(json["unchanged"], true);
}

#[test]
fn attest_previous_shows_the_changes_the_period_and_the_next_due_date() {
    let dir = tempfile::tempdir().unwrap();
    answer_all(dir.path());
    let old = snapshot(dir.path(), "q4.toml");
    small(dir.path())
        .env("READINESS_NOW", "2027-02-20T10:00:00Z")
        .args([
            "answer",
            "mon.audit-logs",
            "--status",
            "fail",
            "--note",
            "workspace deleted",
        ])
        .assert()
        .success();
    let md = stdout_of(
        small(dir.path())
            .env("READINESS_NOW", "2027-02-20T10:00:00Z")
            .args(["attest", "--previous"])
            .arg(&old),
    );
    assert!(
        md.contains("| Review period | 2026-11-27 to 2027-02-20 |"),
        "{md}"
    );
    assert!(md.contains("| Next review due | 2027-01-16 |"), "{md}");
    assert!(
        md.contains("## Changes since the previous attestation"),
        "{md}"
    );
    let section =
        &md[md.find("## Changes since").unwrap()..md.find("## Before deployment").unwrap()];
    assert!(
        section.contains("`mon.audit-logs` Audit logs reach Log Analytics | ✔ pass → ✖ fail"),
        "{section}"
    );
    assert!(!section.contains("net.private"), "{section}");
}

#[test]
fn skipped_answers_that_lapsed_are_named_before_signing() {
    let dir = tempfile::tempdir().unwrap();
    answer_all(dir.path());
    // 2027-03-01: every answer of 2026-11-27 lapsed after its 90 days; the risk acceptance
    // (through 2027-01-15) expired.
    let mut s = session_on(dir.path(), "2027-03-01T09:00:00Z");
    let pending = s.pending(false).len();
    assert_eq!(pending, 6);
    // Renew net.private, skip the rest, then decline to sign and to write.
    let mut script = vec![
        Scripted::Select(0),
        Scripted::Text(String::new()),
        Scripted::Text(String::new()),
    ];
    script.extend((1..pending).map(|_| Scripted::Select(4)));
    script.extend([Scripted::Confirm(false), Scripted::Confirm(false)]);
    let transcript = plain_run(&mut s, dir.path(), false, script);
    assert!(
        transcript.contains(
            "5 answers still need review (lapsed, expired, changed or reopened): gov.assessment, mon.audit-logs, k8s.netpol, iac.providers, gov.advisor."
        ),
        "{transcript}"
    );
}
