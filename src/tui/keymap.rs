//! The keymap: one table of bindings, each with the context it works in and a description.
//! Key handling looks actions up here, and the Help screen and the hint line are generated
//! from it, so they never go stale.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::signoff::Status;

/// Where a binding applies. Screens map to one context; `Global` applies everywhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Context {
    Global,
    Overview,
    Items,
    Detail,
    Form,
    /// Typing in a field: shared by the forms and the search field.
    TextEdit,
    Target,
    Search,
    Review,
    Picker,
    Help,
}

impl Context {
    /// In help order.
    pub const ALL: [Context; 11] = [
        Context::Global,
        Context::Overview,
        Context::Items,
        Context::Detail,
        Context::Form,
        Context::TextEdit,
        Context::Target,
        Context::Search,
        Context::Review,
        Context::Picker,
        Context::Help,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Context::Global => "Everywhere",
            Context::Overview => "Overview",
            Context::Items => "Items of a phase",
            Context::Detail => "Item detail",
            Context::Form => "Forms (answer, target, sign)",
            Context::TextEdit => "Typing in a field (forms, search)",
            Context::Target => "Target",
            Context::Search => "Search (from the filter list: matching text…)",
            Context::Review => "Review and sign",
            Context::Picker => "Pick lists (filter, discovered values)",
            Context::Help => "Help",
        }
    }

    /// Text-entry contexts: plain characters are typed, so global letter keys do not apply.
    pub fn takes_text(self) -> bool {
        matches!(
            self,
            Context::Form | Context::TextEdit | Context::Target | Context::Search
        )
    }

    /// Contexts consulted, in order, before `Global`.
    fn chain(self) -> &'static [Context] {
        match self {
            Context::Target => &[Context::Target, Context::Form, Context::TextEdit],
            Context::Search => &[Context::Search, Context::TextEdit],
            Context::Global => &[],
            Context::Overview => &[Context::Overview],
            Context::Items => &[Context::Items],
            Context::Detail => &[Context::Detail],
            Context::Form => &[Context::Form, Context::TextEdit],
            Context::TextEdit => &[Context::TextEdit],
            Context::Review => &[Context::Review],
            Context::Picker => &[Context::Picker],
            Context::Help => &[Context::Help],
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Help,
    Quit,
    Suspend,
    Back,
    Up,
    Down,
    Top,
    Bottom,
    PageUp,
    PageDown,
    Open,
    PrevPhase,
    NextPhase,
    PrevItem,
    NextItem,
    Record(Status),
    RiskAccept,
    Edit,
    Rerun,
    RerunAll,
    Filter,
    Target,
    Review,
    NextField,
    PrevField,
    Submit,
    Pick,
    Left,
    Right,
    LineStart,
    LineEnd,
    Backspace,
    Delete,
    ClearField,
    Sign,
    WriteAttestation,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Key {
    pub code: KeyCode,
    pub mods: KeyModifiers,
}

const fn ch(c: char) -> Key {
    Key {
        code: KeyCode::Char(c),
        mods: KeyModifiers::NONE,
    }
}

const fn code(code: KeyCode) -> Key {
    Key {
        code,
        mods: KeyModifiers::NONE,
    }
}

const fn ctrl(c: char) -> Key {
    Key {
        code: KeyCode::Char(c),
        mods: KeyModifiers::CONTROL,
    }
}

impl Key {
    /// Drops what does not distinguish keys: Shift is already in the character (`R`) or
    /// the code (BackTab).
    pub fn from_event(event: &KeyEvent) -> Self {
        let mut mods = event.modifiers & (KeyModifiers::CONTROL | KeyModifiers::ALT);
        let code = match event.code {
            KeyCode::Char(c) if mods.contains(KeyModifiers::CONTROL) => {
                KeyCode::Char(c.to_ascii_lowercase())
            }
            KeyCode::BackTab => {
                mods = KeyModifiers::NONE;
                KeyCode::BackTab
            }
            other => other,
        };
        Self { code, mods }
    }

    /// A printable character typed without Ctrl or Alt.
    pub fn typed_char(&self) -> Option<char> {
        match self.code {
            KeyCode::Char(c) if self.mods.is_empty() => Some(c),
            _ => None,
        }
    }

    pub fn label(&self) -> String {
        let base = match self.code {
            KeyCode::Up => "↑".to_string(),
            KeyCode::Down => "↓".to_string(),
            KeyCode::Left => "←".to_string(),
            KeyCode::Right => "→".to_string(),
            KeyCode::Enter => "Enter".to_string(),
            KeyCode::Esc => "Esc".to_string(),
            KeyCode::Tab => "Tab".to_string(),
            KeyCode::BackTab => "Shift-Tab".to_string(),
            KeyCode::Backspace => "Backspace".to_string(),
            KeyCode::Delete => "Delete".to_string(),
            KeyCode::Home => "Home".to_string(),
            KeyCode::End => "End".to_string(),
            KeyCode::PageUp => "PgUp".to_string(),
            KeyCode::PageDown => "PgDn".to_string(),
            KeyCode::F(n) => format!("F{n}"),
            KeyCode::Char(' ') => "Space".to_string(),
            KeyCode::Char(c) => c.to_string(),
            other => format!("{other:?}"),
        };
        if self.mods.contains(KeyModifiers::CONTROL) {
            format!("Ctrl-{base}")
        } else {
            base
        }
    }
}

pub struct Binding {
    pub context: Context,
    pub keys: &'static [Key],
    /// Shown instead of the keys when they cannot be listed (typing text).
    pub keys_label: Option<&'static str>,
    pub action: Option<Action>,
    pub desc: &'static str,
    /// Short text for the hint line; `None` keeps the binding to the Help screen.
    pub hint: Option<&'static str>,
}

impl Binding {
    pub fn keys_text(&self) -> String {
        match self.keys_label {
            Some(l) => l.to_string(),
            None => self
                .keys
                .iter()
                .map(Key::label)
                .collect::<Vec<_>>()
                .join("/"),
        }
    }
}

macro_rules! bind {
    ($ctx:ident, [$($k:expr),+ $(,)?], $action:expr, $desc:literal) => {
        Binding { context: Context::$ctx, keys: &[$($k),+], keys_label: None, action: Some($action), desc: $desc, hint: None }
    };
    ($ctx:ident, [$($k:expr),+ $(,)?], $action:expr, $desc:literal, $hint:literal) => {
        Binding { context: Context::$ctx, keys: &[$($k),+], keys_label: None, action: Some($action), desc: $desc, hint: Some($hint) }
    };
}

use Action as A;
use KeyCode as K;

#[rustfmt::skip]
pub static BINDINGS: &[Binding] = &[
    // Everywhere.
    bind!(Global, [ch('?'), code(K::F(1))], A::Help, "show this help", "help"),
    bind!(Global, [ch('q')], A::Quit, "quit (every answer is already saved)", "quit"),
    bind!(Global, [ctrl('c')], A::Quit, "quit, also while typing"),
    bind!(Global, [ctrl('z')], A::Suspend, "suspend to the shell; fg brings the wizard back"),
    bind!(Global, [code(K::Esc)], A::Back, "go back, close, cancel"),
    // Overview.
    bind!(Overview, [code(K::Up), ch('k')], A::Up, "previous phase"),
    bind!(Overview, [code(K::Down), ch('j')], A::Down, "next phase", "move"),
    bind!(Overview, [code(K::Enter), code(K::Right), ch('l')], A::Open, "open the phase's items", "open"),
    bind!(Overview, [ch('t')], A::Target, "edit the deployment target", "target"),
    bind!(Overview, [ch('s')], A::Review, "review and sign", "review & sign"),
    bind!(Overview, [ch('R')], A::RerunAll, "re-run every automatic check", "re-run checks"),
    // Items of a phase.
    bind!(Items, [code(K::Up), ch('k')], A::Up, "previous item"),
    bind!(Items, [code(K::Down), ch('j')], A::Down, "next item", "move"),
    bind!(Items, [code(K::Home), ch('g')], A::Top, "first item"),
    bind!(Items, [code(K::End), ch('G')], A::Bottom, "last item"),
    bind!(Items, [code(K::PageUp), ctrl('u')], A::PageUp, "page up"),
    bind!(Items, [code(K::PageDown), ctrl('d')], A::PageDown, "page down"),
    bind!(Items, [code(K::Enter)], A::Open, "show the item's detail", "detail"),
    bind!(Items, [ch('p')], A::Record(Status::Pass), "record pass (saved at once)", "pass"),
    bind!(Items, [ch('f')], A::Record(Status::Fail), "record fail (saved at once)", "fail"),
    bind!(Items, [ch('n')], A::Record(Status::NotApplicable), "record not applicable (saved at once)", "n/a"),
    bind!(Items, [ch('a')], A::RiskAccept, "accept the risk (justification and expiry)", "risk"),
    bind!(Items, [ch('e')], A::Edit, "edit status, note and evidence", "edit"),
    bind!(Items, [ch('r')], A::Rerun, "re-run this item's automatic checks"),
    bind!(Items, [ch('R')], A::RerunAll, "re-run every automatic check"),
    bind!(Items, [ch('/')], A::Filter, "filter: all, matching text, open, needs review, failing, manual, automatic, by category", "filter"),
    bind!(Items, [code(K::Left), ch('h')], A::PrevPhase, "previous phase"),
    bind!(Items, [code(K::Right), ch('l')], A::NextPhase, "next phase"),
    bind!(Items, [ch('t')], A::Target, "edit the deployment target"),
    bind!(Items, [ch('s')], A::Review, "review and sign"),
    // Item detail.
    bind!(Detail, [code(K::Up), ch('k')], A::Up, "scroll up"),
    bind!(Detail, [code(K::Down), ch('j')], A::Down, "scroll down", "scroll"),
    bind!(Detail, [code(K::PageUp), ctrl('u')], A::PageUp, "page up"),
    bind!(Detail, [code(K::PageDown), ctrl('d'), ch(' ')], A::PageDown, "page down"),
    bind!(Detail, [code(K::Left), ch('h'), ch('[')], A::PrevItem, "previous item"),
    bind!(Detail, [code(K::Right), ch('l'), ch(']')], A::NextItem, "next item", "next item"),
    bind!(Detail, [ch('p')], A::Record(Status::Pass), "record pass (saved at once)", "pass"),
    bind!(Detail, [ch('f')], A::Record(Status::Fail), "record fail (saved at once)", "fail"),
    bind!(Detail, [ch('n')], A::Record(Status::NotApplicable), "record not applicable (saved at once)", "n/a"),
    bind!(Detail, [ch('a')], A::RiskAccept, "accept the risk (justification and expiry)", "risk"),
    bind!(Detail, [ch('e'), code(K::Enter)], A::Edit, "edit status, note and evidence", "edit"),
    bind!(Detail, [ch('r')], A::Rerun, "re-run this item's automatic checks", "re-run"),
    bind!(Detail, [ch('R')], A::RerunAll, "re-run every automatic check"),
    bind!(Detail, [ch('t')], A::Target, "edit the deployment target"),
    bind!(Detail, [ch('s')], A::Review, "review and sign"),
    // Forms.
    bind!(Form, [code(K::Tab), code(K::Down)], A::NextField, "next field", "next field"),
    bind!(Form, [code(K::BackTab), code(K::Up)], A::PrevField, "previous field"),
    bind!(Form, [code(K::Enter)], A::Submit, "save (validated first)", "save"),
    bind!(Form, [code(K::Esc)], A::Back, "cancel (nothing is saved)", "cancel"),
    // Typing in a field.
    bind!(TextEdit, [code(K::Left)], A::Left, "cursor left; on Status: previous status"),
    bind!(TextEdit, [code(K::Right)], A::Right, "cursor right; on Status: next status"),
    bind!(TextEdit, [code(K::Home), ctrl('a')], A::LineStart, "start of the field"),
    bind!(TextEdit, [code(K::End), ctrl('e')], A::LineEnd, "end of the field"),
    bind!(TextEdit, [code(K::Backspace)], A::Backspace, "delete before the cursor"),
    bind!(TextEdit, [code(K::Delete)], A::Delete, "delete under the cursor"),
    bind!(TextEdit, [ctrl('u')], A::ClearField, "clear the field"),
    Binding {
        context: Context::TextEdit,
        keys: &[],
        keys_label: Some("letters"),
        action: None,
        desc: "type into the focused field; on Status, p f n a choose the status",
        hint: None,
    },
    // Target.
    bind!(Target, [code(K::F(2))], A::Pick, "pick a value discovered in Azure for the focused field", "pick discovered"),
    // Search.
    bind!(Search, [code(K::Enter)], A::Submit, "keep the text filter (empty: show all)", "keep"),
    bind!(Search, [code(K::Esc)], A::Back, "cancel: the filter before comes back", "cancel"),
    // Review and sign.
    bind!(Review, [code(K::Up), ch('k')], A::Up, "scroll up"),
    bind!(Review, [code(K::Down), ch('j')], A::Down, "scroll down", "scroll"),
    bind!(Review, [code(K::PageUp), ctrl('u')], A::PageUp, "page up"),
    bind!(Review, [code(K::PageDown), ctrl('d'), ch(' ')], A::PageDown, "page down"),
    bind!(Review, [ch('s'), code(K::Enter)], A::Sign, "sign with name and role", "sign"),
    bind!(Review, [ch('w')], A::WriteAttestation, "write the attestation", "write attestation"),
    // Pick lists.
    bind!(Picker, [code(K::Up), ch('k')], A::Up, "previous choice"),
    bind!(Picker, [code(K::Down), ch('j')], A::Down, "next choice", "move"),
    bind!(Picker, [code(K::Enter)], A::Submit, "choose", "choose"),
    // Help.
    bind!(Help, [code(K::Up), ch('k')], A::Up, "scroll up"),
    bind!(Help, [code(K::Down), ch('j')], A::Down, "scroll down", "scroll"),
    bind!(Help, [code(K::PageUp), ctrl('u')], A::PageUp, "page up"),
    bind!(Help, [code(K::PageDown), ctrl('d'), ch(' ')], A::PageDown, "page down"),
    bind!(Help, [ch('q'), ch('?'), code(K::F(1))], A::Back, "close the help", "close"),
];

/// The action a key does in `context`: the context's own bindings first, then the global
/// ones (whose plain letters do not apply while typing).
pub fn lookup(context: Context, event: &KeyEvent) -> Option<Action> {
    let key = Key::from_event(event);
    let in_context = |c: Context| {
        BINDINGS
            .iter()
            .filter(move |b| b.context == c)
            .find(|b| b.keys.contains(&key))
            .and_then(|b| b.action)
    };
    context
        .chain()
        .iter()
        .find_map(|&c| in_context(c))
        .or_else(|| {
            if context.takes_text() && key.typed_char().is_some() {
                None
            } else {
                in_context(Context::Global)
            }
        })
}

/// One entry of the hint line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hint {
    pub keys: String,
    pub text: &'static str,
    /// A global binding (help, quit): kept when the line is short of room.
    pub global: bool,
}

