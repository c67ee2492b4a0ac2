//! The sign-off file through the real binary: answers round-trip, saves are atomic,
//! comments survive, and nothing half-written is ever left behind.

use crate::common;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::Stdio;

use predicates::prelude::PredicateBooleanExt;

use common::small;
use readiness::signoff::{Status, parse};

fn load(dir: &std::path::Path) -> readiness::signoff::SignOff {
    let path = dir.join("readiness-signoff.toml");
    parse("s", &std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn answers_round_trip_through_the_file() {
    let dir = tempfile::tempdir().unwrap();
    small(dir.path())
        .args([
            "answer",
            "net.private",
            "--status",
            "pass",
            "--note",
            "private, see PR 12",
        ])
        .args([
            "--evidence",
            "https://dev.azure.com/o/p/_git/infra/pullrequest/12",
            "--evidence",
            "docs/aks.json",
        ])
        .assert()
        .success();
    small(dir.path())
        .args([
            "answer",
            "k8s.netpol",
            "--status",
            "risk-accepted",
            "--by",
            "bob",
        ])
        .args([
            "--justification",
            "default-deny lands with the next OSMO release",
            "--expires",
            "2027-02-28",
        ])
        .assert()
        .success();
    small(dir.path())
        .args(["answer", "gov.advisor", "--status", "not-applicable"])
        .assert()
        .success();

    let s = load(dir.path());
    assert_eq!(s.checklist.id, "test-small");
    assert_eq!(s.checklist.version, "1.0");
    assert_eq!(s.checklist.sha256.len(), 64);
    let a = &s.items["net.private"];
    assert_eq!(a.status, Status::Pass);
    assert_eq!(a.note, "private, see PR 12");
    assert_eq!(a.evidence.len(), 2);
    assert_eq!(a.answered_by, "alice");
    assert_eq!(a.answered_at.to_string(), common::NOW);
    let r = &s.items["k8s.netpol"];
    assert_eq!(r.status, Status::RiskAccepted);
    assert_eq!(r.answered_by, "bob");
    assert_eq!(r.expires.unwrap().to_string(), "2027-02-28");
    assert_eq!(s.items["gov.advisor"].status, Status::NotApplicable);

    // The file is plain TOML a reviewer can read.
    let text = std::fs::read_to_string(dir.path().join("readiness-signoff.toml")).unwrap();
    assert!(
        text.contains("[items.\"net.private\"]\nstatus = \"pass\""),
        "{text}"
    );
    assert!(
        text.contains("answered_at = 2026-11-27T10:00:00Z"),
        "{text}"
    );
    assert!(text.contains("expires = 2027-02-28"), "{text}");
}

#[test]
fn the_shipped_signoff_schema_is_current() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas/signoff.schema.json");
    let generated = readiness::signoff::format::json_schema();
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, &generated).unwrap();
    }
    let shipped = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        shipped == generated,
        "schemas/signoff.schema.json is stale: run `readiness schema signoff > schemas/signoff.schema.json`"
    );
    // The command prints the same.
    let dir = tempfile::tempdir().unwrap();
    let printed = common::stdout_of(small(dir.path()).args(["schema", "signoff"]));
    assert_eq!(printed, generated);
}

#[test]
fn changing_an_answer_replaces_it() {
    let dir = tempfile::tempdir().unwrap();
    small(dir.path())
        .args([
            "answer",
            "net.private",
            "--status",
            "fail",
            "--note",
            "public",
        ])
        .assert()
        .success();
    small(dir.path())
        .env("READINESS_NOW", "2026-12-01T08:30:00Z")
        .args(["answer", "net.private", "--status", "pass"])
        .assert()
        .success();
    let s = load(dir.path());
    assert_eq!(s.items.len(), 1);
    assert_eq!(s.items["net.private"].status, Status::Pass);
    assert_eq!(s.items["net.private"].note, "");
    assert_eq!(
        s.items["net.private"].answered_at.to_string(),
        "2026-12-01T08:30:00Z"
    );
}

#[test]
fn unknown_ids_are_refused_with_suggestions() {
    let dir = tempfile::tempdir().unwrap();
    small(dir.path())
        .args(["answer", "net.privat", "--status", "pass"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "unknown item id \"net.privat\"; did you mean `net.private`?",
        ));
    assert!(!dir.path().join("readiness-signoff.toml").exists());
}

