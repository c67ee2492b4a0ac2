//! The one escaping filter for operator text in Markdown.
//!
//! Whatever an operator typed renders as that text: it cannot end a table cell, start a
//! heading or list, open a code span, or inject HTML, on GitHub or Azure DevOps.

/// Escapes text for inline Markdown (including table cells).
pub fn markdown(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    let mut chars = text.chars().peekable();
    while let Some(ch) = chars.next() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '|' => out.push_str("&#124;"),
            // Emphasis, code, links, headings, strike-through and math (GitHub renders $…$).
            '\\' | '`' | '*' | '_' | '[' | ']' | '#' | '~' | '$' => {
                out.push('\\');
                out.push(ch);
            }
            // A line break inside a cell; the only HTML we write ourselves.
            '\r' => {
                if chars.peek() != Some(&'\n') {
                    out.push_str("<br>");
                }
            }
            '\n' => out.push_str("<br>"),
            '\t' => out.push(' '),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// A Markdown link to an evidence entry: http(s) URLs become links, anything else (a path,
/// a ticket number) stays escaped text.
pub fn evidence_link(entry: &str) -> String {
    match url::Url::parse(entry.trim()) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.host().is_some() => {
            // The parser percent-encodes spaces and quotes; encode what would end the
            // link destination too.
            let href = url
                .as_str()
                .replace('(', "%28")
                .replace(')', "%29")
                .replace('<', "%3C")
                .replace('>', "%3E");
            format!("[{}]({href})", markdown(entry.trim()))
        }
        _ => markdown(entry),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_text_stays_text() {
        let out = markdown("a | b\n`rm -rf` <script>alert(1)</script> **x** [l](javascript:x)");
        assert!(!out.contains('|'));
        assert!(!out.contains('\n'));
        assert!(!out.contains('<') || out.matches('<').count() == out.matches("<br>").count());
        assert!(!out.contains("<script"));
        assert!(out.contains("\\`rm -rf\\`"));
        assert!(out.contains("&lt;script&gt;"));
        assert!(out.contains("\\*\\*x\\*\\*"));
        assert!(out.contains("\\[l\\](javascript:x)"));
    }

    #[test]
    fn only_web_links_become_links() {
        assert_eq!(
            evidence_link("https://dev.azure.com/o/p/_workitems/edit/1"),
            "[https://dev.azure.com/o/p/\\_workitems/edit/1](https://dev.azure.com/o/p/_workitems/edit/1)"
        );
        assert_eq!(evidence_link("javascript:alert(1)"), "javascript:alert(1)");
        assert_eq!(evidence_link("docs/scan_1.sarif"), "docs/scan\\_1.sarif");
        assert!(evidence_link("https://x.org/a)b<c>").ends_with("(https://x.org/a%29b%3Cc%3E)"));
    }
}
