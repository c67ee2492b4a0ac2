//! [`Prompter`] on a real terminal, with inquire. Every message, help line, option and
//! default is shown through [`crate::term`]'s escaping.

use inquire::InquireError;

use super::{PromptError, Prompter};
use crate::term::{safe, safe_line};

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
        // Escaped before wrapping, so the widths are the ones shown.
        crate::term::out(&super::card::wrap_for_terminal(&safe(text)));
    }

    fn text(
        &mut self,
        message: &str,
        default: &str,
        help: Option<&str>,
    ) -> Result<String, PromptError> {
        let message = safe(message);
        let shown_default = safe_line(default);
        let help = help.map(safe);
        let mut prompt = inquire::Text::new(&message);
        if !default.is_empty() {
            prompt = prompt.with_default(&shown_default);
        }
        if let Some(help) = &help {
            prompt = prompt.with_help_message(help);
        }
        let answer = prompt.prompt().map_err(convert)?;
        // The default accepted as shown is the stored value itself, not its escaped form.
        Ok(if answer == shown_default {
            default.to_string()
        } else {
            answer
        })
    }

    fn select(
        &mut self,
        message: &str,
        options: &[String],
        start: usize,
    ) -> Result<usize, PromptError> {
        let shown = options.iter().map(|o| safe_line(o).into_owned()).collect();
        inquire::Select::new(&safe(message), shown)
            .with_starting_cursor(start.min(options.len().saturating_sub(1)))
            .with_page_size(8)
            .raw_prompt()
            .map(|choice| choice.index)
            .map_err(convert)
    }

    fn confirm(&mut self, message: &str, default: bool) -> Result<bool, PromptError> {
        inquire::Confirm::new(&safe(message))
            .with_default(default)
            .prompt()
            .map_err(convert)
    }
}
