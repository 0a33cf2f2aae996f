//! One module per subcommand; each only loads its inputs and calls the
//! library (cargo's "thin commands, fat ops" rule).

mod apply;
mod graph;
mod init;
mod output;
mod plan;
pub mod session;
mod state;
mod validate;
mod workflow;

use crate::cli::{Cli, Command, EnvArg};
use crate::config::{self, Config};
use crate::error::{Error, ExitStatus, Result};
use crate::printer::Printer;

/// Runs the parsed command line.
///
/// # Errors
/// Whatever the command hits; `main` prints it and exits 1.
pub fn run(cli: Cli) -> Result<ExitStatus> {
    let p = Printer::new(&cli.global);
    match &cli.command {
        Command::Validate(a) => validate::run(&cli.global, &p, &a.env),
        Command::Graph(a) => graph::run(&cli.global, &p, a),
        Command::Init(a) => runtime()?.block_on(init::run(&cli.global, p, a)),
        Command::Plan(a) => runtime()?.block_on(plan::run(&cli.global, p, a)),
        Command::Apply(a) => runtime()?.block_on(apply::apply(&cli.global, p, a)),
        Command::Destroy(a) => runtime()?.block_on(apply::destroy(&cli.global, p, a)),
        Command::Output(a) => runtime()?.block_on(output::run(&cli.global, p, a)),
        Command::State(c) => runtime()?.block_on(state::run(&cli.global, p, c)),
        Command::ForceUnlock(a) => runtime()?.block_on(state::force_unlock(&cli.global, p, a)),
    }
}

/// Loads and checks `<env-dir>/NAME.toml`.
pub(crate) fn load_env(global: &crate::cli::GlobalArgs, env: &EnvArg) -> Result<Config> {
    if env.name.is_empty() || env.name.contains(['/', '\\']) {
        return Err(Error::Usage(format!(
            "--env `{}` must be an environment name such as `dev` (the file <env-dir>/NAME.toml)",
            env.name
        )));
    }
    Ok(config::load(&config::env_path(&global.env_dir, &env.name))?)
}

/// The async runtime, only for commands that talk to AWS (validate stays instant).
fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Usage(format!("cannot start the async runtime: {e}")))
}
