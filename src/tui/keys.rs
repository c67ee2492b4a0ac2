//! What a key does on each screen: the key handlers of [`update`](super::state::update).
//! Each takes the screen it was pressed on and says, as a [`Step`], whether that screen
//! stays, what opens over it and which effects to run.

use crossterm::event::KeyEvent;

use super::field::TextField;
use super::keymap::{self, Action, Key};
use super::state::{
    AnswerField, AnswerForm, Effect, Filter, ItemsView, PickFor, Picker, Screen, Scrolled,
    SignForm, State, TARGET_FIELDS, TargetForm, Tone, start_checks, submit_answer,
};
use crate::checklist::Phase;
use crate::session::{AnswerInput, contradicts};
use crate::signoff::Status;

/// What a key does to the screen it was pressed on.
struct Step {
    /// The screen to put back (None: it closes).
    keep: Option<Screen>,
    /// Screens to open on top of it.
    push: Vec<Screen>,
    effects: Vec<Effect>,
}

impl Step {
    fn stay(screen: Screen) -> Self {
        Self {
            keep: Some(screen),
            push: Vec::new(),
            effects: Vec::new(),
        }
    }

    fn close() -> Self {
        Self {
            keep: None,
            push: Vec::new(),
            effects: Vec::new(),
        }
    }

    fn open(mut self, screen: Screen) -> Self {
        self.push.push(screen);
        self
    }

    fn effects(mut self, effects: Vec<Effect>) -> Self {
        self.effects.extend(effects);
        self
    }
}

pub(super) fn on_key(state: &mut State, event: &KeyEvent) -> Vec<Effect> {
    let action = keymap::lookup(state.context(), event);
    // Raw mode turns Ctrl-Z into a key, so the shell's job control is ours to honour.
    if action == Some(Action::Suspend) {
        return vec![Effect::Suspend];
    }
    if state.too_small() {
        return if action == Some(Action::Quit) {
            vec![Effect::Quit]
        } else {
            Vec::new()
        };
    }
    state.message = None;
    let key = Key::from_event(event);
    let top = state.screens.pop().unwrap_or(Screen::Overview { phase: 0 });
    let step = match top {
        Screen::Overview { phase } => overview_key(state, phase, action),
        Screen::Items(view) => items_key(state, view, action),
        Screen::Detail { item, scroll } => detail_key(state, item, scroll, action),
        Screen::Answer(form) => answer_key(state, form, action, key),
        Screen::Target(form) => target_key(state, form, action, key),
        Screen::Review { scroll } => review_key(state, scroll, action),
        Screen::Sign(form) => sign_key(state, form, action, key),
        Screen::Search { query, previous } => search_key(state, query, previous, action, key),
        Screen::Pick(picker) => pick_key(state, picker, action),
        Screen::Help { scroll } => help_key(state, scroll, action),
    };
    // The overview is the base: it never closes.
    match step.keep {
        Some(screen) => state.screens.push(screen),
        None if state.screens.is_empty() => state.screens.push(Screen::Overview { phase: 0 }),
        None => {}
    }
    state.screens.extend(step.push);
    step.effects
}

/// Actions every browsing screen shares.
fn common(state: &mut State, screen: Screen, action: Option<Action>) -> Step {
    match action {
        Some(Action::Help) => Step::stay(screen).open(Screen::Help { scroll: 0 }),
        Some(Action::Quit) => Step::stay(screen).effects(vec![Effect::Quit]),
        Some(Action::Target) => {
            let form = target_form(state);
            Step::stay(screen).open(Screen::Target(form))
        }
        Some(Action::Review) => Step::stay(screen).open(Screen::Review { scroll: 0 }),
        Some(Action::RerunAll) => {
            let effects = start_checks(state, None);
            state.notice("Running every automatic check again…");
            Step::stay(screen).effects(effects)
        }
        _ => Step::stay(screen),
    }
}

fn target_form(state: &State) -> TargetForm {
    TargetForm {
        fields: TARGET_FIELDS
            .iter()
            .map(|(f, _, _)| {
                TextField::new(state.signoff.target.field(f).cloned().unwrap_or_default())
            })
            .collect(),
        focus: 0,
        error: None,
    }
}

fn overview_key(state: &mut State, phase: usize, action: Option<Action>) -> Step {
    let last = Phase::ALL.len() - 1;
    match action {
        Some(Action::Up) => Step::stay(Screen::Overview {
            phase: phase.saturating_sub(1),
        }),
        Some(Action::Down) => Step::stay(Screen::Overview {
            phase: (phase + 1).min(last),
        }),
        Some(Action::Open) => {
            let view = ItemsView {
                phase: Phase::ALL[phase.min(last)],
                selected: 0,
                filter: Filter::All,
            };
            Step::stay(Screen::Overview { phase }).open(Screen::Items(view))
        }
        other => common(state, Screen::Overview { phase }, other),
    }
}

