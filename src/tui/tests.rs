//! The update function, key by key and screen by screen: messages in, state and effects
//! checked. No terminal, no tokio, no files: after each message a frame is drawn on a
//! TestBackend and what it measured fed back, as the runtime does.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use jiff::Timestamp;

use super::keymap::{self, Action, BINDINGS, Context};
use super::state::*;
use crate::checklist::{DocumentSource, Phase};
use crate::clock::Clock;
use crate::engine::{AutoStatus, CheckResult, CheckStatus, ItemResult, Progress, Report, Summary};
use crate::signoff::{Answer, AutoCheck, AutoRecord, SignOff, Signature, Status, Target};
use crate::sources::azure::discovery::{Deployment, Resource};

const NOW: &str = "2026-11-27T10:00:00Z";

fn now() -> Timestamp {
    NOW.parse().expect("NOW")
}

fn answer(status: Status, note: &str) -> Answer {
    Answer {
        status,
        note: note.into(),
        evidence: vec!["https://example.org/pr/1".into()],
        answered_by: "bob".into(),
        answered_at: now(),
        justification: None,
        expires: None,
        item_sha256: None,
        override_reason: None,
    }
}

/// net.private: open, automatic fail. gov.assessment: fail. mon.audit-logs: pass.
fn signoff() -> SignOff {
    let mut s = SignOff {
        target: Target {
            name: Some("robots-prod".into()),
            ..Target::default()
        },
        ..SignOff::default()
    };
    s.items
        .insert("gov.assessment".into(), answer(Status::Fail, "not yet"));
    s.items
        .insert("mon.audit-logs".into(), answer(Status::Pass, "sent"));
    s.auto.insert(
        "net.private".into(),
        AutoRecord {
            status: AutoStatus::Fail,
            checked_at: now(),
            checks: vec![AutoCheck {
                source: "arm:aks".into(),
                resource: "/subscriptions/s/aks".into(),
                expect: "x".into(),
                observed: "{}".into(),
                status: CheckStatus::Fail,
                cause: None,
            }],
        },
    );
    s
}

fn state() -> State {
    let checklist = crate::checklist::load_file(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/checklists/small.toml"),
    )
    .expect("small checklist");
    State::new(
        checklist,
        signoff(),
        Clock::fixed(now()),
        Config {
            author: "alice".into(),
            signoff_path: "s.toml".into(),
            attestation_path: "a.md".into(),
            color: false,
            offline: false,
            log_path: None,
            revisit: false,
        },
        None,
    )
}

fn ev(code: KeyCode, mods: KeyModifiers) -> Msg {
    Msg::Key(KeyEvent::new(code, mods))
}

fn k(c: char) -> Msg {
    ev(KeyCode::Char(c), KeyModifiers::NONE)
}

fn c(code: KeyCode) -> Msg {
    ev(code, KeyModifiers::NONE)
}

fn ctrl(ch: char) -> Msg {
    ev(KeyCode::Char(ch), KeyModifiers::CONTROL)
}

/// The messages through `update` as one batch, then a frame, as the runtime draws once
/// it has handled the messages waiting: its measured viewport comes back as
/// [`Msg::Layout`].
fn send(s: &mut State, msgs: impl IntoIterator<Item = Msg>) -> Vec<Effect> {
    if s.viewport == Viewport::default() {
        // The runtime draws before the first message.
        frame(s);
    }
    let effects = msgs.into_iter().flat_map(|m| update(s, m)).collect();
    frame(s);
    effects
}

fn frame(s: &mut State) {
    let mut terminal =
        ratatui::Terminal::new(ratatui::backend::TestBackend::new(s.size.0, s.size.1))
            .expect("terminal");
    let mut measured = None;
    terminal
        .draw(|f| measured = Some(super::view::draw(s, f)))
        .expect("draw");
    if let Some(viewport) = measured.filter(|v| *v != s.viewport) {
        let effects = update(s, Msg::Layout(viewport));
        assert!(effects.is_empty(), "a layout starts nothing: {effects:?}");
    }
}

/// The run number of the automatic checks the effects start.
fn run_started(effects: &[Effect]) -> u64 {
    match effects {
        [Effect::RunChecks { run, .. }] => *run,
        other => panic!("expected the checks to start, got {other:?}"),
    }
}

fn items_view(s: &State) -> ItemsView {
    match s.top() {
        Screen::Items(v) => v.clone(),
        other => panic!("expected the items list, got {other:?}"),
    }
}

/// The items list, on top or under a popup (the search field).
fn items_below(s: &State) -> ItemsView {
    s.screens
        .iter()
        .rev()
        .find_map(|screen| match screen {
            Screen::Items(v) => Some(v.clone()),
            _ => None,
        })
        .expect("an items list")
}

fn form(s: &State) -> AnswerForm {
    match s.top() {
        Screen::Answer(f) => f.clone(),
        other => panic!("expected the answer form, got {other:?}"),
    }
}

fn selected_id(s: &State) -> String {
    let v = items_view(s);
    s.visible(&v)[v.selected].id.clone()
}

fn saved(item: &str, status: Status, s: &State) -> Msg {
    let mut signoff = s.signoff.clone();
    signoff.items.insert(item.into(), answer(status, ""));
    Msg::AnswerSaved {
        item: item.into(),
        status,
        result: Ok((signoff, false)),
    }
}

fn is_quit(effects: &[Effect]) -> bool {
    matches!(effects, [Effect::Quit])
}

// ── Overview ────────────────────────────────────────────────────────────────────────────

#[test]
fn overview_moves_between_phases_and_clamps() {
    let mut s = state();
    for (msg, phase) in [
        (k('j'), 1),
        (c(KeyCode::Down), 2),
        (k('j'), 2),
        (k('k'), 1),
        (c(KeyCode::Up), 0),
        (k('k'), 0),
    ] {
        assert!(send(&mut s, [msg]).is_empty());
        assert_eq!(s.top(), &Screen::Overview { phase });
    }
}

#[test]
fn overview_opens_the_selected_phase_with_its_first_item() {
    for key in [c(KeyCode::Enter), c(KeyCode::Right), k('l')] {
        let mut s = state();
        send(&mut s, [k('j'), key]);
        assert_eq!(
            items_view(&s),
            ItemsView {
                phase: Phase::DuringOperation,
                selected: 0,
                filter: Filter::All
            }
        );
    }
}

#[test]
fn overview_opens_target_review_and_help_and_quits() {
    let mut s = state();
    send(&mut s, [k('t')]);
    match s.top() {
        Screen::Target(f) => assert_eq!(f.fields[0].value, "robots-prod"),
        other => panic!("{other:?}"),
    }
    let mut s = state();
    send(&mut s, [k('s')]);
    assert_eq!(s.top(), &Screen::Review { scroll: 0 });
    for key in [k('?'), c(KeyCode::F(1))] {
        let mut s = state();
        send(&mut s, [key]);
        assert_eq!(s.top(), &Screen::Help { scroll: 0 });
    }
    assert!(is_quit(&send(&mut state(), [k('q')])));
    assert!(is_quit(&send(&mut state(), [ctrl('c')])));
    // Esc on the overview stays there.
    let mut s = state();
    assert!(send(&mut s, [c(KeyCode::Esc)]).is_empty());
    assert_eq!(s.screens, vec![Screen::Overview { phase: 0 }]);
}

#[test]
fn start_and_r_run_the_checks_single_flight() {
    let mut s = state();
    let effects = send(&mut s, [Msg::Start]);
    assert!(matches!(
        effects.as_slice(),
        [Effect::RunChecks { run: 1, only: None }]
    ));
    assert!(s.checks.running && s.animating());
    let effects = send(&mut s, [k('R')]);
    assert!(matches!(
        effects.as_slice(),
        [Effect::RunChecks { run: 2, only: None }]
    ));
    // A result of the replaced run is ignored.
    let effects = send(
        &mut s,
        [Msg::ChecksDone {
            run: 1,
            result: Err(ChecksFailed {
                message: "stale".into(),
                clusters: vec![],
            }),
        }],
    );
    assert!(effects.is_empty() && s.checks.running);
}

