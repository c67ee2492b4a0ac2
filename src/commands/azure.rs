//! The command line's source and Azure flags, converted into the engine's plain
//! specification ([`crate::engine::SourceSpec`]).

use crate::cli::{AzureArgs, SourceArgs};
use crate::engine::{AzureSpec, SourceSpec, SpecError};
use crate::exit::Failure;

impl From<&AzureArgs> for AzureSpec {
    fn from(a: &AzureArgs) -> Self {
        AzureSpec {
            auth: a.auth,
            arm_endpoint: a.arm_endpoint.clone(),
            cloud: a.cloud,
            timeout: a.timeout,
            max_read_mib: a.max_read_mib,
            max_requests: a.max_requests,
        }
    }
}

impl From<&SourceArgs> for SourceSpec {
    fn from(a: &SourceArgs) -> Self {
        SourceSpec {
            subscription: a.subscription.clone(),
            resource_group: a.resource_group.clone(),
            cluster: a.cluster.clone(),
            key_vault: a.key_vault.clone(),
            registry: a.registry.clone(),
            identities: a.identities.clone(),
            terraform_dirs: a.terraform_dirs.clone(),
            var_files: a.var_files.clone(),
            evidence_dir: a.evidence_dir.clone(),
            offline: a.offline,
            azure: AzureSpec::from(&a.azure),
        }
    }
}

impl From<SpecError> for Failure {
    fn from(e: SpecError) -> Self {
        Failure::usage(e.to_string())
    }
}
