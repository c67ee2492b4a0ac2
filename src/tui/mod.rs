//! The full-screen wizard (ratatui + crossterm).
//!
//! One [`State`], one [`Msg`] enum and one [`update`] function that returns [`Effect`]s; the
//! [`runtime`] executes the effects through the same [`Session`](crate::session::Session)
//! the plain wizard drives and feeds their results back as messages; [`view::render`] is a
//! pure function of the state. The keymap is a table ([`keymap`]); Help is generated from it.

pub mod field;
pub mod keymap;
mod keys;
pub mod resume;
pub mod runtime;
pub mod state;
pub mod theme;
pub mod view;

pub use runtime::{Options, Outcome, run};
pub use state::{
    AnswerField, AnswerForm, ChecksFailed, Config, Effect, Filter, ItemsView, Msg, Position,
    Screen, State, update,
};
pub use theme::{ColorChoice, Theme};
pub use view::render;

#[cfg(test)]
mod tests;
