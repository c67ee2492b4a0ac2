//! Checklist file → validated [`Checklist`], with every problem reported at once.

use std::collections::HashMap;
use std::path::Path;

use sha2::{Digest, Sha256};
use toml_edit::TableLike;

use super::{
    Check, Checklist, DEFAULT_MAX_RISK_ACCEPTANCE_DAYS, DEFAULT_REVALIDATE_DAYS, DocumentSource,
    Item, Phase, Reference, Severity,
};
use crate::diag::{Diagnostics, SourceText, quote};
use crate::rules::Rule;
use crate::tomlread::{Collector, Fields, parse_document};

pub const SCHEMA_VERSION: i64 = 1;
const MAX_DAYS: std::ops::RangeInclusive<i64> = 1..=3650;

/// Reads and validates a checklist file. I/O problems are reported as a diagnostic too.
pub fn load_file(path: &Path) -> Result<Checklist, Diagnostics> {
    let name = path.display().to_string();
    let bytes = crate::fsread::read_regular(path, crate::fsread::MAX_CHECKLIST).map_err(|e| {
        Diagnostics(vec![
            SourceText::new(name.clone(), "")
                .diagnostic(None, format!("cannot read checklist: {}", e.reason())),
        ])
    })?;
    let text = String::from_utf8(bytes).map_err(|e| {
        let source = SourceText::new(
            name.clone(),
            String::from_utf8_lossy(e.as_bytes()).into_owned(),
        );
        let at = e.utf8_error().valid_up_to();
        Diagnostics(vec![
            source.diagnostic(Some(at..at), "the file is not valid UTF-8"),
        ])
    })?;
    load_str(&name, &text)
}

/// Validates checklist text; `name` is used in messages.
pub fn load_str(name: &str, text: &str) -> Result<Checklist, Diagnostics> {
    let source = SourceText::new(name, text);
    let doc = parse_document(&source).map_err(|d| Diagnostics(vec![d]))?;
    let mut c = Collector::new(&source);
    let checklist = read_checklist(&mut c, doc.as_table());
    match checklist {
        Some(checklist) if c.found.is_empty() => Ok(checklist),
        _ => Err(Diagnostics::sorted(c.found)),
    }
}

fn read_checklist(c: &mut Collector, root: &dyn TableLike) -> Option<Checklist> {
    let mut f = Fields::new(root, Some(0..0), "");
    let schema = f.optional_int(c, "schema_version");
    match &schema {
        None if !root.contains_key("schema_version") => {
            c.error(Some(0..0), format!("missing required key `schema_version` (this tool reads schema_version = {SCHEMA_VERSION})"))
        }
        Some(v) if v.value != SCHEMA_VERSION => c.error(
            v.span.clone(),
            format!("unsupported schema_version {}; this version of readiness reads schema_version = {SCHEMA_VERSION}", v.value),
        ),
        _ => {}
    }
    let id = f.required_str(c, "id");
    if let Some(id) = &id {
        check_id(c, id.span.clone(), &id.value, "checklist id");
    }
    let title = f.required_str(c, "title");
    let version = f.required_str(c, "version");
    let description = f.optional_str(c, "description");
    let revalidate_days = f.optional_count(c, "revalidate_days", MAX_DAYS);
    let max_risk = f.optional_count(c, "max_risk_acceptance_days", MAX_DAYS);
    let tables = f.optional_tables(c, "items");
    if tables.is_empty() && root.contains_key("items") {
        c.error(f.key_span("items"), "the checklist has no items");
    } else if !root.contains_key("items") {
        c.error(
            Some(0..0),
            "missing required key `items` (at least one [[items]] table)",
        );
    }
    f.finish(c);

    let mut items = Vec::with_capacity(tables.len());
    let mut first_seen: HashMap<String, usize> = HashMap::new();
    for (index, (table, span)) in tables.into_iter().enumerate() {
        if let Some((item, id_span)) = read_item(c, table, span, index) {
            if let Some(previous) = first_seen.get(&item.id) {
                let (line, _) = c.source.position(*previous);
                c.error(
                    id_span,
                    format!(
                        "duplicate item id {} (first defined on line {line})",
                        quote(&item.id)
                    ),
                );
            } else {
                first_seen.insert(item.id.clone(), id_span.map_or(0, |s| s.start));
                items.push(item);
            }
        }
    }

    Some(Checklist {
        id: id?.value,
        title: title?.value,
        version: version?.value,
        description: description.map(|d| d.value),
        revalidate_days: revalidate_days.unwrap_or(DEFAULT_REVALIDATE_DAYS),
        max_risk_acceptance_days: max_risk.unwrap_or(DEFAULT_MAX_RISK_ACCEPTANCE_DAYS),
        items,
        sha256: hex::encode(Sha256::digest(c.source.text.as_bytes())),
        origin: c.source.name.clone(),
    })
}

