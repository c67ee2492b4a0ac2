//! Reading typed fields out of a parsed TOML document while collecting every problem.
//!
//! serde stops at the first error; users fixing a file want all of them at once, each with
//! its line and column. So user files are parsed with `toml_edit` (which keeps spans) and read
//! field by field through a [`Fields`] reader that records unknown keys, missing keys and
//! wrong types as it goes.

use std::ops::Range;

use toml_edit::{Item, TableLike, Value};

use crate::diag::{Diagnostic, SourceText, quote};

/// A value and where it stood in the file.
#[derive(Debug, Clone, PartialEq)]
pub struct Spanned<T> {
    pub value: T,
    pub span: Option<Range<usize>>,
}

/// Collects diagnostics for one source file.
pub struct Collector<'s> {
    pub source: &'s SourceText,
    pub found: Vec<Diagnostic>,
}

impl<'s> Collector<'s> {
    pub fn new(source: &'s SourceText) -> Self {
        Self {
            source,
            found: Vec::new(),
        }
    }

    pub fn error(&mut self, span: Option<Range<usize>>, message: impl Into<String>) {
        self.found.push(self.source.diagnostic(span, message));
    }
}

/// Parses TOML text, turning a syntax error into a diagnostic with its position.
pub fn parse_document(source: &SourceText) -> Result<toml_edit::Document<String>, Diagnostic> {
    toml_edit::Document::parse(source.text.clone()).map_err(|e| {
        let message = e.message().trim().to_string();
        source.diagnostic(e.span(), format!("invalid TOML: {message}"))
    })
}

/// Reads the fields of one table. Call [`Fields::finish`] to report the keys nobody asked for.
pub struct Fields<'a> {
    table: &'a dyn TableLike,
    /// Where to point when a required key is missing.
    span: Option<Range<usize>>,
    /// Path shown in messages, e.g. `items[3]`.
    pub path: String,
    known: Vec<&'static str>,
}

impl<'a> Fields<'a> {
    pub fn new(
        table: &'a dyn TableLike,
        span: Option<Range<usize>>,
        path: impl Into<String>,
    ) -> Self {
        Self {
            table,
            span,
            path: path.into(),
            known: Vec::new(),
        }
    }

    /// Whether the key is present (whatever its type).
    pub fn has(&self, key: &str) -> bool {
        self.table.get(key).is_some_and(|i| !i.is_none())
    }

    pub fn span(&self) -> Option<Range<usize>> {
        self.span.clone()
    }

    fn name(&self, key: &str) -> String {
        if self.path.is_empty() {
            format!("`{key}`")
        } else {
            format!("`{}.{key}`", self.path)
        }
    }

