//! JSON into `serde_json::Value` within a memory budget. A body's size says little about the
//! memory its tree takes: `[{"a":1},{"a":1},…]` costs about eighty times its bytes, so a
//! server could exhaust memory with bodies well under the size cap. This parser charges each
//! value an estimate of what it occupies and stops when the run's budget is spent.

use std::cell::Cell;
use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

/// Estimated bytes of one value in the tree: the enum itself.
const VALUE: u64 = 32;
/// A non-empty object's map: its first BTreeMap node (eleven key and value slots), then
/// each entry's key allocation and share of further nodes; measured against real peaks
/// with `examples/hostile_arm.rs`.
const OBJECT: u64 = 640;
const ENTRY: u64 = 80;

/// The error text that tells a spent budget apart from a syntax error.
const SPENT: &str = "the JSON memory budget is spent";

#[derive(Debug)]
pub enum Bounded {
    /// Not JSON (with serde_json's line and column).
    Syntax(serde_json::Error),
    /// The document would take more than `budget` bytes (estimated).
    TooLarge { budget: u64 },
}

/// Parses `bytes` as JSON, costing at most `budget` estimated bytes of memory. Returns the
/// value and what it cost.
pub fn parse(bytes: &[u8], budget: u64) -> Result<(Value, u64), Bounded> {
    let spent = Cell::new(0);
    let seed = Seed {
        spent: &spent,
        budget,
    };
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let parsed = seed.deserialize(&mut de).and_then(|v| de.end().map(|()| v));
    match parsed {
        Ok(value) => Ok((value, spent.get())),
        Err(_) if spent.get() > budget => Err(Bounded::TooLarge { budget }),
        Err(e) => Err(Bounded::Syntax(e)),
    }
}

#[derive(Clone, Copy)]
struct Seed<'a> {
    spent: &'a Cell<u64>,
    budget: u64,
}

impl Seed<'_> {
    fn charge<E: serde::de::Error>(&self, bytes: u64) -> Result<(), E> {
        let spent = self.spent.get().saturating_add(bytes);
        self.spent.set(spent);
        if spent > self.budget {
            Err(E::custom(SPENT))
        } else {
            Ok(())
        }
    }
}

impl<'de> DeserializeSeed<'de> for Seed<'_> {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Seed<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<Value, E> {
        self.charge(VALUE)?;
        Ok(Value::Bool(v))
    }

    fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Value, E> {
        self.charge(VALUE)?;
        Ok(Value::from(v))
    }

    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Value, E> {
        self.charge(VALUE)?;
        Ok(Value::from(v))
    }

    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Value, E> {
        self.charge(VALUE)?;
        Ok(serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Value, E> {
        self.charge(VALUE + v.len() as u64)?;
        Ok(Value::String(v.to_string()))
    }

    fn visit_string<E: serde::de::Error>(self, v: String) -> Result<Value, E> {
        self.charge(VALUE + v.len() as u64)?;
        Ok(Value::String(v))
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<Value, E> {
        self.charge(VALUE)?;
        Ok(Value::Null)
    }

    fn visit_none<E: serde::de::Error>(self) -> Result<Value, E> {
        self.visit_unit()
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        self.charge(VALUE)?;
        let mut items = Vec::new();
        while let Some(item) = seq.next_element_seed(self)? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        self.charge(VALUE)?;
        let mut object = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            let overhead = if object.is_empty() { OBJECT } else { 0 };
            self.charge::<A::Error>(overhead + ENTRY + key.len() as u64)?;
            let value = map.next_value_seed(self)?;
            object.insert(key, value);
        }
        Ok(Value::Object(object))
    }
}

impl fmt::Display for Bounded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Bounded::Syntax(e) => write!(f, "the body is not valid JSON ({e})"),
            Bounded::TooLarge { budget } => write!(
                f,
                "its JSON would take more than the {} MiB of memory this run has left for documents",
                budget >> 20
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_what_serde_json_parses() {
        let text = br#"{"a": [1, -2, 3.5, "x", null, true, {"b": {}}], "c": "\u00e9"}"#;
        let (value, cost) = parse(text, 1 << 20).unwrap();
        assert_eq!(value, serde_json::from_slice::<Value>(text).unwrap());
        assert!(cost > 0);
    }

    #[test]
    fn a_tree_over_budget_stops_while_it_is_read() {
        let body = format!("[{}]", vec![r#"{"a":1}"#; 10_000].join(","));
        let (_, cost) = parse(body.as_bytes(), u64::MAX).unwrap();
        // The estimate is many times the body: this is what the budget is for.
        assert!(cost > 40 * body.len() as u64, "{cost} for {}", body.len());
        match parse(body.as_bytes(), cost - 1) {
            Err(Bounded::TooLarge { .. }) => {}
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn syntax_errors_keep_their_position() {
        match parse(b"{\"a\": ", 1 << 20) {
            Err(e @ Bounded::Syntax(_)) => assert!(e.to_string().contains("line 1"), "{e}"),
            other => panic!("{other:?}"),
        }
        assert!(matches!(parse(b"{} x", 1 << 20), Err(Bounded::Syntax(_))));
    }
}
