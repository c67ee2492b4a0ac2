//! `readiness check --format junit`: JUnit XML as the Jenkins xUnit plugin's `junit-10.xsd`
//! defines it (what Azure Pipelines' PublishTestResults and GitHub test reporters read).
//!
//! One `<testsuite>` per phase, one `<testcase>` per automatic item (name: the item id,
//! classname: its category; titles in the suite's properties, as `item:<id>`). A failing
//! item holds a `<failure>`, an item that could not be checked an `<error>`, an item whose
//! sources this run did not read a `<skipped>`. `junit-10.xsd` has no `skipped` count on
//! `<testsuites>` (only on each suite), so none is written there.
//!
//! Every text goes through quick-xml's escaping, and characters XML 1.0 cannot carry at all
//! (C0 controls but tab, line feed and carriage return; U+FFFE, U+FFFF) are shown as visible
//! escapes (`\x1b`, `\u{fffe}`) first: any item id, cause or observed value gives well-formed
//! XML.

use std::borrow::Cow;

use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};

use super::{Inputs, checks_in, compact, failure_text};
use crate::checklist::Phase;
use crate::verdict::{AutoStatus, CheckStatus, ItemResult};

/// Whether XML 1.0 forbids `c` anywhere in a document (even as a character reference).
fn forbidden_in_xml(c: char) -> bool {
    matches!(c, '\0'..='\x08' | '\x0b' | '\x0c' | '\x0e'..='\x1f' | '\u{fffe}' | '\u{ffff}')
}

/// `text` with every character XML 1.0 forbids shown as a visible escape.
fn xml_safe(text: &str) -> Cow<'_, str> {
    if !text.chars().any(forbidden_in_xml) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            c if !forbidden_in_xml(c) => out.push(c),
            c if c <= '\x7f' => out.push_str(&format!("\\x{:02x}", c as u32)),
            c => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
        }
    }
    Cow::Owned(out)
}

fn start<'a>(name: &'a str, attributes: &[(&str, &str)]) -> BytesStart<'a> {
    let mut element = BytesStart::new(name);
    for (key, value) in attributes {
        element.push_attribute((*key, xml_safe(value).as_ref()));
    }
    element
}

struct Xml(Writer<Vec<u8>>);

impl Xml {
    fn open(&mut self, name: &str, attributes: &[(&str, &str)]) -> std::io::Result<()> {
        self.0.write_event(Event::Start(start(name, attributes)))
    }

    fn empty(&mut self, name: &str, attributes: &[(&str, &str)]) -> std::io::Result<()> {
        self.0.write_event(Event::Empty(start(name, attributes)))
    }

    fn close(&mut self, name: &str) -> std::io::Result<()> {
        self.0.write_event(Event::End(BytesEnd::new(name)))
    }

    /// `<name attributes…>text</name>`.
    fn element(
        &mut self,
        name: &str,
        attributes: &[(&str, &str)],
        text: &str,
    ) -> std::io::Result<()> {
        self.open(name, attributes)?;
        self.0
            .write_event(Event::Text(BytesText::new(&xml_safe(text))))?;
        self.close(name)
    }
}

#[derive(Default)]
struct Counts {
    tests: usize,
    failures: usize,
    errors: usize,
    skipped: usize,
}

impl Counts {
    fn add(&mut self, item: &ItemResult) {
        self.tests += 1;
        match item.status {
            AutoStatus::Fail => self.failures += 1,
            AutoStatus::Error => self.errors += 1,
            AutoStatus::Manual => self.skipped += 1,
            AutoStatus::Pass => {}
        }
    }
}

/// The JUnit XML document for a report.
pub fn junit(inputs: Inputs<'_>) -> Result<String, String> {
    write(inputs).map_err(|e| format!("cannot write the JUnit report: {e}"))
}

