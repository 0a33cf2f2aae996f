//! `cdcstack graph`: the dependency graph of the desired stack (offline).

use crate::cli::{GlobalArgs, GraphArgs, GraphFormat};
use crate::error::{ExitStatus, Result};
use crate::printer::Printer;
use crate::stack::{Stack, render};

pub fn run(global: &GlobalArgs, p: &Printer, args: &GraphArgs) -> Result<ExitStatus> {
    let cfg = super::load_env(global, &args.env)?;
    let stack = Stack::build(&cfg)?;
    let text = match args.format {
        GraphFormat::Dot => render::dot(&stack),
        GraphFormat::Mermaid => render::mermaid(&stack),
    };
    p.data(&text)?;
    Ok(ExitStatus::Success)
}
