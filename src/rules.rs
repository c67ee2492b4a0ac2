//! Automatic-check rules: JMESPath expressions (as in `az --query`) evaluated over JSON documents.
//!
//! A rule passes only when its expression yields exactly `true`. Beside the standard
//! functions there is `lower(x)`, because ARM echoes enum values in whatever casing they were
//! written with and comparisons must not depend on it.

use std::sync::{Arc, LazyLock};

use jmespath::ast::Ast;
use jmespath::functions::{ArgumentType, CustomFunction, Signature};
use jmespath::{Expression, Rcvar, Runtime, Variable};

static RUNTIME: LazyLock<Runtime> = LazyLock::new(|| {
    let mut runtime = Runtime::new();
    runtime.register_builtin_functions();
    runtime.register_function(
        "lower",
        Box::new(CustomFunction::new(
            Signature::new(vec![ArgumentType::Any], None),
            Box::new(|args: &[Rcvar], _ctx: &mut jmespath::Context<'_>| {
                Ok(match args[0].as_string() {
                    Some(s) => Arc::new(Variable::String(s.to_lowercase())),
                    None => Arc::new(Variable::Null),
                })
            }),
        )),
    );
    runtime
});

/// The longest rule expression accepted (the built-in checklist's longest is under 350).
pub const MAX_RULE_CHARS: usize = 2048;
/// The deepest syntax tree accepted (the built-in checklist's deepest is 16). A debug
/// build overflows a 2 MiB stack (tokio's default for its threads) at about 250 levels, so
/// this leaves a margin on every thread a rule runs on.
pub const MAX_RULE_DEPTH: usize = 64;
/// Stack for compiling a long expression whose depth is not known yet: room for
/// [`MAX_RULE_CHARS`] levels even in a debug build.
const COMPILE_STACK: usize = 64 << 20;

/// The characters that make levels of an expression's syntax tree (`.`, `|`, `&`, `!`,
/// comparisons, brackets, `*`); each makes at most two (`[?…]` a projection and a condition,
/// `*` a projection and object values).
fn nesting_marks(text: &str) -> usize {
    text.bytes().filter(|b| b".|&!<>=([{*".contains(b)).count()
}

/// Depth of a syntax tree (a leaf is 1).
fn ast_depth(ast: &jmespath::ast::Ast) -> usize {
    use jmespath::ast::Ast;
    1 + match ast {
        Ast::Comparison { lhs, rhs, .. }
        | Ast::Projection { lhs, rhs, .. }
        | Ast::And { lhs, rhs, .. }
        | Ast::Or { lhs, rhs, .. }
        | Ast::Subexpr { lhs, rhs, .. } => ast_depth(lhs).max(ast_depth(rhs)),
        Ast::Condition {
            predicate, then, ..
        } => ast_depth(predicate).max(ast_depth(then)),
        Ast::Expref { ast: node, .. }
        | Ast::Flatten { node, .. }
        | Ast::Not { node, .. }
        | Ast::ObjectValues { node, .. } => ast_depth(node),
        Ast::Function { args, .. } | Ast::MultiList { elements: args, .. } => {
            args.iter().map(ast_depth).max().unwrap_or(0)
        }
        Ast::MultiHash { elements, .. } => elements
            .iter()
            .map(|kv| ast_depth(&kv.value))
            .max()
            .unwrap_or(0),
        Ast::Identity { .. }
        | Ast::Field { .. }
        | Ast::Index { .. }
        | Ast::Literal { .. }
        | Ast::Slice { .. } => 0,
    }
}

/// A compiled rule expression.
#[derive(Clone)]
pub struct Rule {
    expression: Arc<Expression<'static>>,
}

impl std::fmt::Debug for Rule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Rule({})", self.expression.as_str())
    }
}

impl Rule {
    /// Compiles an expression; the error text explains what is wrong with it.
    ///
    /// The JMESPath parser and interpreter recurse once per level of the syntax tree, so a
    /// deeply nested expression (`((((…a))))`, `a.a.a…`, `a[][][]…`) would overflow the stack
    /// and abort the process. Expressions are therefore bounded: at most [`MAX_RULE_CHARS`]
    /// characters and [`MAX_RULE_DEPTH`] levels deep.
    pub fn compile(text: &str) -> Result<Self, String> {
        if text.len() > MAX_RULE_CHARS {
            return Err(format!(
                "the expression is {} characters long; a rule may have at most {MAX_RULE_CHARS}",
                text.len()
            ));
        }
        // Every level above a leaf comes from an operator, bracket or `*`, at most two levels
        // each, so when there are few of those the tree is shallow and compiling here is
        // safe. Otherwise compile on a thread with a stack big enough for the longest allowed
        // text. Either way the depth is measured.
        let measured = |text: &str| {
            let rule = Self::compile_unchecked(text)?;
            let depth = ast_depth(rule.expression.as_ast());
            if depth > MAX_RULE_DEPTH {
                // Dropped here too: dropping a deep tree recurses as well.
                return Err(format!(
                    "the expression nests {depth} levels deep; a rule may nest at most {MAX_RULE_DEPTH}"
                ));
            }
            Ok(rule)
        };
        if 2 * nesting_marks(text) < MAX_RULE_DEPTH {
            return measured(text);
        }
        let owned = text.to_string();
        std::thread::Builder::new()
            .name("rule-compile".into())
            .stack_size(COMPILE_STACK)
            .spawn(move || measured(&owned))
            .map_err(|e| format!("cannot compile the expression: {e}"))?
            .join()
            .unwrap_or_else(|_| Err("the expression could not be compiled".to_string()))
    }

