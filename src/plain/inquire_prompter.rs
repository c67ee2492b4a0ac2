//! [`Prompter`] on a real terminal, with inquire.

use inquire::InquireError;

use super::{PromptError, Prompter};

#[derive(Debug, Default)]
pub struct InquirePrompter;

fn convert(e: InquireError) -> PromptError {
    match e {
        InquireError::OperationCanceled | InquireError::OperationInterrupted => {
            PromptError::Interrupted
        }
        InquireError::NotTTY => PromptError::Failed(
            "the plain wizard needs an interactive terminal; use `readiness answer` for scripts"
                .to_string(),
        ),
        other => PromptError::Failed(other.to_string()),
    }
}

impl Prompter for InquirePrompter {
    fn say(&mut self, text: &str) {
        print!("{}", super::card::wrap_for_terminal(text));
    }

    fn text(
        &mut self,
        message: &str,
        default: &str,
        help: Option<&str>,
    ) -> Result<String, PromptError> {
        let mut prompt = inquire::Text::new(message);
        if !default.is_empty() {
            prompt = prompt.with_default(default);
        }
        if let Some(help) = help {
            prompt = prompt.with_help_message(help);
        }
        prompt.prompt().map_err(convert)
    }

    fn select(
        &mut self,
        message: &str,
        options: &[String],
        start: usize,
    ) -> Result<usize, PromptError> {
        inquire::Select::new(message, options.to_vec())
            .with_starting_cursor(start.min(options.len().saturating_sub(1)))
            .with_page_size(8)
            .raw_prompt()
            .map(|choice| choice.index)
            .map_err(convert)
    }

    fn confirm(&mut self, message: &str, default: bool) -> Result<bool, PromptError> {
        inquire::Confirm::new(message)
            .with_default(default)
            .prompt()
            .map_err(convert)
    }
}
