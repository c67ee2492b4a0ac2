//! Rule evaluation: every rule of the built-in checklist over any JSON document, and any
//! expression compiled (and, when short, evaluated) over it. Input: the expression on the
//! first line, the JSON document after it.
//!
//! Arbitrary expressions are only evaluated up to 48 bytes: longer ones can be made to take
//! exponential time on purpose (`[@,@]|[@,@]|…` doubles the value at each step, and comparing
//! or printing it walks every copy). Rules come from the checklist, which the operator
//! chooses like configuration (docs/security.md); the documents come from outside.
#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use readiness::rules::Rule;

static BUILTIN: LazyLock<Vec<Rule>> = LazyLock::new(|| {
    let checklist = readiness::checklist::builtin().expect("the built-in checklist loads");
    checklist
        .items
        .iter()
        .flat_map(|i| i.checks.iter())
        .flat_map(|c| std::iter::once(c.expect.clone()).chain(c.observe.clone()))
        .collect()
});

fuzz_target!(|data: &[u8]| {
    let (expression, document) = match data.iter().position(|&b| b == b'\n') {
        Some(at) => (&data[..at], &data[at + 1..]),
        None => (data, &b"{}"[..]),
    };
    let compiled = std::str::from_utf8(expression)
        .ok()
        .and_then(|e| Rule::compile(e).ok().map(|r| (e.len(), r)));
    let Ok(document) = serde_json::from_slice::<serde_json::Value>(document) else {
        return;
    };
    for rule in BUILTIN.iter() {
        if let Ok(passed) = rule.passes(&document) {
            // `passes` is exactly "evaluates to true".
            assert_eq!(
                passed,
                rule.evaluate(&document) == Ok(serde_json::Value::Bool(true))
            );
        }
    }
    // The same checks over the az CLI shape of the document.
    let arm = readiness::sources::evidence::to_arm(document.clone());
    for rule in BUILTIN.iter() {
        let _ = rule.evaluate(&arm);
    }
    if let Some((len, rule)) = compiled
        && len <= 48
    {
        let _ = rule.evaluate(&document);
    }
});
