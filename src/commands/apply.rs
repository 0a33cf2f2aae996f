//! `cdcstack apply` and `cdcstack destroy`.

use super::Context;
use crate::cli::{ApplyArgs, DestroyArgs};
use crate::error::{ExitStatus, Result};
use crate::ops::{self, ApplyOptions, DestroyOptions, Interaction};
use crate::plan::{self, Plan};
use crate::ui::prompt;

/// Shows the plan on stdout and asks on stderr.
struct Terminal<'a>(&'a Context);

impl Interaction for Terminal<'_> {
    fn show(&self, plan: &Plan) -> Result<()> {
        self.0.data(&plan::render::text(plan))
    }

    fn approve(&self, question: &str) -> bool {
        prompt::confirm(question)
    }
}

pub async fn apply(cx: &Context, args: &ApplyArgs) -> Result<ExitStatus> {
    let s = cx.session(&args.env.name).await?;
    let opts = ApplyOptions {
        plan_file: args.plan_file.clone(),
        auto_approve: args.auto_approve,
        targets: args.target.targets.clone(),
        lock_timeout: args.lock.lock_timeout,
        parallelism: usize::from(args.parallel.parallelism),
    };
    ops::apply(&s, &opts, &Terminal(cx)).await?;
    Ok(ExitStatus::Success)
}

pub async fn destroy(cx: &Context, args: &DestroyArgs) -> Result<ExitStatus> {
    let s = cx.session(&args.env.name).await?;
    let opts = DestroyOptions {
        auto_approve: args.auto_approve,
        targets: args.target.targets.clone(),
        lock_timeout: args.lock.lock_timeout,
        parallelism: usize::from(args.parallel.parallelism),
    };
    let plan = ops::destroy(&s, &opts, &Terminal(cx)).await?;
    if !plan.has_changes() {
        cx.printer.status("Nothing", "to destroy");
    }
    Ok(ExitStatus::Success)
}
