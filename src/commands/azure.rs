//! The Azure flags shared by `check`, `run` and `fleet`, turned into client options.

use std::time::Duration;

use crate::cli::AzureArgs;
use crate::exit::Failure;
use crate::sources::azure::client::is_loopback;
use crate::sources::azure::{ArmOptions, AuthMode, ReadLimits};

impl AzureArgs {
    /// The endpoint (the cloud's unless `--arm-endpoint`), checked: an http(s) URL, and a
    /// loopback one when `--auth none` sends no token. `limits` are the command's defaults,
    /// which `--max-read-mib` and `--max-requests` override.
    pub fn arm_options(&self, limits: ReadLimits) -> Result<ArmOptions, Failure> {
        let text = self
            .arm_endpoint
            .clone()
            .unwrap_or_else(|| self.cloud.arm_endpoint().to_string());
        let endpoint = url::Url::parse(&text)
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
            .ok_or_else(|| {
                Failure::usage(format!("--arm-endpoint {text:?} is not an http(s) URL"))
            })?;
        if self.auth == AuthMode::None && !is_loopback(&endpoint) {
            return Err(Failure::usage(format!(
                "--auth none sends no token and is only accepted for a loopback endpoint (127.0.0.1, ::1, localhost), not {}",
                endpoint.host_str().unwrap_or("?")
            )));
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
