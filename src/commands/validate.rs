//! `cdcstack validate`: offline checks of one environment file.

use super::Context;
use crate::config::BackendKind;
use crate::error::{ExitStatus, Result};
use crate::stack::Stack;

pub fn run(cx: &Context, env: &str) -> Result<ExitStatus> {
    let cfg = crate::ops::environment(&cx.settings, env)?;
    let stack = Stack::build(&cfg)?;
    let state = match &cfg.backend.kind {
        BackendKind::S3 { bucket, key, .. } => format!("s3://{bucket}/{key}"),
        BackendKind::Local { path } => path.display().to_string(),
    };
    cx.printer.status(
        "Valid",
        format!(
            "{} ({} resources in {}, state in {state})",
            cfg.path.display(),
            stack.resources.len(),
            cfg.stack.region,
        ),
    );
    Ok(ExitStatus::Success)
}
