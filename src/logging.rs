//! Diagnostic logging (tracing) on stderr: off by default, `-v` for our
//! own events, `-vv` for the AWS SDK's too.

use tracing_subscriber::EnvFilter;

use crate::cli::GlobalArgs;

pub fn init(g: &GlobalArgs) {
    let default = match (g.quiet, g.verbose) {
        // The SDK's own warnings (e.g. each credential provider that found
        // nothing) are noise next to the error cdcstack reports.
        (true, _) | (_, 0) => "warn,aws_config=error,aws_smithy_runtime=error",
        (_, 1) => "warn,cdcstack=info",
        _ => "info,cdcstack=debug,aws_smithy_runtime=debug",
    };
    let filter =
        EnvFilter::try_from_env("CDCSTACK_LOG").unwrap_or_else(|_| EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .with_target(false)
        .try_init();
}
