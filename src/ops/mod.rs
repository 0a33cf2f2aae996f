//! The operations (cargo's `ops`): plan, refresh, apply, destroy, init,
//! outputs and state inspection, each a function over a [`Session`] and an
//! options struct. They report through the session's observers and ask
//! through an [`Interaction`]; `commands/` only turns the command line into
//! options and prints what comes back.

mod apply;
mod init;
mod plan;
mod run;
mod session;
mod state;

pub use apply::{ApplyOptions, DestroyOptions, Interaction, SavedPlanError, apply, destroy};
pub use init::{Initialized, init};
pub use plan::{PlanOptions, plan, refresh};
pub use session::Session;
pub use state::{force_unlock, outputs, pull, resources, show};

use crate::config::{self, Config};
use crate::error::{Error, Result};
use crate::settings::Settings;

/// Loads and checks `<env-dir>/NAME.toml`.
///
/// # Errors
/// A name that is not an environment name, or the file's problems.
pub fn environment(settings: &Settings, name: &str) -> Result<Config> {
    if name.is_empty() || name.contains(['/', '\\']) || name.ends_with(".toml") {
        return Err(Error::EnvName {
            name: name.to_string(),
        });
    }
    Ok(config::load(&config::env_path(&settings.env_dir, name))?)
}