fn read_item(
    c: &mut Collector,
    table: &dyn TableLike,
    span: Option<std::ops::Range<usize>>,
    index: usize,
) -> Option<(Item, Option<std::ops::Range<usize>>)> {
    let mut f = Fields::new(table, span, format!("items[{index}]"));
    let id = f.required_str(c, "id");
    if let Some(id) = &id {
        check_id(c, id.span.clone(), &id.value, "item id");
        f.path = format!("items[{index}] ({})", id.value);
    }
    let phase = f.required_str(c, "phase").and_then(|p| {
        let parsed = Phase::parse(&p.value);
        if parsed.is_none() {
            c.error(
                p.span,
                format!(
                    "unknown phase {}; expected one of: {}",
                    quote(&p.value),
                    Phase::spellings()
                ),
            );
        }
        parsed
    });
    let category = f.required_str(c, "category");
    let title = f.required_str(c, "title");
    let guidance = f.required_str(c, "guidance");
    let severity = f.optional_str(c, "severity").and_then(|s| {
        let parsed = Severity::parse(&s.value);
        if parsed.is_none() {
            c.error(
                s.span,
                format!(
                    "unknown severity {}; expected one of: {}",
                    quote(&s.value),
                    Severity::spellings()
                ),
            );
        }
        parsed
    });
    let sources = f.optional_str_list(c, "sources");
    let revalidate_days = f.optional_count(c, "revalidate_days", MAX_DAYS);
    let path = f.path.clone();
    let references: Vec<Reference> = f
        .optional_tables(c, "references")
        .into_iter()
        .enumerate()
        .filter_map(|(i, (t, s))| read_reference(c, t, s, format!("{path}.references[{i}]")))
        .collect();
    let checks: Vec<Check> = f
        .optional_tables(c, "checks")
        .into_iter()
        .enumerate()
        .filter_map(|(i, (t, s))| read_check(c, t, s, format!("{path}.checks[{i}]")))
        .collect();
    f.finish(c);

    let id = id?;
    let (title, guidance) = (title?.value, guidance?.value.trim().to_string());
    Some((
        Item {
            id: id.value,
            phase: phase?,
            category: category?.value,
            content_sha256: Item::digest(&title, &guidance, &checks),
            title,
            guidance,
            severity,
            sources: sources.into_iter().map(|s| s.value).collect(),
            revalidate_days,
            references,
            checks,
        },
        id.span,
    ))
}

fn read_reference(
    c: &mut Collector,
    table: &dyn TableLike,
    span: Option<std::ops::Range<usize>>,
    path: String,
) -> Option<Reference> {
    let mut f = Fields::new(table, span, path);
    let title = f.required_str(c, "title");
    let url = f.required_str(c, "url");
    f.finish(c);
    let url = url?;
    match url::Url::parse(&url.value) {
        Ok(parsed) if matches!(parsed.scheme(), "http" | "https") && parsed.host().is_some() => {}
        Ok(_) => {
            c.error(
                url.span,
                format!(
                    "malformed URL {}: only http and https links are allowed",
                    quote(&url.value)
                ),
            );
            return None;
        }
        Err(e) => {
            c.error(
                url.span,
                format!("malformed URL {}: {e}", quote(&url.value)),
            );
            return None;
        }
    }
    Some(Reference {
        title: title?.value,
        url: url.value,
    })
}

fn read_check(
    c: &mut Collector,
    table: &dyn TableLike,
    span: Option<std::ops::Range<usize>>,
    path: String,
) -> Option<Check> {
    let mut f = Fields::new(table, span, path);
    let source = f.required_str(c, "source").and_then(|s| {
        let parsed = DocumentSource::parse(&s.value);
        if parsed.is_none() {
            c.error(
                s.span,
                format!(
                    "unknown source {}; expected one of: {}",
                    quote(&s.value),
                    DocumentSource::spellings()
                ),
            );
        }
        parsed
    });
    let compile =
        |c: &mut Collector, key: &'static str, value: Option<crate::tomlread::Spanned<String>>| {
            let value = value?;
            match Rule::compile(&value.value) {
                Ok(rule) => Some(rule),
                Err(e) => {
                    c.error(
                        value.span,
                        format!(
                            "`{key}` is not a valid JMESPath expression {}: {e}",
                            quote(&value.value)
                        ),
                    );
                    None
                }
            }
        };
    let expect = f.required_str(c, "expect");
    let expect = compile(c, "expect", expect);
    let observe_text = f.optional_str(c, "observe");
    let observe_given = observe_text.is_some();
    let observe = compile(c, "observe", observe_text);
    let explain = f.required_str(c, "explain");
    f.finish(c);
    if observe_given && observe.is_none() {
        return None;
    }
    Some(Check {
        source: source?,
        expect: expect?,
        observe,
        explain: explain?.value,
    })
}

/// Ids are stable keys in sign-off files: lower-case words, digits, dots and dashes.
fn check_id(c: &mut Collector, span: Option<std::ops::Range<usize>>, id: &str, what: &str) {
    let ok = id
        .chars()
        .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || matches!(ch, '.' | '-' | '_'))
        && id
            .chars()
            .next()
            .is_some_and(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit());
    if !ok {
        c.error(
            span,
            format!("{what} {} may use only lower-case letters, digits, '.', '-' and '_', starting with a letter or digit", quote(id)),
        );
    }
}
