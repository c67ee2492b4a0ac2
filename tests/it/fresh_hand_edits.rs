//! `verify --fresh` refuses a sign-off edited by hand into what `answer` and `sign` would
//! have refused (issue 12 item 4), and the verdict line (item 5) in the attestation and
//! `status`.

use std::path::Path;

use crate::common::{self, SMALL_IDS, code_and_stdout, small, stdout_of};

/// Every item answered (one risk acceptance) and signed: fresh and ready.
fn ready(dir: &Path) -> std::path::PathBuf {
    small(dir)
        .args(["answer", "--status", "pass"])
        .args(&SMALL_IDS[..5])
        .assert()
        .success();
    small(dir)
        .args(["answer", "gov.advisor", "--status", "risk-accepted"])
        .args([
            "--justification",
            "waiting for the vendor",
            "--expires",
            "2027-01-15",
        ])
        .assert()
        .success();
    common::sign(dir);
    dir.join("readiness-signoff.toml")
}

fn fresh(dir: &Path) -> (i32, String) {
    code_and_stdout(small(dir).args(["verify", "--fresh"]))
}

/// Applies `edit` to the sign-off and expects `verify --fresh` to fail naming `problem`.
fn refused(edit: impl Fn(&str) -> String, problem: &str) {
    let dir = tempfile::tempdir().unwrap();
    let path = ready(dir.path());
    let (code, out) = fresh(dir.path());
    assert_eq!(code, 0, "the untouched sign-off is fresh: {out}");
    let text = std::fs::read_to_string(&path).unwrap();
    let edited = edit(&text);
    assert_ne!(edited, text, "the edit applies");
    std::fs::write(&path, edited).unwrap();
    let (code, out) = fresh(dir.path());
    assert_eq!(code, 1, "{out}");
    assert!(out.contains(problem), "expected {problem:?} in:\n{out}");
}

#[test]
fn an_answer_dated_in_the_future_is_refused() {
    refused(
        |t| {
            t.replacen(
                "answered_at = 2026-11-27T10:00:00Z",
                "answered_at = 2099-01-01T00:00:00Z",
                1,
            )
        },
        ": answered_at 2099-01-01T00:00:00Z is in the future (now is 2026-11-27T10:00:00Z)",
    );
}

#[test]
fn a_signature_dated_in_the_future_is_refused() {
    refused(
        |t| {
            t.replace(
                "signed_at = 2026-11-27T10:00:00Z",
                "signed_at = 2099-01-01T00:00:00Z",
            )
        },
        "sign-off: signed_at 2099-01-01T00:00:00Z is in the future",
    );
}

#[test]
fn a_risk_acceptance_longer_than_the_checklist_allows_is_refused() {
    refused(
        |t| t.replace("expires = 2027-01-15", "expires = 2099-01-15"),
        "gov.advisor: the risk acceptance runs to 2099-01-15, more than the checklist's 120 days from 2026-11-27 when it was given (latest 2027-03-27)",
    );
}

#[test]
fn an_answer_without_item_sha256_is_refused() {
    refused(
        |t| {
            let at = t.find("item_sha256 = ").unwrap();
            let end = at + t[at..].find('\n').unwrap() + 1;
            format!("{}{}", &t[..at], &t[end..])
        },
        ": item_sha256 is missing: the answer does not record which text of the item it answers",
    );
}

#[test]
fn a_signature_older_than_an_answer_is_refused() {
    refused(
        |t| {
            t.replace(
                "signed_at = 2026-11-27T10:00:00Z",
                "signed_at = 2026-11-20T10:00:00Z",
            )
        },
        "sign-off: signed at 2026-11-20T10:00:00Z, before the answer to",
    );
}

#[test]
fn the_attestation_and_status_open_with_the_verdict() {
    let dir = tempfile::tempdir().unwrap();
    ready(dir.path());
    let md = stdout_of(small(dir.path()).arg("attest"));
    let mut lines = md.lines();
    assert!(
        lines
            .next()
            .unwrap()
            .starts_with("# Go-live security attestation")
    );
    assert_eq!(lines.next(), Some(""));
    assert_eq!(
        lines.next(),
        Some(
            "**Ready for go-live**: 6 of 6 answered, 0 failing, 1 risk accepted (expires 2027-01-15)"
        )
    );
    assert!(
        md.contains("\nSigned by Dana Reyes (platform owner) on 2026-11-27 10:00 UTC.\n"),
        "{md}"
    );
    let status = stdout_of(small(dir.path()).arg("status"));
    assert_eq!(
        status.lines().next(),
        Some("Ready for go-live: 6 of 6 answered, 0 failing, 1 risk accepted (expires 2027-01-15)")
    );

    // One failing answer: not ready, and the signature is not a go-live approval.
    small(dir.path())
        .args(["answer", "gov.assessment", "--status", "fail"])
        .assert()
        .success();
    common::sign(dir.path());
    let md = stdout_of(small(dir.path()).arg("attest"));
    assert_eq!(
        md.lines().nth(2),
        Some(
            "**Not ready for go-live**: 1 failing, 0 open, 1 risk accepted (expires 2027-01-15), 0 lapsed"
        )
    );
    assert!(!md.contains("**Signed off**"), "{md}");
    assert!(md.contains("not a go-live approval"), "{md}");
    // After the risk acceptance expired, status says so.
    let status = stdout_of(
        small(dir.path())
            .env("READINESS_NOW", "2027-01-20T10:00:00Z")
            .arg("status"),
    );
    assert_eq!(
        status.lines().next(),
        Some(
            "Not ready for go-live: 1 failing, 0 open, 0 risks accepted, 0 lapsed, 1 risk acceptance expired"
        )
    );
}
