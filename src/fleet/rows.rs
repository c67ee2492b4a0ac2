//! Resource Graph pages read straight from the response body into the [`Row`]s the rules
//! need, without building a `serde_json::Value` tree for the page first.
//!
//! A page is 1,000 rows of ARM-shaped JSON (about 5 MB for AKS clusters). Building its
//! `Value` tree, converting the kept parts to JMESPath values and freeing both cost more than
//! judging the rows; here each row's scope columns become strings, the parts of its document
//! become JMESPath values directly, and everything else (columns no document holds, the
//! parts of `properties` no rule reads) is read and dropped without being allocated.
//!
//! The result is exactly what `serde_json::from_slice::<Value>` followed by
//! [`parse_page`] and [`Row::from_value`] gives, errors included: every part of the body,
//! the dropped parts too, goes through serde_json's `deserialize_any`, so the same text is
//! rejected at the same place with the same message (invalid JSON, strings that are not UTF-8,
//! lone surrogates, numbers out of range, nesting deeper than serde_json's limit), and a
//! well-formed page of another shape is judged by [`parse_page`] itself. Tests hold the two
//! routes equal.

use std::collections::BTreeMap;
use std::fmt;

use jmespath::{Rcvar, Variable};
use serde::Deserialize;
use serde::de::value::MapAccessDeserializer;
use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Number, Value};

use super::model::{ISSUER_PROFILE, Parts, Row, RowSpec, issuer_of};
use super::pruning::{Keep, pruned};
use super::query::{Page, PageError, parse_page};

/// One page from its body: its rows (`None` for a row without an id, which cannot be placed),
/// `$skipToken` and `totalRecords`.
pub fn read_page(body: &[u8], spec: RowSpec<'_>) -> Result<Page<Option<Row>>, PageError> {
    fn envelope<'de, R: serde_json::de::Read<'de>>(
        mut de: serde_json::Deserializer<R>,
        spec: RowSpec<'_>,
    ) -> Result<Envelope, serde_json::Error> {
        let envelope = EnvelopeSeed(spec).deserialize(&mut de)?;
        de.end()?;
        Ok(envelope)
    }
    // The body is checked as UTF-8 in one pass rather than string by string. A body that is
    // not UTF-8 is read as bytes, so serde_json refuses it where and as it always does.
    let envelope = match std::str::from_utf8(body) {
        Ok(text) => envelope(serde_json::Deserializer::from_str(text), spec),
        Err(_) => envelope(serde_json::Deserializer::from_slice(body), spec),
    }
    .map_err(PageError::Json)?;
    // The page's own fields are judged as `parse_page` judges them; rows already read are
    // put in after.
    let mut head = serde_json::Map::new();
    for (key, value) in [
        ("$skipToken", envelope.skip_token),
        ("totalRecords", envelope.total),
        ("resultTruncated", envelope.truncated),
    ] {
        if let Some(value) = value {
            head.insert(key.to_string(), value);
        }
    }
    match envelope.data {
        Some(Data::Rows(rows)) => {
            let page = parse_page(Value::Object(head)).map_err(PageError::Shape)?;
            Ok(Page {
                rows,
                skip_token: page.skip_token,
                total: page.total,
            })
        }
        other => {
            if let Some(Data::Other(data)) = other {
                head.insert("data".to_string(), data);
            }
            let page = parse_page(Value::Object(head)).map_err(PageError::Shape)?;
            Ok(Page {
                rows: page
                    .rows
                    .into_iter()
                    .map(|row| Row::from_value(row, spec))
                    .collect(),
                skip_token: page.skip_token,
                total: page.total,
            })
        }
    }
}

/// `data`: a list of rows, read as rows; anything else (the table format, null, a value of
/// another type) kept as JSON for [`parse_page`].
enum Data {
    Rows(Vec<Option<Row>>),
    Other(Value),
}

#[derive(Default)]
struct Envelope {
    skip_token: Option<Value>,
    total: Option<Value>,
    truncated: Option<Value>,
    data: Option<Data>,
}

/// A value read and dropped: parsed and checked as a kept one is, never allocated.
struct Skip;

impl<'de> DeserializeSeed<'de> for Skip {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(SkipVisitor)
    }
}

struct SkipVisitor;

/// Consumes the elements or entries of a list or object, whatever is being read.
fn skip_seq<'de, A: SeqAccess<'de>>(mut seq: A) -> Result<(), A::Error> {
    while seq.next_element_seed(Skip)?.is_some() {}
    Ok(())
}

