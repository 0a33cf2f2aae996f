//! The top-level error and exit status. Library modules have their own
//! error enums; this one only gathers them for `main`.

use crate::config::ConfigError;
use crate::stack::GraphError;

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
    #[error("internal error building the resource graph: {0}")]
    Graph(#[from] GraphError),
    #[error("{0}")]
    Usage(String),
    #[error("cannot write to stdout: {0}")]
    Stdout(#[from] std::io::Error),
    #[error(transparent)]
    State(#[from] crate::state::StateError),
    #[error(transparent)]
    Aws(#[from] crate::aws::ApiError),
    #[error("interrupted; the lock was released")]
    Interrupted,
    #[error("{0}")]
    Aborted(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
