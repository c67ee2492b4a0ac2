//! Which credential signs ARM requests. Tokens never leave the pipeline: they are not
//! printed, logged or stored.

use std::sync::Arc;

use azure_core::credentials::{Secret, TokenCredential};
use azure_identity::{
    AzureCliCredential, AzureDeveloperCliCredential, ClientSecretCredential,
    DeveloperToolsCredential, ManagedIdentityCredential, WorkloadIdentityCredential,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum AuthMode {
    /// Workload identity if AZURE_FEDERATED_TOKEN_FILE is set, else a client secret if
    /// AZURE_CLIENT_ID/AZURE_TENANT_ID/AZURE_CLIENT_SECRET are set, else az then azd.
    Auto,
    /// The az CLI's signed-in account.
    Cli,
    /// The Azure Developer CLI's account.
    Azd,
    /// The managed identity of the machine (IMDS / App Service).
    Msi,
    /// AKS workload identity (AZURE_FEDERATED_TOKEN_FILE, AZURE_CLIENT_ID, AZURE_TENANT_ID).
    Workload,
    /// A service principal with a client secret (AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET).
    Sp,
    /// No token at all: only for a loopback endpoint (tests, local mirrors).
    None,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Cloud {
    Public,
    Usgov,
    China,
}

impl Cloud {
    pub fn arm_endpoint(self) -> &'static str {
        match self {
            Cloud::Public => "https://management.azure.com",
            Cloud::Usgov => "https://management.usgovcloudapi.net",
            Cloud::China => "https://management.chinacloudapi.cn",
        }
    }

    pub fn configuration(self) -> azure_core::cloud::CloudConfiguration {
        match self {
            Cloud::Public => azure_core::cloud::CloudConfiguration::AzurePublic,
            Cloud::Usgov => azure_core::cloud::CloudConfiguration::AzureGovernment,
            Cloud::China => azure_core::cloud::CloudConfiguration::AzureChina,
        }
    }
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// Builds the credential for `mode`; `None` for [`AuthMode::None`].
pub fn credential(
    mode: AuthMode,
    cloud: Cloud,
) -> Result<Option<Arc<dyn TokenCredential>>, String> {
    let mode = match mode {
        AuthMode::Auto if env("AZURE_FEDERATED_TOKEN_FILE").is_some() => AuthMode::Workload,
        AuthMode::Auto
            if env("AZURE_CLIENT_ID").is_some()
                && env("AZURE_TENANT_ID").is_some()
                && env("AZURE_CLIENT_SECRET").is_some() =>
        {
            AuthMode::Sp
        }
        other => other,
    };
    let client_options = || azure_core::http::ClientOptions {
        cloud: Some(Arc::new(cloud.configuration())),
        ..Default::default()
    };
    let built: azure_core::Result<Arc<dyn TokenCredential>> = match mode {
        AuthMode::None => return Ok(None),
        AuthMode::Auto => {
            DeveloperToolsCredential::new(None).map(|c| c as Arc<dyn TokenCredential>)
        }
        AuthMode::Cli => AzureCliCredential::new(None).map(|c| c as Arc<dyn TokenCredential>),
        AuthMode::Azd => {
            AzureDeveloperCliCredential::new(None).map(|c| c as Arc<dyn TokenCredential>)
        }
        AuthMode::Msi => {
            ManagedIdentityCredential::new(None).map(|c| c as Arc<dyn TokenCredential>)
        }
        AuthMode::Workload => {
            let options = azure_identity::WorkloadIdentityCredentialOptions {
                credential_options: azure_identity::ClientAssertionCredentialOptions {
                    client_options: client_options(),
                },
                ..Default::default()
            };
            WorkloadIdentityCredential::new(Some(options)).map(|c| c as Arc<dyn TokenCredential>)
        }
        AuthMode::Sp => {
            let (Some(tenant), Some(client), Some(secret)) = (
                env("AZURE_TENANT_ID"),
                env("AZURE_CLIENT_ID"),
                env("AZURE_CLIENT_SECRET"),
            ) else {
                return Err(
                    "--auth sp needs AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET"
                        .to_string(),
                );
            };
            let options = azure_identity::ClientSecretCredentialOptions {
                client_options: client_options(),
            };
            ClientSecretCredential::new(&tenant, client, Secret::new(secret), Some(options))
                .map(|c| c as Arc<dyn TokenCredential>)
        }
    };
    built.map(Some).map_err(|e| error_chain(&e))
}

/// The SDK's Display is only the outer context; the useful words are in the sources.
pub fn error_chain(e: &dyn std::error::Error) -> String {
    let mut parts: Vec<String> = vec![e.to_string()];
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = s.source();
    }
    parts.join(": ")
}
