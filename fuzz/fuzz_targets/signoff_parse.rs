//! Sign-off loading: any text parses or gives diagnostics; whatever parses survives a save
//! (render over the same text, and render from scratch) and reads back unchanged.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(signoff) = readiness::signoff::parse("fuzz.toml", text) else {
        return;
    };
    for previous in [Some(text), None] {
        let saved = readiness::signoff::render(previous, &signoff);
        let again = readiness::signoff::parse("saved.toml", &saved)
            .unwrap_or_else(|e| panic!("a save does not parse:\n{e}\n---\n{saved}"));
        assert_eq!(again, signoff, "a save changed the content:\n{saved}");
    }
});
