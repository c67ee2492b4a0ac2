//! The full-screen wizard's state and its one update function: a message in, the state
//! changed, effects out. Nothing here does I/O: the runtime executes the effects (save an
//! answer through the [`Session`](crate::session::Session), run the checks, write the
//! attestation, quit) and their results come back as messages. What each key does on each
//! screen is in the private `keys` module.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use crossterm::event::KeyEvent;
use jiff::Timestamp;
use jiff::civil::Date;

use super::field::TextField;
use super::keymap::Context;
use super::theme::Theme;
use crate::checklist::{Checklist, DocumentSource, Item, Phase};
use crate::clock::Clock;
use crate::engine::{AutoStatus, CheckStatus, ItemResult, Progress, Report, Summary};
use crate::session::{AnswerError, AnswerInput, contradicts, validate_answer};
use crate::signoff::{AutoRecord, Mark, SignOff, Status, Target};
use crate::validity::{self, Freshness};

/// Below this the layout does not fit: a "terminal too small" screen replaces it, and keys
/// only quit.
pub const MIN_WIDTH: u16 = 60;
pub const MIN_HEIGHT: u16 = 16;

/// What a frame measured, as the screens need it to page and scroll: recorded from the
/// last frame drawn ([`Msg::Layout`]), never computed by the update function.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Viewport {
    /// Rows of the body, between the header and the message line.
    pub body_height: u16,
    /// The scrolled text drawn under any popup, when there is one.
    pub text: Option<TextExtent>,
}

/// The screens that scroll a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scrolled {
    Detail(String),
    Review,
    Help,
}

/// A scrolled text as drawn: its lines at the width it had, and the rows that show them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextExtent {
    pub of: Scrolled,
    pub lines: usize,
    pub height: u16,
}

impl TextExtent {
    /// The furthest it scrolls: its last line at the bottom.
    pub fn max_scroll(&self) -> u16 {
        u16::try_from(self.lines.saturating_sub(usize::from(self.height))).unwrap_or(u16::MAX)
    }
}

impl Viewport {
    /// How far `of` scrolls, as last drawn. Not drawn yet (its keys came before the frame):
    /// unbounded, and the [`Msg::Layout`] after the next frame clamps it.
    pub fn max_scroll(&self, of: &Scrolled) -> u16 {
        match &self.text {
            Some(text) if text.of == *of => text.max_scroll(),
            _ => u16::MAX,
        }
    }

    /// Lines a page-up/down moves in lists and text.
    pub fn page(&self) -> u16 {
        self.body_height.saturating_sub(3).max(1)
    }
}

/// What the wizard is told at start.
#[derive(Debug, Clone)]
pub struct Config {
    /// Recorded as `answered_by`.
    pub author: String,
    pub signoff_path: PathBuf,
    pub attestation_path: PathBuf,
    pub color: bool,
    /// `--offline`: the automatic checks skip every network source.
    pub offline: bool,
    /// Where the log goes, shown in Help.
    pub log_path: Option<PathBuf>,
    /// `--revisit`: answers carried from earlier runs are to be reviewed too.
    pub revisit: bool,
}

/// Where the operator is: remembered between runs (see [`super::resume`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Position {
    pub phase: Phase,
    pub item: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    Info,
    Success,
    Error,
}

/// The status line: what just happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub tone: Tone,
    pub text: String,
    /// About the automatic checks: the next checks notice may replace it.
    pub about_checks: bool,
}

/// Everything that can happen: keys, the terminal, results of effects, the checks' progress.
#[derive(Debug, Clone)]
pub enum Msg {
    /// The wizard opened: start the automatic checks.
    Start,
    Key(KeyEvent),
    /// Text pasted into the terminal (bracketed paste), delivered whole.
    Paste(String),
    Resize(u16, u16),
    /// What the last frame measured, when it changed: the runtime feeds it back after
    /// drawing, so keys page and scroll by it without calling render code.
    Layout(Viewport),
    /// Animation step, sent only while something animates.
    Tick,
    /// The answer was saved (the new sign-off and whether a signature was removed), or not.
    AnswerSaved {
        item: String,
        status: Status,
        result: Result<(SignOff, bool), String>,
    },
    TargetSaved(Result<(SignOff, bool), String>),
    Signed(Result<SignOff, String>),
    AttestationWritten(Result<PathBuf, String>),
    AutoRecorded(Result<SignOff, String>),
    ChecksConfigured {
        run: u64,
        skipped_because: Option<String>,
    },
    CheckProgress {
        run: u64,
        progress: Progress,
    },
    ChecksDone {
        run: u64,
        result: Result<Report, ChecksFailed>,
    },
    /// The sign-off as it is on disk after a change (another `readiness`, an editor, a
    /// `git pull`), or why it no longer reads. The runtime's store worker watches the file
    /// and reads it on the thread that also saves, so a stale read never wins.
    SignoffOnDisk(Result<SignOff, String>),
    /// SIGTERM, SIGHUP or SIGINT: leave, restoring the terminal.
    Signal(String),
}

/// Why the automatic checks could not run at all.
#[derive(Debug, Clone, PartialEq)]
pub struct ChecksFailed {
    pub message: String,
    /// Clusters found when the resource group holds more than one (pick one on Target).
    pub clusters: Vec<String>,
}

