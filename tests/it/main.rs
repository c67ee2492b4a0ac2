//! The one integration-test binary: every area is a module here, so the crate is linked
//! once (each extra binary relinked the whole crate, and twenty of them filled CI's disk).

mod architecture;
mod attestation;
mod builtin_checklist;
mod check_command;
mod cli;
mod common;
mod crash_consistency;
mod fake_arm_selftest;
mod fleet_command;
mod fresh_hand_edits;
mod hostile_files;
mod hostile_inputs;
mod hostile_servers;
mod invalid_inputs;
mod oscal;
mod plain_wizard;
mod properties;
mod quarterly;
mod report_formats;
mod secrets;
mod signatures;
mod signoff_file;
mod terminal_safety;
mod terraform_source;
mod tui_docs;
mod tui_pty;
mod tui_snapshots;
mod verify_every_byte;