// ── Items of a phase ────────────────────────────────────────────────────────────────────

#[test]
fn items_move_with_every_movement_key_and_clamp() {
    let mut s = state();
    send(&mut s, [c(KeyCode::Enter)]);
    for (msg, selected) in [
        (k('j'), 1),
        (k('j'), 1),
        (k('k'), 0),
        (c(KeyCode::Down), 1),
        (c(KeyCode::Up), 0),
        (k('G'), 1),
        (k('g'), 0),
        (c(KeyCode::End), 1),
        (c(KeyCode::Home), 0),
        (c(KeyCode::PageDown), 1),
        (c(KeyCode::PageUp), 0),
        (ctrl('d'), 1),
        (ctrl('u'), 0),
    ] {
        send(&mut s, [msg]);
        assert_eq!(items_view(&s).selected, selected);
    }
}

#[test]
fn p_f_and_n_save_at_once_keeping_the_note_and_evidence() {
    let mut s = state();
    send(&mut s, [c(KeyCode::Enter), k('j')]);
    for (key, status) in [
        ('p', Status::Pass),
        ('f', Status::Fail),
        ('n', Status::NotApplicable),
    ] {
        let effects = send(&mut s, [k(key)]);
        match effects.as_slice() {
            [Effect::SaveAnswer { item, input }] => {
                assert_eq!(item, "gov.assessment");
                assert_eq!(input.status, Some(status));
                assert_eq!(input.by, "alice");
                assert_eq!(input.note, "not yet");
                assert_eq!(input.evidence, ["https://example.org/pr/1"]);
            }
            other => panic!("{key}: {other:?}"),
        }
    }
}

#[test]
fn a_pass_the_automatic_check_contradicts_asks_for_a_reason() {
    let mut s = state();
    send(&mut s, [c(KeyCode::Enter)]);
    assert!(send(&mut s, [k('p')]).is_empty());
    let f = form(&s);
    assert_eq!((f.status, f.focus), (Status::Pass, AnswerField::Override));
    assert!(f.error.as_deref().is_some_and(|e| e.contains("✖ fail")));
    // Enter without a reason is refused; with one, it saves.
    assert!(send(&mut s, [c(KeyCode::Enter)]).is_empty());
    let effects = send(&mut s, [k('o'), k('k'), c(KeyCode::Enter)]);
    match effects.as_slice() {
        [Effect::SaveAnswer { input, .. }] => {
            assert_eq!(input.override_reason.as_deref(), Some("ok"));
        }
        other => panic!("{other:?}"),
    }
    // A fail agrees with the automatic check: saved at once.
    let mut s = state();
    send(&mut s, [c(KeyCode::Enter)]);
    assert!(matches!(
        send(&mut s, [k('f')]).as_slice(),
        [Effect::SaveAnswer { .. }]
    ));
}

#[test]
fn after_a_save_the_list_moves_to_the_next_item() {
    let mut s = state();
    send(&mut s, [c(KeyCode::Enter)]);
    send(&mut s, [k('f')]);
    let msg = saved("net.private", Status::Fail, &s);
    send(&mut s, [msg]);
    assert_eq!(selected_id(&s), "gov.assessment");
    assert_eq!(s.answered_this_run, 1);
    assert!(
        s.message
            .as_ref()
            .is_some_and(|m| m.tone == Tone::Success && m.text.contains("net.private"))
    );

    // With the "open" filter the saved item leaves the list; the selection stays put.
    let mut s = state();
    s.signoff.items.clear();
    send(&mut s, [c(KeyCode::Enter), k('/')]);
    send(&mut s, [k('j'), k('j'), c(KeyCode::Enter)]);
    assert_eq!(items_view(&s).filter, Filter::Open);
    let msg = saved("net.private", Status::Fail, &s);
    send(&mut s, [msg]);
    assert_eq!(selected_id(&s), "gov.assessment");
}

#[test]
fn a_save_that_takes_long_says_so_and_quitting_waits_for_it() {
    let mut s = state();
    send(&mut s, [c(KeyCode::Enter), k('j')]);
    assert!(!s.ticking());
    let effects = send(&mut s, [k('p')]);
    assert!(matches!(effects.as_slice(), [Effect::SaveAnswer { .. }]));
    assert_eq!(s.saving.pending, 1);
    assert!(s.ticking(), "ticks count how long the save waits");
    // Keys go on while it waits.
    send(&mut s, [k('k')]);
    assert_eq!(selected_id(&s), "net.private");
    send(&mut s, [Msg::Tick, Msg::Tick]);
    assert!(!s.saving.slow());
    send(&mut s, [Msg::Tick]);
    assert!(
        s.saving.slow(),
        "about 300 ms: the screen says it is waiting"
    );
    // Quitting waits for the save and says so at once.
    assert!(send(&mut s, [k('q')]).is_empty());
    assert!(s.saving.then_quit && s.saving.slow());
    let report = saved("gov.assessment", Status::Pass, &s);
    assert!(is_quit(&send(&mut s, [report])));
    assert_eq!(s.saving.pending, 0);
    assert_eq!(s.answered_this_run, 1);
    assert!(!s.ticking());
    // A failed save is reported too: nothing is left pending.
    let mut s = state();
    send(&mut s, [c(KeyCode::Enter), k('j'), k('p'), k('f')]);
    assert_eq!(s.saving.pending, 2);
    let report = saved("gov.assessment", Status::Fail, &s);
    send(
        &mut s,
        [
            Msg::AnswerSaved {
                item: "gov.assessment".into(),
                status: Status::Pass,
                result: Err("cannot save s.toml: disk full".into()),
            },
            report,
        ],
    );
    assert_eq!(s.saving, Saving::default());
}

#[test]
fn a_failed_save_says_so() {
    let mut s = state();
    send(&mut s, [c(KeyCode::Enter), k('f')]);
    send(
        &mut s,
        [Msg::AnswerSaved {
            item: "net.private".into(),
            status: Status::Fail,
            result: Err("cannot save s.toml: disk full".into()),
        }],
    );
    let m = s.message.clone().expect("message");
    assert_eq!(m.tone, Tone::Error);
    assert!(m.text.contains("disk full"));
    assert_eq!(s.answered_this_run, 0);
}

#[test]
fn a_and_e_open_the_answer_form() {
    let mut s = state();
    send(&mut s, [c(KeyCode::Enter), k('j'), k('a')]);
    let f = form(&s);
    assert_eq!(
        (f.status, f.focus),
        (Status::RiskAccepted, AnswerField::Justification)
    );
    assert_eq!(f.expires.value, "2027-02-25", "today + 90 days");
    let mut s = state();
    send(&mut s, [c(KeyCode::Enter), k('j'), k('e')]);
    let f = form(&s);
    assert_eq!((f.status, f.focus), (Status::Fail, AnswerField::Note));
    assert_eq!(f.note.value, "not yet");
    assert_eq!(f.evidence.value, "https://example.org/pr/1");
}

#[test]
fn pasted_text_goes_into_the_focused_field_on_one_line_and_nowhere_else() {
    let mut s = state();
    send(&mut s, [c(KeyCode::Enter), k('j'), k('e'), ctrl('u')]);
    let effects = send(
        &mut s,
        [Msg::Paste("seen in the portal\r\nsee PR 12\tq".into())],
    );
    // The newline did not submit the form, and `q` was typed, not obeyed.
    assert!(effects.is_empty(), "{effects:?}");
    assert_eq!(form(&s).note.value, "seen in the portal see PR 12 q");
    // On a list a paste does nothing: it is not a stream of commands.
    let mut s = state();
    send(&mut s, [c(KeyCode::Enter)]);
    let before = s.screens.clone();
    assert!(send(&mut s, [Msg::Paste("pq".into())]).is_empty());
    assert_eq!(s.screens, before);
    assert!(!s.signoff.items.contains_key("net.private"));
    // Nor on the answer form's status row, where letters choose a status.
    let mut s = state();
    send(&mut s, [c(KeyCode::Enter), k('e'), c(KeyCode::BackTab)]);
    assert_eq!(form(&s).focus, AnswerField::Status);
    let status = form(&s).status;
    send(&mut s, [Msg::Paste("a".into())]);
    assert_eq!(form(&s).status, status);
}

