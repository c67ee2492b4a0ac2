//! Attestation rendering with arbitrary operator text in every field the operator fills: the
//! sign-off survives a save, the attestation renders, holds no HTML but its own, and
//! verifies against the sign-off it came from.
#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::arbitrary::{self, Arbitrary};
use libfuzzer_sys::fuzz_target;
use readiness::signoff::{Answer, ChecklistRef, SignOff, Signature, Status, Target};

static CHECKLIST: LazyLock<readiness::checklist::Checklist> = LazyLock::new(|| {
    readiness::checklist::load_str(
        "small.toml",
        include_str!("../../tests/data/checklists/small.toml"),
    )
    .expect("the test checklist loads")
});

#[derive(Debug, Arbitrary)]
struct Input {
    answers: Vec<(u8, u8, Text)>,
    target: [Option<String>; 7],
    signer: Option<(String, String)>,
}

#[derive(Debug, Arbitrary)]
struct Text {
    note: String,
    evidence: Vec<String>,
    by: String,
    justification: String,
    override_reason: Option<String>,
}

fn filled(s: &str) -> String {
    if s.trim().is_empty() {
        format!("x{s}")
    } else {
        s.to_string()
    }
}

fuzz_target!(|input: Input| {
    let checklist = &*CHECKLIST;
    let now: jiff::Timestamp = "2026-11-27T10:00:00Z".parse().unwrap();
    let mut s = SignOff {
        checklist: ChecklistRef {
            id: checklist.id.clone(),
            version: checklist.version.clone(),
            sha256: checklist.sha256.clone(),
        },
        ..SignOff::default()
    };
    let mut target = Target::default();
    for (name, value) in Target::FIELDS.iter().zip(&input.target) {
        *target.field_mut(name).unwrap() = value.as_ref().filter(|v| !v.trim().is_empty()).cloned();
    }
    s.target = target;
    for (which, status, text) in input.answers.iter().take(8) {
        let item = &checklist.items[*which as usize % checklist.items.len()];
        let status = Status::ALL[*status as usize % 4];
        let risk = status == Status::RiskAccepted;
        s.items.insert(
            item.id.clone(),
            Answer {
                status,
                note: text.note.clone(),
                evidence: text.evidence.iter().take(4).cloned().collect(),
                answered_by: filled(&text.by),
                answered_at: now,
                justification: risk.then(|| filled(&text.justification)),
                expires: risk.then(|| jiff::civil::date(2027, 1, 31)),
                item_sha256: Some(item.content_sha256().to_string()),
                override_reason: text.override_reason.clone(),
            },
        );
    }
    s.signoff = input.signer.as_ref().map(|(name, role)| Signature {
        name: filled(name),
        role: filled(role),
        signed_at: now,
        principal: None,
        key_fingerprint: None,
    });

    let text = readiness::signoff::render(None, &s);
    let parsed = readiness::signoff::parse("fuzz.toml", &text).expect("a saved sign-off parses");
    assert_eq!(parsed, s);
    let md = readiness::attest::attest(checklist, &text, &parsed, now, None, None)
        .expect("the built-in template renders");
    for line in md.lines() {
        if line.starts_with(readiness::attest::STATUSES_MARKER)
            || line.starts_with(readiness::attest::record::RECORD_PREFIX)
        {
            continue;
        }
        assert!(!line.replace("<br>", "").contains('<'), "raw HTML: {line}");
    }
    let outcome = readiness::attest::verify(&md, text.as_bytes(), &parsed, checklist, &Default::default());
    assert!(outcome.ok(), "{:?}", outcome.problems);
});
