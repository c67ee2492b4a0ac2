//! Hostile text from servers, sign-offs, checklists, attestations and file names, through
//! every command's text output in a pseudo-terminal: no escape, BEL, CR, C1 or bidi
//! character from the data reaches the terminal, and the data shows in its escaped form
//! (`readiness::term`). And output to a closed pipe ends quietly.
#![cfg(unix)]

use crate::common;

use std::path::{Path, PathBuf};
use std::process::Stdio;

use common::fake_arg::{ArgOptions, FakeArg, cluster_row, template};
use common::fake_arm::{FakeArm, check_args, fixture_text};
use readiness::term::safe_line;
use wiremock::ResponseTemplate;

/// What an attacker writes into a name: an OSC title, an OSC 52 clipboard write, a CSI
/// clear and cursor move, an OSC 8 link, a carriage return, a C1 CSI, DEL and a bidi
/// override. No `/`, no spaces and no leading or trailing whitespace, so the same text
/// serves as a resource name, a file name and a trimmed field.
const CORPUS: &[&str] = &[
    "\x1b]0;PWNED\x07",
    "\x1b]52;c;cHduZWQ=\x07",
    "\x1b[2J",
    "\x1b[4A",
    "\x1b]8;;http:evil\x1b\\link\x1b]8;;\x1b\\",
    "\rverified:ok",
    "\u{9b}2J",
    "\x7f",
    "\u{202e}gnp.exe",
];

/// `tag` followed by every string of the corpus: a value that says where it was put.
fn hostile(tag: &str) -> String {
    format!("{tag}{}Z", CORPUS.concat())
}

/// How `value` must show on the terminal.
fn shown(value: &str) -> String {
    safe_line(value).into_owned()
}

/// The plain wizard wraps at the terminal's 100 columns: a shorter value, so each shows on
/// one line there.
const SHORT_CORPUS: &[&str] = &["\x1b]0;PWNED\x07", "\x1b[2J", "\u{9b}2J", "\rZ"];

fn short_hostile(tag: &str) -> String {
    format!("{tag}{}", SHORT_CORPUS.concat())
}

/// Runs the binary in a fresh pseudo-terminal and returns all it wrote there (the raw bytes:
/// the terminal's own line wrapping adds none), with its exit code.
fn in_pty(dir: &Path, args: &[String]) -> (String, u32) {
    let mut pty = crate::tui_pty::Pty::spawn(dir, args, &[("NO_COLOR", "1")]);
    let status = pty.wait_exit();
    (
        String::from_utf8_lossy(&pty.raw()).into_owned(),
        status.exit_code(),
    )
}

async fn in_pty_off_runtime(dir: &Path, args: Vec<String>) -> (String, u32) {
    let dir = dir.to_path_buf();
    tokio::task::spawn_blocking(move || in_pty(&dir, &args))
        .await
        .expect("joins")
}

