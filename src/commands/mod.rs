//! One module per subcommand; each only loads its inputs and calls the
//! library (cargo's "thin commands, fat ops" rule).

mod graph;
mod validate;

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
        Command::Init(_) => Err(Error::NotYet("init")),
        Command::Plan(_) => Err(Error::NotYet("plan")),
        Command::Apply(_) => Err(Error::NotYet("apply")),
        Command::Destroy(_) => Err(Error::NotYet("destroy")),
        Command::Output(_) => Err(Error::NotYet("output")),
        Command::State(_) => Err(Error::NotYet("state")),
        Command::ForceUnlock(_) => Err(Error::NotYet("force-unlock")),
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
