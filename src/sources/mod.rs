//! Where rule documents come from: Azure Resource Manager, the Terraform checkout, or
//! evidence files. Each source yields JSON documents, or a typed cause when it cannot.

pub mod azure;
pub mod evidence;
pub mod terraform;

/// Why a document could not be read: a verdict type, at the bottom of the crate.
pub use crate::verdict::Cause;
