//! One module per subcommand; each turns its arguments into options, calls
//! an operation ([`crate::ops`]) and prints what comes back (cargo's "thin
//! commands, fat ops" rule).

mod apply;
mod graph;
mod init;
mod output;
mod plan;
mod state;
mod validate;

use std::sync::Arc;

use crate::cli::{Cli, Command};
use crate::engine::Events;
use crate::error::{Error, ExitStatus, Result};
use crate::ops::Session;
use crate::settings::Settings;
use crate::ui::{Printer, text::Text};

/// What every command has: the settings and the printer.
pub struct Context {
    pub settings: Settings,
    pub printer: Printer,
}

impl Context {
    /// The text view of a run's events.
    fn events(&self) -> Events {
        Arc::new(Text::new(self.printer))
    }

    async fn session(&self, env: &str) -> Result<Session> {
        Session::open(&self.settings, env, self.events()).await
    }

    fn data(&self, text: &str) -> Result<()> {
        self.printer.data(text).map_err(Error::Stdout)
    }
}

/// Runs the parsed command line.
///
/// # Errors
/// Whatever the command hits; `main` prints it and exits 1.
pub fn run(cli: Cli, settings: Settings) -> Result<ExitStatus> {
    let cx = Context {
        printer: Printer::new(&settings.output),
        settings,
    };
    match &cli.command {
        Command::Validate(a) => validate::run(&cx, &a.env.name),
        Command::Graph(a) => graph::run(&cx, a),
        Command::Init(a) => runtime()?.block_on(init::run(&cx, a)),
        Command::Plan(a) => runtime()?.block_on(plan::run(&cx, a)),
        Command::Apply(a) => runtime()?.block_on(apply::apply(&cx, a)),
        Command::Destroy(a) => runtime()?.block_on(apply::destroy(&cx, a)),
        Command::Output(a) => runtime()?.block_on(output::run(&cx, a)),
        Command::State(c) => runtime()?.block_on(state::run(&cx, c)),
        Command::ForceUnlock(a) => runtime()?.block_on(state::force_unlock(&cx, a)),
    }
}

/// The async runtime, only for commands that talk to AWS (validate stays instant).
fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(Error::Runtime)
}