    fn compile_unchecked(text: &str) -> Result<Self, String> {
        RUNTIME
            .compile(text)
            .map(|expression| Self {
                expression: Arc::new(expression),
            })
            // The first line says what is wrong; the rest is an ASCII-art pointer.
            .map_err(|e| {
                e.to_string()
                    .lines()
                    .next()
                    .unwrap_or_default()
                    .trim()
                    .to_string()
            })
    }

    pub fn text(&self) -> &str {
        self.expression.as_str()
    }

    /// The field paths this rule reads from the document's root (`properties.a.b` →
    /// `["properties", "a", "b"]`; the value there may be read whole), or `None` when the
    /// analysis cannot follow the expression and it may read anything. Conservative: a path
    /// it lists may be read, a path it does not list is not.
    pub fn root_paths(&self) -> Option<Vec<Vec<String>>> {
        let mut paths = Vec::new();
        reads(self.expression.as_ast(), &mut paths).then_some(paths)
    }

    /// Evaluates over a document, giving the JSON result.
    pub fn evaluate(&self, document: &serde_json::Value) -> Result<serde_json::Value, String> {
        let result = self
            .expression
            .search(document)
            .map_err(|e| e.to_string())?;
        serde_json::to_value(&*result).map_err(|e| e.to_string())
    }

    /// True only when the expression yields exactly `true`.
    pub fn passes(&self, document: &serde_json::Value) -> Result<bool, String> {
        Ok(self.evaluate(document)? == serde_json::Value::Bool(true))
    }

    /// [`Rule::passes`] over a document already in JMESPath form, with no conversion: the
    /// fleet turns each document into one value once and runs every rule over it.
    pub fn passes_variable(&self, document: &Rcvar) -> Result<bool, String> {
        let mut ctx = jmespath::Context::new(self.expression.as_str(), &RUNTIME);
        let result = jmespath::interpret(document, self.expression.as_ast(), &mut ctx)
            .map_err(|e| e.to_string())?;
        Ok(*result == Variable::Bool(true))
    }
}

/// `a.b.c` (fields only, from the document root) → ["a", "b", "c"].
fn root_path(ast: &Ast) -> Option<Vec<&str>> {
    match ast {
        Ast::Field { name, .. } => Some(vec![name.as_str()]),
        Ast::Subexpr { lhs, rhs, .. } => match rhs.as_ref() {
            Ast::Field { name, .. } => root_path(lhs).map(|mut p| {
                p.push(name.as_str());
                p
            }),
            _ => None,
        },
        _ => None,
    }
}