#[test]
fn r_reruns_an_automatic_item_only() {
    let mut s = state();
    send(&mut s, [c(KeyCode::Enter)]);
    let effects = send(&mut s, [k('r')]);
    match effects.as_slice() {
        [Effect::RunChecks { only: Some(id), .. }] => assert_eq!(id, "net.private"),
        other => panic!("{other:?}"),
    }
    // While a run is on, another single-item run waits.
    assert!(send(&mut s, [k('r')]).is_empty());
    // A manual item has nothing to run.
    let mut s = state();
    send(&mut s, [c(KeyCode::Enter), k('j')]);
    assert!(send(&mut s, [k('r')]).is_empty());
    assert!(s.message.is_some());
    let mut s = state();
    send(&mut s, [c(KeyCode::Enter)]);
    assert!(matches!(
        send(&mut s, [k('R')]).as_slice(),
        [Effect::RunChecks { only: None, .. }]
    ));
}

#[test]
fn the_filter_offers_states_and_categories() {
    let mut s = state();
    send(&mut s, [c(KeyCode::Enter), k('/')]);
    match s.top() {
        Screen::Pick(p) => assert_eq!(
            p.options,
            [
                "all",
                "matching text…",
                "open",
                "needs review",
                "failing",
                "manual",
                "automatic",
                "category governance",
                "category network"
            ]
        ),
        other => panic!("{other:?}"),
    }
    for (downs, filter, ids) in [
        (3, Filter::Review, vec![]),
        (4, Filter::Failing, vec!["net.private", "gov.assessment"]),
        (5, Filter::Manual, vec!["gov.assessment"]),
        (6, Filter::Automatic, vec!["net.private"]),
        (8, Filter::Category("network".into()), vec!["net.private"]),
    ] {
        let mut s = state();
        send(&mut s, [c(KeyCode::Enter), k('/')]);
        send(&mut s, (0..downs).map(|_| k('j')));
        send(&mut s, [c(KeyCode::Enter)]);
        let v = items_view(&s);
        assert_eq!(v.filter, filter);
        let shown: Vec<&str> = s.visible(&v).iter().map(|i| i.id.as_str()).collect();
        assert_eq!(shown, ids);
    }
    // Esc closes the filter without changing it.
    let mut s = state();
    send(&mut s, [c(KeyCode::Enter), k('/'), k('j'), c(KeyCode::Esc)]);
    assert_eq!(items_view(&s).filter, Filter::All);
}

#[test]
fn searching_filters_the_list_as_the_operator_types() {
    let open_search = |s: &mut State| {
        send(s, [c(KeyCode::Enter), k('/'), k('j'), c(KeyCode::Enter)]);
        assert!(matches!(s.top(), Screen::Search { .. }), "{:?}", s.top());
    };
    let shown = |s: &State| -> Vec<String> {
        let view = items_below(s);
        s.visible(&view).iter().map(|i| i.id.clone()).collect()
    };
    let mut s = state();
    open_search(&mut s);
    // Letters are text here (j and q too); the list below follows every keystroke, matching
    // ids, titles, categories and guidance in any case.
    send(&mut s, "GOV".chars().map(k));
    assert_eq!(items_below(&s).filter, Filter::Text("GOV".into()));
    assert_eq!(shown(&s), ["gov.assessment"]);
    send(
        &mut s,
        [
            c(KeyCode::Backspace),
            c(KeyCode::Backspace),
            c(KeyCode::Backspace),
        ],
    );
    assert_eq!(items_below(&s).filter, Filter::All);
    send(&mut s, "api server".chars().map(k));
    assert_eq!(shown(&s), ["net.private"]);
    // Enter keeps it, and the title says so.
    send(&mut s, [c(KeyCode::Enter)]);
    assert!(matches!(s.top(), Screen::Items(_)));
    assert_eq!(items_view(&s).filter.label(), "matching \"api server\"");
    // The filter list opens on it, and the search field again on that text; Esc puts back
    // the filter from before.
    send(&mut s, [k('/'), c(KeyCode::Enter)]);
    match s.top() {
        Screen::Search { query, .. } => assert_eq!(query.value, "api server"),
        other => panic!("{other:?}"),
    }
    send(&mut s, "zzz".chars().map(k));
    assert!(shown(&s).is_empty());
    send(&mut s, [c(KeyCode::Esc)]);
    assert_eq!(items_view(&s).filter, Filter::Text("api server".into()));
    // Nothing typed and Enter: every item again.
    let mut s = state();
    open_search(&mut s);
    send(&mut s, [c(KeyCode::Enter)]);
    assert_eq!(items_view(&s).filter, Filter::All);
}

#[test]
fn items_change_phase_and_go_back_to_the_overview_on_it() {
    let mut s = state();
    send(&mut s, [c(KeyCode::Enter), k('l')]);
    assert_eq!(items_view(&s).phase, Phase::DuringOperation);
    send(&mut s, [c(KeyCode::Right), c(KeyCode::Right)]);
    assert_eq!(items_view(&s).phase, Phase::OngoingMaintenance);
    send(&mut s, [k('h')]);
    assert_eq!(items_view(&s).phase, Phase::DuringOperation);
    send(&mut s, [c(KeyCode::Left), c(KeyCode::Left)]);
    assert_eq!(items_view(&s).phase, Phase::BeforeDeployment);
    send(&mut s, [k('l'), c(KeyCode::Esc)]);
    assert_eq!(s.screens, vec![Screen::Overview { phase: 1 }]);
}

#[test]
fn items_open_detail_target_review_help_and_quit() {
    let mut s = state();
    send(&mut s, [c(KeyCode::Enter), k('j'), c(KeyCode::Enter)]);
    assert_eq!(
        s.top(),
        &Screen::Detail {
            item: "gov.assessment".into(),
            scroll: 0
        }
    );
    for (key, want) in [('t', "target"), ('s', "review"), ('?', "help")] {
        let mut s = state();
        send(&mut s, [c(KeyCode::Enter), k(key)]);
        let ok = match want {
            "target" => matches!(s.top(), Screen::Target(_)),
            "review" => matches!(s.top(), Screen::Review { .. }),
            _ => matches!(s.top(), Screen::Help { .. }),
        };
        assert!(ok, "{key}: {:?}", s.top());
    }
    let mut s = state();
    assert!(is_quit(&send(&mut s, [c(KeyCode::Enter), k('q')])));
}

// ── Item detail ─────────────────────────────────────────────────────────────────────────

#[test]
fn detail_scrolls_within_its_text() {
    let mut s = state();
    send(
        &mut s,
        [Msg::Resize(60, 16), c(KeyCode::Enter), c(KeyCode::Enter)],
    );
    let max = super::view::detail_scroll_max(&s, "net.private");
    assert!(max > 0, "the detail is longer than a 60×16 screen");
    let scroll = |s: &State| match s.top() {
        Screen::Detail { scroll, .. } => *scroll,
        other => panic!("{other:?}"),
    };
    send(&mut s, [k('j'), c(KeyCode::Down)]);
    assert_eq!(scroll(&s), 2.min(max));
    send(&mut s, [k('k'), c(KeyCode::Up), c(KeyCode::Up)]);
    assert_eq!(scroll(&s), 0);
    send(&mut s, (0..50).map(|_| k('j')));
    assert_eq!(scroll(&s), max);
    send(&mut s, [c(KeyCode::PageUp), ctrl('u')]);
    assert_eq!(scroll(&s), 0);
    send(&mut s, [c(KeyCode::PageDown), k(' '), ctrl('d')]);
    assert_eq!(scroll(&s), max);
}

