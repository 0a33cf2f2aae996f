//! Where output goes: data on stdout, everything else on stderr, with
//! `-q`/`-v` levels and colour only when asked for and possible.

use std::io::{IsTerminal, Write};

use crate::cli::GlobalArgs;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Quiet,
    Default,
    Verbose,
}

#[derive(Debug, Clone, Copy)]
pub struct Printer {
    pub level: Level,
    /// Colour on stderr.
    pub color: bool,
}

impl Printer {
    pub fn new(g: &GlobalArgs) -> Self {
        let level = if g.quiet {
            Level::Quiet
        } else if g.verbose > 0 {
            Level::Verbose
        } else {
            Level::Default
        };
        let no_color = g.no_color || std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        Printer {
            level,
            color: !no_color && std::io::stderr().is_terminal(),
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
            eprintln!("{verb} {msg}");
        }
    }

    /// A warning on stderr (shown even with -q).
    pub fn warn(&self, msg: impl std::fmt::Display) {
        let w = if self.color {
            "\x1b[1;33mwarning\x1b[0m"
        } else {
            "warning"
        };
        eprintln!("{w}: {msg}");
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
