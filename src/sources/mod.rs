//! Where rule documents come from: Azure Resource Manager, the Terraform checkout, or
//! evidence files. Each source yields JSON documents, or a typed cause when it cannot.

pub mod azure;
pub mod evidence;
pub mod terraform;

use std::fmt;

/// Why a document could not be read. Every cause says what to do about it.
#[derive(Debug, Clone, PartialEq)]
pub enum Cause {
    /// 401: no credential, or the token was rejected.
    NotSignedIn { detail: String },
    /// 403: the credential may not read this.
    Forbidden {
        action: Option<String>,
        scope: Option<String>,
        message: String,
    },
    /// 404: the resource (or its group or subscription) does not exist.
    NotFound { resource: String, message: String },
    /// 429 after every retry.
    Throttled { resource: String },
    /// 5xx after every retry, or another unexpected status.
    Http {
        status: u16,
        resource: String,
        message: String,
    },
    /// No answer within `--timeout`.
    Timeout { resource: String, seconds: u64 },
    /// The endpoint could not be reached at all.
    Unreachable { endpoint: String, detail: String },
    /// The answer was not the JSON expected.
    BadResponse { resource: String, detail: String },
    /// The credential could not produce a token.
    Credential { detail: String },
    /// A local source (Terraform, evidence files) could not be read.
    Local { detail: String },
    /// A URL (an id, a `nextLink`) pointed away from the endpoint; refused before any
    /// request, so the token never leaves the endpoint.
    ForeignOrigin { resource: String, origin: String },
    /// The run read as much as it may (`--max-read-mib`, `--max-requests`, or the JSON
    /// values one run keeps).
    Limit { resource: String, detail: String },
}

impl fmt::Display for Cause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Cause::NotSignedIn { detail } => write!(
                f,
                "not signed in to Azure or the token was rejected (401{}); run `az login` (or choose a credential with --auth)",
                if detail.is_empty() {
                    String::new()
                } else {
                    format!(": {detail}")
                }
            ),
            Cause::Forbidden {
                action,
                scope,
                message,
            } => match (action, scope) {
                (Some(action), Some(scope)) => write!(
                    f,
                    "not permitted: the signed-in identity may not perform {action} on {scope}; the Reader role on the resource group (or subscription) allows it"
                ),
                _ => write!(
                    f,
                    "not permitted (403): {message}; the Reader role on the resource group allows reading it"
                ),
            },
            Cause::NotFound { resource, message } => write!(f, "not found: {resource} ({message})"),
            Cause::Throttled { resource } => write!(
                f,
                "throttled by Azure (429) reading {resource}, still after waiting and retrying; run again later"
            ),
            Cause::Http {
                status,
                resource,
                message,
            } => write!(f, "HTTP {status} reading {resource}: {message}"),
            Cause::Timeout { resource, seconds } => write!(
                f,
                "no answer within {seconds} s reading {resource} (raise --timeout if the network is slow)"
            ),
            Cause::Unreachable { endpoint, detail } => {
                write!(f, "cannot reach {endpoint}: {detail}")
            }
            Cause::BadResponse { resource, detail } => {
                write!(f, "unexpected answer reading {resource}: {detail}")
            }
            Cause::Credential { detail } => write!(
                f,
                "could not get an Azure token (sign in with `az login`, or choose a credential with --auth): {detail}"
            ),
            Cause::Local { detail } => f.write_str(detail),
            Cause::ForeignOrigin { resource, origin } => write!(
                f,
                "refused to read {resource}: it points at {origin}, not the endpoint this run talks to (a token is only ever sent to the endpoint)"
            ),
            Cause::Limit { resource, detail } => {
                write!(f, "stopped before reading {resource}: {detail}")
            }
        }
    }
}