#[test]
fn detail_walks_the_phase_and_keeps_the_list_in_step() {
    for (next, prev) in [
        (c(KeyCode::Right), c(KeyCode::Left)),
        (k('l'), k('h')),
        (k(']'), k('[')),
    ] {
        let mut s = state();
        send(&mut s, [c(KeyCode::Enter), c(KeyCode::Enter), next]);
        assert_eq!(
            s.top(),
            &Screen::Detail {
                item: "gov.assessment".into(),
                scroll: 0
            }
        );
        send(&mut s, [c(KeyCode::Esc)]);
        assert_eq!(selected_id(&s), "gov.assessment");
        send(&mut s, [c(KeyCode::Enter), prev.clone(), prev]);
        assert!(matches!(s.top(), Screen::Detail { item, .. } if item == "net.private"));
    }
}

#[test]
fn detail_answers_edits_reruns_and_goes_back() {
    let open = |keys: Vec<Msg>| {
        let mut s = state();
        send(&mut s, [c(KeyCode::Enter), k('j'), c(KeyCode::Enter)]);
        let effects = send(&mut s, keys);
        (s, effects)
    };
    for (key, status) in [
        ('p', Status::Pass),
        ('f', Status::Fail),
        ('n', Status::NotApplicable),
    ] {
        let (_, effects) = open(vec![k(key)]);
        assert!(
            matches!(effects.as_slice(), [Effect::SaveAnswer { input, .. }] if input.status == Some(status))
        );
    }
    let (s, _) = open(vec![k('a')]);
    assert_eq!(form(&s).status, Status::RiskAccepted);
    for key in [k('e'), c(KeyCode::Enter)] {
        let (s, _) = open(vec![key]);
        assert_eq!(form(&s).focus, AnswerField::Note);
    }
    let (_, effects) = open(vec![k('r')]);
    assert!(effects.is_empty(), "gov.assessment is manual");
    let (_, effects) = open(vec![k('R')]);
    assert!(matches!(
        effects.as_slice(),
        [Effect::RunChecks { only: None, .. }]
    ));
    let (s, _) = open(vec![c(KeyCode::Esc)]);
    assert!(matches!(s.top(), Screen::Items(_)));
    let (s, _) = open(vec![k('t')]);
    assert!(matches!(s.top(), Screen::Target(_)));
    let (s, _) = open(vec![k('s')]);
    assert!(matches!(s.top(), Screen::Review { .. }));
    let (s, _) = open(vec![c(KeyCode::F(1))]);
    assert!(matches!(s.top(), Screen::Help { .. }));
    let (_, effects) = open(vec![k('q')]);
    assert!(is_quit(&effects));
    // After a save from the detail, the detail stays.
    let (mut s, _) = open(vec![k('p')]);
    let msg = saved("gov.assessment", Status::Pass, &s);
    send(&mut s, [msg]);
    assert!(matches!(s.top(), Screen::Detail { .. }));
}

// ── Answer form ─────────────────────────────────────────────────────────────────────────

fn risk_form() -> State {
    let mut s = state();
    send(&mut s, [c(KeyCode::Enter), k('j'), k('a')]);
    s
}

#[test]
fn the_form_moves_between_its_fields() {
    let mut s = risk_form();
    let order = [
        AnswerField::Expires,
        AnswerField::Status,
        AnswerField::Note,
        AnswerField::Evidence,
        AnswerField::Justification,
    ];
    for want in order {
        send(&mut s, [c(KeyCode::Tab)]);
        assert_eq!(form(&s).focus, want);
    }
    send(&mut s, [ev(KeyCode::BackTab, KeyModifiers::SHIFT)]);
    assert_eq!(form(&s).focus, AnswerField::Evidence);
    send(&mut s, [c(KeyCode::Up)]);
    assert_eq!(form(&s).focus, AnswerField::Note);
    send(&mut s, [c(KeyCode::Down)]);
    assert_eq!(form(&s).focus, AnswerField::Evidence);
}

#[test]
fn the_status_field_changes_the_status_and_the_fields() {
    let mut s = risk_form();
    send(&mut s, [c(KeyCode::Tab), c(KeyCode::Tab)]);
    assert_eq!(form(&s).focus, AnswerField::Status);
    for (msg, status) in [
        (k('p'), Status::Pass),
        (c(KeyCode::Right), Status::Fail),
        (k(' '), Status::NotApplicable),
        (c(KeyCode::Left), Status::Fail),
        (k('n'), Status::NotApplicable),
        (k('f'), Status::Fail),
        (k('a'), Status::RiskAccepted),
        (c(KeyCode::Right), Status::Pass),
        (c(KeyCode::Left), Status::RiskAccepted),
    ] {
        send(&mut s, [msg]);
        assert_eq!(form(&s).status, status);
    }
    send(&mut s, [k('p')]);
    assert_eq!(
        form(&s).fields(),
        [
            AnswerField::Status,
            AnswerField::Note,
            AnswerField::Evidence
        ]
    );
}

#[test]
fn text_fields_edit_and_letters_are_text_not_commands() {
    let mut s = risk_form();
    let effects = send(&mut s, "q?pjx".chars().map(k));
    assert!(effects.is_empty());
    assert_eq!(form(&s).justification.value, "q?pjx");
    send(
        &mut s,
        [
            c(KeyCode::Left),
            c(KeyCode::Backspace),
            c(KeyCode::Home),
            c(KeyCode::Delete),
            ctrl('e'),
            k('!'),
            ctrl('a'),
            k('>'),
            c(KeyCode::End),
            c(KeyCode::Right),
            k('.'),
        ],
    );
    assert_eq!(form(&s).justification.value, ">?px!.");
    send(&mut s, [ctrl('u')]);
    assert_eq!(form(&s).justification.value, "");
}

#[test]
fn the_form_validates_with_the_session_rules() {
    // No justification.
    let mut s = risk_form();
    assert!(send(&mut s, [c(KeyCode::Enter)]).is_empty());
    let f = form(&s);
    assert_eq!(f.focus, AnswerField::Justification);
    assert_eq!(
        f.error.as_deref(),
        Some("A risk acceptance needs a justification.")
    );
    // Not a date, a date in the past, too far away, no date.
    for (date, needle) in [
        ("soon", "is not a date"),
        ("2026-01-01", "is not after today"),
        ("2030-01-01", "more than 120 days away"),
        ("", "needs an expiry date"),
    ] {
        let mut s = risk_form();
        send(&mut s, [k('w'), c(KeyCode::Tab), ctrl('u')]);
        send(&mut s, date.chars().map(k));
        assert!(send(&mut s, [c(KeyCode::Enter)]).is_empty(), "{date}");
        let f = form(&s);
        assert_eq!(f.focus, AnswerField::Expires);
        assert!(
            f.error.as_deref().is_some_and(|e| e.contains(needle)),
            "{date}: {:?}",
            f.error
        );
    }
    // Valid: one save, evidence split at commas.
    let mut s = risk_form();
    send(&mut s, "vendor fix in Q1".chars().map(k));
    send(&mut s, [c(KeyCode::BackTab), ctrl('u')]);
    send(&mut s, "a, b ,, c".chars().map(k));
    let effects = send(&mut s, [c(KeyCode::Enter)]);
    match effects.as_slice() {
        [Effect::SaveAnswer { item, input }] => {
            assert_eq!(item, "gov.assessment");
            assert_eq!(input.status, Some(Status::RiskAccepted));
            assert_eq!(input.evidence, ["a", "b", "c"]);
            assert_eq!(input.justification.as_deref(), Some("vendor fix in Q1"));
            assert_eq!(input.expires, Some("2027-02-25".parse().expect("date")));
        }
        other => panic!("{other:?}"),
    }
    // The form stays until the save is confirmed, then closes.
    assert!(matches!(s.top(), Screen::Answer(_)));
    let msg = saved("gov.assessment", Status::RiskAccepted, &s);
    send(&mut s, [msg]);
    assert!(matches!(s.top(), Screen::Items(_)));
}

