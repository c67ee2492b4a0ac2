//! The Markdown attestation: golden files, escaping of hostile operator text, determinism,
//! and `verify` catching any change made after rendering.

use crate::common;

use std::path::Path;

use common::{small, stdout_of};

const HOSTILE: &str = "ok | not a column\nsecond line `rm -rf /` <script>alert('x')</script> **bold** [link](javascript:alert(1)) # heading $x$ ~~s~~ & --> done";

fn answered(dir: &Path) {
    small(dir)
        .args([
            "answer",
            "net.private",
            "--status",
            "pass",
            "--note",
            "private cluster; privateDNSZone=system",
        ])
        .args([
            "--evidence",
            "https://dev.azure.com/contoso/robots/_git/infra/pullrequest/12",
            "--evidence",
            "evidence/aks.json",
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
            "assessment scheduled for January",
            "--by",
            "bob",
        ])
        .assert()
        .success();
    small(dir)
        .args([
            "answer",
            "k8s.netpol",
            "--status",
            "risk-accepted",
            "--justification",
            "default-deny lands with the next OSMO release",
        ])
        .args(["--expires", "2027-02-28"])
        .assert()
        .success();
    small(dir)
        .args([
            "answer",
            "iac.providers",
            "--status",
            "not-applicable",
            "--note",
            "providers pinned by the platform repo",
        ])
        .assert()
        .success();
}

fn golden(name: &str, actual: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, actual).unwrap();
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|_| {
        panic!(
            "missing golden {}; run with UPDATE_GOLDEN=1 to create it",
            path.display()
        )
    });
    assert!(
        expected == actual,
        "{} differs from the rendering (UPDATE_GOLDEN=1 to accept):\n{actual}",
        path.display()
    );
}

#[test]
fn golden_signed_attestation() {
    let dir = tempfile::tempdir().unwrap();
    small(dir.path())
        .args(["answer", "mon.audit-logs", "--status", "pass"])
        .assert()
        .success();
    answered(dir.path());
    small(dir.path())
        .args([
            "target",
            "--name",
            "robots-prod",
            "--environment",
            "prod",
            "--subscription",
            "00000000-0000-0000-0000-00000000c0de",
        ])
        .args([
            "--resource-group",
            "rg-robots-prod-001",
            "--cluster",
            "aks-robots-prod-001",
            "--key-vault",
            "kvrobotsprod001",
        ])
        .args(["--registry", "acrrobotsprod001"])
        .assert()
        .success();
    small(dir.path())
        .args(["sign", "--name", "Dana Reyes", "--role", "platform owner"])
        .assert()
        .success();
    let out = stdout_of(small(dir.path()).arg("attest"));
    golden("attestation-signed.md", &out);
}

#[test]
fn golden_unanswered_attestation() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("readiness-signoff.toml"),
        "schema_version = 1\n\n[checklist]\nid = \"test-small\"\nversion = \"1.0\"\nsha256 = \"\
         0000000000000000000000000000000000000000000000000000000000000000\"\n\n[target]\nname = \"robots-dev\"\nenvironment = \"dev\"\n",
    )
    .unwrap();
    let out = small(dir.path()).arg("attest").output().unwrap();
    assert!(out.status.success());
    // Rendered against another checklist text than recorded: it still renders, and says so.
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("warning: the sign-off was answered against")
    );
    golden(
        "attestation-unanswered.md",
        &String::from_utf8_lossy(&out.stdout),
    );
}

#[test]
fn rendering_is_byte_identical_for_the_same_inputs_and_clock() {
    let dir = tempfile::tempdir().unwrap();
    answered(dir.path());
    let first = stdout_of(small(dir.path()).arg("attest"));
    let second = stdout_of(small(dir.path()).arg("attest"));
    assert_eq!(first, second);
    let later = stdout_of(
        small(dir.path())
            .env("READINESS_NOW", "2026-12-01T00:00:00Z")
            .arg("attest"),
    );
    assert_ne!(first, later, "the rendering time is part of the document");
}

#[test]
fn hostile_operator_text_renders_as_text() {
    let dir = tempfile::tempdir().unwrap();
    small(dir.path())
        .args([
            "answer",
            "net.private",
            "--status",
            "fail",
            "--note",
            HOSTILE,
            "--evidence",
            "javascript:alert(1)",
        ])
        .args(["--evidence", "https://example.org/a)b<i>"])
        .args(["--by", "eve | <b>mallory</b>"])
        .assert()
        .success();
    small(dir.path())
        .args(["sign", "--name", "x --> <img src=x>", "--role", "r`"])
        .assert()
        .success();
    let md = stdout_of(small(dir.path()).arg("attest"));

    assert!(!md.contains("<script"), "{md}");
    assert!(!md.contains("<b>") && !md.contains("<img"), "{md}");
    // No live link: every `](` left is behind an escaped bracket.
    assert!(!md.replace("\\]", "").contains("](javascript"), "{md}");
    // The row for the item keeps exactly its six columns.
    let row = md
        .lines()
        .find(|l| l.contains("`net.private`") && l.contains("✖ fail") && l.contains("ok &#124;"))
        .expect(&md);
    assert_eq!(row.matches('|').count(), 7, "{row}");
    assert!(row.contains("\\`rm -rf /\\`"), "{row}");
    assert!(row.contains("&lt;script&gt;"), "{row}");
    assert!(
        row.contains("ok &#124; not a column<br>second line"),
        "{row}"
    );
    assert!(
        row.contains("\\*\\*bold\\*\\*") && row.contains("\\[link\\]"),
        "{row}"
    );
    assert!(
        row.contains("[https://example.org/a)b&lt;i&gt;](https://example.org/a%29b%3Ci%3E)"),
        "{row}"
    );
    // The hidden status comment cannot be closed early by a signer's name.
    let comment = md
        .lines()
        .find(|l| l.starts_with("<!-- readiness:statuses"))
        .unwrap();
    assert_eq!(comment.matches("-->").count(), 1, "{comment}");
    // And verify still reads it.
    std::fs::write(dir.path().join("a.md"), &md).unwrap();
    small(dir.path())
        .args(["verify", "--attestation", "a.md"])
        .assert()
        .success();
}

