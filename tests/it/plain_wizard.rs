//! The line-by-line wizard driven by scripted answers: the same flow an operator walks,
//! checked through the sign-off file it leaves.

use crate::common;

use readiness::checklist;
use readiness::clock::Clock;
use readiness::plain::{self, Scripted, ScriptedPrompter, WizardEnd, WizardOptions};
use readiness::session::Session;
use readiness::signoff::{Status, parse};

use Scripted::{Confirm as C, Select as S, Text as T};

fn t(s: &str) -> Scripted {
    T(s.to_string())
}

fn session(dir: &std::path::Path) -> Session {
    let c = checklist::load_file(&common::small_checklist()).unwrap();
    Session::open(
        c,
        &dir.join("readiness-signoff.toml"),
        Clock::fixed(common::NOW.parse().unwrap()),
    )
    .unwrap()
}

fn options(dir: &std::path::Path) -> WizardOptions {
    WizardOptions {
        revisit: false,
        author: "alice".into(),
        attestation_path: dir.join("attestation.md"),
        checks: None,
    }
}

fn target_answers() -> Vec<Scripted> {
    vec![
        t("robots-prod"),
        t("prod"),
        t("00000000-0000-0000-0000-000000000001"),
        t("rg-robots-prod"),
        t("aks-robots-prod"),
    ]
}

fn saved(dir: &std::path::Path) -> readiness::signoff::SignOff {
    parse(
        "s",
        &std::fs::read_to_string(dir.join("readiness-signoff.toml")).unwrap(),
    )
    .unwrap()
}

#[test]
fn a_full_walk_answers_every_item_signs_and_writes_the_attestation() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = session(dir.path());
    let mut script = target_answers();
    // Items come phase by phase: net.private, gov.assessment, mon.audit-logs, k8s.netpol,
    // iac.providers, gov.advisor.
    script.extend([
        S(0),
        t("private cluster"),
        t("https://example.org/pr/12, docs/aks.json"),
    ]);
    script.extend([S(1), t("no assessment yet"), t("")]);
    script.extend([S(0), t(""), t("")]);
    // A risk acceptance: empty justification and a bad date are asked again.
    script.extend([
        S(3),
        t("waiting for vendor"),
        t(""),
        t(""),
        t("OSMO 6.2 ships policies"),
        t("soon"),
        t("2027-01-31"),
    ]);
    script.extend([S(2), t("no providers pinned here"), t("")]);
    script.extend([S(0), t(""), t("")]);
    script.extend([C(true), t("Dana Reyes"), t("platform owner"), C(true)]);
    let mut p = ScriptedPrompter::new(script);

    let end = plain::run(&mut s, &mut p, &mut options(dir.path())).unwrap();
    assert_eq!(
        end,
        WizardEnd::Finished {
            signed: true,
            attestation: Some(dir.path().join("attestation.md"))
        }
    );
    assert!(
        p.answers.is_empty(),
        "unused script answers: {:?}",
        p.answers
    );

    let f = saved(dir.path());
    assert_eq!(f.target.name.as_deref(), Some("robots-prod"));
    assert_eq!(f.target.cluster.as_deref(), Some("aks-robots-prod"));
    assert_eq!(f.items.len(), 6);
    assert_eq!(
        f.items["net.private"].evidence,
        vec!["https://example.org/pr/12", "docs/aks.json"]
    );
    assert_eq!(f.items["gov.assessment"].status, Status::Fail);
    let risk = &f.items["k8s.netpol"];
    assert_eq!(risk.status, Status::RiskAccepted);
    assert_eq!(
        risk.justification.as_deref(),
        Some("OSMO 6.2 ships policies")
    );
    assert_eq!(risk.expires.unwrap().to_string(), "2027-01-31");
    assert_eq!(f.items["iac.providers"].status, Status::NotApplicable);
    assert_eq!(f.signoff.unwrap().name, "Dana Reyes");

    let transcript = p.transcript.join("\n");
    assert!(
        transcript.contains("A risk acceptance needs a justification."),
        "{transcript}"
    );
    assert!(
        transcript.contains("\"soon\" is not a date"),
        "{transcript}"
    );
    assert!(
        transcript.contains("[1/6] Before deployment · network · high"),
        "{transcript}"
    );
    assert!(
        transcript
            .contains("Private clusters — https://learn.microsoft.com/azure/aks/private-clusters")
    );

    let markdown = std::fs::read_to_string(dir.path().join("attestation.md")).unwrap();
    assert!(
        markdown.contains("Signed by Dana Reyes (platform owner) on "),
        "{markdown}"
    );
}