#[test]
fn a_failed_save_keeps_the_form_with_the_error() {
    let mut s = state();
    send(&mut s, [c(KeyCode::Enter), k('e'), c(KeyCode::Enter)]);
    send(
        &mut s,
        [Msg::AnswerSaved {
            item: "net.private".into(),
            status: Status::Fail,
            result: Err("cannot save: read-only".into()),
        }],
    );
    assert_eq!(form(&s).error.as_deref(), Some("cannot save: read-only"));
}

#[test]
fn the_form_cancels_helps_and_quits() {
    let mut s = risk_form();
    send(&mut s, [c(KeyCode::Esc)]);
    assert!(matches!(s.top(), Screen::Items(_)));
    assert!(
        s.message
            .as_ref()
            .is_some_and(|m| m.text.contains("nothing was saved"))
    );
    let mut s = risk_form();
    send(&mut s, [c(KeyCode::F(1))]);
    assert!(matches!(s.top(), Screen::Help { .. }));
    send(&mut s, [c(KeyCode::Esc)]);
    assert!(
        matches!(s.top(), Screen::Answer(_)),
        "help returns to the form"
    );
    assert!(is_quit(&send(&mut risk_form(), [ctrl('c')])));
}

// ── Target ──────────────────────────────────────────────────────────────────────────────

#[test]
fn the_target_form_edits_and_saves_every_field() {
    let mut s = state();
    send(&mut s, [k('t')]);
    send(&mut s, " x".chars().map(k));
    send(&mut s, [c(KeyCode::Tab)]);
    send(&mut s, "prod".chars().map(k));
    send(&mut s, [c(KeyCode::Down), c(KeyCode::Down), c(KeyCode::Up)]);
    send(&mut s, "sub-1".chars().map(k));
    send(&mut s, [ev(KeyCode::BackTab, KeyModifiers::SHIFT)]);
    match s.top() {
        Screen::Target(f) => assert_eq!(f.focus, 1),
        other => panic!("{other:?}"),
    }
    let effects = send(&mut s, [c(KeyCode::Enter)]);
    let target = match effects.as_slice() {
        [Effect::SetTarget(t)] => t.clone(),
        other => panic!("{other:?}"),
    };
    assert_eq!(target.name.as_deref(), Some("robots-prod x"));
    assert_eq!(target.environment.as_deref(), Some("prod"));
    assert_eq!(target.subscription.as_deref(), Some("sub-1"));
    assert_eq!(target.cluster, None);
    // Saved: the form closes and, the target having changed, the checks run again.
    let mut signoff = s.signoff.clone();
    signoff.target = target;
    let effects = send(&mut s, [Msg::TargetSaved(Ok((signoff, false)))]);
    assert!(matches!(s.top(), Screen::Overview { .. }));
    assert!(matches!(
        effects.as_slice(),
        [Effect::RunChecks { only: None, .. }]
    ));
}

