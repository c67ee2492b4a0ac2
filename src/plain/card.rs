//! An item as text, the way an operator reads it in a terminal: what to do, where to read
//! more, how it is checked, what was last observed and answered. The plain wizard shows it
//! before each question; `readiness checklist show` prints it.

use crate::checklist::Item;
use crate::signoff::SignOff;

/// The parts of an item worth showing, beyond its title and guidance.
pub struct CardParts<'a> {
    /// The sign-off whose answer and automatic result to show.
    pub signoff: &'a SignOff,
    /// How the answer stands today ("Carried from …", "Needs review: …"), if answered.
    pub standing: Option<String>,
    /// List each automatic check's source, JMESPath rule and explanation.
    pub rules: bool,
}

/// `id — title`, the guidance, references, then what `parts` asks for.
pub fn item_card(item: &Item, parts: &CardParts) -> String {
    let mut text = format!("{} — {}\n\n{}\n", item.id, item.title, item.guidance);
    if !item.references.is_empty() {
        text.push_str("\nReferences:\n");
        for r in &item.references {
            text.push_str(&format!("  • {} — {}\n", r.title, r.url));
        }
    }
    if parts.rules && item.is_automated() {
        text.push_str("\nHow it is checked:\n");
        for check in &item.checks {
            text.push_str(&format!(
                "  • {}: {}\n      expect: {}\n",
                check.source,
                check.explain,
                check.expect.text()
            ));
            if let Some(observe) = &check.observe {
                text.push_str(&format!("      shows:  {}\n", observe.text()));
            }
        }
    }
    if let Some(record) = parts.signoff.auto.get(&item.id) {
        let info = crate::attest::auto_info(item, record);
        text.push_str(&format!(
            "\nAutomatic result: {} (checked {})\n",
            info.label, info.checked_at
        ));
        for finding in info.findings {
            text.push_str(&format!("  {finding}\n"));
        }
    }
    if let Some(a) = parts.signoff.items.get(&item.id) {
        text.push_str(&format!(
            "\nCurrent answer: {} by {} at {}\n",
            a.status.mark(),
            a.answered_by,
            crate::attest::format_time(a.answered_at)
        ));
        if let Some(standing) = &parts.standing {
            text.push_str(&format!("{standing}\n"));
        }
    }
    text
}

/// Wraps at word boundaries to the terminal (at most 100 columns, for readability), each
/// continuation indented under its line's text or bullet.
pub fn wrap_for_terminal(text: &str) -> String {
    let width = textwrap::termwidth().clamp(40, 100);
    let mut out = String::new();
    for line in text.lines() {
        let options = textwrap::Options::new(width).subsequent_indent(indent_of(line));
        out.push_str(&textwrap::fill(line, options));
        out.push('\n');
    }
    out
}

/// Continuation lines of a bullet or indented line line up under its text.
fn indent_of(line: &str) -> &'static str {
    let spaces = line.len() - line.trim_start().len();
    let bullet = line.trim_start().starts_with("• ");
    match spaces + if bullet { 2 } else { 0 } {
        0 => "",
        1..=2 => "  ",
        _ => "    ",
    }
}