fn skip_map<'de, A: MapAccess<'de>>(mut map: A) -> Result<(), A::Error> {
    while map.next_key_seed(Key(|_: &str| ()))?.is_some() {
        map.next_value_seed(Skip)?;
    }
    Ok(())
}

impl<'de> Visitor<'de> for SkipVisitor {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<(), A::Error> {
        skip_seq(seq)
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<(), A::Error> {
        skip_map(map)
    }
}

/// An object key, classified by `F` without being copied.
struct Key<F>(F);

impl<'de, K, F: FnOnce(&str) -> K> DeserializeSeed<'de> for Key<F> {
    type Value = K;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<K, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de, K, F: FnOnce(&str) -> K> Visitor<'de> for Key<F> {
    type Value = K;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a key")
    }
    fn visit_str<E>(self, key: &str) -> Result<K, E> {
        Ok((self.0)(key))
    }
}

/// A JSON value as a JMESPath value, as [`pruned`] makes it from a `serde_json::Value`: of an
/// object, only what the [`Keep`] reads (`None`: all of it).
struct Var<'a>(Option<&'a Keep>);

impl<'de> DeserializeSeed<'de> for Var<'_> {
    type Value = Rcvar;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Rcvar, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Var<'_> {
    type Value = Rcvar;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, b: bool) -> Result<Rcvar, E> {
        Ok(Rcvar::new(Variable::Bool(b)))
    }
    fn visit_i64<E>(self, n: i64) -> Result<Rcvar, E> {
        Ok(Rcvar::new(Variable::Number(n.into())))
    }
    fn visit_u64<E>(self, n: u64) -> Result<Rcvar, E> {
        Ok(Rcvar::new(Variable::Number(n.into())))
    }
    fn visit_f64<E>(self, n: f64) -> Result<Rcvar, E> {
        // As `serde_json::Value` reads it (a number JSON can hold is always finite).
        Ok(Rcvar::new(
            Number::from_f64(n).map_or(Variable::Null, Variable::Number),
        ))
    }
    fn visit_str<E>(self, s: &str) -> Result<Rcvar, E> {
        Ok(Rcvar::new(Variable::String(s.to_string())))
    }
    fn visit_string<E>(self, s: String) -> Result<Rcvar, E> {
        Ok(Rcvar::new(Variable::String(s)))
    }
    fn visit_unit<E>(self) -> Result<Rcvar, E> {
        Ok(Rcvar::new(Variable::Null))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Rcvar, A::Error> {
        // A list is kept whole.
        let mut items = Vec::new();
        while let Some(item) = seq.next_element_seed(Var(None))? {
            items.push(item);
        }
        Ok(Rcvar::new(Variable::Array(items)))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Rcvar, A::Error> {
        let mut entries = Vec::new();
        match self.0 {
            None => {
                while let Some(key) = map.next_key::<String>()? {
                    entries.push((key, map.next_value_seed(Var(None))?));
                }
            }
            Some(keep) => {
                let read = |key: &str| Some((key.to_string(), keep.get(key)?));
                while let Some(kept) = map.next_key_seed(Key(read))? {
                    match kept {
                        Some((key, what)) => entries.push((key, map.next_value_seed(Var(what))?)),
                        None => map.next_value_seed(Skip)?,
                    }
                }
            }
        }
        Ok(Rcvar::new(Variable::Object(object(entries))))
    }
}

/// An object from its entries in the order read: a key given twice keeps its last value, as
/// in `serde_json::Value` (the sort is stable and the last of equal keys is kept).
fn object(entries: Vec<(String, Rcvar)>) -> BTreeMap<String, Rcvar> {
    entries.into_iter().collect()
}

/// A string column (`id`, `name`, …): `Some` only when it is a string.
struct Text;

impl<'de> DeserializeSeed<'de> for Text {
    type Value = Option<String>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Option<String>, D::Error> {
        d.deserialize_any(TextVisitor)
    }
}

struct TextVisitor;

impl<'de> Visitor<'de> for TextVisitor {
    type Value = Option<String>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_str<E>(self, s: &str) -> Result<Self::Value, E> {
        Ok(Some(s.to_string()))
    }
    fn visit_string<E>(self, s: String) -> Result<Self::Value, E> {
        Ok(Some(s))
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        skip_seq(seq).map(|()| None)
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        skip_map(map).map(|()| None)
    }
}

/// A row's `properties`: the kept keys, and the OIDC issuer (read whether or not its key is
/// kept, for `--deep`).
struct PropertiesSeed<'a>(RowSpec<'a>);

