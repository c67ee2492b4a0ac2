//! Corpora of broken checklists and sign-offs: each file says, in `# expect:` lines, what
//! the error must say (with file:line:column); every file exits 2 and nothing is written.

use crate::common;

use common::{corpus, expectations, readiness, small};

#[test]
fn every_invalid_checklist_is_rejected_with_its_message() {
    let dir = tempfile::tempdir().unwrap();
    let files = corpus("invalid-checklists");
    assert!(files.len() >= 10, "corpus is missing");
    for file in files {
        let expected = expectations(&file);
        assert!(
            !expected.is_empty(),
            "{} has no `# expect:` line",
            file.display()
        );
        let out = readiness(dir.path())
            .args(["checklist", "validate"])
            .arg(&file)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{}: {stderr}", file.display());
        for e in expected {
            assert!(
                stderr.contains(&e),
                "{}: expected {e:?} in:\n{stderr}",
                file.display()
            );
        }
    }
}

#[test]
fn all_problems_of_a_checklist_are_reported_in_one_run() {
    let dir = tempfile::tempdir().unwrap();
    let file = common::data("invalid-checklists/many-problems.toml");
    let out = readiness(dir.path())
        .args(["checklist", "validate"])
        .arg(&file)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("5 problem(s)"), "{stderr}");
}

#[test]
fn every_invalid_signoff_is_rejected_and_left_untouched() {
    let files = corpus("invalid-signoffs");
    assert!(files.len() >= 8, "corpus is missing");
    for file in files {
        let dir = tempfile::tempdir().unwrap();
        let name = file.file_name().unwrap();
        let copy = dir.path().join(name);
        std::fs::copy(&file, &copy).unwrap();
        let before = std::fs::read(&copy).unwrap();
        let expected = expectations(&file);
        // Reading (attest) and writing (answer) both refuse it, and the file stays as it was.
        for args in [
            vec!["attest"],
            vec!["answer", "gov.assessment", "--status", "pass"],
        ] {
            let out = small(dir.path())
                .arg("--signoff")
                .arg(name)
                .args(&args)
                .output()
                .unwrap();
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert_eq!(
                out.status.code(),
                Some(2),
                "{} {args:?}: {stderr}",
                file.display()
            );
            for e in &expected {
                assert!(
                    stderr.contains(e.as_str()),
                    "{} {args:?}: expected {e:?} in:\n{stderr}",
                    file.display()
                );
            }
            assert_eq!(
                std::fs::read(&copy).unwrap(),
                before,
                "{} was modified",
                file.display()
            );
        }
        let leftovers: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "temporary files left behind");
    }
}

#[test]
fn a_bad_clock_override_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let out = small(dir.path())
        .env("READINESS_NOW", "yesterday")
        .args(["answer", "gov.assessment", "--status", "pass"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("READINESS_NOW"));
    assert!(!dir.path().join("readiness-signoff.toml").exists());
}

#[test]
fn unknown_subcommands_and_flags_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    readiness(dir.path()).arg("frobnicate").assert().code(2);
    readiness(dir.path())
        .args(["answer", "x", "--status", "maybe"])
        .assert()
        .code(2);
}

#[test]
fn the_wizard_without_a_terminal_points_to_the_script_commands() {
    let dir = tempfile::tempdir().unwrap();
    readiness(dir.path())
        .write_stdin("")
        .assert()
        .code(2)
        .stderr(predicates::str::contains("needs an interactive terminal"))
        .stderr(predicates::str::contains("readiness answer"));
    assert!(!dir.path().join("readiness-signoff.toml").exists());
}