#[test]
fn risk_acceptance_needs_justification_and_a_future_expiry_within_the_maximum() {
    let dir = tempfile::tempdir().unwrap();
    let cases: [(&[&str], &str); 5] = [
        (&["--expires", "2027-01-01"], "needs a justification"),
        (&["--justification", "j"], "needs an expiry date"),
        (
            &["--justification", "j", "--expires", "2026-11-27"],
            "not after today (2026-11-27)",
        ),
        // small.toml allows 120 days: 2027-03-27 is the last allowed day.
        (
            &["--justification", "j", "--expires", "2027-03-28"],
            "more than 120 days away",
        ),
        (
            &["--justification", "j", "--expires", "next week"],
            "is not a date",
        ),
    ];
    for (extra, message) in cases {
        small(dir.path())
            .args(["answer", "k8s.netpol", "--status", "risk-accepted"])
            .args(extra)
            .assert()
            .code(2)
            .stderr(predicates::str::contains(message));
    }
    small(dir.path())
        .args([
            "answer",
            "k8s.netpol",
            "--status",
            "pass",
            "--justification",
            "j",
        ])
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "only apply to a risk-accepted answer",
        ));
    assert!(!dir.path().join("readiness-signoff.toml").exists());
    small(dir.path())
        .args([
            "answer",
            "k8s.netpol",
            "--status",
            "risk-accepted",
            "--justification",
            "j",
            "--expires",
            "2027-03-27",
        ])
        .assert()
        .success();
}

#[test]
fn the_author_comes_from_the_environment_then_git_then_the_login_account() {
    let dir = tempfile::tempdir().unwrap();
    let answer_without_user_env = |git_config: &Path, item: &str| {
        small(dir.path())
            .env_remove("USER")
            .env_remove("USERNAME")
            .env_remove("LOGNAME")
            .env("GIT_CONFIG_GLOBAL", git_config)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .args(["answer", item, "--status", "pass"])
            .assert()
            .success();
    };
    small(dir.path())
        .env("USER", "carol")
        .args(["answer", "net.private", "--status", "pass"])
        .assert()
        .success();
    assert_eq!(load(dir.path()).items["net.private"].answered_by, "carol");

    // A container or CI runner with no USER: git's identity is the next best name.
    let gitconfig = dir.path().join("gitconfig");
    std::fs::write(&gitconfig, "[user]\n\tname = Carol Quinn\n").unwrap();
    answer_without_user_env(&gitconfig, "net.private");
    assert_eq!(
        load(dir.path()).items["net.private"].answered_by,
        "Carol Quinn"
    );

    // Neither: the operating-system account, as `id -un` names it.
    let account = std::process::Command::new("id")
        .arg("-un")
        .output()
        .unwrap();
    let account = String::from_utf8(account.stdout)
        .unwrap()
        .trim()
        .to_string();
    answer_without_user_env(Path::new("/dev/null"), "net.private");
    assert_eq!(load(dir.path()).items["net.private"].answered_by, account);
}

#[test]
fn signing_records_name_role_and_time_and_a_later_answer_voids_it() {
    let dir = tempfile::tempdir().unwrap();
    small(dir.path())
        .args(["sign", "--name", "Dana", "--role", "owner"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("does not exist yet"));
    small(dir.path())
        .args(["answer", "net.private", "--status", "pass"])
        .assert()
        .success();
    small(dir.path())
        .args(["sign", "--name", "Dana Reyes", "--role", "platform owner"])
        .assert()
        .success()
        .stderr(predicates::str::contains("5 item(s) are still open"));
    let sig = load(dir.path()).signoff.unwrap();
    assert_eq!(
        (sig.name.as_str(), sig.role.as_str()),
        ("Dana Reyes", "platform owner")
    );
    assert_eq!(sig.signed_at.to_string(), common::NOW);

    small(dir.path())
        .args(["answer", "gov.assessment", "--status", "fail"])
        .assert()
        .success()
        .stderr(predicates::str::contains("signature no longer covers"));
    assert!(load(dir.path()).signoff.is_none());
}

#[test]
fn comments_and_unrelated_layout_survive_saves() {
    let dir = tempfile::tempdir().unwrap();
    small(dir.path())
        .args(["answer", "net.private", "--status", "pass"])
        .assert()
        .success();
    let path = dir.path().join("readiness-signoff.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    let text = text.replace("[target]", "# Reviewed with the platform team.\n[target]");
    let text = text.replace(
        "status = \"pass\"",
        "status = \"pass\" # checked in the portal too",
    );
    std::fs::write(&path, text).unwrap();
    small(dir.path())
        .args(["answer", "gov.assessment", "--status", "pass"])
        .assert()
        .success();
    let after = std::fs::read_to_string(&path).unwrap();
    assert!(
        after.contains("# Reviewed with the platform team.\n[target]"),
        "{after}"
    );
    assert!(
        after.contains("status = \"pass\" # checked in the portal too"),
        "{after}"
    );
    assert_eq!(load(dir.path()).items.len(), 2);
}

#[test]
fn a_signoff_for_another_checklist_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    small(dir.path())
        .args(["answer", "net.private", "--status", "pass"])
        .assert()
        .success();
    // The built-in checklist has another id.
    common::readiness(dir.path())
        .args(["answer", "net.private-api-server", "--status", "pass"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "answered against checklist \"test-small\"",
        ));
}

#[cfg(unix)]
#[test]
fn a_symlinked_signoff_is_refused_and_its_target_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let elsewhere = dir.path().join("elsewhere.toml");
    std::fs::write(&elsewhere, "keep me\n").unwrap();
    std::os::unix::fs::symlink(&elsewhere, dir.path().join("readiness-signoff.toml")).unwrap();
    small(dir.path())
        .args(["answer", "net.private", "--status", "pass"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("symbolic link"));
    assert_eq!(std::fs::read_to_string(&elsewhere).unwrap(), "keep me\n");
}

#[cfg(unix)]
#[test]
fn a_process_killed_while_saving_leaves_the_last_good_file() {
    let dir = tempfile::tempdir().unwrap();
    small(dir.path())
        .args(["answer", "net.private", "--status", "pass"])
        .assert()
        .success();
    let path = dir.path().join("readiness-signoff.toml");
    let good = std::fs::read(&path).unwrap();

    // The hook stops the save after the temporary file is complete and before the rename,
    // and says so; the kill lands exactly there.
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("readiness"))
        .current_dir(dir.path())
        .env("READINESS_NOW", common::NOW)
        .env("USER", "alice")
        .env("READINESS_TEST_STALL_SAVE", "1")
        .arg("--checklist")
        .arg(common::small_checklist())
        .args([
            "answer",
            "net.private",
            "--status",
            "fail",
            "--note",
            "overwritten?",
        ])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stderr.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert!(line.contains("save stalled before rename"), "{line}");
    child.kill().unwrap();
    child.wait().unwrap();

    assert_eq!(std::fs::read(&path).unwrap(), good, "the sign-off changed");
    assert_eq!(load(dir.path()).items["net.private"].status, Status::Pass);
    // The next save works and clears nothing it should keep.
    small(dir.path())
        .args(["answer", "gov.assessment", "--status", "pass"])
        .assert()
        .success();
    assert_eq!(load(dir.path()).items.len(), 2);
}