fn args(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

/// No byte of the corpus reached the terminal as it is: output with none of our own escape
/// sequences holds no ESC, BEL, C1 or bidi character, and a CR only where the terminal turns
/// a line break into CR LF.
fn assert_clean(output: &str, what: &str) {
    let bad = output.char_indices().find(|&(i, c)| {
        matches!(c, '\x1b' | '\x07' | '\x7f' | '\u{80}'..='\u{9f}')
            || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
            || (c == '\r' && !output[i + 1..].starts_with('\n'))
    });
    assert!(
        bad.is_none(),
        "{what}: {:?} reached the terminal at byte {}:\n{output:?}",
        bad.map(|b| b.1),
        bad.map_or(0, |b| b.0)
    );
}

fn assert_shows(output: &str, value: &str, what: &str) {
    assert!(
        output.contains(&shown(value)),
        "{what}: {value:?} is not shown escaped as {:?}:\n{output}",
        shown(value)
    );
}

/// The fake ARM's resource listing with the cluster, vault and registry renamed.
fn hostile_listing() -> String {
    let in_json = |tag: &str| {
        let quoted = serde_json::to_string(&hostile(tag)).expect("JSON");
        quoted[1..quoted.len() - 1].to_string()
    };
    fixture_text("hardened/resources.json")
        .replace("aks-robots-prod-001", &in_json("cluster"))
        .replace("kvrobotsprod001", &in_json("vault"))
        .replace("acrrobotsprod001", &in_json("registry"))
}

#[tokio::test(flavor = "multi_thread")]
async fn check_and_target_show_hostile_server_names_and_causes_escaped() {
    let fake = FakeArm::start("hardened").await;
    let listing = hostile_listing();
    fake.fault(
        &FakeArm::path_resources(),
        ResponseTemplate::new(200).set_body_raw(listing, "application/json"),
        None,
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let check = check_args(&fake.uri(), false);
    let (out, code) = in_pty_off_runtime(dir.path(), check.clone()).await;
    assert_clean(&out, "check");
    for tag in ["cluster", "vault", "registry"] {
        assert_shows(&out, &hostile(tag), "check");
    }
    // The renamed resources are not served: their "not found" causes name them.
    assert!(out.contains("⚠ arm:"), "{out}");
    assert_eq!(code, 3, "{out}");

    let signoff = dir.path().join("signoff.toml");
    let mut record = args(&["--signoff", signoff.to_str().unwrap()]);
    record.extend(check);
    record.push("--record".into());
    let (out, _) = in_pty_off_runtime(dir.path(), record).await;
    assert_clean(&out, "check --record");

    let target = args(&["--signoff", signoff.to_str().unwrap(), "target"]);
    let (out, code) = in_pty_off_runtime(dir.path(), target).await;
    assert_eq!(code, 0, "{out}");
    assert_clean(&out, "target");
    assert!(
        out.contains(&format!("cluster         {}", shown(&hostile("cluster")))),
        "{out}"
    );
    assert!(
        out.contains(&format!("registry        {}", shown(&hostile("registry")))),
        "{out}"
    );
    // What was recorded is the server's text itself.
    let saved = std::fs::read_to_string(&signoff).unwrap();
    let saved = readiness::signoff::parse("signoff.toml", &saved).unwrap();
    assert_eq!(
        saved.target.cluster.as_deref(),
        Some(hostile("cluster").as_str())
    );
}

#[test]
fn terraform_file_names_in_errors_are_escaped() {
    let dir = tempfile::tempdir().unwrap();
    let tf = dir.path().join("tf");
    std::fs::create_dir(&tf).unwrap();
    std::fs::write(
        tf.join(format!("{}.tf", hostile("file"))),
        "resource {{{ = \n",
    )
    .unwrap();
    let (out, _) = in_pty(
        dir.path(),
        &args(&[
            "check",
            "--offline",
            "--terraform-dir",
            tf.to_str().unwrap(),
        ]),
    );
    assert_clean(&out, "check --terraform-dir");
    assert_shows(&out, &hostile("file"), "check --terraform-dir");
}

#[tokio::test(flavor = "multi_thread")]
async fn fleet_text_shows_hostile_names_escaped() {
    const SUB_A: &str = "aaaaaaaa-0000-4000-8000-00000000000a";
    let rows = vec![cluster_row(
        &template("cluster-hardened.json"),
        SUB_A,
        &hostile("group"),
        &hostile("cluster"),
    )];
    let fake = FakeArg::start(rows, ArgOptions::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let fleet = args(&[
        "fleet",
        "--auth",
        "none",
        "--arm-endpoint",
        &fake.uri(),
        "--subscription",
        SUB_A,
    ]);
    let (out, _) = in_pty_off_runtime(dir.path(), fleet).await;
    assert_clean(&out, "fleet");
    // Resource Graph gives ids in lower case; the name column as it is.
    assert_shows(&out, &hostile("cluster"), "fleet");
}

/// A sign-off whose target, answer and signature carry `hostile(tag)`, made with the CLI.
fn hostile_signoff(dir: &Path, name: &str, hostile: fn(&str) -> String) -> PathBuf {
    let path = dir.join(name);
    let run = |extra: &[String]| {
        let out = common::small(dir)
            .arg("--signoff")
            .arg(&path)
            .args(extra)
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
    };
    run(&args(&[
        "target",
        "--name",
        &hostile("name"),
        "--environment",
        &hostile("environment"),
        "--cluster",
        &hostile("target-cluster"),
    ]));
    run(&args(&[
        "answer",
        "net.private",
        "--status",
        "pass",
        "--note",
        &hostile("note"),
        "--by",
        &hostile("by"),
    ]));
    run(&args(&[
        "sign",
        "--name",
        &hostile("signer"),
        "--role",
        &hostile("role"),
    ]));
    path
}

fn small_args(signoff: &Path, rest: &[&str]) -> Vec<String> {
    let mut all = args(&[
        "--checklist",
        common::small_checklist().to_str().unwrap(),
        "--signoff",
        signoff.to_str().unwrap(),
    ]);
    all.extend(args(rest));
    all
}

#[test]
fn checklist_show_diff_status_and_verify_show_hostile_sign_offs_escaped() {
    let dir = tempfile::tempdir().unwrap();
    let old = dir.path().join("old.toml");
    common::small(dir.path())
        .arg("--signoff")
        .arg(&old)
        .args(["answer", "net.private", "--status", "fail", "--by", "bob"])
        .assert()
        .success();
    let new = hostile_signoff(dir.path(), "new.toml", hostile);

    // `checklist show` wraps at (at most) 100 columns on a terminal: the shorter values.
    let short = hostile_signoff(dir.path(), "short.toml", short_hostile);
    let (out, code) = in_pty(
        dir.path(),
        &small_args(&short, &["checklist", "show", "net.private"]),
    );
    assert_eq!(code, 0, "{out}");
    assert_clean(&out, "checklist show");
    assert_shows(&out, &short_hostile("by"), "checklist show");

    let diff = small_args(
        &new,
        &["diff", old.to_str().unwrap(), new.to_str().unwrap()],
    );
    let (out, _) = in_pty(dir.path(), &diff);
    assert_clean(&out, "diff");
    for tag in ["signer", "role", "target-cluster"] {
        assert_shows(&out, &hostile(tag), "diff");
    }

    let (out, _) = in_pty(
        dir.path(),
        &small_args(&new, &["status", "--within", "400"]),
    );
    assert_clean(&out, "status");

    let (out, _) = in_pty(dir.path(), &small_args(&new, &["verify", "--fresh"]));
    assert_clean(&out, "verify --fresh");
}

#[test]
fn a_crafted_attestation_cannot_print_a_fake_verified_line() {
    let dir = tempfile::tempdir().unwrap();
    let signoff = hostile_signoff(dir.path(), "signoff.toml", hostile);
    let attestation = dir.path().join("attestation.md");
    let statuses = serde_json::json!({ hostile("id"): hostile("was"), "@signoff": "x" });
    std::fs::write(
        &attestation,
        format!(
            "# Attestation\n\n<!-- readiness:statuses {statuses} -->\nsha256 of sign-off: {}\n",
            hostile("digest")
        ),
    )
    .unwrap();
    let (out, code) = in_pty(
        dir.path(),
        &small_args(
            &signoff,
            &["verify", "--attestation", attestation.to_str().unwrap()],
        ),
    );
    assert_eq!(code, 1, "{out}");
    assert_clean(&out, "verify");
    for tag in ["id", "was"] {
        assert_shows(&out, &hostile(tag), "verify");
    }
    // The attested digest is shown in lower case.
    assert_shows(&out, &hostile("digest").to_ascii_lowercase(), "verify");
    // The only line that starts with "verified" is none: the failure is what shows.
    assert!(out.starts_with("verification failed for "), "{out}");
    assert!(!out.lines().any(|l| l.starts_with("verified")), "{out}");
}

#[test]
fn checklist_list_validate_and_errors_show_hostile_checklists_and_file_names_escaped() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(common::small_checklist()).unwrap();
    let toml_escaped = |tag: &str| {
        hostile(tag)
            .chars()
            .map(|c| match c {
                c if c.is_control() || !c.is_ascii() => format!("\\u{:04X}", c as u32),
                '\\' => "\\\\".to_string(),
                c => c.to_string(),
            })
            .collect::<String>()
    };
    let text = text
        .replacen(
            "title = \"Test checklist\"",
            &format!("title = \"{}\"", toml_escaped("title")),
            1,
        )
        .replacen(
            "title = \"The API server is private\"",
            &format!("title = \"{}\"", toml_escaped("item")),
            1,
        );
    let checklist = dir.path().join(format!("{}.toml", hostile("path")));
    std::fs::write(&checklist, text).unwrap();
    let c = checklist.to_str().unwrap();

    let (out, code) = in_pty(dir.path(), &args(&["checklist", "list", c]));
    assert_eq!(code, 0, "{out}");
    assert_clean(&out, "checklist list");
    assert_shows(&out, &hostile("title"), "checklist list");
    assert_shows(&out, &hostile("item"), "checklist list");

    let (out, code) = in_pty(dir.path(), &args(&["checklist", "validate", c]));
    assert_eq!(code, 0, "{out}");
    assert_clean(&out, "checklist validate");
    assert_shows(&out, &hostile("path"), "checklist validate");

    // An error naming a file that is not there.
    let missing = dir.path().join(hostile("missing"));
    let (out, code) = in_pty(
        dir.path(),
        &args(&["--signoff", missing.to_str().unwrap(), "attest"]),
    );
    assert_eq!(code, 2, "{out}");
    assert_clean(&out, "attest error");
    assert_shows(&out, &hostile("missing"), "attest error");
}

/// The plain wizard draws with its own escape sequences: here the data's own sequences must
/// be absent, each value shown escaped, and an accepted default stored as it was.
#[test]
fn the_plain_wizard_shows_hostile_defaults_and_answers_escaped_and_keeps_them() {
    let dir = tempfile::tempdir().unwrap();
    let signoff = hostile_signoff(dir.path(), "signoff.toml", short_hostile);
    let before = std::fs::read_to_string(&signoff).unwrap();
    let mut pty = crate::tui_pty::Pty::spawn(
        dir.path(),
        &small_args(&signoff, &["run", "--plain", "--offline", "--revisit"]),
        &[],
    );
    // Accept every target default as shown.
    for prompt in [
        "Deployment name",
        "Environment",
        "Azure subscription id",
        "Resource group",
        "AKS cluster name",
    ] {
        pty.wait_for_output(prompt);
        pty.keys("\r");
    }
    pty.wait_for_output("Status");
    pty.keys("\r");
    pty.wait_for_output("Note (optional)");
    pty.keys("\x03");
    pty.wait_exit();
    let raw = String::from_utf8_lossy(&pty.raw()).into_owned();
    for sequence in SHORT_CORPUS {
        assert!(
            !raw.contains(sequence),
            "{sequence:?} reached the terminal:\n{raw:?}"
        );
    }
    for tag in ["name", "environment", "target-cluster", "by", "note"] {
        let shown = shown(&short_hostile(tag));
        assert!(raw.contains(&shown), "{tag} not shown as {shown:?}:\n{raw}");
    }
    // The defaults accepted unchanged left the target as it was.
    assert_eq!(std::fs::read_to_string(&signoff).unwrap(), before);
}

/// Runs `readiness --checklist small.toml ARGS` with standard output (or, with `on_stderr`,
/// standard error) a pipe whose reader is already gone; the other stream is captured.
fn into_closed_pipe(dir: &Path, list: &[&str], on_stderr: bool) -> std::process::Output {
    let (reader, writer) = std::io::pipe().expect("pipe");
    drop(reader);
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_readiness"));
    cmd.current_dir(dir)
        .env("READINESS_NOW", common::NOW)
        .env("USER", "alice")
        .arg("--checklist")
        .arg(common::small_checklist())
        .args(list);
    if on_stderr {
        cmd.stdout(Stdio::piped()).stderr(Stdio::from(writer));
    } else {
        cmd.stdout(Stdio::from(writer)).stderr(Stdio::piped());
    }
    cmd.output().expect("runs")
}

/// The exit status `readiness --checklist small.toml ARGS` has with a reader.
fn normal_exit(dir: &Path, list: &[&str]) -> Option<i32> {
    common::small(dir)
        .args(list)
        .output()
        .unwrap()
        .status
        .code()
}

#[test]
fn output_into_a_closed_pipe_ends_quietly() {
    let dir = tempfile::tempdir().unwrap();
    common::small(dir.path())
        .args(["answer", "net.private", "--status", "pass"])
        .assert()
        .success();
    for list in [
        &["checklist", "show", "net.private"][..],
        &["checklist", "show", "net.private", "--format", "json"],
        &["checklist", "list"],
        &["checklist", "list", "--format", "json"],
        &["check", "--offline"],
        &["target"],
        &["status"],
        &["schema", "signoff"],
        &["attest"],
        &["completions", "bash"],
    ] {
        let out = into_closed_pipe(dir.path(), list, false);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("panicked"), "{list:?}: {stderr}");
        assert!(!stderr.contains("Broken pipe"), "{list:?}: {stderr}");
        assert_eq!(
            out.status.code(),
            normal_exit(dir.path(), list),
            "{list:?}: {stderr}"
        );
    }
    // Messages and errors on a closed standard error: the same exit status, not a panic's 101.
    for list in [
        &["answer", "gov.assessment", "--status", "fail"][..],
        &["--signoff", "missing.toml", "attest"],
        &["check", "--offline", "--terraform-dir", "missing"],
    ] {
        let out = into_closed_pipe(dir.path(), list, true);
        assert_eq!(out.status.code(), normal_exit(dir.path(), list), "{list:?}");
    }
}
