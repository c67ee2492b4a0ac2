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
    "go_live",
    "signoff",
    "session",
    "validity",
    "diff",
    "attest",
    "report",
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

/// The modules of `dir` (a module directory) and which of them each one names: `super::x`
/// (a sibling, or the parent `mod` for anything else), `x::` from `mod.rs`, and
/// `crate::<dir>::x`. Test modules at the end of a file are left out.
fn module_graph(
    dir: &str,
) -> std::collections::BTreeMap<String, std::collections::BTreeSet<String>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src").join(dir);
    let mut sources = std::collections::BTreeMap::new();
    for entry in std::fs::read_dir(&root).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "rs") {
            let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
            let text = std::fs::read_to_string(&path).unwrap();
            let code = text.split("#[cfg(test)]").next().unwrap_or("").to_string();
            sources.insert(stem, code);
        }
    }
    let modules: Vec<String> = sources.keys().filter(|m| *m != "mod").cloned().collect();
    let mut graph = std::collections::BTreeMap::new();
    for (name, code) in &sources {
        let mut uses = std::collections::BTreeSet::new();
        for line in code.lines() {
            let line = line.split("//").next().unwrap_or("");
            let (_, roots) = names(line);
            for (at, _) in line.match_indices("super::") {
                let next: String = line[at + 7..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                let target = if modules.contains(&next) {
                    next
                } else {
                    "mod".to_string()
                };
                uses.insert(target);
            }
            let qualified = format!("crate::{dir}::");
            for (at, _) in line.match_indices(&qualified) {
                let next: String = line[at + qualified.len()..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                uses.insert(if modules.contains(&next) {
                    next
                } else {
                    "mod".to_string()
                });
            }
            if name == "mod" {
                for root in roots {
                    if modules.contains(&root) {
                        uses.insert(root);
                    }
                }
            }
        }
        uses.remove(name);
        graph.insert(name.clone(), uses);
    }
    graph
}

/// A cycle in `graph`, if there is one.
fn cycle(
    graph: &std::collections::BTreeMap<String, std::collections::BTreeSet<String>>,
) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &std::collections::BTreeMap<String, std::collections::BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut std::collections::BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|n| n == node) {
            let mut found = path[at..].to_vec();
            found.push(node.to_string());
            return Some(found);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_string());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(found) = visit(next, graph, path, done) {
                return Some(found);
            }
        }
        path.pop();
        done.insert(node.to_string());
        None
    }
    let mut done = std::collections::BTreeSet::new();
    graph
        .keys()
        .find_map(|n| visit(n, graph, &mut Vec::new(), &mut done))
}

#[test]
fn the_fleet_modules_import_each_other_in_one_direction_only() {
    let graph = module_graph("fleet");
    assert!(graph.len() > 5, "{graph:?}");
    if let Some(found) = cycle(&graph) {
        panic!(
            "an import circle in src/fleet: {}\n{graph:#?}",
            found.join(" → ")
        );
    }
}

#[test]
fn the_circle_test_sees_a_circle() {
    let mut graph = std::collections::BTreeMap::new();
    graph.insert("a".to_string(), ["b".to_string()].into());
    graph.insert("b".to_string(), ["c".to_string()].into());
    graph.insert("c".to_string(), ["a".to_string()].into());
    assert_eq!(
        cycle(&graph),
        Some(vec!["a".into(), "b".into(), "c".into(), "a".into()])
    );
    graph.insert("c".to_string(), Default::default());
    assert_eq!(cycle(&graph), None);
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
