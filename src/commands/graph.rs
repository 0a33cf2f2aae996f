//! `cdcstack graph`: the dependency graph of the desired stack (offline).

use super::Context;
use crate::cli::{GraphArgs, GraphFormat};
use crate::error::{ExitStatus, Result};
use crate::stack::{Stack, render};

pub fn run(cx: &Context, args: &GraphArgs) -> Result<ExitStatus> {
    let cfg = crate::ops::environment(&cx.settings, &args.env.name)?;
    let stack = Stack::build(&cfg)?;
    cx.data(&match args.format {
        GraphFormat::Dot => render::dot(&stack),
        GraphFormat::Mermaid => render::mermaid(&stack),
    })?;
    Ok(ExitStatus::Success)
}
