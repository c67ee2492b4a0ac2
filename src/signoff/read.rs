//! Sign-off text → [`SignOff`], every problem reported with its position.

use std::collections::BTreeMap;

use jiff::Timestamp;
use jiff::civil::Date;
use toml_edit::TableLike;

use super::{
    Answer, AutoCheck, AutoRecord, ChecklistRef, SCHEMA_VERSION, SignOff, Signature, Status, Target,
};
use crate::diag::{Diagnostics, SourceText, quote};
use crate::tomlread::{Collector, Fields, Spanned, parse_document};
use crate::verdict::{AutoStatus, CheckStatus};

/// Parses sign-off text; `name` is used in messages.
pub fn parse(name: &str, text: &str) -> Result<SignOff, Diagnostics> {
    let source = SourceText::new(name, text);
    let doc = parse_document(&source).map_err(|d| Diagnostics(vec![d]))?;
    let mut c = Collector::new(&source);
    let signoff = read_signoff(&mut c, doc.as_table());
    if c.found.is_empty() {
        Ok(signoff)
    } else {
        Err(Diagnostics::sorted(c.found))
    }
}

fn read_signoff(c: &mut Collector, root: &dyn TableLike) -> SignOff {
    let mut f = Fields::new(root, Some(0..0), "");
    match f.optional_int(c, "schema_version") {
        None if !root.contains_key("schema_version") => c.error(
            Some(0..0),
            format!("missing required key `schema_version` (this tool writes schema_version = {SCHEMA_VERSION})"),
        ),
        Some(v) if v.value != SCHEMA_VERSION => c.error(
            v.span,
            format!("unsupported schema_version {}; this version of readiness reads schema_version = {SCHEMA_VERSION}", v.value),
        ),
        _ => {}
    }
    let checklist = match f.optional_table(c, "checklist") {
        Some((t, span)) => read_checklist_ref(c, t, span),
        None => {
            if !root.contains_key("checklist") {
                c.error(Some(0..0), "missing required table `[checklist]`");
            }
            ChecklistRef::default()
        }
    };
    let target = f
        .optional_table(c, "target")
        .map(|(t, span)| read_target(c, t, span))
        .unwrap_or_default();
    let (items, auto) = f
        .optional_table(c, "items")
        .map(|(t, _)| read_items(c, t))
        .unwrap_or_default();
    let signoff = f
        .optional_table(c, "signoff")
        .and_then(|(t, span)| read_signature(c, t, span));
    f.finish(c);
    SignOff {
        checklist,
        target,
        items,
        auto,
        signoff,
    }
}

fn read_checklist_ref(
    c: &mut Collector,
    t: &dyn TableLike,
    span: Option<std::ops::Range<usize>>,
) -> ChecklistRef {
    let mut f = Fields::new(t, span, "checklist");
    let id = f.required_str(c, "id");
    let version = f.required_str(c, "version");
    let sha256 = f.required_str(c, "sha256");
    check_sha256(c, sha256.as_ref(), "checklist.sha256");
    f.finish(c);
    ChecklistRef {
        id: id.map(|s| s.value).unwrap_or_default(),
        version: version.map(|s| s.value).unwrap_or_default(),
        sha256: sha256.map(|s| s.value).unwrap_or_default(),
    }
}

/// A content hash must look like one: a hand edit that mangles it would
/// otherwise just read as "the item changed".
fn check_sha256(c: &mut Collector, sha: Option<&Spanned<String>>, key: &str) {
    if let Some(sha) = sha
        && !(sha.value.len() == 64 && sha.value.chars().all(|ch| ch.is_ascii_hexdigit()))
    {
        c.error(
            sha.span.clone(),
            format!("`{key}` must be 64 hex digits, found {}", quote(&sha.value)),
        );
    }
}

