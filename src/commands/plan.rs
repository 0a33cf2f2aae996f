//! `cdcstack plan`: what apply would change, against state and the live account.

use std::path::PathBuf;

use super::session::Session;
use super::workflow::{make_plan, prepare};
use crate::cli::{GlobalArgs, PlanArgs};
use crate::error::{Error, ExitStatus, Result};
use crate::plan::{self, Mode};
use crate::printer::Printer;
use crate::state::{Operation, Store};

pub async fn run(global: &GlobalArgs, p: Printer, args: &PlanArgs) -> Result<ExitStatus> {
    let s = Session::open(global, &args.env, p).await?;
    let prepared = prepare(&s, &args.target.targets)?;
    let account = s.account_id().await?;
    let mode = if args.refresh_only {
        Mode::RefreshOnly
    } else {
        Mode::Normal
    };
    let plan = s
        .locked(
            Operation::Plan,
            args.lock.lock_timeout,
            false,
            |cancel| async {
                let store = Store::load(s.backend.clone()).await?;
                make_plan(&s, &prepared, &store, mode, &account, cancel).await
            },
        )
        .await?;
    if args.json {
        p.data(&serde_json::to_string_pretty(&plan::json::render(&plan)).expect("json"))?;
    } else {
        p.data(&plan::render::text(&plan))?;
    }
    if let Some(out) = &args.out {
        let path = plan_path(global, out);
        plan::file::save(&path, &plan).map_err(|e| {
            Error::Usage(format!("cannot save the plan to {}: {e}", path.display()))
        })?;
        p.status(
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

/// A bare file name lands in --plans-dir; a path is used as given.
pub fn plan_path(global: &GlobalArgs, out: &std::path::Path) -> PathBuf {
    if out.components().count() == 1 && !out.is_absolute() {
        global.plans_dir.join(out)
    } else {
        out.to_path_buf()
    }
}
