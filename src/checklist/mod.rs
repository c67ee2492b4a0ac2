//! The checklist: what the operator walks through, as validated domain types.
//!
//! Files are read raw (see [`crate::tomlread`]) and validated into these types in
//! `load`; every problem is reported at once with its position.

mod format;
mod load;

pub use format::{ChecklistFile, json_schema};
pub use load::{load_file, load_str};

use std::fmt;

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::rules::Rule;

/// The checklist compiled into the binary, used whenever `--checklist` is not given.
pub const BUILTIN_TEXT: &str = include_str!("../../checklists/physical-ai-toolchain.toml");
pub const BUILTIN_NAME: &str = "built-in:physical-ai-toolchain.toml";

pub const DEFAULT_REVALIDATE_DAYS: u32 = 90;
pub const DEFAULT_MAX_RISK_ACCEPTANCE_DAYS: u32 = 180;

/// Loads the built-in checklist. It is validated by the test suite, so failure is a bug.
pub fn builtin() -> Result<Checklist, crate::diag::Diagnostics> {
    load_str(BUILTIN_NAME, BUILTIN_TEXT)
}

#[derive(Debug, Clone)]
pub struct Checklist {
    pub id: String,
    pub title: String,
    pub version: String,
    pub description: Option<String>,
    pub revalidate_days: u32,
    pub max_risk_acceptance_days: u32,
    pub items: Vec<Item>,
    /// sha256 of the exact checklist text, recorded in sign-offs.
    pub sha256: String,
    /// Where it came from: a path or the built-in name.
    pub origin: String,
}

impl Checklist {
    pub fn item(&self, id: &str) -> Option<&Item> {
        self.items.iter().find(|i| i.id == id)
    }

    pub fn items_in(&self, phase: Phase) -> impl Iterator<Item = &Item> {
        self.items.iter().filter(move |i| i.phase == phase)
    }

    /// The ids closest to a mistyped one, best first.
    pub fn suggest(&self, unknown: &str) -> Vec<&str> {
        let mut scored: Vec<(f64, &str)> = self
            .items
            .iter()
            .map(|i| (strsim::jaro_winkler(unknown, &i.id), i.id.as_str()))
            .filter(|(score, _)| *score > 0.7)
            .collect();
        scored.sort_by(|a, b| b.0.total_cmp(&a.0));
        scored.into_iter().take(3).map(|(_, id)| id).collect()
    }
}

#[derive(Debug, Clone)]
pub struct Item {
    pub id: String,
    pub phase: Phase,
    pub category: String,
    pub title: String,
    pub guidance: String,
    pub severity: Option<Severity>,
    pub sources: Vec<String>,
    pub revalidate_days: Option<u32>,
    pub references: Vec<Reference>,
    pub checks: Vec<Check>,
    /// [`Item::content_sha256`], computed once when the item is loaded: every screen and
    /// listing weighs each answer against it, many times a second in the wizard.
    content_sha256: String,
}

impl Item {
    pub fn is_automated(&self) -> bool {
        !self.checks.is_empty()
    }

    /// sha256 of what the operator answered: title, guidance and rules. A reworded item
    /// has a different digest, so its old answer can be re-asked.
    pub fn content_sha256(&self) -> &str {
        &self.content_sha256
    }

    fn digest(title: &str, guidance: &str, checks: &[Check]) -> String {
        let mut h = Sha256::new();
        for part in [title, guidance] {
            h.update(part.as_bytes());
            h.update([0]);
        }
        for check in checks {
            for part in [
                check.source.as_str(),
                check.expect.text(),
                check.explain.as_str(),
            ] {
                h.update(part.as_bytes());
                h.update([0]);
            }
        }
        hex::encode(h.finalize())
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Reference {
    pub title: String,
    pub url: String,
}

#[derive(Debug, Clone)]
pub struct Check {
    pub source: DocumentSource,
    pub expect: Rule,
    pub observe: Option<Rule>,
    pub explain: String,
}

macro_rules! string_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
        pub enum $name {
            $(#[serde(rename = $text)] $variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            pub fn parse(text: &str) -> Option<Self> {
                match text { $($text => Some($name::$variant),)+ _ => None }
            }

            /// The accepted spellings, for error messages.
            pub fn spellings() -> String {
                Self::ALL.iter().map(|v| v.as_str()).collect::<Vec<_>>().join(", ")
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

string_enum!(
    /// When in the deployment's life an item is done.
    Phase {
        BeforeDeployment => "before-deployment",
        DuringOperation => "during-operation",
        OngoingMaintenance => "ongoing-maintenance",
    }
);

impl Phase {
    pub fn label(self) -> &'static str {
        match self {
            Phase::BeforeDeployment => "Before deployment",
            Phase::DuringOperation => "During operation",
            Phase::OngoingMaintenance => "Ongoing maintenance",
        }
    }
}

string_enum!(Severity {
    Low => "low",
    Medium => "medium",
    High => "high",
    Critical => "critical",
});

string_enum!(
    /// The JSON documents a rule can read (gathered by the check engine).
    DocumentSource {
        ArmAks => "arm:aks",
        ArmKeyVault => "arm:key-vault",
        ArmRegistry => "arm:registry",
        ArmAksDiagnosticSettings => "arm:aks/diagnostic-settings",
        ArmKeyVaultDiagnosticSettings => "arm:key-vault/diagnostic-settings",
        ArmSubscriptionPricingContainers => "arm:subscription/pricing-containers",
        ArmIdentitiesFederatedCredentials => "arm:identities/federated-credentials",
        TerraformVariables => "terraform:variables",
        TerraformBackend => "terraform:backend",
    }
);