/// `properties` as read: the kept keys when it is an object, and the issuer.
type Properties = (Option<BTreeMap<String, Rcvar>>, Value);

impl<'de> DeserializeSeed<'de> for PropertiesSeed<'_> {
    type Value = Properties;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Properties, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for PropertiesSeed<'_> {
    type Value = Properties;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, _: bool) -> Result<Properties, E> {
        Ok((None, Value::Null))
    }
    fn visit_i64<E>(self, _: i64) -> Result<Properties, E> {
        Ok((None, Value::Null))
    }
    fn visit_u64<E>(self, _: u64) -> Result<Properties, E> {
        Ok((None, Value::Null))
    }
    fn visit_f64<E>(self, _: f64) -> Result<Properties, E> {
        Ok((None, Value::Null))
    }
    fn visit_str<E>(self, _: &str) -> Result<Properties, E> {
        Ok((None, Value::Null))
    }
    fn visit_unit<E>(self) -> Result<Properties, E> {
        Ok((None, Value::Null))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Properties, A::Error> {
        skip_seq(seq).map(|()| (None, Value::Null))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Properties, A::Error> {
        let keep = self.0.keep;
        let mut entries = Vec::new();
        let mut issuer = Value::Null;
        // Per key: is it the issuer's, and what of it is kept (`None`: nothing).
        let read = |key: &str| {
            let what = match keep {
                None => Some(None),
                Some(keep) => keep.get(key),
            };
            (
                key == ISSUER_PROFILE,
                what.map(|what| (key.to_string(), what)),
            )
        };
        while let Some((is_issuer, kept)) = map.next_key_seed(Key(read))? {
            match (is_issuer, kept) {
                (true, kept) => {
                    let profile: Value = map.next_value()?;
                    issuer = issuer_of(&profile);
                    if let Some((key, what)) = kept {
                        entries.push((key, pruned(profile, what)));
                    }
                }
                (false, Some((key, what))) => entries.push((key, map.next_value_seed(Var(what))?)),
                (false, None) => map.next_value_seed(Skip)?,
            }
        }
        Ok((Some(object(entries)), issuer))
    }
}

/// The columns a row is read from.
enum Column {
    Id,
    Name,
    Subscription,
    ResourceGroup,
    /// `type`, `location`, `identity`, `sku`: their place in [`Parts::head`].
    Head(usize),
    Properties,
    Other,
}

fn column(key: &str) -> Column {
    match key {
        "id" => Column::Id,
        "name" => Column::Name,
        "subscriptionId" => Column::Subscription,
        "resourceGroup" => Column::ResourceGroup,
        "properties" => Column::Properties,
        _ => match Parts::HEAD.iter().position(|k| *k == key) {
            Some(i) => Column::Head(i),
            None => Column::Other,
        },
    }
}

/// One row: `None` when it is not an object or has no id (as [`Row::from_value`]).
struct RowSeed<'a>(RowSpec<'a>);

