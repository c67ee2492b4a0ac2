//! Every screen of the full-screen wizard drawn on ratatui's TestBackend at 80×24 and
//! 120×40 (and the too-small screen), as insta snapshots. The state is reached through the
//! update function, with a pinned clock and the small test checklist, so the text is stable.

use crate::common;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use jiff::Timestamp;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::style::{Color, Modifier};
use readiness::checklist;
use readiness::clock::Clock;
use readiness::engine::{AutoStatus, CheckStatus, Progress};
use readiness::signoff::{Answer, AutoCheck, AutoRecord, SignOff, Signature, Status, Target};
use readiness::tui::{Config, Msg, State, render, update};

fn now() -> Timestamp {
    common::NOW.parse().expect("NOW")
}

fn answer(status: Status, note: &str) -> Answer {
    Answer {
        status,
        note: note.into(),
        evidence: Vec::new(),
        answered_by: "alice".into(),
        answered_at: now(),
        justification: None,
        expires: None,
        item_sha256: None,
        override_reason: None,
    }
}

/// A sign-off part-way through: a target, four answers, one automatic failure.
fn signoff() -> SignOff {
    let mut s = SignOff {
        target: Target {
            name: Some("robots-prod".into()),
            environment: Some("prod".into()),
            subscription: Some("00000000-0000-0000-0000-000000000001".into()),
            resource_group: Some("rg-robots-prod".into()),
            cluster: Some("aks-robots-prod".into()),
            ..Target::default()
        },
        ..SignOff::default()
    };
    let mut assessment = answer(Status::Fail, "no assessment yet");
    assessment.evidence = vec!["https://dev.azure.com/contoso/robots/_workitems/edit/88".into()];
    s.items.insert("gov.assessment".into(), assessment);
    let mut netpol = answer(Status::RiskAccepted, "");
    netpol.justification = Some("default-deny policies ship with the OSMO 6.2 upgrade".into());
    netpol.expires = Some("2027-01-31".parse().expect("date"));
    s.items.insert("k8s.netpol".into(), netpol);
    s.items.insert(
        "mon.audit-logs".into(),
        answer(
            Status::Pass,
            "diagnostic settings send kube-audit to law-robots",
        ),
    );
    s.items.insert(
        "iac.providers".into(),
        answer(Status::NotApplicable, "no providers pinned here"),
    );
    s.auto.insert(
        "net.private".into(),
        AutoRecord {
            status: AutoStatus::Fail,
            checked_at: now(),
            checks: vec![AutoCheck {
                source: "arm:aks".into(),
                resource: "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-robots-prod/providers/Microsoft.ContainerService/managedClusters/aks-robots-prod".into(),
                expect: "properties.apiServerAccessProfile.enablePrivateCluster == `true`".into(),
                observed: r#"{"enablePrivateCluster":false}"#.into(),
                status: CheckStatus::Fail,
                cause: None,
            }],
        },
    );
    s
}

fn state_with(signoff: SignOff, color: bool) -> State {
    let checklist = checklist::load_file(&common::small_checklist()).expect("small checklist");
    State::new(
        checklist,
        signoff,
        Clock::fixed(now()),
        Config {
            author: "alice".into(),
            signoff_path: "readiness-signoff.toml".into(),
            attestation_path: "readiness-attestation.md".into(),
            color,
            offline: true,
            log_path: None,
            revisit: false,
        },
        None,
    )
}

fn state() -> State {
    state_with(signoff(), false)
}

fn key(c: char) -> Msg {
    Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE))
}

fn code(c: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(c, KeyModifiers::NONE))
}

fn send(state: &mut State, msgs: impl IntoIterator<Item = Msg>) {
    for msg in msgs {
        let effects = update(state, msg);
        // Snapshots never need a save; a test that expects one checks the effects itself.
        assert!(
            effects
                .iter()
                .all(|e| matches!(e, readiness::tui::Effect::RunChecks { .. })),
            "unexpected effects {effects:?}"
        );
    }
}

fn terminal(state: &mut State, width: u16, height: u16) -> Terminal<TestBackend> {
    let _ = update(state, Msg::Resize(width, height));
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("terminal");
    terminal.draw(|f| render(state, f)).expect("draw");
    terminal
}

/// The screen's text, and where the hardware cursor is.
fn draw(state: &mut State, width: u16, height: u16) -> String {
    let mut t = terminal(state, width, height);
    let cursor = t.get_cursor_position().expect("cursor");
    format!(
        "{}\ncursor at column {}, row {}",
        t.backend(),
        cursor.x,
        cursor.y
    )
}

