//! A one-line text field: the value, a cursor (in characters) and the editing operations the
//! keymap names. Rendering asks it for the visible slice and the cursor column.

use ratatui::text::Span;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TextField {
    pub value: String,
    /// Cursor position in characters (0..=len).
    pub cursor: usize,
}

impl TextField {
    /// A field holding `value`, the cursor at its end.
    pub fn new(value: impl Into<String>) -> Self {
        let value = value.into();
        let cursor = value.chars().count();
        Self { value, cursor }
    }

    fn byte_at(&self, char_index: usize) -> usize {
        self.value
            .char_indices()
            .nth(char_index)
            .map_or(self.value.len(), |(b, _)| b)
    }

    fn len(&self) -> usize {
        self.value.chars().count()
    }

    pub fn insert(&mut self, c: char) {
        if c.is_control() {
            return;
        }
        let at = self.byte_at(self.cursor);
        self.value.insert(at, c);
        self.cursor += 1;
    }

    pub fn backspace(&mut self) {
        if self.cursor > 0 {
            self.cursor -= 1;
            let at = self.byte_at(self.cursor);
            self.value.remove(at);
        }
    }

    pub fn delete(&mut self) {
        if self.cursor < self.len() {
            let at = self.byte_at(self.cursor);
            self.value.remove(at);
        }
    }

    pub fn left(&mut self) {
        self.cursor = self.cursor.saturating_sub(1);
    }

    pub fn right(&mut self) {
        self.cursor = (self.cursor + 1).min(self.len());
    }

    pub fn home(&mut self) {
        self.cursor = 0;
    }

    pub fn end(&mut self) {
        self.cursor = self.len();
    }

    pub fn clear(&mut self) {
        self.value.clear();
        self.cursor = 0;
    }

    /// What a field `width` columns wide shows, scrolled so the cursor is visible, and the
    /// cursor's column within it.
    pub fn view(&self, width: u16) -> (String, u16) {
        let width = usize::from(width.max(1));
        let chars: Vec<char> = self.value.chars().collect();
        let cursor = self.cursor.min(chars.len());
        let w = |s: &[char]| Span::raw(s.iter().collect::<String>()).width();
        let mut start = 0;
        // Leave one column for the cursor after the last character.
        while start < cursor && w(&chars[start..cursor]) >= width {
            start += 1;
        }
        let mut end = start;
        while end < chars.len() && w(&chars[start..=end]) <= width {
            end += 1;
        }
        let column = w(&chars[start..cursor]);
        (
            chars[start..end].iter().collect(),
            u16::try_from(column).unwrap_or(u16::MAX),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edits_at_the_cursor() {
        let mut f = TextField::new("acd");
        f.left();
        f.left();
        f.insert('b');
        assert_eq!((f.value.as_str(), f.cursor), ("abcd", 2));
        f.backspace();
        assert_eq!((f.value.as_str(), f.cursor), ("acd", 1));
        f.delete();
        assert_eq!(f.value, "ad");
        f.home();
        f.left();
        assert_eq!(f.cursor, 0);
        f.end();
        f.right();
        assert_eq!(f.cursor, 2);
        f.insert('\n');
        assert_eq!(f.value, "ad");
        f.clear();
        assert_eq!((f.value.as_str(), f.cursor), ("", 0));
    }

    #[test]
    fn multibyte_characters_are_one_step() {
        let mut f = TextField::new("é≈");
        f.backspace();
        assert_eq!(f.value, "é");
        f.left();
        f.insert('x');
        assert_eq!(f.value, "xé");
    }

    #[test]
    fn the_view_scrolls_to_keep_the_cursor_visible() {
        let f = TextField::new("abcdefghij");
        assert_eq!(f.view(20), ("abcdefghij".to_string(), 10));
        let (text, col) = f.view(5);
        assert_eq!((text.as_str(), col), ("ghij", 4));
        let mut g = f.clone();
        g.home();
        assert_eq!(g.view(5), ("abcde".to_string(), 0));
    }
}
