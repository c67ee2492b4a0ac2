//! ARM response parsing: any body, under any status, becomes a document or a cause that
//! prints without control characters; any JSON goes through the az CLI → ARM reshaping.
#![no_main]

use libfuzzer_sys::fuzz_target;
use readiness::sources::azure::client::{document, status_cause};

fuzz_target!(|data: &[u8]| {
    let (status, body) = match data {
        [a, b, rest @ ..] => (u16::from_le_bytes([*a, *b]) % 600, rest),
        _ => (200, data),
    };
    if (200..300).contains(&status) {
        if let Ok(value) = document(body, "/fuzz") {
            assert!(value.is_object());
        }
    } else {
        let cause = status_cause(status, body, "/fuzz").to_string();
        assert!(!cause.chars().any(char::is_control), "{cause:?}");
    }
    if let Ok(value) = serde_json::from_slice::<serde_json::Value>(body) {
        let arm = readiness::sources::evidence::to_arm(value.clone());
        assert!(arm.is_object() || (arm.is_null() && !value.is_object()));
        let _ = serde_json::to_string(&arm);
    }
});