macro_rules! screens {
    ($($name:ident => $setup:expr;)+) => {
        $(
            #[test]
            fn $name() {
                for (w, h) in [(80, 24), (120, 40)] {
                    let mut s = state();
                    let msgs: Vec<Msg> = $setup;
                    send(&mut s, msgs);
                    insta::assert_snapshot!(format!("{}_{w}x{h}", stringify!($name)), draw(&mut s, w, h));
                }
            }
        )+
    };
}

screens! {
    overview => vec![];
    overview_second_phase => vec![key('j')];
    items => vec![code(KeyCode::Enter)];
    items_filtered_open => vec![key('j'), code(KeyCode::Enter), key('/'), key('j'), key('j'), code(KeyCode::Enter)];
    items_search => vec![code(KeyCode::Enter), key('/'), key('j'), code(KeyCode::Enter), key('p'), key('r'), key('i'), key('v')];
    filter_picker => vec![code(KeyCode::Enter), key('/')];
    detail => vec![code(KeyCode::Enter), code(KeyCode::Enter)];
    detail_risk_accepted => vec![key('j'), code(KeyCode::Enter), key('j'), code(KeyCode::Enter)];
    answer_form_contradicting_pass => vec![code(KeyCode::Enter), key('p')];
    answer_form_risk => vec![code(KeyCode::Enter), key('j'), key('a')];
    answer_form_invalid_expiry => vec![
        code(KeyCode::Enter), key('j'), key('a'), key('x'),
        code(KeyCode::Tab), Msg::Key(KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL)),
        key('2'), key('0'), key('2'), key('6'), key('-'), key('0'), key('1'), key('-'), key('0'), key('1'),
        code(KeyCode::Enter),
    ];
    target => vec![key('t')];
    review => vec![key('s')];
    sign_form => vec![key('s'), key('s')];
    help => vec![key('?')];
}

/// Sixty days after `signoff()`: k8s.netpol, answered 95 days ago, has lapsed; the other
/// answers carry forward.
fn a_quarter_later() -> State {
    let mut signoff = signoff();
    let mut lapsed = answer(Status::Pass, "default-deny in every namespace");
    lapsed.answered_at = now() - jiff::SignedDuration::from_hours(24 * 35);
    signoff.items.insert("k8s.netpol".into(), lapsed);
    let mut s = state_with(signoff, false);
    let later = now() + jiff::SignedDuration::from_hours(24 * 60);
    s = State::new(
        s.checklist.clone(),
        s.signoff.clone(),
        Clock::fixed(later),
        s.config.clone(),
        None,
    );
    s
}

#[test]
fn a_rerun_lists_answers_to_review_first_with_the_age_of_the_others() {
    for (w, h) in [(80, 24), (120, 40)] {
        for (name, keys) in [
            ("rerun_overview", vec![]),
            ("rerun_items", vec![code(KeyCode::Enter)]),
            ("rerun_review", vec![key('s')]),
            (
                "rerun_detail_lapsed",
                vec![code(KeyCode::Enter), code(KeyCode::Enter)],
            ),
            (
                "rerun_detail_carried",
                vec![code(KeyCode::Enter), key('j'), code(KeyCode::Enter)],
            ),
        ] {
            let mut s = a_quarter_later();
            send(&mut s, keys);
            insta::assert_snapshot!(format!("{name}_{w}x{h}"), draw(&mut s, w, h));
        }
    }
}

#[test]
fn too_small() {
    let mut s = state();
    insta::assert_snapshot!("too_small_40x12", draw(&mut s, 40, 12));
    // One cell short in either direction is too small too.
    assert!(draw(&mut s, 59, 30).contains("terminal too small (need 60×16)"));
    assert!(draw(&mut s, 100, 15).contains("terminal too small"));
    assert!(!draw(&mut s, 60, 16).contains("terminal too small"));
}

#[test]
fn live_checks_show_a_spinner_until_the_documents_arrive() {
    let mut s = state_with(SignOff::default(), false);
    let effects = update(&mut s, Msg::Start);
    let run = match effects.as_slice() {
        [readiness::tui::Effect::RunChecks { run, only: None }] => *run,
        other => panic!("expected a run, got {other:?}"),
    };
    send(&mut s, [code(KeyCode::Enter)]);
    let _ = update(
        &mut s,
        Msg::CheckProgress {
            run,
            progress: Progress::Discovered { documents: 1 },
        },
    );
    insta::assert_snapshot!("items_checking_80x24", draw(&mut s, 80, 24));
    let _ = update(
        &mut s,
        Msg::CheckProgress {
            run,
            progress: Progress::Fetched {
                source: checklist::DocumentSource::ArmAks,
                ok: true,
            },
        },
    );
    send(&mut s, [code(KeyCode::Enter)]);
    let text = draw(&mut s, 80, 24);
    assert!(text.contains("checking — evaluating"), "{text}");
    assert!(text.contains("checks: 1/1 documents"), "{text}");
}

