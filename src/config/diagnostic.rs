//! Problems found in an environment file, with where they are and what to do.
//!
//! Validation collects every problem before reporting, so a user fixes a file
//! in one round instead of one error per run.

use std::fmt::Write as _;
use std::ops::Range;
use std::path::{Path, PathBuf};

use annotate_snippets::{Level, Renderer, Snippet};

/// One problem in an environment file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// Dotted key path, e.g. `msk.broker_count`; empty for file-level problems.
    pub key: String,
    /// Byte range in the source; `None` when the problem has no place (e.g. a missing section).
    pub span: Option<Range<usize>>,
    pub message: String,
    /// What would be accepted, or what to do.
    pub help: Option<String>,
    /// The value may be a secret: point at it, never print its line.
    pub redact: bool,
}

impl Diagnostic {
    pub fn new(
        key: impl Into<String>,
        span: Option<Range<usize>>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            key: key.into(),
            span,
            message: message.into(),
            help: None,
            redact: false,
        }
    }

    #[cfg(test)]
    #[must_use]
    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
}

/// 1-based line and column of a byte offset (column counts characters).
pub fn line_col(src: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(src.len());
    let before = &src[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let col = src[line_start..offset].chars().count() + 1;
    (line, col)
}

/// All the problems of one file, ready to print.
#[derive(Debug, Clone)]
pub struct Diagnostics {
    pub path: PathBuf,
    pub source: String,
    pub items: Vec<Diagnostic>,
}

impl Diagnostics {
    /// `file:line:col` of a diagnostic (line 1 col 1 when it has no span).
    pub fn location(&self, d: &Diagnostic) -> String {
        let (line, col) = d
            .span
            .as_ref()
            .map_or((1, 1), |s| line_col(&self.source, s.start));
        format!("{}:{line}:{col}", display_path(&self.path))
    }

    /// One line per problem: `file:line:col: key: message (help)`.
    pub fn short(&self) -> String {
        let mut out = String::new();
        for d in &self.items {
            let _ = write!(out, "{}: ", self.location(d));
            if !d.key.is_empty() {
                let _ = write!(out, "{}: ", d.key);
            }
            out.push_str(&d.message);
            if let Some(h) = &d.help {
                let _ = write!(out, " ({h})");
            }
            out.push('\n');
        }
        out
    }

    /// Full report: each problem with a source snippet and a caret, then a count.
    pub fn render(&self, color: bool) -> String {
        let renderer = if color {
            Renderer::styled()
        } else {
            Renderer::plain()
        };
        let origin = display_path(&self.path);
        let mut out = String::new();
        for d in &self.items {
            let title = if d.key.is_empty() {
                format!("{}: {}", self.location(d), d.message)
            } else {
                format!("{}: `{}`: {}", self.location(d), d.key, d.message)
            };
            let mut msg = Level::Error.title(&title);
            if let Some(span) = d.span.as_ref().filter(|_| !d.redact) {
                let span = clamp_span(&self.source, span.clone());
                msg = msg.snippet(
                    Snippet::source(&self.source)
                        .origin(&origin)
                        .fold(true)
                        .annotation(Level::Error.span(span).label(&d.key)),
                );
            }
            if let Some(h) = &d.help {
                msg = msg.footer(Level::Help.title(h));
            }
            let _ = writeln!(out, "{}\n", renderer.render(msg));
        }
        let n = self.items.len();
        let _ = write!(
            out,
            "error: {origin} has {n} problem{}; nothing was sent to AWS",
            if n == 1 { "" } else { "s" }
        );
        out
    }
}

/// A span annotate-snippets can draw: inside the text, at least one character.
fn clamp_span(src: &str, span: Range<usize>) -> Range<usize> {
    let start = span.start.min(src.len().saturating_sub(1));
    let mut end = span.end.min(src.len()).max(start + 1);
    // Never underline past the end of the first line of the span: long
    // tables would otherwise be drawn whole.
    if let Some(nl) = src[start..end].find('\n') {
        end = (start + nl).max(start + 1);
    }
    while !src.is_char_boundary(end) && end < src.len() {
        end += 1;
    }
    start..end
}

pub fn display_path(p: &Path) -> String {
    p.display().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_from_one() {
        let src = "a = 1\nbb = 2\n";
        assert_eq!(line_col(src, 0), (1, 1));
        assert_eq!(line_col(src, 6), (2, 1));
        assert_eq!(line_col(src, 11), (2, 6));
    }

    #[test]
    fn render_names_file_line_key_and_help() {
        let ds = Diagnostics {
            path: PathBuf::from("env/dev.toml"),
            source: "[msk]\nbroker_count = 4\n".into(),
            items: vec![Diagnostic::new("msk.broker_count", Some(21..22), "bad").help("use 3")],
        };
        let out = ds.render(false);
        assert!(
            out.contains("env/dev.toml:2:16: `msk.broker_count`: bad"),
            "{out}"
        );
        assert!(out.contains("help: use 3"), "{out}");
        assert!(out.contains('^'), "{out}");
        assert!(
            out.ends_with("has 1 problem; nothing was sent to AWS"),
            "{out}"
        );
    }
}
