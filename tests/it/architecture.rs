//! The crate's layering, held by a test rather than a comment: the core modules — the
//! checklist, rules, verdicts, sign-off, session, validity, diff and attestation, and the small
//! helpers they use — name no async runtime, no Azure SDK, no terminal library, and none of
//! the modules that do (engine, sources, tui, plain, commands, fleet, cli). So they build and
//! test without tokio, azure_core or a terminal (STYLE.md), and a source or a screen can be
//! added without touching them.

use std::path::{Path, PathBuf};

/// The core: what may be imported by the core.
const CORE: &[&str] = &[
    "checklist",
    "rules",
    "verdict",
    "signoff",
    "session",
    "validity",
    "diff",
    "attest",
    // helpers the core uses
    "clock",
    "diag",
    "tomlread",
    "fsread",
    "schedule",
    "term",
];

/// term's printing macros, exported at the crate root.
const CORE_MACROS: &[&str] = &["outln", "errln"];

/// External crates the core must not name.
const FORBIDDEN_CRATES: &[&str] = &[
    "tokio",
    "azure_core",
    "azure_identity",
    "futures",
    "crossterm",
    "ratatui",
    "inquire",
    "signal_hook",
    "tracing_appender",
    "wiremock",
];

fn files_of(module: &str) -> Vec<PathBuf> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let file = src.join(format!("{module}.rs"));
    if file.exists() {
        return vec![file];
    }
    let mut files = Vec::new();
    let mut dirs = vec![src.join(module)];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    files
}

/// Every `crate::NAME` and every path root a line names, outside comments.
fn names(line: &str) -> (Vec<String>, Vec<String>) {
    let code = line.split("//").next().unwrap_or("");
    let word = |rest: &str| -> String {
        rest.chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect()
    };
    let modules = code
        .match_indices("crate::")
        .map(|(at, m)| word(&code[at + m.len()..]))
        .collect();
    let roots = code
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':'))
        .filter_map(|token| token.split_once("::").map(|(root, _)| root.to_string()))
        .collect();
    (modules, roots)
}

#[test]
fn the_core_names_no_runtime_no_azure_no_terminal_and_no_module_that_does() {
    let mut problems = Vec::new();
    for module in CORE {
        for file in files_of(module) {
            let text = std::fs::read_to_string(&file).unwrap();
            for (n, line) in text.lines().enumerate() {
                let (modules, roots) = names(line);
                let at = format!("{}:{}", file.display(), n + 1);
                for m in modules {
                    if !CORE.contains(&m.as_str()) && !CORE_MACROS.contains(&m.as_str()) {
                        problems.push(format!("{at}: core module names crate::{m}"));
                    }
                }
                for root in roots {
                    if FORBIDDEN_CRATES.contains(&root.as_str()) {
                        problems.push(format!("{at}: core module names {root}"));
                    }
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_layering_test_sees_a_violation() {
    let (modules, roots) = names("use crate::engine::AutoStatus; let x = tokio::spawn(f);");
    assert_eq!(modules, ["engine"]);
    assert!(roots.contains(&"tokio".to_string()), "{roots:?}");
    let (modules, _) = names("// crate::engine in a comment does not count");
    assert!(modules.is_empty());
}

/// Path segments of every `a::b::c` a line names, outside comments.
fn path_segments(line: &str) -> Vec<String> {
    let code = line.split("//").next().unwrap_or("");
    code.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':'))
        .filter(|token| token.contains("::"))
        .flat_map(|token| token.split("::").map(str::to_string))
        .collect()
}

/// Update never calls render code (STYLE.md): the wizard's update function and its key
/// handlers page and scroll by the viewport the last frame recorded, and name nothing in
/// `tui::view`.
#[test]
fn the_wizards_update_and_keys_name_no_render_code() {
    let tui = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/tui");
    let mut problems = Vec::new();
    for name in ["state.rs", "keys.rs"] {
        let file = tui.join(name);
        let text = std::fs::read_to_string(&file).unwrap();
        for (n, line) in text.lines().enumerate() {
            if path_segments(line).iter().any(|s| s == "view") {
                problems.push(format!("{}:{}: {}", file.display(), n + 1, line.trim()));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(
        path_segments("let max = super::view::detail_scroll_max(state, &item);")
            .contains(&"view".to_string())
    );
    assert!(
        !path_segments("use super::state::ItemsView; // view::x").contains(&"view".to_string())
    );
}
