//! Where the automatic checks read from, as plain data: every front end fills a
//! [`SourceSpec`] (the command line converts its flags into one), and [`configure`] turns it,
//! with what the sign-off remembers, into this run's [`SourceConfig`]. The wizards drive the
//! engine through this, not through the command-line layer.

use std::path::PathBuf;
use std::time::Duration;

use super::{ArmTarget, SourceConfig};
use crate::signoff::Target;
use crate::sources::azure::client::is_loopback;
use crate::sources::azure::discovery::TargetHints;
use crate::sources::azure::{ArmOptions, AuthMode, Cloud, ReadLimits};

/// How to reach Azure.
#[derive(Debug, Clone, PartialEq)]
pub struct AzureSpec {
    pub auth: AuthMode,
    /// The ARM endpoint; the cloud's when `None`.
    pub arm_endpoint: Option<String>,
    pub cloud: Cloud,
    /// Seconds one request may take, retries included (the whole run: four times this).
    pub timeout: u64,
    /// Overrides of the command's read limits.
    pub max_read_mib: Option<u64>,
    pub max_requests: Option<u64>,
}

/// Where the automatic checks read from.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceSpec {
    pub subscription: Option<String>,
    pub resource_group: Option<String>,
    pub cluster: Option<String>,
    pub key_vault: Option<String>,
    pub registry: Option<String>,
    pub identities: Vec<String>,
    pub terraform_dirs: Vec<PathBuf>,
    pub var_files: Vec<PathBuf>,
    pub evidence_dir: Option<PathBuf>,
    /// Skip every network source.
    pub offline: bool,
    pub azure: AzureSpec,
}

/// A specification that cannot be run: bad input (exit 2).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SpecError {
    #[error("--arm-endpoint {0:?} is not an http(s) URL")]
    NotHttpUrl(String),
    #[error(
        "--auth none sends no token and is only accepted for a loopback endpoint (127.0.0.1, ::1, localhost), not {0}"
    )]
    AuthNoneOffLoopback(String),
    #[error("{flag} {}: not a directory", .path.display())]
    NotADirectory { flag: &'static str, path: PathBuf },
    #[error("--var-file {}: it is {kind}, not a regular file; readiness reads only regular files", .path.display())]
    VarFileNotRegular { path: PathBuf, kind: &'static str },
    #[error("--var-file {}: no such file", .path.display())]
    VarFileMissing { path: PathBuf },
}

impl AzureSpec {
    /// The endpoint (the cloud's unless given), checked: an http(s) URL, and a loopback one
    /// when `--auth none` sends no token. `limits` are the command's defaults, which
    /// `max_read_mib` and `max_requests` override.
    pub fn options(&self, limits: ReadLimits) -> Result<ArmOptions, SpecError> {
        let text = self
            .arm_endpoint
            .clone()
            .unwrap_or_else(|| self.cloud.arm_endpoint().to_string());
        let endpoint = url::Url::parse(&text)
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
            .ok_or_else(|| SpecError::NotHttpUrl(text.clone()))?;
        if self.auth == AuthMode::None && !is_loopback(&endpoint) {
            return Err(SpecError::AuthNoneOffLoopback(
                endpoint.host_str().unwrap_or("?").to_string(),
            ));
        }
        let mut options = ArmOptions::new(
            endpoint,
            self.auth,
            self.cloud,
            Duration::from_secs(self.timeout),
        );
        options.limits = ReadLimits {
            max_bytes: self.max_read_mib.map_or(limits.max_bytes, |m| m << 20),
            max_requests: self.max_requests.unwrap_or(limits.max_requests),
            ..limits
        };
        Ok(options)
    }
}

/// Turns the specification (and what the sign-off remembers) into the run's sources.
pub async fn configure(args: &SourceSpec, remembered: &Target) -> Result<SourceConfig, SpecError> {
    let mut config = SourceConfig {
        evidence_dir: args.evidence_dir.clone(),
        terraform_dirs: args.terraform_dirs.clone(),
        var_files: args.var_files.clone(),
        ..SourceConfig::default()
    };
    for dir in &args.terraform_dirs {
        if !dir.is_dir() {
            return Err(SpecError::NotADirectory {
                flag: "--terraform-dir",
                path: dir.clone(),
            });
        }
    }
    for file in &args.var_files {
        match std::fs::metadata(file) {
            Ok(meta) if meta.is_file() => {}
            Ok(meta) => {
                return Err(SpecError::VarFileNotRegular {
                    path: file.clone(),
                    kind: crate::fsread::kind_of(meta.file_type()),
                });
            }
            Err(_) => {
                return Err(SpecError::VarFileMissing { path: file.clone() });
            }
        }
    }
    if let Some(dir) = &args.evidence_dir {
        if !dir.is_dir() {
            return Err(SpecError::NotADirectory {
                flag: "--evidence-dir",
                path: dir.clone(),
            });
        }
        return Ok(config);
    }
    if args.offline {
        config.arm_skipped_because = Some("Azure is not read in this run (--offline)".to_string());
        return Ok(config);
    }
    let options = args.azure.options(ReadLimits::CHECK)?;
    let env_subscription = std::env::var("AZURE_SUBSCRIPTION_ID")
        .ok()
        .filter(|s| !s.trim().is_empty());
    let mut subscription = args
        .subscription
        .clone()
        .or(env_subscription)
        .or_else(|| remembered.subscription.clone());
    if subscription.is_none() && args.azure.auth != AuthMode::None {
        subscription = crate::sources::azure::discovery::az_current_subscription().await;
    }
    let resource_group = args
        .resource_group
        .clone()
        .or_else(|| remembered.resource_group.clone());
    let (Some(subscription), Some(resource_group)) = (subscription, resource_group) else {
        config.arm_skipped_because = Some(
            "no Azure target: pass --subscription and --resource-group (or set them with `readiness target`)".to_string(),
        );
        return Ok(config);
    };
    let hints = TargetHints {
        subscription: Some(subscription.clone()),
        resource_group: Some(resource_group.clone()),
        cluster: args.cluster.clone().or_else(|| remembered.cluster.clone()),
        key_vault: args
            .key_vault
            .clone()
            .or_else(|| remembered.key_vault.clone()),
        registry: args
            .registry
            .clone()
            .or_else(|| remembered.registry.clone()),
        identities: args.identities.clone(),
    };
    config.arm = Some(ArmTarget {
        options,
        subscription,
        resource_group,
        hints,
    });
    Ok(config)
}
