//! Values as the rules see them: JSON turned into JMESPath variables once, and back.

use jmespath::{Rcvar, Variable};
use serde_json::Value;

/// A JSON value as the rules see it. Moves the strings and builds each object from its
/// already-sorted keys (the serde route inserts key by key and costs twice as much).
pub fn to_variable(value: Value) -> Rcvar {
    Rcvar::new(match value {
        Value::Null => Variable::Null,
        Value::Bool(b) => Variable::Bool(b),
        Value::Number(n) => Variable::Number(n),
        Value::String(s) => Variable::String(s),
        Value::Array(items) => Variable::Array(items.into_iter().map(to_variable).collect()),
        Value::Object(map) => {
            Variable::Object(map.into_iter().map(|(k, v)| (k, to_variable(v))).collect())
        }
    })
}

/// The JSON value back (for sign-offs, which record what was observed).
pub fn to_json(variable: &Rcvar) -> Value {
    serde_json::to_value(&**variable).unwrap_or(Value::Null)
}