/// The hint line for a context: the context's own bindings first, global ones last. While
/// typing, keys that type text are left out; a global binding whose keys the context
/// rebinds (`q` closes Help) is left out too.
pub fn hints(context: Context) -> Vec<Hint> {
    let chain = context.chain();
    let rebound = |k: &Key| {
        BINDINGS
            .iter()
            .any(|b| chain.contains(&b.context) && b.keys.contains(k))
    };
    let mut out: Vec<Hint> = Vec::new();
    for c in chain.iter().chain(std::iter::once(&Context::Global)) {
        let global = *c == Context::Global;
        for b in BINDINGS.iter().filter(|b| b.context == *c) {
            let Some(text) = b.hint else { continue };
            if global && b.keys.iter().any(rebound) {
                continue;
            }
            let keys: Vec<String> = b
                .keys
                .iter()
                .filter(|k| !(context.takes_text() && k.typed_char().is_some()))
                .map(Key::label)
                .collect();
            if keys.is_empty() || out.iter().any(|h| h.text == text) {
                continue;
            }
            out.push(Hint {
                keys: keys.join("/"),
                text,
                global,
            });
        }
    }
    out
}

/// Help: every binding, grouped by context, in table order.
pub fn help_sections() -> Vec<(Context, Vec<(String, &'static str)>)> {
    Context::ALL
        .iter()
        .map(|&c| {
            (
                c,
                BINDINGS
                    .iter()
                    .filter(|b| b.context == c)
                    .map(|b| (b.keys_text(), b.desc))
                    .collect(),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode, mods: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, mods)
    }

    #[test]
    fn context_bindings_win_over_global_ones() {
        let q = key(KeyCode::Char('q'), KeyModifiers::NONE);
        assert_eq!(lookup(Context::Items, &q), Some(Action::Quit));
        assert_eq!(lookup(Context::Help, &q), Some(Action::Back));
    }

    #[test]
    fn letters_are_text_in_forms_but_control_keys_still_work() {
        let q = key(KeyCode::Char('q'), KeyModifiers::NONE);
        assert_eq!(lookup(Context::Form, &q), None);
        assert_eq!(lookup(Context::Target, &q), None);
        let ctrl_c = key(KeyCode::Char('c'), KeyModifiers::CONTROL);
        assert_eq!(lookup(Context::Form, &ctrl_c), Some(Action::Quit));
        let f1 = key(KeyCode::F(1), KeyModifiers::NONE);
        assert_eq!(lookup(Context::Form, &f1), Some(Action::Help));
        let f2 = key(KeyCode::F(2), KeyModifiers::NONE);
        assert_eq!(lookup(Context::Target, &f2), Some(Action::Pick));
        assert_eq!(lookup(Context::Form, &f2), None);
    }

    #[test]
    fn shift_is_in_the_character_and_backtab_in_the_code() {
        let shift_r = key(KeyCode::Char('R'), KeyModifiers::SHIFT);
        assert_eq!(lookup(Context::Items, &shift_r), Some(Action::RerunAll));
        let backtab = key(KeyCode::BackTab, KeyModifiers::SHIFT);
        assert_eq!(lookup(Context::Form, &backtab), Some(Action::PrevField));
    }

    #[test]
    fn no_key_is_bound_twice_in_one_context() {
        for c in Context::ALL {
            let keys: Vec<Key> = BINDINGS
                .iter()
                .filter(|b| b.context == c)
                .flat_map(|b| b.keys.iter().copied())
                .collect();
            for (i, k) in keys.iter().enumerate() {
                assert!(
                    !keys[i + 1..].contains(k),
                    "{} bound twice in {c:?}",
                    k.label()
                );
            }
        }
    }

    #[test]
    fn help_lists_every_binding_and_hints_come_from_the_table() {
        let rows: usize = help_sections().iter().map(|(_, r)| r.len()).sum();
        assert_eq!(rows, BINDINGS.len());
        let pairs = |c| {
            hints(c)
                .into_iter()
                .map(|h| (h.keys, h.text))
                .collect::<Vec<_>>()
        };
        let items = pairs(Context::Items);
        assert_eq!(items.first().map(|(k, _)| k.as_str()), Some("↓/j"));
        assert!(items.iter().any(|(k, h)| k == "p" && *h == "pass"));
        assert!(items.iter().any(|(k, h)| k == "?/F1" && *h == "help"));
        // While typing, `q` and `?` are text: the hints do not offer them.
        let form = pairs(Context::Form);
        assert!(form.iter().all(|(k, _)| k != "q"));
        assert!(form.iter().any(|(k, h)| k == "F1" && *h == "help"));
        assert!(form.iter().any(|(k, _)| k == "Esc"));
        // Help rebinds q, ? and F1 to close: no "help" or "quit" hint there.
        let help = pairs(Context::Help);
        assert!(
            help.iter().all(|(_, h)| *h != "help" && *h != "quit"),
            "{help:?}"
        );
    }
}
