//! The top-level error and exit status. Library modules have their own
//! error enums; this one gathers them for `main`, which prints the message,
//! its causes (`caused by:`), and apart from them what to do (`hint:`).

use std::path::PathBuf;

use crate::apply::Outcome;
use crate::config::ConfigError;
use crate::ops::SavedPlanError;
use crate::stack::{GraphError, TargetError};

/// How a command ended, mapped to the process exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// 0.
    Success,
    /// 2: `plan --detailed-exitcode` found changes.
    Changes,
}

impl ExitStatus {
    pub fn code(self) -> u8 {
        match self {
            ExitStatus::Success => 0,
            ExitStatus::Changes => 2,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(
        "--env `{name}` must be an environment name such as `dev` (the file <env-dir>/NAME.toml)"
    )]
    EnvName { name: String },
    #[error(transparent)]
    Settings(#[from] crate::settings::SettingsError),
    #[error(transparent)]
    Endpoint(#[from] crate::aws::EndpointError),
    #[error("internal error building the resource graph: {0}")]
    Graph(#[from] GraphError),
    #[error(transparent)]
    Target(#[from] TargetError),
    #[error("cannot read {}", .path.display())]
    ReadEnvFile {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    PlanFile(#[from] crate::plan::file::PlanFileError),
    #[error("cannot save the plan to {}", .path.display())]
    SavePlan {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    SavedPlan(#[from] SavedPlanError),
    #[error(transparent)]
    State(#[from] crate::state::StateError),
    #[error(transparent)]
    Aws(#[from] crate::aws::ApiError),
    #[error(transparent)]
    Plan(#[from] crate::plan::PlanError),
    #[error(transparent)]
    Apply(Box<ApplyFailed>),
    #[error("interrupted; the lock was released")]
    Interrupted,
    #[error("{what} cancelled; nothing was changed")]
    Declined { what: &'static str },
    #[error("no output `{name}`; outputs are: {}", .known.join(", "))]
    NoOutput { name: String, known: Vec<String> },
    #[error("output `{name}` has no value yet: the resources it comes from do not exist")]
    OutputUnknown { name: String, env: String },
    #[error("there is no state at {location} yet")]
    NoState { location: String, env: String },
    #[error("no resource `{address}` in state")]
    NotInState { address: String, env: String },
    #[error("state bucket `{bucket}` is misconfigured:\n{}\nnothing was changed", .problems.iter().map(|p| format!("  - {p}")).collect::<Vec<_>>().join("\n"))]
    Misconfigured {
        bucket: String,
        problems: Vec<String>,
        env: String,
    },
    #[error("cannot create {}", .path.display())]
    CreateDir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot start the async runtime")]
    Runtime(#[source] std::io::Error),
    #[error("cannot write to stdout")]
    Stdout(#[source] std::io::Error),
    #[error("internal error: {0}")]
    Internal(String),
}

impl Error {
    /// What to do about it, when there is more to say than the message.
    pub fn hint(&self) -> Option<String> {
        Some(match self {
            Error::EnvName { name } => {
                let path = std::path::Path::new(name);
                let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned());
                match (stem, path.parent().filter(|p| !p.as_os_str().is_empty())) {
                    (Some(stem), Some(dir)) => format!(
                        "use `--env-dir {} --env {stem}`: --env names the environment, --env-dir the directory its file is in",
                        dir.display()
                    ),
                    (Some(stem), None) if name.ends_with(".toml") => format!(
                        "use `--env {stem}`: --env names the environment and cdcstack reads <env-dir>/{stem}.toml"
                    ),
                    _ => return None,
                }
            }
            Error::Settings(e) => e.hint(),
            Error::Endpoint(e) => e.hint(),
            Error::Target(_) => "`cdcstack graph` lists the addresses".into(),
            Error::SavedPlan(e) => e.hint(),
            Error::Apply(f) => f.hint(),
            Error::Declined { what } => format!(
                "answer `yes` to go ahead, or pass {} to {what} without asking",
                if *what == "force-unlock" {
                    "--force"
                } else {
                    "--auto-approve"
                }
            ),
            Error::OutputUnknown { env, .. } => format!("run `cdcstack apply --env {env}`"),
            Error::NoState { env, .. } => {
                format!("run `cdcstack apply --env {env}` to create it")
            }
            Error::NotInState { env, .. } => {
                format!("`cdcstack state list --env {env}` shows the addresses")
            }
            Error::Misconfigured { env, .. } => {
                format!("run `cdcstack init --env {env} --fix` to repair it")
            }
            Error::Internal(_) => {
                "this is a bug in cdcstack; please report it with the command you ran".into()
            }
            _ => return None,
        })
    }
}

/// An apply or destroy that did not get everything done.
#[derive(Debug)]
pub struct ApplyFailed {
    pub destroy: bool,
    pub env: String,
    pub outcome: Outcome,
}

impl std::error::Error for ApplyFailed {}

impl std::fmt::Display for ApplyFailed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let o = &self.outcome;
        let verb = if self.destroy { "Destroy" } else { "Apply" };
        let mut lines = Vec::new();
        if o.interrupted {
            lines.push("interrupted: no new work was started; everything that completed or was started is recorded in state.".to_string());
        }
        if !o.failed.is_empty() {
            lines.push(format!("{verb} failed for {} resource(s):", o.failed.len()));
            lines.extend(o.failed.iter().map(|(a, e)| format!("  {a}: {e}")));
        }
        if !o.skipped.is_empty() {
            let skipped: Vec<String> = o.skipped.iter().map(ToString::to_string).collect();
            let why = match (o.interrupted, o.failed.is_empty()) {
                (true, true) => "not started because of the interrupt",
                (true, false) => "not started because of the interrupt or a failed dependency",
                (false, _) => "not started because a dependency failed",
            };
            lines.push(format!("{why}: {}", skipped.join(", ")));
        }
        f.write_str(&lines.join("\n"))
    }
}

impl ApplyFailed {
    fn hint(&self) -> String {
        let next = if self.outcome.failed.is_empty() {
            "run"
        } else {
            "fix the cause and run"
        };
        format!(
            "{} operation(s) completed and are in state; {next} `cdcstack {} --env {}` again: it continues from there",
            self.outcome.done,
            if self.destroy { "destroy" } else { "apply" },
            self.env
        )
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