    fn item(&mut self, key: &'static str) -> Option<&'a Item> {
        self.known.push(key);
        self.table.get(key).filter(|item| !item.is_none())
    }

    fn missing(&self, c: &mut Collector, key: &str) {
        c.error(
            self.span(),
            format!("missing required key {}", self.name(key)),
        );
    }

    fn wrong_type(&self, c: &mut Collector, key: &str, item: &Item, expected: &str) {
        c.error(
            item.span(),
            format!(
                "{} must be {expected}, found {}",
                self.name(key),
                describe(item)
            ),
        );
    }

    pub fn optional_str(
        &mut self,
        c: &mut Collector,
        key: &'static str,
    ) -> Option<Spanned<String>> {
        let item = self.item(key)?;
        match item.as_str() {
            Some(s) => Some(Spanned {
                value: s.to_string(),
                span: item.span(),
            }),
            None => {
                self.wrong_type(c, key, item, "a string");
                None
            }
        }
    }

    /// A required, non-empty (after trimming) string.
    pub fn required_str(
        &mut self,
        c: &mut Collector,
        key: &'static str,
    ) -> Option<Spanned<String>> {
        let present = self.has(key);
        let value = self.optional_str(c, key);
        if !present {
            self.missing(c, key);
        }
        match value {
            Some(v) if v.value.trim().is_empty() => {
                c.error(v.span, format!("{} must not be empty", self.name(key)));
                None
            }
            other => other,
        }
    }

    pub fn optional_int(&mut self, c: &mut Collector, key: &'static str) -> Option<Spanned<i64>> {
        let item = self.item(key)?;
        match item.as_integer() {
            Some(n) => Some(Spanned {
                value: n,
                span: item.span(),
            }),
            None => {
                self.wrong_type(c, key, item, "an integer");
                None
            }
        }
    }

    /// An optional whole number within `range`.
    pub fn optional_count(
        &mut self,
        c: &mut Collector,
        key: &'static str,
        range: std::ops::RangeInclusive<i64>,
    ) -> Option<u32> {
        let n = self.optional_int(c, key)?;
        if range.contains(&n.value) {
            u32::try_from(n.value).ok()
        } else {
            c.error(
                n.span,
                format!(
                    "{} must be between {} and {}, found {}",
                    self.name(key),
                    range.start(),
                    range.end(),
                    n.value
                ),
            );
            None
        }
    }

    pub fn optional_datetime(
        &mut self,
        c: &mut Collector,
        key: &'static str,
    ) -> Option<Spanned<toml_edit::Datetime>> {
        let item = self.item(key)?;
        match item.as_datetime() {
            Some(d) => Some(Spanned {
                value: *d,
                span: item.span(),
            }),
            None => {
                self.wrong_type(c, key, item, "a TOML date or datetime");
                None
            }
        }
    }

    /// A list of strings; a wrong element is reported and skipped.
    pub fn optional_str_list(
        &mut self,
        c: &mut Collector,
        key: &'static str,
    ) -> Vec<Spanned<String>> {
        let Some(item) = self.item(key) else {
            return Vec::new();
        };
        let Some(array) = item.as_array() else {
            self.wrong_type(c, key, item, "an array of strings");
            return Vec::new();
        };
        let mut out = Vec::new();
        for (i, value) in array.iter().enumerate() {
            match value.as_str() {
                Some(s) => out.push(Spanned {
                    value: s.to_string(),
                    span: value.span(),
                }),
                None => c.error(
                    value.span(),
                    format!(
                        "{} must be a string, found {}",
                        self.name(&format!("{key}[{i}]")),
                        value.type_name()
                    ),
                ),
            }
        }
        out
    }

    pub fn optional_table(
        &mut self,
        c: &mut Collector,
        key: &'static str,
    ) -> Option<(&'a dyn TableLike, Option<Range<usize>>)> {
        let item = self.item(key)?;
        match item.as_table_like() {
            Some(t) => Some((t, item.span().or_else(|| self.key_span(key)))),
            None => {
                self.wrong_type(c, key, item, "a table");
                None
            }
        }
    }

    /// `[[key]]` tables, or an inline array of inline tables.
    pub fn optional_tables(
        &mut self,
        c: &mut Collector,
        key: &'static str,
    ) -> Vec<(&'a dyn TableLike, Option<Range<usize>>)> {
        let Some(item) = self.item(key) else {
            return Vec::new();
        };
        if let Some(tables) = item.as_array_of_tables() {
            return tables
                .iter()
                .map(|t| (t as &dyn TableLike, t.span()))
                .collect();
        }
        let Some(array) = item.as_array() else {
            self.wrong_type(c, key, item, "an array of tables");
            return Vec::new();
        };
        let mut out = Vec::new();
        for (i, value) in array.iter().enumerate() {
            match value {
                Value::InlineTable(t) => out.push((t as &dyn TableLike, t.span())),
                other => c.error(
                    other.span(),
                    format!(
                        "{} must be a table, found {}",
                        self.name(&format!("{key}[{i}]")),
                        other.type_name()
                    ),
                ),
            }
        }
        out
    }

    pub fn key_span(&self, key: &str) -> Option<Range<usize>> {
        self.table.get_key_value(key).and_then(|(k, _)| k.span())
    }

    /// Reports every key that no reader asked for, suggesting the closest known one.
    pub fn finish(self, c: &mut Collector) {
        for (key, _) in self.table.iter() {
            if self.known.contains(&key) {
                continue;
            }
            let hint = closest(key, self.known.iter().copied())
                .map(|k| format!(" (did you mean `{k}`?)"))
                .unwrap_or_default();
            let known = self.known.join(", ");
            c.error(
                self.key_span(key),
                format!(
                    "unknown key {} in {}{hint}; known keys: {known}",
                    quote(key),
                    if self.path.is_empty() {
                        "the top level".to_string()
                    } else {
                        format!("`{}`", self.path)
                    },
                ),
            );
        }
    }
}

/// The candidate closest to `input`, if it is close enough to be a likely typo.
pub fn closest<'c>(input: &str, candidates: impl IntoIterator<Item = &'c str>) -> Option<&'c str> {
    candidates
        .into_iter()
        .map(|c| (strsim::jaro_winkler(input, c), c))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

fn describe(item: &Item) -> String {
    match item {
        Item::Value(Value::String(s)) => format!("string {}", quote(s.value())),
        Item::Value(Value::Integer(n)) => format!("integer {}", n.value()),
        Item::Value(Value::Float(n)) => format!("float {}", n.value()),
        Item::Value(Value::Boolean(b)) => format!("boolean {}", b.value()),
        other => other.type_name().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> (Option<Spanned<String>>, Vec<String>) {
        let source = SourceText::new("t.toml", text);
        let doc = parse_document(&source).expect("valid toml");
        let mut c = Collector::new(&source);
        let mut f = Fields::new(doc.as_table(), None, "");
        let name = f.required_str(&mut c, "name");
        f.optional_int(&mut c, "count");
        f.finish(&mut c);
        (name, c.found.iter().map(|d| d.to_string()).collect())
    }

    #[test]
    fn reports_unknown_wrong_type_and_missing_together() {
        let (name, errors) = read("nmae = \"x\"\ncount = \"three\"\n");
        assert!(name.is_none());
        assert_eq!(errors.len(), 3, "{errors:?}");
        assert!(
            errors
                .iter()
                .any(|e| e.starts_with("t.toml:1:1: missing required key `name`"))
        );
        assert!(
            errors
                .iter()
                .any(|e| e
                    .contains("t.toml:2:9: `count` must be an integer, found string \"three\""))
        );
        assert!(
            errors
                .iter()
                .any(|e| e.contains("t.toml:1:1: unknown key \"nmae\"")
                    && e.contains("did you mean `name`?"))
        );
    }

    #[test]
    fn empty_required_string_is_an_error() {
        let (name, errors) = read("name = \"  \"\n");
        assert!(name.is_none());
        assert_eq!(
            errors,
            vec!["t.toml:1:8: `name` must not be empty".to_string()]
        );
    }

    #[test]
    fn syntax_errors_carry_a_position() {
        let source = SourceText::new("t.toml", "a = 1\nb = [1, 2\n");
        let err = parse_document(&source).unwrap_err();
        assert_eq!(err.file, "t.toml");
        assert!(err.line >= 2, "{err}");
        assert!(err.message.starts_with("invalid TOML"), "{err}");
    }
}
