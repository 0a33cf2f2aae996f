//! `cdcstack validate`: offline checks of one environment file.

use crate::cli::{EnvArg, GlobalArgs};
use crate::error::{ExitStatus, Result};
use crate::printer::Printer;
use crate::stack::Stack;

pub fn run(global: &GlobalArgs, p: &Printer, env: &EnvArg) -> Result<ExitStatus> {
    let cfg = super::load_env(global, env)?;
    let stack = Stack::build(&cfg)?;
    p.status(
        "Valid",
        format!(
            "{} ({} resources in {}, state in {})",
            cfg.path.display(),
            stack.resources.len(),
            cfg.stack.region,
            match &cfg.backend.kind {
                crate::config::BackendKind::S3 { bucket, key, .. } =>
                    format!("s3://{bucket}/{key}"),
                crate::config::BackendKind::Local { path } => path.display().to_string(),
            }
        ),
    );
    Ok(ExitStatus::Success)
}
