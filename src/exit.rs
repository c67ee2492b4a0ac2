//! The documented exit codes: 0 ok, 1 a check or verification failed, 2 bad input or
//! usage, 3 could not check, 4 an internal error (the tool or the machine failed, not the
//! input: no async runtime, a terminal that fails, a built-in checklist that does not load).
//! A [`Failure`] is built only here at the binary's edge, from the typed errors below it.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    Ok = 0,
    Failed = 1,
    BadInput = 2,
    CouldNotCheck = 3,
    Internal = 4,
}

/// An error for the user: what went wrong, and the exit code that says which kind.
#[derive(Debug)]
pub struct Failure {
    pub exit: Exit,
    pub message: String,
}

impl Failure {
    pub fn bad_input(message: impl Into<String>) -> Self {
        Self {
            exit: Exit::BadInput,
            message: message.into(),
        }
    }

    /// Wrong use of the command line: also exit 2.
    pub fn usage(message: impl Into<String>) -> Self {
        Self::bad_input(message)
    }

    /// The tool or the machine failed, not the input: exit 4.
    pub fn internal(message: impl Into<String>) -> Self {
        Self {
            exit: Exit::Internal,
            message: message.into(),
        }
    }
}
