//! The one terminal-safe printer. Text that did not come from our own code (server
//! responses, sign-offs, checklists, attestations, file names, the environment) could carry
//! terminal escapes: an OSC title or clipboard write (`ESC ]0;…BEL`, `ESC ]52`), a CSI clear
//! or cursor move (`ESC [2J`, `ESC [4A`), an OSC 8 link, a `\r` that overwrites the line, a
//! C1 control (U+009B is a one-character CSI) or a bidi override that reorders what is shown.
//! Every text output and prompt goes through [`safe`] (or [`safe_line`]), which shows such
//! characters as visible escapes instead:
//!
//! | character | shown as |
//! |---|---|
//! | `\r` (and, in [`safe_line`], `\n` and `\t`) | `\r`, `\n`, `\t` |
//! | other C0 controls (U+0000–U+001F, ESC is `\x1b`) and DEL | `\x1b`, `\x07`, `\x7f`: two lowercase hex digits |
//! | C1 controls (U+0080–U+009F) | `\u{9b}`: Rust's escape, lowercase hex |
//! | bidi embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069) | `\u{202e}` |
//!
//! Everything else passes through unchanged, so text without these characters is printed
//! exactly (a backslash stays a backslash). JSON, TOML, Markdown and ICS outputs are written
//! exactly with [`out_exact`]: they have their own escaping and are read by programs.
//!
//! Writing to a closed pipe (`readiness checklist list | head`) ends quietly: a
//! `BrokenPipe` error is dropped (the command goes on to its normal exit status), where
//! `println!` would panic.

use std::borrow::Cow;
use std::io::Write;

/// Whether `c` must not reach a terminal as it is (`\n` and `\t` are decided by the caller).
fn forbidden(c: char) -> bool {
    matches!(c, '\0'..='\x1f' | '\x7f'..='\u{9f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

fn escape(text: &str, keep_layout: bool) -> Cow<'_, str> {
    let kept = |c: char| keep_layout && matches!(c, '\n' | '\t');
    if !text.chars().any(|c| forbidden(c) && !kept(c)) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        match c {
            c if kept(c) || !forbidden(c) => out.push(c),
            '\r' => out.push_str("\\r"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if c <= '\x7f' => out.push_str(&format!("\\x{:02x}", c as u32)),
            c => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
        }
    }
    Cow::Owned(out)
}

/// `text` as it may be shown on a terminal: line breaks and tabs kept, every other control
/// character and bidi override shown as a visible escape (see the module docs).
pub fn safe(text: &str) -> Cow<'_, str> {
    escape(text, true)
}

/// [`safe`] for a one-line field (a prompt's default, an option): `\n` and `\t` escaped too.
pub fn safe_line(text: &str) -> Cow<'_, str> {
    escape(text, false)
}

/// Whether `text` has nothing [`safe`] would change.
pub fn is_safe(text: &str) -> bool {
    matches!(safe(text), Cow::Borrowed(_))
}

/// A write's result with a closed pipe counted as success: the reader is gone, and the rest
/// of the output is not wanted.
pub fn forgive_closed_pipe(result: std::io::Result<()>) -> std::io::Result<()> {
    match result {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}

/// Writes `bytes` to stdout, or to stderr with `to_stderr`. Any failure but a closed pipe
/// (a full disk, say) is told on stderr, where println! would panic; one on stderr itself
/// has nowhere left to be told.
fn write_to(bytes: &[u8], to_stderr: bool) {
    let written = if to_stderr {
        let mut sink = std::io::stderr().lock();
        sink.write_all(bytes).and_then(|()| sink.flush())
    } else {
        let mut sink = std::io::stdout().lock();
        sink.write_all(bytes).and_then(|()| sink.flush())
    };
    if let Err(e) = forgive_closed_pipe(written)
        && !to_stderr
    {
        err(&format!("error: cannot write to standard output: {e}\n"));
    }
}

/// Prints text (a report, a message) on stdout through [`safe`].
pub fn out(text: &str) {
    write_to(safe(text).as_bytes(), false);
}

/// Prints text on stderr through [`safe`].
pub fn err(text: &str) {
    write_to(safe(text).as_bytes(), true);
}

/// Prints a document with its own escaping (JSON, TOML, Markdown, ICS, a shell completion
/// script) on stdout exactly as it is; only a closed pipe is forgiven.
pub fn out_exact(text: &str) {
    write_to(text.as_bytes(), false);
}

/// `println!` through [`out`].
#[macro_export]
macro_rules! outln {
    ($($arg:tt)*) => { $crate::term::out(&format!("{}\n", format_args!($($arg)*))) };
}

/// `eprintln!` through [`err`].
#[macro_export]
macro_rules! errln {
    ($($arg:tt)*) => { $crate::term::err(&format!("{}\n", format_args!($($arg)*))) };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn c0_controls_become_hex_escapes_and_line_breaks_stay() {
        assert_eq!(
            safe("a\x1b]0;PWNED\x07b\x1b[2J\0\x08"),
            "a\\x1b]0;PWNED\\x07b\\x1b[2J\\x00\\x08"
        );
        assert_eq!(safe("one\ntwo\tcols\n"), "one\ntwo\tcols\n");
        assert_eq!(safe("fake\rreal"), "fake\\rreal");
        assert_eq!(safe("\x1f"), "\\x1f");
    }

    #[test]
    fn a_line_field_escapes_its_line_breaks_and_tabs_too() {
        assert_eq!(safe_line("a\nb\tc\r"), "a\\nb\\tc\\r");
        assert_eq!(safe_line("\x1b[4A"), "\\x1b[4A");
    }

    #[test]
    fn del_and_c1_controls_are_escaped() {
        assert_eq!(safe("\x7f"), "\\x7f");
        assert_eq!(safe("\u{9b}2J"), "\\u{9b}2J");
        assert_eq!(safe("\u{80}\u{9d}\u{9f}"), "\\u{80}\\u{9d}\\u{9f}");
        // U+00A0 (no-break space) is the first character past C1: printable.
        assert_eq!(safe("\u{a0}"), "\u{a0}");
    }

    #[test]
    fn bidi_embeddings_overrides_and_isolates_are_escaped() {
        for c in ('\u{202a}'..='\u{202e}').chain('\u{2066}'..='\u{2069}') {
            assert_eq!(safe(&c.to_string()), format!("\\u{{{:x}}}", c as u32));
        }
        assert_eq!(safe("exe.\u{202e}fdp"), "exe.\\u{202e}fdp");
        // Neighbours are ordinary text.
        assert_eq!(
            safe("\u{2029}\u{202f}\u{2065}\u{206a}"),
            "\u{2029}\u{202f}\u{2065}\u{206a}"
        );
    }

    #[test]
    fn ordinary_text_passes_through_unchanged_and_borrowed() {
        for text in [
            "",
            "plain ascii with \\x1b written out",
            "Größe ✔ ✖ ⚠ — 日本語 🚀 café",
            "aks-robots-prod\n  key vault: kv\tx\n",
        ] {
            assert!(
                matches!(safe(text), Cow::Borrowed(t) if t == text),
                "{text:?}"
            );
            assert!(is_safe(text));
        }
        assert!(matches!(safe_line("Größe 🚀"), Cow::Borrowed(_)));
    }

    #[test]
    fn the_escaped_text_is_safe_itself() {
        let hostile = "\x1b]52;c;aGk=\x07\u{9b}\u{202e}\r\n\t\x7f";
        assert!(is_safe(&safe(hostile)));
        assert!(!safe_line(hostile).chars().any(forbidden));
    }
}