fn write(inputs: Inputs<'_>) -> std::io::Result<String> {
    let Inputs {
        checklist,
        items,
        checked_at,
    } = inputs;
    let automatic = |phase: Phase| {
        items.iter().filter(move |i| {
            i.phase == phase && checklist.item(&i.id).is_none_or(|item| item.is_automated())
        })
    };
    let mut all = Counts::default();
    for &phase in Phase::ALL {
        automatic(phase).for_each(|i| all.add(i));
    }
    let timestamp = checked_at.strftime("%Y-%m-%dT%H:%M:%SZ").to_string();
    let checklist_name = format!("{} {}", checklist.id, checklist.version);

    let mut xml = Xml(Writer::new_with_indent(Vec::new(), b' ', 2));
    xml.0
        .write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    let (tests, failures, errors) = (
        all.tests.to_string(),
        all.failures.to_string(),
        all.errors.to_string(),
    );
    xml.open(
        "testsuites",
        &[
            ("name", &format!("readiness check: {checklist_name}")),
            ("tests", &tests),
            ("failures", &failures),
            ("errors", &errors),
        ],
    )?;
    for (n, &phase) in Phase::ALL.iter().enumerate() {
        let mut counts = Counts::default();
        automatic(phase).for_each(|i| counts.add(i));
        let id = n.to_string();
        let (tests, failures, errors, skipped) = (
            counts.tests.to_string(),
            counts.failures.to_string(),
            counts.errors.to_string(),
            counts.skipped.to_string(),
        );
        xml.open(
            "testsuite",
            &[
                ("name", phase.as_str()),
                ("tests", &tests),
                ("failures", &failures),
                ("errors", &errors),
                ("skipped", &skipped),
                ("timestamp", &timestamp),
                ("id", &id),
                ("package", &checklist.id),
            ],
        )?;
        xml.open("properties", &[])?;
        xml.empty(
            "property",
            &[("name", "checklist"), ("value", &checklist_name)],
        )?;
        xml.empty(
            "property",
            &[("name", "checklist.sha256"), ("value", &checklist.sha256)],
        )?;
        for item in automatic(phase) {
            let title = checklist.item(&item.id).map_or("", |i| i.title.as_str());
            xml.empty(
                "property",
                &[("name", &format!("item:{}", item.id)), ("value", title)],
            )?;
        }
        xml.close("properties")?;
        for item in automatic(phase) {
            testcase(&mut xml, inputs, item)?;
        }
        xml.close("testsuite")?;
    }
    xml.close("testsuites")?;
    let mut bytes = xml.0.into_inner();
    bytes.push(b'\n');
    String::from_utf8(bytes).map_err(std::io::Error::other)
}

fn testcase(xml: &mut Xml, inputs: Inputs<'_>, item: &ItemResult) -> std::io::Result<()> {
    let entry = inputs.checklist.item(&item.id);
    let category = entry.map_or(item.phase.as_str(), |i| i.category.as_str());
    let attributes = [("name", item.id.as_str()), ("classname", category)];
    if item.status == AutoStatus::Pass {
        return xml.empty("testcase", &attributes);
    }
    xml.open("testcase", &attributes)?;
    let title = entry.map_or("", |i| i.title.as_str());
    match item.status {
        AutoStatus::Fail => {
            let message = checks_in(item, CheckStatus::Fail)
                .map(failure_text)
                .collect::<Vec<_>>()
                .join(" ");
            let body = body(title, item, CheckStatus::Fail, |c| {
                format!(
                    "{}\n  source: {}\n  resource: {}\n  expected: {}\n  observed: {}",
                    c.explain,
                    c.source,
                    c.resource,
                    c.expect,
                    compact(&c.observed)
                )
            });
            xml.element("failure", &[("message", &message), ("type", "fail")], &body)?;
        }
        AutoStatus::Error => {
            let causes: Vec<&str> = checks_in(item, CheckStatus::Error)
                .map(|c| c.cause.as_deref().unwrap_or("error"))
                .collect();
            let message = causes
                .first()
                .map_or("error", |c| c.lines().next().unwrap_or(c));
            let body = body(title, item, CheckStatus::Error, |c| {
                let cause = c.cause.as_deref().unwrap_or("error");
                format!("{} {}\n  {cause}", c.source, c.resource)
            });
            xml.element("error", &[("message", message), ("type", "error")], &body)?;
        }
        _ => {
            let mut causes: Vec<&str> = item.skip_causes().collect();
            causes.dedup();
            let message = if causes.is_empty() {
                "no source for it was read in this run".to_string()
            } else {
                causes.join("; ")
            };
            xml.empty("skipped", &[("message", &message)])?;
        }
    }
    xml.close("testcase")
}

/// A failure's or error's text: the item's title, then a paragraph per check in `status`.
fn body(
    title: &str,
    item: &ItemResult,
    status: CheckStatus,
    paragraph: impl Fn(&crate::verdict::CheckResult) -> String,
) -> String {
    let mut body = format!("{title}\n");
    for c in checks_in(item, status) {
        body.push_str(&format!("\n{}\n", paragraph(c)));
    }
    body
}

#[cfg(test)]
mod tests {
    use super::xml_safe;

    #[test]
    fn characters_xml_forbids_become_visible_escapes() {
        assert_eq!(xml_safe("a\x1b[2J\0b\u{fffe}"), "a\\x1b[2J\\x00b\\u{fffe}");
        assert_eq!(xml_safe("tab\tlf\ncr\r ]]> <&>"), "tab\tlf\ncr\r ]]> <&>");
    }
}