impl Msg {
    /// The report of a store effect (see [`Effect::is_store`]).
    fn is_store_result(&self) -> bool {
        matches!(
            self,
            Msg::AnswerSaved { .. }
                | Msg::TargetSaved(_)
                | Msg::Signed(_)
                | Msg::AttestationWritten(_)
                | Msg::AutoRecorded(_)
        )
    }
}

/// What the runtime does for the update function.
#[derive(Debug, Clone)]
pub enum Effect {
    SaveAnswer {
        item: String,
        input: AnswerInput,
    },
    SetTarget(Target),
    Sign {
        name: String,
        role: String,
    },
    WriteAttestation(PathBuf),
    /// Start run `run` of the automatic checks (all items, or one); replaces a running one.
    RunChecks {
        run: u64,
        only: Option<String>,
    },
    RecordAuto(Vec<(String, AutoRecord)>),
    /// Hand the terminal back to the shell until the job is continued (Ctrl-Z).
    Suspend,
    Quit,
}

impl Effect {
    /// Runs on the runtime's store worker (it may wait for another process's lock) and is
    /// reported by exactly one message: [`Msg::AnswerSaved`], [`Msg::TargetSaved`],
    /// [`Msg::Signed`], [`Msg::AttestationWritten`] or [`Msg::AutoRecorded`].
    pub fn is_store(&self) -> bool {
        matches!(
            self,
            Effect::SaveAnswer { .. }
                | Effect::SetTarget(_)
                | Effect::Sign { .. }
                | Effect::WriteAttestation(_)
                | Effect::RecordAuto(_)
        )
    }
}

/// Ticks (100 ms each) a store effect may take before the screen says it is waiting.
const SLOW_SAVE_TICKS: u32 = 3;

/// Store effects sent to the runtime and not reported back yet.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Saving {
    pub pending: usize,
    /// Ticks since a save started waiting (reset when none is pending).
    pub waited: u32,
    /// The operator asked to quit: the wizard closes once the last one is reported, so a
    /// confirmed answer is never lost.
    pub then_quit: bool,
}

impl Saving {
    /// A save has been waiting long enough to say so (another process holds the lock).
    pub fn slow(&self) -> bool {
        self.pending > 0 && (self.waited >= SLOW_SAVE_TICKS || self.then_quit)
    }
}

/// The automatic checks: the run in progress or the last one.
#[derive(Debug, Clone, Default)]
pub struct Checks {
    pub run: u64,
    pub running: bool,
    pub only: Option<String>,
    pub discovering: bool,
    /// Sources whose documents have not arrived yet in this run.
    pub pending: BTreeSet<DocumentSource>,
    pub fetched: usize,
    /// Azure documents to read, once discovery has said.
    pub documents: usize,
    pub skipped_because: Option<String>,
    pub summary: Option<Summary>,
    pub failed: Option<String>,
    /// The latest result per item, including checks that were skipped and why.
    pub live: BTreeMap<String, ItemResult>,
    /// Verdicts of this run that evaluated at least one check, as they arrive: newer than
    /// the sign-off's records until those are saved at the end of the run.
    pub fresh: BTreeMap<String, AutoRecord>,
}

/// What the automatic column shows for an item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemCheck {
    /// The item has no automatic checks.
    Manual,
    /// Its documents are loading (or being evaluated).
    Checking,
    Result(AutoStatus),
    /// Every check was skipped (offline, no target).
    Skipped,
    /// Automatic, not run yet.
    NotRun,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Filter {
    All,
    /// Answers to look at again in this run (see [`State::needs_review`]).
    Review,
    Open,
    /// Answered fail, or the automatic result fails.
    Failing,
    Manual,
    Automatic,
    Category(String),
    /// Items whose id, title, category or guidance contain the text (any case); empty in
    /// the filter picker, where choosing it opens the search field.
    Text(String),
}