fn read_target(
    c: &mut Collector,
    t: &dyn TableLike,
    span: Option<std::ops::Range<usize>>,
) -> Target {
    let mut f = Fields::new(t, span, "target");
    let mut target = Target::default();
    for name in Target::FIELDS {
        let value = f
            .optional_str(c, name)
            .map(|s| s.value)
            .filter(|s| !s.trim().is_empty());
        if let Some(slot) = target.field_mut(name) {
            *slot = value;
        }
    }
    f.finish(c);
    target
}

type Items = (BTreeMap<String, Answer>, BTreeMap<String, AutoRecord>);

fn read_items(c: &mut Collector, t: &dyn TableLike) -> Items {
    let mut answers = BTreeMap::new();
    let mut autos = BTreeMap::new();
    for (id, item) in t.iter() {
        let key_span = t.get_key_value(id).and_then(|(k, _)| k.span());
        let Some(table) = item.as_table_like() else {
            c.error(
                item.span().or(key_span),
                format!("`items.\"{id}\"` must be a table of the answer's fields"),
            );
            continue;
        };
        let span = item.span().or(key_span);
        // A table holding only `auto` has an automatic result and no answer yet.
        let only_auto = table.iter().all(|(k, _)| k == "auto");
        if let Some(auto) = table.get("auto")
            && let Some(record) = read_auto(c, auto, span.clone(), id)
        {
            autos.insert(id.to_string(), record);
        }
        if !only_auto && let Some(answer) = read_answer(c, table, span, id) {
            answers.insert(id.to_string(), answer);
        }
    }
    (answers, autos)
}

fn read_auto(
    c: &mut Collector,
    item: &toml_edit::Item,
    span: Option<std::ops::Range<usize>>,
    id: &str,
) -> Option<AutoRecord> {
    let path = format!("items.\"{id}\".auto");
    let Some(table) = item.as_table_like() else {
        c.error(item.span().or(span), format!("`{path}` must be a table"));
        return None;
    };
    let mut f = Fields::new(table, item.span().or(span), path.clone());
    let status = f.required_str(c, "status").and_then(|s| {
        let parsed = AutoStatus::parse(&s.value);
        if parsed.is_none() {
            c.error(
                s.span,
                format!(
                    "unknown automatic status {}; expected pass, fail, error or manual",
                    quote(&s.value)
                ),
            );
        }
        parsed
    });
    let checked_at = read_timestamp(c, &mut f, "checked_at", true);
    let mut checks = Vec::new();
    for (i, (t, s)) in f.optional_tables(c, "checks").into_iter().enumerate() {
        let mut cf = Fields::new(t, s, format!("{path}.checks[{i}]"));
        let source = cf.required_str(c, "source");
        let resource = cf.optional_str(c, "resource");
        let expect = cf.required_str(c, "expect");
        let observed = cf.optional_str(c, "observed");
        let check_status = cf.required_str(c, "status").and_then(|s| {
            let parsed = CheckStatus::parse(&s.value);
            if parsed.is_none() {
                c.error(
                    s.span,
                    format!(
                        "unknown check status {}; expected pass, fail, error or skipped",
                        quote(&s.value)
                    ),
                );
            }
            parsed
        });
        let cause = cf.optional_str(c, "cause");
        cf.finish(c);
        if let (Some(source), Some(expect), Some(status)) = (source, expect, check_status) {
            checks.push(AutoCheck {
                source: source.value,
                resource: resource.map(|r| r.value).unwrap_or_default(),
                expect: expect.value,
                observed: observed
                    .map(|o| o.value)
                    .unwrap_or_else(|| "null".to_string()),
                status,
                cause: cause.map(|c| c.value),
            });
        }
    }
    f.finish(c);
    Some(AutoRecord {
        status: status?,
        checked_at: checked_at?,
        checks,
    })
}

