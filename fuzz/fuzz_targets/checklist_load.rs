//! Checklist loading: any text either loads or gives diagnostics, each with a position
//! inside the file; nothing panics, overflows the stack or hangs.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match readiness::checklist::load_str("fuzz.toml", text) {
        Ok(checklist) => {
            assert!(!checklist.items.is_empty());
            for item in &checklist.items {
                let _ = item.content_sha256();
            }
        }
        Err(diagnostics) => {
            assert!(!diagnostics.0.is_empty());
            let lines = text.lines().count() + 1;
            for d in &diagnostics.0 {
                assert!(d.line >= 1 && d.line <= lines, "{d} outside the file");
            }
            let _ = diagnostics.to_string();
        }
    }
});
