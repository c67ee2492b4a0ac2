//! Properties that must hold for every input, checked on generated ones (proptest):
//! a sign-off survives render → parse unchanged whatever the operator typed; the Markdown
//! escaper never lets a character through that could change the document's structure; and
//! `verify` accepts every untouched attestation and rejects every one-byte change of the
//! sign-off it was rendered from, and of the attestation's rendered part.

use crate::common;

use std::collections::BTreeMap;

use jiff::Timestamp;
use jiff::civil::Date;
use proptest::prelude::*;
use readiness::attest::escape::{evidence_link, markdown};
use readiness::engine::{AutoStatus, CheckStatus};
use readiness::signoff::{
    Answer, AutoCheck, AutoRecord, ChecklistRef, SignOff, Signature, Status, Target,
};

/// `PROPTEST_CASES` when set, else `default`.
fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Any text at all: unicode, quotes, backslashes, newlines, control characters.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        // Weighted towards the characters TOML and Markdown treat specially.
        proptest::collection::vec(
            prop_oneof![
                Just("\"".to_string()),
                Just("'".to_string()),
                Just("'''".to_string()),
                Just("\"\"\"".to_string()),
                Just("\\".to_string()),
                Just("\n".to_string()),
                Just("\r\n".to_string()),
                Just("\r".to_string()),
                Just("\t".to_string()),
                Just("|".to_string()),
                Just("`".to_string()),
                Just("<script>".to_string()),
                Just("-->".to_string()),
                Just("# ".to_string()),
                Just("[x]".to_string()),
                Just("é".to_string()),
                Just("🚀".to_string()),
                Just("\u{202e}".to_string()),
                Just("\u{0}".to_string()),
                Just("\u{7f}".to_string()),
                "[a-z ]{0,6}",
            ],
            0..12
        )
        .prop_map(|parts| parts.concat()),
    ]
}

/// Text the reader requires to be non-blank (names, ids, required fields).
fn filled() -> impl Strategy<Value = String> {
    (text(), "[a-zA-Z0-9]{1,8}").prop_map(|(t, w)| format!("{w}{t}"))
}

fn timestamp() -> impl Strategy<Value = Timestamp> {
    // 0001-01-01 .. 9999-12-31: the years a TOML datetime can hold.
    (
        -62_135_596_800i64..253_402_300_799,
        0i32..1_000_000_000,
        any::<bool>(),
    )
        .prop_map(|(s, ns, whole)| Timestamp::new(s, if whole { 0 } else { ns }).expect("in range"))
}

fn date() -> impl Strategy<Value = Date> {
    (1i16..=9999, 1i8..=12, 1i8..=28).prop_map(|(y, m, d)| Date::new(y, m, d).expect("valid"))
}

fn status() -> impl Strategy<Value = Status> {
    prop::sample::select(Status::ALL.to_vec())
}

fn answer() -> impl Strategy<Value = Answer> {
    (
        status(),
        text(),
        proptest::collection::vec(text(), 0..4),
        filled(),
        timestamp(),
        (filled(), date()),
        proptest::option::of("[0-9a-fA-F]{64}"),
        proptest::option::of(text()),
    )
        .prop_map(
            |(status, note, evidence, by, at, (justification, expires), sha, reason)| {
                let risk = status == Status::RiskAccepted;
                Answer {
                    status,
                    note,
                    evidence,
                    answered_by: by,
                    answered_at: at,
                    justification: risk.then_some(justification),
                    expires: risk.then_some(expires),
                    item_sha256: sha,
                    override_reason: reason,
                }
            },
        )
}

fn auto_record() -> impl Strategy<Value = AutoRecord> {
    let check = (
        filled(),
        text(),
        filled(),
        text(),
        prop::sample::select(vec![
            CheckStatus::Pass,
            CheckStatus::Fail,
            CheckStatus::Error,
            CheckStatus::Skipped,
        ]),
        proptest::option::of(text()),
    )
        .prop_map(
            |(source, resource, expect, observed, status, cause)| AutoCheck {
                source,
                resource,
                expect,
                observed,
                status,
                cause,
            },
        );
    (
        prop::sample::select(vec![
            AutoStatus::Pass,
            AutoStatus::Fail,
            AutoStatus::Error,
            AutoStatus::Manual,
        ]),
        timestamp(),
        proptest::collection::vec(check, 0..3),
    )
        .prop_map(|(status, checked_at, checks)| AutoRecord {
            status,
            checked_at,
            checks,
        })
}

fn target() -> impl Strategy<Value = Target> {
    proptest::collection::vec(proptest::option::of(filled()), 7).prop_map(|v| {
        let mut t = Target::default();
        for (name, value) in Target::FIELDS.iter().zip(v) {
            *t.field_mut(name).expect("known field") = value;
        }
        t
    })
}

