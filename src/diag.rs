//! Positions in user files and the diagnostics that point at them.
//!
//! Every error about a file the user wrote names the file, the line and the column, so an
//! editor can jump to it (`path:line:column: message`).

use std::fmt;
use std::ops::Range;

/// The text of one user file, with what is needed to turn byte offsets into line and column.
#[derive(Debug, Clone)]
pub struct SourceText {
    pub name: String,
    pub text: String,
    line_starts: Vec<usize>,
}

impl SourceText {
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> Self {
        let text = text.into();
        let line_starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        Self {
            name: name.into(),
            text,
            line_starts,
        }
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn position(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let line = self.line_starts.partition_point(|&start| start <= offset);
        let start = self.line_starts[line - 1];
        let column = self
            .text
            .get(start..offset)
            .map_or(offset - start, |s| s.chars().count())
            + 1;
        (line, column)
    }

    pub fn diagnostic(&self, span: Option<Range<usize>>, message: impl Into<String>) -> Diagnostic {
        let (line, column) = self.position(span.map_or(0, |s| s.start));
        Diagnostic {
            file: self.name.clone(),
            line,
            column,
            message: message.into(),
        }
    }
}

/// One problem in a user file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.file, self.line, self.column, self.message
        )
    }
}

/// All the problems found in one file, reported together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostics(pub Vec<Diagnostic>);

/// A hostile file can hold hundreds of thousands of problems (a 10 MB file of unknown keys);
/// the first ones are enough to act on, and the count says how many there are.
pub const MAX_SHOWN: usize = 100;

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.0.iter().take(MAX_SHOWN).enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{d}")?;
        }
        if self.0.len() > MAX_SHOWN {
            write!(f, "\n… and {} more", self.0.len() - MAX_SHOWN)?;
        }
        Ok(())
    }
}

impl std::error::Error for Diagnostics {}

impl Diagnostics {
    /// In file order, the way an editor lists them.
    pub fn sorted(mut list: Vec<Diagnostic>) -> Self {
        list.sort_by_key(|d| (d.line, d.column));
        Self(list)
    }
}

/// Shortens a user value for quoting in a message.
pub fn quote(value: &str) -> String {
    const MAX: usize = 60;
    let mut out: String = value.chars().take(MAX).collect();
    if value.chars().count() > MAX {
        out.push('…');
    }
    format!("{out:?}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_one_based_and_count_characters() {
        let src = SourceText::new("f.toml", "ab\nçd = 1\n");
        assert_eq!(src.position(0), (1, 1));
        assert_eq!(src.position(3), (2, 1));
        // 'ç' is two bytes but one column.
        assert_eq!(src.position(5), (2, 2));
        assert_eq!(src.position(1000), (3, 1));
    }

    #[test]
    fn a_flood_of_problems_shows_the_first_and_counts_the_rest() {
        let src = SourceText::new("f.toml", "x = 1\n");
        let all = Diagnostics(
            (0..250)
                .map(|i| src.diagnostic(None, format!("p{i}")))
                .collect(),
        );
        let text = all.to_string();
        assert_eq!(text.lines().count(), MAX_SHOWN + 1);
        assert!(text.ends_with("\n… and 150 more"), "{text}");
    }

    #[test]
    fn quote_truncates_long_values() {
        let long = "x".repeat(100);
        assert!(quote(&long).ends_with("…\""));
        assert_eq!(quote("a|b"), "\"a|b\"");
    }
}
