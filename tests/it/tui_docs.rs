//! docs/tui.md lists every key binding of the keymap table, with its description, so the
//! documentation cannot drift from what the keys do (Help is generated from the same table).

use readiness::tui::keymap::{BINDINGS, help_sections};

#[test]
fn docs_list_every_binding_of_the_keymap() {
    let docs = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/tui.md"))
        .expect("docs/tui.md");
    let mut missing = Vec::new();
    for (context, rows) in help_sections() {
        assert!(
            docs.contains(context.title()),
            "section {:?}",
            context.title()
        );
        for (keys, desc) in rows {
            let row = format!("| `{keys}` | {desc} |");
            if !docs.contains(&row) {
                missing.push(format!("{}: {row}", context.title()));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "docs/tui.md is missing these rows (regenerate the table):\n{}",
        missing.join("\n")
    );
    assert!(!BINDINGS.is_empty());
}

/// `cargo test --test tui_docs -- --ignored --nocapture` prints the table for docs/tui.md.
#[test]
#[ignore = "prints the key table for docs/tui.md"]
fn print_the_keymap_table() {
    for (context, rows) in help_sections() {
        println!("\n**{}**\n\n| keys | does |\n|---|---|", context.title());
        for (keys, desc) in rows {
            println!("| `{keys}` | {desc} |");
        }
    }
}
