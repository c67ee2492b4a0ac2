//! Bounds on attestation templates.
//!
//! `attest --template FILE` runs a tera template from a file. Without bounds a template can
//! crash or hang the tool: tera's parser recurses once per nesting level (a few hundred
//! nested `{% if %}` or parentheses overflow the stack) and takes exponential time on nested
//! calls (`f(a=[f(a=[…])])`, ten levels take minutes); rendering recurses once per macro
//! call (a recursive macro overflows the stack) and loops as long as the template says
//! (nested `for` over `range(end=…)`); the built-in `range` allocates without limit (and
//! loops for ever with `step_by=0`); `get_env` would copy environment variables, secrets
//! included, into the attestation.
//!
//! So the text is checked before tera parses it ([`check_text`]), the syntax tree before it
//! runs ([`check_tree`]), `range` and `get_env` are replaced ([`restrict`]), and rendering
//! runs on its own thread with a deadline and an output cap ([`render_bounded`]).

use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tera::ast::{Expr, ExprVal, Node};

/// The built-in template is about 5 KiB.
pub const MAX_TEMPLATE_BYTES: usize = 1 << 20;
/// Nested `{% if/for/macro/block/filter %}` (the built-in template nests 4 deep).
pub const MAX_BLOCK_DEPTH: usize = 32;
/// Brackets nested inside one tag (the built-in template nests 1 deep). Parsing takes about
/// 30 ms at 4 levels in a debug build, 6 s at 10.
pub const MAX_BRACKET_DEPTH: usize = 4;
/// Characters inside one `{{ … }}` or `{% … %}` (binary operators recurse once each).
pub const MAX_TAG_CHARS: usize = 500;
/// Macros calling macros (the built-in template has none).
pub const MAX_MACRO_CHAIN: usize = 16;
/// The most elements `range(…)` may produce.
pub const MAX_RANGE: u64 = 100_000;
/// Room for every nesting the checks allow, even in a debug build.
const RENDER_STACK: usize = 32 << 20;

/// How long rendering may take and how much it may write.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub time: Duration,
    pub output_bytes: usize,
}

impl Default for Limits {
    /// The built-in template renders 10,000 items in well under a second.
    fn default() -> Self {
        Self {
            time: Duration::from_secs(20),
            output_bytes: 64 << 20,
        }
    }
}