impl Filter {
    pub fn label(&self) -> String {
        match self {
            Filter::All => "all".into(),
            Filter::Review => "needs review".into(),
            Filter::Open => "open".into(),
            Filter::Failing => "failing".into(),
            Filter::Manual => "manual".into(),
            Filter::Automatic => "automatic".into(),
            Filter::Category(c) => format!("category {c}"),
            Filter::Text(q) if q.is_empty() => "matching text…".into(),
            Filter::Text(q) => format!("matching \"{q}\""),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemsView {
    pub phase: Phase,
    /// Index into the filtered list.
    pub selected: usize,
    pub filter: Filter,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnswerField {
    Status,
    Note,
    Evidence,
    Override,
    Justification,
    Expires,
}

impl AnswerField {
    pub fn label(self) -> &'static str {
        match self {
            AnswerField::Status => "Status",
            AnswerField::Note => "Note",
            AnswerField::Evidence => "Evidence",
            AnswerField::Override => "Why override",
            AnswerField::Justification => "Justification",
            AnswerField::Expires => "Expires on",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnswerForm {
    pub item: String,
    pub status: Status,
    pub note: TextField,
    /// Links or paths, separated by commas.
    pub evidence: TextField,
    pub override_reason: TextField,
    pub justification: TextField,
    pub expires: TextField,
    pub focus: AnswerField,
    pub error: Option<String>,
    /// The automatic result when the form opened: a contradicting status needs a reason.
    pub auto: Option<AutoStatus>,
}

impl AnswerForm {
    pub fn needs_override(&self) -> bool {
        self.auto.is_some_and(|a| contradicts(a, self.status))
    }

    /// The fields shown for the chosen status.
    pub fn fields(&self) -> Vec<AnswerField> {
        let mut f = vec![
            AnswerField::Status,
            AnswerField::Note,
            AnswerField::Evidence,
        ];
        if self.needs_override() {
            f.push(AnswerField::Override);
        }
        if self.status == Status::RiskAccepted {
            f.extend([AnswerField::Justification, AnswerField::Expires]);
        }
        f
    }

    pub fn text(&self, field: AnswerField) -> Option<&TextField> {
        match field {
            AnswerField::Status => None,
            AnswerField::Note => Some(&self.note),
            AnswerField::Evidence => Some(&self.evidence),
            AnswerField::Override => Some(&self.override_reason),
            AnswerField::Justification => Some(&self.justification),
            AnswerField::Expires => Some(&self.expires),
        }
    }

    pub(super) fn text_mut(&mut self, field: AnswerField) -> Option<&mut TextField> {
        match field {
            AnswerField::Status => None,
            AnswerField::Note => Some(&mut self.note),
            AnswerField::Evidence => Some(&mut self.evidence),
            AnswerField::Override => Some(&mut self.override_reason),
            AnswerField::Justification => Some(&mut self.justification),
            AnswerField::Expires => Some(&mut self.expires),
        }
    }
}

/// The target fields in file order: (sign-off field, label, placeholder).
pub const TARGET_FIELDS: [(&str, &str, &str); 7] = [
    ("name", "Deployment name", "e.g. robotics-prod-westeurope"),
    ("environment", "Environment", "dev, staging, prod, …"),
    ("subscription", "Subscription", "Azure subscription id"),
    ("resource_group", "Resource group", "the resource group"),
    (
        "cluster",
        "AKS cluster",
        "optional: found if it is the only one",
    ),
    (
        "key_vault",
        "Key vault",
        "optional: found if it is the only one",
    ),
    (
        "registry",
        "Registry",
        "optional: found if it is the only one",
    ),
];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetForm {
    /// One per [`TARGET_FIELDS`] entry.
    pub fields: Vec<TextField>,
    pub focus: usize,
    pub error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignForm {
    pub name: TextField,
    pub role: TextField,
    /// 0: name, 1: role.
    pub focus: usize,
    pub error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PickFor {
    Filter(Vec<Filter>),
    /// Index into [`TARGET_FIELDS`].
    TargetField(usize),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Picker {
    pub purpose: PickFor,
    pub title: String,
    pub options: Vec<String>,
    pub selected: usize,
}

/// The screens, stacked: the overview at the bottom, Esc pops the top one. Forms and pick
/// lists are drawn over the screen below them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Screen {
    Overview {
        phase: usize,
    },
    /// Typing a text filter over the items list below, which follows every keystroke;
    /// Esc puts `previous` back.
    Search {
        query: TextField,
        previous: Filter,
    },
    Items(ItemsView),
    Detail {
        item: String,
        scroll: u16,
    },
    Answer(AnswerForm),
    Target(TargetForm),
    Review {
        scroll: u16,
    },
    Sign(SignForm),
    Pick(Picker),
    Help {
        scroll: u16,
    },
}

impl Screen {
    pub fn context(&self) -> Context {
        match self {
            Screen::Overview { .. } => Context::Overview,
            Screen::Items(_) => Context::Items,
            Screen::Detail { .. } => Context::Detail,
            Screen::Answer(_) | Screen::Sign(_) => Context::Form,
            Screen::Search { .. } => Context::Search,
            Screen::Target(_) => Context::Target,
            Screen::Review { .. } => Context::Review,
            Screen::Pick(_) => Context::Picker,
            Screen::Help { .. } => Context::Help,
        }
    }

    /// Drawn over the screen below.
    pub fn is_popup(&self) -> bool {
        matches!(
            self,
            Screen::Answer(_) | Screen::Sign(_) | Screen::Pick(_) | Screen::Search { .. }
        )
    }
}

/// Forced panics for the end-to-end tests (the `test-hooks` feature's `READINESS_TEST_PANIC`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TestPanic {
    Render,
    Task,
}

pub struct State {
    pub checklist: Checklist,
    pub signoff: SignOff,
    pub clock: Clock,
    /// When the wizard opened: answers older than this were carried from earlier runs.
    pub started: Timestamp,
    pub config: Config,
    pub theme: Theme,
    /// The terminal's size (columns, rows).
    pub size: (u16, u16),
    /// What the last frame measured.
    pub viewport: Viewport,
    pub screens: Vec<Screen>,
    pub checks: Checks,
    pub saving: Saving,
    pub message: Option<Message>,
    /// Animation frame.
    pub tick: u64,
    pub answered_this_run: usize,
    /// Values found in Azure, by target field, to pick from on the Target screen.
    pub discovered: BTreeMap<&'static str, Vec<String>>,
    pub attestation_written: Option<PathBuf>,
    /// Why the wizard is closing, when a signal closed it.
    pub stopped_by: Option<String>,
    /// Test hook: the next render panics.
    pub panic_in_render: bool,
    next_run: u64,
}

impl State {
    pub fn new(
        checklist: Checklist,
        signoff: SignOff,
        clock: Clock,
        config: Config,
        resume: Option<Position>,
    ) -> Self {
        let mut state = Self {
            theme: Theme::new(config.color),
            started: clock.now(),
            checklist,
            signoff,
            clock,
            config,
            size: (80, 24),
            viewport: Viewport::default(),
            screens: vec![Screen::Overview { phase: 0 }],
            checks: Checks::default(),
            saving: Saving::default(),
            message: None,
            tick: 0,
            answered_this_run: 0,
            discovered: BTreeMap::new(),
            attestation_written: None,
            stopped_by: None,
            panic_in_render: false,
            next_run: 0,
        };
        match resume {
            Some(position) => state.resume(position),
            // A rerun opens on the first phase with answers to review.
            None => {
                if let Some(phase) = Phase::ALL.iter().position(|&p| state.review_count(p) > 0) {
                    state.screens = vec![Screen::Overview { phase }];
                }
            }
        }
        state
    }

    /// Opens the phase (and item) the operator was on; anything unknown is ignored.
    fn resume(&mut self, position: Position) {
        let phase = Phase::ALL
            .iter()
            .position(|p| *p == position.phase)
            .unwrap_or(0);
        self.screens = vec![Screen::Overview { phase }];
        let Some(id) = position.item else { return };
        let mut view = ItemsView {
            phase: position.phase,
            selected: 0,
            filter: Filter::All,
        };
        if let Some(selected) = self.visible(&view).iter().position(|i| i.id == id) {
            view.selected = selected;
            self.screens.push(Screen::Items(view));
        }
    }

    pub fn top(&self) -> &Screen {
        self.screens
            .last()
            .unwrap_or(&Screen::Overview { phase: 0 })
    }

    pub fn context(&self) -> Context {
        self.top().context()
    }

    pub fn too_small(&self) -> bool {
        self.size.0 < MIN_WIDTH || self.size.1 < MIN_HEIGHT
    }

    /// Something moves on screen, so the runtime sends ticks.
    pub fn animating(&self) -> bool {
        self.checks.running
    }

    /// The runtime sends ticks: something animates, or a save is pending (after a few
    /// ticks the screen says it is waiting).
    pub fn ticking(&self) -> bool {
        self.animating() || self.saving.pending > 0
    }

    /// Where the operator is, for resuming: the phase and item of the nearest list or detail.
    pub fn position(&self) -> Position {
        for screen in self.screens.iter().rev() {
            match screen {
                Screen::Detail { item, .. } => {
                    if let Some(i) = self.checklist.item(item) {
                        return Position {
                            phase: i.phase,
                            item: Some(i.id.clone()),
                        };
                    }
                }
                Screen::Items(view) => {
                    return Position {
                        phase: view.phase,
                        item: self.visible(view).get(view.selected).map(|i| i.id.clone()),
                    };
                }
                Screen::Overview { phase } => {
                    return Position {
                        phase: Phase::ALL.get(*phase).copied().unwrap_or(Phase::ALL[0]),
                        item: None,
                    };
                }
                _ => {}
            }
        }
        Position {
            phase: Phase::ALL[0],
            item: None,
        }
    }

    pub fn mark(&self, item: &Item) -> Mark {
        self.signoff.mark(&item.id)
    }

    /// Where the item's answer stands today (lapsed, changed, valid through …).
    pub fn freshness(&self, item: &Item) -> Freshness {
        validity::assess(&self.checklist, item, &self.signoff, self.clock.today())
    }

    /// Answered before this run opened.
    pub fn carried(&self, item: &Item) -> bool {
        self.signoff
            .items
            .get(&item.id)
            .is_some_and(|a| a.answered_at < self.started)
    }

    /// The answer must be looked at again in this run: it lapsed, its risk acceptance
    /// expired, the item changed, a newer automatic fail contradicts it, or — with
    /// `--revisit` — it was carried from an earlier run.
    pub fn needs_review(&self, item: &Item) -> bool {
        self.freshness(item).needs_review() || (self.config.revisit && self.carried(item))
    }

    /// Answers of a phase to review.
    pub fn review_count(&self, phase: Phase) -> usize {
        self.checklist
            .items_in(phase)
            .filter(|i| self.needs_review(i))
            .count()
    }

    /// The short freshness cell of a list row: `↻ lapsed`, `↻ revisit`, `12d ago`, `today`.
    pub fn freshness_badge(&self, item: &Item) -> String {
        let freshness = self.freshness(item);
        if !freshness.needs_review() && self.config.revisit && self.carried(item) {
            return "↻ revisit".into();
        }
        freshness.badge(self.clock.today())
    }

    /// The newest automatic verdict with its evidence: this run's, else the recorded one.
    pub fn auto_record(&self, item: &Item) -> Option<&AutoRecord> {
        self.checks
            .fresh
            .get(&item.id)
            .or_else(|| self.signoff.auto.get(&item.id))
    }

    /// The newest automatic verdict (none when the item is manual or was never checked).
    pub fn auto_status(&self, item: &Item) -> Option<AutoStatus> {
        self.auto_record(item)
            .map(|r| r.status)
            .filter(|s| *s != AutoStatus::Manual)
    }

    fn in_scope(&self, item: &Item) -> bool {
        self.checks.running && self.checks.only.as_ref().is_none_or(|id| *id == item.id)
    }

    /// In this run's scope and its verdict not in yet.
    fn awaiting(&self, item: &Item) -> bool {
        self.in_scope(item) && !self.checks.live.contains_key(&item.id)
    }

    pub fn item_check(&self, item: &Item) -> ItemCheck {
        if !item.is_automated() {
            return ItemCheck::Manual;
        }
        if self.awaiting(item) {
            return ItemCheck::Checking;
        }
        if let Some(status) = self.auto_status(item) {
            return ItemCheck::Result(status);
        }
        match self.checks.live.get(&item.id) {
            Some(r) if r.checks.iter().all(|c| c.status == CheckStatus::Skipped) => {
                ItemCheck::Skipped
            }
            Some(r) if r.status != AutoStatus::Manual => ItemCheck::Result(r.status),
            _ => ItemCheck::NotRun,
        }
    }

    /// Sources of `item` whose documents are still loading in this run.
    pub fn pending_sources(&self, item: &Item) -> Vec<DocumentSource> {
        if !self.awaiting(item) {
            return Vec::new();
        }
        let mut out: Vec<DocumentSource> = item
            .checks
            .iter()
            .map(|c| c.source)
            .filter(|s| self.checks.pending.contains(s))
            .collect();
        out.dedup();
        out
    }

    pub fn matches(&self, filter: &Filter, item: &Item) -> bool {
        match filter {
            Filter::All => true,
            Filter::Review => self.needs_review(item),
            Filter::Open => self.mark(item) == Mark::Open,
            Filter::Failing => {
                self.mark(item) == Mark::Fail || self.auto_status(item) == Some(AutoStatus::Fail)
            }
            Filter::Manual => !item.is_automated(),
            Filter::Automatic => item.is_automated(),
            Filter::Category(c) => item.category == *c,
            Filter::Text(q) => {
                let q = q.to_lowercase();
                [&item.id, &item.title, &item.category, &item.guidance]
                    .iter()
                    .any(|text| text.to_lowercase().contains(&q))
            }
        }
    }

    /// The items a list shows: answers to review first, then the rest, each in checklist
    /// order.
    pub fn visible(&self, view: &ItemsView) -> Vec<&Item> {
        let (mut review, rest): (Vec<&Item>, Vec<&Item>) = self
            .checklist
            .items_in(view.phase)
            .filter(|i| self.matches(&view.filter, i))
            .partition(|i| self.needs_review(i));
        review.extend(rest);
        review
    }

    pub(super) fn visible_ids(&self, view: &ItemsView) -> Vec<String> {
        self.visible(view).iter().map(|i| i.id.clone()).collect()
    }

    /// Counts by mark for a phase (`None`: every phase), in [`Mark::ALL`] order.
    pub fn counts(&self, phase: Option<Phase>) -> [usize; 5] {
        let mut counts = [0; 5];
        for item in self
            .checklist
            .items
            .iter()
            .filter(|i| phase.is_none_or(|p| i.phase == p))
        {
            let mark = self.mark(item);
            if let Some(n) = Mark::ALL.iter().position(|m| *m == mark) {
                counts[n] += 1;
            }
        }
        counts
    }

    pub(super) fn say(&mut self, tone: Tone, text: impl Into<String>) {
        self.message = Some(Message {
            tone,
            text: text.into(),
            about_checks: false,
        });
    }

    /// A routine notice about the automatic checks: it never replaces what the operator's
    /// last action said (the header shows the checks anyway).
    pub(super) fn notice(&mut self, text: impl Into<String>) {
        if self.message.as_ref().is_none_or(|m| m.about_checks) {
            self.message = Some(Message {
                tone: Tone::Info,
                text: text.into(),
                about_checks: true,
            });
        }
    }

    pub(super) fn answer_form(
        &self,
        item: &Item,
        status: Option<Status>,
        focus: AnswerField,
    ) -> AnswerForm {
        let draft = crate::session::AnswerDraft::start(
            &self.checklist,
            self.signoff.items.get(&item.id),
            self.auto_status(item),
            self.clock.today(),
        );
        let mut form = AnswerForm {
            item: item.id.clone(),
            status: status.unwrap_or(draft.status),
            note: TextField::new(draft.note),
            evidence: TextField::new(draft.evidence),
            override_reason: TextField::new(draft.override_reason),
            justification: TextField::new(draft.justification),
            expires: TextField::new(draft.expires),
            focus,
            error: None,
            auto: draft.auto,
        };
        if !form.fields().contains(&form.focus) {
            form.focus = AnswerField::Status;
        }
        form
    }
}

/// Validates the form with the session's own rules; a valid answer becomes a save.
pub(super) fn submit_answer(state: &State, form: &mut AnswerForm) -> Vec<Effect> {
    let risk = form.status == Status::RiskAccepted;
    let expires = if risk {
        let text = form.expires.value.trim();
        if text.is_empty() {
            None
        } else {
            match text.parse::<Date>() {
                Ok(d) => Some(d),
                Err(_) => {
                    form.focus = AnswerField::Expires;
                    form.error = Some(format!("{text:?} is not a date; use YYYY-MM-DD."));
                    return Vec::new();
                }
            }
        }
    } else {
        None
    };
    if form.needs_override() && form.override_reason.value.trim().is_empty() {
        form.focus = AnswerField::Override;
        form.error = Some(format!(
            "The automatic check says {}; say why the answer is {}.",
            form.auto.map_or("", |a| a.label()),
            form.status.mark()
        ));
        return Vec::new();
    }
    let input = AnswerInput {
        status: Some(form.status),
        note: form.note.value.clone(),
        evidence: crate::session::split_list(&form.evidence.value),
        justification: risk.then(|| form.justification.value.clone()),
        expires,
        by: state.config.author.clone(),
        override_reason: form
            .needs_override()
            .then(|| form.override_reason.value.clone()),
    };
    match validate_answer(&state.checklist, &form.item, input.clone(), &state.clock) {
        Ok(_) => {
            form.error = None;
            vec![Effect::SaveAnswer {
                item: form.item.clone(),
                input,
            }]
        }
        Err(e) => {
            form.focus = match e {
                AnswerError::MissingJustification => AnswerField::Justification,
                AnswerError::MissingExpiry
                | AnswerError::ExpiryNotInFuture { .. }
                | AnswerError::ExpiryTooFar { .. } => AnswerField::Expires,
                AnswerError::EmptyEvidence => AnswerField::Evidence,
                _ => form.focus,
            };
            form.error = Some(match e {
                AnswerError::MissingJustification => {
                    "A risk acceptance needs a justification.".to_string()
                }
                AnswerError::MissingExpiry => {
                    "A risk acceptance needs an expiry date (YYYY-MM-DD).".to_string()
                }
                other => sentence(&other.to_string()),
            });
            Vec::new()
        }
    }
}

/// `some text` → `Some text.`
fn sentence(text: &str) -> String {
    let mut chars = text.chars();
    let mut out: String = chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default();
    if !out.ends_with('.') {
        out.push('.');
    }
    out
}

/// Starts the automatic checks for every item, or one.
pub(super) fn start_checks(state: &mut State, only: Option<String>) -> Vec<Effect> {
    let scope: Vec<&Item> = match &only {
        Some(id) => match state.checklist.item(id) {
            Some(item) if item.is_automated() => vec![item],
            _ => {
                state.say(Tone::Info, "This item has no automatic checks.");
                return Vec::new();
            }
        },
        None => state.checklist.items.iter().collect(),
    };
    if only.is_some() && state.checks.running {
        state.say(
            Tone::Info,
            "The automatic checks are running; wait for them, or press R to start them all again.",
        );
        return Vec::new();
    }
    let pending = scope
        .iter()
        .flat_map(|i| i.checks.iter().map(|c| c.source))
        .collect();
    state.next_run += 1;
    let run = state.next_run;
    // Results outside the scope stay on screen; those inside wait for this run's.
    let mut live = std::mem::take(&mut state.checks.live);
    let mut fresh = std::mem::take(&mut state.checks.fresh);
    for item in &scope {
        live.remove(&item.id);
        fresh.remove(&item.id);
    }
    state.checks = Checks {
        run,
        running: true,
        only: only.clone(),
        pending,
        live,
        fresh,
        summary: state.checks.summary,
        ..Checks::default()
    };
    vec![Effect::RunChecks { run, only }]
}

/// Verdicts that arrived before the end of the run: shown at once.
fn evaluated(state: &mut State, items: Vec<ItemResult>) {
    let checked_at = state.clock.now();
    for item in items {
        let in_scope = state
            .checklist
            .item(&item.id)
            .is_some_and(|i| state.in_scope(i));
        if !in_scope {
            continue;
        }
        if item.checks.iter().any(|c| c.status != CheckStatus::Skipped) {
            let record = AutoRecord::from_result(&item, checked_at);
            state.checks.fresh.insert(item.id.clone(), record);
        }
        state.checks.live.insert(item.id.clone(), item);
    }
}

fn checks_done(state: &mut State, run: u64, result: Result<Report, ChecksFailed>) -> Vec<Effect> {
    if run != state.checks.run {
        return Vec::new();
    }
    state.checks.running = false;
    state.checks.discovering = false;
    state.checks.pending.clear();
    let only = state.checks.only.clone();
    match result {
        Err(failed) => {
            if !failed.clusters.is_empty() {
                state.discovered.insert("cluster", failed.clusters.clone());
            }
            state.checks.failed = Some(failed.message.clone());
            let hint = if failed.clusters.is_empty() {
                ""
            } else {
                " Pick the cluster on the Target screen (t, then F2 on AKS cluster)."
            };
            state.say(
                Tone::Error,
                format!(
                    "The automatic checks could not run: {}.{hint}",
                    failed.message.trim_end_matches('.')
                ),
            );
            Vec::new()
        }
        Ok(report) => {
            state.checks.failed = None;
            if let Some(d) = &report.deployment {
                for (field, found) in [
                    ("cluster", &d.cluster),
                    ("key_vault", &d.key_vault),
                    ("registry", &d.registry),
                ] {
                    if let Some(r) = found {
                        state.discovered.insert(field, vec![r.name.clone()]);
                    }
                }
            }
            let records: Vec<(String, AutoRecord)> = report
                .items
                .iter()
                .filter(|i| i.checks.iter().any(|c| c.status != CheckStatus::Skipped))
                .map(|i| (i.id.clone(), AutoRecord::from_result(i, report.checked_at)))
                .collect();
            let checked = records.len();
            for item in report.items {
                state.checks.live.insert(item.id.clone(), item);
            }
            state.checks.fresh.extend(records.iter().cloned());
            if only.is_none() {
                state.checks.summary = Some(report.summary);
            }
            match (&only, checked) {
                (Some(id), 0) => state.notice(format!(
                    "{id}: not checked: {}",
                    state
                        .checks
                        .skipped_because
                        .as_deref()
                        .unwrap_or("no source")
                )),
                (Some(id), _) => {
                    let label = state.checks.live.get(id).map_or("", |r| r.status.label());
                    state.notice(format!("{id} checked again: {label}."));
                }
                (None, 0) => state.notice(format!(
                    "Automatic checks skipped: {}.",
                    state
                        .checks
                        .skipped_because
                        .as_deref()
                        .unwrap_or("no source to read")
                        .trim_end_matches('.')
                )),
                (None, _) => {
                    let s = report.summary;
                    state.notice(format!(
                        "Automatic checks done: {} pass · {} fail · {} error · {} manual.",
                        s.pass, s.fail, s.error, s.manual
                    ));
                }
            }
            if records.is_empty() {
                Vec::new()
            } else {
                vec![Effect::RecordAuto(records)]
            }
        }
    }
}

/// The one update function.
pub fn update(state: &mut State, msg: Msg) -> Vec<Effect> {
    // A list reorders when an answer lapses or a new automatic fail reopens one: what the
    // operator selected stays selected unless a key of theirs moved it (a save moves on).
    // (Ticks and resizes reorder nothing: no need to look.)
    let anchored = !matches!(
        msg,
        Msg::Key(_)
            | Msg::Paste(_)
            | Msg::AnswerSaved { .. }
            | Msg::Tick
            | Msg::Resize(..)
            | Msg::Layout(_)
    );
    let selection = anchored.then(|| selected_items(state));
    let reported = msg.is_store_result();
    let mut effects = dispatch(state, msg);
    if let Some(selection) = selection {
        reselect(state, selection);
    }
    track_saves(state, reported, &mut effects);
    effects
}

/// Counts the store effects in flight; quitting waits until the last one is reported.
fn track_saves(state: &mut State, reported: bool, effects: &mut Vec<Effect>) {
    let saving = &mut state.saving;
    if reported {
        saving.pending = saving.pending.saturating_sub(1);
    }
    saving.pending += effects.iter().filter(|e| e.is_store()).count();
    if saving.pending == 0 {
        saving.waited = 0;
    }
    let quit = effects.iter().any(|e| matches!(e, Effect::Quit));
    if quit && saving.pending > 0 {
        effects.retain(|e| !matches!(e, Effect::Quit));
        saving.then_quit = true;
    } else if saving.then_quit && saving.pending == 0 && !quit {
        saving.then_quit = false;
        effects.push(Effect::Quit);
    }
}

/// A text scrolled further than its lines reach (keys pressed before its first frame, a
/// resize, a shorter text) comes back to its last page.
fn clamp_scroll(state: &mut State) {
    let viewport = &state.viewport;
    for screen in &mut state.screens {
        let (of, scroll) = match screen {
            Screen::Detail { item, scroll } => (Scrolled::Detail(item.clone()), scroll),
            Screen::Review { scroll } => (Scrolled::Review, scroll),
            Screen::Help { scroll } => (Scrolled::Help, scroll),
            _ => continue,
        };
        *scroll = (*scroll).min(viewport.max_scroll(&of));
    }
}

/// Pasted text goes into the focused text field as if typed, on one line: a newline in a
/// paste must not submit the form. Anywhere else it is dropped (a pasted `q` must not quit).
fn paste(state: &mut State, text: &str) -> Vec<Effect> {
    // Where letters are text (the keymap's own rule), except on the status row.
    let typing = state.context().takes_text()
        && !matches!(state.top(), Screen::Answer(form) if form.focus == AnswerField::Status);
    if !typing {
        return Vec::new();
    }
    let typed = text
        .chars()
        .filter(|c| *c != '\r')
        .map(|c| if c.is_whitespace() { ' ' } else { c })
        .filter(|c| !c.is_control());
    let mut effects = Vec::new();
    for c in typed {
        let key = KeyEvent::new(
            crossterm::event::KeyCode::Char(c),
            crossterm::event::KeyModifiers::NONE,
        );
        effects.extend(super::keys::on_key(state, &key));
    }
    effects
}

/// The item selected in each list on the stack, by position in the stack.
fn selected_items(state: &State) -> Vec<(usize, String)> {
    state
        .screens
        .iter()
        .enumerate()
        .filter_map(|(n, screen)| match screen {
            Screen::Items(view) => state
                .visible(view)
                .get(view.selected)
                .map(|i| (n, i.id.clone())),
            _ => None,
        })
        .collect()
}

fn reselect(state: &mut State, selection: Vec<(usize, String)>) {
    for (n, id) in selection {
        let Some(Screen::Items(view)) = state.screens.get(n) else {
            continue;
        };
        let at = state.visible(view).iter().position(|i| i.id == id);
        if let (Some(at), Some(Screen::Items(view))) = (at, state.screens.get_mut(n)) {
            view.selected = at;
        }
    }
}

fn dispatch(state: &mut State, msg: Msg) -> Vec<Effect> {
    match msg {
        Msg::Start => start_checks(state, None),
        Msg::Key(event) => super::keys::on_key(state, &event),
        Msg::Resize(w, h) => {
            state.size = (w, h);
            Vec::new()
        }
        Msg::Layout(viewport) => {
            state.viewport = viewport;
            clamp_scroll(state);
            Vec::new()
        }
        Msg::Paste(text) => paste(state, &text),
        Msg::Tick => {
            state.tick = state.tick.wrapping_add(1);
            if state.saving.pending > 0 {
                state.saving.waited = state.saving.waited.saturating_add(1);
            }
            Vec::new()
        }
        Msg::AnswerSaved {
            item,
            status,
            result,
        } => answer_saved(state, item, status, result),
        Msg::TargetSaved(result) => match result {
            Ok((signoff, cleared)) => {
                if matches!(state.top(), Screen::Target(_)) {
                    state.screens.pop();
                }
                let changed = signoff.target != state.signoff.target;
                state.signoff = signoff;
                let mut text = "Target saved.".to_string();
                if cleared {
                    text.push_str(" The signature covered another target and was removed.");
                }
                state.say(Tone::Success, text);
                if changed && !state.config.offline {
                    start_checks(state, None)
                } else {
                    Vec::new()
                }
            }
            Err(e) => {
                match state.screens.last_mut() {
                    Some(Screen::Target(form)) => form.error = Some(e),
                    _ => state.say(Tone::Error, e),
                }
                Vec::new()
            }
        },
        Msg::Signed(result) => {
            match result {
                Ok(signoff) => {
                    if matches!(state.top(), Screen::Sign(_)) {
                        state.screens.pop();
                    }
                    let who = signoff
                        .signoff
                        .as_ref()
                        .map(|s| format!("{} ({})", s.name, s.role))
                        .unwrap_or_default();
                    state.signoff = signoff;
                    let path = state.config.attestation_path.display().to_string();
                    state.say(
                        Tone::Success,
                        format!("Signed by {who}. Press w to write the attestation to {path}."),
                    );
                }
                Err(e) => match state.screens.last_mut() {
                    Some(Screen::Sign(form)) => form.error = Some(e),
                    _ => state.say(Tone::Error, e),
                },
            }
            Vec::new()
        }
        Msg::AttestationWritten(result) => {
            match result {
                Ok(path) => {
                    state.say(
                        Tone::Success,
                        format!("Attestation written to {}.", path.display()),
                    );
                    state.attestation_written = Some(path);
                }
                Err(e) => state.say(Tone::Error, format!("The attestation was not written: {e}")),
            }
            Vec::new()
        }
        Msg::SignoffOnDisk(Ok(signoff)) => {
            if signoff != state.signoff {
                state.signoff = signoff;
                state.say(
                    Tone::Info,
                    "The sign-off was changed outside this wizard; the screen shows it as it is now.",
                );
            }
            Vec::new()
        }
        Msg::SignoffOnDisk(Err(e)) => {
            state.say(
                Tone::Error,
                format!(
                    "The sign-off was changed outside this wizard and no longer reads ({e}); answers cannot be saved until it is fixed."
                ),
            );
            Vec::new()
        }
        Msg::AutoRecorded(result) => {
            match result {
                Ok(signoff) => state.signoff = signoff,
                Err(e) => state.say(
                    Tone::Error,
                    format!("The automatic results were not saved: {e}"),
                ),
            }
            Vec::new()
        }
        Msg::ChecksConfigured {
            run,
            skipped_because,
        } => {
            if run == state.checks.run {
                state.checks.skipped_because = skipped_because;
            }
            Vec::new()
        }
        Msg::CheckProgress { run, progress } => {
            if run == state.checks.run && state.checks.running {
                match progress {
                    Progress::Discovering => state.checks.discovering = true,
                    Progress::Discovered { documents } => {
                        state.checks.discovering = false;
                        state.checks.documents = documents;
                    }
                    Progress::Fetching(_) => {}
                    Progress::Fetched { source, .. } => {
                        state.checks.pending.remove(&source);
                        state.checks.fetched += 1;
                    }
                    Progress::Evaluated(items) => evaluated(state, items),
                }
            }
            Vec::new()
        }
        Msg::ChecksDone { run, result } => checks_done(state, run, result),
        Msg::Signal(name) => {
            state.stopped_by = Some(name);
            vec![Effect::Quit]
        }
    }
}

fn answer_saved(
    state: &mut State,
    item: String,
    status: Status,
    result: Result<(SignOff, bool), String>,
) -> Vec<Effect> {
    match result {
        Ok((signoff, cleared)) => {
            if matches!(state.top(), Screen::Answer(f) if f.item == item) {
                state.screens.pop();
            }
            let list = match state.top() {
                Screen::Items(v) => Some(v.clone()),
                _ => None,
            };
            let before = list.as_ref().map(|v| state.visible_ids(v));
            state.signoff = signoff;
            state.answered_this_run += 1;
            // In a list, move on to the item that came after it (the saved one may have left
            // the list, or moved down out of the answers to review).
            if let (Some(view), Some(before)) = (list, before)
                && before.get(view.selected) == Some(&item)
            {
                let after = state.visible_ids(&view);
                let last = after.len().saturating_sub(1);
                let following = before.get(view.selected + 1).unwrap_or(&item);
                let selected = after
                    .iter()
                    .position(|id| id == following)
                    .unwrap_or(view.selected)
                    .min(last);
                if let Some(Screen::Items(v)) = state.screens.last_mut() {
                    v.selected = selected;
                }
            }
            let mut text = format!("Saved {} for {item}.", status.mark());
            if cleared {
                text.push_str(
                    " The earlier signature covered other answers and was removed; sign again (s).",
                );
            }
            state.say(Tone::Success, text);
        }
        Err(e) => match state.screens.last_mut() {
            Some(Screen::Answer(form)) if form.item == item => form.error = Some(e),
            _ => state.say(Tone::Error, format!("{item} was not saved: {e}")),
        },
    }
    Vec::new()
}
