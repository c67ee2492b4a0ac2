//! [`SignOff`] → TOML text. When the file already exists, it is edited in place so the
//! comments and layout a user added survive every save.

use toml_edit::{Array, DocumentMut, Item, Table, Value, value};

use super::{Answer, AutoRecord, SCHEMA_VERSION, SignOff};

/// Renders the sign-off, keeping what it can of `existing` (the current file text).
pub fn render(existing: Option<&str>, signoff: &SignOff) -> String {
    let mut doc: DocumentMut = existing
        .and_then(|text| text.parse().ok())
        .unwrap_or_else(new_document);
    let root = doc.as_table_mut();

    set(root, "schema_version", Some(Value::from(SCHEMA_VERSION)));

    let checklist = table(root, "checklist");
    set(checklist, "id", Some(signoff.checklist.id.as_str().into()));
    set(
        checklist,
        "version",
        Some(signoff.checklist.version.as_str().into()),
    );
    set(
        checklist,
        "sha256",
        Some(signoff.checklist.sha256.as_str().into()),
    );

    let target = table(root, "target");
    for name in super::Target::FIELDS {
        set(
            target,
            name,
            signoff.target.field(name).map(|v| v.as_str().into()),
        );
    }

    let items = table(root, "items");
    items.set_implicit(true);
    let stale: Vec<String> = items
        .iter()
        .map(|(k, _)| k.to_string())
        .filter(|k| !signoff.items.contains_key(k) && !signoff.auto.contains_key(k))
        .collect();
    for id in stale {
        items.remove(&id);
    }
    let ids: std::collections::BTreeSet<&String> =
        signoff.items.keys().chain(signoff.auto.keys()).collect();
    for id in ids {
        let t = table(items, id);
        match signoff.items.get(id) {
            Some(answer) => write_answer(t, answer),
            None => {
                // Only an automatic result: no answer fields.
                for key in ANSWER_KEYS {
                    t.remove(key);
                }
                t.set_implicit(true);
            }
        }
        match signoff.auto.get(id) {
            Some(auto) => write_auto(table(t, "auto"), auto),
            None => {
                t.remove("auto");
            }
        }
    }

    match &signoff.signoff {
        Some(sig) => {
            let t = table(root, "signoff");
            set(t, "name", Some(sig.name.as_str().into()));
            set(t, "role", Some(sig.role.as_str().into()));
            set(t, "signed_at", Some(datetime(&sig.signed_at.to_string())));
            set(t, "principal", sig.principal.as_deref().map(Into::into));
            set(
                t,
                "key_fingerprint",
                sig.key_fingerprint.as_deref().map(Into::into),
            );
        }
        None => {
            root.remove("signoff");
        }
    }
    doc.to_string()
}

fn new_document() -> DocumentMut {
    let mut doc = DocumentMut::new();
    doc.decor_mut().set_prefix(
        "# readiness sign-off: answers to the go-live security checklist.\n\
         # Written by `readiness`; keep it in git. Comments you add are kept.\n",
    );
    doc
}

const ANSWER_KEYS: [&str; 9] = [
    "status",
    "note",
    "evidence",
    "answered_by",
    "answered_at",
    "justification",
    "expires",
    "item_sha256",
    "override_reason",
];

fn write_auto(t: &mut Table, auto: &AutoRecord) {
    set(t, "status", Some(auto.status.as_str().into()));
    set(
        t,
        "checked_at",
        Some(datetime(&auto.checked_at.to_string())),
    );
    let mut checks = toml_edit::ArrayOfTables::new();
    for check in &auto.checks {
        let mut c = Table::new();
        c.insert("source", value(check.source.as_str()));
        if !check.resource.is_empty() {
            c.insert("resource", value(check.resource.as_str()));
        }
        c.insert("expect", value(check.expect.as_str()));
        c.insert("observed", value(check.observed.as_str()));
        c.insert("status", value(check.status.as_str()));
        if let Some(cause) = &check.cause {
            c.insert("cause", value(cause.as_str()));
        }
        checks.push(c);
    }
    t.insert("checks", Item::ArrayOfTables(checks));
}