#[test]
fn ctrl_c_keeps_every_confirmed_answer_and_a_rerun_resumes() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = session(dir.path());
    let mut script = target_answers();
    script.extend([S(0), t("first"), t("")]);
    script.extend([S(1), t("second"), t("")]);
    // The script ends in the middle of the third item's note: that is Ctrl-C.
    script.push(S(0));
    let mut p = ScriptedPrompter::new(script);
    let end = plain::run(&mut s, &mut p, &mut options(dir.path())).unwrap();
    assert_eq!(
        end,
        WizardEnd::Stopped {
            answered_this_run: 2
        }
    );
    let f = saved(dir.path());
    assert_eq!(
        f.items.keys().collect::<Vec<_>>(),
        ["gov.assessment", "net.private"]
    );

    // A new run keeps the target as defaults and starts at the first unanswered item.
    let mut s = session(dir.path());
    let mut script: Vec<Scripted> = (0..5).map(|_| t("")).collect();
    script.extend([S(5)]);
    let mut p = ScriptedPrompter::new(script);
    let end = plain::run(&mut s, &mut p, &mut options(dir.path())).unwrap();
    assert_eq!(
        end,
        WizardEnd::Stopped {
            answered_this_run: 0
        }
    );
    let transcript = p.transcript.join("\n");
    assert!(
        transcript.contains("[1/4] During operation · monitoring"),
        "{transcript}"
    );
    assert_eq!(
        saved(dir.path()).target.name.as_deref(),
        Some("robots-prod")
    );
}

#[test]
fn skipping_leaves_items_open_and_the_end_offers_signing_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = session(dir.path());
    let mut script = target_answers();
    script.extend([S(0), t(""), t("")]);
    script.extend((0..5).map(|_| S(4)));
    script.extend([C(false), C(false)]);
    let mut p = ScriptedPrompter::new(script);
    let end = plain::run(&mut s, &mut p, &mut options(dir.path())).unwrap();
    assert_eq!(
        end,
        WizardEnd::Finished {
            signed: false,
            attestation: None
        }
    );
    assert!(
        p.transcript
            .iter()
            .any(|l| l.contains("Sign the sign-off now, with 5 items still open?"))
    );
    assert_eq!(saved(dir.path()).items.len(), 1);
    assert!(!dir.path().join("attestation.md").exists());
}

#[test]
fn revisit_asks_answered_items_again_with_their_answers_as_defaults() {
    let dir = tempfile::tempdir().unwrap();
    common::small(dir.path())
        .args([
            "answer",
            "net.private",
            "--status",
            "fail",
            "--note",
            "public for now",
        ])
        .assert()
        .success();
    let mut s = session(dir.path());
    let mut opts = options(dir.path());
    opts.revisit = true;
    let mut script: Vec<Scripted> = (0..5).map(|_| t("")).collect();
    // Keep the note (empty = default), change the status.
    script.extend([S(0), t(""), t(""), S(5)]);
    let mut p = ScriptedPrompter::new(script);
    plain::run(&mut s, &mut p, &mut opts).unwrap();
    let a = &saved(dir.path()).items["net.private"];
    assert_eq!(a.status, Status::Pass);
    assert_eq!(a.note, "public for now");
    assert!(
        p.transcript
            .iter()
            .any(|l| l.contains("Current answer: ✖ fail by alice"))
    );
}

