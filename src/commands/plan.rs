//! `cdcstack plan`: what apply would change, against state and the live account.

use super::Context;
use crate::cli::PlanArgs;
use crate::error::{Error, ExitStatus, Result};
use crate::ops::{self, PlanOptions};
use crate::plan;

pub async fn run(cx: &Context, args: &PlanArgs) -> Result<ExitStatus> {
    let s = cx.session(&args.env.name).await?;
    let opts = PlanOptions {
        targets: args.target.targets.clone(),
        lock_timeout: args.lock.lock_timeout,
    };
    let plan = if args.refresh_only {
        ops::refresh(&s, &opts).await?
    } else {
        ops::plan(&s, &opts).await?
    };
    if args.json {
        cx.data(&serde_json::to_string_pretty(&plan::json::render(&plan)).expect("json"))?;
    } else {
        cx.data(&plan::render::text(&plan))?;
    }
    if let Some(out) = &args.out {
        let path = cx.settings.plan_path(out);
        plan::file::save(&path, &plan).map_err(|source| Error::SavePlan {
            path: path.clone(),
            source,
        })?;
        cx.printer.status(
            "Saved",
            format!(
                "plan to {}; apply it with `cdcstack apply --env {} {}`",
                path.display(),
                s.env,
                path.display()
            ),
        );
    }
    Ok(if args.detailed_exitcode && plan.has_changes() {
        ExitStatus::Changes
    } else {
        ExitStatus::Success
    })
}
