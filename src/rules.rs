//! Automatic-check rules: JMESPath expressions (as in `az --query`) evaluated over JSON documents.
//!
//! A rule passes only when its expression yields exactly `true`. Beside the standard
//! functions there is `lower(x)`, because ARM echoes enum values in whatever casing they were
//! written with and comparisons must not depend on it.

use std::sync::{Arc, LazyLock};

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
    pub fn compile(text: &str) -> Result<Self, String> {
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
    fn bad_syntax_is_reported() {
        let err = Rule::compile("properties.[").unwrap_err();
        assert!(!err.is_empty());
    }
}
