//! `verify` renders the attestation again and compares every byte (issue 12 item 1), and
//! text from an old sign-off cannot inject Markdown through `attest --previous` or `diff`
//! (item 2).

use std::path::Path;

use crate::common::{self, code_and_stdout, small, stdout_of};

const SIGNOFF: &str = "readiness-signoff.toml";

/// Answers and a signature, then the attestation in `a.md`.
fn attested(dir: &Path, extra: &[&str]) {
    small(dir)
        .args([
            "answer",
            "net.private",
            "--status",
            "pass",
            "--note",
            "private",
        ])
        .assert()
        .success();
    small(dir)
        .args([
            "answer",
            "gov.assessment",
            "--status",
            "fail",
            "--by",
            "bob",
        ])
        .assert()
        .success();
    common::sign(dir);
    small(dir)
        .args(["attest", "-o", "a.md"])
        .args(extra)
        .assert()
        .success();
}

fn read(dir: &Path, name: &str) -> String {
    std::fs::read_to_string(dir.join(name)).unwrap()
}

/// `verify --attestation a.md` and more: (exit code, stdout).
fn verify(dir: &Path, extra: &[&str]) -> (i32, String) {
    code_and_stdout(
        small(dir)
            .args(["verify", "--attestation", "a.md"])
            .args(extra),
    )
}

/// `verify` of `a.md` (and `extra`) fails, exit 1, and says each of `needles`.
fn fails_saying(dir: &Path, extra: &[&str], needles: &[&str]) {
    let (code, out) = verify(dir, extra);
    assert_eq!(code, 1, "{out}");
    for needle in needles {
        assert!(out.contains(needle), "expected {needle:?} in:\n{out}");
    }
}

fn line_number(md: &str, needle: &str) -> usize {
    md.lines().position(|l| l.contains(needle)).expect(needle) + 1
}

