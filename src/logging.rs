//! Diagnostic logging (tracing) on stderr: off by default, `-v` for our
//! own events, `-vv` for the AWS SDK's too.

use tracing_subscriber::EnvFilter;

use crate::settings::{Level, Settings};

pub fn init(s: &Settings) {
    let default = match (s.output.level, s.output.verbosity) {
        // The SDK's own warnings (e.g. each credential provider that found
        // nothing) are noise next to the error cdcstack reports.
        (Level::Quiet, _) | (_, 0) => "warn,aws_config=error,aws_smithy_runtime=error",
        (_, 1) => "warn,cdcstack=info",
        _ => "info,cdcstack=debug,aws_smithy_runtime=debug",
    };
    let filter = s
        .log_filter
        .as_deref()
        .and_then(|f| EnvFilter::try_new(f).ok())
        .unwrap_or_else(|| EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .with_target(false)
        .try_init();
}