fn sync_overview(state: &mut State, phase: Phase) {
    let index = Phase::ALL.iter().position(|p| *p == phase).unwrap_or(0);
    for screen in &mut state.screens {
        if let Screen::Overview { phase } = screen {
            *phase = index;
        }
    }
}

/// Lines a page-up/down moves in lists and text, by the last frame.
fn page(state: &State) -> usize {
    usize::from(state.viewport.page())
}

/// The screens `p`, `f`, `n`, `a`, `e` and `r` open or the effects they start, for one item.
fn item_action(state: &mut State, item_id: &str, action: Action) -> (Vec<Screen>, Vec<Effect>) {
    let Some(item) = state.checklist.item(item_id).cloned() else {
        return (Vec::new(), Vec::new());
    };
    match action {
        Action::Record(status) => {
            if let Some(auto) = state.auto_status(&item).filter(|a| contradicts(*a, status)) {
                let mut form = state.answer_form(&item, Some(status), AnswerField::Override);
                form.error = Some(format!(
                    "The automatic check says {}; say why the answer is {}, then press Enter.",
                    auto.label(),
                    status.mark()
                ));
                return (vec![Screen::Answer(form)], Vec::new());
            }
            let previous = state.signoff.items.get(item_id);
            let input = AnswerInput {
                status: Some(status),
                note: previous.map(|a| a.note.clone()).unwrap_or_default(),
                evidence: previous.map(|a| a.evidence.clone()).unwrap_or_default(),
                by: state.config.author.clone(),
                ..AnswerInput::default()
            };
            (
                Vec::new(),
                vec![Effect::SaveAnswer {
                    item: item.id.clone(),
                    input,
                }],
            )
        }
        Action::RiskAccept => {
            let form = state.answer_form(
                &item,
                Some(Status::RiskAccepted),
                AnswerField::Justification,
            );
            (vec![Screen::Answer(form)], Vec::new())
        }
        Action::Edit => {
            let form = state.answer_form(&item, None, AnswerField::Note);
            (vec![Screen::Answer(form)], Vec::new())
        }
        Action::Rerun => (Vec::new(), start_checks(state, Some(item.id.clone()))),
        _ => (Vec::new(), Vec::new()),
    }
}

fn items_key(state: &mut State, mut view: ItemsView, action: Option<Action>) -> Step {
    let ids = state.visible_ids(&view);
    let last = ids.len().saturating_sub(1);
    let selected = ids.get(view.selected).cloned();
    match action {
        Some(Action::Up) => view.selected = view.selected.saturating_sub(1),
        Some(Action::Down) => view.selected = (view.selected + 1).min(last),
        Some(Action::Top) => view.selected = 0,
        Some(Action::Bottom) => view.selected = last,
        Some(Action::PageUp) => view.selected = view.selected.saturating_sub(page(state)),
        Some(Action::PageDown) => view.selected = (view.selected + page(state)).min(last),
        Some(Action::Open) => {
            if let Some(item) = selected {
                return Step::stay(Screen::Items(view)).open(Screen::Detail { item, scroll: 0 });
            }
        }
        Some(a @ (Action::Record(_) | Action::RiskAccept | Action::Edit | Action::Rerun)) => {
            let Some(item) = selected else {
                state.say(Tone::Info, "No item is selected.");
                return Step::stay(Screen::Items(view));
            };
            let (push, effects) = item_action(state, &item, a);
            return Step {
                keep: Some(Screen::Items(view)),
                push,
                effects,
            };
        }
        Some(Action::Filter) => {
            let mut filters = vec![
                Filter::All,
                Filter::Text(String::new()),
                Filter::Open,
                Filter::Review,
                Filter::Failing,
                Filter::Manual,
                Filter::Automatic,
            ];
            let mut categories: Vec<String> = state
                .checklist
                .items_in(view.phase)
                .map(|i| i.category.clone())
                .collect();
            categories.sort();
            categories.dedup();
            filters.extend(categories.into_iter().map(Filter::Category));
            let selected = match &view.filter {
                Filter::Text(_) => 1,
                current => filters.iter().position(|f| f == current).unwrap_or(0),
            };
            let picker = Picker {
                title: "Show items".into(),
                options: filters.iter().map(Filter::label).collect(),
                purpose: PickFor::Filter(filters),
                selected,
            };
            return Step::stay(Screen::Items(view)).open(Screen::Pick(picker));
        }
        Some(a @ (Action::PrevPhase | Action::NextPhase)) => {
            let at = Phase::ALL
                .iter()
                .position(|p| *p == view.phase)
                .unwrap_or(0);
            let to = if a == Action::PrevPhase {
                at.saturating_sub(1)
            } else {
                (at + 1).min(Phase::ALL.len() - 1)
            };
            if to != at {
                view = ItemsView {
                    phase: Phase::ALL[to],
                    selected: 0,
                    filter: Filter::All,
                };
                sync_overview(state, view.phase);
            }
        }
        Some(Action::Back) => {
            sync_overview(state, view.phase);
            return Step::close();
        }
        other => return common(state, Screen::Items(view), other),
    }
    Step::stay(Screen::Items(view))
}

