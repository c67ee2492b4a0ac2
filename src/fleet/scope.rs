//! What a fleet run covers (its scope) and what it reports while it works (its events).

use std::time::Duration;

use super::kind::Kind;

/// Which subscriptions the fleet is made of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    Subscriptions(Vec<String>),
    ManagementGroup(String),
    /// Every subscription the credential can see (listed with GET /subscriptions).
    Visible,
}

impl Scope {
    pub fn describe(&self) -> String {
        match self {
            Scope::Subscriptions(subs) => format!("{} subscription(s)", subs.len()),
            Scope::ManagementGroup(mg) => format!("management group {mg}"),
            Scope::Visible => "every visible subscription".to_string(),
        }
    }
}

/// What the run reports while it works; the command prints these on stderr.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    Subscriptions {
        count: usize,
    },
    Querying {
        kind: Kind,
        scope: String,
    },
    Page {
        kind: Kind,
        page: usize,
        rows_so_far: usize,
        total: Option<u64>,
    },
    /// Resource Graph's per-user quota is nearly used up: requests pause until it resets.
    QuotaWait {
        remaining: u32,
        wait: Duration,
    },
    /// Still throttled after the client's own retries: waiting before trying the page again.
    Throttled {
        wait: Duration,
    },
    DeepProgress {
        done: usize,
        total: Option<u64>,
    },
    Warning(String),
}