fn signoff_with(ids: BoxedStrategy<String>) -> impl Strategy<Value = SignOff> {
    (
        (filled(), filled(), "[0-9a-f]{64}"),
        target(),
        proptest::collection::btree_map(ids.clone(), answer(), 0..6),
        proptest::collection::btree_map(ids, auto_record(), 0..3),
        proptest::option::of((
            (filled(), filled(), timestamp()),
            proptest::option::of(text()),
            proptest::option::of("SHA256:[A-Za-z0-9+/]{43}"),
        )),
    )
        .prop_map(
            |((id, version, sha256), target, items, auto, sig)| SignOff {
                checklist: ChecklistRef {
                    id,
                    version,
                    sha256,
                },
                target,
                items,
                auto,
                signoff: sig.map(|((name, role, signed_at), principal, key_fingerprint)| {
                    Signature {
                        name,
                        role,
                        signed_at,
                        principal,
                        key_fingerprint,
                    }
                }),
            },
        )
}

// Case counts keep the file at a few seconds in a debug build; `PROPTEST_CASES=10000`
// runs more.
proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases(160)))]

    /// Whatever was recorded reads back exactly, item ids included.
    #[test]
    fn signoff_render_then_parse_is_the_identity(s in signoff_with(text().boxed())) {
        let rendered = readiness::signoff::render(None, &s);
        let parsed = readiness::signoff::parse("s.toml", &rendered);
        prop_assert!(parsed.is_ok(), "does not parse: {:?}\n{rendered}", parsed.err());
        prop_assert_eq!(parsed.unwrap(), s.clone(), "{}", rendered);
        // And it has the shape the published JSON Schema describes (`readiness schema signoff`).
        let typed: Result<readiness::signoff::format::SignOffFile, _> = toml::from_str(&rendered);
        prop_assert!(typed.is_ok(), "outside the schema types: {:?}\n{rendered}", typed.err());
        // Rendering over the previous text (how every save works) changes nothing either.
        prop_assert_eq!(readiness::signoff::render(Some(&rendered), &s), rendered);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases(64)))]

    /// A save over an existing file reads back as the new content, not a mix.
    #[test]
    fn a_save_over_another_signoff_reads_back_as_the_new_one(
        old in signoff_with(text().boxed()),
        new in signoff_with(text().boxed()),
    ) {
        let first = readiness::signoff::render(None, &old);
        let second = readiness::signoff::render(Some(&first), &new);
        let parsed = readiness::signoff::parse("s.toml", &second);
        prop_assert!(parsed.is_ok(), "{:?}\n{second}", parsed.err());
        prop_assert_eq!(parsed.unwrap(), new);
    }
}

/// Walks escaped Markdown and returns the characters that stand unescaped (a backslash
/// escapes the next character), with `<br>` (the one tag the escaper writes) and the
/// entities it writes taken out.
fn raw_characters(escaped: &str) -> Vec<char> {
    let without_tags = escaped
        .replace("<br>", "")
        .replace("&amp;", "")
        .replace("&lt;", "")
        .replace("&gt;", "")
        .replace("&#124;", "");
    let mut raw = Vec::new();
    let mut chars = without_tags.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            chars.next();
        } else {
            raw.push(c);
        }
    }
    raw
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases(2048)))]

    #[test]
    fn escaping_lets_no_structural_character_through(s in text()) {
        let out = markdown(&s);
        let raw = raw_characters(&out);
        for bad in ['|', '\n', '\r', '`', '<', '>', '&', '*', '_', '[', ']', '#', '~', '$'] {
            prop_assert!(!raw.contains(&bad), "{bad:?} raw in {out:?} (from {s:?})");
        }
        prop_assert!(!raw.iter().any(|c| c.is_control()), "control character in {out:?}");
        // Escaping loses no text: every character of the input is still there (a line
        // break as <br>, a tab as a space, other control characters dropped).
        let kept = s.chars().filter(|c| !c.is_control()).count();
        prop_assert!(out.chars().count() >= kept);
    }

    #[test]
    fn evidence_is_a_safe_link_or_escaped_text(s in text()) {
        let out = evidence_link(&s);
        let is_link = out.starts_with('[') && out.ends_with(')');
        let shown = if is_link {
            let (label, href) = out.rsplit_once("](").expect("a link");
            // The destination cannot end early or break out of the link.
            let href = &href[..href.len() - 1];
            prop_assert!(href.starts_with("http://") || href.starts_with("https://"), "{out}");
            for bad in ['(', ')', '<', '>', ' ', '\n', '|', '`'] {
                prop_assert!(!href.contains(bad), "{bad:?} in href of {out:?}");
            }
            label[1..].to_string()
        } else {
            out.clone()
        };
        let raw = raw_characters(&shown);
        for bad in ['|', '\n', '\r', '`', '<', '>', '[', ']'] {
            prop_assert!(!raw.contains(&bad), "{bad:?} raw in {out:?} (from {s:?})");
        }
    }
}

/// The small test checklist and a sign-off for it with generated answers.
fn small_checklist() -> readiness::checklist::Checklist {
    readiness::checklist::load_file(&common::small_checklist()).expect("valid")
}

fn small_ids() -> BoxedStrategy<String> {
    prop::sample::select(vec![
        "net.private".to_string(),
        "gov.assessment".to_string(),
        "mon.audit-logs".to_string(),
        "k8s.netpol".to_string(),
        "iac.providers".to_string(),
        "gov.advisor".to_string(),
    ])
    .boxed()
}

