//! The program: parse the command line, resolve the settings, run, print
//! the error with its causes and hints, and map it to an exit code (0
//! success, 1 error, 2 changes with --detailed-exitcode).

use std::io::IsTerminal;
use std::process::ExitCode;

use crate::cli::Cli;
use crate::error::Error;
use crate::settings::Settings;
use crate::ui::printer::stderr;
use clap::Parser as _;

/// The whole program: what `main` runs.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // Help and --version go to stdout with 0; a usage mistake is an
            // error like any other (exit 1: 2 means "changes" to scripts).
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 1 } else { 0 });
        }
    };
    let settings = match Settings::resolve(
        &cli.global,
        |k| std::env::var(k).ok(),
        std::io::stderr().is_terminal(),
    ) {
        Ok(s) => s,
        Err(e) => {
            report(&Error::Settings(e), false);
            return ExitCode::from(1);
        }
    };
    crate::logging::init(&settings);
    let color = settings.output.color;
    match crate::commands::run(cli, settings) {
        Ok(status) => ExitCode::from(status.code()),
        Err(e) => {
            report(&e, color);
            ExitCode::from(1)
        }
    }
}

/// `error: …`, one `caused by:` line per cause, then the hint apart.
fn report(e: &Error, color: bool) {
    let paint = |code: &str, text: &str| {
        if color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    };
    match e {
        Error::Config(crate::config::ConfigError::Invalid(d)) => {
            stderr(&format!("{}\n", d.render(color)));
        }
        Error::Stdout(io) if io.kind() == std::io::ErrorKind::BrokenPipe => {}
        other => {
            let mut text = format!("{}: {other}\n", paint("1;31", "error"));
            let mut source = std::error::Error::source(other);
            while let Some(s) = source {
                text.push_str(&format!("  caused by: {s}\n"));
                source = s.source();
            }
            if let Some(hint) = other.hint() {
                text.push_str(&format!("\n{}: {hint}\n", paint("1;36", "hint")));
            }
            stderr(&text);
        }
    }
}