/// Insta snapshots are text only; these cells carry meaning in their style.
#[test]
fn styles_mark_selection_and_status_and_vanish_without_colour() {
    let mut coloured = state_with(signoff(), true);
    send(&mut coloured, [code(KeyCode::Enter)]);
    let t = terminal(&mut coloured, 80, 24);
    let buffer = t.backend().buffer();
    // The selected row is reversed; the automatic ✖ fail is red.
    let row = (0..24)
        .find(|&y| buffer[(1, y)].symbol() == "▸")
        .expect("selected row");
    assert!(buffer[(3, row)].modifier.contains(Modifier::REVERSED));
    let fail = (0..80)
        .flat_map(|x| (0..24).map(move |y| (x, y)))
        .find(|&(x, y)| buffer[(x, y)].symbol() == "✖" && buffer[(x + 2, y)].symbol() == "f")
        .expect("a ✖ fail cell");
    assert_eq!(buffer[fail].fg, Color::Red);

    // Without colour no cell of any screen has a colour.
    for setup in [
        vec![],
        vec![code(KeyCode::Enter)],
        vec![code(KeyCode::Enter), code(KeyCode::Enter)],
        vec![code(KeyCode::Enter), key('p')],
        vec![key('t')],
        vec![key('s'), key('s')],
        vec![key('?')],
    ] {
        let mut s = state();
        send(&mut s, setup);
        let t = terminal(&mut s, 120, 40);
        for cell in t.backend().buffer().content() {
            assert_eq!((cell.fg, cell.bg), (Color::Reset, Color::Reset));
        }
    }
}

#[test]
fn review_signed_with_the_attestation_written() {
    let mut signed = signoff();
    signed.signoff = Some(Signature {
        name: "Dana Reyes".into(),
        role: "platform owner".into(),
        signed_at: now(),
        principal: None,
        key_fingerprint: None,
    });
    let mut s = state_with(signed, false);
    send(&mut s, [key('s')]);
    let _ = update(
        &mut s,
        Msg::AttestationWritten(Ok("/work/robots/readiness-attestation.md".into())),
    );
    insta::assert_snapshot!("review_signed_120x40", draw(&mut s, 120, 40));
}

/// The README's capture: the built-in checklist, three answers, one automatic failure.
#[test]
fn overview_of_the_builtin_checklist_100x30() {
    let mut s = SignOff {
        target: Target {
            name: Some("robotics-prod".into()),
            environment: Some("prod".into()),
            subscription: Some("00000000-0000-0000-0000-000000000000".into()),
            resource_group: Some("rg-robotics-prod-001".into()),
            cluster: Some("aks-robotics-prod-001".into()),
            ..Target::default()
        },
        ..SignOff::default()
    };
    s.items.insert(
        "net.private-api-server".into(),
        answer(Status::Pass, "private cluster"),
    );
    s.items.insert(
        "iac.remote-state-backend".into(),
        answer(Status::Fail, "state still local"),
    );
    let mut risk = answer(Status::RiskAccepted, "");
    risk.justification = Some("default-deny policies ship with the OSMO 6.2 upgrade".into());
    risk.expires = Some("2027-02-26".parse().expect("date"));
    s.items.insert("k8s.network-policies".into(), risk);
    s.auto.insert(
        "net.azure-cni".into(),
        AutoRecord {
            status: AutoStatus::Fail,
            checked_at: now(),
            checks: Vec::new(),
        },
    );
    let mut state = State::new(
        checklist::builtin().expect("built-in checklist"),
        s,
        Clock::fixed(now()),
        Config {
            author: "dana".into(),
            signoff_path: "readiness-signoff.toml".into(),
            attestation_path: "readiness-attestation.md".into(),
            color: false,
            offline: false,
            log_path: None,
            revisit: false,
        },
        None,
    );
    assert!(
        state
            .checklist
            .item("net.azure-cni")
            .is_some_and(|i| i.is_automated())
    );
    insta::assert_snapshot!("overview_builtin_100x30", draw(&mut state, 100, 30));
}