/// The engine over the project's evidence files (az CLI JSON), as the wizard runs it.
fn checks_from_evidence(flavour: &'static str) -> readiness::plain::RunChecks {
    checks_with(readiness::engine::SourceConfig {
        evidence_dir: Some(common::data(&format!("evidence/{flavour}"))),
        ..Default::default()
    })
}

fn checks_with(config: readiness::engine::SourceConfig) -> readiness::plain::RunChecks {
    Box::new(move |_target| {
        let checklist = checklist::load_file(&common::small_checklist()).unwrap();
        let runtime = tokio::runtime::Runtime::new().unwrap();
        runtime
            .block_on(readiness::engine::run(
                &checklist,
                &config,
                common::NOW.parse().unwrap(),
                None,
            ))
            .map_err(|e| e.to_string())
    })
}

#[test]
fn automatic_results_are_shown_and_overriding_them_needs_a_reason() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = session(dir.path());
    let mut opts = options(dir.path());
    opts.checks = Some(checks_from_evidence("broken"));
    let mut script = target_answers();
    // net.private: the check fails; answering pass asks why (empty is refused).
    script.extend([
        S(0),
        t(""),
        t(""),
        t(""),
        t("the evidence predates the private-cluster migration"),
        S(5),
    ]);
    let mut p = ScriptedPrompter::new(script);
    plain::run(&mut s, &mut p, &mut opts).unwrap();

    let transcript = p.transcript.join("\n");
    assert!(
        transcript.contains("Automatic checks: 0 pass · 1 fail · 0 could not check · 5 manual."),
        "{transcript}"
    );
    assert!(
        transcript.contains("Automatic result: ✖ fail"),
        "{transcript}"
    );
    assert!(
        transcript.contains("✖ The API server is public. (arm:aks) observed false"),
        "{transcript}"
    );
    assert!(
        transcript.contains("Overriding the automatic result needs a reason."),
        "{transcript}"
    );

    let f = saved(dir.path());
    let a = &f.items["net.private"];
    assert_eq!(a.status, Status::Pass);
    assert_eq!(
        a.override_reason.as_deref(),
        Some("the evidence predates the private-cluster migration")
    );
    // Both are kept: the answer and what the check observed.
    assert_eq!(
        f.auto["net.private"].status,
        readiness::engine::AutoStatus::Fail
    );
    assert_eq!(f.auto["net.private"].checks[0].source, "arm:aks");
}

#[test]
fn a_passing_automatic_check_is_confirmed_without_questions() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = session(dir.path());
    let mut opts = options(dir.path());
    opts.checks = Some(checks_from_evidence("hardened"));
    let mut script = target_answers();
    script.extend([S(0), t(""), t(""), S(5)]);
    let mut p = ScriptedPrompter::new(script);
    plain::run(&mut s, &mut p, &mut opts).unwrap();
    let f = saved(dir.path());
    assert_eq!(f.items["net.private"].status, Status::Pass);
    assert_eq!(f.items["net.private"].override_reason, None);
    assert_eq!(
        f.auto["net.private"].status,
        readiness::engine::AutoStatus::Pass
    );
}

#[test]
fn the_summary_says_which_automatic_items_were_skipped_and_why() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = session(dir.path());
    let mut opts = options(dir.path());
    opts.checks = Some(checks_with(readiness::engine::SourceConfig {
        arm_skipped_because: Some("Azure is not read in this run (--offline)".into()),
        ..Default::default()
    }));
    let mut p = ScriptedPrompter::new(target_answers());
    let _ = plain::run(&mut s, &mut p, &mut opts);
    let transcript = p.transcript.join("\n");
    assert!(
        transcript.contains(
            "Automatic checks: 0 pass · 0 fail · 0 could not check · 1 skipped · 5 manual.\n  \
             skipped: Azure is not read in this run (--offline)"
        ),
        "{transcript}"
    );
}