fn detail_key(
    state: &mut State,
    mut item: String,
    mut scroll: u16,
    action: Option<Action>,
) -> Step {
    let max = state.viewport.max_scroll(&Scrolled::Detail(item.clone()));
    if let Some(to) = scroll_to(state, action, scroll, max) {
        return Step::stay(Screen::Detail { item, scroll: to });
    }
    match action {
        Some(a @ (Action::PrevItem | Action::NextItem)) => {
            if let Some(current) = state.checklist.item(&item) {
                let ids: Vec<String> = state
                    .checklist
                    .items_in(current.phase)
                    .map(|i| i.id.clone())
                    .collect();
                let at = ids.iter().position(|i| *i == item).unwrap_or(0);
                let to = if a == Action::PrevItem {
                    at.saturating_sub(1)
                } else {
                    (at + 1).min(ids.len().saturating_sub(1))
                };
                if to != at {
                    item = ids[to].clone();
                    scroll = 0;
                    // Keep the list below on the same item.
                    if let Some(Screen::Items(v)) = state.screens.last().cloned() {
                        let visible = state.visible_ids(&v);
                        if let (Some(j), Some(Screen::Items(below))) = (
                            visible.iter().position(|i| *i == item),
                            state.screens.last_mut(),
                        ) {
                            below.selected = j;
                        }
                    }
                }
            }
        }
        Some(a @ (Action::Record(_) | Action::RiskAccept | Action::Edit | Action::Rerun)) => {
            let (push, effects) = item_action(state, &item, a);
            return Step {
                keep: Some(Screen::Detail { item, scroll }),
                push,
                effects,
            };
        }
        Some(Action::Back) => return Step::close(),
        other => return common(state, Screen::Detail { item, scroll }, other),
    }
    Step::stay(Screen::Detail { item, scroll })
}

/// Editing keys shared by every text field.
fn edit(field: &mut TextField, action: Option<Action>, key: Key) {
    match action {
        Some(Action::Left) => field.left(),
        Some(Action::Right) => field.right(),
        Some(Action::LineStart) => field.home(),
        Some(Action::LineEnd) => field.end(),
        Some(Action::Backspace) => field.backspace(),
        Some(Action::Delete) => field.delete(),
        Some(Action::ClearField) => field.clear(),
        None => {
            if let Some(c) = key.typed_char() {
                field.insert(c);
            }
        }
        _ => {}
    }
}

fn cycle<T: Copy + PartialEq>(all: &[T], current: T, forward: bool) -> T {
    let at = all.iter().position(|x| *x == current).unwrap_or(0);
    let n = all.len();
    all[if forward {
        (at + 1) % n
    } else {
        (at + n - 1) % n
    }]
}

fn answer_key(state: &mut State, mut form: AnswerForm, action: Option<Action>, key: Key) -> Step {
    let fields = form.fields();
    match action {
        Some(a @ (Action::NextField | Action::PrevField)) => {
            form.focus = cycle(&fields, form.focus, a == Action::NextField);
        }
        Some(Action::Submit) => {
            let effects = submit_answer(state, &mut form);
            return Step::stay(Screen::Answer(form)).effects(effects);
        }
        Some(Action::Back) => {
            state.say(
                Tone::Info,
                format!("Cancelled; nothing was saved for {}.", form.item),
            );
            return Step::close();
        }
        Some(Action::Help) => {
            return Step::stay(Screen::Answer(form)).open(Screen::Help { scroll: 0 });
        }
        Some(Action::Quit) => return Step::stay(Screen::Answer(form)).effects(vec![Effect::Quit]),
        Some(a @ (Action::Left | Action::Right)) if form.focus == AnswerField::Status => {
            form.status = cycle(&Status::ALL, form.status, a == Action::Right);
            form.error = None;
        }
        _ if form.focus == AnswerField::Status => {
            let chosen = match key.typed_char() {
                Some('p') => Some(Status::Pass),
                Some('f') => Some(Status::Fail),
                Some('n') => Some(Status::NotApplicable),
                Some('a' | 'r') => Some(Status::RiskAccepted),
                Some(' ') => Some(cycle(&Status::ALL, form.status, true)),
                _ => None,
            };
            if let Some(status) = chosen {
                form.status = status;
                form.error = None;
            }
        }
        _ => {
            let focus = form.focus;
            if let Some(field) = form.text_mut(focus) {
                edit(field, action, key);
            }
        }
    }
    Step::stay(Screen::Answer(form))
}

