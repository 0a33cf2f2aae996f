//! The `cdcstack` binary: parse the command line, run, print the error and
//! map it to an exit code (0 success, 1 error, 2 changes with --detailed-exitcode).

use std::process::ExitCode;

use cdcstack::cli::Cli;
use cdcstack::config::ConfigError;
use cdcstack::error::Error;
use cdcstack::printer::Printer;
use clap::Parser as _;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // Help and --version go to stdout with 0; a usage mistake is an
            // error like any other (exit 1: 2 means "changes" to scripts).
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 1 } else { 0 });
        }
    };
    let printer = Printer::new(&cli.global);
    cdcstack::logging::init(&cli.global);
    match cdcstack::commands::run(cli) {
        Ok(status) => ExitCode::from(status.code()),
        Err(e) => {
            report(&printer, &e);
            ExitCode::from(1)
        }
    }
}

fn report(p: &Printer, e: &Error) {
    match e {
        Error::Config(ConfigError::Invalid(d)) => eprintln!("{}", d.render(p.color)),
        Error::Stdout(io) if io.kind() == std::io::ErrorKind::BrokenPipe => {}
        other => {
            let head = if p.color {
                "\x1b[1;31merror\x1b[0m"
            } else {
                "error"
            };
            eprintln!("{head}: {other}");
            let mut source = std::error::Error::source(other);
            while let Some(s) = source {
                eprintln!("  caused by: {s}");
                source = s.source();
            }
        }
    }
}
