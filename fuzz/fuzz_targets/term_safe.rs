//! The terminal-safe printer (`readiness::term`): whatever the text, what it shows holds no
//! control character (C0 but `\n` and `\t`, DEL, C1) and no bidi override; `safe_line` keeps
//! not even `\n` and `\t`; text without them passes through unchanged; escaping twice
//! changes nothing more.
#![no_main]

use libfuzzer_sys::fuzz_target;
use readiness::term::{is_safe, safe, safe_line};

/// The list, written out again here rather than borrowed from the code under test.
fn forbidden(c: char) -> bool {
    c.is_control()
        || ('\u{202a}'..='\u{202e}').contains(&c)
        || ('\u{2066}'..='\u{2069}').contains(&c)
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let shown = safe(&text);
    assert!(
        !shown
            .chars()
            .any(|c| forbidden(c) && c != '\n' && c != '\t'),
        "{text:?} → {shown:?}"
    );
    let line = safe_line(&text);
    assert!(!line.chars().any(forbidden), "{text:?} → {line:?}");
    if !text.chars().any(|c| forbidden(c) && c != '\n' && c != '\t') {
        assert_eq!(shown, text, "safe text changed");
        assert!(is_safe(&text));
    } else {
        assert!(!is_safe(&text));
    }
    if !text.chars().any(forbidden) {
        assert_eq!(line, text, "safe one-line text changed");
    }
    assert_eq!(safe(&shown), shown, "escaping twice changed more");
    assert_eq!(safe_line(&line), line, "escaping twice changed more");
});