fn read_answer(
    c: &mut Collector,
    t: &dyn TableLike,
    span: Option<std::ops::Range<usize>>,
    id: &str,
) -> Option<Answer> {
    let path = format!("items.\"{id}\"");
    let mut f = Fields::new(t, span.clone(), path.clone());
    let status = f.required_str(c, "status").and_then(|s| {
        let parsed = Status::parse(&s.value);
        if parsed.is_none() {
            let expected = Status::ALL.map(|s| s.as_str()).join(", ");
            c.error(
                s.span,
                format!(
                    "unknown status {}; expected one of: {expected}",
                    quote(&s.value)
                ),
            );
        }
        parsed
    });
    let note = f
        .optional_str(c, "note")
        .map(|s| s.value)
        .unwrap_or_default();
    let evidence = f
        .optional_str_list(c, "evidence")
        .into_iter()
        .map(|s| s.value)
        .collect();
    let answered_by = f.required_str(c, "answered_by");
    let answered_at = read_timestamp(c, &mut f, "answered_at", true);
    let justification = f
        .optional_str(c, "justification")
        .filter(|s| !s.value.trim().is_empty());
    let expires_given = f.has("expires");
    let expires = read_date(c, &mut f, "expires");
    let item_sha256 = f.optional_str(c, "item_sha256");
    check_sha256(c, item_sha256.as_ref(), &format!("{path}.item_sha256"));
    let item_sha256 = item_sha256.map(|s| s.value);
    let override_reason = f.optional_str(c, "override_reason").map(|s| s.value);
    // The automatic result beside the answer is read by `read_auto`.
    let _ = f.optional_table(c, "auto");
    f.finish(c);

    if status == Some(Status::RiskAccepted) {
        if justification.is_none() {
            c.error(
                span.clone(),
                format!("`{path}` is risk-accepted but has no `justification`"),
            );
        }
        if !expires_given {
            c.error(
                span,
                format!("`{path}` is risk-accepted but has no `expires` date"),
            );
        }
    }
    Some(Answer {
        status: status?,
        note,
        evidence,
        answered_by: answered_by?.value,
        answered_at: answered_at?,
        justification: justification.map(|s| s.value),
        expires,
        item_sha256,
        override_reason,
    })
}

fn read_signature(
    c: &mut Collector,
    t: &dyn TableLike,
    span: Option<std::ops::Range<usize>>,
) -> Option<Signature> {
    let mut f = Fields::new(t, span, "signoff");
    let name = f.required_str(c, "name");
    let role = f.required_str(c, "role");
    let signed_at = read_timestamp(c, &mut f, "signed_at", true);
    let principal = f.optional_str(c, "principal").map(|s| s.value);
    let key_fingerprint = f.optional_str(c, "key_fingerprint").map(|s| s.value);
    f.finish(c);
    Some(Signature {
        name: name?.value,
        role: role?.value,
        signed_at: signed_at?,
        principal,
        key_fingerprint,
    })
}

/// A TOML offset datetime (e.g. `2026-11-27T10:00:00Z`) as a UTC instant.
fn read_timestamp(
    c: &mut Collector,
    f: &mut Fields,
    key: &'static str,
    required: bool,
) -> Option<Timestamp> {
    let present = f.has(key);
    let Some(Spanned { value, span }) = f.optional_datetime(c, key) else {
        if required && !present {
            c.error(f.span(), format!("missing required key `{}.{key}`", f.path));
        }
        return None;
    };
    match value.to_string().parse::<Timestamp>() {
        Ok(ts) if value.offset.is_some() => Some(ts),
        _ => {
            c.error(span, format!("`{}.{key}` must be a datetime with an offset, like 2026-11-27T10:00:00Z, found {value}", f.path));
            None
        }
    }
}

/// A TOML local date (e.g. `2027-02-28`).
fn read_date(c: &mut Collector, f: &mut Fields, key: &'static str) -> Option<Date> {
    let Spanned { value, span } = f.optional_datetime(c, key)?;
    match value.to_string().parse::<Date>() {
        Ok(date) if value.time.is_none() => Some(date),
        _ => {
            c.error(
                span,
                format!(
                    "`{}.{key}` must be a date like 2027-02-28, found {value}",
                    f.path
                ),
            );
            None
        }
    }
}