#[test]
fn edited_rows_fail_and_the_lines_are_named() {
    let dir = tempfile::tempdir().unwrap();
    attested(dir.path(), &[]);
    let md = read(dir.path(), "a.md");
    let row = line_number(&md, "| ✖ fail | `gov.assessment`");
    std::fs::write(
        dir.path().join("a.md"),
        md.replace("| ✖ fail |", "| ✔ pass |"),
    )
    .unwrap();
    fails_saying(
        dir.path(),
        &[],
        &[
            "the attestation is not what the sign-off renders to",
            &format!("line {row}: the attestation has \"| ✔ pass | `gov.assessment`"),
            "a fresh rendering has \"| ✖ fail | `gov.assessment`",
        ],
    );
    // The JSON report says the same, with the same exit code.
    let out = small(dir.path())
        .args(["verify", "--attestation", "a.md", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["schema"], "readiness.verify/v1");
    assert_eq!(doc["ok"], false);
    assert!(
        doc["problems"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p.as_str().unwrap().starts_with(&format!("line {row}: "))),
        "{doc}"
    );
}

#[test]
fn an_added_signed_by_line_fails() {
    let dir = tempfile::tempdir().unwrap();
    attested(dir.path(), &[]);
    let md = read(dir.path(), "a.md");
    let forged = md.replacen(
        "\n\n",
        "\n\nSigned by Grace Hopper (CISO), approved for go-live.\n\n",
        1,
    );
    std::fs::write(dir.path().join("a.md"), forged).unwrap();
    fails_saying(
        dir.path(),
        &[],
        &["line 3: the attestation has \"Signed by Grace Hopper (CISO), approved for go-live.\""],
    );
}

#[test]
fn a_five_line_file_with_the_right_digest_fails() {
    let dir = tempfile::tempdir().unwrap();
    attested(dir.path(), &[]);
    let md = read(dir.path(), "a.md");
    let digest_line = md
        .lines()
        .find(|l| l.starts_with("sha256 of sign-off: "))
        .unwrap();
    let record_line = md.lines().last().unwrap();
    // The digest alone, as the old verify accepted.
    std::fs::write(
        dir.path().join("a.md"),
        format!("# Go-live security attestation\n\n**Ready for go-live**\n\n{digest_line}\n"),
    )
    .unwrap();
    fails_saying(
        dir.path(),
        &[],
        &["the attestation does not end with a `<!-- readiness:render…-->` line"],
    );
    // With the render record copied too.
    std::fs::write(
        dir.path().join("a.md"),
        format!("# Go-live security attestation\n\n**Ready for go-live**\n{digest_line}\n{record_line}\n"),
    )
    .unwrap();
    fails_saying(
        dir.path(),
        &[],
        &[
            "line 3: the attestation has \"**Ready for go-live**\", a fresh rendering has \"**Not ready for go-live**: 1 failing",
        ],
    );
}

#[test]
fn an_untouched_attestation_verifies_and_says_how() {
    let dir = tempfile::tempdir().unwrap();
    attested(dir.path(), &[]);
    let (code, out) = verify(dir.path(), &[]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("(every byte compared with a fresh rendering)"),
        "{out}"
    );
    // A later clock changes nothing: verify renders at the recorded time.
    let out = small(dir.path())
        .env("READINESS_NOW", "2027-06-01T00:00:00Z")
        .args(["verify", "--attestation", "a.md"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    // A template or previous sign-off it was not rendered with is named.
    std::fs::write(dir.path().join("t.md.tera"), "x\n").unwrap();
    fails_saying(
        dir.path(),
        &["--template", "t.md.tera"],
        &["rendered with the built-in template, but --template t.md.tera was given"],
    );
    std::fs::copy(dir.path().join(SIGNOFF), dir.path().join("old.toml")).unwrap();
    fails_saying(
        dir.path(),
        &["--previous", "old.toml"],
        &["rendered without --previous, but --previous was given"],
    );
}

#[test]
fn a_custom_template_must_be_given_again() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("t.md.tera"),
        "{{ verdict | safe }}\n{% for p in phases %}{{ p.label }}: {{ p.items | length }}\n{% endfor %}",
    )
    .unwrap();
    attested(dir.path(), &["--template", "t.md.tera"]);
    let md = read(dir.path(), "a.md");
    assert!(
        md.starts_with("**Not ready for go-live**: 1 failing, 4 open"),
        "{md}"
    );
    assert!(
        md.lines()
            .last()
            .unwrap()
            .contains("\"template\":\"custom\""),
        "{md}"
    );

    fails_saying(
        dir.path(),
        &[],
        &[
            "rendered with a custom template (sha256 ",
            "give it again with --template PATH",
        ],
    );
    let (code, out) = verify(dir.path(), &["--template", "t.md.tera"]);
    assert_eq!(code, 0, "{out}");
    std::fs::write(dir.path().join("other.md.tera"), "{{ verdict | safe }}\n").unwrap();
    fails_saying(
        dir.path(),
        &["--template", "other.md.tera"],
        &[
            "the template given (other.md.tera, sha256 ",
            "is not the one the attestation was rendered with",
        ],
    );
    // An edit of the custom rendering is caught like any other.
    std::fs::write(
        dir.path().join("a.md"),
        md.replace("Before deployment: 2", "Before deployment: 0"),
    )
    .unwrap();
    fails_saying(
        dir.path(),
        &["--template", "t.md.tera"],
        &["line 2: the attestation has \"Before deployment: 0\""],
    );
}

#[test]
fn another_tool_version_is_compared_on_its_embedded_data() {
    let dir = tempfile::tempdir().unwrap();
    attested(dir.path(), &[]);
    let md = read(dir.path(), "a.md");
    // A render record of a format this readiness does not read is named.
    std::fs::write(
        dir.path().join("a.md"),
        md.replacen("{\"v\":1,", "{\"v\":2,", 1),
    )
    .unwrap();
    fails_saying(
        dir.path(),
        &[],
        &["the attestation's render record is version 2; this readiness reads version 1"],
    );
    let version = format!("\"version\":\"{}\"", env!("CARGO_PKG_VERSION"));
    assert!(md.contains(&version));
    let older = md.replace(&version, "\"version\":\"0.0.1\"");
    std::fs::write(dir.path().join("a.md"), &older).unwrap();
    let (code, out) = verify(dir.path(), &[]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("rendered by readiness 0.0.1")
            && out.contains("its text could not be compared, only the data it embeds"),
        "{out}"
    );
    // Its embedded data must still hold.
    let forged = older.replacen(
        "\"gov.assessment\":{\"status\":\"fail\"",
        "\"gov.assessment\":{\"status\":\"pass\"",
        1,
    );
    assert_ne!(forged, older);
    std::fs::write(dir.path().join("a.md"), forged).unwrap();
    fails_saying(
        dir.path(),
        &[],
        &["item gov.assessment: attested pass, sign-off now fail"],
    );
}

/// An old sign-off whose extra answer has an id crafted to break out of the table.
const CRAFTED_ID: &str = "x` | ✔ pass |\n## Ready for go-live\n<!-- #";

fn crafted_old(dir: &Path) {
    let text = read(dir, SIGNOFF);
    let key = CRAFTED_ID.replace('\n', "\\n");
    let block = format!(
        "\n[items.\"{key}\"]\nstatus = \"pass\"\nnote = \"n | <!-- note\"\nanswered_by = \"eve\\n# Heading <!--\"\nanswered_at = 2026-08-01T10:00:00Z\n\n"
    );
    // The crafted answer sits in [items], before any [signoff].
    let crafted = match text.find("[signoff]") {
        Some(at) => format!("{}{block}{}", &text[..at], &text[at..]),
        None => format!("{text}{block}"),
    };
    std::fs::write(dir.join("old.toml"), crafted).unwrap();
}

#[test]
fn previous_injection_is_escaped_and_verified() {
    let dir = tempfile::tempdir().unwrap();
    small(dir.path())
        .args(["answer", "net.private", "--status", "pass"])
        .assert()
        .success();
    crafted_old(dir.path());
    small(dir.path())
        .args(["answer", "gov.assessment", "--status", "fail"])
        .assert()
        .success();
    small(dir.path())
        .args(["attest", "-o", "a.md", "--previous", "old.toml"])
        .assert()
        .success();
    let md = read(dir.path(), "a.md");
    // The crafted id is one escaped, marked cell: no heading, no comment, no extra columns.
    let row = md
        .lines()
        .find(|l| l.contains("(not in this checklist)"))
        .expect(&md);
    assert!(
        row.starts_with("| x\\` &#124; ✔ pass &#124;<br>\\#\\# Ready for go-live<br>&lt;!-- \\# *(not in this checklist)*"),
        "{row}"
    );
    assert_eq!(row.matches('|').count(), 3, "{row}");
    assert!(!md.lines().any(|l| l.starts_with("## Ready")), "{md}");
    let comments: Vec<&str> = md.lines().filter(|l| l.contains("<!--")).collect();
    assert_eq!(
        comments.len(),
        2,
        "only the tool's own comments: {comments:?}"
    );
    assert!(!md.contains("eve\n") && !md.contains("n | <!--"), "{md}");

    // The same inputs verify; without the previous sign-off it is named; another fails.
    let (code, out) = verify(dir.path(), &["--previous", "old.toml"]);
    assert_eq!(code, 0, "{out}");
    fails_saying(
        dir.path(),
        &[],
        &[
            "rendered with --previous (a previous sign-off with sha256 ",
            "give it again with --previous OLD",
        ],
    );
    std::fs::write(
        dir.path().join("other.toml"),
        read(dir.path(), "old.toml").replace("eve", "mallory"),
    )
    .unwrap();
    fails_saying(
        dir.path(),
        &["--previous", "other.toml"],
        &["the previous sign-off given has sha256 "],
    );
    // Injecting the raw id by hand into the attestation fails.
    let injected = md.replacen(row, &format!("| {CRAFTED_ID} | removed |"), 1);
    std::fs::write(dir.path().join("a.md"), injected).unwrap();
    fails_saying(
        dir.path(),
        &["--previous", "old.toml"],
        &[
            "the attestation has \"| x` | ✔ pass |\"",
            "\"## Ready for go-live\"",
        ],
    );
}

#[test]
fn diff_shows_ids_from_files_escaped_and_marked() {
    let dir = tempfile::tempdir().unwrap();
    small(dir.path())
        .args(["answer", "net.private", "--status", "pass"])
        .assert()
        .success();
    crafted_old(dir.path());
    let text = stdout_of(small(dir.path()).args(["diff", "old.toml", SIGNOFF]));
    let line = text
        .lines()
        .find(|l| l.contains("(not in this checklist)"))
        .expect(&text);
    assert!(
        line.contains("x` | ✔ pass |\\n## Ready for go-live\\n<!-- # (not in this checklist)"),
        "{text}"
    );
    assert!(!text.lines().any(|l| l.starts_with("## ")), "{text}");
    let md =
        stdout_of(small(dir.path()).args(["diff", "old.toml", SIGNOFF, "--format", "markdown"]));
    assert!(
        !md.contains("<!--") && !md.lines().any(|l| l.starts_with('#')),
        "{md}"
    );
    assert!(
        md.contains("| x\\` &#124; ✔ pass &#124;<br>\\#\\# Ready for go-live<br>&lt;!-- \\# *(not in this checklist)*"),
        "{md}"
    );
    // JSON keeps the id exactly: it has its own escaping.
    let json = stdout_of(small(dir.path()).args(["diff", "old.toml", SIGNOFF, "--format", "json"]));
    let doc: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(doc["items_removed"][0]["id"], CRAFTED_ID);
}

#[test]
fn the_previous_signoff_must_exist_and_parse() {
    let dir = tempfile::tempdir().unwrap();
    attested(dir.path(), &[]);
    let (code, _) = verify(dir.path(), &["--previous", "missing.toml"]);
    assert_eq!(code, 2);
    let _ = common::NOW;
}