fn target_key(state: &mut State, mut form: TargetForm, action: Option<Action>, key: Key) -> Step {
    let n = form.fields.len();
    match action {
        Some(Action::NextField) => form.focus = (form.focus + 1) % n,
        Some(Action::PrevField) => form.focus = (form.focus + n - 1) % n,
        Some(Action::Submit) => {
            let mut target = state.signoff.target.clone();
            for ((name, _, _), field) in TARGET_FIELDS.iter().zip(&form.fields) {
                if let Some(slot) = target.field_mut(name) {
                    *slot = Some(field.value.trim().to_string()).filter(|v| !v.is_empty());
                }
            }
            form.error = None;
            return Step::stay(Screen::Target(form)).effects(vec![Effect::SetTarget(target)]);
        }
        Some(Action::Pick) => {
            let (name, label, _) = TARGET_FIELDS[form.focus];
            match state.discovered.get(name).filter(|v| !v.is_empty()) {
                Some(options) => {
                    let current = &form.fields[form.focus].value;
                    let picker = Picker {
                        title: format!("{label} found in Azure"),
                        selected: options.iter().position(|o| o == current).unwrap_or(0),
                        options: options.clone(),
                        purpose: PickFor::TargetField(form.focus),
                    };
                    return Step::stay(Screen::Target(form)).open(Screen::Pick(picker));
                }
                None => state.say(
                    Tone::Info,
                    format!(
                        "Nothing discovered for {} yet: the automatic checks find the cluster, key vault and registry when signed in to Azure.",
                        label.to_lowercase()
                    ),
                ),
            }
        }
        Some(Action::Back) => return Step::close(),
        Some(Action::Help) => {
            return Step::stay(Screen::Target(form)).open(Screen::Help { scroll: 0 });
        }
        Some(Action::Quit) => return Step::stay(Screen::Target(form)).effects(vec![Effect::Quit]),
        _ => {
            let focus = form.focus;
            edit(&mut form.fields[focus], action, key);
        }
    }
    Step::stay(Screen::Target(form))
}

fn review_key(state: &mut State, scroll: u16, action: Option<Action>) -> Step {
    let max = state.viewport.max_scroll(&Scrolled::Review);
    if let Some(to) = scroll_to(state, action, scroll, max) {
        return Step::stay(Screen::Review { scroll: to });
    }
    match action {
        Some(Action::Sign) => {
            let previous = state.signoff.signoff.as_ref();
            let form = SignForm {
                name: TextField::new(
                    previous.map_or(state.config.author.clone(), |s| s.name.clone()),
                ),
                role: TextField::new(previous.map(|s| s.role.clone()).unwrap_or_default()),
                focus: 0,
                error: None,
            };
            Step::stay(Screen::Review { scroll }).open(Screen::Sign(form))
        }
        Some(Action::WriteAttestation) => {
            Step::stay(Screen::Review { scroll }).effects(vec![Effect::WriteAttestation(
                state.config.attestation_path.clone(),
            )])
        }
        Some(Action::Back) => Step::close(),
        other => common(state, Screen::Review { scroll }, other),
    }
}

fn sign_key(state: &mut State, mut form: SignForm, action: Option<Action>, key: Key) -> Step {
    match action {
        Some(Action::NextField | Action::PrevField) => form.focus = 1 - form.focus.min(1),
        Some(Action::Submit) => {
            form.error = None;
            let effect = Effect::Sign {
                name: form.name.value.clone(),
                role: form.role.value.clone(),
            };
            return Step::stay(Screen::Sign(form)).effects(vec![effect]);
        }
        Some(Action::Back) => {
            state.say(Tone::Info, "Not signed.");
            return Step::close();
        }
        Some(Action::Help) => {
            return Step::stay(Screen::Sign(form)).open(Screen::Help { scroll: 0 });
        }
        Some(Action::Quit) => return Step::stay(Screen::Sign(form)).effects(vec![Effect::Quit]),
        _ => {
            let field = if form.focus == 0 {
                &mut form.name
            } else {
                &mut form.role
            };
            edit(field, action, key);
        }
    }
    Step::stay(Screen::Sign(form))
}