#[test]
fn answers_recorded_at_the_same_moment_by_different_processes_are_all_kept() {
    // The operator's wizard and a scheduled `readiness answer` or `check --record` may save
    // the same file at once: each save must start from the other's, never from a stale read.
    let dir = tempfile::tempdir().unwrap();
    let checklist = readiness::checklist::builtin().unwrap();
    let ids: Vec<&str> = checklist.items.iter().map(|i| i.id.as_str()).collect();
    for round in ids.chunks(24) {
        let children: Vec<_> = round
            .iter()
            .map(|id| {
                std::process::Command::new(env!("CARGO_BIN_EXE_readiness"))
                    .current_dir(dir.path())
                    .env("READINESS_NOW", common::NOW)
                    .args(["answer", id, "--status", "not-applicable", "--by", "alice"])
                    .stdout(Stdio::null())
                    .stderr(Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        for child in children {
            let out = child.wait_with_output().unwrap();
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
    let saved = load(dir.path());
    let missing: Vec<&&str> = ids
        .iter()
        .filter(|id| !saved.items.contains_key(**id))
        .collect();
    assert!(missing.is_empty(), "answers lost: {missing:?}");
}

#[test]
fn a_signoff_in_a_directory_that_does_not_exist_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    small(dir.path())
        .args([
            "--signoff",
            "reviews/q4.toml",
            "answer",
            "net.private",
            "--status",
            "pass",
        ])
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "cannot save reviews/q4.toml: cannot create a temporary file in reviews: \
             No such file or directory",
        ))
        .stderr(predicates::str::contains(".tmp").not());
    assert!(!dir.path().join("reviews").exists());
}

#[test]
fn several_ids_take_the_same_answer_in_one_write_all_or_none() {
    let dir = tempfile::tempdir().unwrap();
    small(dir.path())
        .args([
            "answer",
            "net.private",
            "gov.assessment",
            "--status",
            "not-applicable",
        ])
        .args(["--note", "no public ingress"])
        .assert()
        .success()
        .stderr(predicates::str::contains(
            "Recorded – n/a for net.private, gov.assessment",
        ));
    let saved = load(dir.path());
    for id in ["net.private", "gov.assessment"] {
        assert_eq!(saved.items[id].status, Status::NotApplicable);
        assert_eq!(saved.items[id].note, "no public ingress");
    }
    // One unknown id: nothing is recorded, not even the known ones.
    let before = std::fs::read(dir.path().join("readiness-signoff.toml")).unwrap();
    small(dir.path())
        .args([
            "answer",
            "mon.audit-logs",
            "mon.audit-logz",
            "--status",
            "pass",
        ])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("mon.audit-logz"));
    let after = std::fs::read(dir.path().join("readiness-signoff.toml")).unwrap();
    assert_eq!(before, after);
}