fn write_answer(t: &mut Table, a: &Answer) {
    set(t, "status", Some(a.status.as_str().into()));
    set(
        t,
        "note",
        (!a.note.is_empty()).then(|| a.note.as_str().into()),
    );
    set(
        t,
        "evidence",
        (!a.evidence.is_empty())
            .then(|| Value::Array(a.evidence.iter().map(String::as_str).collect::<Array>())),
    );
    set(t, "answered_by", Some(a.answered_by.as_str().into()));
    set(t, "answered_at", Some(datetime(&a.answered_at.to_string())));
    set(
        t,
        "justification",
        a.justification.as_deref().map(Value::from),
    );
    set(t, "expires", a.expires.map(|d| datetime(&d.to_string())));
    set(t, "item_sha256", a.item_sha256.as_deref().map(Value::from));
    set(
        t,
        "override_reason",
        a.override_reason.as_deref().map(Value::from),
    );
}

fn datetime(text: &str) -> Value {
    // The text comes from jiff's RFC 3339 / ISO 8601 output, which TOML accepts.
    text.parse::<toml_edit::Datetime>()
        .map(Value::from)
        .unwrap_or_else(|_| Value::from(text))
}

/// The table under `key`, created (or replacing a non-table) when needed.
fn table<'t>(parent: &'t mut Table, key: &str) -> &'t mut Table {
    if !parent.get(key).is_some_and(Item::is_table) {
        parent.insert(key, Item::Table(Table::new()));
    }
    parent[key].as_table_mut().expect("just made a table")
}

/// Sets or removes a key, keeping the comments and spacing around an existing value.
fn set(t: &mut Table, key: &str, new: Option<Value>) {
    let Some(mut new) = new else {
        t.remove(key);
        return;
    };
    match t.get_mut(key).and_then(Item::as_value_mut) {
        Some(old) => {
            if old.to_string().trim() == new.to_string().trim() {
                return;
            }
            *new.decor_mut() = old.decor().clone();
            *old = new;
        }
        None => {
            t.insert(key, value(new));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signoff::{Status, parse};

    fn sample() -> SignOff {
        let mut s = SignOff::default();
        s.checklist.id = "c".into();
        s.checklist.version = "1".into();
        s.checklist.sha256 = "a".repeat(64);
        s.target.name = Some("robots-prod".into());
        s.items.insert(
            "net.x".into(),
            Answer {
                status: Status::RiskAccepted,
                note: "line one\nline \"two\"".into(),
                evidence: vec!["https://example.org/a".into()],
                answered_by: "alice".into(),
                answered_at: "2026-11-27T10:00:00Z".parse().unwrap(),
                justification: Some("vendor fix pending".into()),
                expires: Some("2027-01-31".parse().unwrap()),
                item_sha256: None,
                override_reason: None,
            },
        );
        s
    }

    #[test]
    fn render_then_parse_is_identity() {
        let s = sample();
        let text = render(None, &s);
        assert_eq!(parse("s.toml", &text).unwrap(), s, "{text}");
        assert!(text.contains("[items.\"net.x\"]"), "{text}");
        assert!(
            text.contains("answered_at = 2026-11-27T10:00:00Z"),
            "{text}"
        );
        assert!(text.contains("expires = 2027-01-31"), "{text}");
    }

    #[test]
    fn user_comments_survive_a_rewrite() {
        let s = sample();
        let text = render(None, &s).replace("[target]", "# owned by the platform team\n[target]");
        let text = text.replace(
            "status = \"risk-accepted\"",
            "status = \"risk-accepted\" # see ticket 42",
        );
        let mut changed = s.clone();
        changed.items.get_mut("net.x").unwrap().note = "new note".into();
        let again = render(Some(&text), &changed);
        assert!(
            again.contains("# owned by the platform team\n[target]"),
            "{again}"
        );
        assert!(again.contains("# see ticket 42"), "{again}");
        assert!(again.contains("note = \"new note\""), "{again}");
    }
}
