//! The command line itself: help a user can learn from, and shell completion.

use crate::common;

use std::process::Command;

use common::{readiness, small, stdout_of};

#[test]
fn help_lists_every_command_with_examples_and_exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    let help = stdout_of(readiness(dir.path()).arg("--help"));
    for command in [
        "run",
        "check",
        "answer",
        "target",
        "sign",
        "attest",
        "verify",
        "diff",
        "status",
        "fleet",
        "checklist",
        "schema",
        "completions",
    ] {
        assert!(
            help.lines().any(|l| l.trim_start().starts_with(command)),
            "`{command}` missing from --help:\n{help}"
        );
    }
    assert!(help.contains("Examples:"), "{help}");
    assert!(help.contains("2 bad input or usage"), "{help}");
}

/// What bash offers after `words`, with the completion script the tool printed.
fn bash_completes(script: &str, words: &[&str]) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("readiness.bash");
    std::fs::write(&path, script).unwrap();
    let words_array = words
        .iter()
        .map(|w| format!("'{w}'"))
        .collect::<Vec<_>>()
        .join(" ");
    let last = words.len() - 1;
    let driver = format!(
        "source '{}'; COMP_WORDS=({words_array}); COMP_CWORD={last}; COMP_LINE='{}'; \
         COMP_POINT=${{#COMP_LINE}}; _readiness readiness '{}' '{}'; \
         printf '%s\\n' \"${{COMPREPLY[@]}}\"",
        path.display(),
        words.join(" "),
        words[last],
        words[last - 1],
    );
    let out = Command::new("bash")
        .args(["--norc", "--noprofile", "-c", &driver])
        .output()
        .expect("bash runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .map(String::from)
        .collect()
}

#[test]
fn bash_completion_offers_commands_and_their_flags() {
    let dir = tempfile::tempdir().unwrap();
    let script = stdout_of(readiness(dir.path()).args(["completions", "bash"]));
    assert_eq!(bash_completes(&script, &["readiness", "fle"]), ["fleet"]);
    assert_eq!(
        bash_completes(&script, &["readiness", "check", "--resource-g"]),
        ["--resource-group"]
    );
    let formats = bash_completes(&script, &["readiness", "diff", "--format", ""]);
    assert_eq!(formats, ["text", "markdown", "json"]);
}

#[test]
fn an_unknown_shell_is_a_usage_error_naming_the_choices() {
    let dir = tempfile::tempdir().unwrap();
    readiness(dir.path())
        .args(["completions", "tcsh"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "possible values: bash, elvish, fish",
        ));
}

#[test]
fn checklist_show_prints_one_item_with_its_rules_and_its_answer() {
    let dir = tempfile::tempdir().unwrap();
    let text = stdout_of(small(dir.path()).args(["checklist", "show", "net.private"]));
    assert!(
        text.starts_with(
            "net.private — The API server is private\n\nMake the API server private.\n"
        ),
        "{text}"
    );
    assert!(
        text.contains(
            "  • Private clusters — https://learn.microsoft.com/azure/aks/private-clusters"
        ),
        "{text}"
    );
    assert!(
        text.contains("How it is checked:\n  • arm:aks: The API server is public.\n      expect: properties.apiServerAccessProfile.enablePrivateCluster == `true`\n"),
        "{text}"
    );
    assert!(!text.contains("Current answer"), "no sign-off yet: {text}");

    small(dir.path())
        .args(["answer", "net.private", "--status", "pass"])
        .assert()
        .success();
    let text = stdout_of(small(dir.path()).args(["checklist", "show", "net.private"]));
    assert!(text.contains("Current answer: ✔ pass by alice"), "{text}");

    let json: serde_json::Value = serde_json::from_str(&stdout_of(small(dir.path()).args([
        "checklist",
        "show",
        "net.private",
        "--format",
        "json",
    ])))
    .unwrap();
    assert_eq!(json["schema"], "readiness.item/v1");
    assert_eq!(json["checks"][0]["source"], "arm:aks");
    assert_eq!(json["revalidate_days"], 90);
    assert_eq!(json["answer"]["status"], "pass");
    assert_eq!(json["auto"], serde_json::Value::Null);
}

#[test]
fn checklist_show_of_an_unknown_id_suggests_the_closest() {
    let dir = tempfile::tempdir().unwrap();
    small(dir.path())
        .args(["checklist", "show", "net.privat"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "unknown item id \"net.privat\"; did you mean `net.private`",
        ));
}