#[test]
fn the_target_form_picks_a_discovered_cluster() {
    let mut s = state();
    send(&mut s, [k('t')]);
    send(&mut s, (0..4).map(|_| c(KeyCode::Tab)));
    // Nothing discovered yet.
    assert!(send(&mut s, [c(KeyCode::F(2))]).is_empty());
    assert!(matches!(s.top(), Screen::Target(_)));
    assert!(s.message.is_some());
    // The checks found two clusters.
    let run = run_started(&send(&mut s, [Msg::Start]));
    send(
        &mut s,
        [Msg::ChecksDone {
            run,
            result: Err(ChecksFailed {
                message: "more than one AKS cluster".into(),
                clusters: vec!["aks-a".into(), "aks-b".into()],
            }),
        }],
    );
    send(&mut s, [c(KeyCode::F(2))]);
    match s.top() {
        Screen::Pick(p) => assert_eq!(p.options, ["aks-a", "aks-b"]),
        other => panic!("{other:?}"),
    }
    send(&mut s, [k('j'), c(KeyCode::Enter)]);
    match s.top() {
        Screen::Target(f) => {
            assert_eq!(f.fields[4].value, "aks-b");
            assert_eq!(f.focus, 4);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn the_target_form_cancels_helps_quits_and_shows_errors() {
    let mut s = state();
    send(&mut s, [k('t'), k('q'), c(KeyCode::Esc)]);
    assert_eq!(s.screens, vec![Screen::Overview { phase: 0 }]);
    let mut s = state();
    send(&mut s, [k('t'), c(KeyCode::F(1))]);
    assert!(matches!(s.top(), Screen::Help { .. }));
    assert!(is_quit(&send(&mut state(), [k('t'), ctrl('c')])));
    let mut s = state();
    send(&mut s, [k('t'), c(KeyCode::Enter)]);
    send(&mut s, [Msg::TargetSaved(Err("cannot save".into()))]);
    assert!(matches!(s.top(), Screen::Target(f) if f.error.as_deref() == Some("cannot save")));
}

// ── Review and sign ─────────────────────────────────────────────────────────────────────

#[test]
fn review_scrolls_signs_and_writes_the_attestation() {
    let mut s = state();
    send(&mut s, [Msg::Resize(60, 16), k('s')]);
    let max = super::view::review_scroll_max(&s);
    assert!(max > 0);
    let scroll = |s: &State| match s.top() {
        Screen::Review { scroll } => *scroll,
        other => panic!("{other:?}"),
    };
    send(&mut s, (0..40).map(|_| k('j')));
    assert_eq!(scroll(&s), max);
    send(
        &mut s,
        [c(KeyCode::PageUp), ctrl('u'), c(KeyCode::Up), k('k')],
    );
    assert_eq!(scroll(&s), 0);
    send(
        &mut s,
        [c(KeyCode::Down), c(KeyCode::PageDown), k(' '), ctrl('d')],
    );
    assert_eq!(scroll(&s), max);

    let effects = send(&mut s, [k('w')]);
    assert!(matches!(effects.as_slice(), [Effect::WriteAttestation(p)] if p.as_os_str() == "a.md"));
    send(&mut s, [Msg::AttestationWritten(Ok("/work/a.md".into()))]);
    assert!(
        s.message
            .as_ref()
            .is_some_and(|m| m.text.contains("/work/a.md"))
    );

    for key in [k('s'), c(KeyCode::Enter)] {
        let mut s = state();
        send(&mut s, [k('s'), key]);
        match s.top() {
            Screen::Sign(f) => assert_eq!(
                (f.name.value.as_str(), f.role.value.as_str()),
                ("alice", "")
            ),
            other => panic!("{other:?}"),
        }
    }
    let mut s = state();
    send(&mut s, [k('s'), c(KeyCode::Esc)]);
    assert_eq!(s.screens.len(), 1);
    assert!(is_quit(&send(&mut state(), [k('s'), k('q')])));
}

#[test]
fn the_sign_form_signs_with_name_and_role() {
    let mut s = state();
    send(&mut s, [k('s'), k('s')]);
    send(&mut s, [c(KeyCode::Tab)]);
    send(&mut s, "owner".chars().map(k));
    send(
        &mut s,
        [ev(KeyCode::BackTab, KeyModifiers::SHIFT), ctrl('u')],
    );
    send(&mut s, "Dana".chars().map(k));
    let effects = send(&mut s, [c(KeyCode::Enter)]);
    assert!(
        matches!(effects.as_slice(), [Effect::Sign { name, role }] if name == "Dana" && role == "owner")
    );
    send(
        &mut s,
        [Msg::Signed(Err(
            "signing needs a non-empty name and role".into()
        ))],
    );
    assert!(matches!(s.top(), Screen::Sign(f) if f.error.is_some()));
    let mut signoff = s.signoff.clone();
    signoff.signoff = Some(Signature {
        name: "Dana".into(),
        role: "owner".into(),
        signed_at: now(),
        principal: None,
        key_fingerprint: None,
    });
    send(&mut s, [Msg::Signed(Ok(signoff))]);
    assert!(matches!(s.top(), Screen::Review { .. }));
    assert!(
        s.message
            .as_ref()
            .is_some_and(|m| m.text.contains("Signed by Dana (owner)"))
    );
    // Esc leaves unsigned; Ctrl-C quits.
    let mut s = state();
    send(&mut s, [k('s'), k('s'), c(KeyCode::Esc)]);
    assert!(matches!(s.top(), Screen::Review { .. }));
    assert!(is_quit(&send(&mut state(), [k('s'), k('s'), ctrl('c')])));
}

// ── Pick lists and help ─────────────────────────────────────────────────────────────────

#[test]
fn pick_lists_move_clamp_help_and_quit() {
    let mut s = state();
    send(&mut s, [c(KeyCode::Enter), k('/')]);
    let selected = |s: &State| match s.top() {
        Screen::Pick(p) => p.selected,
        other => panic!("{other:?}"),
    };
    send(&mut s, [c(KeyCode::Up), k('k')]);
    assert_eq!(selected(&s), 0);
    send(&mut s, (0..20).map(|_| c(KeyCode::Down)));
    assert_eq!(selected(&s), 8);
    send(&mut s, [k('?')]);
    assert!(matches!(s.top(), Screen::Help { .. }));
    send(&mut s, [k('q')]);
    assert_eq!(selected(&s), 8);
    assert!(is_quit(&send(&mut s, [k('q')])));
}

#[test]
fn help_scrolls_and_closes_with_q_question_mark_f1_or_esc() {
    for close in [k('q'), k('?'), c(KeyCode::F(1)), c(KeyCode::Esc)] {
        let mut s = state();
        send(&mut s, [k('?'), close]);
        assert_eq!(s.screens, vec![Screen::Overview { phase: 0 }]);
    }
    let mut s = state();
    send(&mut s, [Msg::Resize(80, 24), k('?')]);
    let max = super::view::help_scroll_max(&s);
    assert!(max > 0);
    send(&mut s, (0..200).map(|_| k('j')));
    assert_eq!(s.top(), &Screen::Help { scroll: max });
    send(
        &mut s,
        [
            c(KeyCode::PageUp),
            ctrl('u'),
            c(KeyCode::PageUp),
            k('k'),
            c(KeyCode::Up),
        ],
    );
    let page = super::view::body_height(&s) - 3;
    assert_eq!(
        s.top(),
        &Screen::Help {
            scroll: max.saturating_sub(3 * page + 2)
        }
    );
    send(
        &mut s,
        [c(KeyCode::PageDown), k(' '), ctrl('d'), c(KeyCode::Down)],
    );
    assert!(matches!(s.top(), Screen::Help { scroll } if *scroll <= max));
    assert!(is_quit(&send(&mut s, [ctrl('c')])));
}

// ── Every binding, every screen ─────────────────────────────────────────────────────────

/// A state showing a screen of each context.
fn in_context(context: Context) -> State {
    let mut s = state();
    // Small enough that the detail, review and help texts scroll.
    send(&mut s, [Msg::Resize(60, 16)]);
    let keys = match context {
        Context::Global | Context::Overview => vec![],
        Context::Items => vec![c(KeyCode::Enter)],
        Context::Detail => vec![c(KeyCode::Enter), c(KeyCode::Enter)],
        Context::Form | Context::TextEdit => vec![c(KeyCode::Enter), k('e')],
        Context::Search => vec![c(KeyCode::Enter), k('/'), k('j'), c(KeyCode::Enter)],
        Context::Target => vec![k('t')],
        Context::Review => vec![k('s')],
        Context::Picker => vec![c(KeyCode::Enter), k('/')],
        Context::Help => vec![k('?')],
    };
    send(&mut s, keys);
    s
}

fn event_of(key: &keymap::Key) -> KeyEvent {
    KeyEvent::new(key.code, key.mods)
}

#[test]
fn every_bound_key_does_what_the_keymap_says_on_its_screen() {
    for binding in BINDINGS {
        let Some(action) = binding.action else {
            continue;
        };
        let contexts: Vec<Context> = if binding.context == Context::Global {
            Context::ALL.to_vec()
        } else {
            vec![binding.context]
        };
        for context in contexts {
            for key in binding.keys {
                let mut s = in_context(context);
                let looked_up = keymap::lookup(s.context(), &event_of(key));
                if binding.context == Context::Global && looked_up != Some(action) {
                    // Rebound by the screen (q closes Help) or typed as text in a form.
                    continue;
                }
                assert_eq!(looked_up, Some(action), "{} in {context:?}", key.label());
                let before = s.screens.clone();
                let effects = update(&mut s, Msg::Key(event_of(key)));
                let changed = s.screens != before || !effects.is_empty() || s.message.is_some();
                let at_edge = matches!(
                    action,
                    Action::Up
                        | Action::Top
                        | Action::PageUp
                        | Action::Left
                        | Action::Right
                        | Action::LineStart
                        | Action::LineEnd
                        | Action::Backspace
                        | Action::Delete
                        | Action::ClearField
                        | Action::PrevItem
                        | Action::PrevPhase
                );
                // Moving up at the top, the cursor past the end of the field (it opens at
                // the end), or deleting in an empty field changes nothing;
                // Esc on the overview neither. Everything else does something visible.
                let idle = at_edge
                    || (action == Action::Back && context == Context::Overview)
                    || (action == Action::Back && context == Context::Global);
                assert!(
                    changed || idle,
                    "{} ({action:?}) did nothing in {context:?}",
                    key.label()
                );
                if action == Action::Quit {
                    assert!(
                        is_quit(&effects),
                        "{} must quit in {context:?}",
                        key.label()
                    );
                }
            }
        }
    }
}

#[test]
fn a_too_small_terminal_only_quits() {
    let mut s = state();
    send(&mut s, [Msg::Resize(40, 12)]);
    assert!(s.too_small());
    for key in [c(KeyCode::Enter), k('j'), k('t'), k('?'), k('p')] {
        assert!(send(&mut s, [key]).is_empty());
        assert_eq!(s.screens, vec![Screen::Overview { phase: 0 }]);
    }
    assert!(is_quit(&send(&mut s, [k('q')])));
    assert!(is_quit(&send(&mut s, [ctrl('c')])));
    send(&mut s, [Msg::Resize(80, 24), c(KeyCode::Enter)]);
    assert!(matches!(s.top(), Screen::Items(_)));
}

#[test]
fn ctrl_z_suspends_from_any_screen_and_keeps_the_draft() {
    let is_suspend = |effects: &[Effect]| matches!(effects, [Effect::Suspend]);
    assert!(is_suspend(&send(&mut state(), [ctrl('z')])));
    // While typing in a form: the draft is not lost, the form is still there after `fg`.
    let mut s = risk_form();
    send(&mut s, [k('x')]);
    let before = form(&s);
    assert!(is_suspend(&send(&mut s, [ctrl('z')])));
    assert_eq!(form(&s), before);
    // Too small to draw the wizard: it can still be put aside.
    let mut s = state();
    send(&mut s, [Msg::Resize(40, 12)]);
    assert!(is_suspend(&send(&mut s, [ctrl('z')])));
}

#[test]
fn a_signoff_changed_on_disk_is_shown_as_it_is_now() {
    let mut s = state();
    // Our own save coming back: nothing to say.
    let same = s.signoff.clone();
    send(&mut s, [Msg::SignoffOnDisk(Ok(same))]);
    assert_eq!(s.message, None);
    // Someone else's answer: shown, and said.
    let mut theirs = s.signoff.clone();
    theirs
        .items
        .insert("mon.audit-logs".into(), answer(Status::Fail, "seen by bob"));
    send(&mut s, [Msg::SignoffOnDisk(Ok(theirs.clone()))]);
    assert_eq!(s.signoff, theirs);
    assert!(
        s.message
            .as_ref()
            .is_some_and(|m| m.tone == Tone::Info && m.text.contains("changed outside"))
    );
    // A file that no longer reads keeps what was shown and says why saving will fail.
    send(
        &mut s,
        [Msg::SignoffOnDisk(Err("s.toml:3:1: expected `=`".into()))],
    );
    assert_eq!(s.signoff, theirs);
    assert!(
        s.message
            .as_ref()
            .is_some_and(|m| m.tone == Tone::Error && m.text.contains("s.toml:3:1"))
    );
}

// ── Checks, signals, resume ─────────────────────────────────────────────────────────────

fn report(status: CheckStatus) -> Report {
    let check = CheckResult {
        source: "arm:aks",
        resource: "/subscriptions/s/aks-robots".into(),
        expect: "x".into(),
        observed: serde_json::json!({"enablePrivateCluster": true}),
        status,
        cause: (status == CheckStatus::Skipped).then(|| "Azure is not read (--offline)".into()),
        explain: "public".into(),
    };
    let item_status = match status {
        CheckStatus::Pass => AutoStatus::Pass,
        CheckStatus::Fail => AutoStatus::Fail,
        CheckStatus::Error => AutoStatus::Error,
        CheckStatus::Skipped => AutoStatus::Manual,
    };
    Report {
        checked_at: now(),
        deployment: Some(Deployment {
            subscription: "s".into(),
            resource_group: "rg".into(),
            cluster: Some(Resource {
                id: "/x/aks-robots".into(),
                name: "aks-robots".into(),
            }),
            key_vault: None,
            registry: None,
            identities: vec![],
            listing_failed: None,
        }),
        items: vec![ItemResult {
            id: "net.private".into(),
            phase: Phase::BeforeDeployment,
            status: item_status,
            checks: vec![check],
        }],
        summary: Summary {
            pass: usize::from(item_status == AutoStatus::Pass),
            ..Summary::default()
        },
    }
}

#[test]
fn progress_clears_pending_sources_and_results_are_recorded() {
    let mut s = state();
    let run = run_started(&send(&mut s, [Msg::Start]));
    let item = s.checklist.item("net.private").expect("item").clone();
    assert_eq!(s.item_check(&item), ItemCheck::Checking);
    assert_eq!(s.pending_sources(&item), [DocumentSource::ArmAks]);
    send(
        &mut s,
        [
            Msg::ChecksConfigured {
                run,
                skipped_because: None,
            },
            Msg::CheckProgress {
                run,
                progress: Progress::Discovering,
            },
        ],
    );
    assert!(s.checks.discovering);
    send(
        &mut s,
        [
            Msg::CheckProgress {
                run,
                progress: Progress::Discovered { documents: 1 },
            },
            Msg::CheckProgress {
                run,
                progress: Progress::Fetched {
                    source: DocumentSource::ArmAks,
                    ok: true,
                },
            },
        ],
    );
    assert!(s.pending_sources(&item).is_empty());
    assert_eq!((s.checks.fetched, s.checks.documents), (1, 1));
    let effects = send(
        &mut s,
        [Msg::ChecksDone {
            run,
            result: Ok(report(CheckStatus::Pass)),
        }],
    );
    let records = match effects.as_slice() {
        [Effect::RecordAuto(records)] => records.clone(),
        other => panic!("{other:?}"),
    };
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].1.status, AutoStatus::Pass);
    assert!(!s.animating());
    assert_eq!(
        s.discovered.get("cluster"),
        Some(&vec!["aks-robots".to_string()])
    );
    let mut signoff = s.signoff.clone();
    signoff
        .auto
        .insert(records[0].0.clone(), records[0].1.clone());
    send(&mut s, [Msg::AutoRecorded(Ok(signoff))]);
    assert_eq!(s.item_check(&item), ItemCheck::Result(AutoStatus::Pass));
}

#[test]
fn each_verdict_shows_as_soon_as_it_arrives_while_the_others_still_load() {
    let mut s = state();
    // A second automatic item, on a document that is slower to come.
    let mut vault = s.checklist.item("net.private").expect("item").clone();
    vault.id = "sec.vault".into();
    vault.checks[0].source = DocumentSource::ArmKeyVault;
    s.checklist.items.push(vault.clone());
    let private = s.checklist.item("net.private").expect("item").clone();
    let run = run_started(&send(&mut s, [Msg::Start]));
    // The recorded verdict of net.private (fail) is not shown while it is being checked.
    assert_eq!(s.item_check(&private), ItemCheck::Checking);
    let fresh = report(CheckStatus::Pass).items;
    send(
        &mut s,
        [Msg::CheckProgress {
            run,
            progress: Progress::Evaluated(fresh.clone()),
        }],
    );
    assert_eq!(s.item_check(&private), ItemCheck::Result(AutoStatus::Pass));
    assert!(s.pending_sources(&private).is_empty());
    assert_eq!(s.item_check(&vault), ItemCheck::Checking);
    assert_eq!(s.pending_sources(&vault), [DocumentSource::ArmKeyVault]);
    assert!(s.animating(), "the run goes on");
    // The fresh verdict is the one answers are weighed against: pass needs no reason now.
    send(&mut s, [Msg::Resize(120, 40), c(KeyCode::Enter)]);
    let at = s
        .visible(&items_view(&s))
        .iter()
        .position(|i| i.id == "net.private")
        .expect("listed");
    let mut view = items_view(&s);
    view.selected = at;
    *s.screens.last_mut().expect("screen") = Screen::Items(view);
    send(&mut s, [k('e')]);
    assert_eq!(form(&s).auto, Some(AutoStatus::Pass));
    assert!(!form(&s).needs_override());
    // A verdict from an earlier run is ignored.
    send(
        &mut s,
        [Msg::CheckProgress {
            run: run - 1,
            progress: Progress::Evaluated(report(CheckStatus::Fail).items),
        }],
    );
    assert_eq!(s.item_check(&private), ItemCheck::Result(AutoStatus::Pass));
}

#[test]
fn skipped_checks_are_not_recorded_and_say_why() {
    let mut s = state();
    s.signoff.auto.clear();
    let run = run_started(&send(&mut s, [Msg::Start]));
    send(
        &mut s,
        [Msg::ChecksConfigured {
            run,
            skipped_because: Some("Azure is not read in this run (--offline)".into()),
        }],
    );
    let effects = send(
        &mut s,
        [Msg::ChecksDone {
            run,
            result: Ok(report(CheckStatus::Skipped)),
        }],
    );
    assert!(effects.is_empty());
    let item = s.checklist.item("net.private").expect("item").clone();
    assert_eq!(s.item_check(&item), ItemCheck::Skipped);
    assert!(
        s.message
            .as_ref()
            .is_some_and(|m| m.text.contains("--offline"))
    );
}

#[test]
fn signals_quit_and_say_which() {
    let mut s = state();
    assert!(is_quit(&send(&mut s, [Msg::Signal("SIGTERM".into())])));
    assert_eq!(s.stopped_by.as_deref(), Some("SIGTERM"));
}

#[test]
fn the_position_follows_the_screens_and_resumes() {
    let mut s = state();
    assert_eq!(
        s.position(),
        Position {
            phase: Phase::BeforeDeployment,
            item: None
        }
    );
    send(&mut s, [k('j'), c(KeyCode::Enter), k('j')]);
    let at = Position {
        phase: Phase::DuringOperation,
        item: Some("k8s.netpol".into()),
    };
    assert_eq!(s.position(), at);
    send(&mut s, [c(KeyCode::Enter), k('e')]);
    assert_eq!(
        s.position(),
        at,
        "a form over the detail keeps the position"
    );

    let resumed = State::new(
        s.checklist.clone(),
        s.signoff.clone(),
        s.clock,
        s.config.clone(),
        Some(at.clone()),
    );
    assert_eq!(resumed.position(), at);
    assert_eq!(resumed.screens.len(), 2);
    let on_phase = State::new(
        s.checklist.clone(),
        s.signoff.clone(),
        s.clock,
        s.config.clone(),
        Some(Position {
            phase: Phase::OngoingMaintenance,
            item: None,
        }),
    );
    assert_eq!(on_phase.screens, vec![Screen::Overview { phase: 2 }]);
}

#[test]
fn ticks_animate_and_resizes_are_remembered() {
    let mut s = state();
    send(&mut s, [Msg::Tick, Msg::Tick, Msg::Resize(100, 30)]);
    assert_eq!((s.tick, s.size), (2, (100, 30)));
}

#[test]
fn a_checks_notice_never_hides_the_operators_last_message() {
    let mut s = state();
    let run = run_started(&send(&mut s, [Msg::Start]));
    send(&mut s, [c(KeyCode::Enter), k('j'), k('f')]);
    let msg = saved("gov.assessment", Status::Fail, &s);
    send(&mut s, [msg]);
    send(
        &mut s,
        [Msg::ChecksDone {
            run,
            result: Ok(report(CheckStatus::Pass)),
        }],
    );
    assert!(
        s.message
            .as_ref()
            .is_some_and(|m| m.text.starts_with("Saved"))
    );
    // R says it runs; the result then replaces that.
    let run = run_started(&send(&mut s, [k('R')]));
    assert!(
        s.message
            .as_ref()
            .is_some_and(|m| m.text.starts_with("Running"))
    );
    send(
        &mut s,
        [Msg::ChecksDone {
            run,
            result: Ok(report(CheckStatus::Pass)),
        }],
    );
    assert!(
        s.message
            .as_ref()
            .is_some_and(|m| m.text.starts_with("Automatic checks done"))
    );
    // A failure to run is an error: it is always shown.
    let run = run_started(&send(&mut s, [k('R')]));
    let msg = saved("gov.assessment", Status::Fail, &s);
    send(&mut s, [msg]);
    send(
        &mut s,
        [Msg::ChecksDone {
            run,
            result: Err(ChecksFailed {
                message: "not signed in".into(),
                clusters: vec![],
            }),
        }],
    );
    assert!(s.message.as_ref().is_some_and(|m| m.tone == Tone::Error));
}

// ── Quarterly rerun ─────────────────────────────────────────────────────────────────────

fn days_before(base: Timestamp, days: i64) -> Timestamp {
    base.checked_sub(jiff::Span::new().hours(24 * days))
        .expect("date")
}

/// A quarter later: in "during operation", k8s.netpol (second in checklist order) was
/// answered 100 days ago and has lapsed; mon.audit-logs, 30 days ago, carries forward.
fn rerun(revisit: bool) -> State {
    let mut signoff = SignOff::default();
    signoff.target.name = Some("robots-prod".into());
    let mut lapsed = answer(Status::Pass, "policies in place");
    lapsed.answered_at = days_before(now(), 100);
    signoff.items.insert("k8s.netpol".into(), lapsed);
    let mut carried = answer(Status::Pass, "sent");
    carried.answered_at = days_before(now(), 30);
    signoff.items.insert("mon.audit-logs".into(), carried);
    let mut s = state();
    s = State::new(
        s.checklist.clone(),
        signoff,
        Clock::fixed(now()),
        Config {
            revisit,
            ..s.config.clone()
        },
        None,
    );
    s.size = (120, 40);
    s
}

#[test]
fn a_rerun_opens_on_the_answers_to_review_first() {
    let mut s = rerun(false);
    // The overview opens on the phase with something to review.
    assert_eq!(s.top(), &Screen::Overview { phase: 1 });
    assert_eq!(s.review_count(Phase::DuringOperation), 1);
    send(&mut s, [c(KeyCode::Enter)]);
    let view = items_view(&s);
    let ids: Vec<&str> = s.visible(&view).iter().map(|i| i.id.as_str()).collect();
    assert_eq!(ids, ["k8s.netpol", "mon.audit-logs"]);
    assert_eq!(view.selected, 0);
    let netpol = s.checklist.item("k8s.netpol").expect("item").clone();
    let audit = s.checklist.item("mon.audit-logs").expect("item").clone();
    assert_eq!(s.freshness_badge(&netpol), "↻ lapsed");
    assert_eq!(s.freshness_badge(&audit), "30d ago");
    assert!(s.carried(&audit));

    // Confirming the lapsed answer moves on to the item that followed it.
    let effects = send(&mut s, [k('p')]);
    assert!(
        matches!(effects.as_slice(), [Effect::SaveAnswer { item, .. }] if item == "k8s.netpol")
    );
    let mut saved = s.signoff.clone();
    saved
        .items
        .insert("k8s.netpol".into(), answer(Status::Pass, "re-checked"));
    send(
        &mut s,
        [Msg::AnswerSaved {
            item: "k8s.netpol".into(),
            status: Status::Pass,
            result: Ok((saved, false)),
        }],
    );
    let view = items_view(&s);
    let ids: Vec<&str> = s.visible(&view).iter().map(|i| i.id.as_str()).collect();
    assert_eq!(ids, ["mon.audit-logs", "k8s.netpol"]);
    assert_eq!(ids[view.selected], "mon.audit-logs");
    assert_eq!(s.review_count(Phase::DuringOperation), 0);
    assert_eq!(s.freshness_badge(&netpol), "today");
    assert!(!s.carried(&netpol));
}

#[test]
fn revisit_offers_every_carried_answer_until_it_is_confirmed() {
    let s = rerun(false);
    let audit = s.checklist.item("mon.audit-logs").expect("item").clone();
    assert!(!s.needs_review(&audit));
    let mut s = rerun(true);
    assert!(s.needs_review(&audit));
    assert_eq!(s.freshness_badge(&audit), "↻ revisit");
    assert_eq!(s.review_count(Phase::DuringOperation), 2);
    // The "needs review" filter lists exactly those.
    send(&mut s, [c(KeyCode::Enter), k('/')]);
    let options = match s.top() {
        Screen::Pick(p) => p.options.clone(),
        other => panic!("{other:?}"),
    };
    let at = options
        .iter()
        .position(|o| o == "needs review")
        .expect("a needs-review filter");
    send(
        &mut s,
        std::iter::repeat_n(k('j'), at).chain([c(KeyCode::Enter)]),
    );
    let view = items_view(&s);
    assert_eq!(view.filter, Filter::Review);
    assert_eq!(s.visible(&view).len(), 2);
    // An answer given in this run is not to be revisited.
    s.signoff
        .items
        .insert("mon.audit-logs".into(), answer(Status::Pass, "again"));
    assert!(!s.needs_review(&audit));
    assert_eq!(s.visible(&view).len(), 1);
}

#[test]
fn a_list_that_reorders_under_the_operator_keeps_their_item_selected() {
    let mut s = rerun(false);
    send(&mut s, [c(KeyCode::Enter), k('j')]);
    let view = items_view(&s);
    assert_eq!(s.visible(&view)[view.selected].id, "mon.audit-logs");
    // The checks record a fail on mon.audit-logs, which reopens its pass: it moves to the
    // top of the list, and stays the selected item.
    let mut signoff = s.signoff.clone();
    signoff.auto.insert(
        "mon.audit-logs".into(),
        AutoRecord {
            status: AutoStatus::Fail,
            checked_at: now(),
            checks: Vec::new(),
        },
    );
    send(&mut s, [Msg::AutoRecorded(Ok(signoff))]);
    let view = items_view(&s);
    let ids: Vec<&str> = s.visible(&view).iter().map(|i| i.id.as_str()).collect();
    assert_eq!(ids, ["mon.audit-logs", "k8s.netpol"]);
    assert_eq!(s.visible(&view)[view.selected].id, "mon.audit-logs");
    // p on it asks why the pass stands against the failing check: about mon.audit-logs.
    send(&mut s, [k('p')]);
    assert_eq!(form(&s).item, "mon.audit-logs");
    assert!(form(&s).needs_override());
}
