//! `readiness`: go-live security readiness for the physical-ai-toolchain reference
//! architecture on Azure. See README.md for the product; STYLE notes in the module docs.

// No unwrap on input paths: errors are typed and reported (tests may unwrap).
#![cfg_attr(not(test), deny(clippy::unwrap_used))]

pub mod attest;
pub mod checklist;
pub mod cli;
pub mod clock;
pub mod commands;
pub mod diag;
pub mod diff;
pub mod engine;
pub mod exit;
pub mod fleet;
pub mod fsread;
pub mod go_live;
pub mod plain;
pub mod report;
pub mod rules;
pub mod schedule;
pub mod session;
pub mod signoff;
pub mod sources;
pub mod sshsig;
pub mod term;
pub mod tomlread;
pub mod tui;
pub mod validity;
pub mod verdict;
