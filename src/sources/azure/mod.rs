//! Azure Resource Manager: credentials, one shared pipeline, discovery of the deployment's
//! resources and the documents the checklist's `arm:*` rules read.

pub mod auth;
mod bounded_json;
pub mod client;
pub mod discovery;
pub mod documents;

pub use auth::{AuthMode, Cloud};
pub use client::{ArmClient, ArmOptions, Quota, ReadLimits, SetupError};

/// api-versions pinned per resource provider (see README "Sources").
pub mod api {
    pub const RESOURCES: &str = "2021-04-01";
    pub const MANAGED_CLUSTERS: &str = "2025-10-01";
    pub const VAULTS: &str = "2026-02-01";
    pub const REGISTRIES: &str = "2025-04-01";
    pub const DIAGNOSTIC_SETTINGS: &str = "2021-05-01-preview";
    pub const PRICINGS: &str = "2024-01-01";
    pub const MANAGED_IDENTITY: &str = "2024-11-30";
    pub const RESOURCE_GRAPH: &str = "2024-04-01";
    pub const SUBSCRIPTIONS: &str = "2022-12-01";
}