impl<'de> DeserializeSeed<'de> for RowSeed<'_> {
    type Value = Option<Row>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Option<Row>, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for RowSeed<'_> {
    type Value = Option<Row>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, _: bool) -> Result<Option<Row>, E> {
        Ok(None)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Option<Row>, E> {
        Ok(None)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Option<Row>, E> {
        Ok(None)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Option<Row>, E> {
        Ok(None)
    }
    fn visit_str<E>(self, _: &str) -> Result<Option<Row>, E> {
        Ok(None)
    }
    fn visit_unit<E>(self) -> Result<Option<Row>, E> {
        Ok(None)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Option<Row>, A::Error> {
        skip_seq(seq).map(|()| None)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Option<Row>, A::Error> {
        let spec = self.0;
        let (mut id, mut name, mut subscription, mut resource_group) = (None, None, None, None);
        let mut parts = Parts::default();
        // A column given twice counts once, with its last value.
        while let Some(column) = map.next_key_seed(Key(column))? {
            match column {
                Column::Id => id = map.next_value_seed(Text)?,
                Column::Name => name = map.next_value_seed(Text)?,
                Column::Subscription => subscription = map.next_value_seed(Text)?,
                Column::ResourceGroup => resource_group = map.next_value_seed(Text)?,
                Column::Head(i) if spec.with_document => {
                    parts.head[i] = Some(map.next_value_seed(Var(None))?)
                }
                Column::Properties if spec.with_document => {
                    (parts.properties, parts.issuer) = map.next_value_seed(PropertiesSeed(spec))?;
                }
                Column::Head(_) | Column::Properties | Column::Other => {
                    map.next_value_seed(Skip)?
                }
            }
        }
        Ok(Row::from_columns(
            id,
            name,
            subscription,
            resource_group,
            parts,
        ))
    }
}

/// The rows of `data`.
struct RowsSeed<'a>(RowSpec<'a>);

impl<'de> DeserializeSeed<'de> for RowsSeed<'_> {
    type Value = Data;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Data, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for RowsSeed<'_> {
    type Value = Data;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, b: bool) -> Result<Data, E> {
        Ok(Data::Other(Value::Bool(b)))
    }
    fn visit_i64<E>(self, n: i64) -> Result<Data, E> {
        Ok(Data::Other(Value::Number(n.into())))
    }
    fn visit_u64<E>(self, n: u64) -> Result<Data, E> {
        Ok(Data::Other(Value::Number(n.into())))
    }
    fn visit_f64<E>(self, n: f64) -> Result<Data, E> {
        Ok(Data::Other(
            Number::from_f64(n).map_or(Value::Null, Value::Number),
        ))
    }
    fn visit_str<E>(self, s: &str) -> Result<Data, E> {
        Ok(Data::Other(Value::String(s.to_string())))
    }
    fn visit_unit<E>(self) -> Result<Data, E> {
        Ok(Data::Other(Value::Null))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Data, A::Error> {
        let mut rows = Vec::new();
        while let Some(row) = seq.next_element_seed(RowSeed(self.0))? {
            rows.push(row);
        }
        Ok(Data::Rows(rows))
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Data, A::Error> {
        // The table format (`{columns, rows}`), rare: read as JSON, judged by `parse_page`.
        Value::deserialize(MapAccessDeserializer::new(map)).map(Data::Other)
    }
}

/// The page: `$skipToken`, `totalRecords`, `resultTruncated` and `data`; the rest is dropped.
struct EnvelopeSeed<'a>(RowSpec<'a>);

impl<'de> DeserializeSeed<'de> for EnvelopeSeed<'_> {
    type Value = Envelope;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Envelope, D::Error> {
        d.deserialize_any(self)
    }
}

/// The page fields [`EnvelopeSeed`] reads.
enum Field {
    SkipToken,
    Total,
    Truncated,
    Data,
    Other,
}

impl<'de> Visitor<'de> for EnvelopeSeed<'_> {
    type Value = Envelope;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    // A page that is not an object has none of the fields (as `Value::get` finds none).
    fn visit_bool<E>(self, _: bool) -> Result<Envelope, E> {
        Ok(Envelope::default())
    }
    fn visit_i64<E>(self, _: i64) -> Result<Envelope, E> {
        Ok(Envelope::default())
    }
    fn visit_u64<E>(self, _: u64) -> Result<Envelope, E> {
        Ok(Envelope::default())
    }
    fn visit_f64<E>(self, _: f64) -> Result<Envelope, E> {
        Ok(Envelope::default())
    }
    fn visit_str<E>(self, _: &str) -> Result<Envelope, E> {
        Ok(Envelope::default())
    }
    fn visit_unit<E>(self) -> Result<Envelope, E> {
        Ok(Envelope::default())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Envelope, A::Error> {
        skip_seq(seq).map(|()| Envelope::default())
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Envelope, A::Error> {
        let mut envelope = Envelope::default();
        while let Some(field) = map.next_key_seed(Key(|key: &str| match key {
            "$skipToken" => Field::SkipToken,
            "totalRecords" => Field::Total,
            "resultTruncated" => Field::Truncated,
            "data" => Field::Data,
            _ => Field::Other,
        }))? {
            match field {
                Field::SkipToken => envelope.skip_token = Some(map.next_value()?),
                Field::Total => envelope.total = Some(map.next_value()?),
                Field::Truncated => envelope.truncated = Some(map.next_value()?),
                Field::Data => envelope.data = Some(map.next_value_seed(RowsSeed(self.0))?),
                Field::Other => map.next_value_seed(Skip)?,
            }
        }
        Ok(envelope)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fleet::model::Resource;
    use crate::fleet::query::Page;
    use serde_json::json;

    /// The route through `serde_json::Value`, which the direct one must equal.
    fn through_values(body: &[u8], spec: RowSpec<'_>) -> Result<Page<Option<Row>>, PageError> {
        let value: Value = serde_json::from_slice(body).map_err(PageError::Json)?;
        let page = parse_page(value).map_err(PageError::Shape)?;
        Ok(Page {
            rows: page
                .rows
                .into_iter()
                .map(|row| Row::from_value(row, spec))
                .collect(),
            skip_token: page.skip_token,
            total: page.total,
        })
    }

    fn outcome(page: Result<Page<Option<Row>>, PageError>) -> String {
        match page {
            Ok(page) => {
                let rows: Vec<String> = page
                    .rows
                    .into_iter()
                    .map(|row| match row {
                        None => "dropped".to_string(),
                        Some(row) => {
                            let head = format!(
                                "{} {} {} {} {} {}",
                                row.id,
                                row.name,
                                row.subscription,
                                row.resource_group,
                                row.has_properties(),
                                row.issuer()
                            );
                            let r: Resource = row.into_resource(true);
                            let doc = match r.doc {
                                Ok(doc) => crate::fleet::values::to_json(&doc).to_string(),
                                Err(cause) => cause.to_string(),
                            };
                            format!("{head} {doc}")
                        }
                    })
                    .collect();
                format!("ok {:?} {:?} {rows:#?}", page.skip_token, page.total)
            }
            Err(PageError::Json(e)) => format!("json {e}"),
            Err(PageError::Shape(e)) => format!("shape {e}"),
        }
    }

    fn same(body: &str, spec: RowSpec<'_>) {
        let direct = outcome(read_page(body.as_bytes(), spec));
        let values = outcome(through_values(body.as_bytes(), spec));
        assert_eq!(direct, values, "{body}");
    }

    #[test]
    fn pages_read_directly_equal_pages_read_through_values() {
        let row = json!({
            "id": "/subscriptions/S/resourceGroups/RG/providers/p/c1", "name": "c1",
            "type": "t", "location": "eastus", "subscriptionId": "S", "resourceGroup": "RG",
            "tenantId": "x", "tags": {"a": [1, 2.5, -3, null, true, "é\u{1F600}"]},
            "identity": {"type": "SystemAssigned", "n": 1e300}, "sku": null,
            "properties": {"b": {"z": 1, "a": [{}]}, "a": "\"escaped\" \\ \u{0001}",
                           "oidcIssuerProfile": {"issuerURL": "https://i/", "enabled": true},
                           "big": 18446744073709551615u64, "neg": -9223372036854775808i64}
        });
        let bodies = [
            json!({"totalRecords": 3, "resultTruncated": "false", "$skipToken": "t", "data": [row, null, 5, [row], {"name": "no id"}]}).to_string(),
            // Columns missing, of other types, empty, given twice; properties not an object.
            r#"{"data": [{"id": "/subscriptions/a/resourceGroups/b/x/c", "name": "", "subscriptionId": 7, "properties": null},
                         {"id": "/x/y", "id": "/subscriptions/s2/resourceGroups/r2/p/q", "properties": {"a": 1, "a": 2, "oidcIssuerProfile": 3}},
                         {"id": "/subscriptions/s/resourceGroups/r/p/z", "properties": [1, {"a": 2}], "properties": "x"},
                         {"id": "/a", "id": 5, "properties": {}},
                         {"id": "", "properties": {}},
                         {"id": "/q", "properties": {"oidcIssuerProfile": {"issuerURL": 1}, "oidcIssuerProfile": {"x": 1}}}],
                "data": [{"id": "/last", "type": "last", "type": null, "sku": {"b": 1, "a": 2, "b": 3}}], "other": {"deep": [[[]]]}}"#.to_string(),
            r#"{"resultTruncated": true, "data": []}"#.to_string(),
            r#"{"resultTruncated": "TRUE", "$skipToken": "", "data": []}"#.to_string(),
            r#"{"resultTruncated": "true", "$skipToken": "t2", "totalRecords": -1, "data": null}"#.to_string(),
            r#"{"data": 3}"#.to_string(),
            r#"{"data": "rows"}"#.to_string(),
            r#"{"data": {"columns": [{"name": "id"}, {"name": "properties"}], "rows": [["/subscriptions/s/resourceGroups/r/p/t", {"a": 1}], "x", ["/t2"]]}}"#.to_string(),
            r#"{"data": {"rows": []}}"#.to_string(),
            r#"{"data": {"columns": []}}"#.to_string(),
            r#"{"totalRecords": 2}"#.to_string(),
            r#"[1, 2]"#.to_string(),
            r#"null"#.to_string(),
            r#""text""#.to_string(),
            // Not JSON, or JSON serde_json refuses: the same message at the same place.
            r#"{"data": [{"id": "/a", "tags": {"x": }}]}"#.to_string(),
            r#"{"data": [{"id": "/a", "tags": "\ud800"}]}"#.to_string(),
            r#"{"data": [{"id": "/a", "tags": 1e400}]}"#.to_string(),
            r#"{"data": [{"id": "/a", "tags": [1,]}]}"#.to_string(),
            r#"{"data": [{"id": "/a"}]} trailing"#.to_string(),
            r#"{"data": [{"id": "/a"}], "facets": {1: 2}}"#.to_string(),
            format!(r#"{{"data": [{{"id": "/a", "tags": {}1{}}}]}}"#, "[".repeat(200), "]".repeat(200)),
            format!(r#"{{"data": [{{"id": "/a", "tags": {}1{}}}]}}"#, "[".repeat(123), "]".repeat(123)),
            format!(r#"{{"data": [{{"id": "/a", "tags": {}1{}}}]}}"#, "[".repeat(124), "]".repeat(124)),
            format!(r#"{{"x": {}1{}, "data": []}}"#, "[".repeat(127), "]".repeat(127)),
            format!(r#"{{"x": {}1{}, "data": []}}"#, "[".repeat(128), "]".repeat(128)),
            String::new(),
        ];
        let keep = |paths: &[&[&str]]| {
            let mut keep = Keep::default();
            for path in paths {
                keep.insert(path);
            }
            keep
        };
        let specs = [
            keep(&[&["b"], &["oidcIssuerProfile"]]),
            keep(&[&["a"]]),
            keep(&[&["b", "a"], &["oidcIssuerProfile", "enabled"], &["a", "x"]]),
            keep(&[&["b", "z", "q"], &["oidcIssuerProfile", "issuerURL", "x"]]),
        ];
        for body in &bodies {
            same(body, RowSpec::all());
            same(
                body,
                RowSpec {
                    with_document: false,
                    keep: None,
                },
            );
            for keep in &specs {
                same(
                    body,
                    RowSpec {
                        with_document: true,
                        keep: Some(keep),
                    },
                );
            }
        }
        // Bytes that are not UTF-8, in a column that is dropped, in one that is kept, in a key,
        // outside strings: refused where and as serde_json refuses them.
        let page = br#"{"data": [{"id": "/X", "tenantId": "X", "properties": {"X": "X"}}]X}"#;
        for at in (0..page.len()).filter(|&i| page[i] == b'X') {
            for bad in [&[0xff][..], &[0xc3], &[0xed, 0xa0, 0x80]] {
                let mut bytes = page[..at].to_vec();
                bytes.extend_from_slice(bad);
                bytes.extend_from_slice(&page[at + 1..]);
                let direct = outcome(read_page(&bytes, RowSpec::all()));
                assert!(direct.starts_with("json "), "{direct}");
                assert_eq!(direct, outcome(through_values(&bytes, RowSpec::all())));
            }
        }
    }

    #[test]
    fn pruned_keys_are_dropped_but_the_issuer_is_kept() {
        let body = json!({"data": [{
            "id": "/subscriptions/s/resourceGroups/r/p/c",
            "properties": {"a": 1, "b": 2, "c": {"d": [{"e": 1}], "f": 3, "g": {}},
                           "oidcIssuerProfile": {"issuerURL": "https://i/"}}
        }]})
        .to_string();
        let mut keep = Keep::default();
        keep.insert(&["a"]);
        keep.insert(&["c", "d"]);
        let page = read_page(
            body.as_bytes(),
            RowSpec {
                with_document: true,
                keep: Some(&keep),
            },
        )
        .unwrap();
        let row = page.rows.into_iter().next().flatten().unwrap();
        assert_eq!(row.issuer(), json!("https://i/"));
        let doc = crate::fleet::values::to_json(&row.into_resource(true).doc.unwrap());
        assert_eq!(doc["properties"], json!({"a": 1, "c": {"d": [{"e": 1}]}}));
    }
}