/// Records the root paths an expression evaluated at the document root reads; false when it
/// may read anything.
fn reads(ast: &Ast, paths: &mut Vec<Vec<String>>) -> bool {
    if let Some(path) = root_path(ast) {
        paths.push(path.into_iter().map(String::from).collect());
        return true;
    }
    match ast {
        // The right-hand side runs on what the left yields, never on the root.
        Ast::Subexpr { lhs, .. } | Ast::Projection { lhs, .. } => reads(lhs, paths),
        Ast::Flatten { node, .. } | Ast::Not { node, .. } | Ast::ObjectValues { node, .. } => {
            reads(node, paths)
        }
        Ast::Comparison { lhs, rhs, .. } | Ast::And { lhs, rhs, .. } | Ast::Or { lhs, rhs, .. } => {
            reads(lhs, paths) && reads(rhs, paths)
        }
        Ast::Condition {
            predicate, then, ..
        } => reads(predicate, paths) && reads(then, paths),
        Ast::Function { args, .. } | Ast::MultiList { elements: args, .. } => {
            args.iter().all(|arg| reads(arg, paths))
        }
        Ast::MultiHash { elements, .. } => elements.iter().all(|kv| reads(&kv.value, paths)),
        // Literals read nothing; an expression reference runs on elements, not the root.
        Ast::Literal { .. } | Ast::Expref { .. } => true,
        Ast::Identity { .. } | Ast::Index { .. } | Ast::Slice { .. } | Ast::Field { .. } => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn only_exact_true_passes() {
        let doc = json!({"a": true, "b": "true", "c": 1});
        assert!(Rule::compile("a").unwrap().passes(&doc).unwrap());
        assert!(!Rule::compile("b").unwrap().passes(&doc).unwrap());
        assert!(!Rule::compile("c").unwrap().passes(&doc).unwrap());
        assert!(!Rule::compile("missing").unwrap().passes(&doc).unwrap());
    }

    #[test]
    fn lower_makes_enum_comparison_case_insensitive() {
        let rule = Rule::compile("lower(properties.networkPlugin) == 'azure'").unwrap();
        assert!(
            rule.passes(&json!({"properties": {"networkPlugin": "Azure"}}))
                .unwrap()
        );
        assert!(
            !rule
                .passes(&json!({"properties": {"networkPlugin": "kubenet"}}))
                .unwrap()
        );
        assert!(!rule.passes(&json!({"properties": {}})).unwrap());
    }

    #[test]
    fn string_booleans_can_be_normalised() {
        let rule = Rule::compile("lower(to_string(enabled)) == 'true'").unwrap();
        assert!(rule.passes(&json!({"enabled": "True"})).unwrap());
        assert!(rule.passes(&json!({"enabled": true})).unwrap());
        assert!(!rule.passes(&json!({"enabled": "false"})).unwrap());
    }

    #[test]
    fn deep_expressions_are_refused_not_a_stack_overflow() {
        // Each of these aborted the process (stack overflow) before the bound.
        for text in [
            format!("{}a{}", "(".repeat(5000), ")".repeat(5000)),
            format!("{}a", "!".repeat(2000)),
            vec!["a"; 1000].join("."),
            vec!["a"; 1000].join("||"),
            format!("a{}", "[]".repeat(1000)),
            format!("{}a{}", "length(".repeat(300), ")".repeat(300)),
            vec!["*"; 300].join("."),
            format!("a{}", "[?b]".repeat(300)),
        ] {
            let err = Rule::compile(&text).unwrap_err();
            assert!(
                err.contains("at most 2048") || err.contains("nest at most 64"),
                "{err}"
            );
        }
        // Long but shallow expressions are fine.
        let wide = vec!["a == `1`"; 40].join(" || ");
        assert!(wide.len() < MAX_RULE_CHARS);
        let rule = Rule::compile(&format!("({wide}) && b")).unwrap();
        assert!(!rule.passes(&json!({"a": 2, "b": true})).unwrap());
        // The bound is on depth: 64 levels pass, 65 do not.
        let at = |n: usize| format!("{}a{}", "length(".repeat(n - 1), ")".repeat(n - 1));
        assert!(Rule::compile(&at(MAX_RULE_DEPTH)).is_ok());
        assert!(Rule::compile(&at(MAX_RULE_DEPTH + 1)).is_err());
    }

    #[test]
    fn the_built_in_rules_are_well_within_the_bounds() {
        let checklist = crate::checklist::builtin().unwrap();
        let rules: Vec<&Rule> = checklist
            .items
            .iter()
            .flat_map(|i| i.checks.iter())
            .flat_map(|c| std::iter::once(&c.expect).chain(c.observe.as_ref()))
            .collect();
        let deepest = rules.iter().map(|r| ast_depth(r.expression.as_ast())).max();
        let longest = rules.iter().map(|r| r.text().len()).max();
        assert!(deepest.unwrap() <= MAX_RULE_DEPTH / 2, "{deepest:?}");
        assert!(longest.unwrap() <= MAX_RULE_CHARS / 4, "{longest:?}");
    }

    #[test]
    fn bad_syntax_is_reported() {
        let err = Rule::compile("properties.[").unwrap_err();
        assert!(!err.is_empty());
    }
}

#[cfg(test)]
mod root_path_tests {
    use super::Rule;

    #[test]
    fn the_paths_a_rule_reads_from_the_root() {
        let paths = |text: &str| Rule::compile(text).unwrap().root_paths();
        let owned = |ps: &[&[&str]]| {
            Some(
                ps.iter()
                    .map(|p| p.iter().map(|s| s.to_string()).collect())
                    .collect::<Vec<Vec<String>>>(),
            )
        };
        assert_eq!(
            paths("properties.a.b == `true` && lower(properties.c) == 'x'"),
            owned(&[&["properties", "a", "b"], &["properties", "c"]])
        );
        // What a projection's right side reads runs on elements, not the root.
        assert_eq!(
            paths("properties.pools[].mode"),
            owned(&[&["properties", "pools"]])
        );
        // The analysis cannot follow these: anything may be read.
        assert_eq!(paths("@"), None);
        assert_eq!(paths("[0]"), None);
    }
}