fn search_key(
    state: &mut State,
    mut query: TextField,
    previous: Filter,
    action: Option<Action>,
    key: Key,
) -> Step {
    // The items list is the screen below, now the top of the stack.
    let set_filter = |state: &mut State, filter: Filter| {
        if let Some(Screen::Items(view)) = state.screens.last_mut() {
            view.filter = filter;
            view.selected = 0;
        }
    };
    match action {
        Some(Action::Submit) => {
            if query.value.trim().is_empty() {
                set_filter(state, Filter::All);
            }
            return Step::close();
        }
        Some(Action::Back) => {
            set_filter(state, previous);
            return Step::close();
        }
        Some(Action::Help) => {
            return Step::stay(Screen::Search { query, previous }).open(Screen::Help { scroll: 0 });
        }
        Some(Action::Quit) => {
            return Step::stay(Screen::Search { query, previous }).effects(vec![Effect::Quit]);
        }
        _ => {
            edit(&mut query, action, key);
            let text = query.value.trim().to_string();
            set_filter(
                state,
                if text.is_empty() {
                    Filter::All
                } else {
                    Filter::Text(text)
                },
            );
        }
    }
    Step::stay(Screen::Search { query, previous })
}

fn pick_key(state: &mut State, mut picker: Picker, action: Option<Action>) -> Step {
    let last = picker.options.len().saturating_sub(1);
    match action {
        Some(Action::Up) => picker.selected = picker.selected.saturating_sub(1),
        Some(Action::Down) => picker.selected = (picker.selected + 1).min(last),
        Some(Action::Submit) => {
            // Applies to the screen below, which is now the top of the stack.
            match (&picker.purpose, state.screens.last_mut()) {
                (PickFor::Filter(filters), Some(Screen::Items(view))) => {
                    match filters.get(picker.selected) {
                        Some(Filter::Text(_)) => {
                            let query = match &view.filter {
                                Filter::Text(q) => q.clone(),
                                _ => String::new(),
                            };
                            return Step::close().open(Screen::Search {
                                query: TextField::new(query),
                                previous: view.filter.clone(),
                            });
                        }
                        Some(f) => {
                            view.filter = f.clone();
                            view.selected = 0;
                        }
                        None => {}
                    }
                }
                (PickFor::TargetField(i), Some(Screen::Target(form))) => {
                    if let (Some(value), Some(field)) =
                        (picker.options.get(picker.selected), form.fields.get_mut(*i))
                    {
                        *field = TextField::new(value.clone());
                        form.focus = *i;
                    }
                }
                _ => {}
            }
            return Step::close();
        }
        Some(Action::Back) => return Step::close(),
        Some(Action::Help) => {
            return Step::stay(Screen::Pick(picker)).open(Screen::Help { scroll: 0 });
        }
        Some(Action::Quit) => return Step::stay(Screen::Pick(picker)).effects(vec![Effect::Quit]),
        _ => {}
    }
    Step::stay(Screen::Pick(picker))
}

fn help_key(state: &mut State, scroll: u16, action: Option<Action>) -> Step {
    let max = state.viewport.max_scroll(&Scrolled::Help);
    if let Some(to) = scroll_to(state, action, scroll, max) {
        return Step::stay(Screen::Help { scroll: to });
    }
    match action {
        Some(Action::Back | Action::Help) => Step::close(),
        Some(Action::Quit) => Step::stay(Screen::Help { scroll }).effects(vec![Effect::Quit]),
        _ => Step::stay(Screen::Help { scroll }),
    }
}

/// A scrolling key on a text screen: a line with ↑/↓, a page with PgUp/PgDn, within
/// `0..=max`. `None` for any other action.
fn scroll_to(state: &State, action: Option<Action>, scroll: u16, max: u16) -> Option<u16> {
    let page = state.viewport.page();
    match action? {
        Action::Up => Some(scroll.saturating_sub(1)),
        Action::Down => Some((scroll + 1).min(max)),
        Action::PageUp => Some(scroll.saturating_sub(page)),
        Action::PageDown => Some(scroll.saturating_add(page).min(max)),
        _ => None,
    }
}
