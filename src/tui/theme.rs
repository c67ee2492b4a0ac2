//! Semantic styles. Colour is only ever a second signal: every status carries a glyph and a
//! word, selection is REVERSED, and with colour off (`--color never`, NO_COLOR) no style sets
//! a colour at all, so the terminal receives no colour escapes.

use ratatui::style::{Color, Modifier, Style};

use crate::engine::AutoStatus;
use crate::signoff::Mark;

/// `--color auto|always|never`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum ColorChoice {
    /// Colour unless NO_COLOR is set (to anything but the empty string).
    #[default]
    Auto,
    /// Colour even when NO_COLOR is set.
    Always,
    /// No colour.
    Never,
}

impl ColorChoice {
    /// Whether to colour, given the value of NO_COLOR.
    pub fn enabled(self, no_color: Option<&std::ffi::OsStr>) -> bool {
        match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => no_color.is_none_or(|v| v.is_empty()),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Theme {
    pub color: bool,
}

impl Theme {
    pub fn new(color: bool) -> Self {
        Self { color }
    }

    fn fg(self, color: Color) -> Style {
        if self.color {
            Style::new().fg(color)
        } else {
            Style::new()
        }
    }

    /// The header bar.
    pub fn bar(self) -> Style {
        Style::new().add_modifier(Modifier::REVERSED)
    }

    pub fn title(self) -> Style {
        Style::new().add_modifier(Modifier::BOLD)
    }

    /// The selected row or phase.
    pub fn selected(self) -> Style {
        Style::new().add_modifier(Modifier::REVERSED)
    }

    /// Secondary text (ids, hints, placeholders).
    pub fn dim(self) -> Style {
        self.fg(Color::DarkGray)
    }

    /// Keys in hints and help.
    pub fn key(self) -> Style {
        self.fg(Color::Cyan).add_modifier(Modifier::BOLD)
    }

    /// A text field's area: underlined, so its extent shows without colour.
    pub fn field(self) -> Style {
        Style::new().add_modifier(Modifier::UNDERLINED)
    }

    /// The label of the focused field.
    pub fn focus(self) -> Style {
        self.fg(Color::Cyan).add_modifier(Modifier::BOLD)
    }

    pub fn error(self) -> Style {
        self.fg(Color::Red).add_modifier(Modifier::BOLD)
    }

    pub fn success(self) -> Style {
        self.fg(Color::Green)
    }

    pub fn warning(self) -> Style {
        self.fg(Color::Yellow)
    }

    pub fn mark(self, mark: Mark) -> Style {
        match mark {
            Mark::Pass => self.fg(Color::Green),
            Mark::Fail => self.fg(Color::Red).add_modifier(Modifier::BOLD),
            Mark::RiskAccepted => self.fg(Color::Yellow),
            Mark::NotApplicable => self.dim(),
            Mark::Open => Style::new(),
        }
    }

    pub fn auto(self, status: AutoStatus) -> Style {
        match status {
            AutoStatus::Pass => self.fg(Color::Green),
            AutoStatus::Fail => self.fg(Color::Red),
            AutoStatus::Error => self.fg(Color::Yellow),
            AutoStatus::Manual => self.dim(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_color_turns_auto_off_but_not_always() {
        let set = Some(std::ffi::OsStr::new("1"));
        let empty = Some(std::ffi::OsStr::new(""));
        assert!(!ColorChoice::Auto.enabled(set));
        assert!(ColorChoice::Auto.enabled(empty));
        assert!(ColorChoice::Auto.enabled(None));
        assert!(ColorChoice::Always.enabled(set));
        assert!(!ColorChoice::Never.enabled(None));
    }

    #[test]
    fn without_colour_no_style_sets_a_colour() {
        let t = Theme::new(false);
        let styles = [
            t.bar(),
            t.title(),
            t.selected(),
            t.dim(),
            t.key(),
            t.field(),
            t.focus(),
            t.error(),
            t.success(),
            t.warning(),
        ]
        .into_iter()
        .chain(Mark::ALL.into_iter().map(|m| t.mark(m)))
        .chain(
            [
                AutoStatus::Pass,
                AutoStatus::Fail,
                AutoStatus::Error,
                AutoStatus::Manual,
            ]
            .into_iter()
            .map(|a| t.auto(a)),
        );
        for s in styles {
            assert_eq!((s.fg, s.bg), (None, None), "{s:?}");
        }
    }
}