/// Checks the template text before tera parses it: size, block nesting, and the length and
/// bracket nesting of each tag. Errors name the template line.
pub fn check_text(text: &str) -> Result<(), String> {
    if text.len() > MAX_TEMPLATE_BYTES {
        return Err(format!(
            "the template is {} bytes; at most {MAX_TEMPLATE_BYTES} are allowed",
            text.len()
        ));
    }
    let line = |offset: usize| text[..offset].matches('\n').count() + 1;
    let mut depth = 0usize;
    let mut pos = 0usize;
    while let Some(found) = text[pos..].find('{') {
        let start = pos + found;
        let close = match text.as_bytes().get(start + 1) {
            Some(b'{') => "}}",
            Some(b'%') => "%}",
            Some(b'#') => "#}",
            _ => {
                pos = start + 1;
                continue;
            }
        };
        let inner_start = start + 2;
        let Some(len) = text[inner_start..].find(close) else {
            // An unclosed tag: tera's own error says where.
            return Ok(());
        };
        let inner = &text[inner_start..inner_start + len];
        pos = inner_start + len + 2;
        if close == "#}" {
            continue;
        }
        if inner.chars().count() > MAX_TAG_CHARS {
            return Err(format!(
                "line {}: a tag longer than {MAX_TAG_CHARS} characters",
                line(start)
            ));
        }
        if bracket_depth(inner) > MAX_BRACKET_DEPTH {
            return Err(format!(
                "line {}: brackets nested more than {MAX_BRACKET_DEPTH} deep in one tag",
                line(start)
            ));
        }
        if close != "%}" {
            continue;
        }
        let word = inner
            .trim_start_matches(['-', '+'])
            .trim_start()
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .next()
            .unwrap_or_default();
        match word {
            "if" | "for" | "macro" | "block" | "filter" => {
                depth += 1;
                if depth > MAX_BLOCK_DEPTH {
                    return Err(format!(
                        "line {}: blocks nested more than {MAX_BLOCK_DEPTH} deep",
                        line(start)
                    ));
                }
            }
            // Raw text is not parsed: skip to the end of the raw block.
            "raw" => match text[pos..].find("endraw") {
                Some(end) => pos += end,
                None => return Ok(()),
            },
            w if w.starts_with("end") => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    Ok(())
}

/// Deepest nesting of `(`, `[` and `{` outside quoted strings.
fn bracket_depth(tag: &str) -> usize {
    let (mut depth, mut max, mut quote) = (0usize, 0usize, None);
    for ch in tag.chars() {
        match (quote, ch) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'' | '`') => quote = Some(ch),
            (None, '(' | '[' | '{') => {
                depth += 1;
                max = max.max(depth);
            }
            (None, ')' | ']' | '}') => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    max
}

/// Checks the parsed template: one file (no `extends`, `include` or `import`), and macros
/// that do not call themselves, directly or through others, nor chain too deep.
pub fn check_tree(template: &tera::Template) -> Result<(), String> {
    let mut found = Found::default();
    walk_nodes(&template.ast, &mut found);
    for m in template.macros.values() {
        walk_nodes(&m.body, &mut found);
    }
    if let Some(tag) = found.other_file {
        return Err(format!(
            "`{tag}` is not available: an attestation template is one file (call its own macros as `self::name()`)"
        ));
    }
    let calls: HashMap<&str, HashSet<String>> = template
        .macros
        .iter()
        .map(|(name, m)| {
            let mut f = Found::default();
            walk_nodes(&m.body, &mut f);
            (name.as_str(), f.macro_calls)
        })
        .collect();
    let mut longest: HashMap<&str, usize> = HashMap::new();
    for name in calls.keys() {
        chain_length(name, &calls, &mut longest, &mut Vec::new())?;
    }
    Ok(())
}

/// The longest chain of macro calls starting at `name` (1 for a macro that calls none).
fn chain_length<'a>(
    name: &'a str,
    calls: &'a HashMap<&'a str, HashSet<String>>,
    longest: &mut HashMap<&'a str, usize>,
    path: &mut Vec<&'a str>,
) -> Result<usize, String> {
    if let Some(&n) = longest.get(name) {
        return Ok(n);
    }
    if path.contains(&name) {
        path.push(name);
        return Err(format!(
            "macro `{name}` calls itself ({}); recursion is not available in attestation templates",
            path.join(" → ")
        ));
    }
    if path.len() >= MAX_MACRO_CHAIN {
        return Err(format!(
            "macros call each other more than {MAX_MACRO_CHAIN} deep ({} → …)",
            path.join(" → ")
        ));
    }
    path.push(name);
    let mut n = 1;
    for callee in calls.get(name).into_iter().flatten() {
        // A call to an unknown macro fails when rendered, with tera's own message.
        if let Some((&key, _)) = calls.get_key_value(callee.as_str()) {
            n = n.max(1 + chain_length(key, calls, longest, path)?);
        }
    }
    path.pop();
    longest.insert(name, n);
    Ok(n)
}

#[derive(Default)]
struct Found {
    other_file: Option<&'static str>,
    macro_calls: HashSet<String>,
}

fn walk_nodes(nodes: &[Node], found: &mut Found) {
    for node in nodes {
        match node {
            Node::Extends(..) => found.other_file = Some("extends"),
            Node::Include(..) => found.other_file = Some("include"),
            Node::ImportMacro(..) => found.other_file = Some("import"),
            Node::VariableBlock(_, e) => walk_expr(e, found),
            Node::Set(_, set) => walk_expr(&set.value, found),
            Node::FilterSection(_, section, _) => {
                walk_args(&section.filter.args, found);
                walk_nodes(&section.body, found);
            }
            Node::Block(_, block, _) => walk_nodes(&block.body, found),
            Node::Forloop(_, l, _) => {
                walk_expr(&l.container, found);
                walk_nodes(&l.body, found);
                if let Some(body) = &l.empty_body {
                    walk_nodes(body, found);
                }
            }
            Node::If(i, _) => {
                for (_, condition, body) in &i.conditions {
                    walk_expr(condition, found);
                    walk_nodes(body, found);
                }
                if let Some((_, body)) = &i.otherwise {
                    walk_nodes(body, found);
                }
            }
            // Macro bodies are walked from `Template::macros`.
            Node::MacroDefinition(..)
            | Node::Super
            | Node::Text(_)
            | Node::Raw(..)
            | Node::Break(_)
            | Node::Continue(_)
            | Node::Comment(..) => {}
        }
    }
}

fn walk_args(args: &HashMap<String, Expr>, found: &mut Found) {
    for e in args.values() {
        walk_expr(e, found);
    }
}

fn walk_expr(e: &Expr, found: &mut Found) {
    for f in &e.filters {
        walk_args(&f.args, found);
    }
    walk_val(&e.val, found);
}

fn walk_val(v: &ExprVal, found: &mut Found) {
    match v {
        ExprVal::MacroCall(call) => {
            found.macro_calls.insert(call.name.clone());
            walk_args(&call.args, found);
        }
        ExprVal::FunctionCall(call) => walk_args(&call.args, found),
        ExprVal::Math(m) => {
            walk_expr(&m.lhs, found);
            walk_expr(&m.rhs, found);
        }
        ExprVal::Logic(l) => {
            walk_expr(&l.lhs, found);
            walk_expr(&l.rhs, found);
        }
        ExprVal::In(i) => {
            walk_expr(&i.lhs, found);
            walk_expr(&i.rhs, found);
        }
        ExprVal::Test(t) => {
            for a in &t.args {
                walk_expr(a, found);
            }
        }
        ExprVal::Array(items) => {
            for a in items {
                walk_expr(a, found);
            }
        }
        ExprVal::StringConcat(s) => {
            for v in &s.values {
                walk_val(v, found);
            }
        }
        ExprVal::String(_)
        | ExprVal::Int(_)
        | ExprVal::Float(_)
        | ExprVal::Bool(_)
        | ExprVal::Ident(_) => {}
    }
}

/// Replaces tera's `range` (unbounded, and endless with `step_by=0`) with a bounded one that
/// also stops once rendering is cancelled, and `get_env` with a refusal.
pub fn restrict(tera: &mut tera::Tera, cancelled: Arc<AtomicBool>) {
    tera.register_function(
        "range",
        move |args: &HashMap<String, tera::Value>| -> tera::Result<tera::Value> {
            if cancelled.load(Ordering::Relaxed) {
                return Err(tera::Error::msg("rendering was stopped"));
            }
            let number = |key: &str| -> tera::Result<Option<u64>> {
                args.get(key)
                    .map(|v| {
                        v.as_u64().ok_or_else(|| {
                            tera::Error::msg(format!(
                                "`range` needs a whole number for `{key}`, found {v}"
                            ))
                        })
                    })
                    .transpose()
            };
            let start = number("start")?.unwrap_or(0);
            let end = number("end")?
                .ok_or_else(|| tera::Error::msg("`range` needs an `end` argument"))?;
            let step = number("step_by")?.unwrap_or(1);
            if step == 0 {
                return Err(tera::Error::msg("`range` needs a `step_by` above 0"));
            }
            if start > end {
                return Err(tera::Error::msg(
                    "`range` needs `start` no greater than `end`",
                ));
            }
            let count = (end - start).div_ceil(step);
            if count > MAX_RANGE {
                return Err(tera::Error::msg(format!(
                    "`range` would make {count} numbers; at most {MAX_RANGE} are allowed"
                )));
            }
            let values = (0..count).map(|i| tera::Value::from(start + i * step));
            Ok(tera::Value::Array(values.collect()))
        },
    );
    tera.register_function(
        "get_env",
        |_: &HashMap<String, tera::Value>| -> tera::Result<tera::Value> {
            Err(tera::Error::msg(
                "`get_env` is not available: an attestation must not carry environment variables (they may hold secrets)",
            ))
        },
    );
}

/// Collects output up to a cap; past it (or once cancelled) every write fails.
struct Capped {
    out: Vec<u8>,
    max: usize,
    cancelled: Arc<AtomicBool>,
}

impl Write for Capped {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.cancelled.load(Ordering::Relaxed) {
            return Err(std::io::Error::other("rendering was stopped"));
        }
        if self.out.len() + buf.len() > self.max {
            return Err(std::io::Error::other(format!(
                "the attestation would be larger than {} MiB; does the template loop?",
                self.max >> 20
            )));
        }
        self.out.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Renders on a thread of its own, giving up after `limits.time`. On time-out `cancelled`
/// is set, which stops the render at its next `range` call or write; a render that does
/// neither runs on until the process exits (the command exits right after the error).
pub fn render_bounded(
    tera: tera::Tera,
    name: &str,
    context: tera::Context,
    limits: Limits,
    cancelled: Arc<AtomicBool>,
) -> Result<String, String> {
    let (tx, rx) = std::sync::mpsc::channel();
    let name = name.to_string();
    let stop = cancelled.clone();
    std::thread::Builder::new()
        .name("attest-render".into())
        .stack_size(RENDER_STACK)
        .spawn(move || {
            let mut out = Capped {
                out: Vec::new(),
                max: limits.output_bytes,
                cancelled: stop,
            };
            let result = tera
                .render_to(&name, &context, &mut out)
                .map(|()| out.out)
                .map_err(|e| super::error_chain(&e));
            let _ = tx.send(result);
        })
        .map_err(|e| format!("cannot start rendering: {e}"))?;
    match rx.recv_timeout(limits.time) {
        Ok(Ok(bytes)) => String::from_utf8(bytes).map_err(|e| e.to_string()),
        Ok(Err(detail)) => Err(detail),
        Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
            cancelled.store(true, Ordering::Relaxed);
            Err(format!(
                "rendering did not finish within {} s; does the template loop?",
                limits.time.as_secs_f64()
            ))
        }
        Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
            Err("rendering stopped without a result".to_string())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_template_is_within_every_bound() {
        check_text(super::super::TEMPLATE).unwrap();
    }

    #[test]
    fn nesting_is_measured_outside_strings_and_raw_blocks() {
        assert_eq!(bracket_depth("f(a=[1, \"(((((\"])"), 2);
        let deep = format!("{}x{}", "{% if a %}".repeat(40), "{% endif %}".repeat(40));
        assert!(
            check_text(&deep)
                .unwrap_err()
                .contains("blocks nested more than 32")
        );
        let raw = format!("{{% raw %}}{}{{% endraw %}}", "{% if a %}".repeat(40));
        check_text(&raw).unwrap();
        let calls = "{{ f(a=[f(a=[f(a=1)])]) }}";
        assert!(
            check_text(calls)
                .unwrap_err()
                .starts_with("line 1: brackets nested")
        );
    }
}