#[test]
fn verify_passes_on_an_untouched_pair() {
    let dir = tempfile::tempdir().unwrap();
    answered(dir.path());
    // The default paths of `attest --output` and `verify` are the wizard's.
    small(dir.path())
        .args(["attest", "--output", "readiness-attestation.md"])
        .assert()
        .success();
    small(dir.path())
        .arg("verify")
        .assert()
        .code(0)
        .stdout(predicates::str::contains(
            "verified: readiness-attestation.md matches readiness-signoff.toml",
        ));
}

#[test]
fn verify_names_a_status_changed_after_rendering() {
    let dir = tempfile::tempdir().unwrap();
    answered(dir.path());
    small(dir.path())
        .args(["attest", "-o", "attestation.md"])
        .assert()
        .success();
    let path = dir.path().join("readiness-signoff.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(
        &path,
        text.replace("status = \"fail\"", "status = \"pass\""),
    )
    .unwrap();
    let out = small(dir.path())
        .args(["verify", "--attestation", "attestation.md"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("the sign-off changed after the attestation was rendered"),
        "{stdout}"
    );
    assert!(
        stdout.contains("item gov.assessment: attested fail, sign-off now pass"),
        "{stdout}"
    );
}

#[test]
fn verify_catches_any_edit_to_either_file() {
    let dir = tempfile::tempdir().unwrap();
    answered(dir.path());
    small(dir.path())
        .args(["attest", "-o", "attestation.md"])
        .assert()
        .success();
    let signoff = dir.path().join("readiness-signoff.toml");
    let original = std::fs::read_to_string(&signoff).unwrap();

    // A one-character edit of a note (no status changes) is still caught.
    std::fs::write(&signoff, original.replace("January", "Februar")).unwrap();
    small(dir.path())
        .args(["verify", "--attestation", "attestation.md"])
        .assert()
        .code(1);
    std::fs::write(&signoff, &original).unwrap();
    small(dir.path())
        .args(["verify", "--attestation", "attestation.md"])
        .assert()
        .code(0);

    // An attestation whose digest line was edited or removed fails.
    let att = dir.path().join("attestation.md");
    let md = std::fs::read_to_string(&att).unwrap();
    let forged = md.replace("sha256 of sign-off: ", "sha256 of sign-off: 0");
    std::fs::write(&att, forged).unwrap();
    small(dir.path())
        .args(["verify", "--attestation", "attestation.md"])
        .assert()
        .code(1);
    let cut: String = md
        .lines()
        .filter(|l| !l.starts_with("sha256 of sign-off"))
        .collect::<Vec<_>>()
        .join("\n");
    std::fs::write(&att, cut).unwrap();
    small(dir.path())
        .args(["verify", "--attestation", "attestation.md"])
        .assert()
        .code(1)
        .stdout(predicates::str::contains(
            "has no `sha256 of sign-off: <hex>` line",
        ));
}

#[test]
fn verify_fails_when_the_checklist_changed_under_the_signoff() {
    let dir = tempfile::tempdir().unwrap();
    answered(dir.path());
    small(dir.path())
        .args(["attest", "-o", "attestation.md"])
        .assert()
        .success();
    let changed = dir.path().join("changed.toml");
    let text = std::fs::read_to_string(common::small_checklist()).unwrap();
    std::fs::write(
        &changed,
        text.replace("Make the API server private.", "Make it private."),
    )
    .unwrap();
    common::readiness(dir.path())
        .arg("--checklist")
        .arg(&changed)
        .args(["verify", "--attestation", "attestation.md"])
        .assert()
        .code(1)
        .stdout(predicates::str::contains(
            "answered against checklist test-small version 1.0",
        ));
}

#[test]
fn verify_with_missing_or_broken_files_is_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    small(dir.path())
        .args(["verify", "--attestation", "nope.md"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "readiness-signoff.toml does not exist",
        ));
    answered(dir.path());
    small(dir.path())
        .args(["verify", "--attestation", "nope.md"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("cannot read attestation nope.md"));
}

#[test]
fn a_custom_template_is_used_and_its_errors_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    answered(dir.path());
    std::fs::write(
        dir.path().join("t.md.tera"),
        "{% for p in phases %}{{ p.label }}: {{ p.items | length }}\n{% endfor %}",
    )
    .unwrap();
    let out = stdout_of(small(dir.path()).args(["attest", "--template", "t.md.tera"]));
    // The template's output, then the render record `verify` reads (always the last line).
    let (rendered, record) = out.trim_end().rsplit_once('\n').unwrap();
    assert_eq!(
        format!("{rendered}\n"),
        "Before deployment: 2\nDuring operation: 2\nOngoing maintenance: 2\n"
    );
    assert!(
        record.starts_with(readiness::attest::record::RECORD_PREFIX)
            && record.contains("\"template\":\"custom\""),
        "{record}"
    );
    std::fs::write(dir.path().join("bad.md.tera"), "{% for p in phases %}").unwrap();
    small(dir.path())
        .args(["attest", "--template", "bad.md.tera"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("template bad.md.tera"));
}
