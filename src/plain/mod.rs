//! The line-by-line wizard (`readiness run --plain`): inquire prompts behind a small
//! [`Prompter`] trait, so the whole flow runs in tests with scripted answers.

mod card;
mod inquire_prompter;
mod wizard;

pub use card::{CardParts, item_card, wrap_for_terminal};
pub use inquire_prompter::InquirePrompter;
pub use wizard::{RunChecks, WizardEnd, WizardError, WizardOptions, run};

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum PromptError {
    /// Ctrl-C or Esc: stop, keeping what is saved.
    #[error("interrupted")]
    Interrupted,
    #[error("{0}")]
    Failed(String),
}

/// What the wizard needs from a terminal.
pub trait Prompter {
    /// Shows text (guidance, messages).
    fn say(&mut self, text: &str);
    /// Free text; Enter accepts `default`.
    fn text(
        &mut self,
        message: &str,
        default: &str,
        help: Option<&str>,
    ) -> Result<String, PromptError>;
    /// One of `options`, returning its index.
    fn select(
        &mut self,
        message: &str,
        options: &[String],
        start: usize,
    ) -> Result<usize, PromptError>;
    fn confirm(&mut self, message: &str, default: bool) -> Result<bool, PromptError>;
}

/// Answers from a script, for tests and dry runs. Each `text` takes the next string (an
/// empty string accepts the default), each `select` the next index, each `confirm` the next
/// bool; running out means the operator pressed Ctrl-C.
#[derive(Debug, Default)]
pub struct ScriptedPrompter {
    pub answers: std::collections::VecDeque<Scripted>,
    /// Everything shown and asked, for assertions.
    pub transcript: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Scripted {
    Text(String),
    Select(usize),
    Confirm(bool),
}

impl ScriptedPrompter {
    pub fn new(answers: impl IntoIterator<Item = Scripted>) -> Self {
        Self {
            answers: answers.into_iter().collect(),
            transcript: Vec::new(),
        }
    }

    fn next(&mut self, asked: &str) -> Result<Scripted, PromptError> {
        self.transcript.push(format!("? {asked}"));
        self.answers.pop_front().ok_or(PromptError::Interrupted)
    }
}

impl Prompter for ScriptedPrompter {
    fn say(&mut self, text: &str) {
        self.transcript.push(text.to_string());
    }

    fn text(
        &mut self,
        message: &str,
        default: &str,
        _help: Option<&str>,
    ) -> Result<String, PromptError> {
        match self.next(message)? {
            Scripted::Text(t) if t.is_empty() => Ok(default.to_string()),
            Scripted::Text(t) => Ok(t),
            other => Err(PromptError::Failed(format!(
                "script gave {other:?} for text prompt {message:?}"
            ))),
        }
    }

    fn select(
        &mut self,
        message: &str,
        options: &[String],
        _start: usize,
    ) -> Result<usize, PromptError> {
        match self.next(message)? {
            Scripted::Select(i) if i < options.len() => Ok(i),
            other => Err(PromptError::Failed(format!(
                "script gave {other:?} for select {message:?} {options:?}"
            ))),
        }
    }

    fn confirm(&mut self, message: &str, _default: bool) -> Result<bool, PromptError> {
        match self.next(message)? {
            Scripted::Confirm(b) => Ok(b),
            other => Err(PromptError::Failed(format!(
                "script gave {other:?} for confirm {message:?}"
            ))),
        }
    }
}