/// `s` for the small checklist, saved, read back and attested: (checklist, sign-off text,
/// sign-off as read, attestation).
fn attested(mut s: SignOff) -> (readiness::checklist::Checklist, String, SignOff, String) {
    let checklist = small_checklist();
    s.checklist = ChecklistRef {
        id: checklist.id.clone(),
        version: checklist.version.clone(),
        sha256: checklist.sha256.clone(),
    };
    let text = readiness::signoff::render(None, &s);
    let signoff = readiness::signoff::parse("s.toml", &text).expect("parses");
    let now: Timestamp = common::NOW.parse().unwrap();
    let attestation =
        readiness::attest::attest(&checklist, &text, &signoff, now, None, None).expect("renders");
    (checklist, text, signoff, attestation)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases(32)))]

    #[test]
    fn verify_accepts_the_untouched_render_and_rejects_every_one_byte_change(
        s in signoff_with(small_ids()),
        positions in proptest::collection::vec(any::<prop::sample::Index>(), 48),
        replacements in proptest::collection::vec(1u8..=255, 48),
    ) {
        let (checklist, text, signoff, attestation) = attested(s);
        let outcome = readiness::attest::verify(&attestation, text.as_bytes(), &signoff, &checklist, &Default::default());
        prop_assert!(outcome.ok(), "{:?}", outcome.problems);

        // Every byte, at evenly spread positions plus generated ones, changed to another value.
        let bytes = text.as_bytes();
        let spread = (0..bytes.len()).step_by((bytes.len() / 48).max(1));
        let chosen: Vec<usize> = spread.chain(positions.iter().map(|p| p.index(bytes.len()))).collect();
        for (n, at) in chosen.into_iter().enumerate() {
            let mut changed = bytes.to_vec();
            changed[at] = changed[at].wrapping_add(replacements[n % replacements.len()]);
            // As `readiness verify` reads it: a sign-off that no longer parses is refused
            // before any comparison; one that does must not verify.
            let reread = std::str::from_utf8(&changed)
                .ok()
                .and_then(|t| readiness::signoff::parse("s.toml", t).ok());
            if let Some(reread) = reread {
                let outcome = readiness::attest::verify(&attestation, &changed, &reread, &checklist, &Default::default());
                prop_assert!(!outcome.ok(), "byte {at} changed and still verified");
                prop_assert!(
                    outcome.problems.iter().any(|p| p.contains("the sign-off changed after")),
                    "{:?}", outcome.problems
                );
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases(16)))]

    #[test]
    fn verify_rejects_every_one_byte_change_of_the_rendered_part(
        s in signoff_with(small_ids()),
        positions in proptest::collection::vec(any::<prop::sample::Index>(), 24),
        replacements in proptest::collection::vec(1u8..=255, 24),
    ) {
        let (checklist, text, signoff, attestation) = attested(s);
        // Everything before the render record (the record's own bytes are covered by the
        // rendering comparison too, but a change there may also make it unreadable).
        let rendered_len = attestation.trim_end().rfind('\n').expect("a record line") + 1;
        let bytes = attestation.as_bytes();
        let spread = (0..rendered_len).step_by((rendered_len / 24).max(1));
        let chosen: Vec<usize> = spread.chain(positions.iter().map(|p| p.index(rendered_len))).collect();
        for (n, at) in chosen.into_iter().enumerate() {
            let mut changed = bytes.to_vec();
            changed[at] = changed[at].wrapping_add(replacements[n % replacements.len()]);
            // As `readiness verify` reads it: lossily, so a broken UTF-8 sequence shows.
            let changed = String::from_utf8_lossy(&changed);
            prop_assert_ne!(&changed, &attestation);
            let outcome = readiness::attest::verify(&changed, text.as_bytes(), &signoff, &checklist, &Default::default());
            prop_assert!(!outcome.ok(), "byte {} of the attestation changed and still verified", at);
        }
    }
}

#[test]
fn the_generators_reach_the_hard_cases() {
    // A guard against a generator that quietly stopped producing what the properties are
    // about: a rendered sign-off with a multi-line note, quotes and a control character.
    let mut s = SignOff {
        checklist: ChecklistRef {
            id: "c".into(),
            version: "1".into(),
            sha256: "0".repeat(64),
        },
        ..SignOff::default()
    };
    let note =
        "line one\r\nline \"two\" with '''triple''' and \"\"\"more\"\"\"\n\u{7f}\u{0}\ttab\\";
    s.items.insert(
        "id with \"quotes\"\nand a newline".into(),
        Answer {
            status: Status::Pass,
            note: note.into(),
            evidence: vec!["\n".into(), String::new()],
            answered_by: "a".into(),
            answered_at: "0001-01-01T00:00:00.000000001Z".parse().unwrap(),
            justification: None,
            expires: None,
            item_sha256: None,
            override_reason: Some(String::new()),
        },
    );
    let text = readiness::signoff::render(None, &s);
    assert_eq!(readiness::signoff::parse("s", &text).unwrap(), s, "{text}");
    let _: BTreeMap<String, Answer> = s.items;
}
