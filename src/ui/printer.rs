//! Where output goes: data on stdout, everything else on stderr, with
//! `-q`/`-v` levels and colour only when asked for and possible. Writing
//! to a closed stderr (a `| tee` that was interrupted) is not an error
//! worth dying for: those lines are dropped, and the run goes on to
//! release its lock.

use std::io::Write;

use crate::settings::{Level, Output};

#[derive(Debug, Clone, Copy)]
pub struct Printer {
    pub level: Level,
    /// Colour on stderr.
    pub color: bool,
}

/// Writes to stderr, ignoring a closed or full one.
pub fn stderr(text: &str) {
    let mut err = std::io::stderr().lock();
    let _ = err.write_all(text.as_bytes());
    let _ = err.flush();
}

impl Printer {
    pub fn new(output: &Output) -> Self {
        Printer {
            level: output.level,
            color: output.color,
        }
    }

    /// A status line on stderr: a verb right-aligned to 12 columns, then the message.
    pub fn status(&self, verb: &str, msg: impl std::fmt::Display) {
        if self.level >= Level::Default {
            let verb = if self.color {
                format!("\x1b[1;32m{verb:>12}\x1b[0m")
            } else {
                format!("{verb:>12}")
            };
            stderr(&format!("{verb} {msg}\n"));
        }
    }

    /// A warning on stderr (shown even with -q).
    pub fn warn(&self, msg: impl std::fmt::Display) {
        let w = if self.color {
            "\x1b[1;33mwarning\x1b[0m"
        } else {
            "warning"
        };
        stderr(&format!("{w}: {msg}\n"));
    }

    /// Data on stdout (never suppressed).
    ///
    /// # Errors
    /// When stdout is closed.
    pub fn data(&self, s: &str) -> std::io::Result<()> {
        let mut out = std::io::stdout().lock();
        out.write_all(s.as_bytes())?;
        if !s.ends_with('\n') {
            out.write_all(b"\n")?;
        }
        out.flush()
    }
}
